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
"""The upstream kit: the diff or patch series that moves this fix into INC's repository, and patched copies of INC.

The single diff replaces INC's ``pt2e_quant/utility.py`` and ``pt2e_compat.py`` with this package's modules, makes
INC's half-precision rewriter read ``set_local`` entries through the fixed utility (:func:`_rewriter_edit`), and adds
every ``test_*.py`` under this project's ``test/torch`` as a new file under INC's ``test/torch``, with the package
name rewritten to INC's. A replaced module keeps INC's license header: it is a modification of INC's file, whose
copyright notice the Apache License (section 4(c)) asks us to retain, and the diff stays off lines that do not change.

The series (:func:`build_series`) reaches the same end state in reviewable steps: the reviewed patches stored in
``upstream_data/series`` apply onto INC main one after another, and the last patch is computed as the diff from the
state they leave to the single diff's result, so it absorbs every later change of this package's modules and tests.

:func:`make_patched_copy` copies the installed INC and applies a diff to it with ``git apply``; run with the conftest
of :func:`conftest_text` ``("no_patch")``, tests then import the patched copy and cannot import this package.
"""

import contextlib
import difflib
import hashlib
import importlib.resources
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

_OUR_PACKAGE = "neural_compressor_pt2e_fix"
_INC_PACKAGE = "neural_compressor"
# The directory of the PT2E modules, relative to either package.
_PT2E_DIR = "torch/algorithms/pt2e_quant"
# The modules this fix replaces, in the order the diff lists them.
_MODULES = ("utility.py", "pt2e_compat.py")
# The upstreamable tests: test files under this directory of our project go to the same directory of INC's.
_TEST_DIR = "test/torch"
_TEST_PATTERN = "test_*.py"
# Mode of every file the diff writes (git's mode for a regular, non-executable file).
_MODE = "100644"
# The diff's number of context lines: git's default.
_CONTEXT = 3

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# INC's module of torch version names (TORCH_VERSION_2_11_0 = Version("2.11.0"), ...), which the modules import.
_ENVIRON = f"{_INC_PACKAGE}/torch/utils/environ.py"
# INC's half-precision rewriter, and its one reading of a config's set_local entries, which goes through the fixed
# utility's split_local_configs instead (an op name that INC also files under op types is an op name).
_REWRITER = f"{_INC_PACKAGE}/{_PT2E_DIR}/half_precision_rewriter.py"
_REWRITER_READ = "config._get_op_name_op_type_config()"
_REWRITER_SPLIT = "split_local_configs(config)"
_REWRITER_IMPORT = f"from {_INC_PACKAGE}.{_PT2E_DIR.replace('/', '.')}.utility import split_local_configs\n"
_VERSION_NAME = re.compile(r"\bTORCH_VERSION_(\d+)_(\d+)_(\d+)\b")
# What the diff or series is built against with --inc-src: the replaced modules' directory, INC's version names and
# INC's tests.
INC_TREE = (f"{_INC_PACKAGE}/{_PT2E_DIR}", _ENVIRON, _TEST_DIR)
# The data of the kit (read with importlib.resources) and its directory of the series.
_DATA = "neural_compressor_pt2e_fix.upstream_data"
_SERIES = "series"
# The author and date of every patch of the series (the sender signs off when applying it: `git am -s`).
_SERIES_AUTHOR = "neural-compressor-pt2e-fix authors <neural-compressor-pt2e-fix@users.noreply.github.com>"
_SERIES_DATE = "Sat, 28 Nov 2026 12:00:00 +0000"


def data_text(name):
    """Read a file of the kit's data (``upstream_data``).

    Args:
        name (str): Its path inside ``upstream_data``, e.g. ``"no_patch_conftest.py"``.

    Returns:
        str: Its content.
    """
    return importlib.resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")


def conftest_text(kind):
    """Return a conftest.py for a test run on a copy of INC.

    Args:
        kind (str): ``"no_patch"``: tests of INC patched by the diff or series, which must not import this package
            (nor the modules named in ``UPSTREAM_CHECK_BLOCKED``); ``"runtime_patch"``: tests of the installed INC
            with :func:`neural_compressor_pt2e_fix.apply_patch`.

    Returns:
        str: The conftest's content.
    """
    return data_text(f"{kind}_conftest.py")


@dataclass(frozen=True)
class UpstreamFile:
    """One file of the upstream diff.

    Attributes:
        path (str): The path relative to INC's repository root, with ``/`` separators.
        old (str or None): The content in INC, or None for a file the diff adds.
        new (str): The content after the diff.
    """

    path: str
    old: str | None
    new: str


def _read(path):
    """Read a UTF-8 text file exactly, line endings included.

    Args:
        path (Path): The file.

    Returns:
        str: Its content.
    """
    return path.read_bytes().decode("utf-8")


def _split_header(text):
    """Split a module into its leading comment block (the license header) and the rest.

    Args:
        text (str): The module source.

    Returns:
        tuple[str, str]: The header (every leading line that starts with ``#``) and the rest of the source.
    """
    lines = text.splitlines(keepends=True)
    count = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[:count]), "".join(lines[count:])


def _rewrite(text, source):
    """Rewrite this package's imports of its ``torch`` modules to INC's, and refuse any other use of this package.

    Only ``neural_compressor_pt2e_fix.torch.`` paths have a counterpart in INC (``neural_compressor.torch.``); a
    file that still names this package after the rewrite (``apply_patch``, the demo, the CLI) cannot go to INC.

    Args:
        text (str): A module or test of this project.
        source (Path): Its path, for the error message.

    Returns:
        str: The text with the package path ``neural_compressor_pt2e_fix.torch`` replaced by ``neural_compressor.torch``.

    Raises:
        ValueError: The text names this package other than as the prefix of a ``torch`` module path.
    """
    text = re.sub(rf"\b{_OUR_PACKAGE}\.torch\b", f"{_INC_PACKAGE}.torch", text)
    lines = [str(number) for number, line in enumerate(text.splitlines(), 1) if _OUR_PACKAGE in line]
    if lines:
        raise ValueError(
            f"{source} cannot be upstreamed: line {', '.join(lines)} names {_OUR_PACKAGE} after the import rewrite "
            f"(only {_OUR_PACKAGE}.torch.<module> paths have a counterpart in INC; INC has no apply_patch, demo or "
            "CLI, so tests under test/torch must not use them)"
        )
    return text


def installed_inc_root():
    """Find the directory that holds the installed INC package, laid out like INC's repository root.

    Returns:
        Path: The directory whose ``neural_compressor/torch/algorithms/pt2e_quant`` is the installed INC's (without
        importing INC or torch).

    Raises:
        FileNotFoundError: INC is not installed, or has no PT2E modules.
    """
    spec = importlib.util.find_spec(_INC_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / _PT2E_DIR).is_dir():
            return Path(location).parent
    raise FileNotFoundError(
        f"no installed {_INC_PACKAGE} with {_PT2E_DIR}: install neural-compressor-pt, or pass --inc-src DIR"
    )


def upstream_files(inc_src=None, project_root=PROJECT_ROOT):
    """List the files of the upstream diff with their content before and after.

    Args:
        inc_src (str or Path, optional): An INC repository work tree; defaults to the installed INC package, which
            has no tests, so only a work tree can show that an added test would overwrite one of INC's.
        project_root (Path, optional): The root of this project's source tree. Defaults to this checkout.

    Returns:
        list[UpstreamFile]: The replaced modules, then the added tests sorted by path; files equal in both are left
        out.

    Raises:
        FileNotFoundError: ``inc_src`` is not an INC work tree, or ``project_root`` has no ``test/torch``.
        ValueError: An added test exists in INC already, or a file names this package after the import rewrite.
    """
    inc_root = Path(inc_src) if inc_src is not None else installed_inc_root()
    if not (inc_root / _INC_PACKAGE / _PT2E_DIR).is_dir():
        raise FileNotFoundError(f"{inc_root} is not an INC work tree: it has no {_INC_PACKAGE}/{_PT2E_DIR}")
    test_root = Path(project_root) / _TEST_DIR
    if not test_root.is_dir():
        raise FileNotFoundError(
            f"{test_root} not found: the upstream diff is built from a source checkout of neural-compressor-pt2e-fix"
        )
    files = []
    for module in _MODULES:
        ours = Path(project_root) / _OUR_PACKAGE / _PT2E_DIR / module
        path = f"{_INC_PACKAGE}/{_PT2E_DIR}/{module}"
        new = _rewrite(_read(ours), ours)
        old = _read(inc_root / path) if (inc_root / path).is_file() else None
        if old is not None:
            new = _split_header(old)[0] + _split_header(new)[1]
        files.append(UpstreamFile(path, old, new))
    files += _environ_backport(inc_root, [file.new for file in files])
    files += _rewriter_edit(inc_root)
    for test in sorted(test_root.rglob(_TEST_PATTERN)):
        path = f"{_TEST_DIR}/{test.relative_to(test_root).as_posix()}"
        if (inc_root / path).exists():
            raise ValueError(f"{test} cannot be added to INC: {inc_root / path} exists; rename our test file")
        files.append(UpstreamFile(path, None, _rewrite(_read(test), test)))
    return [file for file in files if file.old != file.new]


def _environ_backport(inc_root, modules):
    """Add to an old INC's ``environ.py`` the ``TORCH_VERSION_*`` names that the modules use and it lacks.

    INC main has every name the modules use, so the diff against it leaves ``environ.py`` alone; INC before v3.8.1
    (e.g. 3.0.2) lacks ``TORCH_VERSION_2_11_0``, and the diff against it defines the name as INC main does.

    Args:
        inc_root (Path): The INC base.
        modules (Sequence[str]): The new contents of the replaced modules.

    Returns:
        list[UpstreamFile]: ``environ.py`` with the missing names after its last ``TORCH_VERSION_*`` line, or nothing
        when none is missing or the base has no ``environ.py``.
    """
    path = inc_root / _ENVIRON
    if not path.is_file():
        return []
    old = _read(path)
    used = dict.fromkeys(match.group(0) for text in modules for match in _VERSION_NAME.finditer(text))
    missing = [name for name in used if not re.search(rf"^{name} = ", old, flags=re.M)]
    if not missing:
        return []
    lines = "".join(f'{name} = Version("{".".join(_VERSION_NAME.fullmatch(name).groups())}")\n' for name in missing)
    end = [match.end() for match in re.finditer(r"^TORCH_VERSION_\w+ = .*\n", old, flags=re.M)][-1]
    return [UpstreamFile(_ENVIRON, old, old[:end] + lines + old[end:])]


def _rewriter_edit(inc_root):
    """Make INC's half-precision rewriter read the set_local entries of a config through ``split_local_configs``.

    Every INC release (3.0.2 to main) reads them with ``config._get_op_name_op_type_config()`` and looks each op-type
    key up in ``torch.nn``, which fails at convert on an op name that INC files under op types as well (with
    intel_extension_for_pytorch imported; INC<3.2 always).

    Args:
        inc_root (Path): The INC base.

    Returns:
        list[UpstreamFile]: The rewriter with the import after INC's last ``from neural_compressor...`` import and its
        reading replaced, or nothing when the base has no rewriter.

    Raises:
        ValueError: The rewriter does not read the entries exactly once as every INC release does.
    """
    path = inc_root / _REWRITER
    if not path.is_file():
        return []
    old = _read(path)
    if old.count(_REWRITER_READ) != 1:
        raise ValueError(
            f"{path} reads {_REWRITER_READ} {old.count(_REWRITER_READ)} times, not once as INC 3.0.2 to main"
        )
    end = [match.end() for match in re.finditer(rf"^from {_INC_PACKAGE}\.\S+ import .*\n", old, flags=re.M)][-1]
    new = old[:end] + _REWRITER_IMPORT + old[end:]
    return [UpstreamFile(_REWRITER, old, new.replace(_REWRITER_READ, _REWRITER_SPLIT))]


def _blob_id(text):
    """Compute git's object id of a file content, as ``git hash-object`` does.

    Args:
        text (str or None): The content; None for no file.

    Returns:
        str: The 40-digit id, or forty zeros for no file.
    """
    if text is None:
        return "0" * 40
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _file_diff(file):
    """Format the git diff of one file.

    Args:
        file (UpstreamFile): The file.

    Returns:
        str: The ``diff --git`` section of the file, with full blob ids so that ``git apply --3way`` can use them.
    """
    header = [f"diff --git a/{file.path} b/{file.path}\n"]
    if file.old is None:
        header += [f"new file mode {_MODE}\n", f"index {_blob_id(None)}..{_blob_id(file.new)}\n"]
    else:
        header += [f"index {_blob_id(file.old)}..{_blob_id(file.new)} {_MODE}\n"]
    lines = difflib.unified_diff(
        (file.old or "").splitlines(keepends=True),
        file.new.splitlines(keepends=True),
        "/dev/null" if file.old is None else f"a/{file.path}",
        f"b/{file.path}",
        n=_CONTEXT,
    )
    body = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
    return "".join(header + body)


def format_diff(files):
    """Format the git diff of the given files.

    Args:
        files (Sequence[UpstreamFile]): The files, e.g. from :func:`upstream_files`.

    Returns:
        str: The git diff; ``git apply`` at INC's repository root applies it.
    """
    return "".join(_file_diff(file) for file in files)


def diff_stats(diff):
    """Count the files and the added and removed lines of a git diff, as ``git apply --numstat`` does.

    Args:
        diff (str): The diff.

    Returns:
        tuple[int, int, int]: The number of files, of added lines and of removed lines.
    """
    files = added = removed = 0
    in_hunks = False
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            files, in_hunks = files + 1, False
        elif line.startswith("@@"):
            in_hunks = True
        elif in_hunks:
            added += line.startswith("+")
            removed += line.startswith("-")
    return files, added, removed


def build_diff(inc_src=None, project_root=PROJECT_ROOT):
    """Build the upstream diff.

    Args:
        inc_src (str or Path, optional): An INC work tree or git directory; defaults to the installed INC package.
        project_root (Path, optional): The root of this project's source tree. Defaults to this checkout.

    Returns:
        str: The git diff; ``git apply`` at INC's repository root applies it.

    Raises:
        FileNotFoundError: ``inc_src`` is not an INC work tree, or ``project_root`` has no ``test/torch``.
        ValueError: An added test exists in INC already, or a file names this package after the import rewrite.
    """
    with inc_tree(inc_src) as root:
        return format_diff(upstream_files(root, project_root))


def _git(*args, cwd, stdin=None):
    """Run git, turning a failure into an error that carries git's message.

    Args:
        *args (str): The git arguments.
        cwd (Path): The working directory.
        stdin (str, optional): Text for git's standard input.

    Returns:
        str: git's standard output.

    Raises:
        RuntimeError: git exited with a non-zero status.
    """
    result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def apply_diff(diff, root, check_only=False):
    """Apply a diff at the root of an INC tree with ``git apply``.

    Args:
        diff (str): The diff.
        root (Path): The directory that plays INC's repository root; made a git repository if it is not one, so
            that git applies the paths relative to it.
        check_only (bool, optional): Only check that the diff applies (``git apply --check``). Defaults to False.

    Raises:
        RuntimeError: The diff does not apply.
    """
    root = Path(root)
    if not (root / ".git").exists():
        _git("init", "--quiet", cwd=root)
    _git("apply", *(["--check"] if check_only else []), "-", cwd=root, stdin=diff)


def make_patched_copy(diffs, dest):
    """Copy the installed INC package into ``dest/neural_compressor`` and apply diffs there, in order.

    Args:
        diffs (str or Sequence[str]): The upstream diff, or the patches of the series (or its first steps), built
            against the installed INC.
        dest (Path): An empty or missing directory; it becomes a git repository laid out like INC's.

    Returns:
        Path: ``dest``; with it first on ``PYTHONPATH``, ``import neural_compressor`` imports the patched copy.

    Raises:
        FileNotFoundError: INC is not installed.
        RuntimeError: A diff does not apply.
    """
    dest = Path(dest)
    shutil.copytree(
        installed_inc_root() / _INC_PACKAGE, dest / _INC_PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
    )
    for diff in [diffs] if isinstance(diffs, str) else diffs:
        apply_diff(diff, dest)
    return dest


def export_inc_tree(inc_src, dest, paths):
    """Export files of an INC repository into a work tree, from a work tree or a git directory.

    A git directory (e.g. a bare mirror) is read at ``HEAD`` with ``git archive``, which reads only the blobs of the
    requested paths: a full checkout of INC may fail on large files a mirror does not hold.

    Args:
        inc_src (str or Path): An INC work tree, or an INC git directory.
        dest (Path): The directory to export into, laid out like INC's repository root.
        paths (Sequence[str]): Files or directories relative to INC's repository root.

    Returns:
        Path: ``dest``.

    Raises:
        FileNotFoundError: ``inc_src`` is neither, or lacks one of ``paths``.
        RuntimeError: git could not read the git directory.
    """
    inc_src, dest = Path(inc_src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if is_git_dir(inc_src):
        archive = subprocess.run(
            ["git", f"--git-dir={inc_src}", "archive", "--format=tar", "HEAD", "--", *paths],
            capture_output=True,
            check=False,
        )
        if archive.returncode:
            raise RuntimeError(f"git archive of {', '.join(paths)} failed in {inc_src}: {archive.stderr.decode()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
        return dest
    for path in paths:
        source = inc_src / path
        if source.is_dir():
            shutil.copytree(source, dest / path, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        elif source.is_file():
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / path)
        else:
            raise FileNotFoundError(f"{inc_src} is neither an INC work tree nor a git directory with {path}")
    return dest


def is_git_dir(path):
    """Tell whether a directory is a git directory (e.g. a bare clone), not a work tree.

    Args:
        path (Path): The directory.

    Returns:
        bool: Whether it holds git's objects and HEAD itself.
    """
    return (Path(path) / "objects").is_dir() and (Path(path) / "HEAD").is_file()


@contextlib.contextmanager
def inc_tree(inc_src=None):
    """Provide an INC tree to build the diff or series against.

    Args:
        inc_src (str or Path, optional): An INC work tree (used in place), or a git directory (its ``HEAD`` is
            exported to a temporary directory, :data:`INC_TREE` paths only). Defaults to the installed INC package.

    Yields:
        Path: The directory laid out like INC's repository root.
    """
    if inc_src is None or not is_git_dir(inc_src):
        yield Path(inc_src) if inc_src is not None else installed_inc_root()
        return
    with tempfile.TemporaryDirectory(prefix="inc-src-") as tmp:
        yield export_inc_tree(inc_src, tmp, INC_TREE)


def _diff_paths(diff):
    """List the paths a git diff touches, in its order.

    Args:
        diff (str): The diff, possibly inside a format-patch email.

    Returns:
        list[str]: The paths of its ``diff --git`` headers.
    """
    return re.findall(r"^diff --git a/(\S+) b/", diff, flags=re.M)


def stored_patches():
    """Read the reviewed patches of the series, in order.

    Returns:
        list[tuple[str, str]]: (file name, git format-patch text) for each ``series/NNNN-*.patch`` of the data.
    """
    folder = importlib.resources.files(_DATA).joinpath(_SERIES)
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8")) for entry in folder.iterdir() if entry.name.endswith(".patch")
    )


def _last_patch_message():
    """Read the commit message of the series' computed last patch.

    Returns:
        tuple[str, str]: Its file name with ``.patch`` for ``.msg``, and the message (subject line, blank, body).
    """
    folder = importlib.resources.files(_DATA).joinpath(_SERIES)
    (entry,) = [entry for entry in folder.iterdir() if entry.name.endswith(".msg")]
    return entry.name.removesuffix(".msg") + ".patch", entry.read_text(encoding="utf-8")


def _format_patch(message, files):
    """Format one patch of the series as ``git format-patch`` does.

    Args:
        message (str): The commit message: subject line, blank line, body.
        files (Sequence[UpstreamFile]): The files it changes.

    Returns:
        str: The email: From line, author, date, ``Subject: [PATCH] ...``, body, ``---``, stat and the diff.
    """
    subject, _, body = message.partition("\n")
    diff = format_diff(files)
    count, added, removed = diff_stats(diff)
    stat = "".join(f" {file.path}\n" for file in files)
    return (
        f"From {'0' * 40} Mon Sep 17 00:00:00 2001\nFrom: {_SERIES_AUTHOR}\nDate: {_SERIES_DATE}\n"
        f"Subject: [PATCH] {subject}\n\n{body.strip()}\n---\n{stat} {count} files changed, {added} insertions(+), "
        f"{removed} deletions(-)\n\n{diff}"
    )


def _number(text, index, total, name):
    """Number a patch's subject ``[PATCH index/total]``.

    Args:
        text (str): The patch, with ``Subject: [PATCH] ``.
        index (int): Its position, from 1.
        total (int): The number of patches.
        name (str): Its file name, for the error message.

    Returns:
        str: The numbered patch.

    Raises:
        ValueError: The patch has no ``Subject: [PATCH] `` line.
    """
    numbered, count = re.subn(r"^Subject: \[PATCH\] ", f"Subject: [PATCH {index}/{total}] ", text, count=1, flags=re.M)
    if not count:
        raise ValueError(f"{name} is not a git format-patch email with a 'Subject: [PATCH] ' line")
    return numbered


def _last_patch_files(root, tree, end, touched):
    """List the files of the last patch: from the state the stored patches leave to the package's end state.

    Args:
        root (Path): The INC base.
        tree (Path): The base with the stored patches applied.
        end (dict[str, UpstreamFile]): The single diff's files, by path.
        touched (list[str]): The paths the stored patches touch.

    Returns:
        list[UpstreamFile]: The files whose content differs between the two states.

    Raises:
        ValueError: A stored patch adds a file that the end state lacks.
    """
    files = []
    for path in [*end, *(path for path in touched if path not in end)]:
        old = _read(tree / path) if (tree / path).is_file() else None
        new = end[path].new if path in end else (_read(root / path) if (root / path).is_file() else None)
        if new is None:
            raise ValueError(
                f"the stored series adds {path}, which the end state lacks: add it to this project's tests"
            )
        if old != new:
            files.append(UpstreamFile(path, old, new))
    return files


def build_series(inc_src=None, project_root=PROJECT_ROOT):
    """Build the upstream series: the stored patches, then the diff from the state they leave to the end state.

    The end state is the single diff's result (:func:`upstream_files`), so the whole series reaches exactly what
    :func:`build_diff` does, whatever the package's modules and tests are at the time.

    Args:
        inc_src (str or Path, optional): An INC work tree or git directory at INC main; defaults to the installed
            INC package (INC 3.10's PT2E modules are INC main's).
        project_root (Path, optional): The root of this project's source tree. Defaults to this checkout.

    Returns:
        list[tuple[str, str]]: (file name ``NNNN-<slug>.patch``, text in git format-patch form), in order, subjects
        numbered ``[PATCH i/N]``.

    Raises:
        RuntimeError: A stored patch does not apply onto the INC base after the patches before it.
        ValueError: A stored patch adds a file the end state lacks, or see :func:`upstream_files`.
    """
    stored = stored_patches()
    last_name, message = _last_patch_message()
    with inc_tree(inc_src) as root, tempfile.TemporaryDirectory(prefix="inc-series-") as tmp:
        end = {file.path: file for file in upstream_files(root, project_root)}
        tree = Path(tmp)
        shutil.copytree(
            root / _INC_PACKAGE / _PT2E_DIR,
            tree / _INC_PACKAGE / _PT2E_DIR,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        touched = []
        for name, text in stored:
            try:
                apply_diff(text, tree)
            except RuntimeError as exc:
                raise RuntimeError(
                    f"{name} does not apply onto {inc_src or root} after the patches before it: {exc}"
                ) from exc
            touched += [path for path in _diff_paths(text) if path not in touched]
        files = _last_patch_files(root, tree, end, touched)
    patches = [*stored, (last_name, _format_patch(message, files))]
    return [(name, _number(text, index, len(patches), name)) for index, (name, text) in enumerate(patches, 1)]


def write_series(patches, directory):
    """Write the series' patches into a directory.

    Args:
        patches (Sequence[tuple[str, str]]): (file name, text), e.g. from :func:`build_series`.
        directory (str or Path): The directory; created if missing.

    Raises:
        FileExistsError: The directory holds a ``*.patch`` file of another series, which ``git am DIR/*.patch``
            would apply too.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stale = sorted(path.name for path in directory.glob("*.patch") if path.name not in dict(patches))
    if stale:
        raise FileExistsError(f"{directory} holds other patches ({', '.join(stale)}): use an empty directory")
    for name, text in patches:
        (directory / name).write_text(text, encoding="utf-8")


def run_pytest(root, conftest, pytest_args, python=sys.executable, timeout=None, env=None):
    """Run pytest in a subprocess on a test tree outside this project, with a conftest of our choosing.

    Writes ``root/conftest.py`` and an empty ``root/pytest.ini`` (so no configuration of an enclosing directory
    applies), puts ``root`` first on ``PYTHONPATH`` and runs pytest with ``root`` as working directory, writing no
    bytecode into the tree.

    Args:
        root (Path): The test tree, laid out like INC's repository root.
        conftest (str): The content of ``root/conftest.py``, e.g. ``conftest_text("no_patch")``.
        pytest_args (Sequence[str]): Test paths and options, relative to ``root``.
        python (str, optional): The interpreter. Defaults to the running one.
        timeout (float, optional): Seconds before the run is killed. Defaults to no limit.
        env (dict, optional): Extra environment variables for the run.

    Returns:
        subprocess.CompletedProcess: The finished run, with its output as text.
    """
    root = Path(root)
    (root / "conftest.py").write_text(conftest, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    pythonpath = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, **(env or {}), PYTHONPATH=pythonpath, PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _note_missing_modules(files):
    """Print a note for each file where the INC base is older than INC main: a module it lacks, version names.

    Args:
        files (Sequence[UpstreamFile]): The files of the single diff.
    """
    for file in files:
        if file.path == _ENVIRON:
            print(
                f"note: the INC base lacks torch version names that INC main has; the diff adds them to {file.path}",
                file=sys.stderr,
            )
        elif file.old is None and not file.path.startswith(_TEST_DIR + "/"):
            print(
                f"note: the INC base has no {file.path}, so the diff adds it; INC main has it: for the pull request, "
                "diff against an INC main work tree or git directory (--inc-src) or the installed INC 3.10",
                file=sys.stderr,
            )


def run(args):
    """Run ``inc-pt2e-fix upstream-diff``: write the diff to a file or standard output, or the series to a directory.

    Args:
        args (argparse.Namespace): ``inc_src`` (an INC work tree, git directory or None), ``output`` (a path or
            None) and ``series`` (a directory or None).

    Returns:
        int: 0.
    """
    if args.series:
        patches = build_series(args.inc_src)
        write_series(patches, args.series)
        for name, text in patches:
            count, added, removed = diff_stats(text[text.index("\ndiff --git ") + 1 :])
            print(f"wrote {Path(args.series) / name}: {count} files, +{added} -{removed} lines", file=sys.stderr)
        return 0
    with inc_tree(args.inc_src) as root:
        files = upstream_files(root)
    _note_missing_modules(files)
    diff = format_diff(files)
    if args.output:
        Path(args.output).write_text(diff, encoding="utf-8")
        count, added, removed = diff_stats(diff)
        print(f"wrote {args.output}: {count} files, +{added} -{removed} lines", file=sys.stderr)
    else:
        sys.stdout.write(diff)
    return 0
