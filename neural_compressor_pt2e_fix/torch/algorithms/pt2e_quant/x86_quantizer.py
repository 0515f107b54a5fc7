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
"""The X86 inductor quantizer whose annotated graph compiles to what it computes in eager mode, and its graph checks.

:class:`X86InductorQuantizerChecked` annotates as torch's X86InductorQuantizer does, then checks the annotated graph
before prepare_pt2e inserts any observer: every ``set_local`` by op name must take effect, and a pattern that the
installed torch/torchao converts or compiles wrongly is either annotated around (an in-place add into a tensor the
model does not own) or rejected with a ValueError naming the setting and the fix. :func:`include_zero_in_dynamic_ranges`
rewrites a converted model whose dynamic qparams inductor would compute wrongly. Each workaround of a torch/torchao
defect runs only where :mod:`.stack_probes` finds the installed stack still has it.
"""

import difflib
import operator

import torch

from neural_compressor.common.utils import logger
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    QuantizationAnnotation,
    X86InductorQuantizer,
    module_name_filter,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.stack_probes import (
    conv1d_module_name_config_applies,
    dynamic_affine_compiles_right,
    linear_sum_keeps_graph_inputs,
    symmetric_dynamic_shared_input_converts,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import unsupported_setting

# The node.meta key under which PT2E quantizers store their annotation (the same in torch.ao and torchao).
_ANNOTATION_KEY = "quantization_annotation"
# Adds that inductor fuses into a preceding int8 Linear kernel as its in-place 'sum' post-op.
_SUM_OPS = (torch.ops.aten.add.Tensor,)
# Nodes whose tensors the compiled model does not own: the caller's inputs and (frozen) parameters and buffers.
_NOT_OWNED = ("placeholder", "get_attr")
# Ops with a weight (args[1]): a set_local by module name must take effect on each of them.
_CONV1D = torch.ops.aten.conv1d.default
WEIGHTED_OPS = (
    _CONV1D,
    torch.ops.aten.conv2d.default,
    torch.ops.aten.conv3d.default,
    torch.ops.aten.linear.default,
)
# The prefix torch.export may give the module paths of nn_module_stack.
_SELF_PREFIX = "L['self']."


def _input_spec(node):
    """Return the activation spec (static or dynamic) that a node's annotation gives its first input, or None."""
    annotation = node.meta.get(_ANNOTATION_KEY)
    return annotation.input_qspec_map.get(node.args[0]) if annotation is not None and node.args else None


def _weight_spec(node):
    """Return the spec that a conv or linear node's annotation gives its weight, or None if it is not quantized."""
    annotation = node.meta.get(_ANNOTATION_KEY)
    return annotation.input_qspec_map.get(node.args[1]) if annotation is not None else None


def _in_place_sums(model):
    """Find the adds that inductor would fuse into an int8 Linear kernel in place of a tensor the model does not own.

    Inductor lowers ``other + linear(x)`` of a quantized Linear (static or dynamic) to oneDNN ``qlinear_pointwise.binary``
    with the ``'sum'`` post-op, which writes the result into ``other``'s buffer; it rules out views and aliases but
    not graph inputs (``_qlinear_binary_can_be_inplace``) nor frozen parameters, so the compiled model would
    overwrite the caller's tensor or its own weights.

    Args:
        model (torch.fx.GraphModule): The annotated model.

    Returns:
        list[tuple[torch.fx.Node, torch.fx.Node, torch.fx.Node]]: (add, linear, other operand) triples.
    """
    found = []
    for node in model.graph.nodes:
        operands = [arg for arg in node.args[:2] if isinstance(arg, torch.fx.Node)]
        if node.target not in _SUM_OPS or len(operands) != 2:
            continue
        for linear, other in (operands, operands[::-1]):
            if (
                linear.target == torch.ops.aten.linear.default
                and other.op in _NOT_OWNED
                and _input_spec(linear) is not None
            ):
                found.append((node, linear, other))
                break
    return found


def _shared_dynamic_inputs(model):
    """Find the tensors that feed more than one symmetric dynamically quantized input.

    prepare_pt2e gives such a tensor one shared observer; convert_pt2e then fails for symmetric specs, because its
    DuplicateDQPass treats only the affine ``choose_qparams`` as dynamic and its metadata pass expects one user.

    Args:
        model (torch.fx.GraphModule): The annotated model.

    Returns:
        dict: Source node -> the nodes that read it as a dynamically quantized input (two or more).
    """
    consumers = {}
    for node in model.graph.nodes:
        annotation = node.meta.get(_ANNOTATION_KEY)
        for source, spec in getattr(annotation, "input_qspec_map", {}).items():
            if getattr(spec, "is_dynamic", False) and spec.qscheme == torch.per_tensor_symmetric:
                consumers.setdefault(source, []).append(node)
    return {source: nodes for source, nodes in consumers.items() if len(nodes) > 1}


def _module_paths(model):
    """Return the module paths the exported model's nodes come from, as a set_local by op name spells them."""
    paths = {path for node in model.graph.nodes for path, _ in node.meta.get("nn_module_stack", {}).values()}
    return sorted({path[len(_SELF_PREFIX) :] if path.startswith(_SELF_PREFIX) else path for path in paths})


class X86InductorQuantizerChecked(X86InductorQuantizer):
    """X86InductorQuantizer whose annotated graph compiles to what it computes in eager mode.

    It quantizes the output of a Linear that inductor would otherwise add in place into a graph input, and refuses
    ``set_local`` configs by op name that match no module or that the X86 quantizer would not apply, and symmetric
    dynamic activations shared by two quantized inputs, which convert_pt2e cannot convert.
    """

    def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        """Annotate as the X86 quantizer does, then keep inductor from adding a Linear's output in place.

        For each add found by :func:`_in_place_sums`, where the installed inductor would fuse it in place
        (:func:`.stack_probes.linear_sum_keeps_graph_inputs`), the Linear's output is quantized with the Linear's own
        input spec before the add: inductor then lowers the Linear to an int8 kernel with an int8 output and the add
        out of place, and eager mode computes the same quantize-dequantize.

        Args:
            model (torch.fx.GraphModule): The exported model.

        Returns:
            torch.fx.GraphModule: The annotated model.
        """
        model = super().annotate(model)
        sums = _in_place_sums(model)
        if not sums or linear_sum_keeps_graph_inputs():
            return model
        for add, linear, other in sums:
            annotation = add.meta.setdefault(_ANNOTATION_KEY, QuantizationAnnotation(_annotated=True))
            annotation.input_qspec_map[linear] = _input_spec(linear)
            logger.info(
                f"Quantizing the output of {linear.name} before {add.name}: inductor would add it in place into "
                f"{other.name}, which the model does not own."
            )
        return model

    def validate(self, model: torch.fx.GraphModule) -> None:
        """Check the annotated graph; prepare_pt2e calls this before it inserts any observer.

        Args:
            model (torch.fx.GraphModule): The annotated model.

        Raises:
            ValueError: A ``set_local`` by op name matches no module of the model or did not apply to a conv or
                linear of its module, or a symmetric dynamically quantized activation feeds more than one quantized
                input.
        """
        super().validate(model)
        self._check_local_configs_applied(model)
        shared = _shared_dynamic_inputs(model)
        if shared and not symmetric_dynamic_shared_input_converts():
            source, nodes = next(iter(shared.items()))
            raise unsupported_setting(
                "act_sym",
                True,
                None,
                "convert_pt2e fails on a symmetric dynamic activation that feeds more than one quantized input (its "
                "DuplicateDQPass treats only affine choose_qparams as dynamic), and "
                f"{source.name} feeds {', '.join(node.name for node in nodes)}",
                "use StaticQuantConfig, or leave all but one of those ops unquantized with set_local",
            )

    def _check_local_configs_applied(self, model):
        """Reject a config by module name that matches no module, or that the X86 quantizer left unapplied.

        The X86 quantizer applies a config by module name to a fusion pattern only if every node of the pattern
        comes from that module; torchao annotates Conv1d only as part of a Conv1d + ReLU pattern, so a name
        config on a Conv1d followed by a separate ReLU module is silently replaced by the global config.

        Args:
            model (torch.fx.GraphModule): The annotated model.

        Raises:
            ValueError: No node comes from a named module, or a weighted node of a named module has a weight spec of
                none of its module-name configs.
        """
        configs = getattr(self, "module_name_qconfig", {})
        filters = {name: module_name_filter(name) for name in configs}
        for name, belongs in filters.items():
            if not any(belongs(node) for node in model.graph.nodes):
                paths = _module_paths(model)
                closest = difflib.get_close_matches(name, paths, n=3, cutoff=0.5) or paths[:3]
                raise unsupported_setting(
                    "set_local op name",
                    name,
                    None,
                    f"no module of the exported model has that name; the closest are {', '.join(map(repr, closest))}",
                    "pass the name of a module of the model, as model.named_modules() spells it",
                )
        for node in model.graph.nodes:
            names = [name for name, belongs in filters.items() if node.target in WEIGHTED_OPS and belongs(node)]
            expected = [getattr(configs[name], "weight", None) for name in names]
            if names and _weight_spec(node) not in expected:
                lone_conv1d = node.target == _CONV1D and not conv1d_module_name_config_applies()
                hint = " (torchao quantizes a Conv1d only with the ReLU after it)" * lone_conv1d
                raise unsupported_setting(
                    "set_local",
                    names[0],
                    None,
                    "the X86 quantizer applies a config by module name only to a fusion pattern whose nodes all come "
                    f"from that module, and it gave {node.name} ({node.target}) of {names[0]!r} another config{hint}",
                    "set_local on a module that holds the whole pattern (e.g. a Conv1d and its ReLU), or by op type",
                )


def include_zero_in_dynamic_ranges(model):
    """Make every run-time ``choose_qparams`` of a converted model see a range that includes 0, in graph ops.

    The eager op widens an activation's range to include 0 before computing its scale and zero point; inductor's
    decomposition of it does not (see :func:`.stack_probes.dynamic_affine_compiles_right`), so a one-signed activation
    (after a ReLU or a pooling, say) gets too small a scale once compiled and saturates. This feeds each
    ``choose_qparams.tensor`` the two-element tensor ``[min(x.min(), 0), max(x.max(), 0)]`` instead of ``x``: the op
    computes the same qparams from it in eager mode, bit for bit, and inductor's decomposition the right ones.

    Does nothing where the installed inductor includes 0 itself.

    Args:
        model (torch.fx.GraphModule): A converted model; changed in place.

    Returns:
        int: How many ``choose_qparams`` nodes now read a 0-inclusive range.
    """
    nodes = [node for node in model.graph.nodes if node.target == torch.ops.quantized_decomposed.choose_qparams.tensor]
    if not nodes or dynamic_affine_compiles_right():
        return 0
    for node in nodes:
        with model.graph.inserting_before(node):
            # qparams take no gradient (aminmax has no derivative): a model compiled with autograd on still traces.
            activation = model.graph.call_function(torch.ops.aten.detach.default, (node.args[0],))
            extrema = model.graph.call_function(torch.ops.aten.aminmax.default, (activation,))
            low = model.graph.call_function(operator.getitem, (extrema, 0))
            high = model.graph.call_function(operator.getitem, (extrema, 1))
            low = model.graph.call_function(torch.ops.aten.clamp_max.default, (low, 0.0))
            high = model.graph.call_function(torch.ops.aten.clamp_min.default, (high, 0.0))
            bounds = model.graph.call_function(torch.ops.aten.stack.default, ([low, high],))
        node.args = (bounds, *node.args[1:])
    model.recompile()
    return len(nodes)


__all__ = ["WEIGHTED_OPS", "X86InductorQuantizerChecked", "include_zero_in_dynamic_ranges"]
