"""Each stack probe gives the answer that the defect's observable effect gives on the installed torch/torchao.

The probes run the upstream code on tiny synthetic inputs; these tests measure the effect itself (a compiled result,
a caller's tensor, a convert, a quantized weight) on other models, so they hold on a stack with the defect and on
one without it.
"""

import pytest
import torch

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import stack_probes
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    PlaceholderObserver,
    QuantizationConfig,
    QuantizationSpec,
    X86InductorQuantizer,
    convert_pt2e,
    prepare_pt2e,
    xiq,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import SUPPORTS_LOCAL_CONFIG


def _quantized(model, x, quantizer):
    prepared = prepare_pt2e(torch.export.export(model.eval(), (x,), strict=True).module(), quantizer)
    prepared(x)
    return convert_pt2e(prepared)


def _compiled(function, *args):
    torch._dynamo.reset()
    with torch.no_grad(), torch._inductor.config.patch(freezing=True, force_disable_caches=True):
        return torch.compile(function)(*args)


def test_dynamic_affine_probe_matches_the_compiled_qparams():
    def qparams(x):
        return torch.ops.quantized_decomposed.choose_qparams.tensor(x, 0, 255, 2**-12, torch.uint8)

    x = torch.linspace(0.5, 3.0, 32)
    (scale, zero_point), (compiled_scale, compiled_zero_point) = qparams(x), _compiled(qparams, x)
    computed_right = torch.allclose(compiled_scale, scale) and torch.equal(compiled_zero_point, zero_point)
    assert stack_probes.dynamic_affine_compiles_right() == computed_right


class _Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        return x + self.fc(x)


def test_linear_sum_probe_matches_the_callers_tensor():
    x = torch.randn(4, 8)
    quantizer = X86InductorQuantizer().set_global(xiq.get_default_x86_inductor_quantization_config())
    converted = _quantized(_Residual(), x, quantizer)
    before = x.clone()
    _compiled(converted, x)
    assert stack_probes.linear_sum_keeps_graph_inputs() == torch.equal(x, before)


class _ThreeReaders(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (torch.nn.Linear(4, 4) for _ in range(3))

    def forward(self, x):
        return self.query(x) * self.key(x) + self.value(x)


def test_symmetric_dynamic_probe_matches_convert():
    activation = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_tensor_symmetric,
        is_dynamic=True,
        observer_or_fake_quant_ctr=PlaceholderObserver.with_args(eps=2**-12),
    )
    weight = xiq.get_default_x86_inductor_quantization_config(is_dynamic=True).weight
    quantizer = X86InductorQuantizer().set_global(QuantizationConfig(activation, activation, weight, None, False))
    try:
        _quantized(_ThreeReaders(), torch.randn(2, 4), quantizer)
        converts = True
    except Exception:  # whatever the convert passes raise, the probe must have seen it too
        converts = False
    assert stack_probes.symmetric_dynamic_shared_input_converts() == converts


class _Conv1dBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, 8, 3)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


@pytest.mark.skipif(not SUPPORTS_LOCAL_CONFIG, reason="torch<2.5: the X86 quantizer takes no config by module name")
def test_conv1d_probe_matches_the_converted_weight():
    quantizer = X86InductorQuantizer().set_global(xiq.get_default_x86_inductor_quantization_config())
    quantizer.set_module_name_qconfig("conv", None)
    converted = _quantized(_Conv1dBlock(), torch.randn(2, 4, 16), quantizer)
    conv = next(node for node in converted.graph.nodes if node.target == torch.ops.aten.conv1d.default)
    weight_in_fp32 = "dequantize" not in str(conv.args[1].target)
    assert stack_probes.conv1d_module_name_config_applies() == weight_in_fp32
