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
"""Prove the upstream diff and series on copies of the installed INC, as INC's CI would run them.

``check``: apply the single diff to a copy of the installed INC, lint the replaced modules with INC's settings and
run all our upstreamable tests there with no runtime patch; with ``--inc-src``, also check that the diff applies to
that INC tree (e.g. INC main). Runs on any INC this package patches (INC 3.10, INC 3.0.2).

``series``: build the series against ``--inc-src`` (INC main) and, for each step, apply the patches up to it to a
copy of the installed INC (whose PT2E modules must be INC main's) and run, as INC's CI does, one pytest process per
file: INC's own PT2E tests and the test files the step adds or changes, with ``hypothesis`` blocked (INC's test
requirements do not list it). Step 1 also runs every setting of ``inc-pt2e-fix matrix`` eagerly on the stock and the
patched copy: every setting that runs on stock must give a float-for-float equal output, every other one a
ValueError. ``--python`` runs the tests and the probe with other interpreters too (e.g. a venv of INC CI's pins).

``acceptance``: take INC's PT2E tests from ``--inc-src`` and run them (a) on the installed INC with ``apply_patch()``
and (b) on the diff-patched copy without any runtime patch.

The two tests that download facebook/opt-125m from the Hugging Face hub are deselected by name. Everything runs in
temporary directories, never in the project tree. Exit status 0 when every run passed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

from neural_compressor_pt2e_fix import matrix, upstream

# INC's tests of its PT2E backend, relative to INC's repository root.
INC_PT2E_TESTS = ("test/torch/algorithms/pt2e_quant", "test/torch/quantization/test_pt2e_quant.py")
# INC tests that download an LLM from the Hugging Face hub (and need transformers): deselected.
HUB_TESTS = ("test_quantizer_on_llm", "test_prepare_and_convert_on_llm")
DESELECT = ("-k", " and ".join(f"not {name}" for name in HUB_TESTS))
# Test dependencies of this project that INC's test/torch/requirements.txt does not list: blocked in series runs
# (with their pytest plugin) unless a step adds them to that file.
NOT_IN_INC_REQUIREMENTS = {"hypothesis": "hypothesispytest"}
INC_REQUIREMENTS = "test/torch/requirements.txt"


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


def _pytest(label, root, conftest, pytest_args, python=sys.executable, blocked=()):
    """Run pytest on a temporary tree and report it.

    Args:
        label (str): What the run tests.
        root (Path): The tree.
        conftest (str): Its conftest.py.
        pytest_args (list[str]): Test paths and options.
        python (str, optional): The interpreter. Defaults to the running one.
        blocked (Sequence[str], optional): Top-level modules whose import fails, with their pytest plugins off.

    Returns:
        bool: Whether the run passed (its wall time is printed; inductor's cache starts empty).
    """
    options = [option for name in blocked for option in ("-p", f"no:{NOT_IN_INC_REQUIREMENTS[name]}")]
    # A fresh inductor cache per run: every run compiles cold, as on a CI machine, and wall times say so.
    cache = tempfile.mkdtemp(prefix="inductor-cache-", dir=root)
    env = {"UPSTREAM_CHECK_BLOCKED": ",".join(blocked), "TORCHINDUCTOR_CACHE_DIR": cache}
    start = time.perf_counter()
    result = upstream.run_pytest(root, conftest, ["-q", "-rfEs", *options, *pytest_args], python=python, env=env)
    return _report(label, result, time.perf_counter() - start)


# INC's lint of its package sources (its .pre-commit-config.yaml and pyproject.toml), run on the replaced modules.
INC_LINT = (
    ("isort", "--check-only", "--diff", "--profile", "black", "--line-length", "120", "-p", "neural_compressor"),
    ("black", "--check", "--line-length", "120"),
    ("ruff", "check", "--isolated", "--select", "E4,E7,E9,F", "--line-length", "120"),
    ("docformatter", "--check", "--black", "--style", "google", "--wrap-summaries", "0", "--wrap-descriptions", "0"),
    ("codespell",),
)


def _inc_lint(root, paths):
    """Run INC's linters on files of a patched copy, with INC's settings and none of this project's.

    Args:
        root (Path): The patched copy (the working directory, so that no configuration of ours applies).
        paths (list[str]): The files, relative to ``root``.

    Returns:
        bool: Whether every linter passed; linters not installed beside this interpreter are skipped.
    """
    passed = True
    missing = [tool for tool, *_ in INC_LINT if not (Path(sys.executable).parent / tool).is_file()]
    if missing:
        print(f"INC lint: {', '.join(missing)} skipped: not installed beside {sys.executable}")
    for tool, *options in [(tool, *options) for tool, *options in INC_LINT if tool not in missing]:
        executable = Path(sys.executable).parent / tool
        result = subprocess.run([executable, *options, *paths], cwd=root, capture_output=True, text=True, check=False)
        print(f"INC lint: {tool}: {'ok' if result.returncode == 0 else 'FAILED'}")
        if result.returncode:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            passed = False
    return passed


def check(args):
    """Apply the diff to a copy of the installed INC and run our upstreamable tests there, unpatched.

    Args:
        args (argparse.Namespace): ``inc_src`` (optional) and ``k`` (optional pytest ``-k`` expression).

    Returns:
        bool: Whether everything passed.
    """
    files = upstream.upstream_files()
    diff = upstream.format_diff(files)
    count, added, removed = upstream.diff_stats(diff)
    print(f"diff against the installed INC ({upstream.installed_inc_root()}): {count} files, +{added} -{removed}")
    for file in files:
        print(f"    {'new     ' if file.old is None else 'modified'} {file.path}")
    passed = True
    with tempfile.TemporaryDirectory(prefix="inc-upstream-") as tmp:
        if args.inc_src:
            tree = upstream.export_inc_tree(args.inc_src, Path(tmp) / "inc-src", upstream.INC_TREE)
            same = upstream.build_diff(tree) == diff
            upstream.apply_diff(diff, tree, check_only=True)
            print(f"git apply --check onto {args.inc_src}: ok; diff against it identical: {same}")
        root = upstream.make_patched_copy(diff, Path(tmp) / "patched")
        passed &= _inc_lint(root, [file.path for file in files if not file.path.startswith("test/")])
        options = ["-k", args.k] if args.k else []
        passed &= _pytest(
            "our tests on the diff-patched INC, no runtime patch",
            root,
            upstream.conftest_text("no_patch"),
            ["test/torch", *options],
        )
    return passed


def _eager_outputs(python, settings_file, output, pythonpath):
    """Run the eager probe of every setting with one interpreter on one INC tree.

    Args:
        python (str): The interpreter.
        settings_file (Path): The settings, as JSON.
        output (Path): Where the probe saves its results.
        pythonpath (Path or None): The INC tree first on the path; None for the installed INC.

    Returns:
        dict: Setting label -> output tensor, or the error's type and first line.
    """
    probe = Path(output).with_name("eager_probe.py")
    probe.write_text(upstream.data_text("eager_probe.py"), encoding="utf-8")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(pythonpath or ""))
    subprocess.run([python, probe, settings_file, output], cwd=probe.parent, env=env, check=True, capture_output=True)
    return torch.load(output)


def _eager_equality(root, python, tmp):
    """Compare every matrix setting run eagerly on the stock INC and on the patched copy.

    Args:
        root (Path): The patched copy.
        python (str): The interpreter.
        tmp (Path): A scratch directory.

    Returns:
        bool: Whether every setting that runs on stock gives an equal output on the copy, and every other one a
        ValueError there.
    """
    settings_file = tmp / "settings.json"
    settings_file.write_text(json.dumps({matrix.label(setting): setting for setting in matrix.settings()}))
    start = time.perf_counter()
    stock = _eager_outputs(python, settings_file, tmp / "stock.pt", None)
    patched = _eager_outputs(python, settings_file, tmp / "patched.pt", root)
    ran = [label for label, result in stock.items() if isinstance(result, torch.Tensor)]
    equal = [
        label for label in ran if isinstance(patched[label], torch.Tensor) and torch.equal(stock[label], patched[label])
    ]
    rejected = [label for label in stock if label not in ran and str(patched[label]).startswith("ValueError: ")]
    others = sorted(set(stock) - set(equal) - set(rejected))
    print(
        f"eager probe ({python}): {len(stock)} settings; {len(ran)} run on stock INC, {len(equal)} of them give "
        f"outputs equal float for float with the patch; {len(rejected)} of the other {len(stock) - len(ran)} "
        f"fail on stock and raise ValueError with the patch; wall {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    for label in others:
        print(f"    DIFFERENT {label}: stock {str(stock[label])[:120]!r}, patched {str(patched[label])[:120]!r}")
    return not others


def _step_tests(patch):
    """List the test files a patch adds or changes, and the modules it changes.

    Args:
        patch (str): The patch.

    Returns:
        tuple[list[str], list[str]]: The test files and the package modules.
    """
    paths = re.findall(r"^diff --git a/(\S+) b/", patch, flags=re.M)
    tests = [path for path in paths if Path(path).name.startswith("test_") and path.endswith(".py")]
    return tests, [path for path in paths if path.startswith("neural_compressor/") and path.endswith(".py")]


def _blocked(patches):
    """Return the test dependencies that stay blocked after the given patches (none adds one to INC's requirements).

    Args:
        patches (Sequence[str]): The patches applied so far.

    Returns:
        tuple[str, ...]: The top-level module names.
    """
    added = "".join(line for patch in patches for line in patch.splitlines(keepends=True) if line.startswith("+"))
    touches = any(f"b/{INC_REQUIREMENTS}" in patch for patch in patches)
    return tuple(name for name in NOT_IN_INC_REQUIREMENTS if not (touches and re.search(rf"^\+{name}\b", added, re.M)))


def _run_step(index, patches, inc_tests, args, tmp):
    """Run one step of the series as INC's CI would.

    Args:
        index (int): The step, from 1.
        patches (list[tuple[str, str]]): The whole series.
        inc_tests (Path): A tree holding INC's PT2E tests.
        args (argparse.Namespace): ``python`` (extra interpreters) and ``skip_probe``.
        tmp (Path): A scratch directory.

    Returns:
        bool: Whether every run of the step passed.
    """
    name, patch = patches[index - 1]
    texts = [text for _, text in patches[:index]]
    root = upstream.make_patched_copy(texts, tmp / f"step{index}")
    upstream.export_inc_tree(inc_tests, root, INC_PT2E_TESTS)
    tests, modules = _step_tests(patch)
    count, added, removed = upstream.diff_stats(patch[patch.index("\ndiff --git ") + 1 :])
    print(f"\n== step {index}: {name}: {count} files, +{added} -{removed}; blocked: {', '.join(_blocked(texts))}")
    passed = _inc_lint(root, modules) if modules else True
    inc_files = sorted(path.relative_to(root).as_posix() for path in (root / "test/torch").rglob("test_*.py"))
    inc_files = [
        path
        for path in inc_files
        if path not in tests and (path.startswith(INC_PT2E_TESTS[0]) or path == INC_PT2E_TESTS[1])
    ]
    for number, python in enumerate([sys.executable, *args.python]):
        if index == 1 and not args.skip_probe:
            (tmp / f"probe{number}").mkdir()
            passed &= _eager_equality(root, python, tmp / f"probe{number}")
        for test in [*inc_files, *tests]:
            label = f"step {index} [{Path(python).parent.parent.name}] {test}"
            conftest = upstream.conftest_text("no_patch")
            passed &= _pytest(label, root, conftest, [test, *DESELECT], python=python, blocked=_blocked(texts))
    return passed


def series(args):
    """Check the series step by step: each applies onto INC main after the ones before, and passes INC's CI tests.

    Args:
        args (argparse.Namespace): ``inc_src`` (INC main: its tests and the base of the series), ``python``
            (extra interpreters), ``steps`` (the steps to run, default all) and ``skip_probe``.

    Returns:
        bool: Whether every step passed.
    """
    patches = upstream.build_series(args.inc_src)
    print(f"series against {args.inc_src}: {len(patches)} patches; installed INC {upstream.installed_inc_root()}")
    passed = True
    with tempfile.TemporaryDirectory(prefix="inc-series-") as tmp:
        inc_tests = upstream.export_inc_tree(args.inc_src, Path(tmp) / "inc-src", INC_PT2E_TESTS)
        for index in args.steps or range(1, len(patches) + 1):
            passed &= _run_step(index, patches, inc_tests, args, Path(tmp))
    return passed


def acceptance(args):
    """Run INC's PT2E tests (a) on the installed INC with apply_patch() and (b) on the diff-patched copy.

    Args:
        args (argparse.Namespace): ``inc_src``, the INC tree that provides the tests.

    Returns:
        bool: Whether both runs passed.
    """
    print(
        f"INC tests from {args.inc_src}: {', '.join(INC_PT2E_TESTS)}; deselected (hub download): "
        f"{', '.join(HUB_TESTS)}"
    )
    passed = True
    with tempfile.TemporaryDirectory(prefix="inc-acceptance-") as tmp:
        root = upstream.export_inc_tree(args.inc_src, Path(tmp) / "a", INC_PT2E_TESTS)
        # INC's test files by name: in (b) the diff adds ours beside them, and only INC's run here.
        tests = sorted(path.relative_to(root).as_posix() for path in root.rglob("test_*.py"))
        print(f"{len(tests)} test files: {', '.join(tests)}")
        runtime = upstream.conftest_text("runtime_patch")
        passed &= _pytest("(a) installed INC + apply_patch()", root, runtime, [*tests, *DESELECT])
        root = upstream.export_inc_tree(args.inc_src, Path(tmp) / "b", INC_PT2E_TESTS)
        upstream.make_patched_copy(upstream.build_diff(), root)
        no_patch = upstream.conftest_text("no_patch")
        passed &= _pytest("(b) diff-patched INC, no runtime patch", root, no_patch, [*tests, *DESELECT])
    return passed


def build_parser():
    """Build the parser; each subcommand's function is its ``run`` default.

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="run our upstreamable tests on the diff-patched INC copy")
    check_parser.add_argument("--inc-src", metavar="DIR", help="an INC work tree or git directory to git apply --check")
    check_parser.add_argument("-k", metavar="EXPR", help="run only the tests that match this pytest -k expression")
    check_parser.set_defaults(run=check)
    series_parser = commands.add_parser("series", help="run each step of the series as INC's CI would")
    series_parser.add_argument("--inc-src", metavar="DIR", required=True, help="INC main: a work tree or git directory")
    series_parser.add_argument(
        "--python", metavar="EXE", action="append", default=[], help="also run with this interpreter (repeatable)"
    )
    series_parser.add_argument("--steps", metavar="N", type=int, nargs="+", help="run only these steps (from 1)")
    series_parser.add_argument("--skip-probe", action="store_true", help="skip step 1's eager equality probe")
    series_parser.set_defaults(run=series)
    acceptance_parser = commands.add_parser("acceptance", help="run INC's PT2E tests, patched at run time and by diff")
    acceptance_parser.add_argument("--inc-src", metavar="DIR", required=True, help="an INC work tree or git directory")
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
