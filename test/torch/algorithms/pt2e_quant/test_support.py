"""What the PT2E backend supports: the capability facts of the running torch, the support tables, and the checks
that read a role's setting from an INC config."""

import pytest
import torch
from packaging.version import Version

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import support

TORCH_VERSION = Version(torch.__version__.split("+")[0])


def test_capability_facts_match_the_measured_torch_releases():
    # torch 2.4.1's X86InductorQuantizer has no set_module_name_qconfig and its convert_pt2e fails on symmetric
    # dynamic activations; torch 2.5.1 has both.
    assert support.SUPPORTS_LOCAL_CONFIG == (TORCH_VERSION >= Version("2.5"))
    assert support.SUPPORTS_DYNAMIC_SYMMETRIC == (TORCH_VERSION >= Version("2.5"))


def test_supported_change_detector():
    # A change here changes what the fix accepts: review it against docs/conformance.md.
    assert support.SUPPORTED["weight"][:3] == (
        "w_",
        ("int8",),
        (torch.per_tensor_symmetric, torch.per_channel_symmetric),
    )
    assert support.SUPPORTED["activation"][:3] == (
        "act_",
        ("uint8", "int8"),
        (torch.per_tensor_affine, torch.per_tensor_symmetric),
    )


@pytest.mark.parametrize("config_class", [StaticQuantConfig, DynamicQuantConfig])
def test_a_setting_is_read_field_by_field_from_an_inc_config(config_class):
    config = config_class(w_granularity="per_tensor", act_sym=True, act_algo="kl")
    assert support.Setting.of(config, "weight") == support.Setting("int8", True, "per_tensor", "minmax")
    assert support.Setting.of(config, "activation") == ("uint8", True, "per_tensor", "kl")


@pytest.mark.parametrize("dtypes", [("fp32", "fp32"), ("fp16", "bf16"), ("bf16", "fp32")])
def test_an_op_config_with_two_float_dtypes_leaves_the_op_unquantized(dtypes):
    weight = support.Setting(dtypes[0], True, "per_channel", "minmax")
    activation = support.Setting(dtypes[1], False, "per_tensor", "minmax")
    assert support.check_op_config(weight, activation) is False


def test_a_quantized_op_config_is_checked_per_role():
    weight = support.Setting("int8", True, "per_channel", "minmax")
    assert support.check_op_config(weight, support.Setting("uint8", False, "per_tensor", "minmax")) is True
    with pytest.raises(ValueError, match="^act_granularity='per_channel' is not supported: the X86 backend quantizes"):
        support.check_op_config(weight, support.Setting("uint8", False, "per_channel", "minmax"))


def test_the_message_format():
    error = support.unsupported_setting("w_sym", False, (True,), "a reason")
    assert type(error) is ValueError
    assert str(error) == "w_sym=False is not supported: a reason. Valid values: True. Fix: set w_sym=True."
    error = support.unsupported_setting("x", 1, None, "why", "do this", error=TypeError)
    assert (type(error), str(error)) == (TypeError, "x=1 is not supported: why. Fix: do this.")
