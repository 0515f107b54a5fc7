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

import dataclasses
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import torch

from neural_compressor.common.utils import logger
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    DYNAMIC_SYMMETRIC_SINCE,
    INT8_ACTIVATIONS_SINCE,
    SUPPORTS_DYNAMIC_SYMMETRIC,
    SUPPORTS_INT8_ACTIVATIONS,
    SUPPORTS_LOCAL_CONFIG,
    HistogramObserver,
    MinMaxObserver,
    ObserverBase,
    PerChannelMinMaxObserver,
    PlaceholderObserver,
    QuantizationAnnotation,
    QuantizationConfig,
    QuantizationSpec,
    X86InductorQuantizer,
    dynamic_affine_compiles_right,
    half_precision_by_op_name_error,
    half_precision_dtypes,
    int8_inputs_have_fast_kernels,
    module_name_filter,
)

# INC dtype name -> (torch dtype, quant_min, quant_max).
DTYPES = MappingProxyType(
    {
        "int8": (torch.int8, -128, 127),
        "uint8": (torch.uint8, 0, 255),
    }
)

# INC dtype names that leave an op unquantized (INC's half-precision rewriter applies fp16/bf16 after convert).
FLOAT_DTYPES = ("fp32", "fp16", "bf16")

# (granularity, sym) -> qscheme.
QSCHEMES = MappingProxyType(
    {
        ("per_tensor", True): torch.per_tensor_symmetric,
        ("per_tensor", False): torch.per_tensor_affine,
        ("per_channel", True): torch.per_channel_symmetric,
        ("per_channel", False): torch.per_channel_affine,
    }
)

# (algorithm, qscheme) -> observer class: the observer factory. A pair missing here is not supported.
OBSERVERS = MappingProxyType(
    {
        ("minmax", torch.per_tensor_symmetric): MinMaxObserver,
        ("minmax", torch.per_tensor_affine): MinMaxObserver,
        ("minmax", torch.per_channel_symmetric): PerChannelMinMaxObserver,
        ("minmax", torch.per_channel_affine): PerChannelMinMaxObserver,
        ("kl", torch.per_tensor_symmetric): HistogramObserver,
        ("kl", torch.per_tensor_affine): HistogramObserver,
        ("placeholder", torch.per_tensor_symmetric): PlaceholderObserver,
        ("placeholder", torch.per_tensor_affine): PlaceholderObserver,
    }
)

# The algorithm of dynamic quantization: activation qparams are computed at run time, not by calibration.
_DYNAMIC_ALGO = "placeholder"
# The qschemes of dynamic activations that the running torch converts: symmetric ones need DYNAMIC_SYMMETRIC_SINCE.
_DYNAMIC_QSCHEMES = tuple(
    qscheme
    for (algo, qscheme) in OBSERVERS
    if algo == _DYNAMIC_ALGO and (SUPPORTS_DYNAMIC_SYMMETRIC or qscheme == torch.per_tensor_affine)
)

# Smallest scale an observer may produce: the value of torchao's default X86 config, so results can match it.
OBSERVER_EPS = 2**-12


class RoleSupport(NamedTuple):
    """What the X86 inductor backend computes correctly for one tensor role.

    Attributes:
        prefix (str): The prefix of the role's INC fields, e.g. ``"w_"``.
        dtypes (tuple[str, ...]): The INC dtype names it takes.
        qschemes (tuple[torch.qscheme, ...]): The qschemes it takes.
        reasons (Mapping[str, str]): Field name (``"dtype"``, ``"sym"``, ...) -> why a value of the tables outside
            this support is refused.
    """

    prefix: str
    dtypes: tuple
    qschemes: tuple
    reasons: Mapping


# What the X86 inductor backend computes correctly, per tensor role.
SUPPORTED = MappingProxyType(
    {
        "weight": RoleSupport(
            "w_",
            ("int8",),
            (torch.per_tensor_symmetric, torch.per_channel_symmetric),
            MappingProxyType(
                {
                    "dtype": "X86 int8 kernels take int8 weights; uint8 weights prepare but fail to compile in inductor",
                    "sym": (
                        "oneDNN int8 kernels take symmetric weights; the X86 quantizer refuses affine weights, and "
                        "per_channel affine weights forced through it compile to wrong results"
                    ),
                }
            ),
        ),
        "activation": RoleSupport(
            "act_",
            ("uint8", "int8") if SUPPORTS_INT8_ACTIVATIONS else ("uint8",),
            (torch.per_tensor_affine, torch.per_tensor_symmetric),
            MappingProxyType(
                {
                    "granularity": "the X86 backend quantizes activations per tensor only",
                    "dtype": (
                        f"the X86 int8 kernels of torch {torch.__version__} read uint8 activations only; int8 "
                        f"activations need torch>={INT8_ACTIVATIONS_SINCE} (torch 2.7 and 2.8 compile them to wrong "
                        "results, earlier releases fail)"
                    ),
                }
            ),
        ),
    }
)

# Ops whose X86 int8 kernels read uint8 activations only: fed an int8 activation, they fail to compile.
_UINT8_ONLY_OPS = (
    torch.ops.aten.conv1d.default,
    torch.ops.aten.conv2d.default,
    torch.ops.aten.conv3d.default,
    torch.ops.aten.max_pool2d.default,
)

# Adds that inductor fuses into a preceding int8 Linear kernel as its in-place 'sum' post-op.
_SUM_OPS = (torch.ops.aten.add.Tensor,)
# Nodes whose tensors the compiled model does not own: the caller's inputs and (frozen) parameters and buffers.
_NOT_OWNED = ("placeholder", "get_attr")
# Ops with a weight (args[1]) whose set_local by module name must take effect.
_CONV1D = torch.ops.aten.conv1d.default
_WEIGHTED_OPS = (
    _CONV1D,
    torch.ops.aten.conv2d.default,
    torch.ops.aten.conv3d.default,
    torch.ops.aten.linear.default,
)

# The node.meta key under which PT2E quantizers store their annotation (the same in torch.ao and torchao).
_ANNOTATION_KEY = "quantization_annotation"

# The fields of one role of an INC config, in INC's order; each is prefixed by the role's prefix.
FIELDS = ("dtype", "sym", "granularity", "algo")
GRANULARITIES = tuple(dict.fromkeys(granularity for granularity, _ in QSCHEMES))
STATIC_ALGOS = tuple(dict.fromkeys(algo for algo, _ in OBSERVERS if algo != _DYNAMIC_ALGO))


def _unsupported(field, value, valid, reason, fix=None, error=ValueError):
    """Build the exception for a rejected setting, in the one message format of this module.

    Args:
        field (str): The configuration field at fault, e.g. ``"w_sym"``.
        value: The rejected value.
        valid (Sequence or None): The values the field accepts here; None where no list of values applies.
        reason (str): Why the value is rejected.
        fix (str, optional): What to change. Defaults to setting the field to a valid value.
        error (type): ValueError (a wrong value) or TypeError (a wrong type).

    Returns:
        Exception: The exception to raise.
    """
    if fix is None:
        fix = f"set {field}={valid[0]!r}" if len(valid) == 1 else f"set {field} to one of the valid values"
    valid_text = "" if valid is None else f" Valid values: {', '.join(repr(item) for item in valid)}."
    return error(f"{field}={value!r} is not supported: {reason}.{valid_text} Fix: {fix}.")


# The role of a direct create_quant_spec_from_config call: anything the tables can build, fields without a prefix.
_ANY_ROLE = RoleSupport("", tuple(DTYPES), tuple(QSCHEMES.values()), MappingProxyType({}))
# Role name -> support, for _validate.
_ROLES = MappingProxyType({**SUPPORTED, "any": _ANY_ROLE})
# Why a value is refused when its role gives no reason of its own.
_DEFAULT_REASONS = MappingProxyType(
    {
        "dtype": "unknown dtype",
        "granularity": "dynamic quantization observes activations per tensor",
        # Reached by dynamic activations only: every static role takes both sym values or gives its own reason.
        "sym": (
            f"the convert_pt2e of torch {torch.__version__} fails on symmetric dynamic activations (it looks for "
            f"the affine choose_qparams only); they need torch>={DYNAMIC_SYMMETRIC_SINCE}"
        ),
    }
)


def _granularities(qschemes):
    """Return the granularities that serve at least one of ``qschemes`` (with either sym)."""
    return [item for item in GRANULARITIES if any(QSCHEMES[item, flag] in qschemes for flag in (True, False))]


def _syms(granularity, qschemes):
    """Return the sym values whose qscheme at ``granularity`` is one of ``qschemes``."""
    return [flag for flag in (True, False) if QSCHEMES[granularity, flag] in qschemes]


def _algos(qscheme, algos):
    """Return the algorithms of ``algos`` that have an observer for ``qscheme``."""
    return [item for item in algos if (item, qscheme) in OBSERVERS]


def _check_float_mix(settings):
    """Reject an op config that quantizes one of weights and activations and leaves the other in a float dtype.

    Args:
        settings (dict): Role name -> (dtype, sym, granularity, algo).

    Raises:
        ValueError: One role has a float dtype and another an integer one.
    """
    float_roles = [role for role, setting in settings.items() if setting[0] in FLOAT_DTYPES]
    if not float_roles or len(float_roles) == len(settings):
        return
    role, other = float_roles[0], next(role for role in settings if role not in float_roles)
    field, other_field = _ROLES[role].prefix + "dtype", _ROLES[other].prefix + "dtype"
    raise _unsupported(
        field,
        settings[role][0],
        _ROLES[role].dtypes,
        f"{other_field}={settings[other][0]!r} quantizes the op, and the X86 backend quantizes the weights and "
        "activations of an op together (there is no weight-only or activation-only static int8)",
        f"set {field} to a valid value, or {other_field} to one of {', '.join(FLOAT_DTYPES)} as well to leave "
        "the op unquantized",
    )


def _check_half_precision(settings):
    """Reject a half-precision dtype that the installed INC's rewriter does not apply: the op would run in fp32.

    Args:
        settings (dict): Role name -> (dtype, sym, granularity, algo), every dtype one of :data:`FLOAT_DTYPES`.

    Raises:
        ValueError: A dtype is a half-precision one that INC does not apply.
    """
    applied = ("fp32", *half_precision_dtypes())
    for role, (dtype, *_) in settings.items():
        if dtype not in applied:
            reason = f"INC's half-precision rewriter applies {', '.join(applied[1:])} only; the op would run in fp32"
            raise _unsupported(SUPPORTED[role].prefix + "dtype", dtype, applied, reason)


def _check_types(prefix, setting, algos):
    """Reject a field of the wrong type.

    Args:
        prefix (str): The role's field prefix.
        setting (tuple): (dtype, sym, granularity, algo).
        algos (tuple): The algorithms valid for the role.

    Raises:
        TypeError: A field is not of its type (str, or bool for sym).
    """
    valid_values = (DTYPES, (True, False), GRANULARITIES, algos)
    for name, value, valid in zip(FIELDS, setting, valid_values):
        kind = bool if name == "sym" else str
        if not isinstance(value, kind):
            reason = f"expected a {kind.__name__}, got {type(value).__name__}"
            raise _unsupported(prefix + name, value, tuple(valid), reason, error=TypeError)


def _validate_role(support, setting, runtime):
    """Reject a setting of one tensor role that the tables cannot build or the role's support does not take.

    Args:
        support (RoleSupport): What the role takes.
        setting (tuple): (dtype, sym, granularity, algo).
        runtime (bool): Whether the role is observed at run time (dynamic activations): its algo is then ignored.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value outside the tables or the role's support.
    """
    dtype, sym, granularity, algo = setting
    prefix, reasons = support.prefix, support.reasons
    algos = STATIC_ALGOS + (_DYNAMIC_ALGO,) if runtime else STATIC_ALGOS
    _check_types(prefix, setting, algos)
    if dtype not in support.dtypes:
        reason = reasons.get("dtype", _DEFAULT_REASONS["dtype"]) if dtype in DTYPES else "unknown dtype"
        raise _unsupported(prefix + "dtype", dtype, support.dtypes, reason)
    if algo not in algos:
        reason = "it computes no qparams and serves dynamic quantization only"
        raise _unsupported(prefix + "algo", algo, algos, reason if algo == _DYNAMIC_ALGO else "unknown algo")
    # Dynamic activations are observed at run time by the dynamic algorithm, whatever their algo says.
    qschemes = [item for item in support.qschemes if not runtime or item in _DYNAMIC_QSCHEMES]
    valid = _granularities(qschemes)
    if granularity not in valid:
        reason = reasons.get("granularity", _DEFAULT_REASONS["granularity"])
        reason = reason if granularity in GRANULARITIES else "unknown granularity"
        raise _unsupported(prefix + "granularity", granularity, valid, reason)
    valid = _syms(granularity, qschemes)
    if sym not in valid:
        raise _unsupported(prefix + "sym", sym, valid, reasons.get("sym", _DEFAULT_REASONS["sym"]))
    valid = _algos(QSCHEMES[granularity, sym], algos)
    if not runtime and algo not in valid:
        observer = next(cls for (item, _), cls in OBSERVERS.items() if item == algo).__name__
        served = [item for item in GRANULARITIES if _syms(item, [q for a, q in OBSERVERS if a == algo])]
        raise _unsupported(
            prefix + "algo",
            algo,
            valid,
            f"its observer, {observer}, serves {prefix}granularity={', '.join(map(repr, served))} only, not "
            f"{granularity!r}",
            f"set {prefix}algo={valid[0]!r}, or {prefix}granularity={served[0]!r} to keep {algo!r}",
        )


def _validate(settings, is_dynamic=False):
    """Reject settings that cannot be built, or that the X86 inductor backend does not compute correctly.

    The one validation function of this module. A setting under role "any" is checked against the tables only
    (a direct ``create_quant_spec_from_config`` call); under "weight" or "activation" it is also checked against
    :data:`SUPPORTED` for that role, and errors name INC's fields (``w_sym``, ``act_dtype``...).

    Args:
        settings (dict): Role ("any", "weight" or "activation") -> (dtype, sym, granularity, algo).
        is_dynamic (bool): Whether activations are quantized dynamically. Defaults to False.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value that the tables or the X86 backend do not support.
    """
    _check_float_mix(settings)
    if "any" not in settings and all(setting[0] in FLOAT_DTYPES for setting in settings.values()):
        # The op stays unquantized: only the float dtypes themselves must be ones INC's rewriter applies.
        _check_half_precision(settings)
        return
    for role, setting in settings.items():
        _validate_role(_ROLES[role], setting, runtime=is_dynamic and role != "weight")


def _build_spec(dtype, sym, granularity, algo, is_dynamic=False) -> QuantizationSpec:
    """Build the spec of a validated setting from the tables (see :func:`create_quant_spec_from_config`)."""
    torch_dtype, quant_min, quant_max = DTYPES[dtype]
    qscheme = QSCHEMES[granularity, sym]
    observer = OBSERVERS[_DYNAMIC_ALGO if is_dynamic else algo, qscheme]
    return QuantizationSpec(
        dtype=torch_dtype,
        quant_min=quant_min,
        quant_max=quant_max,
        qscheme=qscheme,
        ch_axis=0 if granularity == "per_channel" else None,
        is_dynamic=is_dynamic,
        observer_or_fake_quant_ctr=observer.with_args(eps=OBSERVER_EPS),
    )


class PerChannelSharedScaleObserver(ObserverBase):
    """Observe a weight with a per_tensor observer and report its one scale once per output channel.

    Inductor lowers an int8 weight to a oneDNN kernel only when the weight is dequantized per channel. This observer
    computes the qparams exactly as the wrapped per_tensor observer does and repeats them along ``ch_axis``, so the
    quantized weight holds the same int8 values and dequantizes to the same floats, in the form inductor lowers.

    Args:
        observer (type): The per_tensor observer class, e.g. ``MinMaxObserver``.
        dtype (torch.dtype): The quantized dtype.
        quant_min (int): The smallest quantized value.
        quant_max (int): The largest quantized value.
        qscheme (torch.qscheme): The per_channel form, a value of :data:`WEIGHT_FORMS`.
        ch_axis (int): The output channel axis of the weight.
        **kwargs: The wrapped observer's other arguments (``eps``, ``is_dynamic``...).
    """

    def __init__(self, observer, dtype, quant_min, quant_max, qscheme=torch.per_channel_symmetric, ch_axis=0, **kwargs):
        super().__init__(dtype=dtype, is_dynamic=kwargs.pop("is_dynamic", False))
        self.quant_min, self.quant_max, self.qscheme, self.ch_axis = quant_min, quant_max, qscheme, ch_axis
        self.channels = 0
        self.tensor_observer = observer(
            dtype=dtype, quant_min=quant_min, quant_max=quant_max, qscheme=_PER_TENSOR_FORMS[qscheme], **kwargs
        )

    def forward(self, x):
        """Observe ``x`` and return it unchanged."""
        self.channels = x.shape[self.ch_axis]
        return self.tensor_observer(x)

    def calculate_qparams(self):
        """Return the wrapped observer's scale and zero point, once for each channel along ``ch_axis``."""
        scale, zero_point = self.tensor_observer.calculate_qparams()
        return scale.reshape(1).repeat(self.channels), zero_point.reshape(1).repeat(self.channels)


# Weight qscheme -> the form the X86 backend gets it in. Inductor lowers int8 weights to oneDNN kernels only when they
# are dequantized per channel: a per_tensor weight goes in per_channel form, with its one scale for every channel.
WEIGHT_FORMS = MappingProxyType({torch.per_tensor_symmetric: torch.per_channel_symmetric})
_PER_TENSOR_FORMS = {form: qscheme for qscheme, form in WEIGHT_FORMS.items()}


def _build_weight_spec(dtype, sym, granularity, algo) -> QuantizationSpec:
    """Build the spec of a validated weight setting, in the form of :data:`WEIGHT_FORMS` that inductor lowers."""
    spec = _build_spec(dtype, sym, granularity, algo)
    if spec.qscheme not in WEIGHT_FORMS:
        return spec
    return dataclasses.replace(
        spec,
        qscheme=WEIGHT_FORMS[spec.qscheme],
        ch_axis=0,
        observer_or_fake_quant_ctr=PerChannelSharedScaleObserver.with_args(
            observer=OBSERVERS[algo, spec.qscheme], eps=OBSERVER_EPS
        ),
    )


def create_quant_spec_from_config(dtype, sym, granularity, algo, is_dynamic=False) -> QuantizationSpec:
    """Create a quantization specification based on the given configuration.

    The observer comes from :data:`OBSERVERS` and gets ``eps=OBSERVER_EPS``; per_channel specs carry ``ch_axis=0``,
    the output channel of conv and linear weights.

    Args:
        dtype (str): The desired data type for quantization, a key of :data:`DTYPES`.
        sym (bool): Whether to use symmetric quantization or not.
        granularity (str): The granularity of quantization, one of :data:`GRANULARITIES`.
        algo (str): The algorithm to use for quantization; with ``granularity`` it must have an entry in
            :data:`OBSERVERS`.
        is_dynamic (bool, optional): Whether to use dynamic quantization or not; if so, the observer is the
            placeholder whatever ``algo`` says. Defaults to False.

    Returns:
        QuantizationSpec: The created quantization specification.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value outside the tables.
    """
    _validate({"any": (dtype, sym, granularity, algo)}, is_dynamic)
    return _build_spec(dtype, sym, granularity, algo, is_dynamic)


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
        role: tuple(getattr(inc_config, support.prefix + field) for field in FIELDS)
        for role, support in SUPPORTED.items()
    }
    _validate(settings, is_dynamic)
    if all(dtype in FLOAT_DTYPES for dtype, *_ in settings.values()):
        logger.debug("Got non-quantizable data types, skipping quantization.")
        return None
    _warn_dynamic_affine(settings["activation"], is_dynamic)
    _warn_slow_int8_inputs(settings["activation"])
    return _quantization_config(
        _build_spec(*settings["activation"], is_dynamic=is_dynamic), _build_weight_spec(*settings["weight"])
    )


def create_default_xiq_quantizer_config(is_dynamic=False) -> QuantizationConfig:
    """Create the X86 quantizer config of INC's defaults.

    Activations: uint8, affine, per_tensor, minmax. Weights: int8, symmetric, per_channel, minmax.

    Args:
        is_dynamic (bool, optional): Whether activations are quantized dynamically. Defaults to False.

    Returns:
        QuantizationConfig: The default config.
    """
    settings = {
        "activation": ("uint8", False, "per_tensor", "minmax"),
        "weight": ("int8", True, "per_channel", "minmax"),
    }
    _validate(settings, is_dynamic)
    _warn_dynamic_affine(settings["activation"], is_dynamic)
    return _quantization_config(
        _build_spec(*settings["activation"], is_dynamic=is_dynamic), _build_spec(*settings["weight"])
    )


def _warn_dynamic_affine(activation, is_dynamic):
    """Warn that affine dynamic activations compile wrongly where inductor's choose_qparams leaves 0 out of range.

    INC's default dynamic config has affine activations and computes them right in eager mode, so it is accepted;
    but inductor's decomposition of ``choose_qparams`` takes the raw min and max where eager mode includes 0, so an
    activation that is all positive or all negative (after a ReLU or a pooling, say) gets too small a scale and
    saturates in the compiled model. Whether a tensor is one-signed depends on the data, so this cannot be checked
    before calibration: the user is told, with the setting that compiles right.

    Args:
        activation (tuple): The activation setting (dtype, sym, granularity, algo).
        is_dynamic (bool): Whether activations are quantized dynamically.
    """
    if is_dynamic and not activation[1] and not dynamic_affine_compiles_right():
        warnings.warn(
            f"act_sym=False with dynamic quantization is computed right in eager mode, but the inductor of torch "
            f"{torch.__version__} compiles it wrongly for an activation that is all positive or all negative (its "
            "choose_qparams leaves 0 out of the range, so the scale is too small and values saturate). Fix: set "
            "act_sym=True to compile the model.",
            UserWarning,
            stacklevel=3,
        )


def _warn_slow_int8_inputs(activation):
    """Warn that int8 activations, computed right, run oneDNN's reference kernel on a CPU without AMX.

    Args:
        activation (tuple): The activation setting (dtype, sym, granularity, algo).
    """
    if activation[0] == "int8" and not int8_inputs_have_fast_kernels():
        warnings.warn(
            "act_dtype='int8' is computed right, but this CPU has no AMX, and there oneDNN runs a Linear with an "
            "int8 input with its reference kernel (measured on AVX512-VNNI: a compiled 384-1536-384 MLP block took "
            "seconds per batch where uint8 activations take milliseconds, far slower than fp32). Fix: set "
            "act_dtype='uint8'.",
            UserWarning,
            stacklevel=3,
        )


def _input_spec(node):
    """Return the activation spec (static or dynamic) that a node's annotation gives its first input, or None."""
    annotation = node.meta.get(_ANNOTATION_KEY)
    return annotation.input_qspec_map.get(node.args[0]) if annotation is not None and node.args else None


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


def _weight_spec(node):
    """Return the spec that a conv or linear node's annotation gives its weight, or None if it is not quantized."""
    annotation = node.meta.get(_ANNOTATION_KEY)
    return annotation.input_qspec_map.get(node.args[1]) if annotation is not None else None


class _X86InductorQuantizerChecked(X86InductorQuantizer):
    """X86InductorQuantizer whose annotated graph compiles to what it computes in eager mode.

    It quantizes the output of a Linear that inductor would otherwise add in place into a graph input, and refuses
    int8 activations for ops whose X86 int8 kernels read uint8 only and ``set_local`` configs that the X86 quantizer
    would not apply.
    """

    def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        """Annotate as the X86 quantizer does, then keep inductor from adding a Linear's output in place.

        For each add found by :func:`_in_place_sums`, the Linear's output is quantized with the Linear's own input
        spec before the add: inductor then lowers the Linear to an int8 kernel with an int8 output and the add
        out of place, and eager mode computes the same quantize-dequantize.

        Args:
            model (torch.fx.GraphModule): The exported model.

        Returns:
            torch.fx.GraphModule: The annotated model.
        """
        model = super().annotate(model)
        for add, linear, other in _in_place_sums(model):
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
            ValueError: An int8 activation feeds a node whose X86 int8 kernel reads uint8 only, a ``set_local`` by
                module name did not apply to a conv or linear of that module, or a dynamically quantized activation
                feeds more than one quantized input.
        """
        super().validate(model)
        self._check_local_configs_applied(model)
        shared = _shared_dynamic_inputs(model)
        if shared:
            source, nodes = next(iter(shared.items()))
            raise _unsupported(
                "act_sym",
                True,
                None,
                "convert_pt2e fails on a symmetric dynamic activation that feeds more than one quantized input (its "
                "DuplicateDQPass treats only affine choose_qparams as dynamic), and "
                f"{source.name} feeds {', '.join(node.name for node in nodes)}",
                "use StaticQuantConfig, or leave all but one of those ops unquantized with set_local",
            )
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
                tuple(dtype for dtype in SUPPORTED["activation"].dtypes if dtype != "int8"),
                f"the X86 int8 kernels of {', '.join(op.name() for op in _UINT8_ONLY_OPS)} read uint8 activations, "
                f"and {', '.join(nodes)} would get int8 ones (int8 activations work for Linear)",
                "set act_dtype='uint8', or keep int8 for Linear ops only with set_local by op name or type",
            )

    def _check_local_configs_applied(self, model):
        """Reject a config by module name that the X86 quantizer left unapplied to a conv or linear of the module.

        The X86 quantizer applies a config by module name to a fusion pattern only if every node of the pattern
        comes from that module; torchao annotates Conv1d only as part of a Conv1d + ReLU pattern, so a name
        config on a Conv1d followed by a separate ReLU module is silently replaced by the global config.

        Args:
            model (torch.fx.GraphModule): The annotated model.

        Raises:
            ValueError: A weighted node of a named module has a weight spec of none of its module-name configs.
        """
        configs = getattr(self, "module_name_qconfig", {})
        filters = {name: module_name_filter(name) for name in configs}
        for node in model.graph.nodes:
            names = [name for name, belongs in filters.items() if node.target in _WEIGHTED_OPS and belongs(node)]
            expected = [getattr(configs[name], "weight", None) for name in names]
            if names and _weight_spec(node) not in expected:
                hint = " (torchao quantizes a Conv1d only with the ReLU after it)" * (node.target == _CONV1D)
                raise _unsupported(
                    "set_local",
                    names[0],
                    None,
                    "the X86 quantizer applies a config by module name only to a fusion pattern whose nodes all come "
                    f"from that module, and it gave {node.name} ({node.target}) of {names[0]!r} another config{hint}",
                    "set_local on a module that holds the whole pattern (e.g. a Conv1d and its ReLU), or by op type",
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


def _check_half_precision_by_op_name(op_name, local_config):
    """Reject a half-precision set_local by op name where INC's rewriter fails to select ops by name at convert.

    Args:
        op_name (str): The op name of the set_local entry.
        local_config: Its INC config.

    Raises:
        ValueError: The config asks for fp16/bf16 and the installed INC's rewriter cannot apply it by name.
    """
    error = half_precision_by_op_name_error()
    if error is not None and local_config.act_dtype in FLOAT_DTYPES[1:]:
        raise _unsupported(
            "set_local op name",
            op_name,
            None,
            f"with act_dtype={local_config.act_dtype!r} INC's half-precision rewriter would fail on it at convert: "
            f"on this INC and torch {torch.__version__} it cannot select ops by name ({error})",
            "set_local by op type instead, or use torch>=2.11, where INC takes the PT2E API from torchao",
        )


def split_local_configs(config):
    """Split the ``set_local`` entries of an INC config into those by op type and those by op name.

    With intel_extension_for_pytorch imported (INC<3.2: always) INC files every op name under op types as well, with
    the same config, for its IPEX backend. The PT2E path takes such an entry as the op name it is, as INC does
    without IPEX; the quantizer factory and INC's half-precision rewriter both read the entries through here.

    Args:
        config: An INC config, with its ``set_local`` entries.

    Returns:
        tuple[dict, dict]: Op type name -> config, and op name -> config.
    """
    op_type_configs, op_name_configs = config._get_op_name_op_type_config()
    op_type_configs = {key: value for key, value in op_type_configs.items() if op_name_configs.get(key) is not value}
    return op_type_configs, op_name_configs


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
    op_type_configs, op_name_configs = split_local_configs(config)
    if (op_type_configs or op_name_configs) and not SUPPORTS_LOCAL_CONFIG:
        raise _unsupported(
            "set_local",
            sorted({*op_type_configs, *op_name_configs}),
            None,
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
        _check_half_precision_by_op_name(op_name, local_config)
        quantizer.set_module_name_qconfig(op_name, _map_inc_config_to_torch_quant_config(local_config, is_dynamic))
    return quantizer
