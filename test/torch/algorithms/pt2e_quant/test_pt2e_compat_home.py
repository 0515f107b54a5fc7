"""The compatibility layer resolves the PT2E API from torch.ao before torch 2.11 and from torchao since."""

from unittest.mock import patch

import pytest
import torch
from packaging.version import Version

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat

TORCH_VERSION = Version(torch.__version__.split("+")[0])
ON_TORCHAO = TORCH_VERSION >= Version("2.11")


def test_home_follows_the_torch_version():
    assert pt2e_compat.PT2E_HOME == ("torchao.quantization.pt2e" if ON_TORCHAO else "torch.ao.quantization")


def test_every_name_comes_from_the_home():
    prefix = "torchao.quantization.pt2e" if ON_TORCHAO else "torch.ao.quantization"
    names = [
        "prepare_pt2e",
        "convert_pt2e",
        "X86InductorQuantizer",
        "QuantizationConfig",
        "QuantizationSpec",
        "HistogramObserver",
        "MinMaxObserver",
        "PerChannelMinMaxObserver",
        "PlaceholderObserver",
    ]
    for name in names:
        assert getattr(pt2e_compat, name).__module__.startswith(prefix), name
    assert set(names) <= set(pt2e_compat.__all__)


def test_loaded_modules():
    modules = [module.__name__ if module else None for module in pt2e_compat._load_pt2e_modules()]
    if ON_TORCHAO:
        assert modules == [
            "torchao.quantization.pt2e",
            "torchao.quantization.pt2e.quantizer.x86_inductor_quantizer",
            "torchao.quantization.pt2e.quantizer",
            None,
        ]
    else:
        assert modules == [
            "torch.ao.quantization.quantize_pt2e",
            "torch.ao.quantization.quantizer.x86_inductor_quantizer",
            "torch.ao.quantization.quantizer.xnnpack_quantizer",
            "torch.ao.quantization",
        ]


@pytest.mark.skipif(not ON_TORCHAO, reason="torch<2.11 keeps PT2E in torch.ao and needs no torchao")
def test_missing_torchao_names_the_package_to_install():
    real_import = pt2e_compat.import_module

    def without_torchao(name):
        if name.startswith("torchao"):
            raise ModuleNotFoundError("No module named 'torchao'", name="torchao")
        return real_import(name)

    with patch.object(pt2e_compat, "import_module", side_effect=without_torchao):
        with pytest.raises(ModuleNotFoundError) as info:
            pt2e_compat._load_pt2e_modules()
    assert str(info.value) == (
        "torch>=2.11 requires `torchao` for PT2E quantization: PT2E moved from torch.ao.quantization to "
        "torchao.quantization.pt2e. Install it with `pip install torchao`."
    )
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_a_superset_of_the_installed_incs_compat_module():
    # Upstream, this module replaces INC's pt2e_compat.py: every public name INC's has must exist here too.
    inc_compat = pytest.importorskip(
        "neural_compressor.torch.algorithms.pt2e_quant.pt2e_compat",
        reason="the installed INC has no pt2e_compat module (INC<3.8.1 has none)",
    )
    assert set(inc_compat.__all__) <= set(pt2e_compat.__all__)
    for name in inc_compat.__all__:
        assert getattr(pt2e_compat, name) is getattr(inc_compat, name), name
