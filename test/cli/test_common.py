"""What the subcommands share (``neural_compressor_pt2e_fix.common``), and the import rules of the tooling modules."""

import ast
import logging
import math
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest
import torch

from neural_compressor_pt2e_fix import common
from neural_compressor_pt2e_fix.patch import inc_version
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat

PACKAGE = Path(common.__file__).parent
# The subcommands' modules, by the top-level name of this package they live under.
SUBCOMMANDS = ("env", "matrix", "demo", "upstream")
# The tooling modules: everything of the package but the product modules under torch/.
TOOLING = sorted(path for path in PACKAGE.rglob("*.py") if PACKAGE / "torch" not in path.parents)
# The command line, which registers every subcommand.
DISPATCHER = PACKAGE / "cli.py"


class TestSqnr:
    def test_sqnr_is_one_power_ratio_in_db(self):
        assert common.sqnr_db(torch.tensor([10.0, 0.0]), torch.tensor([10.0, 1.0])) == 20.0
        assert common.sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 3.75])) == 10 * math.log10(400.0)

    def test_sqnr_pools_all_samples_rather_than_averaging_them(self):
        # Per sample: 26.0 dB and 6.0 dB (mean 16.0); pooled: signal 101, noise 0.5.
        reference = torch.tensor([[10.0, 0.0], [1.0, 0.0]])
        approximation = torch.tensor([[10.0, 0.5], [1.0, 0.5]])
        assert common.sqnr_db(reference, approximation) == 10 * math.log10(202.0)

    def test_sqnr_of_an_exact_copy_is_infinite(self):
        assert common.sqnr_db(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.0])) == math.inf


class TestConsole:
    @pytest.mark.parametrize(
        "exc, summary",
        [
            (
                ValueError("w_sym=False is not supported.\nValid values: True."),
                "ValueError: w_sym=False is not supported.",
            ),
            (
                RuntimeError("backend='inductor' raised:\n\nRuntimeError:  Weight  dtype\nWhile executing ..."),
                "RuntimeError: backend='inductor' raised: RuntimeError: Weight dtype",
            ),
            (AssertionError(), "AssertionError: "),
        ],
        ids=["first-line", "wrapper-announces-the-next-line", "no-message"],
    )
    def test_first_line_is_the_type_and_the_first_line_of_the_message(self, exc, summary):
        assert common.first_line(exc) == summary

    def test_quiet_silences_warnings_and_inc_info_lines_then_restores_the_levels(self):
        logger = logging.getLogger("neural_compressor")
        before = logger.level
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with common.quiet():
                warnings.warn("hidden", UserWarning)
                assert (logger.level, logger.isEnabledFor(logging.INFO)) == (logging.ERROR, False)
            warnings.warn("shown", UserWarning)
        assert [str(item.message) for item in caught] == ["shown"]
        assert logger.level == before


class TestObserverClass:
    def test_unwraps_with_args(self):
        spec = types.SimpleNamespace(observer_or_fake_quant_ctr=pt2e_compat.MinMaxObserver.with_args(eps=2**-12))
        assert common.observer_class(spec) is pt2e_compat.MinMaxObserver

    def test_a_class_is_its_own_observer_class(self):
        spec = types.SimpleNamespace(observer_or_fake_quant_ctr=pt2e_compat.HistogramObserver)
        assert common.observer_class(spec) is pt2e_compat.HistogramObserver


def test_stack_names_the_running_versions_and_pt2e_home():
    versions = common.stack()
    assert list(versions) == ["torch", "torchao", "INC", "PT2E home"]
    assert (versions["torch"], versions["INC"], versions["PT2E home"]) == (
        torch.__version__,
        inc_version(),
        pt2e_compat.PT2E_HOME,
    )


def test_the_command_line_and_the_shared_base_import_without_torch():
    code = (
        "import sys, neural_compressor_pt2e_fix.cli, neural_compressor_pt2e_fix.common; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"


def _imports(path):
    """Yield each module or name a source file imports, as a dotted path (``a.b`` for ``from a import b``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _owner(path):
    """Return the top-level name of the package that a tooling module lives under (``matrix`` for matrix/space.py)."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py").removesuffix("_data")


@pytest.mark.parametrize(
    "path", [path for path in TOOLING if path != DISPATCHER], ids=lambda path: str(path.relative_to(PACKAGE))
)
def test_a_tooling_module_imports_no_subcommand_but_its_own(path):
    others = [f"neural_compressor_pt2e_fix.{name}" for name in SUBCOMMANDS if name != _owner(path)]
    assert [name for name in _imports(path) if name in others or name.startswith(tuple(f"{o}." for o in others))] == []


@pytest.mark.parametrize("path", TOOLING, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_tooling_module_imports_no_private_name_of_the_product_modules(path):
    product = "neural_compressor_pt2e_fix.torch."
    assert [
        name for name in _imports(path) if name.startswith(product) and name.rsplit(".", 1)[1].startswith("_")
    ] == []
