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
"""Where the PT2E quantization API lives for the running torch.

torch before 2.11 ships PT2E quantization in ``torch.ao.quantization``; from torch 2.11 it lives in
``torchao.quantization.pt2e``. Every import that depends on this choice is made here, once, so the rest of the
package imports names from this module and never checks a torch version.
"""

import functools
import types
from importlib import import_module

import torch
from packaging.version import Version

from neural_compressor_pt2e_fix.torch.utils.environ import TORCH_VERSION_2_11_0, get_torch_version

# For each PT2E home, the module that holds each part of the API (None: the home has no such module).
_HOMES = {
    "torchao.quantization.pt2e": {
        "pt2e": "torchao.quantization.pt2e",
        "x86_inductor_quantizer": "torchao.quantization.pt2e.quantizer.x86_inductor_quantizer",
        "quantizer_helpers": "torchao.quantization.pt2e.quantizer",
        "ao_quantization": None,
        "quantize_pt2e": "torchao.quantization.pt2e.quantize_pt2e",
        "quantizer": "torchao.quantization.pt2e.quantizer",
        "quantizer_utils": "torchao.quantization.pt2e.quantizer.utils",
        "observer": "torchao.quantization.pt2e.observer",
    },
    "torch.ao.quantization": {
        "pt2e": "torch.ao.quantization.quantize_pt2e",
        "x86_inductor_quantizer": "torch.ao.quantization.quantizer.x86_inductor_quantizer",
        "quantizer_helpers": "torch.ao.quantization.quantizer.xnnpack_quantizer",
        "ao_quantization": "torch.ao.quantization",
        "quantize_pt2e": "torch.ao.quantization.quantize_pt2e",
        "quantizer": "torch.ao.quantization.quantizer",
        "quantizer_utils": "torch.ao.quantization.quantizer.utils",
        "observer": "torch.ao.quantization.observer",
    },
}

PT2E_HOME = "torchao.quantization.pt2e" if get_torch_version() >= TORCH_VERSION_2_11_0 else "torch.ao.quantization"


def _import_part(part):
    """Import the module that holds one part of the PT2E API in the running torch's home.

    Args:
        part (str): A key of ``_HOMES[PT2E_HOME]``, e.g. ``"observer"``.

    Returns:
        module or None: The imported module, or None where the home has no module for ``part``.

    Raises:
        ModuleNotFoundError: torch>=2.11 is running and torchao is not installed.
    """
    path = _HOMES[PT2E_HOME][part]
    if path is None:
        return None
    try:
        return import_module(path)
    except ModuleNotFoundError as exc:
        if PT2E_HOME == "torch.ao.quantization":
            raise
        raise ModuleNotFoundError(
            "torch>=2.11 requires `torchao` for PT2E quantization: PT2E moved from torch.ao.quantization to "
            "torchao.quantization.pt2e. Install it with `pip install torchao`."
        ) from exc


def _load_pt2e_modules():
    """Import the PT2E modules that INC uses directly.

    Returns:
        tuple: The PT2E module, the x86 inductor quantizer module, the quantizer-helpers module and the
        ``torch.ao.quantization`` module (None on the torchao home).
    """
    return tuple(
        _import_part(part) for part in ("pt2e", "x86_inductor_quantizer", "quantizer_helpers", "ao_quantization")
    )


_PT2E_MODULE, xiq, xpq, _AO_QUANTIZATION_MODULE = _load_pt2e_modules()
_PT2E_QUANTIZE_MODULE = _import_part("quantize_pt2e")
_OBSERVER_MODULE = _import_part("observer")

prepare_pt2e = _PT2E_QUANTIZE_MODULE.prepare_pt2e
convert_pt2e = _PT2E_QUANTIZE_MODULE.convert_pt2e
move_exported_model_to_eval = (_AO_QUANTIZATION_MODULE or _PT2E_MODULE).move_exported_model_to_eval
X86InductorQuantizer = xiq.X86InductorQuantizer
# The config class the x86 quantizer's set_global/set_*_qconfig expect.
QuantizationConfig = xiq.QuantizationConfig
_QUANTIZER_MODULE = _import_part("quantizer")
QuantizationSpec = _QUANTIZER_MODULE.QuantizationSpec
QuantizationAnnotation = _QUANTIZER_MODULE.QuantizationAnnotation
HistogramObserver = _OBSERVER_MODULE.HistogramObserver
MinMaxObserver = _OBSERVER_MODULE.MinMaxObserver
ObserverBase = _OBSERVER_MODULE.ObserverBase
PerChannelMinMaxObserver = _OBSERVER_MODULE.PerChannelMinMaxObserver
PlaceholderObserver = _OBSERVER_MODULE.PlaceholderObserver

# torch<2.5's X86InductorQuantizer takes no config per module name, so INC's set_local needs torch>=2.5.
SUPPORTS_LOCAL_CONFIG = hasattr(X86InductorQuantizer, "set_module_name_qconfig")
# The predicate factory behind set_module_name_qconfig: module name -> (node -> whether the node comes from that
# module). Public in torchao, private in torch.ao from torch 2.5; None where set_local is not supported.
_QUANTIZER_UTILS = _import_part("quantizer_utils")
module_name_filter = getattr(_QUANTIZER_UTILS, "get_module_name_filter", None) or getattr(
    _QUANTIZER_UTILS, "_get_module_name_filter", None
)

# The first torch whose convert_pt2e handles symmetric dynamic activations (choose_qparams_symmetric): torch 2.4's
# metadata pass looks for choose_qparams.tensor only and fails ("No chose qparams node found"); 2.5.1 knows both.
DYNAMIC_SYMMETRIC_SINCE = Version("2.5.0")
SUPPORTS_DYNAMIC_SYMMETRIC = get_torch_version() >= DYNAMIC_SYMMETRIC_SINCE


@functools.cache
def dynamic_affine_compiles_right():
    """Tell whether the running inductor computes affine dynamic qparams as eager mode does.

    Probes inductor's decomposition of ``quantized_decomposed.choose_qparams.tensor`` on an all-positive tensor,
    against the op itself: eager mode widens the range to include 0, and torch 2.4.1 to 2.14.1 (at least) decompose
    it from the raw min and max instead, halving the scale of ``[1, 2]``. Imported on first call: it loads inductor.

    Returns:
        bool: True if the decomposition gives the op's scale and zero point (or there is no decomposition).
    """
    from torch._inductor.decomposition import decompositions

    choose_qparams = torch.ops.quantized_decomposed.choose_qparams.tensor
    decomposition = decompositions.get(choose_qparams)
    if decomposition is None:
        return True
    args = (torch.tensor([1.0, 2.0]), 0, 255, 2**-12, torch.uint8)
    return all(torch.equal(ours, theirs) for ours, theirs in zip(choose_qparams(*args), decomposition(*args)))


# The first torch whose X86 inductor qlinear computes int8 (signed) activations correctly. Measured 2026-11-28 with
# scripts/int8_activations_probe.py (torch's own prepare_pt2e/convert_pt2e, no INC: two-Linear model, int8
# activations, int8 per_channel weights; max |compiled - eager| with affine / symmetric activations, against 2e-3):
# torch 2.7.1 and 2.8.0: 0.874 / 0.00233 (wrong); 2.9.0, 2.9.1 and 2.14.1: 6e-8 / 6e-8. PyPI has no torch 2.8.x
# point release. torch 2.5.1 fails to compile them (BackendCompilerFailed).
INT8_ACTIVATIONS_SINCE = Version("2.9.0")
SUPPORTS_INT8_ACTIVATIONS = get_torch_version() >= INT8_ACTIVATIONS_SINCE


def int8_inputs_have_fast_kernels():
    """Tell whether oneDNN has fast int8 kernels for a Linear whose input is int8 (signed) on this CPU.

    The X86 backend's int8-input Linear is built for AMX: on a 2-core AMD EPYC with AVX512-VNNI and no AMX (torch
    2.14.1), ONEDNN_VERBOSE shows oneDNN running it with its reference kernel (``matmul,ref_int8:any``), about a
    thousand times slower than with a uint8 input. So: True on CPUs with AMX tiles.

    Returns:
        bool: Whether the CPU has AMX tiles (False where torch cannot tell).
    """
    is_amx_tile_supported = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(is_amx_tile_supported and is_amx_tile_supported())


def half_precision_dtypes():
    """Return the half-precision dtypes that the installed INC's rewriter applies to unquantized ops after convert.

    Read from INC's pattern registry: a dtype with no registered pattern is never applied (INC 3.0.2 and 3.1.1
    register fp16 only, so a bf16 op config would silently run in fp32). Imported on call: upstream, INC's
    rewriter imports this module.

    Returns:
        tuple[str, ...]: INC dtype names, a subset of ``("fp16", "bf16")``.
    """
    from neural_compressor.torch.algorithms.pt2e_quant.half_precision_rewriter import HALF_PRECISION_PATTERN_REGISTRY

    dtypes = {"fp16": torch.float16, "bf16": torch.bfloat16}
    return tuple(name for name, dtype in dtypes.items() if HALF_PRECISION_PATTERN_REGISTRY.get(dtype))


@functools.cache
def half_precision_by_op_name_error():
    """Return why the installed INC's half-precision rewriter cannot select the ops of a set_local entry by op name.

    INC 3.9 and later build that selection with ``xpq.get_module_name_filter``, which torchao's xnnpack quantizer
    has and torch.ao's (the PT2E home before torch 2.11) does not; INC 3.0.2 to 3.8 call ``_get_module_name_filter``,
    which torch.ao's has. So the rewriter's reader is run once on such an entry and an empty graph, whatever the
    release. Imported on call, as in :func:`half_precision_dtypes`.

    Returns:
        str or None: The first line of the error the rewriter raises, or None where it works.
    """
    from neural_compressor.torch.algorithms.pt2e_quant import half_precision_rewriter

    # A config as the rewriter reads it: no entry by op type, one fp16 entry by op name.
    entries = ({}, {"probe": types.SimpleNamespace(act_dtype="fp16")})
    config = types.SimpleNamespace(_get_op_name_op_type_config=lambda: entries)
    graph_module = torch.fx.GraphModule(torch.nn.Module(), torch.fx.Graph())
    try:
        half_precision_rewriter._parse_node_candidate_set_from_user_config(config, graph_module)
    except AttributeError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


__all__ = [
    "DYNAMIC_SYMMETRIC_SINCE",
    "INT8_ACTIVATIONS_SINCE",
    "PT2E_HOME",
    "SUPPORTS_DYNAMIC_SYMMETRIC",
    "SUPPORTS_INT8_ACTIVATIONS",
    "SUPPORTS_LOCAL_CONFIG",
    "HistogramObserver",
    "MinMaxObserver",
    "ObserverBase",
    "PerChannelMinMaxObserver",
    "PlaceholderObserver",
    "QuantizationAnnotation",
    "QuantizationConfig",
    "QuantizationSpec",
    "X86InductorQuantizer",
    "convert_pt2e",
    "half_precision_by_op_name_error",
    "half_precision_dtypes",
    "int8_inputs_have_fast_kernels",
    "dynamic_affine_compiles_right",
    "module_name_filter",
    "move_exported_model_to_eval",
    "prepare_pt2e",
    "xiq",
    "xpq",
]
