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
"""The pull requests of the upstream fix, stored as package data, with their dependencies and authorship.

``upstream_data/prs/NN-slug/`` holds one pull request: ``description.md`` (INC's pull request template; its first
line is ``Depends on: none`` or ``Depends on: NN, ...``) and its ``*.patch`` files (git format-patch emails written
against INC main, applied in name order with ``git am`` after every pull request it depends on).
"""

import dataclasses
import importlib.resources
import re
from pathlib import Path

from neural_compressor_pt2e_fix.upstream.git import diff_stats

_DATA = "neural_compressor_pt2e_fix.upstream_data"
_PRS = "prs"
# The author of every stored patch, until the sender sets theirs (``--author``): INC's DCO check needs a real one.
PLACEHOLDER_AUTHOR = "neural-compressor-pt2e-fix authors <neural-compressor-pt2e-fix@users.noreply.github.com>"
_DEPENDS = re.compile(r"Depends on: (none|\d{2}(?:, \d{2})*)")
_DIRECTORY = re.compile(r"(\d{2})-([a-z0-9-]+)")


def is_test_path(path):
    """Tell whether a path of INC's repository is a test file (under ``test/``)."""
    return path.startswith("test/")


@dataclasses.dataclass(frozen=True)
class PullRequest:
    """One pull request of the queue.

    Attributes:
        number (int): Its position in the queue, from 1.
        slug (str): Its short name, e.g. ``observer-table``.
        depends (tuple[int, ...]): The numbers of the pull requests it applies after, besides INC main.
        description (str): Its description.md, the ``Depends on`` line first.
        patches (tuple[tuple[str, str], ...]): (file name, git format-patch email), in order.
    """

    number: int
    slug: str
    depends: tuple
    description: str
    patches: tuple

    @property
    def name(self):
        """Str: The directory name, ``NN-slug``."""
        return f"{self.number:02d}-{self.slug}"

    @property
    def title(self):
        """Str: The subject of its first patch, as INC's squash commit would take it."""
        match = re.search(r"^Subject: \[PATCH[^\]]*\] (.+(?:\n .+)*)", self.patches[0][1], flags=re.M)
        return re.sub(r"\n ", " ", match.group(1))

    def stats(self, tests=None):
        """Count the files and changed lines of all its patches.

        Args:
            tests (bool, optional): Count test files only (True), non-test files only (False), or all (None).

        Returns:
            tuple[int, int, int]: Files, added lines, removed lines.
        """
        path_filter = None if tests is None else (lambda path: is_test_path(path) == tests)
        counts = [diff_stats(text, path_filter) for _, text in self.patches]
        return tuple(sum(column) for column in zip(*counts))


def _read_pull_request(folder):
    """Read one pull request directory of the data (see the module)."""
    match = _DIRECTORY.fullmatch(folder.name)
    if match is None:
        raise ValueError(f"{folder.name} is not named NN-slug")
    description = folder.joinpath("description.md").read_text(encoding="utf-8")
    depends = _DEPENDS.fullmatch(description.splitlines()[0] if description else "")
    if depends is None:
        raise ValueError(
            f"{folder.name}/description.md does not start with 'Depends on: none' or 'Depends on: NN, ...'"
        )
    numbers = () if depends.group(1) == "none" else tuple(int(item) for item in depends.group(1).split(", "))
    patches = sorted(
        (entry.name, entry.read_text(encoding="utf-8")) for entry in folder.iterdir() if entry.name.endswith(".patch")
    )
    if not patches:
        raise ValueError(f"{folder.name} has no .patch file")
    return PullRequest(int(match.group(1)), match.group(2), numbers, description, tuple(patches))


def load_queue():
    """Read the queue from the package data.

    Returns:
        list[PullRequest]: The pull requests, by number.

    Raises:
        ValueError: A directory is malformed, numbers are not 1, 2, ..., or a pull request depends on one that does
            not come before it.
    """
    root = importlib.resources.files(_DATA).joinpath(_PRS)
    queue = sorted(
        (_read_pull_request(folder) for folder in root.iterdir() if folder.is_dir()), key=lambda pr: pr.number
    )
    for index, pull_request in enumerate(queue, 1):
        if pull_request.number != index:
            raise ValueError(f"the queue's pull requests must be numbered 1, 2, ...: {pull_request.name} is #{index}")
        late = [number for number in pull_request.depends if number >= index]
        if late:
            raise ValueError(f"{pull_request.name} depends on {late}, which do not come before it")
    return queue


def closure(queue, number):
    """Return a pull request and every one it depends on, directly or not, in queue order.

    Args:
        queue (Sequence[PullRequest]): The queue.
        number (int): The pull request's number.

    Returns:
        list[PullRequest]: Its dependencies, then itself.
    """
    needed, pending = set(), [number]
    while pending:
        current = pending.pop()
        if current not in needed:
            needed.add(current)
            pending.extend(queue[current - 1].depends)
    return [pull_request for pull_request in queue if pull_request.number in needed]


def set_author(patch, author):
    """Return a git format-patch email with ``author`` in its ``From:`` header.

    git folds a long header onto continuation lines (starting with a blank), which are replaced with it.

    Args:
        patch (str): A git format-patch email.
        author (str): ``Name <email>``.
    """
    return re.sub(r"^From: .*(?:\n[ \t].*)*$", lambda _: f"From: {author}", patch, count=1, flags=re.M)


def with_author(patch, author):
    """Make a stored patch the sender's: their identity as author, and their sign-off (INC checks the DCO).

    Args:
        patch (str): A git format-patch email.
        author (str): ``Name <email>``.

    Returns:
        str: The email with ``From: author`` and a ``Signed-off-by: author`` trailer ending its message.
    """
    patch = set_author(patch, author)
    message, separator, rest = patch.partition("\n---\n")
    trailer = f"Signed-off-by: {author}"
    if trailer not in message:
        message = message.rstrip("\n") + ("\n" if re.search(r"^Signed-off-by: ", message, flags=re.M) else "\n\n")
        message += trailer
    return message + separator + rest


def write_prs(queue, directory, author=PLACEHOLDER_AUTHOR):
    """Write each pull request into ``directory/NN-slug/``: its patches (with the author set) and description.md.

    Args:
        queue (Sequence[PullRequest]): The pull requests.
        directory (str or Path): The directory; created if missing, and it must hold nothing else.
        author (str, optional): ``Name <email>`` of the sender. Defaults to :data:`PLACEHOLDER_AUTHOR`.

    Raises:
        FileExistsError: The directory holds something that is not one of these pull requests.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = {pull_request.name for pull_request in queue}
    stale = sorted(entry.name for entry in directory.iterdir() if entry.name not in names)
    if stale:
        raise FileExistsError(f"{directory} holds {', '.join(stale)}: use an empty directory")
    for pull_request in queue:
        folder = directory / pull_request.name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.patch"):
            old.unlink()
        (folder / "description.md").write_text(pull_request.description, encoding="utf-8")
        for name, text in pull_request.patches:
            (folder / name).write_text(text if author == PLACEHOLDER_AUTHOR else with_author(text, author), "utf-8")


__all__ = [
    "PLACEHOLDER_AUTHOR",
    "PullRequest",
    "closure",
    "is_test_path",
    "load_queue",
    "set_author",
    "with_author",
    "write_prs",
]
