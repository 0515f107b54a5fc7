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
"""The demo's PNGs, drawn with matplotlib's Agg canvas (no display, no pyplot state)."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neural_compressor_pt2e_fix.demo.metrics import symmetric_int8_scale


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def weight_ranges(path, name, weight, per_tensor_db, per_channel_db):
    """Plot each output channel's weight range against the single per-tensor range of a conv.

    Args:
        path (str or pathlib.Path): The PNG to write.
        name (str): The conv's name, for the title.
        weight (torch.Tensor): Its (BN-folded) float weight, output channels along dimension 0.
        per_tensor_db (float): Logits SQNR with this weight alone quantized per tensor.
        per_channel_db (float): Logits SQNR with this weight alone quantized per channel.
    """
    flat = weight.detach().flatten(1)
    amax = flat.abs().amax(dim=1)
    order = amax.argsort(descending=True).tolist()
    tensor_amax = amax.max().item()
    step = symmetric_int8_scale(amax.max()).item()
    levels = [2 * amax[channel].item() / step for channel in order]
    figure = Figure(figsize=(9, 4.8))
    axes = figure.add_subplot()
    positions = range(len(order))
    axes.vlines(positions, flat.amin(dim=1)[order], flat.amax(dim=1)[order], linewidth=4, color="tab:blue")
    axes.vlines([], 0, 0, linewidth=4, color="tab:blue", label="range of each output channel (its per_channel range)")
    for sign in (1, -1):
        axes.axhline(
            sign * tensor_amax, color="tab:red", linestyle="--", label=None if sign < 0 else "per_tensor range"
        )
    axes.axhspan(-step / 2, step / 2, color="tab:orange", alpha=0.3, label="rounds to 0 with the per_tensor scale")
    median_levels = sorted(levels)[len(levels) // 2]
    axes.set_title(
        f"{name}: {len(order)} channels, BN folded\nlogits SQNR with only this weight int8: per_tensor "
        f"{per_tensor_db:.1f} dB, per_channel {per_channel_db:.1f} dB",
        fontsize=10,
    )
    zeroed = sum(value < step / 2 for value in amax.tolist())
    axes.set_xlabel(
        f"output channel, by range (per_tensor: the median channel spans {median_levels:.0f} of 255 int8 levels, "
        f"{zeroed} round to all 0)"
    )
    axes.set_ylabel("weight value")
    axes.set_xlim(-1, len(order))
    axes.legend(loc="upper right", fontsize=8)
    _save(figure, path)


def sqnr_bars(path, results, totals, default):
    """Plot the logits SQNR of each quantization config as bars, labelled with agreement and lowered kernels.

    Args:
        path (str or pathlib.Path): The PNG to write.
        results (dict): Config label -> dict with ``"sqnr_db"``, ``"agreement"`` (percent) and ``"kernels"``
            (``"conv"`` and ``"linear"`` -> number lowered to oneDNN int8 kernels).
        totals (dict): ``"conv"`` and ``"linear"`` -> number in the model.
        default (str): The label of INC's default config.
    """
    labels = list(results)
    values = [results[label]["sqnr_db"] for label in labels]
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    names = [f"{label} (INC default)" if label == default else label for label in labels]
    bars = axes.bar(names, values, color=["tab:red", "tab:green", "tab:blue", "tab:gray"][: len(labels)])
    for bar, label in zip(bars, labels):
        figures, kernels = results[label], results[label]["kernels"]
        axes.annotate(
            f"{figures['sqnr_db']:.1f} dB, {figures['agreement']:.1f} % top-1 agreement\n"
            f"int8 kernels: {kernels['conv']}/{totals['conv']} convs, {kernels['linear']}/{totals['linear']} linear",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    axes.set_ylabel("SQNR of int8 logits vs fp32 (dB)")
    axes.set_ylim(0, max(values) * 1.3)
    axes.set_title("EfficientNet-Lite0 through INC: int8 weights, uint8 activations", fontsize=10)
    _save(figure, path)


def cosine_curves(path, cosines, title):
    """Plot, for each int8 model, how far each sentence's embedding is from fp32's: 1 - cosine, sorted.

    Args:
        path (str or pathlib.Path): The PNG to write.
        cosines (dict): Label -> cosine of each sentence's int8 and fp32 embedding (a 1-D tensor).
        title (str): The plot's title.
    """
    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    for label, values in cosines.items():
        distance = (1 - values).clamp_min(1e-9).sort(descending=True).values
        axes.plot(range(1, len(distance) + 1), distance.tolist(), label=f"{label}: mean {values.mean():.5f}")
    axes.set_yscale("log")
    axes.set_xlabel("sentence, from the farthest to the closest")
    axes.set_ylabel("1 - cosine(int8, fp32)")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8)
    _save(figure, path)
