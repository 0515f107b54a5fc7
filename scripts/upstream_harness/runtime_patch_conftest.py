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
"""conftest.py of a run of INC's tests on the installed INC, with the fixed factory patched in at run time."""

from pathlib import Path

import neural_compressor.torch.algorithms.pt2e_quant.utility as _utility
from neural_compressor_pt2e_fix import apply_patch, is_patched

assert not Path(_utility.__file__).resolve().is_relative_to(Path(__file__).resolve().parent), "not the installed INC"
apply_patch()
assert is_patched()
