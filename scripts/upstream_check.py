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
"""Prove the upstream diff on a copy of the installed INC, and run INC's own PT2E tests as the acceptance test.

``check``: apply the diff to a copy of the installed INC, lint the replaced modules with INC's settings and run all
our upstreamable tests there with no runtime patch; with ``--inc-src``, also check that the diff applies to that INC
tree (e.g. INC main).

``acceptance``: take INC's PT2E tests from ``--inc-src`` and run them (a) on the installed INC with ``apply_patch()``
from a generated conftest and (b) on the diff-patched copy without any runtime patch. The two tests that download
facebook/opt-125m from the Hugging Face hub are deselected by name.

Everything runs in temporary directories, never in the project tree. Exit status 0 when every run passed.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neural_compressor_pt2e_fix import upstream

# INC's tests of its PT2E backend, relative to INC's repository root.
INC_PT2E_TESTS = ("test/torch/algorithms/pt2e_quant", "test/torch/quantization/test_pt2e_quant.py")
# INC tests that download an LLM from the Hugging Face hub (and need transformers): deselected.
HUB_TESTS = ("test_quantizer_on_llm", "test_prepare_and_convert_on_llm")
# What the diff is checked against with --inc-src: the replaced modules' directory and INC's tests.
INC_TREE = ("neural_compressor/torch/algorithms/pt2e_quant", "test/torch")

# conftest.py for run (a): INC's tests on the installed INC, patched at run time.
RUNTIME_PATCH_CONFTEST = '''"""Run INC's tests on the installed INC with the fixed factory patched in at run time."""

from pathlib import Path

import neural_compressor.torch.algorithms.pt2e_quant.utility as _utility
from neural_compressor_pt2e_fix import apply_patch, is_patched

assert not Path(_utility.__file__).resolve().is_relative_to(Path(__file__).resolve().parent), "not the installed INC"
apply_patch()
assert is_patched()
'''


def _report(label, result, seconds):
    """Print the outcome of one pytest run.

    Args:
        label (str): What the run tested.
        result (subprocess.CompletedProcess): The finished run.
        seconds (float): Its wall time.

    Returns:
        bool: Whether the run passed.
    """
    lines = result.stdout.strip().splitlines()
    summary = lines[-1] if lines else "(no output)"
    failures = [line for line in lines if re.match(r"(FAILED|ERROR|SKIPPED) ", line)]
    print(f"{label}: exit {result.returncode}, {summary.strip('= ')}, wall {seconds:.0f} s")
    for line in failures:
        print(f"    {line}")
    if result.returncode and not failures:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
    return result.returncode == 0


def _pytest(label, root, conftest, pytest_args):
    """Run pytest on a temporary tree and report it.

    Args:
        label (str): What the run tests.
        root (Path): The tree.
        conftest (str): Its conftest.py.
        pytest_args (list[str]): Test paths and options.

    Returns:
        bool: Whether the run passed.
    """
    start = time.perf_counter()
    result = upstream.run_pytest(root, conftest, ["-q", "-rfEs", *pytest_args])
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
            tree = upstream.export_inc_tree(args.inc_src, Path(tmp) / "inc-src", INC_TREE)
            same = upstream.build_diff(tree) == diff
            upstream.apply_diff(diff, tree, check_only=True)
            print(f"git apply --check onto {args.inc_src}: ok; diff against it identical: {same}")
        root = upstream.make_patched_copy(diff, Path(tmp) / "patched")
        passed &= _inc_lint(root, [file.path for file in files if not file.path.startswith("test/")])
        options = ["-k", args.k] if args.k else []
        passed &= _pytest(
            "our tests on the diff-patched INC, no runtime patch",
            root,
            upstream.NO_PATCH_CONFTEST,
            ["test/torch", *options],
        )
    return passed


def acceptance(args):
    """Run INC's PT2E tests (a) on the installed INC with apply_patch() and (b) on the diff-patched copy.

    Args:
        args (argparse.Namespace): ``inc_src``, the INC tree that provides the tests.

    Returns:
        bool: Whether both runs passed.
    """
    deselect = ["-k", " and ".join(f"not {name}" for name in HUB_TESTS)]
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
        passed &= _pytest("(a) installed INC + apply_patch()", root, RUNTIME_PATCH_CONFTEST, [*tests, *deselect])
        root = upstream.export_inc_tree(args.inc_src, Path(tmp) / "b", INC_PT2E_TESTS)
        upstream.make_patched_copy(upstream.build_diff(), root)
        passed &= _pytest(
            "(b) diff-patched INC, no runtime patch", root, upstream.NO_PATCH_CONFTEST, [*tests, *deselect]
        )
    return passed


def main(argv=None):
    """Run the check or the acceptance test.

    Args:
        argv (list[str], optional): The arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: 0 when every run passed, 1 otherwise.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="run our upstreamable tests on the diff-patched INC copy")
    check_parser.add_argument("--inc-src", metavar="DIR", help="an INC work tree or git directory to git apply --check")
    check_parser.add_argument("-k", metavar="EXPR", help="run only the tests that match this pytest -k expression")
    acceptance_parser = commands.add_parser("acceptance", help="run INC's PT2E tests, patched at run time and by diff")
    acceptance_parser.add_argument("--inc-src", metavar="DIR", required=True, help="an INC work tree or git directory")
    args = parser.parse_args(argv)
    return 0 if (check if args.command == "check" else acceptance)(args) else 1


if __name__ == "__main__":
    sys.exit(main())
