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
"""Run the matrix's cases once on the INC this interpreter imports and save each cell's class and cause.

Usage: ``python matrix_cells.py MODE OUTPUT.json [--models LIST] [--compile]``. MODE is ``patch`` (the installed
INC with this package's runtime patch) or ``as-is`` (the INC first on ``PYTHONPATH``, e.g. INC main with the
upstream pull requests applied, never patched). The 71 settings of the space run always; ``--models`` adds the zoo
cases of those models. One side of the back-port invariant: both modes must classify every cell alike.
"""

import argparse
import contextlib
import json

from neural_compressor_pt2e_fix import patched
from neural_compressor_pt2e_fix.common import quiet
from neural_compressor_pt2e_fix.matrix import Cell
from neural_compressor_pt2e_fix.matrix.runner import matrix_cases, zoo_model_cases


def main(argv=None):
    """Run every case once in the given mode and write {label: [class, cause]} as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("patch", "as-is"))
    parser.add_argument("output")
    parser.add_argument("--models", metavar="LIST", help="zoo models (comma-separated, or all)")
    parser.add_argument("--compile", action="store_true", help="compile with inductor and compare with eager")
    args = parser.parse_args(argv)
    cases = matrix_cases() + (zoo_model_cases(args.models) if args.models else [])
    cells = {}
    with patched() if args.mode == "patch" else contextlib.nullcontext(), quiet():
        for case in cases:
            cell = Cell.of(case.setting, case.run(args.compile), case.named)
            cells[case.label] = [cell.klass, cell.cause]
    with open(args.output, "w", encoding="utf-8") as stream:
        json.dump(cells, stream, indent=1)


if __name__ == "__main__":
    main()
