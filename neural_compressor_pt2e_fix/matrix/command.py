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
"""The ``inc-pt2e-fix matrix`` command: run the space or the zoo, print the table, write JSON and Markdown."""

import json
import time

from neural_compressor_pt2e_fix.matrix import report
from neural_compressor_pt2e_fix.matrix.classifier import BROKEN
from neural_compressor_pt2e_fix.matrix.runner import run_matrix, run_zoo


def run(args):
    """Run ``inc-pt2e-fix matrix``.

    Args:
        args (argparse.Namespace): ``models``, ``only``, ``compile``, ``json`` and ``markdown`` as parsed by the CLI.

    Returns:
        int: 0 if no setting is broken with the fix, 1 otherwise.
    """
    start = time.perf_counter()
    rows = run_zoo(args.models, args.only, args.compile) if args.models else run_matrix(args.only, args.compile)
    print("\n".join(report.text(rows)))
    print(f"{report.plural(len(rows), 'setting')} in {time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(report.document(rows, args.compile), stream, indent=2)
            stream.write("\n")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as stream:
            stream.write(report.markdown(rows, args.compile))
    return 1 if any(row.fixed.klass == BROKEN for row in rows) else 0
