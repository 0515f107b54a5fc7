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
"""Latency of what the fix changes in the converted graph, on the demo's models, and where the int8 model's time goes.

For EfficientNet-Lite0 and all-MiniLM-L6-v2 (the demo's models, full-run calibration data and evaluation inputs),
each config is quantized through stock INC and through INC with this package's patch, compiled with inductor
(``freezing=True``, one graph per batch size) and timed interleaved with fp32 at batch 1 and 8, with the demo's rule
for a reliable speed-up (:mod:`neural_compressor_pt2e_fix.demo.latency`). The tables (:data:`STUDIES`):

- int8 activations, ``StaticQuantConfig(act_dtype="int8")``: stock INC hands inductor the int8 form (where it
  compiles), the fix the uint8 form; INC's default config (uint8 activations) for comparison;
- per_tensor weights, ``StaticQuantConfig(w_granularity="per_tensor")``: stock INC hands inductor per_tensor weights,
  the fix the per_channel form with one shared scale; INC's default (per_channel weights) for comparison;
- dynamic activations, ``DynamicQuantConfig()``: stock INC's graph, the fix's (per_tensor weights in per_channel
  form, run-time ranges that include 0) and the fix's without the ranges rewrite (as where the stack's probe finds
  inductor's ``choose_qparams`` right): the cost of the rewrite.

A config that is rejected or fails to compile says so, with the first line of the error. Each int8 model is described
by the dtype of its activation quantize nodes as handed to inductor and by the oneDNN int8 kernels inductor generated.

Then, for INC's default config, the fp32 and int8 models are compiled once more with ``cpp.enable_kernel_profile``
(each inductor C++ kernel records itself) and profiled with ``torch.profiler``: the time of one call split into
conv/linear kernels (oneDNN int8 ``onednn::qconv*``/``qlinear*``, or the fp32 model's oneDNN/MKL ones), attention,
inductor's C++ kernels, and the framework around them (:data:`SHARES`).

The script runs with the glibc malloc settings the demo's workers get (``MALLOC_SETTINGS`` of
:mod:`neural_compressor_pt2e_fix.demo.runner`; it restarts itself with them where the environment lacks them), so its
figures compare with the demo's. Prints Markdown (CPU, AMX, load, malloc settings, commit first) to stdout and progress
to stderr. Usage, from the repository root: ``python scripts/latency_benchmark.py [--runs 30] [--warmup 5]``.
"""

import argparse
import collections
import contextlib
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from unittest import mock

import torch

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor_pt2e_fix.common import first_line, quiet, stack
from neural_compressor_pt2e_fix.demo import latency, lite0_photos, metrics, minilm_sentences, pipeline, quantization
from neural_compressor_pt2e_fix.demo.runner import MALLOC_SETTINGS
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import x86_quantizer

BATCH_SIZES = (1, 8)
# Label -> (config, observer variant of demo.quantization: None is stock INC, FIXED the patched factory, and whether
# the fix's run-time ranges of dynamic activations include 0 where the stack's probe says they must).
CONFIGS = {
    "default": (StaticQuantConfig, quantization.FIXED),
    "act int8, stock": (lambda: StaticQuantConfig(act_dtype="int8"), None),
    "act int8, fixed": (lambda: StaticQuantConfig(act_dtype="int8"), quantization.FIXED),
    "per_tensor w, stock": (lambda: StaticQuantConfig(w_granularity="per_tensor"), None),
    "per_tensor w, fixed": (lambda: StaticQuantConfig(w_granularity="per_tensor"), quantization.FIXED),
    "dynamic, stock": (DynamicQuantConfig, None),
    "dynamic, fixed": (DynamicQuantConfig, quantization.FIXED),
    "dynamic, fixed, 0 left out": (DynamicQuantConfig, quantization.FIXED, False),
}
# Table title -> the configs it shows (beside fp32), and the models it is measured on.
STUDIES = {
    "int8 activations": (("default", "act int8, stock", "act int8, fixed"), (lite0_photos, minilm_sentences)),
    "per_tensor weights": (("default", "per_tensor w, stock", "per_tensor w, fixed"), (lite0_photos,)),
    "dynamic activations": (("dynamic, stock", "dynamic, fixed", "dynamic, fixed, 0 left out"), (minilm_sentences,)),
}
# The parts of a call the profile tells apart (:func:`categorise`): conv and linear kernels (oneDNN int8 in the int8
# model, oneDNN/MKL fp32 in the fp32 one), attention, inductor's generated C++ kernels (quantize/dequantize,
# elementwise, norms, pooling), and the rest: dynamo's guards, the compiled graph's Python wrapper, small ATen ops
# (views, ``item`` of the scales) and the time between events.
SHARES = ("conv/linear kernels", "attention (SDPA)", "inductor C++ kernels", "framework and wrapper")
CONV_LINEAR = ("onednn::qconv", "onednn::qlinear", "mkldnn::_convolution", "mkldnn::_linear", "mkl::_mkl_linear")
QUANTIZE_TARGETS = {"quantize_per_tensor", "quantize_per_tensor.default", "quantize_per_tensor.tensor"}


def log(text):
    """Write a progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def machine():
    """Return the lines that say where the figures come from: CPU, AMX, threads, load, stack, commit."""
    flags = Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0].split()
    model = next(
        line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line
    )
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout.strip()
    versions = stack()
    return [
        f"- CPU: {model} ({platform.machine()}), {latency.usable_cores()} cores, AMX: "
        f"{'yes' if 'amx_int8' in flags else 'no'} (amx_int8 {'in' if 'amx_int8' in flags else 'not in'} the "
        f"CPU flags), avx512_vnni: {'yes' if 'avx512_vnni' in flags else 'no'}",
        f"- torch {versions['torch']}, torchao {versions['torchao']}, INC {versions['INC']}; "
        f"{torch.get_num_threads()} threads",
        f"- load average at the start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}",
        f"- glibc malloc: {', '.join(f'{name}={os.environ[name]}' for name in MALLOC_SETTINGS)} (as the demo's workers)",
        f"- commit {commit.stdout.strip()}{' (with local changes)' if dirty else ''}",
    ]


def activation_dtypes(model):
    """Return the dtypes of the activation quantize nodes of a converted model, e.g. ``"uint8"``."""
    dtypes = {
        str(node.args[-1]).replace("torch.", "")
        for node in model.graph.nodes
        if node.op == "call_function" and getattr(node.target, "__name__", "") in QUANTIZE_TARGETS
    }
    return "/".join(sorted(dtypes)) or "none"


def zero_inclusive(model):
    """Return how many run-time ranges of a converted model were made to include 0, as text ("" for none)."""
    rewritten = sum(node.target == torch.ops.aten.aminmax.default for node in model.graph.nodes)
    return f"{rewritten} run-time ranges made to include 0, " if rewritten else ""


def build(workload, labels):
    """Quantize some configs, then compile them and the fp32 model at each batch size; failures become their message.

    Every config is quantized before the first compile: INC's strict export resets dynamo.

    Args:
        workload (Workload): The model.
        labels (Sequence[str]): Keys of :data:`CONFIGS`.

    Returns:
        tuple[dict, dict]: Label -> compiled model, and label -> description (form and kernels, or the failure).
    """
    models, notes = {"fp32": workload.model}, {"fp32": "compiled"}
    exported = quantization.export_model(workload)
    for label in labels:
        config, variant, *ranges = CONFIGS[label]
        log(f"{workload.title}: quantizing {label}")
        # Without the rewrite, convert is told that inductor includes 0 (the probe's answer on a fixed stack).
        without_rewrite = ranges == [False]
        probe = mock.patch.object(x86_quantizer, "dynamic_affine_compiles_right", return_value=True)
        try:
            with probe if without_rewrite else contextlib.nullcontext():
                models[label] = quantization.quantize(workload, exported, config(), variant)[0]
        except Exception as exc:  # a config the factory refuses: say so
            notes[label] = f"rejected at prepare: {textwrap.shorten(first_line(exc), 300)}"
    compiled = {}
    first, *others = [pipeline.batches(workload.evaluation, size)[0] for size in BATCH_SIZES]
    for label, model in models.items():
        log(f"{workload.title}: compiling {label}")
        form = "" if label == "fp32" else f"{activation_dtypes(model)} activations, {zero_inclusive(model)}"
        try:
            compiled[label], _, code = pipeline.compile_model(model, first, dynamic_batch=False)
            for inputs in others:  # one graph per batch size
                compiled[label](*inputs)
        except Exception as exc:  # e.g. int8 activations into a conv: inductor refuses
            compiled.pop(label, None)
            notes[label] = f"{form}fails to compile: {first_line(exc)}"
            continue
        if label != "fp32":
            kernels = metrics.count_int8_kernels(code)
            lowered = ", ".join(
                f"{count}/{workload.totals[kind]} {kind}s"
                for kind, count in kernels.items()
                if workload.totals.get(kind)
            )
            notes[label] = f"{form}lowered to oneDNN int8 kernels: {lowered}"
    return compiled, notes


def timings(module, runs, warmup):
    """Time fp32 and every config of the studies that measure a model, all interleaved; return Markdown lines."""
    workload = module.workload(module.PLANS["full"])
    studies = {title: labels for title, (labels, modules) in STUDIES.items() if module in modules}
    labels = list(dict.fromkeys(label for labels in studies.values() for label in labels))
    compiled, notes = build(workload, labels)
    rows = {}
    for size in BATCH_SIZES:
        log(f"{workload.title}, batch {size}: timing {', '.join(compiled)}")
        rows[size] = latency.interleaved(compiled, pipeline.batches(workload.evaluation, size)[0], runs, warmup)
    torch._dynamo.reset()
    lines = []
    for title, labels in studies.items():
        shown = [label for label in labels if label in compiled]
        table = latency.table(
            {
                size: ({label: times[label] for label in ["fp32", *shown]}, others)
                for size, (times, others) in rows.items()
            },
            shown,
            latency.usable_cores(),
        )
        lines += [
            f"### {workload.title}: {title}",
            "",
            "```",
            *table,
            "```",
            "",
            *(f"- {label}: {notes[label]}" for label in ["fp32", *labels]),
            "",
        ]
    return workload, lines


def categorise(name):
    """Return the part of a call a profiler event belongs to (:data:`SHARES`)."""
    if name.startswith(CONV_LINEAR):
        return SHARES[0]
    if name.startswith("aten::_scaled_dot_product"):
        return SHARES[1]
    if "cpp_fused" in name:
        return SHARES[2]
    return SHARES[3]


def breakdown(workload, size, runs):
    """Profile the compiled fp32 and default-config int8 models at ``size``; return Markdown table rows."""
    inputs = pipeline.batches(workload.evaluation, size)[0]
    exported = quantization.export_model(workload)
    int8, _ = quantization.quantize(workload, exported, StaticQuantConfig(), quantization.FIXED)
    rows = []
    for label, model in (("fp32", workload.model), ("int8 (default config)", int8)):
        with torch._inductor.config.patch({"cpp.enable_kernel_profile": True}):
            compiled = pipeline.compile_model(model, inputs, False)[0]
        for _ in range(5):
            compiled(*inputs)
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
            start = time.perf_counter()
            for _ in range(runs):
                compiled(*inputs)
            total = 1000 * (time.perf_counter() - start) / runs
        shares = collections.Counter()
        for event in profile.key_averages():
            shares[categorise(event.key)] += event.self_cpu_time_total / 1000 / runs
        shares[SHARES[3]] += max(total - sum(shares.values()), 0.0)
        cells = " | ".join(f"{shares[kind]:.2f} ({100 * shares[kind] / total:.0f} %)" for kind in SHARES)
        rows.append(f"| {workload.title} | {size} | {label} | {total:.2f} | {cells} |")
        torch._dynamo.reset()
    return rows


def main(argv=None):
    """Run the benchmark and print its Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per model and batch size (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    args = parser.parse_args(argv)
    if not set(MALLOC_SETTINGS) <= set(os.environ):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**MALLOC_SETTINGS, **os.environ})
    lines = ["## Latency of the fix's forms", "", *machine(), ""]
    profile = [
        "## Where the time of the compiled int8 model goes (INC's default config)",
        "",
        "ms per call (share of the call), profiled with torch.profiler; the models were compiled with inductor's "
        "cpp.enable_kernel_profile, so each inductor C++ kernel is an event",
        "",
        f"| model | batch | model | ms per call (profiled) | {' | '.join(SHARES)} |",
        "|---|---|---|---|" + "---|" * len(SHARES),
    ]
    with quiet(), torch._inductor.config.patch(freezing=True), torch.no_grad():
        for module in (lite0_photos, minilm_sentences):
            workload, tables = timings(module, args.runs, args.warmup)
            lines += tables
            for size in BATCH_SIZES:
                log(f"{workload.title}, batch {size}: profiling")
                profile += breakdown(workload, size, args.runs)
    lines += [f"- load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}", ""]
    print("\n".join(lines + profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
