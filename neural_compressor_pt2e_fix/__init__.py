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
"""Neural-compressor-pt2e-fix: the fixed observer factory of INC's PT2E static INT8 backend.

The factory itself lives in :mod:`neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.utility`, laid out as in
INC. :func:`apply_patch` makes an installed INC use it.
"""

from neural_compressor_pt2e_fix.patch import PatchError, apply_patch, is_patched, patched, remove_patch

__version__ = "0.1.0"

__all__ = ["PatchError", "__version__", "apply_patch", "is_patched", "patched", "remove_patch"]
