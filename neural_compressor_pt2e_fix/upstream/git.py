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
"""The git plumbing of the upstream kit: a scratch repository, ``git am``, and what a patch touches."""

import re
import subprocess
from pathlib import Path

# The identity of the scratch repositories' own commits (the base tree); patches keep their authors.
_SCRATCH_IDENTITY = ("-c", "user.name=inc-pt2e-fix", "-c", "user.email=inc-pt2e-fix@localhost")


def git(*args, cwd, stdin=None):
    """Run git, turning a failure into an error that carries git's message.

    Args:
        *args (str): The git arguments.
        cwd (str or Path): The working directory.
        stdin (str, optional): Text for git's standard input.

    Returns:
        str: git's standard output.

    Raises:
        RuntimeError: git exited with a non-zero status.
    """
    command = ["git", *_SCRATCH_IDENTITY, *args]
    result = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def init_repo(root, message):
    """Make a directory a git repository whose one commit holds its files.

    Args:
        root (str or Path): The directory.
        message (str): The commit message.

    Returns:
        str: The commit's id.
    """
    git("init", "--quiet", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=root)
    return git("rev-parse", "HEAD", cwd=root).strip()


def apply_patch(root, patch, name):
    """Commit a git format-patch email onto a scratch repository with ``git am``.

    Args:
        root (str or Path): The repository.
        patch (str): The email.
        name (str): What to call the patch in an error.

    Raises:
        RuntimeError: The patch does not apply; the repository is left as it was.
    """
    try:
        git("am", "--quiet", "--keep-non-patch", cwd=root, stdin=patch)
    except RuntimeError as exc:
        git("am", "--abort", cwd=root)
        raise RuntimeError(f"{name} does not apply: {exc}") from None


def touched_paths(patch):
    """List the paths a patch touches, in its order.

    Args:
        patch (str): A git diff, possibly inside a format-patch email.

    Returns:
        list[str]: The paths of its ``diff --git`` headers.
    """
    return re.findall(r"^diff --git a/(\S+) b/", patch, flags=re.M)


def diff_stats(patch, path_filter=None):
    """Count the files and the added and removed lines of a git diff, as ``git apply --numstat`` does.

    Args:
        patch (str): The diff, possibly inside a format-patch email.
        path_filter (Callable[[str], bool], optional): Count only the files whose path it accepts.

    Returns:
        tuple[int, int, int]: The number of files, of added lines and of removed lines.
    """
    files = added = removed = 0
    counted = in_hunks = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            path = line.split(" b/", 1)[1]
            counted, in_hunks = path_filter is None or path_filter(path), False
            files += counted
        elif line.startswith("@@"):
            in_hunks = True
        elif in_hunks and counted:
            added += line.startswith("+")
            removed += line.startswith("-")
    return files, added, removed


def tree_diff(root, base):
    """Return the diff of a scratch repository from a commit to its HEAD.

    Args:
        root (str or Path): The repository.
        base (str): The commit.

    Returns:
        str: The diff, with full blob ids (``git apply --3way`` can use them).
    """
    return git("diff", "--full-index", base, "HEAD", cwd=Path(root))


__all__ = ["apply_patch", "diff_stats", "git", "init_repo", "touched_paths", "tree_diff"]
