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
"""conftest.py of a test run on a patched copy of INC in its directory, without neural_compressor_pt2e_fix.

Any import of neural_compressor_pt2e_fix fails, and so does any import of a top-level module named in the environment
variable ``UPSTREAM_CHECK_BLOCKED`` (comma-separated, e.g. ``hypothesis``: INC's CI does not install it). The run
fails unless INC's PT2E utility module is imported from this directory.
"""

import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path

_OURS = "neural_compressor_pt2e_fix"
_BLOCKED = {_OURS, *filter(None, os.environ.get("UPSTREAM_CHECK_BLOCKED", "").split(","))}


class _AbsentLoader(importlib.abc.Loader):
    """Fail the import of a blocked module as if it were not installed."""

    def create_module(self, spec):
        """Raise the error of a missing module."""
        reason = "this package must not be imported" if spec.name.split(".")[0] == _OURS else "not in INC's CI"
        raise ModuleNotFoundError(
            f"No module named {spec.name!r} ({reason}: these tests run on INC patched by the upstream diff or series)",
            name=spec.name,
        )

    def exec_module(self, module):
        """Never reached: create_module raises."""
        raise AssertionError(module)


class _Blocker:
    """Find blocked modules with a loader that fails, so that find_spec answers and import fails.

    Returning a spec instead of raising keeps ``importlib.util.find_spec(name)`` (used by torch._dynamo to list
    optional packages) working.
    """

    def find_spec(self, name, path=None, target=None):
        """Return a failing spec for a blocked module; leave every other import to the next finder."""
        if name.split(".")[0] in _BLOCKED:
            return importlib.machinery.ModuleSpec(name, _AbsentLoader(), origin=None)
        return None


assert not _BLOCKED & set(sys.modules), f"{', '.join(sorted(_BLOCKED & set(sys.modules)))} imported before the tests"
sys.meta_path.insert(0, _Blocker())

import neural_compressor.torch.algorithms.pt2e_quant.utility as _utility  # noqa: E402

_HERE = Path(__file__).resolve().parent
assert Path(_utility.__file__).resolve().is_relative_to(_HERE), f"INC imported from {_utility.__file__}, not {_HERE}"


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a blocked module was imported after all."""
    imported = sorted(name for name in sys.modules if name.split(".")[0] in _BLOCKED)
    if imported:
        print(f"\nFAILED: the tests imported {', '.join(imported)}")
        session.exitstatus = 1
