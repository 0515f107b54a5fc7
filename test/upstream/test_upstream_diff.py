"""The upstream diff: what it touches, that it applies, and that INC patched by it passes our tests unpatched."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neural_compressor_pt2e_fix import cli, upstream

PROJECT = Path(upstream.__file__).resolve().parent.parent
PT2E = "neural_compressor/torch/algorithms/pt2e_quant"
MODULES = (f"{PT2E}/utility.py", f"{PT2E}/pt2e_compat.py")
OURS = {
    f"{PT2E}/{name}": PROJECT / "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant" / name
    for name in ("utility.py", "pt2e_compat.py")
}
OUR_TESTS = {
    f"test/torch/{path.relative_to(PROJECT / 'test/torch').as_posix()}": path
    for path in (PROJECT / "test/torch").rglob("test_*.py")
}
INSTALLED = upstream.installed_inc_root()
# INC's torch version names: the diff adds to environ.py those our modules use and the installed INC lacks (INC
# before v3.8.1 has no TORCH_VERSION_2_11_0); INC main has them all.
ENVIRON = "neural_compressor/torch/utils/environ.py"
USED_NAMES = {name for path in OURS.values() for name in re.findall(r"\bTORCH_VERSION_\d+_\d+_\d+\b", path.read_text())}
MISSING_NAMES = sorted(
    name for name in USED_NAMES if not re.search(rf"^{name} = ", (INSTALLED / ENVIRON).read_text(), flags=re.M)
)
# INC's half-precision rewriter reads set_local entries through the fixed utility (every INC has the rewriter).
REWRITER = f"{PT2E}/half_precision_rewriter.py"
CHANGED = (*MODULES, ENVIRON, REWRITER) if MISSING_NAMES else (*MODULES, REWRITER)
# INC main: a work tree or git directory named by INC_SRC, else the mirror of this project's build machine.
INC_SRC = Path(os.environ.get("INC_SRC") or "/work/.mirror/intel+neural-compressor/repo")
# The quick subset of our tests run on the patched copy here (`make upstream-check` runs them all): table-driven
# units, validation at prepare, bit-exactness with torchao's default config, set_local by name and type (skipped on
# torch<2.5) and one accepted setting compiled, saved and loaded.
QUICK = (
    "TestSpecValidation or TestQuantizerFromConfig or TestRejected or test_bit_exact_with_the_x86_default_config "
    "or test_fp32_by_op_name_and_type or (test_eager_compiled_and_saved and conv_pool_linear and per_channel/minmax-a "
    "and uint8/False/per_tensor/minmax)"
)
# Tests of the quick subset that must pass on every stack.
QUICK_PASSING = (
    "TestSpecValidation",
    "TestQuantizerFromConfig",
    "TestRejected",
    "test_bit_exact_with_the_x86_default_config",
    "test_eager_compiled_and_saved[conv_pool_linear-w=int8/True/per_channel/minmax-a=uint8/False/per_tensor/minmax]",
)


def sections(diff):
    """Split a git diff into {path: (header lines, hunks)}, checking every hunk's line counts."""
    chunks = re.split(r"^(?=diff --git )", diff, flags=re.M)
    assert chunks[0] == "", "text before the first diff --git"
    result = {}
    for chunk in chunks[1:]:
        lines = chunk.splitlines()
        match = re.fullmatch(r"diff --git a/(\S+) b/(\S+)", lines[0])
        assert match and match[1] == match[2], lines[0]
        start = next(index for index, line in enumerate(lines) if line.startswith("@@"))
        hunks, index = [], start
        while index < len(lines):
            head = re.fullmatch(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[index])
            assert head, lines[index]
            old, new = int(head[2] or 1), int(head[4] or 1)
            body = []
            index += 1
            while index < len(lines) and not lines[index].startswith("@@"):
                body.append(lines[index])
                index += 1
            assert sum(line[0] in " -" for line in body) == old
            assert sum(line[0] in " +" for line in body) == new
            hunks.append((head.group(0), body))
        result[match[1]] = (lines[:start], hunks)
    return result


@pytest.fixture(scope="module")
def diff():
    return upstream.build_diff()


@pytest.fixture(scope="module")
def patched_copy(diff, tmp_path_factory):
    return upstream.make_patched_copy(diff, tmp_path_factory.mktemp("patched-inc"))


def body(text):
    """A module without its leading comment block (the license header)."""
    return re.sub(r"\A(#.*\n)*", "", text)


class TestDiffContent:
    def test_upstreams_the_tests_under_test_torch_and_no_other(self):
        # The project's other tests (the runtime patch, the CLI, this kit) and test/torch/conftest.py, which applies
        # the runtime patch, exist and stay out of the diff.
        others = {path.relative_to(PROJECT).as_posix() for path in (PROJECT / "test").rglob("*.py")} - {
            path.relative_to(PROJECT).as_posix() for path in OUR_TESTS.values()
        }
        assert {"test/test_patch.py", "test/torch/conftest.py", "test/upstream/test_upstream_diff.py"} <= others
        assert any(path.startswith("test/cli/test_") for path in others)
        files = {file.path for file in upstream.upstream_files()}
        assert {path for path in files if path.startswith("test/")} == set(OUR_TESTS)
        assert not {Path(path).name for path in others} & {Path(path).name for path in files}

    def test_touches_the_two_modules_and_adds_our_tests_only(self, diff):
        parts = sections(diff)
        assert set(parts) == set(CHANGED) | set(OUR_TESTS)
        for path in MODULES:
            header, _ = parts[path]
            if (INSTALLED / path).is_file():
                assert header[1].startswith("index ") and header[1].endswith(" 100644")
                assert header[2:] == [f"--- a/{path}", f"+++ b/{path}"]
            else:  # INC before 3.8.1 has no pt2e_compat.py (utility.py it has since 3.0): the diff adds it.
                assert path == f"{PT2E}/pt2e_compat.py"
                assert header[1] == "new file mode 100644"

    def test_the_rewriter_reads_set_local_entries_through_the_fixed_utility(self, diff):
        _, hunks = sections(diff)[REWRITER]
        assert [line for _, lines in hunks for line in lines if line[0] in "+-"] == [
            "+from neural_compressor.torch.algorithms.pt2e_quant.utility import split_local_configs",
            "-    op_type_configs, op_name_configs = config._get_op_name_op_type_config()",
            "+    op_type_configs, op_name_configs = split_local_configs(config)",
        ]

    def test_adds_each_test_as_a_new_file_whole(self, diff):
        parts = sections(diff)
        for path, source in OUR_TESTS.items():
            header, hunks = parts[path]
            assert header[1:2] + header[3:] == ["new file mode 100644", "--- /dev/null", f"+++ b/{path}"]
            assert re.fullmatch(r"index 0{40}\.\.[0-9a-f]{40}", header[2])
            lines = source.read_text().splitlines()
            assert [head for head, _ in hunks] == [f"@@ -0,0 +1,{len(lines)} @@"]
            assert hunks[0][1] == [
                "+" + line.replace("neural_compressor_pt2e_fix.torch.", "neural_compressor.torch.") for line in lines
            ]

    def test_imports_rewritten_to_incs_package(self, diff):
        assert "neural_compressor_pt2e_fix" not in diff
        files = {file.path: file.new for file in upstream.upstream_files()}
        rewritten = 0
        for path, source in {**OURS, **OUR_TESTS}.items():
            ours = source.read_text().count("neural_compressor_pt2e_fix.")
            assert files[path].count("neural_compressor.") == source.read_text().count("neural_compressor.") + ours
            rewritten += ours
        assert rewritten > 0

    def test_replaced_modules_keep_incs_license_header(self):
        files = {file.path: file for file in upstream.upstream_files()}
        for path in MODULES:
            ours = OURS[path].read_text().replace("neural_compressor_pt2e_fix.torch.", "neural_compressor.torch.")
            if files[path].old is None:
                assert files[path].new == ours
                continue
            header = files[path].old[: len(files[path].old) - len(body(files[path].old))]
            assert header.splitlines()[0].endswith(" Intel Corporation")
            assert header.count("\n") == 13
            assert files[path].new == header + body(ours)

    def test_no_hunk_touches_incs_header(self, diff):
        for path in [path for path in MODULES if (INSTALLED / path).is_file()]:
            _, hunks = sections(diff)[path]
            assert not any("Copyright" in line for _, lines in hunks for line in lines if line[0] in "+-")


class TestDiffFormat:
    def tree(self, root, files):
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        return root

    def test_exact_diff_of_a_small_tree(self, tmp_path):
        inc = self.tree(
            tmp_path / "inc",
            {
                f"{PT2E}/utility.py": '# Copyright (c) 2024 Intel Corporation\n"""Old."""\n\nA = 1\nB = 2\n',
                f"{PT2E}/pt2e_compat.py": "# Copyright (c) 2026 Intel Corporation\nX = 1",
            },
        )
        project = self.tree(
            tmp_path / "project",
            {
                "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/utility.py": "# Copyright (c) 2026 Us\n"
                '"""Old."""\n\nA = 1\nB = 3\n',
                "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/pt2e_compat.py": "# Ours\nX = 1\n",
                "test/torch/conftest.py": "from neural_compressor_pt2e_fix import patched\n",
                "test/torch/quantization/test_a.py": "from neural_compressor_pt2e_fix.torch import utility\n",
                "test/torch/quantization/helpers.py": "HELPER = 1\n",
            },
        )
        # The contents after the diff; the index lines carry git's object ids (`git hash-object`) of the contents
        # before and after, computed here by git itself.
        after = {
            f"{PT2E}/utility.py": '# Copyright (c) 2024 Intel Corporation\n"""Old."""\n\nA = 1\nB = 3\n',
            f"{PT2E}/pt2e_compat.py": "# Copyright (c) 2026 Intel Corporation\nX = 1\n",
            "test/torch/quantization/test_a.py": "from neural_compressor.torch import utility\n",
        }
        utility_old, utility_new = git_hash((inc / f"{PT2E}/utility.py").read_bytes()), git_hash(
            after[f"{PT2E}/utility.py"]
        )
        compat_old, compat_new = git_hash((inc / f"{PT2E}/pt2e_compat.py").read_bytes()), git_hash(
            after[f"{PT2E}/pt2e_compat.py"]
        )
        test_new = git_hash(after["test/torch/quantization/test_a.py"])
        expected = (
            f"diff --git a/{PT2E}/utility.py b/{PT2E}/utility.py\n"
            f"index {utility_old}..{utility_new} 100644\n"
            f"--- a/{PT2E}/utility.py\n"
            f"+++ b/{PT2E}/utility.py\n"
            "@@ -2,4 +2,4 @@\n"
            ' """Old."""\n'
            " \n"
            " A = 1\n"
            "-B = 2\n"
            "+B = 3\n"
            f"diff --git a/{PT2E}/pt2e_compat.py b/{PT2E}/pt2e_compat.py\n"
            f"index {compat_old}..{compat_new} 100644\n"
            f"--- a/{PT2E}/pt2e_compat.py\n"
            f"+++ b/{PT2E}/pt2e_compat.py\n"
            "@@ -1,2 +1,2 @@\n"
            " # Copyright (c) 2026 Intel Corporation\n"
            "-X = 1\n"
            "\\ No newline at end of file\n"
            "+X = 1\n"
            "diff --git a/test/torch/quantization/test_a.py b/test/torch/quantization/test_a.py\n"
            "new file mode 100644\n"
            f"index {'0' * 40}..{test_new}\n"
            "--- /dev/null\n"
            "+++ b/test/torch/quantization/test_a.py\n"
            "@@ -0,0 +1 @@\n"
            "+from neural_compressor.torch import utility\n"
        )
        actual = upstream.build_diff(inc, project)
        assert actual == expected
        upstream.apply_diff(actual, inc)
        assert {path: (inc / path).read_text() for path in after} == after

    def test_adds_the_version_names_an_old_inc_lacks(self, tmp_path):
        environ = (
            'from packaging.version import Version\n\nTORCH_VERSION_2_2_2 = Version("2.2.2")\n\n\ndef f():\n    pass\n'
        )
        inc = self.tree(tmp_path / "inc", {f"{PT2E}/utility.py": "X = 1\n", ENVIRON: environ})
        project = self.tree(
            tmp_path / "project",
            {
                "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/utility.py": "X = 1\n",
                "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/pt2e_compat.py": (
                    "from neural_compressor_pt2e_fix.torch.utils.environ import TORCH_VERSION_2_11_0\n"
                    "A = TORCH_VERSION_2_2_2, TORCH_VERSION_2_11_0\n"
                ),
                "test/torch/test_d.py": "pass\n",
            },
        )
        files = {file.path: file for file in upstream.upstream_files(inc, project)}
        assert files[ENVIRON].new == environ.replace(
            'Version("2.2.2")\n', 'Version("2.2.2")\nTORCH_VERSION_2_11_0 = Version("2.11.0")\n'
        )
        (inc / ENVIRON).write_text(files[ENVIRON].new)
        assert ENVIRON not in {file.path for file in upstream.upstream_files(inc, project)}

    def test_rejects_a_test_that_still_names_our_package(self, tmp_path):
        project = self.tree(
            tmp_path,
            {
                **{
                    f"neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/{n}": "X = 1\n"
                    for n in ("utility.py", "pt2e_compat.py")
                },
                "test/torch/test_b.py": "import pytest\nfrom neural_compressor_pt2e_fix import apply_patch\n",
            },
        )
        with pytest.raises(
            ValueError, match=r"test_b\.py cannot be upstreamed: line 2 names neural_compressor_pt2e_fix"
        ):
            upstream.build_diff(INSTALLED, project)

    def test_rejects_a_test_that_imports_a_module_inc_does_not_have(self, tmp_path):
        project = self.tree(
            tmp_path,
            {
                **{
                    f"neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/{n}": "X = 1\n"
                    for n in ("utility.py", "pt2e_compat.py")
                },
                "test/torch/test_e.py": "from neural_compressor_pt2e_fix.torch.utils import environ\n"
                "from neural_compressor_pt2e_fix.demo import metrics\n",
            },
        )
        with pytest.raises(
            ValueError, match=r"test_e\.py cannot be upstreamed: line 2 names neural_compressor_pt2e_fix"
        ):
            upstream.build_diff(INSTALLED, project)

    def test_rejects_a_test_that_would_overwrite_one_of_incs(self, tmp_path):
        inc = self.tree(tmp_path / "inc", {f"{PT2E}/utility.py": "X = 1\n", "test/torch/test_c.py": "pass\n"})
        project = self.tree(
            tmp_path / "project",
            {
                **{
                    f"neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/{n}": "X = 2\n"
                    for n in ("utility.py", "pt2e_compat.py")
                },
                "test/torch/test_c.py": "pass\n",
            },
        )
        with pytest.raises(ValueError, match=r"test_c\.py cannot be added to INC: .*/inc/test/torch/test_c\.py exists"):
            upstream.build_diff(inc, project)

    def test_inc_src_must_be_an_inc_work_tree(self, tmp_path, capsys):
        assert cli.main(["upstream-diff", "--inc-src", str(tmp_path)]) == 1
        assert capsys.readouterr().err == (
            f"inc-pt2e-fix upstream-diff: error: FileNotFoundError: {tmp_path} is not an INC work tree: it has no "
            f"{PT2E}\n"
        )


def git_hash(data):
    data = data.encode() if isinstance(data, str) else data
    return (
        subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True)
        .stdout.decode()
        .strip()
    )


class TestCommand:
    def test_writes_the_diff_to_a_file(self, diff, tmp_path, capsys):
        output = tmp_path / "fix.diff"
        assert cli.main(["upstream-diff", "-o", str(output)]) == 0
        assert output.read_text() == diff
        numstat = subprocess.run(
            ["git", "apply", "--numstat", str(output)], cwd=tmp_path, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        added = sum(int(line.split()[0]) for line in numstat)
        removed = sum(int(line.split()[1]) for line in numstat)
        notes = [
            f"note: the INC base has no {path}, so the diff adds it; INC main has it: for the pull request, diff "
            "against an INC main work tree or git directory (--inc-src) or the installed INC 3.10"
            for path in MODULES
            if not (INSTALLED / path).is_file()
        ]
        if MISSING_NAMES:
            notes.append(
                f"note: the INC base lacks torch version names that INC main has; the diff adds them to {ENVIRON}"
            )
        assert capsys.readouterr().err.splitlines() == [
            *notes,
            f"wrote {output}: {len(numstat)} files, +{added} -{removed} lines",
        ]

    def test_writes_the_diff_to_stdout(self, diff, capsys):
        assert cli.main(["upstream-diff"]) == 0
        assert capsys.readouterr().out == diff


class TestPatchedCopy:
    def test_diff_applies_and_changes_nothing_else(self, patched_copy):
        files = {file.path: file.new for file in upstream.upstream_files()}
        for path, new in files.items():
            assert (patched_copy / path).read_text() == new
        installed = {
            p.relative_to(INSTALLED).as_posix()
            for p in (INSTALLED / "neural_compressor").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        copied = {
            p.relative_to(patched_copy).as_posix()
            for p in (patched_copy / "neural_compressor").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert copied == installed | set(MODULES)
        for path in installed - set(CHANGED):
            assert (patched_copy / path).read_bytes() == (INSTALLED / path).read_bytes(), path

    def test_rewritten_imports_resolve_in_the_patched_copy(self, patched_copy):
        files = [str(patched_copy / path) for path in [*MODULES, *OUR_TESTS]]
        result = subprocess.run(
            [sys.executable, "-c", RESOLVE, *files],
            cwd=patched_copy,
            env=dict(os.environ, PYTHONPATH=str(patched_copy)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        resolved = json.loads(result.stdout.splitlines()[-1])
        assert {f"{PT2E.replace('/', '.')}.{name}" for name in ("utility", "pt2e_compat")} <= set(resolved)
        outside = {name: path for name, path in resolved.items() if not Path(path).is_relative_to(patched_copy)}
        assert outside == {}

    def test_harness_refuses_our_package(self, patched_copy):
        probe = patched_copy / "test/probe"
        probe.mkdir(parents=True)
        (probe / "test_probe.py").write_text(
            "def test_import():\n    import neural_compressor_pt2e_fix  # noqa: F401\n"
        )
        result = upstream.run_pytest(patched_copy, upstream.conftest_text("no_patch"), ["-q", "test/probe"])
        assert result.returncode == 1
        assert (
            "ModuleNotFoundError: No module named 'neural_compressor_pt2e_fix' (this package must not be imported: "
            "these tests run on INC patched by the upstream diff or series)" in result.stdout
        )

    def test_passes_our_tests_without_the_runtime_patch(self, patched_copy):
        result = upstream.run_pytest(
            patched_copy, upstream.conftest_text("no_patch"), ["-q", "-rA", "test/torch", "-k", QUICK]
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        passed = [line for line in result.stdout.splitlines() if line.startswith("PASSED ")]
        for term in QUICK_PASSING:
            assert any(term in line for line in passed), term
        assert re.search(rf"^{len(passed)} passed(, \d+ skipped)?, \d+ deselected", result.stdout, flags=re.M)


@pytest.mark.skipif(
    not INC_SRC.exists(), reason=f"needs INC main at INC_SRC ({INC_SRC}); CI has no GitHub access to fetch it"
)
class TestIncMain:
    @pytest.fixture(scope="class")
    def main_tree(self, tmp_path_factory):
        return upstream.export_inc_tree(INC_SRC, tmp_path_factory.mktemp("inc-main"), [PT2E, "test/torch"])

    def test_diff_against_main_applies(self, main_tree):
        diff = upstream.build_diff(main_tree)
        parts = sections(diff)
        assert set(parts) == {*MODULES, REWRITER, *OUR_TESTS}
        assert all(parts[path][0][1].startswith("index ") for path in (*MODULES, REWRITER))
        upstream.apply_diff(diff, main_tree, check_only=True)

    def test_diff_against_the_installed_inc_equals_the_diff_against_main(self, main_tree, diff):
        if not INSTALLED_IS_MAIN:
            pytest.skip("the installed INC's PT2E modules are not INC main's")
        assert upstream.build_diff(main_tree) == diff

    def test_series_from_a_git_directory(self, tmp_path, capsys):
        assert cli.main(["upstream-diff", "--series", str(tmp_path), "--inc-src", str(INC_SRC)]) == 0
        written = {path.name: path.read_text() for path in tmp_path.iterdir()}
        assert written == dict(upstream.build_series(INC_SRC))
        assert len(capsys.readouterr().err.splitlines()) == len(written)


# The stored patches of the series apply onto INC main; the installed INC is INC main where its utility.py is the
# blob that the first stored patch names as its base (INC 3.10; not INC 3.0.2).
FIRST_PATCH = upstream.stored_patches()[0][1]
MAIN_UTILITY_BLOB = re.search(rf"^diff --git a/{PT2E}/utility.py .*\nindex ([0-9a-f]+)\.\.", FIRST_PATCH, re.M)[1]
INSTALLED_IS_MAIN = git_hash((INSTALLED / f"{PT2E}/utility.py").read_bytes()).startswith(MAIN_UTILITY_BLOB)


def apply_in_order(patches, root):
    """Commit ``root`` and apply the patches with git am, as a maintainer would; return the commit subjects."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    for name, text in patches:
        result = subprocess.run([*git, "am", "-q"], cwd=root, input=text, capture_output=True, text=True)
        assert result.returncode == 0, f"{name}: {result.stderr}"
    log = subprocess.run([*git, "log", "--format=%s", f"-{len(patches)}"], cwd=root, capture_output=True, text=True)
    return log.stdout.splitlines()[::-1]


def tree_files(root):
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts and "__pycache__" not in path.parts
    }


@pytest.mark.skipif(not INSTALLED_IS_MAIN, reason="the installed INC's PT2E modules are not INC main's (INC 3.10)")
class TestSeries:
    @pytest.fixture(scope="class")
    def series(self):
        return upstream.build_series()

    def base(self, root):
        shutil.copytree(INSTALLED / PT2E, root / PT2E, ignore=shutil.ignore_patterns("__pycache__"))
        return root

    def test_applies_in_order_and_ends_at_the_single_diff_result(self, series, diff, tmp_path):
        stepwise, whole = self.base(tmp_path / "series"), self.base(tmp_path / "diff")
        subjects = apply_in_order(series, stepwise)
        upstream.apply_diff(diff, whole)
        assert tree_files(stepwise) == tree_files(whole)
        assert len(subjects) == len(series) == len(upstream.stored_patches()) + 1
        assert all(subject.startswith("PT2E: ") for subject in subjects)

    def test_each_patch_is_a_numbered_format_patch_with_its_own_description(self, series):
        for index, (name, text) in enumerate(series, 1):
            assert re.fullmatch(rf"{index:04d}-[A-Za-z0-9-]+\.patch", name)
            head, _, diff = text.partition("\ndiff --git ")
            assert head.startswith(f"From {'0' * 40} Mon Sep 17 00:00:00 2001\nFrom: ")
            assert f"\nSubject: [PATCH {index}/{len(series)}] PT2E: " in head
            for part in ("What: ", "Why: ", "Risk: ", "How tested: ", "Dependency change: "):
                assert part in head, (name, part)
            assert diff

    def test_the_stored_patches_are_reviewed_data_and_the_last_one_is_computed(self, series):
        stored = upstream.stored_patches()
        for index, ((name, text), (stored_name, stored_text)) in enumerate(zip(series, stored), 1):
            assert name == stored_name
            assert text == stored_text.replace("Subject: [PATCH] ", f"Subject: [PATCH {index}/{len(series)}] ", 1)
        # The first patch keeps INC main's observers, so the default config gives INC main's numbers.
        added = [line for line in FIRST_PATCH.splitlines() if line.startswith("+") and "Observer" in line]
        assert any("xiq.MovingAverageMinMaxObserver" in line for line in added)
        assert not any("eps" in line or "with_args" in line for line in added)
        assert not re.search(r"^\+.*(hypothesis|SUPPORTS_|TORCH_VERSION_2_8)", FIRST_PATCH, re.M)

    def project_copy(self, root):
        for part in ("neural_compressor_pt2e_fix/torch", "test/torch"):
            shutil.copytree(PROJECT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        return root

    def test_last_patch_absorbs_a_change_of_the_package(self, series, tmp_path):
        project = self.project_copy(tmp_path / "project")
        module = project / "neural_compressor_pt2e_fix/torch/algorithms/pt2e_quant/utility.py"
        module.write_text(module.read_text() + "\n# A later edit of the package.\n")
        changed = upstream.build_series(project_root=project)
        assert changed[:-1] == series[:-1]
        assert "+# A later edit of the package." in changed[-1][1] and "A later edit" not in series[-1][1]
        stepwise, whole = self.base(tmp_path / "series"), self.base(tmp_path / "diff")
        apply_in_order(changed, stepwise)
        upstream.apply_diff(upstream.build_diff(INSTALLED, project), whole)
        assert tree_files(stepwise) == tree_files(whole)

    def test_a_stored_test_file_missing_from_the_end_state_is_an_error(self, tmp_path):
        project = self.project_copy(tmp_path / "project")
        (project / "test/torch/algorithms/pt2e_quant/test_observer_factory.py").unlink()
        with pytest.raises(
            ValueError,
            match=re.escape(
                "the stored series adds test/torch/algorithms/pt2e_quant/test_observer_factory.py, which the end "
                "state lacks"
            ),
        ):
            upstream.build_series(project_root=project)

    def test_refuses_a_directory_with_other_patches(self, series, tmp_path):
        (tmp_path / "0001-other.patch").write_text("x")
        with pytest.raises(FileExistsError, match=re.escape("holds other patches (0001-other.patch)")):
            upstream.write_series(series, tmp_path)


# Import every neural_compressor module and name that the given files import; print {module: file} as JSON.
RESOLVE = """
import ast, importlib, json, sys
from pathlib import Path

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "neural_compressor_pt2e_fix":
            raise ImportError(name)

sys.meta_path.insert(0, Block())
resolved = {}
for path in sys.argv[1:]:
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "neural_compressor":
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    importlib.import_module(f"{node.module}.{alias.name}")
            resolved[node.module] = module.__file__
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "neural_compressor":
                    resolved[alias.name] = importlib.import_module(alias.name).__file__
print(json.dumps(resolved))
"""
