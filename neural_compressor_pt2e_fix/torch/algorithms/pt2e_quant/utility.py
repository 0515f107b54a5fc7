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
"""Build X86InductorQuantizer configs for INC's PT2E static and dynamic INT8 quantization.

One table maps (algorithm, qscheme) to the observer class; a second states what the X86 inductor backend computes
correctly for weights and activations. A setting outside them is rejected with a ValueError or TypeError naming the
field, its value, the valid values and the fix, before the quantizer annotates or observes anything.
"""

import torch

from neural_compressor.common.utils import logger
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    INT8_ACTIVATIONS_SINCE,
    SUPPORTS_INT8_ACTIVATIONS,
    SUPPORTS_LOCAL_CONFIG,
    HistogramObserver,
    MinMaxObserver,
    PerChannelMinMaxObserver,
    PlaceholderObserver,
    QuantizationConfig,
    QuantizationSpec,
    X86InductorQuantizer,
)

# INC dtype name -> (torch dtype, quant_min, quant_max).
_DTYPES = {
    "int8": (torch.int8, -128, 127),
    "uint8": (torch.uint8, 0, 255),
}

# INC dtype names that leave an op unquantized (INC's half-precision rewriter applies fp16/bf16 after convert).
_FLOAT_DTYPES = ("fp32", "fp16", "bf16")

# (granularity, sym) -> qscheme.
_QSCHEMES = {
    ("per_tensor", True): torch.per_tensor_symmetric,
    ("per_tensor", False): torch.per_tensor_affine,
    ("per_channel", True): torch.per_channel_symmetric,
    ("per_channel", False): torch.per_channel_affine,
}

# (algorithm, qscheme) -> observer class: the observer factory. A pair missing here is not supported.
_OBSERVERS = {
    ("minmax", torch.per_tensor_symmetric): MinMaxObserver,
    ("minmax", torch.per_tensor_affine): MinMaxObserver,
    ("minmax", torch.per_channel_symmetric): PerChannelMinMaxObserver,
    ("minmax", torch.per_channel_affine): PerChannelMinMaxObserver,
    ("kl", torch.per_tensor_symmetric): HistogramObserver,
    ("kl", torch.per_tensor_affine): HistogramObserver,
    ("placeholder", torch.per_tensor_symmetric): PlaceholderObserver,
    ("placeholder", torch.per_tensor_affine): PlaceholderObserver,
}

# The algorithm of dynamic quantization: activation qparams are computed at run time, not by calibration.
_DYNAMIC_ALGO = "placeholder"

# Smallest scale an observer may produce: the value of torchao's default X86 config, so results can match it.
_EPS = 2**-12

# What the X86 inductor backend computes correctly, per tensor role: (INC field prefix, dtypes, qschemes).
_X86_SUPPORT = {
    "weight": ("w_", ("int8",), (torch.per_tensor_symmetric, torch.per_channel_symmetric)),
    "activation": (
        "act_",
        ("uint8", "int8") if SUPPORTS_INT8_ACTIVATIONS else ("uint8",),
        (torch.per_tensor_affine, torch.per_tensor_symmetric),
    ),
}

# Why the X86 backend refuses a value that the tables could build, per (role, field).
_X86_REASONS = {
    ("weight", "dtype"): "X86 int8 kernels take int8 weights; uint8 weights prepare but fail to compile in inductor",
    ("weight", "sym"): (
        "oneDNN int8 kernels take symmetric weights; the X86 quantizer refuses affine weights, and per_channel "
        "affine weights forced through it compile to wrong results"
    ),
    ("activation", "granularity"): "the X86 backend quantizes activations per tensor only",
    ("activation", "dtype"): (
        f"the X86 int8 kernels of torch {torch.__version__} read uint8 activations only; int8 activations need "
        f"torch>={INT8_ACTIVATIONS_SINCE} (torch 2.7 compiles them to wrong results, earlier releases fail)"
    ),
}

# Ops whose X86 int8 kernels read uint8 activations only: fed an int8 activation, they fail to compile.
_UINT8_ONLY_OPS = (
    torch.ops.aten.conv1d.default,
    torch.ops.aten.conv2d.default,
    torch.ops.aten.conv3d.default,
    torch.ops.aten.max_pool2d.default,
)

# The node.meta key under which PT2E quantizers store their annotation (the same in torch.ao and torchao).
_ANNOTATION_KEY = "quantization_annotation"

_FIELDS = ("dtype", "sym", "granularity", "algo")
_GRANULARITIES = tuple(dict.fromkeys(granularity for granularity, _ in _QSCHEMES))
_STATIC_ALGOS = tuple(dict.fromkeys(algo for algo, _ in _OBSERVERS if algo != _DYNAMIC_ALGO))


def _unsupported(field, value, valid, reason, fix=None, error=ValueError):
    """Build the exception for a rejected setting, in the one message format of this module.

    Args:
        field (str): The configuration field at fault, e.g. ``"w_sym"``.
        value: The rejected value.
        valid (Sequence): The values the field accepts here.
        reason (str): Why the value is rejected.
        fix (str, optional): What to change. Defaults to setting the field to a valid value.
        error (type): ValueError (a wrong value) or TypeError (a wrong type).

    Returns:
        Exception: The exception to raise.
    """
    if fix is None:
        fix = f"set {field}={valid[0]!r}" if len(valid) == 1 else f"set {field} to one of the valid values"
    valid_text = ", ".join(repr(item) for item in valid)
    return error(f"{field}={value!r} is not supported: {reason}. Valid values: {valid_text}. Fix: {fix}.")


def _validate(settings, is_dynamic=False):
    """Reject settings that cannot be built, or that the X86 inductor backend does not compute correctly.

    The one validation function of this module. A setting under role None is checked against the tables only
    (a direct ``create_quant_spec_from_config`` call); under "weight" or "activation" it is also checked against
    what the X86 backend supports for that role, and errors name INC's fields (``w_sym``, ``act_dtype``...).

    Args:
        settings (dict): Role (None, "weight" or "activation") -> (dtype, sym, granularity, algo).
        is_dynamic (bool): Whether activations are quantized dynamically. Defaults to False.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value that the tables or the X86 backend do not support.
    """
    float_roles = [role for role, setting in settings.items() if role and setting[0] in _FLOAT_DTYPES]
    if float_roles and len(float_roles) < len(settings):
        role, other = float_roles[0], next(role for role in settings if role not in float_roles)
        field, other_field = _X86_SUPPORT[role][0] + "dtype", _X86_SUPPORT[other][0] + "dtype"
        raise _unsupported(
            field,
            settings[role][0],
            _X86_SUPPORT[role][1],
            f"{other_field}={settings[other][0]!r} quantizes the op, and the X86 backend quantizes the weights and "
            "activations of an op together (there is no weight-only or activation-only static int8)",
            f"set {field} to a valid value, or {other_field} to one of {', '.join(_FLOAT_DTYPES)} as well to leave "
            "the op unquantized",
        )
    for role, (dtype, sym, granularity, algo) in settings.items():
        prefix, dtypes, qschemes = _X86_SUPPORT[role] if role else ("", tuple(_DTYPES), tuple(_QSCHEMES.values()))
        # Dynamic activations are observed at run time by the dynamic algorithm, whatever their algo says.
        runtime = is_dynamic and role != "weight"
        algos = _STATIC_ALGOS + (_DYNAMIC_ALGO,) if runtime else _STATIC_ALGOS
        for name, value, valid, kind in (
            ("dtype", dtype, dtypes, str),
            ("sym", sym, (True, False), bool),
            ("granularity", granularity, _GRANULARITIES, str),
            ("algo", algo, algos, str),
        ):
            if not isinstance(value, kind):
                reason = f"expected a {kind.__name__}, got {type(value).__name__}"
                raise _unsupported(prefix + name, value, valid, reason, error=TypeError)
        if dtype not in dtypes:
            reason = _X86_REASONS.get((role, "dtype")) if dtype in _DTYPES else "unknown dtype"
            raise _unsupported(prefix + "dtype", dtype, dtypes, reason)
        if algo not in algos:
            reason = "it computes no qparams and serves dynamic quantization only"
            raise _unsupported(prefix + "algo", algo, algos, reason if algo == _DYNAMIC_ALGO else "unknown algo")
        if runtime:
            qschemes = [qscheme for qscheme in qschemes if (_DYNAMIC_ALGO, qscheme) in _OBSERVERS]
        valid = [item for item in _GRANULARITIES if any(_QSCHEMES[item, flag] in qschemes for flag in (True, False))]
        if granularity not in valid:
            reason = _X86_REASONS.get((role, "granularity"), "dynamic quantization observes activations per tensor")
            if granularity not in _GRANULARITIES:
                reason = "unknown granularity"
            raise _unsupported(prefix + "granularity", granularity, valid, reason)
        valid = [flag for flag in (True, False) if _QSCHEMES[granularity, flag] in qschemes]
        if sym not in valid:
            raise _unsupported(prefix + "sym", sym, valid, _X86_REASONS[role, "sym"])
        valid = [item for item in algos if (item, _QSCHEMES[granularity, sym]) in _OBSERVERS]
        if not runtime and algo not in valid:
            observer = next(cls for (item, _), cls in _OBSERVERS.items() if item == algo).__name__
            served = [
                item
                for item in _GRANULARITIES
                if any((algo, _QSCHEMES[item, flag]) in _OBSERVERS for flag in (True, False))
            ]
            raise _unsupported(
                prefix + "algo",
                algo,
                valid,
                f"its observer, {observer}, serves {prefix}granularity={', '.join(map(repr, served))} only, not "
                f"{granularity!r}",
                f"set {prefix}algo={valid[0]!r}, or {prefix}granularity={served[0]!r} to keep {algo!r}",
            )


def create_quant_spec_from_config(dtype, sym, granularity, algo, is_dynamic=False) -> QuantizationSpec:
    """Create a quantization specification based on the given configuration.

    The observer comes from the (algorithm, qscheme) table and gets ``eps=2**-12``; per_channel specs carry
    ``ch_axis=0``, the output channel of conv and linear weights.

    Args:
        dtype (str): The desired data type for quantization. Valid options are "int8" and "uint8".
        sym (bool): Whether to use symmetric quantization or not.
        granularity (str): The granularity of quantization. Valid options are "per_channel" and "per_tensor".
        algo (str): The algorithm to use for quantization. Valid options are "minmax", "kl" (per_tensor only)
            and "placeholder" (dynamic only).
        is_dynamic (bool, optional): Whether to use dynamic quantization or not; if so, the observer is the
            placeholder whatever ``algo`` says. Defaults to False.

    Returns:
        QuantizationSpec: The created quantization specification.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value outside the tables.
    """
    _validate({None: (dtype, sym, granularity, algo)}, is_dynamic)
    torch_dtype, quant_min, quant_max = _DTYPES[dtype]
    qscheme = _QSCHEMES[granularity, sym]
    observer = _OBSERVERS[_DYNAMIC_ALGO if is_dynamic else algo, qscheme]
    return QuantizationSpec(
        dtype=torch_dtype,
        quant_min=quant_min,
        quant_max=quant_max,
        qscheme=qscheme,
        ch_axis=0 if granularity == "per_channel" else None,
        is_dynamic=is_dynamic,
        observer_or_fake_quant_ctr=observer.with_args(eps=_EPS),
    )


def _quantization_config(activation, weight) -> QuantizationConfig:
    """Assemble the X86 quantizer config: one spec for input and output activations, no bias quantization.

    Args:
        activation (QuantizationSpec): The spec of input and output activations.
        weight (QuantizationSpec): The spec of weights.

    Returns:
        QuantizationConfig: The config for ``X86InductorQuantizer.set_global`` and the ``set_*_qconfig`` methods.
    """
    return QuantizationConfig(
        input_activation=activation, output_activation=activation, weight=weight, bias=None, is_qat=False
    )


def _map_inc_config_to_torch_quant_config(inc_config, is_dynamic=False) -> QuantizationConfig:
    """Map one INC static or dynamic quant config to the X86 quantizer's config.

    Args:
        inc_config: An INC config with the fields ``w_``/``act_`` + ``dtype``, ``sym``, ``granularity``, ``algo``.
        is_dynamic (bool, optional): Whether activations are quantized dynamically. Defaults to False.

    Returns:
        QuantizationConfig or None: The config, or None when both dtypes are float types (the ops stay
        unquantized; fp16/bf16 are applied by INC's half-precision rewriter).

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value that the X86 backend does not compute correctly.
    """
    settings = {
        role: tuple(getattr(inc_config, prefix + field) for field in _FIELDS)
        for role, (prefix, _, _) in _X86_SUPPORT.items()
    }
    if all(dtype in _FLOAT_DTYPES for dtype, *_ in settings.values()):
        logger.debug("Got non-quantizable data types, skipping quantization.")
        return None
    _validate(settings, is_dynamic)
    return _quantization_config(
        create_quant_spec_from_config(*settings["activation"], is_dynamic=is_dynamic),
        create_quant_spec_from_config(*settings["weight"]),
    )


def create_default_xiq_quantizer_config(is_dynamic=False) -> QuantizationConfig:
    """Create the X86 quantizer config of INC's defaults.

    Activations: uint8, affine, per_tensor, minmax (placeholder when dynamic). Weights: int8, symmetric,
    per_channel, minmax.

    Args:
        is_dynamic (bool, optional): Whether activations are quantized dynamically. Defaults to False.

    Returns:
        QuantizationConfig: The default config.
    """
    return _quantization_config(
        create_quant_spec_from_config("uint8", False, "per_tensor", "minmax", is_dynamic=is_dynamic),
        create_quant_spec_from_config("int8", True, "per_channel", "minmax"),
    )


class _X86InductorQuantizerChecked(X86InductorQuantizer):
    """X86InductorQuantizer that refuses int8 activations for ops whose X86 int8 kernels read uint8 only."""

    def validate(self, model: torch.fx.GraphModule) -> None:
        """Check the annotated graph; prepare_pt2e calls this before it inserts any observer.

        Args:
            model (torch.fx.GraphModule): The annotated model.

        Raises:
            ValueError: An int8 activation feeds a conv or max_pool2d node.
        """
        super().validate(model)
        nodes = []
        for node in model.graph.nodes:
            annotation = node.meta.get(_ANNOTATION_KEY)
            if node.target in _UINT8_ONLY_OPS and annotation is not None and node.args:
                spec = annotation.input_qspec_map.get(node.args[0])
                if getattr(spec, "dtype", None) == torch.int8:
                    nodes.append(f"{node.name} ({node.target})")
        if nodes:
            raise _unsupported(
                "act_dtype",
                "int8",
                tuple(dtype for dtype in _X86_SUPPORT["activation"][1] if dtype != "int8"),
                f"the X86 int8 kernels of conv and max_pool2d read uint8 activations, and {', '.join(nodes)} "
                "would get int8 ones (int8 activations work for Linear)",
                "set act_dtype='uint8', or keep int8 for Linear ops only with set_local by op name or type",
            )


def _op_type_targets(op_type):
    """Resolve an INC op-type name to the torch.nn module and functional that the X86 quantizer can configure.

    Args:
        op_type (str): The name of a ``torch.nn`` module class or ``torch.nn.functional`` function, e.g. "Linear".

    Returns:
        list: The matching module classes and functions, at least one.

    Raises:
        ValueError: No module or functional of that name can be configured by type.
    """
    configurable = X86InductorQuantizer.module_function_to_aten_operator_type
    namespaces = (torch.nn, torch.nn.functional)
    targets = [getattr(namespace, op_type, None) for namespace in namespaces]
    targets = [target for target in targets if target is not None and target in configurable]
    if not targets:
        valid = sorted(
            {
                target.__name__
                for target in configurable
                if any(getattr(namespace, target.__name__, None) is target for namespace in namespaces)
            }
        )
        raise _unsupported(
            "set_local op type",
            op_type,
            valid,
            "the X86 quantizer takes configs by type for these torch.nn modules and functionals only",
            "set_local by op name instead",
        )
    return targets


def create_xiq_quantizer_from_pt2e_config(config, is_dynamic=False) -> X86InductorQuantizer:
    """Creates an instance of X86InductorQuantizer based on the given configuration.

    Args:
        config: The configuration object containing the quantization settings, with its ``set_local`` settings.
        is_dynamic: A boolean indicating whether dynamic quantization is enabled.

    Returns:
        An instance of X86InductorQuantizer initialized with the provided configuration.

    Raises:
        TypeError: A field of the global or a local config has the wrong type.
        ValueError: A setting is not computed correctly by the X86 backend, or a ``set_local`` entry cannot be
            applied.
    """
    quantizer = _X86InductorQuantizerChecked()
    quantizer.set_global(_map_inc_config_to_torch_quant_config(config, is_dynamic))
    op_type_configs, op_name_configs = config._get_op_name_op_type_config()
    if (op_type_configs or op_name_configs) and not SUPPORTS_LOCAL_CONFIG:
        raise _unsupported(
            "set_local",
            sorted([*op_type_configs, *op_name_configs]),
            ("none with torch<2.5",),
            f"the X86InductorQuantizer of torch {torch.__version__} takes no config per op name",
            "upgrade to torch>=2.5, or remove the set_local calls",
        )
    for op_type, local_config in op_type_configs.items():
        quant_config = _map_inc_config_to_torch_quant_config(local_config, is_dynamic)
        for target in _op_type_targets(op_type):
            if isinstance(target, type):
                quantizer.set_module_type_qconfig(target, quant_config)
            else:
                quantizer.set_function_type_qconfig(target, quant_config)
    for op_name, local_config in op_name_configs.items():
        quantizer.set_module_name_qconfig(op_name, _map_inc_config_to_torch_quant_config(local_config, is_dynamic))
    return quantizer
