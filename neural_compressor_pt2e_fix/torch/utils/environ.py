# Copyright (c) 2026 The neural-compressor-pt2e-fix Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""INC's torch version names (``neural_compressor.torch.utils.environ``), back-ported for INC releases without them.

The fixed modules import these names from here; the upstream rewrite (``neural_compressor_pt2e_fix.`` ->
``neural_compressor.``) turns that into an import of INC's own module, so the upstream code uses INC's names and
defines none. INC has ``get_torch_version`` since 3.0, ``TORCH_VERSION_2_11_0`` since 3.8.1 (git tags of INC's
repository); on an older INC (3.0.2 to 3.8, which this package also patches) the name is defined here with INC's
value. This module is not upstreamed.
"""

from packaging.version import Version

from neural_compressor.torch.utils import environ as _inc_environ

get_torch_version = _inc_environ.get_torch_version
TORCH_VERSION_2_11_0 = getattr(_inc_environ, "TORCH_VERSION_2_11_0", Version("2.11.0"))

__all__ = ["TORCH_VERSION_2_11_0", "get_torch_version"]
