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
run and how to score an int8 output against the fp32 one); :mod:`.lite0_photos` and :mod:`.minilm_sentences` build
one each. :class:`Measurement` turns a workload and a :class:`Plan` into a list of :class:`Step` s, which
:mod:`.runner` runs and reports.
"""

import contextlib
import dataclasses
import importlib
import os
from functools import partial
from typing import Callable, NamedTuple
from unittest import mock

import torch
from torch._inductor.graph import GraphLowering

from neural_compressor_pt2e_fix.common import quiet, stack
from neural_compressor_pt2e_fix.demo import MODELS, latency, metrics
from neural_compressor_pt2e_fix.demo.quantization import FIXED, OBSERVER_VARIANTS, export_model, quantize
from neural_compressor_pt2e_fix.demo.report import report
from neural_compressor_pt2e_fix.demo.runner import MALLOC_SETTINGS

# Batch size of calibration, of the fp32 reference outputs and of the eager observer comparison.
EAGER_BATCH = 8


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
        runs (int): Timed runs of each model per batch size (their median and quartiles are reported).
        warmup (int): Untimed runs of each model before them.
    """

    calibration: int
    evaluation: int
    batch_sizes: tuple
    configs: tuple
    variants: tuple = tuple(OBSERVER_VARIANTS)
    runs: int = 20
    warmup: int = 3


class Seconds(NamedTuple):
    """What the steps of a model take on the machine of docs/benchmarks.md, for the demo's estimate of the time left.

    Attributes:
        export (float): INC's strict export of the fp32 model.
        forward (float): An fp32 eager forward, per sample.
        compile (float): Compiling an int8 model (inductor, freezing) at one batch size.
        compile_fp32 (float): Compiling the fp32 model at one batch size.
    """

    export: float
    forward: float
    compile: float
    compile_fp32: float


@dataclasses.dataclass
class Workload:
    """One model of the demo with its data, its INC configs and its figures of merit.

    Attributes:
        title (str): The model's name in the report.
        model (torch.nn.Module): The fp32 model in eval mode.
        calibration (list[tuple]): Calibration batches, each a tuple of input tensors (batch along dimension 0).
        evaluation (tuple): All evaluation inputs, a tuple of tensors.
        configs (dict): Label -> INC quantization config (a fresh object per call of :func:`quantize`).
        default (str): The label of INC's default config.
        totals (dict): Kernel kind (``"conv"``, ``"linear"``) -> how many the model has; kinds with 0 are not shown.
        score (Callable): ``(fp32 outputs, int8 outputs) -> dict`` of figures, keyed as :attr:`columns`.
        columns (tuple[Column, ...]): The figures the tables show.
        description (list[str]): Lines that say what the data are.
        seconds (Seconds): What its steps take, for the estimate of the time left.
        dynamic_batch (bool): Compile each model once with a dynamic batch dimension, for every batch size (else
            once per batch size, with static shapes).
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
    seconds: Seconds
    dynamic_batch: bool = False


class Step(NamedTuple):
    """One step of the demo.

    Attributes:
        text (str): What it does, for the progress lines.
        seconds (float): What it takes on the machine of docs/benchmarks.md.
        run (Callable): Does it.
        shared (bool): It compiles, and may run beside other models' compile steps (see :mod:`.runner`); other
            steps run alone.
    """

    text: str
    seconds: float
    run: Callable
    shared: bool = False


def batches(inputs, size):
    """Split a tuple of input tensors into batches along dimension 0.

    Args:
        inputs (tuple[torch.Tensor, ...]): The inputs, all with the same first dimension.
        size (int): The batch size; the last batch may be smaller.

    Returns:
        list[tuple]: The batches, each a tuple of tensors.
    """
    return list(zip(*(tensor.split(size) for tensor in inputs)))


@contextlib.contextmanager
def generated_code():
    """Collect the wrapper code inductor generates within the block, one string per compiled graph.

    Unlike ``torch._inductor.utils.run_and_get_code``, this does not reset dynamo, which would throw away every
    model compiled before.

    Yields:
        list[str]: Filled as inductor compiles.
    """
    code = []
    with mock.patch.object(GraphLowering, "save_output_code", code.append):
        yield code


def compile_model(model, inputs, dynamic_batch):
    """Compile a model with inductor (freezing) by calling it once.

    Args:
        model (Callable): The model.
        inputs (tuple): The first inputs.
        dynamic_batch (bool): Make dimension 0 of the inputs dynamic, so that one graph serves every batch size.

    Returns:
        tuple: The compiled model, its outputs for ``inputs`` and the wrapper code inductor generated.

    Raises:
        RuntimeError: Inductor generated no code (nothing to count the int8 kernels in).
    """
    compiled = torch.compile(model, dynamic=None if dynamic_batch else False)
    if dynamic_batch:
        for tensor in inputs:
            torch._dynamo.mark_dynamic(tensor, 0)
    # Size-oblivious symbols: a graph traced at batch 8 also serves batch 1 (else dynamo specialises sizes 0 and 1).
    with torch.fx.experimental._config.patch(backed_size_oblivious=dynamic_batch), generated_code() as code:
        outputs = compiled(*inputs)
    if not code:
        raise RuntimeError("inductor generated no code: cannot count the int8 kernels")
    return compiled, outputs, "\n".join(code)


class Measurement:
    """The demo's measurements on one model, as steps (:meth:`steps`) that fill :attr:`result`.

    ``result`` holds ``reference`` (fp32 outputs), ``configs`` (label -> figures of the compiled int8 model, with
    ``outputs``, ``kernels`` and ``calibration_ratio``), ``variants`` (label -> figures of the eager observer
    comparison, with ``outputs``), ``latency`` (batch size -> (label -> :class:`~.latency.Latency`, cores other
    processes kept busy)), ``stack``, ``threads``, ``malloc`` (name -> value in this process's environment, None if
    unset, of the glibc malloc variables in :data:`.runner.MALLOC_SETTINGS`) and ``cores``.

    Args:
        workload (Workload): The model.
        plan (Plan): How much to measure.
    """

    def __init__(self, workload, plan):
        self.workload, self.plan = workload, plan
        self.result = {
            "threads": torch.get_num_threads(),
            "malloc": {name: os.environ.get(name) for name in MALLOC_SETTINGS},
            "cores": latency.usable_cores(),
            "stack": stack(),
            "configs": {},
            "variants": {},
            "latency": {},
        }
        self._exported = None  # INC's export of the fp32 model, which every quantization copies
        self._converted = {}  # config or variant label -> (int8 model, calibration ratio), until scored or compiled
        self._compiled = {}  # label -> compiled model, fp32 first

    def _shares_default(self, label):
        """Whether ``label`` (a config or variant) is the fixed factory on the default config, quantized once for both."""
        return label in (FIXED, self.workload.default) and {FIXED, self.workload.default} <= {
            *self.plan.variants,
            *self.plan.configs,
        }

    def steps(self):
        """Return the steps, in the order they must run; the timing steps come last.

        The export comes before the first compile: INC's strict export resets dynamo, so a model compiled before an
        export would be compiled again when next called.

        Returns:
            list[Step]: The steps.
        """
        workload, plan = self.workload, self.plan
        size, seconds = plan.batch_sizes[-1], workload.seconds
        forward = seconds.forward * plan.evaluation
        quantize_seconds = 1 + 2 * seconds.forward * plan.calibration
        steps = [
            Step("exporting the fp32 model (INC's strict export)", seconds.export, self._export, shared=True),
            Step("fp32 outputs (eager)", forward, self._reference),
        ]
        for variant in plan.variants:
            text = f"quantizing with the {variant} observers"
            steps.append(Step(text, quantize_seconds, partial(self._quantize, variant)))
        for label in plan.configs:
            if not (self._shares_default(label) and FIXED in plan.variants):
                steps.append(Step(f"quantizing {label}", quantize_seconds, partial(self._quantize, label)))
        for variant in plan.variants:
            text = f"int8 outputs with the {variant} observers (eager QDQ)"
            steps.append(Step(text, 2.5 * forward, partial(self._eager, variant)))
        for label in plan.configs:
            text = f"compiling int8 {label} at batch {size} (inductor, freezing) and computing its outputs"
            steps.append(Step(text, seconds.compile, partial(self._compile, label), shared=True))
        text = f"compiling fp32 at batch {size} (inductor, freezing)"
        steps.append(Step(text, seconds.compile_fp32, self._compile_fp32, shared=True))
        timed = ["fp32", *plan.configs]
        for other in () if workload.dynamic_batch else plan.batch_sizes[:-1]:
            for label in timed:
                text = f"compiling {label} at batch {other} (static shapes: one graph per batch size)"
                cost = seconds.compile_fp32 if label == "fp32" else seconds.compile
                steps.append(Step(text, cost, partial(self._call, label, other), shared=True))
        for other in plan.batch_sizes:
            text = f"timing at batch {other}: fp32 and the int8 models in turn, {plan.runs} runs each"
            cost = (plan.runs + plan.warmup) * len(timed) * seconds.forward * other
            steps.append(Step(text, cost, partial(self._time, other)))
        return steps

    def _export(self):
        self._exported = export_model(self.workload)

    def _reference(self):
        items = batches(self.workload.evaluation, EAGER_BATCH)
        self.result["reference"] = torch.cat([self.workload.model(*batch) for batch in items])

    def _quantize(self, label):
        workload = self.workload
        if label in OBSERVER_VARIANTS:
            config, variant = workload.configs[workload.default], OBSERVER_VARIANTS[label]
        else:
            config, variant = workload.configs[label], FIXED
        converted = quantize(workload, self._exported, config, variant)
        for name in (FIXED, workload.default) if self._shares_default(label) else (label,):
            self._converted[name] = converted

    def _eager(self, variant):
        model, _ = self._converted[variant] if self._shares_default(variant) else self._converted.pop(variant)
        outputs = torch.cat([model(*batch) for batch in batches(self.workload.evaluation, EAGER_BATCH)])
        self.result["variants"][variant] = {
            **self.workload.score(self.result["reference"], outputs),
            "outputs": outputs,
        }

    def _compile(self, label):
        model, ratio = self._converted.pop(label)
        items = batches(self.workload.evaluation, self.plan.batch_sizes[-1])
        self._compiled[label], first, code = compile_model(model, items[0], self.workload.dynamic_batch)
        outputs = torch.cat([first, *(self._compiled[label](*batch) for batch in items[1:])])
        self.result["configs"][label] = {
            **self.workload.score(self.result["reference"], outputs),
            "kernels": metrics.count_int8_kernels(code),
            "calibration_ratio": ratio,
            "outputs": outputs,
        }

    def _compile_fp32(self):
        inputs = batches(self.workload.evaluation, self.plan.batch_sizes[-1])[0]
        compiled = compile_model(self.workload.model, inputs, self.workload.dynamic_batch)[0]
        self._compiled = {"fp32": compiled, **self._compiled}

    def _call(self, label, size):
        self._compiled[label](*batches(self.workload.evaluation, size)[0])

    def _time(self, size):
        inputs = batches(self.workload.evaluation, size)[0]
        with generated_code() as code:
            self.result["latency"][size] = latency.interleaved(self._compiled, inputs, self.plan.runs, self.plan.warmup)
        if code:  # every graph was compiled in an earlier step: this one would be timed
            raise RuntimeError(f"inductor compiled {len(code)} graph(s) while timing at batch {size}")


@contextlib.contextmanager
def _compile_workers():
    """Shut inductor's compile workers down at the end: a worker process exits without running ``atexit``."""
    try:
        yield
    finally:
        torch._inductor.async_compile.shutdown_compile_workers()


def work(name, plan_name, out, connection):
    """Measure one model of the demo, step by step, and send the report (the worker of :func:`.runner.run`).

    Args:
        name (str): A key of :data:`~neural_compressor_pt2e_fix.demo.MODELS`.
        plan_name (str): "full" or "quick".
        out (pathlib.Path): The directory for the PNGs.
        connection (multiprocessing.connection.Connection): To the coordinator; see :func:`.runner._work`.
    """
    module = importlib.import_module(f"{__package__}.{MODELS[name].module}")
    plan = module.PLANS[plan_name]
    with quiet(), torch._inductor.config.patch(freezing=True), torch.no_grad(), _compile_workers():
        workload = module.workload(plan)
        measurement = Measurement(workload, plan)
        steps, tail = measurement.steps(), []

        def finish():
            tail.extend(module.finish(workload, plan, measurement.result, out))

        steps.insert(-len(plan.batch_sizes), Step(module.FINISH, 2.0, finish))  # before the timing steps
        connection.send(("steps", workload.title, [(step.seconds, step.shared) for step in steps]))
        for index, step in enumerate(steps):
            connection.send(("request", index, step.text, step.shared))
            connection.recv()  # "go"
            step.run()
    connection.send(("report", "\n".join([report(workload, plan, measurement.result, plan_name), *tail])))
