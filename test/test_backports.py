"""The back-ports: INC's torch version names (INC's own objects where the installed INC has them, INC's values where
it does not), and the half-precision rewriter's fixed reader of set_local entries."""

import types

import pytest
import torch
from packaging.version import Version

from neural_compressor.torch.quantization import StaticQuantConfig
from neural_compressor.torch.quantization import config as inc_config
from neural_compressor.torch.utils import environ as inc_environ
from neural_compressor_pt2e_fix import backports
from neural_compressor_pt2e_fix.torch.utils import environ


def test_torch_version_names_are_incs_or_back_ported():
    assert environ.get_torch_version is inc_environ.get_torch_version
    if hasattr(inc_environ, "TORCH_VERSION_2_11_0"):
        assert environ.TORCH_VERSION_2_11_0 is inc_environ.TORCH_VERSION_2_11_0
    assert environ.TORCH_VERSION_2_11_0 == Version("2.11.0")


class TwoLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 4)
        self.fc2 = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def _linears(model):
    exported = torch.export.export(model, (torch.randn(2, 4),)).module()
    return exported, [node for node in exported.graph.nodes if node.target == torch.ops.aten.linear.default]


def _linear_candidates(config, gm):
    """The Linear nodes among the reader's candidates (INC keeps only the ops it has half-precision patterns for)."""
    return {
        node
        for node in backports.read_half_precision_candidates(config, gm)
        if node.target == torch.ops.aten.linear.default
    }


@pytest.mark.parametrize("ipex_imported", [False, True], ids=["ipex_not_imported", "ipex_imported"])
def test_reader_selects_half_precision_ops_by_name_and_type(ipex_imported, monkeypatch):
    # With IPEX imported (INC<3.2: always) INC files "fc1" under op types as well: the reader takes it as a name.
    monkeypatch.setattr(inc_config, "is_ipex_imported", lambda: ipex_imported)
    gm, (fc1, fc2) = _linears(TwoLinear().eval())
    by_name = StaticQuantConfig()
    by_name.set_local("fc1", StaticQuantConfig(w_dtype="fp16", act_dtype="fp16"))
    assert _linear_candidates(by_name, gm) == {fc1}
    by_type = StaticQuantConfig()
    by_type.set_local(torch.nn.Linear, StaticQuantConfig(w_dtype="bf16", act_dtype="bf16"))
    assert _linear_candidates(by_type, gm) == {fc1, fc2}
    fp32 = StaticQuantConfig()
    fp32.set_local("fc1", StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
    assert backports.read_half_precision_candidates(fp32, gm) == set()


def test_reader_skips_an_op_type_torch_nn_lacks():
    # INC's releases look every op-type key up in torch.nn and fail at convert on one it lacks.
    gm, (_, fc2) = _linears(TwoLinear().eval())
    half = StaticQuantConfig(w_dtype="fp16", act_dtype="fp16")
    entries = ({"NoSuchModule": half, "Linear": half}, {})
    config = types.SimpleNamespace(_get_op_name_op_type_config=lambda: entries)
    assert len(_linear_candidates(config, gm)) == 2
    assert fc2 in _linear_candidates(config, gm)
