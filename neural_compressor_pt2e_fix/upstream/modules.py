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
"""This package's upstream modules as INC spells them, and their comparison with an INC tree.

The modules under ``neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant`` are INC main's with every pull request
of the queue applied: equal after the license header, with ``neural_compressor_pt2e_fix.torch.`` written
``neural_compressor.torch.``. (``torch/utils/environ.py`` is not one of them: it back-ports INC's torch version
names to releases that lack them, and upstream the modules import INC's own.)
"""

import importlib.resources
import re
from pathlib import Path

from neural_compressor_pt2e_fix.upstream.source import PT2E_DIR

_OUR_PACKAGE = "neural_compressor_pt2e_fix"
_OUR_PT2E = f"{_OUR_PACKAGE}.torch.algorithms.pt2e_quant"
# The modules that go upstream, by file name in the PT2E directory.
UPSTREAM_MODULES = ("observers.py", "pt2e_compat.py", "stack_probes.py", "support.py", "utility.py", "x86_quantizer.py")


def rewrite(text, source):
    """Spell this package's ``torch`` module paths as INC's, and refuse any other use of this package.

    Args:
        text (str): A module of this package.
        source (str): Its name, for the error message.

    Returns:
        str: The text with ``neural_compressor_pt2e_fix.torch`` replaced by ``neural_compressor.torch``.

    Raises:
        ValueError: The text names this package other than as the prefix of a ``torch`` module path.
    """
    text = re.sub(rf"\b{_OUR_PACKAGE}\.torch\b", "neural_compressor.torch", text)
    lines = [str(number) for number, line in enumerate(text.splitlines(), 1) if _OUR_PACKAGE in line]
    if lines:
        raise ValueError(f"{source} cannot go upstream: line {', '.join(lines)} names {_OUR_PACKAGE} after the rewrite")
    return text


def split_header(text):
    """Split a module into its leading comment block (the license header) and the rest.

    Args:
        text (str): The module source.

    Returns:
        tuple[str, str]: The header (every leading line that starts with ``#``) and the rest.
    """
    lines = text.splitlines(keepends=True)
    count = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[:count]), "".join(lines[count:])


def upstream_body(name):
    """Return one of this package's upstream modules as INC spells it, without its license header.

    Args:
        name (str): A file name of :data:`UPSTREAM_MODULES`.

    Returns:
        str: The module's body, rewritten (see :func:`rewrite`).
    """
    text = importlib.resources.files(_OUR_PT2E).joinpath(name).read_text(encoding="utf-8")
    return rewrite(split_header(text)[1], f"{_OUR_PT2E}.{name.removesuffix('.py')}")


def module_differences(tree):
    """Compare this package's upstream modules with an INC tree's (e.g. INC main with the queue applied).

    Args:
        tree (str or Path): A directory laid out like INC's repository root.

    Returns:
        list[str]: One line per module that differs or is missing there; empty when they are equal.
    """
    differences = []
    for name in UPSTREAM_MODULES:
        path = Path(tree) / PT2E_DIR / name
        if not path.is_file():
            differences.append(f"{PT2E_DIR}/{name}: missing")
        elif split_header(path.read_text(encoding="utf-8"))[1] != upstream_body(name):
            differences.append(f"{PT2E_DIR}/{name}: differs from {_OUR_PT2E}.{name.removesuffix('.py')}")
    return differences


__all__ = ["UPSTREAM_MODULES", "module_differences", "rewrite", "split_header", "upstream_body"]
