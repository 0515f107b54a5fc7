# Copyright (c) 2026 The neural-compressor-pt2e-fix Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Probes of the torch/torchao defects that the PT2E backend works around: each tells whether the stack is fixed.

Each probe runs the upstream code that holds one defect (a decomposition, a fusion pass, the convert passes, the
quantizer's annotation) on a tiny input, without compiling anything, and returns True where the installed stack
computes it right, so that the workaround can switch itself off. Models are exported strictly, as INC does (torch
2.4.1's quantizer annotates nothing in a non-strict export of them). docs/upstream-bugs/README.md lists the defects,
their proposed upstream fixes and the workarounds.
"""

import functools

import torch

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    PlaceholderObserver,
    QuantizationConfig,
    QuantizationSpec,
    X86InductorQuantizer,
    convert_pt2e,
    prepare_pt2e,
    xiq,
)

# The quantized Linear ops of the X86 inductor backend, as inductor's freezing passes produce them.
_QLINEAR = "qlinear_pointwise"


def dynamic_affine_compiles_right():
    """Tell whether inductor computes affine dynamic qparams as eager mode does.

    Defect: inductor's decomposition of ``quantized_decomposed.choose_qparams.tensor`` leaves 0 out of the range, so
    an all-positive or all-negative activation gets too small a scale and saturates once compiled
    (docs/upstream-bugs/choose_qparams_decomposition_excludes_zero.md). The probe runs the op and its decomposition
    on ``[1, 2]``. Remove it, and the workaround, once every supported torch has the decomposition fixed.

    Returns:
        bool: True if the decomposition gives the op's scale and zero point (or there is no decomposition).
    """
    return pt2e_compat.dynamic_affine_compiles_right()


def _qlinear_add_graph(extra_input_is_graph_input):
    """Build the graph that inductor's freezing passes see for ``extra + linear(x)`` of a quantized Linear.

    Args:
        extra_input_is_graph_input (bool): Whether the extra input of the add is a graph input; otherwise it is
            computed in the graph (a ReLU of a graph input).

    Returns:
        tuple[torch.fx.GraphModule, torch.fx.Node]: The graph module and the extra input of its add.
    """
    graph = torch.fx.Graph()
    qx, packed_weight, w_scale, w_zp, residual = (graph.placeholder(name) for name in ("qx", "w", "ws", "wz", "r"))
    qx.meta["val"] = torch.zeros(2, 4, dtype=torch.uint8)
    residual.meta["val"] = torch.zeros(2, 4)
    extra = residual if extra_input_is_graph_input else graph.call_function(torch.ops.aten.relu.default, (residual,))
    extra.meta["val"] = torch.zeros(2, 4)
    qlinear_args = (qx, 1.0, 0, packed_weight, w_scale, w_zp, None, 1.0, 0, torch.float32, "none", [], "")
    linear = graph.call_function(torch.ops.onednn.qlinear_pointwise.default, qlinear_args)
    linear.meta["val"] = torch.zeros(2, 4)
    add = graph.call_function(torch.ops.aten.add.Tensor, (linear, extra))
    add.meta["val"] = torch.zeros(2, 4)
    graph.output(add)
    return torch.fx.GraphModule(torch.nn.Module(), graph), extra


def _fused_sum_into(extra_input_is_graph_input):
    """Run inductor's freezing pattern passes on a quantized Linear + add and see where a 'sum' post-op writes.

    Args:
        extra_input_is_graph_input (bool): See :func:`_qlinear_add_graph`.

    Returns:
        bool: Whether the passes fused the add into the Linear with the in-place ``'sum'`` post-op on the extra
        input.
    """
    from torch._inductor.fx_passes import freezing_patterns

    freezing_patterns.lazy_init()
    graph_module, extra = _qlinear_add_graph(extra_input_is_graph_input)
    for patterns in freezing_patterns.pass_patterns:
        patterns.apply(graph_module)
    return any(
        _QLINEAR in str(node.target) and "sum" in node.args and extra in node.args
        for node in graph_module.graph.nodes
        if node.op == "call_function"
    )


@functools.cache
def linear_sum_keeps_graph_inputs():
    """Tell whether inductor leaves a graph input alone when it fuses a quantized Linear's residual add.

    Defect: for ``x + linear(x)`` with ``x`` a graph input (or a frozen parameter), inductor fuses the add into the
    int8 Linear with oneDNN's in-place ``'sum'`` post-op, which writes the result into ``x``
    (docs/upstream-bugs/qlinear_sum_overwrites_graph_input.md). The probe runs the freezing pattern passes on a
    synthetic graph of that pattern, once with an extra input computed in the graph (which must still be fused
    with ``'sum'``: else the probe cannot see the fusion and answers False) and once with a graph input. Remove it,
    and the workaround, once every supported torch/torchao fuses such an add out of place.

    Returns:
        bool: True if the passes fuse with ``'sum'`` an add whose extra input the graph computes, but not one whose
        extra input is a graph input.
    """
    return _fused_sum_into(extra_input_is_graph_input=False) and not _fused_sum_into(extra_input_is_graph_input=True)


class _TwoReaders(torch.nn.Module):
    """Two Linears that read the same input."""

    def __init__(self):
        super().__init__()
        self.gate = torch.nn.Linear(2, 2)
        self.up = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.gate(x) * self.up(x)


@functools.cache
def symmetric_dynamic_shared_input_converts():
    """Tell whether convert_pt2e handles a symmetric dynamic activation that feeds two quantized ops.

    Defect: the convert passes treat only the affine ``choose_qparams.tensor`` as dynamic quantization, so they
    duplicate the dequantize of a ``choose_qparams_symmetric.tensor`` chain and then fail ("Expecting single user
    for quantize_per_tensor_tensor"); docs/upstream-bugs/symmetric_dynamic_shared_input_convert_fails.md. The probe
    quantizes two Linears that read one input with symmetric dynamic activations. Remove it, and the workaround,
    once every supported torchao (and torch.ao) converts that.

    Returns:
        bool: Whether convert_pt2e converts the model.
    """
    x = torch.ones(1, 2)
    activation = QuantizationSpec(
        dtype=torch.uint8,
        quant_min=0,
        quant_max=255,
        qscheme=torch.per_tensor_symmetric,
        is_dynamic=True,
        observer_or_fake_quant_ctr=PlaceholderObserver.with_args(eps=2**-12),
    )
    weight = xiq.get_default_x86_inductor_quantization_config(is_dynamic=True).weight
    quantizer = X86InductorQuantizer().set_global(QuantizationConfig(activation, activation, weight, None, False))
    prepared = prepare_pt2e(torch.export.export(_TwoReaders().eval(), (x,), strict=True).module(), quantizer)
    prepared(x)
    try:
        convert_pt2e(prepared)
    except Exception:  # the convert passes raise InternalError, wrapped by the pass manager on recent torch
        return False
    return True


class _Conv1dReLU(torch.nn.Module):
    """A Conv1d followed by a ReLU module of its own, as most models lay them out."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 1, 1)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


@functools.cache
def conv1d_module_name_config_applies():
    """Tell whether the X86 quantizer applies a config by module name to a Conv1d followed by a separate ReLU.

    Defect: the X86 quantizer annotates a Conv1d only inside a Conv1d + ReLU pattern, and applies a module-name
    config to a pattern only when all its nodes come from that module, so ``set_module_name_qconfig("conv", ...)``
    is silently replaced by the global config (docs/upstream-bugs/conv1d_module_name_config_ignored.md). The probe
    annotates such a model with the default global config and ``None`` for the Conv1d. Remove it, and the
    workaround, once every supported torchao annotates a lone Conv1d.

    Returns:
        bool: Whether the Conv1d's weight is left unquantized as configured; False where the quantizer takes no
        config by module name (torch<2.5).
    """
    if not pt2e_compat.SUPPORTS_LOCAL_CONFIG:
        return False
    x = torch.ones(1, 1, 2)
    quantizer = X86InductorQuantizer().set_global(xiq.get_default_x86_inductor_quantization_config())
    quantizer.set_module_name_qconfig("conv", None)
    model = quantizer.annotate(torch.export.export(_Conv1dReLU().eval(), (x,), strict=True).module())
    conv = next(node for node in model.graph.nodes if node.target == torch.ops.aten.conv1d.default)
    annotation = conv.meta.get("quantization_annotation")
    return annotation is None or conv.args[1] not in annotation.input_qspec_map


__all__ = [
    "conv1d_module_name_config_applies",
    "dynamic_affine_compiles_right",
    "linear_sum_keeps_graph_inputs",
    "symmetric_dynamic_shared_input_converts",
]
