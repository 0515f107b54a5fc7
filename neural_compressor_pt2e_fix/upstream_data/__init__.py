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
"""Data of the upstream kit, read with :mod:`importlib.resources`, never imported by the package.

- ``series/``: the reviewed patches of the upstream series (git format-patch files against INC main) and the
  commit message of its last patch, whose diff is computed (see :func:`neural_compressor_pt2e_fix.upstream.build_series`).
- ``no_patch_conftest.py``, ``runtime_patch_conftest.py``: the conftest.py of a test run on a patched copy of INC
  without this package, and on the installed INC with the runtime patch.
- ``eager_probe.py``: a script that runs settings through INC's public API eagerly and saves the outputs.
"""
