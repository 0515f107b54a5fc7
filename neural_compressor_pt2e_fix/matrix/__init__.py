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
"""``inc-pt2e-fix matrix``: run the StaticQuantConfig space through stock and fixed INC and classify each result.

Every setting goes through INC's public API on a small conv+pool+linear model, or with ``--models`` the zoo cases on
the models of :mod:`neural_compressor_pt2e_fix.zoo`, once with the installed INC as it is and once under the patch;
each result falls into exactly one of :data:`CLASSES` (see :mod:`.classifier`). One module per concern:

- :mod:`.space`: the settings (INC's config fields, the default, labels, the 71-setting space) and the zoo cases;
- :mod:`.classifier`: :class:`Outcome`, :func:`classify`, the compile tolerance and the rows it makes;
- :mod:`.runner`: the pipeline through INC's public API, each case with stock INC and with the fix;
- :mod:`.report`: the text table, the totals, Markdown with the zoo grid, and the JSON document;
- :mod:`.command`: :func:`run`, the subcommand.
"""

from neural_compressor_pt2e_fix.matrix.classifier import (
    BROKEN,
    CLASSES,
    COMPILED,
    EAGER,
    REJECTED,
    Cell,
    Outcome,
    Row,
    classify,
    flip_outputs,
    output_step,
    zoo_output_step,
)
from neural_compressor_pt2e_fix.matrix.command import run
from neural_compressor_pt2e_fix.matrix.runner import run_matrix, run_zoo, run_zoo_case
from neural_compressor_pt2e_fix.matrix.space import ZooCase, default_setting, label, settings, zoo_cases, zoo_models

__all__ = [
    "BROKEN",
    "CLASSES",
    "COMPILED",
    "EAGER",
    "REJECTED",
    "Cell",
    "Outcome",
    "Row",
    "ZooCase",
    "classify",
    "default_setting",
    "flip_outputs",
    "label",
    "output_step",
    "run",
    "run_matrix",
    "run_zoo",
    "run_zoo_case",
    "settings",
    "zoo_cases",
    "zoo_models",
    "zoo_output_step",
]
