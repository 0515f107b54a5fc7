"""The upstream kit: the queue of pull requests, its data, its command, and this package as the queue's back-port."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neural_compressor_pt2e_fix.patch import inc_version
from neural_compressor_pt2e_fix.upstream import command, git, modules, queue, source

QUEUE = queue.load_queue()
INC_VERSION = inc_version()
PROJECT = Path(__file__).resolve().parent.parent.parent
# INC's pull request template (.github/pull_request_template.md), in order.
TEMPLATE_SECTIONS = [
    "## Type of Change",
    "## Description",
    "## Expected Behavior & Potential Risk",
    "## How has this PR been tested?",
    "## Dependency Change?",
]
# A pull request's non-test change may exceed this many changed lines only where its description says why.
MAX_NON_TEST_LINES = 250


class TestQueueData:
    def test_numbered_in_order_with_earlier_dependencies(self):
        assert [pull_request.number for pull_request in QUEUE] == list(range(1, len(QUEUE) + 1))
        assert len(QUEUE) >= 8
        for pull_request in QUEUE:
            assert all(number < pull_request.number for number in pull_request.depends)
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", pull_request.slug)

    @pytest.mark.parametrize("pull_request", QUEUE, ids=[pr.name for pr in QUEUE])
    def test_description_follows_incs_template_and_stands_alone(self, pull_request):
        lines = pull_request.description.splitlines()
        assert lines[0] == "Depends on: " + (", ".join(f"{n:02d}" for n in pull_request.depends) or "none")
        positions = [lines.index(section) for section in TEMPLATE_SECTIONS]
        assert positions == sorted(positions)
        # A reviewer reads it without this project: no reference to its tools, package or documents.
        for reference in ("inc-pt2e-fix", "neural_compressor_pt2e_fix", "docs/", "conformance.md"):
            assert reference not in pull_request.description, reference

    @pytest.mark.parametrize("pull_request", QUEUE, ids=[pr.name for pr in QUEUE])
    def test_non_test_size_is_small_or_explained(self, pull_request):
        _, added, removed = pull_request.stats(tests=False)
        assert added + removed <= MAX_NON_TEST_LINES or "\nSize: " in pull_request.description

    @pytest.mark.parametrize("pull_request", QUEUE, ids=[pr.name for pr in QUEUE])
    def test_patches_are_format_patch_emails_with_the_placeholder_author(self, pull_request):
        for name, text in pull_request.patches:
            assert name.endswith(".patch")
            assert text.startswith(f"From {'0' * 40} ")
            assert f"\nFrom: {queue.PLACEHOLDER_AUTHOR}\nDate: " in text  # one header line, not folded
            assert re.search(r"^Subject: \[PATCH\] \S", text, flags=re.M)
            assert git.touched_paths(text)

    def test_titles_name_the_area(self):
        assert all(pull_request.title.startswith("PT2E: ") for pull_request in QUEUE)


class TestQueueFunctions:
    PATCH = (
        f"From {'0' * 40} Mon Sep 17 00:00:00 2001\nFrom: {queue.PLACEHOLDER_AUTHOR}\nDate: x\n"
        "Subject: [PATCH] PT2E: a title\n\nBody.\n---\n a | 1 +\n\ndiff --git a/a b/a\n"
    )

    def test_set_author_replaces_a_folded_from_header(self):
        # git format-patch folds a long From header; the continuation line belongs to it.
        folded = self.PATCH.replace(
            f"From: {queue.PLACEHOLDER_AUTHOR}\n", "From: A Long Name Of Authors\n <authors@example.com>\n"
        )
        assert queue.set_author(folded, queue.PLACEHOLDER_AUTHOR) == self.PATCH

    def test_with_author_sets_the_author_and_signs_off_once(self):
        signed = queue.with_author(self.PATCH, "Jane Doe <jane@example.com>")
        assert "\nFrom: Jane Doe <jane@example.com>\n" in signed
        assert "Body.\n\nSigned-off-by: Jane Doe <jane@example.com>\n---\n" in signed
        assert queue.with_author(signed, "Jane Doe <jane@example.com>") == signed

    def test_closure_holds_every_dependency_in_queue_order(self):
        fake = [
            queue.PullRequest(1, "a", (), "", ()),
            queue.PullRequest(2, "b", (1,), "", ()),
            queue.PullRequest(3, "c", (), "", ()),
            queue.PullRequest(4, "d", (2, 3), "", ()),
        ]
        assert [pr.number for pr in queue.closure(fake, 4)] == [1, 2, 3, 4]
        assert [pr.number for pr in queue.closure(fake, 3)] == [3]

    def test_write_prs_refuses_a_directory_holding_something_else(self, tmp_path):
        (tmp_path / "notes.txt").write_text("x")
        with pytest.raises(FileExistsError, match="notes.txt"):
            queue.write_prs(QUEUE, tmp_path)

    def test_diff_stats_count_files_and_lines(self):
        diff = (
            "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n-a\n+b\n+c\n keep\n"
            "diff --git a/test/y b/test/y\n--- a/test/y\n+++ b/test/y\n@@ -1 +0,0 @@\n-d\n"
        )
        assert git.diff_stats(diff) == (2, 2, 2)
        assert git.diff_stats(diff, queue.is_test_path) == (1, 0, 1)

    def test_queue_table_has_one_row_per_pull_request_with_its_sizes(self):
        table = command.queue_table(QUEUE)
        assert table.count("\n") == len(QUEUE) + 2
        _, added, removed = QUEUE[0].stats(tests=False)
        assert f"| {QUEUE[0].name} | {QUEUE[0].title} | none | " in table
        assert f"+{added} −{removed}" in table


class TestModules:
    def test_rewrite_spells_incs_package_and_refuses_ours_otherwise(self):
        rewritten = modules.rewrite("from neural_compressor_pt2e_fix.torch.x import y\n", "m")
        assert rewritten == "from neural_compressor.torch.x import y\n"
        with pytest.raises(ValueError, match="line 2 names neural_compressor_pt2e_fix"):
            modules.rewrite("import os\nimport neural_compressor_pt2e_fix\n", "m")

    def test_every_module_under_pt2e_quant_goes_upstream(self):
        ours = PROJECT / "neural_compressor_pt2e_fix" / "torch" / "algorithms" / "pt2e_quant"
        names = sorted(path.name for path in ours.glob("*.py") if path.name != "__init__.py")
        assert names == sorted(modules.UPSTREAM_MODULES)

    @pytest.mark.skipif(INC_VERSION != "3.10", reason="INC 3.10's PT2E modules are INC main's, older ones are not")
    def test_this_package_is_inc_main_with_the_queue_applied(self, tmp_path):
        # Apply the non-test part of every pull request to the installed INC 3.10's PT2E modules, in order.
        root = tmp_path / "inc"
        shutil.copytree(source.installed_inc_root() / source.PT2E_DIR, root / source.PT2E_DIR)
        for pull_request in QUEUE:
            for _, text in pull_request.patches:
                applied = subprocess.run(
                    ["git", "apply", f"--include={source.PT2E_DIR}/*", "-"],
                    cwd=root,
                    input=text,
                    text=True,
                    capture_output=True,
                )
                assert applied.returncode == 0, f"{pull_request.name}: {applied.stderr}"
        assert modules.module_differences(root) == []


def test_upstream_diff_writes_the_queue_from_an_installed_package(tmp_path):
    # A plain `pip install .` (no editable install) carries the queue as package data.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            target,
            PROJECT,
        ],
        check=True,
        capture_output=True,
    )
    code = "import sys; from neural_compressor_pt2e_fix.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "upstream-diff", "--prs", str(tmp_path / "prs")],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "prs").iterdir()) == [pr.name for pr in QUEUE]
    assert "note: the patches' author is a placeholder" in result.stderr
    for pull_request in QUEUE:
        written = sorted(path.name for path in (tmp_path / "prs" / pull_request.name).iterdir())
        assert written == sorted([*(name for name, _ in pull_request.patches), "description.md"])


def test_the_docs_table_of_the_queue_is_generated_from_it():
    spec = importlib.util.spec_from_file_location("upstream_queue", PROJECT / "scripts" / "upstream_queue.py")
    upstream_queue = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(upstream_queue)
    text = (PROJECT / "docs" / "upstreaming.md").read_text(encoding="utf-8")
    assert upstream_queue.generated_table(text) == text, "run make upstream-docs"
