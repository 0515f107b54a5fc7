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

INC's entry points: :func:`create_quant_spec_from_config`, :func:`_map_inc_config_to_torch_quant_config`,
:func:`create_default_xiq_quantizer_config` and :func:`create_xiq_quantizer_from_pt2e_config` (``core.py`` imports
the last two), and :func:`split_local_configs`, through which INC's half-precision rewriter reads ``set_local``
entries too. Every setting is checked by :mod:`.support` before a spec is built from its tables; the specs give the
X86 backend two settings in the form it lowers, with identical dequantized values (:data:`WEIGHT_FORMS`,
:data:`ACTIVATION_FORMS`): so the converted graph of an int8 activation setting shows uint8 quantize nodes.
"""

import dataclasses
from types import MappingProxyType

import torch

from neural_compressor.common.utils import logger
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.observers import (
    PerChannelSharedScaleObserver,
    Uint8FormObserver,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    QuantizationConfig,
    QuantizationSpec,
    X86InductorQuantizer,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import (
    DTYPES,
    DYNAMIC_ALGO,
    OBSERVER_EPS,
    OBSERVERS,
    QSCHEMES,
    SUPPORTS_LOCAL_CONFIG,
    TABLES,
    Setting,
    check_op_config,
    check_setting,
    unsupported_setting,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.x86_quantizer import X86InductorQuantizerChecked

# INC's default settings: those of StaticQuantConfig() and DynamicQuantConfig(), and of a quantizer with no config.
DEFAULT_ACTIVATION = Setting("uint8", False, "per_tensor", "minmax")
DEFAULT_WEIGHT = Setting("int8", True, "per_channel", "minmax")

# Weight qscheme -> the form the X86 backend gets it in. Inductor lowers int8 weights to oneDNN kernels only when they
# are dequantized per channel: a per_tensor weight goes in per_channel form, with its one scale for every channel.
WEIGHT_FORMS = MappingProxyType({torch.per_tensor_symmetric: torch.per_channel_symmetric})
# Activation dtype -> the dtype the X86 backend gets it in. oneDNN's quantized conv and max_pool2d read uint8 input
# only, and on CPUs without AMX its int8-input Linear runs a reference kernel: an int8 activation goes as uint8 with
# the zero point shifted by 128, the same values (the run-time choose_qparams of dynamic quantization gives uint8 the
# int8 scale and the int8 zero point plus 128 by itself).
ACTIVATION_FORMS = MappingProxyType({"int8": "uint8"})


def _build_spec(setting, is_dynamic=False) -> QuantizationSpec:
    """Build the spec of a checked setting from the tables (see :func:`create_quant_spec_from_config`)."""
    torch_dtype, quant_min, quant_max = DTYPES[setting.dtype]
    qscheme = QSCHEMES[setting.granularity, setting.sym]
    observer = OBSERVERS[DYNAMIC_ALGO if is_dynamic else setting.algo, qscheme]
    return QuantizationSpec(
        dtype=torch_dtype,
        quant_min=quant_min,
        quant_max=quant_max,
        qscheme=qscheme,
        ch_axis=0 if setting.granularity == "per_channel" else None,
        is_dynamic=is_dynamic,
        observer_or_fake_quant_ctr=observer.with_args(eps=OBSERVER_EPS),
    )


def _weight_spec(setting) -> QuantizationSpec:
    """Build the spec of a checked weight setting, in the form of :data:`WEIGHT_FORMS` that inductor lowers."""
    spec = _build_spec(setting)
    if spec.qscheme not in WEIGHT_FORMS:
        return spec
    return dataclasses.replace(
        spec,
        qscheme=WEIGHT_FORMS[spec.qscheme],
        ch_axis=0,
        observer_or_fake_quant_ctr=PerChannelSharedScaleObserver.with_args(
            observer=OBSERVERS[setting.algo, spec.qscheme], eps=OBSERVER_EPS
        ),
    )


def _activation_spec(setting, is_dynamic) -> QuantizationSpec:
    """Build the spec of a checked activation setting, in the dtype of :data:`ACTIVATION_FORMS` that oneDNN reads."""
    if setting.dtype not in ACTIVATION_FORMS:
        return _build_spec(setting, is_dynamic)
    spec = _build_spec(setting._replace(dtype=ACTIVATION_FORMS[setting.dtype]), is_dynamic)
    if is_dynamic:
        return spec
    return dataclasses.replace(
        spec,
        observer_or_fake_quant_ctr=Uint8FormObserver.with_args(
            observer=OBSERVERS[setting.algo, spec.qscheme], eps=OBSERVER_EPS
        ),
    )


def _quantization_config(activation, weight, is_dynamic) -> QuantizationConfig:
    """Assemble the X86 quantizer config of checked settings: one spec for input and output activations, no bias.

    Args:
        activation (Setting): The activation setting.
        weight (Setting): The weight setting.
        is_dynamic (bool): Whether activations are quantized dynamically.

    Returns:
        QuantizationConfig: The config for ``X86InductorQuantizer.set_global`` and the ``set_*_qconfig`` methods.
    """
    spec = _activation_spec(activation, is_dynamic)
    return QuantizationConfig(
        input_activation=spec, output_activation=spec, weight=_weight_spec(weight), bias=None, is_qat=False
    )


def create_quant_spec_from_config(dtype, sym, granularity, algo, is_dynamic=False) -> QuantizationSpec:
    """Create a quantization specification based on the given configuration.

    The observer comes from :data:`.support.OBSERVERS` and gets ``eps=OBSERVER_EPS``; per_channel specs carry
    ``ch_axis=0``, the output channel of conv and linear weights.

    Args:
        dtype (str): The desired data type for quantization, a key of :data:`.support.DTYPES`.
        sym (bool): Whether to use symmetric quantization or not.
        granularity (str): The granularity of quantization, one of :data:`.support.GRANULARITIES`.
        algo (str): The algorithm to use for quantization; with ``granularity`` it must have an entry in
            :data:`.support.OBSERVERS`.
        is_dynamic (bool, optional): Whether to use dynamic quantization or not; if so, the observer is the
            placeholder whatever ``algo`` says. Defaults to False.

    Returns:
        QuantizationSpec: The created quantization specification.

    Raises:
        TypeError: A field has the wrong type.
        ValueError: A field has a value outside the tables.
    """
    setting = Setting(dtype, sym, granularity, algo)
    check_setting(setting, TABLES, runtime=is_dynamic)
    return _build_spec(setting, is_dynamic)


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
    weight, activation = Setting.of(inc_config, "weight"), Setting.of(inc_config, "activation")
    if not check_op_config(weight, activation, is_dynamic):
        logger.debug("Got non-quantizable data types, skipping quantization.")
        return None
    return _quantization_config(activation, weight, is_dynamic)


def create_default_xiq_quantizer_config(is_dynamic=False) -> QuantizationConfig:
    """Create the X86 quantizer config of INC's defaults.

    Activations: uint8, affine, per_tensor, minmax. Weights: int8, symmetric, per_channel, minmax.

    Args:
        is_dynamic (bool, optional): Whether activations are quantized dynamically. Defaults to False.

    Returns:
        QuantizationConfig: The default config.
    """
    return _quantization_config(DEFAULT_ACTIVATION, DEFAULT_WEIGHT, is_dynamic)


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
        raise unsupported_setting(
            "set_local op type",
            op_type,
            valid,
            "the X86 quantizer takes configs by type for these torch.nn modules and functionals only",
            "set_local by op name instead",
        )
    return targets


def _local_quant_config(kind, key, local_config, is_dynamic):
    """Map the config of one ``set_local`` entry; an error says which entry it came from.

    Args:
        kind (str): ``"op type"`` or ``"op name"``.
        key (str): The op type or op name of the entry.
        local_config: Its INC config.
        is_dynamic (bool): Whether activations are quantized dynamically.

    Returns:
        QuantizationConfig or None: As :func:`_map_inc_config_to_torch_quant_config`.

    Raises:
        TypeError: A field of the entry's config has the wrong type.
        ValueError: A field of the entry's config has a value that the X86 backend does not compute correctly.
    """
    try:
        return _map_inc_config_to_torch_quant_config(local_config, is_dynamic)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"set_local {kind} {key!r}: {exc}") from None


def create_xiq_quantizer_from_pt2e_config(config, is_dynamic=False) -> X86InductorQuantizer:
    """Creates an instance of X86InductorQuantizer based on the given configuration.

    Args:
        config: The configuration object containing the quantization settings, with its ``set_local`` settings.
        is_dynamic: A boolean indicating whether dynamic quantization is enabled.

    Returns:
        An instance of X86InductorQuantizer initialized with the provided configuration: an
        :class:`.x86_quantizer.X86InductorQuantizerChecked`, which checks the annotated graph.

    Raises:
        TypeError: A field of the global or a local config has the wrong type.
        ValueError: A setting is not computed correctly by the X86 backend, or a ``set_local`` entry cannot be
            applied.
    """
    quantizer = X86InductorQuantizerChecked()
    quantizer.set_global(_map_inc_config_to_torch_quant_config(config, is_dynamic))
    op_type_configs, op_name_configs = split_local_configs(config)
    if (op_type_configs or op_name_configs) and not SUPPORTS_LOCAL_CONFIG:
        raise unsupported_setting(
            "set_local",
            sorted({*op_type_configs, *op_name_configs}),
            None,
            f"the X86InductorQuantizer of torch {torch.__version__} takes no config per op name",
            "upgrade to torch>=2.5, or remove the set_local calls",
        )
    for op_type, local_config in op_type_configs.items():
        quant_config = _local_quant_config("op type", op_type, local_config, is_dynamic)
        for target in _op_type_targets(op_type):
            if isinstance(target, type):
                quantizer.set_module_type_qconfig(target, quant_config)
            else:
                quantizer.set_function_type_qconfig(target, quant_config)
    for op_name, local_config in op_name_configs.items():
        quantizer.set_module_name_qconfig(op_name, _local_quant_config("op name", op_name, local_config, is_dynamic))
    return quantizer


__all__ = [
    "ACTIVATION_FORMS",
    "DEFAULT_ACTIVATION",
    "DEFAULT_WEIGHT",
    "WEIGHT_FORMS",
    "create_default_xiq_quantizer_config",
    "create_quant_spec_from_config",
    "create_xiq_quantizer_from_pt2e_config",
    "split_local_configs",
]
