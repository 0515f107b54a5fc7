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
"""Prove the upstream pull requests as INC's CI runs them, and this package's tie to them.

Every run happens on a copy of the installed INC package (INC 3.10, whose PT2E modules are INC main's) with INC
main's PT2E tests exported from ``--inc-src`` and pull requests applied with ``git am``, in temporary directories:

``prs``: for each pull request, the copy with it and the pull requests it depends on: INC's linters on the package
modules it changes, then one pytest process per test file it adds or changes and, for the pull requests named by
``--inc-tests`` (default: the first and the last), per file of INC's PT2E tests; with the packages of INC's
``test/torch/requirements.txt`` only (``hypothesis`` is blocked) and a conftest that refuses to import this package.
``--python`` runs the tests with other interpreters instead of the running one (e.g. venvs of INC CI's torch 2.11.0
and 2.14.0; repeatable).

``invariant``: every cell of the matrix (the 71 settings, and the zoo cases of ``--models``), eager and compiled, on
(a) the installed INC with ``apply_patch()`` and (b) INC main with the whole queue applied and no runtime patch: this
package is the back-port of the queue only if both classify every cell alike.

``acceptance``: INC main's PT2E tests (a) on the installed INC with ``apply_patch()`` and (b) on the copy with the
whole queue applied and no runtime patch.

The two tests that download facebook/opt-125m from the Hugging Face hub are deselected by name. Exit status 0 when
every run passed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from neural_compressor_pt2e_fix.upstream.build import build_tree
from neural_compressor_pt2e_fix.upstream.git import touched_paths
from neural_compressor_pt2e_fix.upstream.queue import closure, load_queue
from neural_compressor_pt2e_fix.upstream.source import INC_PACKAGE, export_inc_tree, installed_inc_root

HARNESS = Path(__file__).resolve().parent / "upstream_harness"
# INC's tests of its PT2E backend, relative to INC's repository root.
INC_PT2E_TESTS = (
    "test/torch/algorithms/pt2e_quant/test_half_precision_rewriter.py",
    "test/torch/algorithms/pt2e_quant/test_pt2e_w8a8.py",
    "test/torch/quantization/test_pt2e_quant.py",
)
# INC tests that download an LLM from the Hugging Face hub (and need transformers): deselected.
HUB_TESTS = ("test_quantizer_on_llm", "test_prepare_and_convert_on_llm")
DESELECT = ("-k", " and ".join(f"not {name}" for name in HUB_TESTS))
# Test dependencies that INC's test/torch/requirements.txt does not list, with their pytest plugin: blocked.
BLOCKED = {"hypothesis": "hypothesispytest"}


def _report(label, result, seconds):
    """Print the outcome of one pytest run.

    Args:
        label (str): What the run tested.
        result (subprocess.CompletedProcess): The finished run.
        seconds (float): Its wall time.

    Returns:
        bool: Whether the run passed: exit status 0, or 5 ("no tests ran") for a file skipped whole, e.g. by
        ``pytest.importorskip`` (INC's CI, which greps the log for failures and errors, passes such a file too).
    """
    lines = result.stdout.strip().splitlines()
    summary = lines[-1] if lines else "(no output)"
    failures = [line for line in lines if re.match(r"(FAILED|ERROR|SKIPPED) ", line)]
    print(f"{label}: exit {result.returncode}, {summary.strip('= ')}, wall {seconds:.0f} s", flush=True)
    for line in failures:
        print(f"    {line}")
    skipped_whole = result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED and re.search(r"^\d+ skipped", summary)
    if result.returncode and not failures:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
    return result.returncode == 0 or bool(skipped_whole)


def run_pytest(root, conftest, pytest_args, python=sys.executable, env=None):
    """Run pytest in a subprocess on a tree laid out like INC's repository, with a conftest of the harness.

    Writes ``root/conftest.py`` and an empty ``root/pytest.ini`` (so no configuration of an enclosing directory
    applies), puts ``root`` first on ``PYTHONPATH`` and runs pytest there, writing no bytecode into the tree.

    Args:
        root (Path): The tree.
        conftest (str): A file name in the harness directory, e.g. ``"no_patch_conftest.py"``.
        pytest_args (Sequence[str]): Test paths and options, relative to ``root``.
        python (str, optional): The interpreter. Defaults to the running one.
        env (dict, optional): Extra environment variables.

    Returns:
        subprocess.CompletedProcess: The finished run, with its output as text.
    """
    shutil.copy(HARNESS / conftest, root / "conftest.py")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    pythonpath = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, **(env or {}), PYTHONPATH=pythonpath, PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", *pytest_args]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def _pytest(label, root, conftest, pytest_args, python=sys.executable, blocked=()):
    """Run pytest on a tree and report it (see :func:`run_pytest`); inductor's cache starts empty.

    Returns:
        bool: Whether the run passed.
    """
    options = [option for name in blocked for option in ("-p", f"no:{BLOCKED[name]}")]
    cache = tempfile.mkdtemp(prefix="inductor-cache-", dir=root)
    env = {"UPSTREAM_CHECK_BLOCKED": ",".join(blocked), "TORCHINDUCTOR_CACHE_DIR": cache}
    start = time.perf_counter()
    result = run_pytest(root, conftest, ["-q", "-rfEs", *options, *pytest_args], python=python, env=env)
    return _report(label, result, time.perf_counter() - start)


def runnable_copy(queue, pull_requests, inc_src, dest):
    """Copy the installed INC package and INC main's PT2E tests into ``dest`` and apply pull requests there.

    Args:
        queue (Sequence[PullRequest]): The whole queue.
        pull_requests (Sequence[PullRequest]): The pull requests to apply, in order.
        inc_src (str or Path): INC main: a work tree or git directory.
        dest (Path): A missing directory.

    Returns:
        Path: ``dest``; with it first on ``PYTHONPATH``, ``import neural_compressor`` imports the copy.
    """
    shutil.copytree(
        installed_inc_root() / INC_PACKAGE, dest / INC_PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
    )
    build_tree(queue, inc_src, dest, pull_requests)
    return dest


# The ruff rules INC's pyproject.toml ignores.
_INC_RUFF_IGNORE = "E402,E501,E721,E722,E731,E741,F401,F403,F405,F841"
# INC's lint of its package sources (its .pre-commit-config.yaml and pyproject.toml), run on the replaced modules.
INC_LINT = (
    ("isort", "--check-only", "--diff", "--profile", "black", "--line-length", "120", "-p", "neural_compressor"),
    ("black", "--check", "--line-length", "120"),
    ("ruff", "check", "--isolated", "--select", "E4,E7,E9,F", "--ignore", _INC_RUFF_IGNORE, "--line-length", "120"),
    ("docformatter", "--check", "--black", "--style", "google", "--wrap-summaries", "0", "--wrap-descriptions", "0"),
    ("codespell",),
    ("bandit", "-q", "-lll", "-iii"),
)


def _inc_lint(root, paths, tools):
    """Run INC's linters on files of a patched copy, with INC's settings and none of this project's.

    Args:
        root (Path): The patched copy (the working directory, so that no configuration of ours applies).
        paths (list[str]): The files, relative to ``root``.
        tools (Path): The directory holding the linters (``bin`` of a venv of ``requirements/inc-lint.txt``).

    Returns:
        bool: Whether every linter passed; a linter missing from ``tools`` is reported and fails the check.
    """
    passed = True
    for tool, *options in INC_LINT:
        if not (tools / tool).is_file():
            print(f"INC lint: {tool}: MISSING from {tools} (make inc-lint-venv)")
            passed = False
            continue
        result = subprocess.run([tools / tool, *options, *paths], cwd=root, capture_output=True, text=True, check=False)
        print(f"INC lint: {tool}: {'ok' if result.returncode == 0 else 'FAILED'}")
        if result.returncode:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            passed = False
    return passed


def _check_pull_request(queue, pull_request, args, tmp):
    """Apply one pull request after its dependencies and run its checks (see the module).

    Returns:
        bool: Whether everything passed.
    """
    root = runnable_copy(queue, closure(queue, pull_request.number), args.inc_src, tmp / pull_request.name)
    paths = list(dict.fromkeys(path for _, text in pull_request.patches for path in touched_paths(text)))
    tests = [path for path in paths if Path(path).name.startswith("test_") and path.endswith(".py")]
    modules = [path for path in paths if path.startswith(f"{INC_PACKAGE}/") and path.endswith(".py")]
    print(
        f"\n== {pull_request.name}: applies after {', '.join(p.name for p in closure(queue, pull_request.number)[:-1]) or 'INC main'}"
    )
    passed = _inc_lint(root, modules, Path(args.lint_tools)) if modules else True
    full = pull_request.number in (args.inc_tests or (1, len(queue)))
    files = [*tests, *(path for path in INC_PT2E_TESTS if full and path not in tests)]
    for python in args.python or [sys.executable]:
        for test in files:
            label = f"{pull_request.name} [{Path(python).parent.parent.name}] {test}"
            passed &= _pytest(label, root, "no_patch_conftest.py", [test, *DESELECT], python, tuple(BLOCKED))
    return passed


def prs(args):
    """Check each pull request as INC's CI would (see the module).

    Args:
        args (argparse.Namespace): ``inc_src``, ``python`` (extra interpreters), ``only`` and ``inc_tests``
            (pull request numbers).

    Returns:
        bool: Whether every check passed.
    """
    queue = load_queue()
    print(f"{len(queue)} pull requests against {args.inc_src}; installed INC {installed_inc_root()}")
    passed = True
    with tempfile.TemporaryDirectory(prefix="inc-prs-") as tmp:
        for pull_request in queue:
            if not args.only or pull_request.number in args.only:
                passed &= _check_pull_request(queue, pull_request, args, Path(tmp))
    return passed


def invariant(args):
    """Classify every matrix cell on the patched installed INC and on INC main with the queue (see the module).

    Args:
        args (argparse.Namespace): ``inc_src``, ``models`` (zoo models or None) and ``eager_only``.

    Returns:
        bool: Whether both classify every cell alike.
    """
    queue = load_queue()
    options = [*(["--models", args.models] if args.models else []), *([] if args.eager_only else ["--compile"])]
    with tempfile.TemporaryDirectory(prefix="inc-invariant-") as tmp:
        tree = runnable_copy(queue, queue, args.inc_src, Path(tmp) / "inc")
        runs = {}
        for mode, pythonpath in (("patch", None), ("as-is", tree)):
            output = Path(tmp) / f"{mode}.json"
            env = dict(
                os.environ, PYTHONDONTWRITEBYTECODE="1", TORCHINDUCTOR_CACHE_DIR=str(Path(tmp) / f"cache-{mode}")
            )
            if pythonpath is not None:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))
            start = time.perf_counter()
            command = [sys.executable, HARNESS / "matrix_cells.py", mode, output, *options]
            subprocess.run(command, env=env, check=True, cwd=tmp)
            runs[mode] = json.loads(output.read_text(encoding="utf-8"))
            print(f"({mode}) {len(runs[mode])} cells in {time.perf_counter() - start:.0f} s", flush=True)
    patch, as_is = runs["patch"], runs["as-is"]
    differing = [label for label in patch if patch[label][0] != as_is.get(label, [None])[0]]
    for label in differing:
        print(f"    DIFFERENT {label}: patched {patch[label]}, INC main + queue {as_is.get(label)}")
    classes = sorted({klass for klass, _ in patch.values()})
    counts = ", ".join(f"{klass} {sum(cell[0] == klass for cell in patch.values())}" for klass in classes)
    print(f"invariant: {len(patch)} cells ({counts}); {len(differing)} classified differently")
    return not differing and set(patch) == set(as_is)


def acceptance(args):
    """Run INC main's PT2E tests (a) on the installed INC with apply_patch() and (b) on INC main with the queue.

    Args:
        args (argparse.Namespace): ``inc_src``.

    Returns:
        bool: Whether both runs passed.
    """
    queue = load_queue()
    print(
        f"INC tests from {args.inc_src}: {', '.join(INC_PT2E_TESTS)}; deselected (hub download): {', '.join(HUB_TESTS)}"
    )
    passed = True
    with tempfile.TemporaryDirectory(prefix="inc-acceptance-") as tmp:
        root = export_inc_tree(args.inc_src, Path(tmp) / "a", INC_PT2E_TESTS)
        passed &= _pytest(
            "(a) installed INC + apply_patch()", root, "runtime_patch_conftest.py", [*INC_PT2E_TESTS, *DESELECT]
        )
        root = runnable_copy(queue, queue, args.inc_src, Path(tmp) / "b")
        passed &= _pytest(
            "(b) INC main + the queue, no runtime patch", root, "no_patch_conftest.py", [*INC_PT2E_TESTS, *DESELECT]
        )
    return passed


def build_parser():
    """Build the parser; each subcommand's function is its ``run`` default.

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prs_parser = commands.add_parser("prs", help="check each pull request as INC's CI runs it")
    prs_parser.add_argument("--inc-src", metavar="DIR", required=True, help="INC main: a work tree or git directory")
    prs_parser.add_argument(
        "--python", metavar="EXE", action="append", default=[], help="run the tests with this interpreter (repeatable)"
    )
    prs_parser.add_argument(
        "--lint-tools",
        metavar="DIR",
        default=str(Path(sys.executable).parent),
        help="the directory of INC's linters at INC's pins (default: beside this interpreter)",
    )
    prs_parser.add_argument("--only", metavar="N", type=int, nargs="+", help="check only these pull requests")
    prs_parser.add_argument(
        "--inc-tests", metavar="N", type=int, nargs="+", help="run INC's PT2E tests after these (default: first, last)"
    )
    prs_parser.set_defaults(run=prs)
    invariant_parser = commands.add_parser("invariant", help="the matrix on the patched INC and on INC main + queue")
    invariant_parser.add_argument(
        "--inc-src", metavar="DIR", required=True, help="INC main: a work tree or git directory"
    )
    invariant_parser.add_argument("--models", metavar="LIST", help="also these zoo models (comma-separated, or all)")
    invariant_parser.add_argument("--eager-only", action="store_true", help="do not compile")
    invariant_parser.set_defaults(run=invariant)
    acceptance_parser = commands.add_parser(
        "acceptance", help="run INC's PT2E tests, patched at run time and by the queue"
    )
    acceptance_parser.add_argument(
        "--inc-src", metavar="DIR", required=True, help="INC main: a work tree or git directory"
    )
    acceptance_parser.set_defaults(run=acceptance)
    return parser


def main(argv=None):
    """Run the subcommand.

    Args:
        argv (list[str], optional): The arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: 0 when every run passed, 1 otherwise.
    """
    args = build_parser().parse_args(argv)
    return 0 if args.run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
