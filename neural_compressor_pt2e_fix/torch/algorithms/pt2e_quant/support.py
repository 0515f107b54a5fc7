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
"""What INC's PT2E settings mean, what the X86 inductor backend computes correctly, and the checks between them.

Read top-down: the tables that turn an INC setting into a spec (:data:`DTYPES`, :data:`QSCHEMES`, :data:`OBSERVERS`),
what the running torch can do (:data:`SUPPORTS_LOCAL_CONFIG`, :data:`SUPPORTS_DYNAMIC_SYMMETRIC`), what the backend
computes right per role (:data:`SUPPORTED`), then the validation. It raises a ValueError or TypeError in one format,
naming the field, its value, the valid values and the fix (:func:`unsupported_setting`), before the quantizer
annotates or observes anything.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import torch
from packaging.version import Version

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    HistogramObserver,
    MinMaxObserver,
    PerChannelMinMaxObserver,
    PlaceholderObserver,
    X86InductorQuantizer,
)
from neural_compressor_pt2e_fix.torch.utils.environ import get_torch_version

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
DYNAMIC_ALGO = "placeholder"
GRANULARITIES = tuple(dict.fromkeys(granularity for granularity, _ in QSCHEMES))
STATIC_ALGOS = tuple(dict.fromkeys(algo for algo, _ in OBSERVERS if algo != DYNAMIC_ALGO))

# Smallest scale an observer may produce: the value of torchao's default X86 config, so results can match it.
OBSERVER_EPS = 2**-12

# torch<2.5's X86InductorQuantizer takes no config per module name, so INC's set_local needs torch>=2.5.
SUPPORTS_LOCAL_CONFIG = hasattr(X86InductorQuantizer, "set_module_name_qconfig")
# The first torch whose convert_pt2e handles symmetric dynamic activations (choose_qparams_symmetric): torch 2.4's
# metadata pass looks for choose_qparams.tensor only and fails ("No chose qparams node found"); 2.5.1 knows both.
DYNAMIC_SYMMETRIC_SINCE = Version("2.5.0")
SUPPORTS_DYNAMIC_SYMMETRIC = get_torch_version() >= DYNAMIC_SYMMETRIC_SINCE
# The qschemes of dynamic activations that the running torch converts.
_DYNAMIC_QSCHEMES = tuple(
    qscheme
    for (algo, qscheme) in OBSERVERS
    if algo == DYNAMIC_ALGO and (SUPPORTS_DYNAMIC_SYMMETRIC or qscheme == torch.per_tensor_affine)
)


class RoleSupport(NamedTuple):
    """What can be built, or what the X86 inductor backend computes correctly, for one tensor role.

    Attributes:
        prefix (str): The prefix of the role's INC fields, e.g. ``"w_"``.
        dtypes (tuple[str, ...]): The INC dtype names it takes.
        qschemes (tuple[torch.qscheme, ...]): The qschemes it takes.
        reasons (Mapping[str, str]): Field name (``"dtype"``, ``"sym"``, ...) -> why a value that the tables know
            is refused for this role.
    """

    prefix: str
    dtypes: tuple
    qschemes: tuple
    reasons: Mapping = MappingProxyType({})


# Everything the tables can build, with field names unprefixed: the checks of a direct create_quant_spec_from_config.
TABLES = RoleSupport("", tuple(DTYPES), tuple(QSCHEMES.values()))

# What the X86 inductor backend computes correctly, per tensor role. int8 activations are handed to it in uint8 form
# (utility.ACTIVATION_FORMS), so both activation dtypes compute right into every op.
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
            ("uint8", "int8"),
            (torch.per_tensor_affine, torch.per_tensor_symmetric),
            MappingProxyType({"granularity": "the X86 backend quantizes activations per tensor only"}),
        ),
    }
)

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


class Setting(NamedTuple):
    """The quantization setting of one tensor role, as INC's config fields give it.

    Attributes:
        dtype (str): ``"int8"``, ``"uint8"``, or a float dtype that leaves the op unquantized.
        sym (bool): Whether the quantization is symmetric.
        granularity (str): ``"per_tensor"`` or ``"per_channel"``.
        algo (str): The calibration algorithm, a key of :data:`OBSERVERS`.
    """

    dtype: str
    sym: bool
    granularity: str
    algo: str

    @classmethod
    def of(cls, config, role):
        """Read the setting of one role from an INC config.

        Args:
            config: An INC StaticQuantConfig or DynamicQuantConfig.
            role (str): A key of :data:`SUPPORTED`: ``"weight"`` or ``"activation"``.

        Returns:
            Setting: The values of the role's fields (``w_dtype``..., ``act_dtype``...).
        """
        return cls(*(getattr(config, SUPPORTED[role].prefix + field) for field in cls._fields))


# The fields of a setting, in INC's order; each INC config field is a role's prefix and one of these.
FIELDS = Setting._fields


def unsupported_setting(field, value, valid, reason, fix=None, error=ValueError):
    """Build the exception for a rejected setting, in the one message format of the PT2E backend.

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


def _granularities(qschemes):
    """Return the granularities that serve at least one of ``qschemes`` (with either sym)."""
    return [item for item in GRANULARITIES if any(QSCHEMES[item, flag] in qschemes for flag in (True, False))]


def _syms(granularity, qschemes):
    """Return the sym values whose qscheme at ``granularity`` is one of ``qschemes``."""
    return [flag for flag in (True, False) if QSCHEMES[granularity, flag] in qschemes]


def _check_types(prefix, setting, algos):
    """Raise a TypeError for the first field of ``setting`` that is not of its type (str, or bool for sym)."""
    valid_values = (DTYPES, (True, False), GRANULARITIES, algos)
    for name, value, valid in zip(FIELDS, setting, valid_values):
        kind = bool if name == "sym" else str
        if not isinstance(value, kind):
            reason = f"expected a {kind.__name__}, got {type(value).__name__}"
            raise unsupported_setting(prefix + name, value, tuple(valid), reason, error=TypeError)


def _check_algo(prefix, setting, algos):
    """Raise a ValueError if no observer of ``setting.algo`` serves the setting's qscheme (static roles)."""
    algo, granularity = setting.algo, setting.granularity
    valid = [item for item in algos if (item, QSCHEMES[granularity, setting.sym]) in OBSERVERS]
    if algo in valid:
        return
    observer = next(cls for (item, _), cls in OBSERVERS.items() if item == algo).__name__
    served = [item for item in GRANULARITIES if _syms(item, [q for a, q in OBSERVERS if a == algo])]
    raise unsupported_setting(
        prefix + "algo",
        algo,
        valid,
        f"its observer, {observer}, serves {prefix}granularity={', '.join(map(repr, served))} only, not "
        f"{granularity!r}",
        f"set {prefix}algo={valid[0]!r}, or {prefix}granularity={served[0]!r} to keep {algo!r}",
    )


def check_setting(setting, support=TABLES, runtime=False):
    """Reject a setting of one tensor role that the tables cannot build or that ``support`` does not take.

    Args:
        setting (Setting): The setting.
        support (RoleSupport): What the role takes: :data:`TABLES` (anything the tables build) or a value of
            :data:`SUPPORTED`. Its prefix goes before every field name in a message.
        runtime (bool): Whether the role is observed at run time (dynamic activations): its algo is then ignored,
            and only the qschemes of dynamic quantization that the running torch converts are taken.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value outside the tables or the role's support.
    """
    prefix, reasons = support.prefix, support.reasons
    algos = STATIC_ALGOS + (DYNAMIC_ALGO,) if runtime else STATIC_ALGOS
    _check_types(prefix, setting, algos)
    if setting.dtype not in support.dtypes:
        reason = reasons.get("dtype", _DEFAULT_REASONS["dtype"]) if setting.dtype in DTYPES else "unknown dtype"
        raise unsupported_setting(prefix + "dtype", setting.dtype, support.dtypes, reason)
    if setting.algo not in algos:
        reason = "it computes no qparams and serves dynamic quantization only"
        raise unsupported_setting(
            prefix + "algo", setting.algo, algos, reason if setting.algo == DYNAMIC_ALGO else "unknown algo"
        )
    qschemes = [item for item in support.qschemes if not runtime or item in _DYNAMIC_QSCHEMES]
    valid = _granularities(qschemes)
    if setting.granularity not in valid:
        reason = reasons.get("granularity", _DEFAULT_REASONS["granularity"])
        reason = reason if setting.granularity in GRANULARITIES else "unknown granularity"
        raise unsupported_setting(prefix + "granularity", setting.granularity, valid, reason)
    valid = _syms(setting.granularity, qschemes)
    if setting.sym not in valid:
        raise unsupported_setting(prefix + "sym", setting.sym, valid, reasons.get("sym", _DEFAULT_REASONS["sym"]))
    if not runtime:
        _check_algo(prefix, setting, algos)


def check_op_config(weight, activation, is_dynamic=False):
    """Reject an op config that the X86 inductor backend does not compute correctly.

    Args:
        weight (Setting): The weight setting.
        activation (Setting): The activation setting.
        is_dynamic (bool): Whether activations are quantized dynamically. Defaults to False.

    Returns:
        bool: Whether the op is quantized; False when both dtypes are float ones (the op stays unquantized, and
        INC's half-precision rewriter may apply fp16/bf16 after convert).

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value that the X86 backend does not compute correctly, or one role has a float
            dtype and the other an integer one.
    """
    settings = {"weight": weight, "activation": activation}
    float_roles = [role for role, setting in settings.items() if setting.dtype in FLOAT_DTYPES]
    if len(float_roles) == len(settings):
        return False
    if float_roles:
        role, other = float_roles[0], next(role for role in settings if role not in float_roles)
        field, other_field = SUPPORTED[role].prefix + "dtype", SUPPORTED[other].prefix + "dtype"
        raise unsupported_setting(
            field,
            settings[role].dtype,
            SUPPORTED[role].dtypes,
            f"{other_field}={settings[other].dtype!r} quantizes the op, and the X86 backend quantizes the weights and "
            "activations of an op together (there is no weight-only or activation-only static int8)",
            f"set {field} to a valid value, or {other_field} to one of {', '.join(FLOAT_DTYPES)} as well to leave "
            "the op unquantized",
        )
    for role, setting in settings.items():
        check_setting(setting, SUPPORTED[role], runtime=is_dynamic and role == "activation")
    return True


__all__ = [
    "DTYPES",
    "DYNAMIC_ALGO",
    "DYNAMIC_SYMMETRIC_SINCE",
    "FIELDS",
    "FLOAT_DTYPES",
    "GRANULARITIES",
    "OBSERVERS",
    "OBSERVER_EPS",
    "QSCHEMES",
    "STATIC_ALGOS",
    "SUPPORTED",
    "SUPPORTS_DYNAMIC_SYMMETRIC",
    "SUPPORTS_LOCAL_CONFIG",
    "TABLES",
    "RoleSupport",
    "Setting",
    "check_op_config",
    "check_setting",
    "unsupported_setting",
]
