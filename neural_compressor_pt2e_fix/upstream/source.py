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
"""INC's source: a work tree, a git directory (e.g. a bare mirror) or the installed package."""

import importlib.util
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

INC_PACKAGE = "neural_compressor"
# The directory of INC's PT2E modules, relative to its repository root.
PT2E_DIR = f"{INC_PACKAGE}/torch/algorithms/pt2e_quant"


def is_git_dir(path):
    """Tell whether a directory is a git directory (e.g. a bare clone), not a work tree.

    Args:
        path (str or Path): The directory.

    Returns:
        bool: Whether it holds git's objects and HEAD itself.
    """
    return (Path(path) / "objects").is_dir() and (Path(path) / "HEAD").is_file()


def installed_inc_root():
    """Find the directory that holds the installed INC package, laid out like INC's repository root.

    Returns:
        Path: The directory whose ``neural_compressor/torch/algorithms/pt2e_quant`` is the installed INC's (found
        without importing INC or torch).

    Raises:
        FileNotFoundError: INC is not installed, or has no PT2E modules.
    """
    spec = importlib.util.find_spec(INC_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location).parent / PT2E_DIR).is_dir():
            return Path(location).parent
    raise FileNotFoundError(f"no installed {INC_PACKAGE} with {PT2E_DIR}: install neural-compressor-pt")


def existing_paths(inc_src, paths):
    """Keep the paths that exist in an INC source (files, or directories holding files).

    Args:
        inc_src (str or Path): An INC work tree or git directory.
        paths (Iterable[str]): Paths relative to INC's repository root.

    Returns:
        list[str]: Those of ``paths`` that exist there, in their order.
    """
    inc_src = Path(inc_src)
    if not is_git_dir(inc_src):
        return [path for path in paths if (inc_src / path).exists()]
    listed = subprocess.run(
        ["git", f"--git-dir={inc_src}", "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True, text=True
    ).stdout.splitlines()
    return [path for path in paths if any(name == path or name.startswith(path + "/") for name in listed)]


def export_inc_tree(inc_src, dest, paths):
    """Export files of an INC repository into a directory laid out like its root.

    A git directory is read at ``HEAD`` with ``git archive``, which reads only the blobs of the requested paths: a
    full checkout of INC may fail on large files a mirror does not hold.

    Args:
        inc_src (str or Path): An INC work tree, or an INC git directory.
        dest (str or Path): The directory to export into.
        paths (Sequence[str]): Files or directories relative to INC's repository root; each must exist.

    Returns:
        Path: ``dest``.

    Raises:
        FileNotFoundError: ``inc_src`` lacks one of ``paths``.
        RuntimeError: git could not read the git directory.
    """
    inc_src, dest = Path(inc_src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if is_git_dir(inc_src):
        archive = subprocess.run(
            ["git", f"--git-dir={inc_src}", "archive", "--format=tar", "HEAD", "--", *paths], capture_output=True
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
            raise FileNotFoundError(f"{inc_src} has no {path}: pass an INC work tree or git directory")
    return dest


__all__ = ["INC_PACKAGE", "PT2E_DIR", "existing_paths", "export_inc_tree", "installed_inc_root", "is_git_dir"]
