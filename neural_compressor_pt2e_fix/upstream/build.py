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
"""INC main with pull requests of the queue applied, in a scratch git repository."""

import re
from pathlib import Path

from neural_compressor_pt2e_fix.upstream.git import apply_patch, init_repo, touched_paths, tree_diff
from neural_compressor_pt2e_fix.upstream.queue import closure
from neural_compressor_pt2e_fix.upstream.source import PT2E_DIR, existing_paths, export_inc_tree

# What a scratch tree always holds from INC: its PT2E modules and their tests, besides the files the queue touches.
BASE_PATHS = (PT2E_DIR, "test/torch/algorithms/pt2e_quant", "test/torch/quantization/test_pt2e_quant.py")


def _lacking_paths(queue, present):
    """List the paths a patch of the queue changes that neither INC nor an earlier patch of the queue has."""
    known, lacking = set(present), []
    for pull_request in queue:
        for _, text in pull_request.patches:
            created = set(re.findall(r"^diff --git a/(\S+) b/\S+\nnew file mode ", text, flags=re.M))
            lacking += [path for path in touched_paths(text) if path not in known and path not in created]
            known |= created
    return list(dict.fromkeys(lacking))


def build_tree(queue, inc_src, dest, pull_requests):
    """Export from INC its PT2E area and the files the queue touches into a scratch repository, and apply pull requests.

    Args:
        queue (Sequence[PullRequest]): The whole queue (its paths make the base, so any subset applies to it).
        inc_src (str or Path): INC main: a work tree or a git directory.
        dest (str or Path): An empty or missing directory.
        pull_requests (Sequence[PullRequest]): The pull requests to apply, in order.

    Returns:
        str: The commit id of the base (INC's files before any pull request).

    Raises:
        FileNotFoundError: A patch changes a file that ``inc_src`` lacks (e.g. a test, where ``inc_src`` is the
            installed INC package, which has no tests).
        RuntimeError: A patch does not apply.
    """
    touched = [path for pr in queue for _, text in pr.patches for path in touched_paths(text)]
    wanted = list(dict.fromkeys([*BASE_PATHS, *touched]))
    present = existing_paths(inc_src, wanted)
    lacking = _lacking_paths(queue, present)
    if lacking:
        raise FileNotFoundError(
            f"{inc_src} lacks {', '.join(lacking)}: pass --inc-src with an INC main work tree or git directory"
        )
    Path(dest).mkdir(parents=True, exist_ok=True)
    export_inc_tree(inc_src, dest, present)
    base = init_repo(dest, f"INC base: {inc_src}")
    for pull_request in pull_requests:
        for name, text in pull_request.patches:
            apply_patch(dest, text, f"{pull_request.name}/{name}")
    return base


def combined_diff(queue, inc_src, dest):
    """Return the diff from INC main to INC main with the whole queue applied.

    Args:
        queue (Sequence[PullRequest]): The queue.
        inc_src (str or Path): INC main.
        dest (str or Path): A scratch directory.

    Returns:
        str: The git diff; ``git apply`` at INC's repository root applies it.
    """
    base = build_tree(queue, inc_src, dest, queue)
    return tree_diff(dest, base)


def check_alone(queue, inc_src, scratch):
    """Apply each pull request onto INC main after only the pull requests it depends on.

    Args:
        queue (Sequence[PullRequest]): The queue.
        inc_src (str or Path): INC main.
        scratch (str or Path): A directory for one scratch repository per pull request.

    Returns:
        dict[str, str]: Pull request name -> "" where it applies, else why not.
    """
    results = {}
    for pull_request in queue:
        try:
            build_tree(queue, inc_src, Path(scratch) / pull_request.name, closure(queue, pull_request.number))
            results[pull_request.name] = ""
        except RuntimeError as exc:
            results[pull_request.name] = str(exc).splitlines()[0]
    return results


__all__ = ["build_tree", "check_alone", "combined_diff"]
