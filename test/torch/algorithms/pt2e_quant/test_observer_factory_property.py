"""A property test of the observer factory: every config builds a quantizer or raises a clear error.

hypothesis is optional (INC's CI does not install it): without it, this file is skipped.
"""

import pytest
import torch

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat, support
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.utility import create_xiq_quantizer_from_pt2e_config

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

FIELD_VALUES = {
    "w_dtype": ["int8", "uint8", "int4", "fp32", "bf16", "fp16", 8, None],
    "w_sym": [True, False, "True", 1, None],
    "w_granularity": ["per_channel", "per_tensor", "per_group", 0],
    "w_algo": ["minmax", "kl", "placeholder", "mse", ["minmax"]],
    "act_dtype": ["uint8", "int8", "int4", "fp32", "bf16", "fp16", torch.uint8],
    "act_sym": [True, False, "False", 0],
    "act_granularity": ["per_tensor", "per_channel", "per_token", None],
    "act_algo": ["minmax", "kl", "placeholder", "mse", 1.0],
}


@hypothesis.settings(max_examples=300, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(
    fields=st.fixed_dictionaries({name: st.sampled_from(values) for name, values in FIELD_VALUES.items()}),
    is_dynamic=st.booleans(),
)
def test_every_config_builds_a_quantizer_or_raises_a_clear_error(fields, is_dynamic):
    config = (DynamicQuantConfig if is_dynamic else StaticQuantConfig)(**fields)
    try:
        quantizer = create_xiq_quantizer_from_pt2e_config(config, is_dynamic=is_dynamic)
    except (ValueError, TypeError) as error:
        # An error of a set_local entry would start with the entry; these configs have none.
        field = str(error).split("=", 1)[0]
        assert field in fields, str(error)
        assert str(error).startswith(f"{field}={fields[field]!r} is not supported: ")
        assert "Valid values: " in str(error) and "Fix: " in str(error)
    else:
        assert isinstance(quantizer, pt2e_compat.X86InductorQuantizer)
        if quantizer.global_config is None:
            assert fields["w_dtype"] in support.FLOAT_DTYPES and fields["act_dtype"] in support.FLOAT_DTYPES
