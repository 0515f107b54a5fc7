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
"""Quantization through INC's public API under the patch, and the observer variants the demo compares.

The fp32 model is exported once (INC's strict export, dynamic batch dimension); every quantization prepares a copy
with INC's factory (stock or fixed) or with the fixed factory's quantizer under other observers, calibrates and
converts it.
"""

import contextlib
import copy
import dataclasses
import statistics
import time

import torch

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import convert, prepare
from neural_compressor_pt2e_fix.patch import patched
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat, support, utility

# torch's default observer eps (the smallest positive float32 step above 1), which stock INC's observers keep.
TORCH_EPS = torch.finfo(torch.float32).eps
# The observer comparison on INC's default config: label -> (activation observer moving average?, eps), or None for
# INC's own factory (unpatched) and "fixed" for the patched one. Stock INC 3.10: MovingAverageMinMaxObserver
# (averaging constant 0.01) for activations, torch's eps; the fix: MinMaxObserver, eps 2**-12 (torchao's X86 value).
STOCK, FIXED = "stock INC", "fixed"
OBSERVER_VARIANTS = {
    STOCK: None,
    "MovingAverage, eps 2**-12": (True, support.OBSERVER_EPS),
    "MinMax, torch eps": (False, TORCH_EPS),
    FIXED: FIXED,
}


def export_model(workload):
    """Export the fp32 model with INC's strict export and a dynamic batch dimension on every input.

    Args:
        workload (Workload): The model and its calibration batches (the first is the example input).

    Returns:
        torch.fx.GraphModule: What :func:`quantize` quantizes copies of.
    """
    batch = torch.export.Dim("batch", min=1, max=1024)
    example = workload.calibration[0]
    return export(workload.model, example, dynamic_shapes=tuple({0: batch} for _ in example))


def _copy(exported):
    """Return a copy of INC's exported model for one quantization (``prepare`` changes the model it is given).

    ``copy.deepcopy`` keeps a GraphModule's graph, parameters and ``meta`` but not the attributes INC's export adds:
    ``_exported`` (which INC's ``prepare`` asserts) and ``dynamic_shapes`` are put back. A copy quantizes to the same
    model as a new export (``torch.equal`` outputs on both demo models); an export costs seconds, a copy a fraction.
    """
    copied = copy.deepcopy(exported)
    copied._exported, copied.dynamic_shapes = exported._exported, exported.dynamic_shapes
    return copied


def _with_observers(config, moving_average, eps):
    """Return the X86 quantizer config with other observers: the demo's comparison of observer choices.

    Args:
        config (QuantizationConfig): A config of the fixed factory.
        moving_average (bool): Put MovingAverageMinMaxObserver (stock INC's "minmax") where MinMaxObserver is.
        eps (float): The eps of every observer.

    Returns:
        QuantizationConfig: The config with the observers replaced.
    """

    def respec(spec):
        function, keywords = spec.observer_or_fake_quant_ctr.p.func, spec.observer_or_fake_quant_ctr.p.keywords
        if moving_average and function is pt2e_compat.MinMaxObserver:
            function = pt2e_compat.xiq.MovingAverageMinMaxObserver
        return dataclasses.replace(spec, observer_or_fake_quant_ctr=function.with_args(**{**keywords, "eps": eps}))

    return type(config)(
        input_activation=respec(config.input_activation),
        output_activation=respec(config.output_activation),
        weight=respec(config.weight),
        bias=config.bias,
        is_qat=config.is_qat,
    )


def _prepare(exported, config, variant):
    """Prepare a copy of the exported model under one observer variant (see :data:`OBSERVER_VARIANTS`).

    Runs under the patch for every variant but stock INC's (None), as :func:`quantize` calls it.

    Returns:
        tuple[torch.fx.GraphModule, Callable]: The prepared model and the function that converts it.
    """
    exported = _copy(exported)
    if variant in (None, FIXED):
        return prepare(exported, quant_config=config), convert
    quantizer = utility.create_xiq_quantizer_from_pt2e_config(config)
    quantizer.set_global(_with_observers(quantizer.global_config, *variant))
    return pt2e_compat.prepare_pt2e(exported, quantizer), pt2e_compat.convert_pt2e


def quantize(workload, exported, config, variant=FIXED):
    """Quantize the model through INC's public API: prepare (a copy of the strict export), calibrate, convert.

    Each calibration batch is timed against an fp32 forward of the same batch run just before it, so that a busy
    machine slows both alike.

    Args:
        workload (Workload): The model and its calibration batches.
        exported (torch.fx.GraphModule): From :func:`export_model`; left as it is.
        config: The INC config.
        variant: A value of :data:`OBSERVER_VARIANTS`; the fixed factory by default.

    Returns:
        tuple[torch.fx.GraphModule, float]: The converted int8 model, and the median over the calibration batches of
        (calibration time / fp32 forward time).
    """
    # Stock INC as installed, or INC under the patch from prepare to the end of convert (the patched convert makes
    # dynamic ranges include 0 where inductor would leave it out).
    with contextlib.nullcontext() if variant is None else patched():
        prepared, converter = _prepare(exported, config, variant)
        ratios = []
        with torch.no_grad():
            for batch in workload.calibration:
                start = time.perf_counter()
                workload.model(*batch)
                middle = time.perf_counter()
                prepared(*batch)
                ratios.append((time.perf_counter() - middle) / (middle - start))
        return converter(prepared), statistics.median(ratios)
