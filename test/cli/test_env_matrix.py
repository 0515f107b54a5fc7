"""The ``env`` and ``matrix`` subcommands of ``inc-pt2e-fix``, run as a user runs them, and the matrix's classes."""

import argparse
import itertools
import json
import math
import re
import subprocess
import sys
from importlib import metadata

import pytest
import torch

from neural_compressor.torch.algorithms.pt2e_quant import utility as inc_utility
from neural_compressor_pt2e_fix import env, matrix, patched
from neural_compressor_pt2e_fix.cli import build_parser
from neural_compressor_pt2e_fix.matrix import command, report
from neural_compressor_pt2e_fix.patch import inc_version
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat, support, utility
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import PT2E_HOME

INC = inc_version()
BOOLS = (True, False)
ALGOS = ("minmax", "kl")
DEFAULT = "w=int8/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax"
W_ASYM = "w=int8/asym/per_channel/minmax a=uint8/asym/per_tensor/minmax"
W_UINT8 = "w=uint8/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax"
W_INT4 = "w=int4/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax"

# The defects of env.PROBES that each INC release's factory has, as measured.
DEFECTS_OF_BOTH = {
    "per_channel with sym=False becomes per_tensor_affine",
    "observers use an eps other than 2**-12 (torchao's X86 default)",
    "an unknown dtype raises a bare KeyError",
    "kl with per_channel is accepted (HistogramObserver is per-tensor only)",
    "w_sym=False is accepted (the X86 quantizer fails later, naming no field)",
    "w_dtype='uint8' is accepted (fails only at compile)",
    "per_channel activations are accepted (the X86 quantizer asserts later)",
    "act_dtype='fp32' with int8 weights raises a bare KeyError",
}
INC_DEFECTS = {
    "3.10": DEFECTS_OF_BOTH | {'"minmax" is not MinMaxObserver'},
    "3.0.2": DEFECTS_OF_BOTH
    | {
        "per_channel weights (the default) get a per-tensor observer",
        "the output activation ignores the act_* settings",
    },
}

W_SYM_REJECTED = "prepare: ValueError: w_sym=False is not supported: oneDNN int8 kernels take symmetric weights"
W_UINT8_REJECTED = "prepare: ValueError: w_dtype='uint8' is not supported: X86 int8 kernels take int8 weights"
W_INT4_REJECTED = "prepare: ValueError: w_dtype='int4' is not supported: unknown dtype. Valid values: 'int8'."
# The X86 quantizer (torchao's; torch.ao's before torch 2.11) refusing an affine weight spec.
X86_WEIGHT_ERROR = "prepare: ValueError: Unsupported quantization_spec QuantizationSpec(dtype=torch.int8"
MINMAX_PER_CHANNEL_ERROR = (
    "prepare: NotImplementedError: MinMaxObserver's qscheme only support torch.per_tensor_symmetric"
)

# label -> (stock class, start of the stock cause, fixed class, start of the fixed cause), without compile.
SUBSET_EAGER = {
    "3.10": {
        DEFAULT: (matrix.EAGER, "", matrix.EAGER, ""),
        W_ASYM: (matrix.BROKEN, X86_WEIGHT_ERROR, matrix.REJECTED, W_SYM_REJECTED),
        W_UINT8: (matrix.EAGER, "", matrix.REJECTED, W_UINT8_REJECTED),
        W_INT4: (matrix.BROKEN, "prepare: KeyError: 'int4'", matrix.REJECTED, W_INT4_REJECTED),
    },
    "3.0.2": {
        DEFAULT: (matrix.BROKEN, MINMAX_PER_CHANNEL_ERROR, matrix.EAGER, ""),
        W_ASYM: (matrix.BROKEN, X86_WEIGHT_ERROR, matrix.REJECTED, W_SYM_REJECTED),
        W_UINT8: (matrix.BROKEN, MINMAX_PER_CHANNEL_ERROR, matrix.REJECTED, W_UINT8_REJECTED),
        W_INT4: (matrix.BROKEN, "prepare: KeyError: 'int4'", matrix.REJECTED, W_INT4_REJECTED),
    },
}

# The settings of SUBSET_EAGER that stock INC runs eagerly and the fix rejects: stock fails to compile them
# (SUBSET_COMPILED), and the output marks them "ok until compiled". Stock INC 3.0.2 fails at prepare on all four.
OK_UNTIL_COMPILED = {"3.10": {W_UINT8}, "3.0.2": set()}

# The same for the default and w_dtype='uint8', with compile.
SUBSET_COMPILED = {
    "3.10": {
        DEFAULT: (matrix.COMPILED, "", matrix.COMPILED, ""),
        W_UINT8: (
            matrix.BROKEN,
            "compile: BackendCompilerFailed: backend='inductor' raised: RuntimeError: Weight should have dtype int8 ",
            matrix.REJECTED,
            W_UINT8_REJECTED,
        ),
    },
    "3.0.2": {
        DEFAULT: (matrix.BROKEN, MINMAX_PER_CHANNEL_ERROR, matrix.COMPILED, ""),
        W_UINT8: (matrix.BROKEN, MINMAX_PER_CHANNEL_ERROR, matrix.REJECTED, W_UINT8_REJECTED),
    },
}


def _torchao_version():
    try:
        return metadata.version("torchao")
    except metadata.PackageNotFoundError:
        return "not installed"


STACK = {"torch": torch.__version__, "torchao": _torchao_version(), "INC": INC, "PT2E home": PT2E_HOME}


def _measured(table):
    if INC not in table:
        pytest.skip(f"the expected stock results are measured for INC {', '.join(table)}, not INC {INC}")
    return table[INC]


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "neural_compressor_pt2e_fix", *args], capture_output=True, text=True, timeout=900
    )


def _assert_rows(rows, expected):
    assert [row["label"] for row in rows] == list(expected)
    for row in rows:
        stock_class, stock_cause, fixed_class, fixed_cause = expected[row["label"]]
        assert (row["stock"]["class"], row["fixed"]["class"]) == (stock_class, fixed_class), row["label"]
        assert row["stock"]["cause"].startswith(stock_cause), row["stock"]["cause"]
        assert row["fixed"]["cause"].startswith(fixed_cause), row["fixed"]["cause"]
        assert bool(row["stock"]["cause"]) == bool(stock_cause) and bool(row["fixed"]["cause"]) == bool(fixed_cause)


class TestCommandLine:
    def test_help_lists_every_subcommand(self):
        result = _cli("--help")
        assert result.returncode == 0
        assert result.stdout.startswith("usage: inc-pt2e-fix [-h] [--verbose] COMMAND ...")
        listed = [line.split()[0] for line in result.stdout.splitlines() if re.match(r"    \S", line)]
        assert listed == ["env", "matrix", "demo", "upstream-diff"]

    @pytest.mark.parametrize("argv", [["--verbose", "env"], ["env", "--verbose"]], ids=["before", "after"])
    def test_verbose_before_or_after_the_subcommand(self, argv):
        args = build_parser().parse_args(argv)
        assert (args.command, args.verbose, args.run.module) == ("env", True, "env")

    def test_verbose_defaults_to_false(self):
        assert build_parser().parse_args(["env"]).verbose is False

    @pytest.mark.parametrize(
        "args, error",
        [
            (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
            (["matrix", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        ],
    )
    def test_usage_error_exits_2_with_usage_on_stderr(self, args, error):
        result = _cli(*args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith("usage: inc-pt2e-fix ")
        assert f"inc-pt2e-fix: error: {error}" in result.stderr


class TestEnv:
    def test_prints_the_running_stack_and_the_defects(self):
        result = _cli("env")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[:5] == [f"{name}: {value}" for name, value in STACK.items()] + ["patch applied: no"]
        rows = lines[lines.index(f"{'INC ' + INC:<10}  fixed  defect (what INC's factory returned or raised)") + 1 :]
        assert [tuple(row.split(maxsplit=2)) for row in rows] == [
            ("yes" if present else "no", "no", defect + (f" ({evidence})" if present else ""))
            for defect, present, evidence in env.probe_inc()
        ]

    def test_probes_find_the_measured_defects_of_the_installed_inc(self):
        assert {defect for defect, present, _ in env.probe_inc() if present} == _measured(INC_DEFECTS)

    def test_evidence_of_the_defects_every_measured_inc_has(self):
        _measured(INC_DEFECTS)
        evidence = {defect: text for defect, _, text in env.probe_inc()}
        assert evidence["per_channel with sym=False becomes per_tensor_affine"] == "qscheme=torch.per_tensor_affine"
        assert evidence["observers use an eps other than 2**-12 (torchao's X86 default)"] == "eps=1.19e-07"
        assert evidence["an unknown dtype raises a bare KeyError"] == "KeyError: 'int4'"
        assert evidence["act_dtype='fp32' with int8 weights raises a bare KeyError"] == "KeyError: 'fp32'"

    def test_the_fixed_factory_has_none_of_the_defects(self):
        assert [(defect, present) for defect, present, _ in env.probe(utility)] == [
            (defect, False) for defect, _ in env.PROBES
        ]

    @pytest.mark.parametrize(
        "table, changes, defect",
        [
            (
                "OBSERVERS",
                {("minmax", torch.per_channel_symmetric): pt2e_compat.MinMaxObserver},
                "per_channel weights (the default) get a per-tensor observer",
            ),
            (
                "QSCHEMES",
                {("per_channel", False): torch.per_tensor_affine},
                "per_channel with sym=False becomes per_tensor_affine",
            ),
            (
                "OBSERVERS",
                {("minmax", torch.per_tensor_affine): pt2e_compat.HistogramObserver},
                '"minmax" is not MinMaxObserver',
            ),
            ("OBSERVER_EPS", 1e-3, "observers use an eps other than 2**-12 (torchao's X86 default)"),
        ],
        ids=["per-channel-observer", "per-channel-qscheme", "minmax-observer", "eps"],
    )
    def test_a_wrong_entry_in_the_fixed_tables_is_found_as_a_defect(self, monkeypatch, table, changes, defect):
        # The probes compare with fixed values, not with the tables the fixed factory reads.
        value = {**getattr(support, table), **changes} if isinstance(changes, dict) else changes
        for module in (support, utility):
            monkeypatch.setattr(module, table, value)
        assert [found for found, present, _ in env.probe(utility) if present] == [defect]

    def test_under_the_patch_probes_inc_original_functions_and_keeps_the_patch(self, capsys):
        unpatched = env.probe_inc()
        with patched():
            assert env.run(argparse.Namespace()) == 0
            assert inc_utility.create_quant_spec_from_config is utility.create_quant_spec_from_config
        assert inc_utility.create_quant_spec_from_config is not utility.create_quant_spec_from_config
        lines = capsys.readouterr().out.splitlines()
        assert "patch applied: yes (the probes below ran on INC's original functions)" in lines
        assert [line.split()[0] for line in lines[-len(unpatched) :]] == [
            "yes" if present else "no" for _, present, _ in unpatched
        ]


class TestMatrixSpace:
    def test_the_space_is_the_table_product_then_single_changes_of_the_default(self):
        labels = [matrix.label(setting) for setting in matrix.settings()]
        assert len(labels) == 71 and len(set(labels)) == 71
        assert labels[0] == DEFAULT
        assert labels[64:] == [
            W_UINT8,
            "w=int8/sym/per_channel/minmax a=uint8/asym/per_channel/minmax",
            W_INT4,
            "w=int8/sym/per_group/minmax a=uint8/asym/per_tensor/minmax",
            "w=int8/sym/per_channel/mse a=uint8/asym/per_tensor/minmax",
            "w=int8/sym/per_channel/minmax a=fp32/asym/per_tensor/minmax",
            "w=int8/sym/per_channel/minmax a=bf16/asym/per_tensor/minmax",
        ]
        product = matrix.settings()[:64]
        assert {setting["w_dtype"] for setting in product} == {"int8"}
        assert {setting["act_granularity"] for setting in product} == {"per_tensor"}
        fields = ("w_granularity", "w_sym", "w_algo", "act_dtype", "act_sym", "act_algo")
        assert sorted(tuple(setting[field] for field in fields) for setting in product) == sorted(
            itertools.product(("per_channel", "per_tensor"), BOOLS, ALGOS, ("uint8", "int8"), BOOLS, ALGOS)
        )

    def test_only_that_matches_nothing_is_an_error(self):
        with pytest.raises(RuntimeError, match="^no setting label contains 'w=int2'$"):
            matrix.run_matrix(only="w=int2")

    def test_refuses_to_run_with_the_patch_applied(self):
        with patched(), pytest.raises(RuntimeError, match="the stock column needs an unpatched INC"):
            matrix.run_matrix(only=DEFAULT)


def _setting(**changes):
    return {**matrix.default_setting(), **changes}


class TestClassify:
    @pytest.mark.parametrize(
        "changes, outcome, expected",
        [
            # Raised by prepare, a ValueError or TypeError naming a changed field with its value: rejected early.
            (
                {"w_sym": False},
                matrix.Outcome("prepare", ValueError("w_sym=False is not supported: affine. Valid values: True.")),
                (matrix.REJECTED, "prepare: ValueError: w_sym=False is not supported: affine. Valid values: True."),
            ),
            (
                {"w_sym": False, "act_algo": "kl"},
                matrix.Outcome("prepare", TypeError("no!\nact_algo='kl' is not a str")),
                (matrix.REJECTED, "prepare: TypeError: no!"),
            ),
            # It names a field that the setting leaves at INC's default: broken.
            (
                {"w_sym": False},
                matrix.Outcome("prepare", ValueError("act_dtype='uint8' is not supported")),
                (matrix.BROKEN, "prepare: ValueError: act_dtype='uint8' is not supported"),
            ),
            # The field, but not the value the setting gives it (nor its repr): broken.
            (
                {"w_dtype": "int4"},
                matrix.Outcome("prepare", ValueError("w_dtype=int4 is not supported")),
                (matrix.BROKEN, "prepare: ValueError: w_dtype=int4 is not supported"),
            ),
            # INC's default setting is never rightly rejected.
            (
                {},
                matrix.Outcome("prepare", ValueError("w_granularity='per_channel' is not supported")),
                (matrix.BROKEN, "prepare: ValueError: w_granularity='per_channel' is not supported"),
            ),
            # Another exception type, even one naming the field: broken.
            (
                {"w_dtype": "int4"},
                matrix.Outcome("prepare", KeyError("w_dtype='int4'")),
                (matrix.BROKEN, "prepare: KeyError: \"w_dtype='int4'\""),
            ),
            (
                {"act_granularity": "per_channel"},
                matrix.Outcome("prepare", AssertionError()),
                (matrix.BROKEN, "prepare: AssertionError: "),
            ),
            # A ValueError naming the field, but after prepare: broken (the model was already calibrated).
            (
                {"act_dtype": "int8"},
                matrix.Outcome("convert", ValueError("act_dtype='int8' is not supported")),
                (matrix.BROKEN, "convert: ValueError: act_dtype='int8' is not supported"),
            ),
            (
                {"act_dtype": "int8"},
                matrix.Outcome("compile", ValueError("act_dtype='int8' is not supported"), compiled=True),
                (matrix.BROKEN, "compile: ValueError: act_dtype='int8' is not supported"),
            ),
            # The cause is the first line, or the first two when the first announces a wrapped error.
            (
                {"w_dtype": "uint8"},
                matrix.Outcome(
                    "compile",
                    RuntimeError("backend='inductor' raised:\n\nRuntimeError:  Weight  dtype\n" "While executing ..."),
                    compiled=True,
                ),
                (matrix.BROKEN, "compile: RuntimeError: backend='inductor' raised: RuntimeError: Weight dtype"),
            ),
            # No exception.
            ({"w_dtype": "uint8"}, matrix.Outcome(), (matrix.EAGER, "")),
            ({}, matrix.Outcome(compiled=True, max_diff=0.0, step=1e-3), (matrix.COMPILED, "")),
            ({}, matrix.Outcome(compiled=True, max_diff=1e-3, step=1e-3), (matrix.COMPILED, "")),
            (
                {},
                matrix.Outcome(compiled=True, max_diff=1.5625e-3, step=1e-3),
                (matrix.BROKEN, "compile: max|compiled - eager| = 0.00156 exceeds one output step, 0.001"),
            ),
            (
                {},
                matrix.Outcome(compiled=True, max_diff=math.nan, step=1e-3),
                (matrix.BROKEN, "compile: max|compiled - eager| = nan exceeds one output step, 0.001"),
            ),
        ],
        ids=[
            "prepare-names-changed-field",
            "prepare-typeerror-names-changed-field-on-line-2",
            "names-a-default-field",
            "names-field-without-value-repr",
            "default-setting-rejected",
            "keyerror-naming-field",
            "bare-assertion",
            "valueerror-after-prepare",
            "valueerror-at-compile",
            "wrapped-compile-error",
            "eager-ok",
            "compiled-equal",
            "compiled-within-one-step",
            "compiled-beyond-one-step",
            "compiled-nan",
        ],
    )
    def test_class_and_cause_of_each_outcome(self, changes, outcome, expected):
        assert matrix.classify(_setting(**changes), outcome) == expected


def _row(label, stock, fixed, setting=None):
    return matrix.Row(label, setting or {}, matrix.Cell(stock, ""), matrix.Cell(fixed, ""))


# The note under a console table with one row that is ok until compiled, wrapped at 120 columns.
UNTIL_COMPILED_NOTE = [
    "* ok until compiled (1 setting): stock INC runs the setting eagerly and the fix rejects it at prepare. "
    "The fix rejects",
    "only settings that cannot be built or that fail or compute wrong once compiled; stock INC built this one, "
    "so it fails or",
    "computes wrong once compiled (--compile shows how).",
]


class TestOkUntilCompiled:
    @pytest.mark.parametrize("stock", matrix.CLASSES)
    @pytest.mark.parametrize("fixed", matrix.CLASSES)
    def test_a_row_is_ok_until_compiled_when_stock_runs_it_eagerly_and_the_fix_rejects_it(self, stock, fixed):
        expected = (stock, fixed) == (matrix.EAGER, matrix.REJECTED)
        assert _row(W_UINT8, stock, fixed).ok_until_compiled is expected

    def test_the_console_table_marks_the_stock_class_and_explains_the_mark(self):
        rows = [
            _row(DEFAULT, matrix.EAGER, matrix.EAGER),
            _row(W_UINT8, matrix.EAGER, matrix.REJECTED),
            _row(W_ASYM, matrix.BROKEN, matrix.REJECTED),
        ]
        assert report.text(rows)[:10] == [
            f"{'setting':<{len(W_ASYM)}}  stock INC         fixed",
            f"{DEFAULT}   eager ok          eager ok",
            f"{W_UINT8}  eager ok*         rejected early",
            f"{W_ASYM}  broken            rejected early",
            "",
            *UNTIL_COMPILED_NOTE,
            "",
            "class             stock INC  fixed",
        ]

    def test_markdown_marks_the_stock_class_and_explains_the_mark(self):
        rows = [_row(DEFAULT, matrix.EAGER, matrix.EAGER), _row(W_UINT8, matrix.EAGER, matrix.REJECTED)]
        lines = report.markdown(rows, compile_model=False).splitlines()
        table_end = 4 + len(matrix.CLASSES)
        assert lines[table_end : table_end + 2] == [
            "",
            "\\* ok until compiled (1 setting): stock INC runs the setting eagerly and the fix rejects it at "
            "prepare. The fix rejects only settings that cannot be built or that fail or compute wrong once "
            "compiled; stock INC built this one, so it fails or computes wrong once compiled (`--compile` shows how).",
        ]
        assert lines[-2:] == [
            f"| `{DEFAULT}` | eager ok | eager ok |  |  |",
            f"| `{W_UINT8}` | eager ok\\* | rejected early |  |  |",
        ]

    def test_the_zoo_grid_marks_the_stock_class(self):
        rows = [
            _row("m a", matrix.EAGER, matrix.REJECTED, {"model": "m", "case": "a"}),
            _row("m b", matrix.EAGER, matrix.EAGER, {"model": "m", "case": "b"}),
        ]
        assert "| m | eager\\* → rejected | eager → eager |" in report.markdown(rows, False).splitlines()

    def test_no_note_where_no_row_is_ok_until_compiled(self):
        rows = [_row(W_UINT8, matrix.BROKEN, matrix.REJECTED), _row(W_ASYM, matrix.EAGER, matrix.BROKEN)]
        assert report.until_compiled_note(rows) == ""
        assert report.text(rows)[3:5] == ["", "class             stock INC  fixed"]


class TestMatrixReport:
    @pytest.mark.parametrize("fixed_broken, status", [(False, 0), (True, 1)])
    def test_exit_status_is_1_when_a_fixed_setting_is_broken(self, monkeypatch, capsys, fixed_broken, status):
        rows = [
            _row(DEFAULT, matrix.EAGER, matrix.EAGER),
            _row(W_ASYM, matrix.BROKEN, matrix.BROKEN if fixed_broken else matrix.REJECTED),
        ]
        monkeypatch.setattr(command, "run_matrix", lambda only, compile_model: rows)
        args = argparse.Namespace(models=None, only=None, compile=False, json=None, markdown=None)
        assert matrix.run(args) == status
        lines = capsys.readouterr().out.splitlines()
        assert lines[:3] == [
            f"{'setting':<{len(W_ASYM)}}  stock INC         fixed",
            f"{DEFAULT}   eager ok          eager ok",
            f"{W_ASYM}  broken            {'broken' if fixed_broken else 'rejected early'}",
        ]
        assert lines[4:9] == [
            "class             stock INC  fixed",
            "compiled = eager          0      0",
            "eager ok                  1      1",
            f"rejected early            0      {0 if fixed_broken else 1}",
            f"broken                    1      {1 if fixed_broken else 0}",
        ]
        assert re.fullmatch(r"2 settings in \d+ s", lines[9])

    def test_the_json_document_has_the_documented_keys(self):
        zoo_cell = matrix.Cell(matrix.COMPILED, "compile: ...", 2.0, 0.01, noise=1.5, sqnr_db=(2.3, 1.4))
        rows = [
            _row(DEFAULT, matrix.EAGER, matrix.EAGER),
            matrix.Row("m default", {"model": "m"}, matrix.Cell(matrix.BROKEN, "prepare: KeyError: 'x'"), zoo_cell),
        ]
        assert report.document(rows, compile_model=True) == {
            "versions": STACK,
            "compile": True,
            "totals": {
                "stock": {matrix.COMPILED: 0, matrix.EAGER: 1, matrix.REJECTED: 0, matrix.BROKEN: 1},
                "fixed": {matrix.COMPILED: 1, matrix.EAGER: 1, matrix.REJECTED: 0, matrix.BROKEN: 0},
            },
            "rows": [
                {
                    "label": DEFAULT,
                    "setting": {},
                    "stock": {"class": "eager ok", "cause": "", "max_diff": None, "step": None},
                    "fixed": {"class": "eager ok", "cause": "", "max_diff": None, "step": None},
                },
                {
                    "label": "m default",
                    "setting": {"model": "m"},
                    "stock": {"class": "broken", "cause": "prepare: KeyError: 'x'", "max_diff": None, "step": None},
                    "fixed": {
                        "class": "compiled = eager",
                        "cause": "compile: ...",
                        "max_diff": 2.0,
                        "step": 0.01,
                        "noise": 1.5,
                        "sqnr_db": [2.3, 1.4],
                    },
                },
            ],
        }


class TestMatrixRuns:
    def test_subset_without_compile(self, tmp_path):
        expected = _measured(SUBSET_EAGER)
        result = _cli(
            "matrix",
            "--only",
            "sym/per_channel/minmax a=uint8/asym/per_tensor/minmax",
            "--json",
            str(tmp_path / "m.json"),
        )
        assert result.returncode == 0, result.stderr
        document = json.loads((tmp_path / "m.json").read_text())
        _assert_rows(document["rows"], expected)
        assert document["compile"] is False
        assert document["versions"] == STACK
        assert document["totals"] == {
            column: {klass: [row[index] for row in expected.values()].count(klass) for klass in matrix.CLASSES}
            for column, index in (("stock", 0), ("fixed", 2))
        }
        assert document["rows"][0]["setting"] == matrix.default_setting()
        progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
        assert all(re.fullmatch(r"\(\d+\.\d s\)", line.rsplit("  ", 1)[1]) for line in progress)
        assert [line.rsplit("  ", 1)[0] for line in progress] == [
            f"[{index}/4] {label}  stock: {classes[0]}  fixed: {classes[2]}"
            for index, (label, classes) in enumerate(expected.items(), 1)
        ]
        stdout = result.stdout.splitlines()
        until_compiled = _measured(OK_UNTIL_COMPILED)
        assert stdout[1:5] == [
            f"{label:<{len(W_ASYM)}}  {stock + ('*' if label in until_compiled else ''):<16}  {fixed}"
            for label, (stock, _, fixed, _) in expected.items()
        ]
        note = ["", *UNTIL_COMPILED_NOTE] if until_compiled else []
        assert stdout[5 : 7 + len(note)] == note + ["", "class             stock INC  fixed"]

    def test_default_and_uint8_weights_with_compile(self, tmp_path):
        expected = _measured(SUBSET_COMPILED)
        result = _cli(
            "matrix",
            "--compile",
            "--only",
            "int8/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax",
            "--json",
            str(tmp_path / "m.json"),
            "--markdown",
            str(tmp_path / "m.md"),
        )
        assert result.returncode == 0, result.stderr
        document = json.loads((tmp_path / "m.json").read_text())
        _assert_rows(document["rows"], expected)
        fixed = document["rows"][0]["fixed"]
        assert 0 <= fixed["max_diff"] <= fixed["step"]
        markdown = (tmp_path / "m.md").read_text().splitlines()
        counts = document["totals"]
        assert markdown[2 : 4 + len(matrix.CLASSES)] == ["| class | stock INC | fixed |", "|---|---|---|"] + [
            f"| {klass} | {counts['stock'][klass]} | {counts['fixed'][klass]} |" for klass in matrix.CLASSES
        ]
        assert markdown[-2].startswith(f"| `{DEFAULT}` | {expected[DEFAULT][0]} | {expected[DEFAULT][2]} | ")
