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

- ``prs/NN-slug/``: the pull requests of the upstream fix, each with its ``description.md`` and git format-patch
  files against INC main (see :mod:`neural_compressor_pt2e_fix.upstream.queue`).
"""
