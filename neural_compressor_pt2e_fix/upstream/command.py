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
"""``inc-pt2e-fix upstream-diff``: write the pull requests of the upstream fix, or their combined diff."""

import sys
import tempfile
from pathlib import Path

from neural_compressor_pt2e_fix.upstream.build import build_tree, check_alone
from neural_compressor_pt2e_fix.upstream.git import tree_diff
from neural_compressor_pt2e_fix.upstream.modules import module_differences
from neural_compressor_pt2e_fix.upstream.queue import PLACEHOLDER_AUTHOR, load_queue, write_prs
from neural_compressor_pt2e_fix.upstream.source import installed_inc_root


def queue_table(queue):
    """Render the queue as a Markdown table: number and slug, title, dependencies, size.

    Args:
        queue (Sequence[PullRequest]): The pull requests.

    Returns:
        str: The table, one row per pull request; sizes are counted from the stored patches.
    """
    lines = ["| pull request | title | depends on | files | non-test lines | test lines |", "|---|---|---|---|---|---|"]
    for pull_request in queue:
        files, *_ = pull_request.stats()
        _, code_added, code_removed = pull_request.stats(tests=False)
        _, test_added, test_removed = pull_request.stats(tests=True)
        depends = ", ".join(f"{number:02d}" for number in pull_request.depends) or "none"
        lines.append(
            f"| {pull_request.name} | {pull_request.title} | {depends} | {files} | +{code_added} −{code_removed} | "
            f"+{test_added} −{test_removed} |"
        )
    return "\n".join(lines) + "\n"


def _write_prs(queue, args, inc_src):
    """Check each pull request against INC main where its source is given, then write them (see :func:`run`)."""
    if args.inc_src is None:
        print("note: not checked against INC main (pass --inc-src to check that each applies)", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory(prefix="inc-prs-") as scratch:
            failures = {name: why for name, why in check_alone(queue, inc_src, scratch).items() if why}
            build_tree(queue, inc_src, Path(scratch) / "all", queue)
        if failures:
            raise RuntimeError(
                "; ".join(f"{name} does not apply after its dependencies: {why}" for name, why in failures.items())
            )
    write_prs(queue, args.prs, args.author)
    if args.author == PLACEHOLDER_AUTHOR:
        print(
            "note: the patches' author is a placeholder: pass --author 'Name <email>' to sign them off", file=sys.stderr
        )
    print(queue_table(queue), end="")
    print(f"wrote {len(queue)} pull requests to {args.prs}", file=sys.stderr)


def _write_diff(queue, args, inc_src):
    """Write the combined diff of the whole queue, and say whether this package is its back-port."""
    with tempfile.TemporaryDirectory(prefix="inc-diff-") as scratch:
        base = build_tree(queue, inc_src, scratch, queue)
        diff = tree_diff(scratch, base)
        for difference in module_differences(scratch):
            print(f"note: this package's module is not INC's with the queue applied: {difference}", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(diff, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(diff)


def run(args):
    """Run ``inc-pt2e-fix upstream-diff``.

    Args:
        args (argparse.Namespace): ``inc_src`` (INC main: a work tree or git directory; None for the installed INC
            package, which has no tests), ``prs`` (a directory or None), ``output`` (a file or None) and
            ``author`` (``Name <email>``, or None for a placeholder).

    Returns:
        int: 0.
    """
    queue = load_queue()
    inc_src = args.inc_src if args.inc_src is not None else installed_inc_root()
    args.author = args.author or PLACEHOLDER_AUTHOR
    if args.prs:
        _write_prs(queue, args, inc_src)
    else:
        _write_diff(queue, args, inc_src)
    return 0


__all__ = ["queue_table", "run"]
