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
"""The demo's steps for any model: quantize through INC under the patch, compile, measure, report.

A model enters as a :class:`Workload` (its fp32 module, its calibration and evaluation inputs, the INC configs to
run and how to score an int8 output against the fp32 one); :mod:`.lite0` and :mod:`.minilm` build one each.
"""

import dataclasses
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from torch._inductor.utils import run_and_get_code

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import convert, prepare
from neural_compressor_pt2e_fix.common import quiet, stack
from neural_compressor_pt2e_fix.demo import metrics
from neural_compressor_pt2e_fix.patch import patched
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat, support, utility

# Batch size of calibration, of the fp32 reference outputs and of the eager observer comparison.
EAGER_BATCH = 8
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


class Column(NamedTuple):
    """One figure of the accuracy tables.

    Attributes:
        key (str): The key of the figure in what :attr:`Workload.score` returns.
        header (str): The column header.
        format (str): A format string for the value, e.g. ``"{:.1f} dB"``.
    """

    key: str
    header: str
    format: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much the demo measures on one model.

    Attributes:
        calibration (int): Calibration samples (crops, sentences).
        evaluation (int): Evaluation samples.
        batch_sizes (tuple[int, ...]): The batch sizes timed; the compiled int8 models are evaluated at the last.
        configs (tuple[str, ...]): The configs quantized, compiled and timed (keys of :attr:`Workload.configs`).
        variants (tuple[str, ...]): The observer variants compared (keys of :data:`OBSERVER_VARIANTS`).
        runs (int): Timed runs per latency figure (their median is reported).
        warmup (int): Untimed runs before them.
    """

    calibration: int
    evaluation: int
    batch_sizes: tuple
    configs: tuple
    variants: tuple = tuple(OBSERVER_VARIANTS)
    runs: int = 20
    warmup: int = 3


@dataclasses.dataclass
class Workload:
    """One model of the demo with its data, its INC configs and its figures of merit.

    Attributes:
        title (str): The model's name in the report.
        model (torch.nn.Module): The fp32 model in eval mode.
        calibration (list[tuple]): Calibration batches, each a tuple of input tensors (batch along dimension 0).
        evaluation (tuple): All evaluation inputs, a tuple of tensors.
        configs (dict): Label -> INC quantization config (a fresh object per call of :func:`measure`).
        default (str): The label of INC's default config.
        totals (dict): Kernel kind (``"conv"``, ``"linear"``) -> how many the model has; kinds with 0 are not shown.
        score (Callable): ``(fp32 outputs, int8 outputs) -> dict`` of figures, keyed as :attr:`columns`.
        columns (tuple[Column, ...]): The figures the tables show.
        description (list[str]): Lines that say what the data are.
        eager_only (dict): Label -> why that config is scored in eager mode only, neither compiled nor timed.
    """

    title: str
    model: torch.nn.Module
    calibration: list
    evaluation: tuple
    configs: dict
    default: str
    totals: dict
    score: Callable
    columns: tuple
    description: list
    eager_only: dict = dataclasses.field(default_factory=dict)


class Progress:
    """Progress lines on stderr, each with the time since the demo started."""

    def __init__(self, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()

    def __call__(self, text, end="\n", start=""):
        """Show one progress line."""
        print(f"{start}[{time.perf_counter() - self.start:6.1f} s] {text}", end=end, file=self.stream, flush=True)

    def each(self, items, text):
        """Yield the items, counting them (in place on a terminal, else one line up front)."""
        items = list(items)
        live = self.stream.isatty()
        self(f"{text} 0/{len(items)}" if live else f"{text} ({len(items)})", end="" if live else "\n")
        for index, item in enumerate(items, 1):
            yield item
            if live:
                self(f"{text} {index}/{len(items)}", end="\n" if index == len(items) else "", start="\r")


def batches(inputs, size):
    """Split a tuple of input tensors into batches along dimension 0.

    Args:
        inputs (tuple[torch.Tensor, ...]): The inputs, all with the same first dimension.
        size (int): The batch size; the last batch may be smaller.

    Returns:
        list[tuple]: The batches, each a tuple of tensors.
    """
    return list(zip(*(tensor.split(size) for tensor in inputs)))


def _export(workload):
    """Export the fp32 model with INC's strict export and a dynamic batch dimension on every input."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    example = workload.calibration[0]
    return export(workload.model, example, dynamic_shapes=tuple({0: batch} for _ in example))


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


def _prepare(workload, config, variant):
    """Export and prepare the model under one observer variant (see :data:`OBSERVER_VARIANTS`).

    Returns:
        tuple[torch.fx.GraphModule, Callable]: The prepared model and the function that converts it.
    """
    exported = _export(workload)
    if variant is None:
        return prepare(exported, quant_config=config), convert
    with patched():
        if variant == FIXED:
            return prepare(exported, quant_config=config), convert
        quantizer = utility.create_xiq_quantizer_from_pt2e_config(config)
        quantizer.set_global(_with_observers(quantizer.global_config, *variant))
        return pt2e_compat.prepare_pt2e(exported, quantizer), pt2e_compat.convert_pt2e


def quantize(workload, config, progress, label, variant=FIXED):
    """Quantize the model through INC's public API: export (strict), prepare, calibrate, convert.

    Each quantization gets its own export: a deep copy of INC's exported model loses the attributes INC's ``prepare``
    reads. Each calibration batch is timed against an fp32 forward of the same batch run just before it, so that a
    busy machine slows both alike.

    Args:
        workload (Workload): The model and its calibration batches.
        config: The INC config.
        progress (Progress): Where to show progress.
        label (str): The config's label, for progress.
        variant: A value of :data:`OBSERVER_VARIANTS`; the fixed factory by default.

    Returns:
        tuple[torch.fx.GraphModule, float]: The converted int8 model, and the median over the calibration batches of
        (calibration time / fp32 forward time).
    """
    progress(f"exporting and preparing {label}")
    prepared, converter = _prepare(workload, config, variant)
    ratios = []
    with torch.no_grad():
        for batch in progress.each(workload.calibration, f"calibrating {label}"):
            start = time.perf_counter()
            workload.model(*batch)
            middle = time.perf_counter()
            prepared(*batch)
            ratios.append((time.perf_counter() - middle) / (middle - start))
    return converter(prepared), statistics.median(ratios)


def latency_ms(function, inputs, plan):
    """Return the median time of one call, in milliseconds.

    Args:
        function (callable): What to time, called with ``*inputs``.
        inputs (tuple): The inputs.
        plan (Plan): Gives the number of warm-up and timed runs.

    Returns:
        float: The median over ``plan.runs`` timed runs after ``plan.warmup`` untimed ones.
    """
    for _ in range(plan.warmup):
        function(*inputs)
    times = []
    for _ in range(plan.runs):
        start = time.perf_counter()
        function(*inputs)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _outputs(function, inputs, size, progress=None, text=""):
    """Run ``function`` over the inputs in batches of ``size`` and concatenate the outputs."""
    items = batches(inputs, size)
    return torch.cat([function(*batch) for batch in (progress.each(items, text) if progress else items)])


def _compile_and_score(workload, label, converted, reference, size, progress):
    """Compile an int8 model, count its oneDNN int8 kernels and score its outputs on the evaluation inputs.

    Returns:
        tuple: The compiled model, its figures (:attr:`Workload.score` plus ``"kernels"``) and its outputs.
    """
    compiled = torch.compile(converted, dynamic=False)
    items = batches(workload.evaluation, size)
    progress(f"compiling int8 {label} at batch {size} (inductor, freezing)")
    first, code = run_and_get_code(compiled, *items[0])
    if not code:
        raise RuntimeError(f"inductor generated no code for int8 {label}: cannot count its int8 kernels")
    rest = [compiled(*batch) for batch in progress.each(items[1:], f"int8 {label} outputs")]
    outputs = torch.cat([first, *rest])
    figures = {**workload.score(reference, outputs), "kernels": metrics.count_int8_kernels("\n".join(code))}
    return compiled, figures, outputs


def measure(workload, plan, progress):
    """Run the demo's measurements on one model.

    Args:
        workload (Workload): The model.
        plan (Plan): How much to measure.
        progress (Progress): Where to show progress.

    Returns:
        dict: ``reference`` (fp32 outputs), ``configs`` (label -> figures, with ``outputs`` and
        ``calibration_ratio``), ``latency`` (batch size -> label -> ms), ``variants`` (label -> figures, eager),
        ``stack`` and ``threads``.
    """
    result = {"threads": torch.get_num_threads(), "stack": stack(), "configs": {}, "latency": {}, "variants": {}}
    with torch.no_grad():
        reference = _outputs(workload.model, workload.evaluation, EAGER_BATCH, progress, "fp32 outputs")
    result["reference"] = reference
    with torch.no_grad():
        for label in plan.variants:
            converted, _ = quantize(
                workload, workload.configs[workload.default], progress, label, OBSERVER_VARIANTS[label]
            )
            outputs = _outputs(converted, workload.evaluation, EAGER_BATCH, progress, f"int8 {label} outputs (eager)")
            result["variants"][label] = {**workload.score(reference, outputs), "outputs": outputs}
    size = plan.batch_sizes[-1]
    compiled = {}
    with torch._inductor.config.patch(freezing=True), torch.no_grad():
        for label in plan.configs:
            converted, ratio = quantize(workload, workload.configs[label], progress, label)
            if label in workload.eager_only:
                outputs = _outputs(converted, workload.evaluation, EAGER_BATCH, progress, f"int8 {label} (eager)")
                figures = {**workload.score(reference, outputs), "kernels": None}
            else:
                compiled[label], figures, outputs = _compile_and_score(
                    workload, label, converted, reference, size, progress
                )
            result["configs"][label] = {**figures, "calibration_ratio": ratio, "outputs": outputs}
        compiled = {"fp32": torch.compile(workload.model, dynamic=False), **compiled}
        for batch_size in plan.batch_sizes:
            inputs = batches(workload.evaluation, batch_size)[0]
            result["latency"][batch_size] = {}
            for label, function in compiled.items():
                progress(f"timing {label} at batch {batch_size} (compiled first if needed)")
                result["latency"][batch_size][label] = latency_ms(function, inputs, plan)
    return result


def _cells(workload, figures):
    return "  ".join(
        f"{column.format.format(figures[column.key]):>{len(column.header)}}" for column in workload.columns
    )


def report(workload, plan, result, plan_name):
    """Render one model's measurements as the text the demo prints.

    Args:
        workload (Workload): The model.
        plan (Plan): What was measured.
        result (dict): What :func:`measure` returned.
        plan_name (str): "full" or "quick".

    Returns:
        str: The report.
    """
    versions, kinds = result["stack"], [kind for kind, total in workload.totals.items() if total]
    headers = "  ".join(column.header for column in workload.columns)
    kernel_headers = "  ".join(f"{'oneDNN int8 ' + kind + 's':>19}" for kind in kinds)
    lines = [
        f"{workload.title} through INC's public API with the fixed observer factory: torch {versions['torch']}, "
        f"torchao {versions['torchao']}, INC {versions['INC']}; {result['threads']} threads; {plan_name} run",
        *workload.description,
        "int8: export (strict) -> prepare -> calibrate -> convert -> torch.compile (inductor, freezing), evaluated "
        f"at batch {plan.batch_sizes[-1]} against the fp32 model",
        "",
        f"{'config':<12}  {headers}  {kernel_headers}  calibration per batch",
    ]
    for label, figures in result["configs"].items():
        if figures["kernels"] is None:
            kernels = "  ".join(f"{'eager only':>19}" for _ in kinds)
        else:
            kernels = "  ".join(f"{figures['kernels'][kind]:>13}/{workload.totals[kind]:<5}" for kind in kinds)
        lines.append(
            f"{label:<12}  {_cells(workload, figures)}  {kernels}  {figures['calibration_ratio']:.2f}x an fp32 forward"
        )
    lines += [f"{label}: eager only, not compiled or timed: {why}" for label, why in workload.eager_only.items()]
    timed = [label for label in plan.configs if label not in workload.eager_only]
    lines += [
        "",
        f"latency of the compiled models: median of {plan.runs} runs after {plan.warmup} warm-up runs, "
        f"{result['threads']} threads; speed-up = fp32 / int8",
        f"{'batch':>5}  {'fp32 (ms)':>9}" + "".join(f"  {label + ' (ms)':>16}  speed-up" for label in timed),
    ]
    for size, times in result["latency"].items():
        lines.append(
            f"{size:>5}  {times['fp32']:>9.2f}"
            + "".join(f"  {times[label]:>16.2f}  {times['fp32'] / times[label]:>7.2f}x" for label in timed)
        )
    if not result["variants"]:
        return "\n".join(lines)
    lines += [
        "",
        f"observers on INC's default config, eager int8 (QDQ) vs fp32, same calibration; stock INC {versions['INC']}: "
        "MovingAverageMinMaxObserver (constant 0.01) for activations, torch's eps 1.19e-07; fixed: MinMaxObserver, "
        "eps 2**-12",
        f"{'observers':<26}  {headers}",
    ]
    for label, figures in result["variants"].items():
        lines.append(f"{label:<26}  {_cells(workload, figures)}")
    return "\n".join(lines)


def run(args, models):
    """Run ``inc-pt2e-fix demo`` (see :mod:`neural_compressor_pt2e_fix.demo`) on some models.

    Args:
        args (argparse.Namespace): ``quick`` and ``out`` as parsed by the CLI.
        models (list[module]): For each model, its demo module: ``PLANS`` ("full" and "quick" -> :class:`Plan`),
            ``workload(plan, progress)`` and ``finish(workload, plan, result, out, progress)``.

    Returns:
        int: 0.
    """
    progress = Progress()
    plan_name = "quick" if args.quick else "full"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    for module in models:
        plan = module.PLANS[plan_name]
        with quiet():
            workload = module.workload(plan, progress)
            result = measure(workload, plan, progress)
            tail = module.finish(workload, plan, result, out, progress)
        reports.append("\n".join([report(workload, plan, result, plan_name), *tail]))
    progress(f"done in {time.perf_counter() - progress.start:.0f} s")
    print("\n\n".join(reports))
    return 0
