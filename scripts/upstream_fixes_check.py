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
"""Apply the proposed upstream fixes of docs/upstream-bugs/ to a scratch venv and show each defect fixed.

The venv (``--venv``, built by ``make upstream-fixes-check``; never ``.venv`` or ``.venv-seed``) holds the primary
stack's torch and torchao. The script first puts the installed files back to stock where an earlier run left them
patched, then, on the stock stack and again with the source part of every ``<defect>.fix.patch`` applied to the
installed files:

- runs each defect's repro (``<defect>.py``), and the stack probes (``stack_probes.py``) each in a process of its
  own, with its cost, and their tests (test/torch/algorithms/pt2e_quant/test_stack_probes.py);
- runs the regression tests that the patches add to the upstream test files, taken from ``--torchao-src`` /
  ``--pytorch-src`` (a work tree or a git directory such as a bare mirror, read at HEAD; the full patch must apply
  there) with the patches' test part applied. Where a source tree is not given, a test file the patch creates is
  still run, from the patch alone; an existing upstream test file cannot be. With the fixes applied, the existing
  tests of the same files run too, each file whole or, where it is far too slow for 2 cores, the subset named in
  ``TESTS`` (printed with the reason).

Inductor's caches are disabled in every run, so that no compiled artifact of one stack serves the other. Exit status
0 when every patch applies, every repro and probe says fixed and every test passes on the fixed stack.
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
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import NamedTuple

from neural_compressor_pt2e_fix.upstream.source import export_inc_tree

ROOT = Path(__file__).resolve().parent.parent
BUGS = ROOT / "docs" / "upstream-bugs"
PROBE_TESTS = "test/torch/algorithms/pt2e_quant/test_stack_probes.py"
# No compiled artifact of one stack may serve the other.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TORCHINDUCTOR_FORCE_DISABLE_CACHES": "1"}


class Fix(NamedTuple):
    """One proposed upstream fix: the defect's files in docs/upstream-bugs/ and how to tell it is fixed."""

    defect: str  # docs/upstream-bugs/<defect>.{md,py,fix.patch}
    project: str  # "torchao" or "pytorch": which --*-src holds its test files
    probe: str  # the stack_probes function that answers for it
    fixed_line: str  # what a line of the repro's output says when the defect is fixed


FIXES = (
    Fix("qlinear_sum_overwrites_graph_input", "torchao", "linear_sum_keeps_graph_inputs", "input changed: False"),
    Fix(
        "choose_qparams_decomposition_excludes_zero",
        "pytorch",
        "dynamic_affine_compiles_right",
        "compiled qparams equal eager: True",
    ),
    Fix(
        "conv1d_module_name_config_ignored",
        "torchao",
        "conv1d_module_name_config_applies",
        "Conv1d weight is fp32 (as configured)",
    ),
    Fix(
        "symmetric_dynamic_shared_input_convert_fails",
        "torchao",
        "symmetric_dynamic_shared_input_converts",
        "torch.per_tensor_symmetric converts",
    ),
)
# An upstream test file far too slow for 2 cores: (scope, subset, why). Its tests run within the scope (a -k
# expression), the existing ones only as the subset.
TESTS = {
    "test/quantization/pt2e/test_x86inductor_fusion.py": (
        "TestPatternMatcher",
        "qlinear_add_cpu or qconv1d_relu",
        "the file holds 334 tests with the patch, nearly all compiling one or more models, and copies of them in "
        "cpp-wrapper and dynamic-shape classes (the whole file was not run on this project's 2 cores); the subset is "
        "the fp32 qlinear + add fusion tests of the default class (the pattern the patch changes) and its Conv1d test",
    ),
}


def _selection(path, patch, existing):
    """Return the -k expression for a patched upstream test file: its new tests, and its existing ones if asked.

    Args:
        path (str): The test file, relative to the upstream repository's root.
        patch (str): The patch.
        existing (bool): Whether to select the existing tests too (the whole file, or its subset in ``TESTS``).

    Returns:
        str or None: The expression; None for the whole file.
    """
    new = " or ".join(_new_tests(patch))
    scope, subset, _ = TESTS.get(path, (None, None, None))
    if existing and scope is None:
        return None
    tests = f"{subset} or {new}" if existing else new
    return f"{scope} and ({tests})" if scope else tests


def _patch_paths(patch):
    """Split the paths a patch touches into sources, existing test files and test files it creates."""
    paths = re.findall(r"^diff --git a/(\S+) b/", patch, flags=re.M)
    created = set(re.findall(r"^diff --git a/(\S+) b/\S+\nnew file mode", patch, flags=re.M))
    tests = [path for path in paths if path.startswith("test/")]
    return (
        [path for path in paths if path not in tests],
        [path for path in tests if path not in created],
        [path for path in tests if path in created],
    )


def _new_tests(patch):
    """Name the test functions a patch adds."""
    return re.findall(r"^\+\s+def (test_\w+)\(", patch, flags=re.M)


def _git_apply(patch, root, *options):
    """Apply (or check, or reverse) a patch in a directory with git apply, whether or not it is in a repository.

    Args:
        patch (str): The patch.
        root (Path): The directory that plays the upstream repository's root.
        *options (str): More ``git apply`` options, e.g. ``--check``, ``-R``, ``--exclude=test/*``.

    Returns:
        bool: Whether git applied it (or would, with ``--check``).
    """
    with tempfile.TemporaryDirectory(prefix="git-") as git_dir:
        subprocess.run(["git", "init", "--quiet", "--bare", git_dir], check=True)
        command = ["git", f"--git-dir={git_dir}", f"--work-tree={root}", "apply", *options, "-"]
        return subprocess.run(command, cwd=root, input=patch, text=True, capture_output=True).returncode == 0


def _drop_bytecode(site, sources):
    """Remove the cached bytecode of patched modules (a revert within the same second keeps size and mtime)."""
    for source in sources:
        for cached in (site / source).parent.glob(f"__pycache__/{Path(source).stem}.*.pyc"):
            cached.unlink()


def _set_stack(site, patches, fixed):
    """Put the source part of every patch into the installed files, or take it out.

    Args:
        site (Path): The venv's site-packages, which plays both projects' repository root.
        patches (dict): Fix -> patch text.
        fixed (bool): Whether to apply the patches (else revert them where applied).

    Returns:
        list[str]: Problems, e.g. a patch that applies neither way.
    """
    problems = []
    for fix, patch in patches.items():
        sources = _patch_paths(patch)[0]
        applied = _git_apply(patch, site, "--check", "-R", "--exclude=test/*")
        if applied != fixed and not _git_apply(patch, site, *([] if fixed else ["-R"]), "--exclude=test/*"):
            problems.append(f"{fix.defect}.fix.patch does not {'apply to' if fixed else 'revert from'} {site}")
        _drop_bytecode(site, sources)
    return problems


def _run(command, cwd=ROOT):
    """Run a command with caches off; return its exit status, standard output and standard error."""
    result = subprocess.run(command, cwd=cwd, env=ENV, text=True, capture_output=True)
    return result.returncode, result.stdout, result.stderr


def _repros(python):
    """Run each repro; return defect -> whether its output shows it fixed."""
    fixed = {}
    for fix in FIXES:
        status, output, errors = _run([python, str(BUGS / f"{fix.defect}.py")])
        lines = output.splitlines() + (errors.splitlines()[-3:] if status else [])
        fixed[fix.defect] = status == 0 and any(fix.fixed_line in line for line in lines)
        print(f"  repro {fix.defect}.py: {'fixed' if fixed[fix.defect] else 'DEFECT'} (exit {status})")
        print("\n".join(f"    | {line}" for line in lines))
    return fixed


PROBE = """
import json, time
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import stack_probes
start = time.perf_counter()
answer = getattr(stack_probes, {name!r})()
print(json.dumps([answer, (time.perf_counter() - start) * 1e3]))
"""


def _probes(python):
    """Run each probe in a process of its own; return probe -> answer."""
    answers = {}
    for fix in FIXES:
        status, output, _ = _run([python, "-c", PROBE.format(name=fix.probe)])
        answer, milliseconds = json.loads(output.splitlines()[-1]) if status == 0 else (None, 0.0)
        answers[fix.probe] = answer
        verdict = {True: "fixed", False: "defect", None: f"FAILED (exit {status})"}[answer]
        print(f"  probe {fix.probe}(): {verdict}, first call {milliseconds:.0f} ms")
    return answers


def _pytest(python, label, cwd, paths, selection=None):
    """Run pytest on test files and print every test and the counts.

    Returns:
        bool: Whether pytest ran at least one test and none failed.
    """
    with tempfile.TemporaryDirectory(prefix="junit-") as tmp:
        report = Path(tmp) / "report.xml"
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *paths]
        start = time.monotonic()
        status, output, errors = _run(command + (["-k", selection] if selection else []), cwd=cwd)
        seconds = time.monotonic() - start
        cases = ElementTree.parse(report).getroot().iter("testcase") if report.exists() else []
        outcomes = {}
        for case in cases:
            outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            outcomes[f"{case.get('classname').rsplit('.', 1)[-1]}::{case.get('name')}"] = outcome
    counts = {outcome: list(outcomes.values()).count(outcome) for outcome in sorted(set(outcomes.values()))}
    where = " ".join(paths) + (f" -k {selection!r}" if selection else "")
    print(f"  {label}: {where}: {counts or 'no test ran'} in {seconds:.0f} s (exit {status})")
    for test, outcome in outcomes.items():
        print(f"    {outcome:7} {test}")
    if status not in (0, 1) or not outcomes:
        print("\n".join(f"    | {line}" for line in (output + errors).splitlines()[-15:]))
    return status == 0 and bool(outcomes)


def _test_tree(fix, patch, sources, tmp):
    """Lay out the patch's upstream test files, patched, in a directory of their own.

    Args:
        fix (Fix): The fix.
        patch (str): Its patch.
        sources (dict): Project -> source tree (or None where not given).
        tmp (Path): A scratch directory.

    Returns:
        tuple[Path or None, str]: The directory (None where no test file can be had) and what was checked.
    """
    source_paths, existing_tests, created_tests = _patch_paths(patch)
    tree = tmp / fix.defect
    tree.mkdir()
    if sources[fix.project] is not None:
        export_inc_tree(sources[fix.project], tree, source_paths + existing_tests)
        if not _git_apply(patch, tree):
            return None, f"the patch does not apply to {sources[fix.project]}"
        checked = f"the patch applies to {sources[fix.project]}"
    elif existing_tests:
        return None, f"no {fix.project} source tree given, and the patch changes existing test files"
    else:
        _git_apply(patch, tree, "--include=test/*")
        checked = f"no {fix.project} source tree given: the test file it creates, from the patch"
    for package in {path.split("/")[0] for path in source_paths}:
        shutil.rmtree(tree / package, ignore_errors=True)  # the installed, patched package is the one to test
    return tree, checked


def _phase(python, trees, patches, fixed):
    """Run the repros, the probes, their tests and the upstream tests on the stack as it is.

    Args:
        python (str): The venv's interpreter.
        trees (dict): Fix -> directory of its patched upstream test files (None where there is none).
        patches (dict): Fix -> patch text.
        fixed (bool): Whether the fixes are applied: then the existing upstream tests run too, and anything that
            does not show the stack fixed is a problem.

    Returns:
        list[str]: The problems (none on the stock stack).
    """
    print("\n== With the four fixes applied ==" if fixed else "\n== Stock stack ==")
    repros, answers = _repros(python), _probes(python)
    passed = {"the probe tests": _pytest(python, "probe tests", ROOT, [PROBE_TESTS])}
    for fix, tree in trees.items():
        for path in _patch_paths(patches[fix])[1] + _patch_paths(patches[fix])[2] if tree else ():
            if fixed and path in TESTS:
                print(f"  {path}: existing tests as a subset only: {TESTS[path][2]}")
            existing = fixed and path in _patch_paths(patches[fix])[1]
            label = f"{fix.defect}: {'new and existing tests' if existing else 'new tests'}"
            passed[path] = _pytest(python, label, tree, [path], _selection(path, patches[fix], fixed))
    if not fixed:
        return []
    return (
        [f"repro {defect}.py still shows the defect" for defect, ok in repros.items() if not ok]
        + [f"probe {probe}() does not say fixed" for probe, answer in answers.items() if answer is not True]
        + [f"{what} failed" for what, ok in passed.items() if not ok]
    )


def main(argv=None):
    """Run the check; see the module docstring.

    Args:
        argv (list[str], optional): Command-line arguments. Defaults to ``sys.argv[1:]``.

    Returns:
        int: 0 when everything shows the stack fixed and every test passed, else 1.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, required=True, help="the scratch venv (not .venv or .venv-seed)")
    parser.add_argument("--torchao-src", type=Path, help="a torchao work tree or git directory (e.g. a bare mirror)")
    parser.add_argument("--pytorch-src", type=Path, help="a PyTorch work tree or git directory")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if args.venv.resolve().name in (".venv", ".venv-seed"):
        parser.error(f"{args.venv} is not a scratch venv")
    python = str(args.venv.resolve() / "bin" / "python")  # the venv directory, not its interpreter link
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])[1].strip())
    sources = {"torchao": args.torchao_src, "pytorch": args.pytorch_src}
    patches = {fix: (BUGS / f"{fix.defect}.fix.patch").read_text() for fix in FIXES}
    start, load = time.monotonic(), os.getloadavg()
    problems = _set_stack(site, patches, fixed=False)
    with tempfile.TemporaryDirectory(prefix="upstream-fixes-") as tmp:
        print(f"Upstream test files (venv {args.venv}):")
        trees = {}
        for fix, patch in patches.items():
            trees[fix], checked = _test_tree(fix, patch, sources, Path(tmp))
            print(f"  {fix.defect}: {checked}")
            problems += [f"{fix.defect}: {checked}"] if trees[fix] is None and sources[fix.project] else []
        _phase(python, trees, patches, fixed=False)
        problems += _set_stack(site, patches, fixed=True)
        problems += _phase(python, trees, patches, fixed=True)
    print(
        f"\nWall time {time.monotonic() - start:.0f} s; load average {load[0]:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end (2 cores, shared with other jobs)"
    )
    print("\n".join(["Problems:", *(f"  {problem}" for problem in problems)]) if problems else "All fixed.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
