# Two virtual environments, created once from the pinned requirements and refreshed when a pin changes:
#   .venv       primary stack (torch 2.14.1 + torchao 0.18.0 + INC 3.10) with the demo and lint tools
#   .venv-seed  seed stack (torch 2.4.1 + INC 3.0.2, the environment of INC issue #1984)
PYTHON ?= python3
PRIMARY := .venv
SEED := .venv-seed
PIP := pip install --quiet --disable-pip-version-check
SOURCES := neural_compressor_pt2e_fix test scripts setup.py

.PHONY: setup demo test test-primary test-seed test-compat lint format clean

setup: $(PRIMARY)/.installed $(SEED)/.installed

$(PRIMARY)/.installed: requirements/primary.txt requirements/test.txt requirements/lint.txt setup.py
	test -x $(PRIMARY)/bin/python || $(PYTHON) -m venv $(PRIMARY)
	$(PRIMARY)/bin/$(PIP) -r requirements/primary.txt -r requirements/test.txt -r requirements/lint.txt
	$(PRIMARY)/bin/$(PIP) --no-deps -e .
	touch $@

$(SEED)/.installed: requirements/seed.txt requirements/test.txt setup.py
	test -x $(SEED)/bin/python || $(PYTHON) -m venv $(SEED)
	$(SEED)/bin/$(PIP) -r requirements/seed.txt -r requirements/test.txt
	$(SEED)/bin/$(PIP) --no-deps -e .
	touch $@

demo: $(PRIMARY)/.installed
	$(PRIMARY)/bin/inc-pt2e-fix demo

test: lint test-primary test-seed

test-primary: $(PRIMARY)/.installed
	$(PRIMARY)/bin/python -m pytest

test-seed: $(SEED)/.installed
	$(SEED)/bin/python -m pytest

# Compat stacks: requirements/stack-<name>.txt, one per INC release line on its torch (README, "Supported stacks").
# `make test-compat` lists them; `make test-compat STACK=<name>` builds .venv-<name> on request and runs the suite.
COMPAT_STACKS := $(sort $(patsubst requirements/stack-%.txt,%,$(wildcard requirements/stack-*.txt)))

test-compat:
ifeq ($(STACK),)
	@echo "usage: make test-compat STACK=<name>   (builds .venv-<name> from requirements/stack-<name>.txt, runs the suite)"
	@echo "stacks: $(COMPAT_STACKS)"
	@echo "the pinned stacks primary and seed run in make test (test-primary, test-seed)"
else
	@test -f requirements/stack-$(STACK).txt || { echo "unknown stack '$(STACK)'; stacks: $(COMPAT_STACKS)"; exit 2; }
	$(MAKE) --no-print-directory .venv-$(STACK)/.installed
	.venv-$(STACK)/bin/python -m pytest
endif

.venv-%/.installed: requirements/stack-%.txt requirements/test.txt setup.py
	test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/$(PIP) -r requirements/stack-$*.txt -r requirements/test.txt
	.venv-$*/bin/$(PIP) --no-deps -e .
	touch $@

lint: $(PRIMARY)/.installed
	$(PRIMARY)/bin/black --check $(SOURCES)
	$(PRIMARY)/bin/isort --check-only $(SOURCES)
	$(PRIMARY)/bin/ruff check $(SOURCES)
	$(PRIMARY)/bin/codespell $(SOURCES) README.md CHANGELOG.md CONTRIBUTING.md docs
	$(PRIMARY)/bin/docformatter --check --recursive neural_compressor_pt2e_fix scripts
	$(PRIMARY)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml

format: $(PRIMARY)/.installed
	$(PRIMARY)/bin/isort $(SOURCES)
	$(PRIMARY)/bin/black $(SOURCES)
	$(PRIMARY)/bin/docformatter --in-place --recursive neural_compressor_pt2e_fix scripts || true

clean:
	rm -rf $(PRIMARY) $(SEED) .venv-* build dist *.egg-info .pytest_cache

# The upstream kit (docs/upstreaming.md, CONTRIBUTING.md): the queue of pull requests against INC main. INC_SRC: an
# INC work tree or git directory at INC main (e.g. a bare mirror); PRS_DIR: where upstream-diff writes the queue.
INC_SRC ?=
PRS_DIR ?= build/inc-prs
INC_CI := .venv-inc-ci .venv-inc-ci-2.14
INC_CI_PYTHONS = $(foreach venv,$(INC_CI),$(if $(wildcard $(venv)/bin/python),--python $(venv)/bin/python))

.PHONY: upstream-diff upstream-check upstream-invariant inc-acceptance inc-ci-venvs upstream-docs

define require_inc_src
	@test -n "$(INC_SRC)" || { echo "usage: make $@ INC_SRC=<INC main: work tree or git directory>"; exit 2; }
endef

upstream-diff: $(PRIMARY)/.installed
	$(require_inc_src)
	$(PRIMARY)/bin/python -m neural_compressor_pt2e_fix upstream-diff --prs $(PRS_DIR) --inc-src $(INC_SRC)

# Each pull request as INC's CI runs it, with INC CI's torch pins (make inc-ci-venvs) or else the primary stack.
upstream-check: $(PRIMARY)/.installed .venv-inc-lint/.installed
	$(require_inc_src)
	$(PRIMARY)/bin/python scripts/upstream_check.py prs --inc-src $(INC_SRC) --lint-tools .venv-inc-lint/bin $(INC_CI_PYTHONS)

# INC's linters at the revisions its .pre-commit-config.yaml pins.
.venv-inc-lint/.installed: requirements/inc-lint.txt
	test -x .venv-inc-lint/bin/python || $(PYTHON) -m venv .venv-inc-lint
	.venv-inc-lint/bin/$(PIP) -r requirements/inc-lint.txt
	touch $@

upstream-invariant: $(PRIMARY)/.installed
	$(require_inc_src)
	$(PRIMARY)/bin/python scripts/upstream_check.py invariant --inc-src $(INC_SRC) --models quick

inc-acceptance: $(PRIMARY)/.installed
	$(require_inc_src)
	$(PRIMARY)/bin/python scripts/upstream_check.py acceptance --inc-src $(INC_SRC)

inc-ci-venvs: requirements/inc-ci.txt requirements/inc-ci-2.14.txt
	test -x .venv-inc-ci/bin/python || $(PYTHON) -m venv .venv-inc-ci
	.venv-inc-ci/bin/$(PIP) -r requirements/inc-ci.txt
	test -x .venv-inc-ci-2.14/bin/python || $(PYTHON) -m venv .venv-inc-ci-2.14
	.venv-inc-ci-2.14/bin/$(PIP) -r requirements/inc-ci-2.14.txt

# The queue's table in docs/upstreaming.md, generated from the stored pull requests.
upstream-docs: $(PRIMARY)/.installed
	$(PRIMARY)/bin/python scripts/upstream_queue.py docs docs/upstreaming.md

# The proposed upstream fixes of docs/upstream-bugs/ (*.fix.patch), applied to the installed torch/torchao of a scratch
# venv (never .venv or .venv-seed): each repro and stack probe before and after, the probes' tests, and the patches'
# regression tests with the existing tests of the same upstream files. TORCHAO_SRC / PYTORCH_SRC: a work tree or git
# directory (e.g. a bare mirror) to take the upstream test files from (wheels ship none); temporary trees only.
FIXES_VENV := build/upstream-fixes-venv
TORCHAO_SRC ?=
PYTORCH_SRC ?=

.PHONY: upstream-fixes-check

$(FIXES_VENV)/.installed: requirements/upstream-fixes.txt
	test -x $(FIXES_VENV)/bin/python || $(PYTHON) -m venv $(FIXES_VENV)
	$(FIXES_VENV)/bin/$(PIP) -r requirements/upstream-fixes.txt
	touch $@

upstream-fixes-check: $(FIXES_VENV)/.installed
	PYTHONPATH=$(CURDIR) $(FIXES_VENV)/bin/python scripts/upstream_fixes_check.py --venv $(FIXES_VENV) \
		$(if $(TORCHAO_SRC),--torchao-src $(TORCHAO_SRC)) $(if $(PYTORCH_SRC),--pytorch-src $(PYTORCH_SRC))
