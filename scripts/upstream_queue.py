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
"""Edit the queue of upstream pull requests as commits of a scratch INC repository.

``checkout --inc-src SRC DIR``: export from INC main the files the queue touches into a new git repository DIR and
commit each pull request there, one commit per pull request, in order. Edit them as commits (``git rebase -i``,
``git commit --amend``; INC's tests and linters run in DIR), then ``save DIR``: the n-th commit after the base
becomes the patch of the n-th directory of ``neural_compressor_pt2e_fix/upstream_data/prs`` (create the directory
and its description.md first for a new pull request). Saved patches carry a placeholder author and a fixed date, so
that they change only when their content does.
"""

import argparse
import re
import sys
from pathlib import Path

from neural_compressor_pt2e_fix.upstream.build import build_tree
from neural_compressor_pt2e_fix.upstream.git import git
from neural_compressor_pt2e_fix.upstream.queue import PLACEHOLDER_AUTHOR, load_queue

PRS = Path(__file__).resolve().parent.parent / "neural_compressor_pt2e_fix" / "upstream_data" / "prs"
DATE = "Sat, 5 Dec 2026 12:00:00 +0000"


def checkout(args):
    """Export INC main into a new repository and commit each pull request of the queue (see the module)."""
    queue = load_queue()
    build_tree(queue, args.inc_src, args.dir, queue[: args.through])
    print(f"{args.dir}: INC base and {len(queue[: args.through])} pull requests, one commit each")
    return 0


def _normalised(patch):
    """Give a format-patch email the placeholder author and the fixed date."""
    patch = re.sub(r"^From: .*$", lambda _: f"From: {PLACEHOLDER_AUTHOR}", patch, count=1, flags=re.M)
    return re.sub(r"^Date: .*$", lambda _: f"Date: {DATE}", patch, count=1, flags=re.M)


def save(args):
    """Write each commit after the base as the patch of its pull request directory (see the module)."""
    commits = git("rev-list", "--reverse", "HEAD", cwd=args.dir).split()[1:]
    folders = sorted(folder for folder in PRS.iterdir() if folder.is_dir())
    if len(commits) != len(folders):
        print(f"{args.dir} has {len(commits)} commits after the base, {PRS} {len(folders)} pull requests")
        return 1
    for commit, folder in zip(commits, folders):
        patch = git(
            "format-patch", "-1", commit, "--stdout", "--zero-commit", "--no-signature", "--no-numbered", cwd=args.dir
        )
        for old in folder.glob("*.patch"):
            old.unlink()
        (folder / f"0001-{folder.name[3:]}.patch").write_text(_normalised(patch), encoding="utf-8")
        print(f"saved {folder.name}")
    return 0


def main(argv=None):
    """Run the subcommand.

    Args:
        argv (list[str], optional): The arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    checkout_parser = commands.add_parser("checkout", help="a scratch INC repository with the queue as commits")
    checkout_parser.add_argument("--inc-src", required=True, metavar="SRC", help="INC main: work tree or git directory")
    checkout_parser.add_argument("--through", type=int, metavar="N", help="commit only the first N pull requests")
    checkout_parser.add_argument("dir", help="a new directory")
    checkout_parser.set_defaults(run=checkout)
    save_parser = commands.add_parser("save", help="store the commits of a scratch repository as the queue")
    save_parser.add_argument("dir", help="the scratch repository")
    save_parser.set_defaults(run=save)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
