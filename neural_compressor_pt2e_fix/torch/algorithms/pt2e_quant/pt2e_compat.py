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
``torchao.quantization.pt2e``. Every import that depends on this choice is made here, once: the rest of the
package imports the PT2E API from this module and never looks for it by torch version.
"""

from importlib import import_module

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

# The predicate factory behind set_module_name_qconfig: module name -> (node -> whether the node comes from that
# module). Public in torchao's quantizer utils; private in torch.ao's, and in its xnnpack quantizer before torch 2.5.
_QUANTIZER_UTILS = _import_part("quantizer_utils")
module_name_filter = next(
    getattr(module, name)
    for module in (_QUANTIZER_UTILS, xpq)
    for name in ("get_module_name_filter", "_get_module_name_filter")
    if hasattr(module, name)
)

__all__ = [
    "PT2E_HOME",
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
    "module_name_filter",
    "move_exported_model_to_eval",
    "prepare_pt2e",
    "xiq",
    "xpq",
]
