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
"""The upstream kit: the git diff that moves this fix into INC's repository, and a patched copy of INC to test it.

The diff replaces INC's ``pt2e_quant/utility.py`` and ``pt2e_compat.py`` with this package's modules and adds every
``test_*.py`` under this project's ``test/torch`` as a new file under INC's ``test/torch``, with the package name
rewritten to INC's. A replaced module keeps INC's license header: it is a modification of INC's file, whose
copyright notice the Apache License (section 4(c)) asks us to retain, and the diff stays off lines that do not change.

:func:`make_patched_copy` copies the installed INC and applies a diff to it with ``git apply``; run with
:data:`NO_PATCH_CONFTEST`, tests then import the patched copy and cannot import this package.
"""

import difflib
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
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

# conftest.py for a run of tests on a patched copy of INC: it refuses any import of this package, and fails the run
# unless INC's PT2E utility module is imported from the directory of the conftest (the patched copy).
NO_PATCH_CONFTEST = '''"""Run tests on the patched copy of INC in this directory, without neural_compressor_pt2e_fix."""

import sys
from pathlib import Path

_BLOCKED = "neural_compressor_pt2e_fix"


class _BlockOurPackage:
    """Make any import of the fix package fail: the patched INC must work on its own."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == _BLOCKED:
            raise ImportError(f"{name} must not be imported: these tests run on INC patched by the upstream diff")
        return None


assert _BLOCKED not in sys.modules, f"{_BLOCKED} was imported before the tests started"
sys.meta_path.insert(0, _BlockOurPackage())

import neural_compressor.torch.algorithms.pt2e_quant.utility as _utility  # noqa: E402

_HERE = Path(__file__).resolve().parent
assert Path(_utility.__file__).resolve().is_relative_to(_HERE), f"INC imported from {_utility.__file__}, not {_HERE}"


def pytest_sessionfinish(session, exitstatus):
    imported = sorted(name for name in sys.modules if name.split(".")[0] == _BLOCKED)
    if imported:
        print(f"\\nFAILED: the tests imported {', '.join(imported)}")
        session.exitstatus = 1
'''


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
    """Rewrite this package's imports to INC's, and refuse a file that would still name this package.

    Args:
        text (str): A module or test of this project.
        source (Path): Its path, for the error message.

    Returns:
        str: The text with ``neural_compressor_pt2e_fix.`` replaced by ``neural_compressor.``.

    Raises:
        ValueError: The text names this package other than as the prefix of a dotted module path.
    """
    text = text.replace(f"{_OUR_PACKAGE}.", f"{_INC_PACKAGE}.")
    lines = [str(number) for number, line in enumerate(text.splitlines(), 1) if _OUR_PACKAGE in line]
    if lines:
        raise ValueError(
            f"{source} cannot be upstreamed: line {', '.join(lines)} names {_OUR_PACKAGE} after the import rewrite "
            f"(only {_OUR_PACKAGE}.<module> paths are rewritten; INC has no apply_patch, so tests must not call it)"
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
    for test in sorted(test_root.rglob(_TEST_PATTERN)):
        path = f"{_TEST_DIR}/{test.relative_to(test_root).as_posix()}"
        if (inc_root / path).exists():
            raise ValueError(f"{test} cannot be added to INC: {inc_root / path} exists; rename our test file")
        files.append(UpstreamFile(path, None, _rewrite(_read(test), test)))
    return [file for file in files if file.old != file.new]


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
        inc_src (str or Path, optional): An INC repository work tree; defaults to the installed INC package.
        project_root (Path, optional): The root of this project's source tree. Defaults to this checkout.

    Returns:
        str: The git diff; ``git apply`` at INC's repository root applies it.

    Raises:
        FileNotFoundError: ``inc_src`` is not an INC work tree, or ``project_root`` has no ``test/torch``.
        ValueError: An added test exists in INC already, or a file names this package after the import rewrite.
    """
    return format_diff(upstream_files(inc_src, project_root))


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


def make_patched_copy(diff, dest):
    """Copy the installed INC package into ``dest/neural_compressor`` and apply the diff there.

    Args:
        diff (str): The upstream diff, built against the installed INC.
        dest (Path): An empty or missing directory; it becomes a git repository laid out like INC's.

    Returns:
        Path: ``dest``; with it first on ``PYTHONPATH``, ``import neural_compressor`` imports the patched copy.

    Raises:
        FileNotFoundError: INC is not installed.
        RuntimeError: The diff does not apply.
    """
    dest = Path(dest)
    shutil.copytree(
        installed_inc_root() / _INC_PACKAGE, dest / _INC_PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
    )
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
    if (inc_src / "objects").is_dir() and (inc_src / "HEAD").is_file():
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


def run_pytest(root, conftest, pytest_args, python=sys.executable, timeout=None):
    """Run pytest in a subprocess on a test tree outside this project, with a conftest of our choosing.

    Writes ``root/conftest.py`` and an empty ``root/pytest.ini`` (so no configuration of an enclosing directory
    applies), puts ``root`` first on ``PYTHONPATH`` and runs pytest with ``root`` as working directory, writing no
    bytecode into the tree.

    Args:
        root (Path): The test tree, laid out like INC's repository root.
        conftest (str): The content of ``root/conftest.py``, e.g. :data:`NO_PATCH_CONFTEST`.
        pytest_args (Sequence[str]): Test paths and options, relative to ``root``.
        python (str, optional): The interpreter. Defaults to the running one.
        timeout (float, optional): Seconds before the run is killed. Defaults to no limit.

    Returns:
        subprocess.CompletedProcess: The finished run, with its output as text.
    """
    root = Path(root)
    (root / "conftest.py").write_text(conftest, encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    pythonpath = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def run(args):
    """Run ``inc-pt2e-fix upstream-diff``: write the diff to a file or to standard output.

    Args:
        args (argparse.Namespace): ``inc_src`` (an INC work tree or None) and ``output`` (a path or None).

    Returns:
        int: 0.
    """
    files = upstream_files(args.inc_src)
    diff = format_diff(files)
    for file in files:
        if file.old is None and not file.path.startswith(_TEST_DIR + "/"):
            print(
                f"note: the INC base has no {file.path}, so the diff adds it; INC main has it: for the pull request, "
                "diff against an INC main work tree (--inc-src) or the installed INC 3.10",
                file=sys.stderr,
            )
    if args.output:
        Path(args.output).write_text(diff, encoding="utf-8")
        count, added, removed = diff_stats(diff)
        print(f"wrote {args.output}: {count} files, +{added} -{removed} lines", file=sys.stderr)
    else:
        sys.stdout.write(diff)
    return 0
