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
"""Running the matrix: each case through INC's public API, once with stock INC and once with the fix.

Every case goes ``export`` -> ``prepare`` -> calibrate -> ``convert`` -> eager run and, when compiling, an inductor
compile (``freezing=True``) compared with the eager run: the settings of :func:`space.settings` on a small
conv+pool+linear model (:func:`run_matrix`), or the cases of :func:`space.zoo_cases` on the models of
:mod:`neural_compressor_pt2e_fix.zoo` (:func:`run_zoo`).
"""

import contextlib
import functools
import sys
import time
from typing import Callable, NamedTuple

import torch
from torch._inductor import config as inductor_config

from neural_compressor.torch.algorithms.pt2e_quant.core import W8A8PT2EQuantizer
from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import StaticQuantConfig, convert, prepare
from neural_compressor_pt2e_fix import zoo
from neural_compressor_pt2e_fix.common import quiet, sqnr_db
from neural_compressor_pt2e_fix.matrix.classifier import (
    ZOO_TOLERANCE_STEPS,
    Cell,
    Outcome,
    Row,
    flip_outputs,
    output_step,
    zoo_output_step,
)
from neural_compressor_pt2e_fix.matrix.space import (
    default_setting,
    label,
    named_changes,
    settings,
    zoo_cases,
    zoo_models,
)
from neural_compressor_pt2e_fix.patch import is_patched, patched
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.x86_quantizer import WEIGHTED_OPS

# The prefix of the ops that dequantize a weight.
_DEQUANTIZE_PREFIX = "quantized_decomposed.dequantize_per_"


class Case(NamedTuple):
    """One row's work: a setting and how to run it.

    Attributes:
        label (str): The row's label.
        setting (dict): What :attr:`Row.setting` records.
        named (list[str]): The ``field=value!r`` texts a rejection may name (:func:`classify`).
        run (Callable[[bool], Outcome]): Runs the case, compiling if its argument is true.
    """

    label: str
    setting: dict
    named: list
    run: Callable


def _model_and_data():
    """Build the conv+pool+linear model and its calibration batches, independently of the global RNG.

    Returns:
        tuple: The float model (eval mode) and a list of four input batches of shape (2, 3, 8, 8).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(8 * 3 * 3, 4),
        ).eval()
        batches = [torch.randn(2, 3, 8, 8) for _ in range(4)]
    return model, batches


def _pipeline(model, batches, config, compile_model, export_context=contextlib.nullcontext):
    """Run a model through INC's public API: export, prepare, calibrate, convert, eager and optionally compile.

    Args:
        model (torch.nn.Module): The float model.
        batches (list[torch.Tensor]): Calibration batches; the first is also the test input.
        config: The INC quantization config.
        compile_model (bool): Whether to compile the converted model and compare it with the eager run.
        export_context (Callable): A context manager factory to export in.

    Returns:
        tuple: The outcome (without its step), the converted model, its eager output and its compiled output (None
        where not reached).
    """
    outcome, converted, eager, compiled = Outcome(compiled=compile_model), None, None, None
    # INC 3.0.2 leaves W8A8PT2EQuantizer.is_dynamic set after a dynamic run (INC 3.10 resets it): a later static
    # run in this process would quantize dynamically.
    W8A8PT2EQuantizer.is_dynamic = False
    # Every case starts from a clean dynamo: on torch 2.8.0 + INC 3.7 each export of the toy model adds a dynamo cache
    # entry, and cases that fail before their compile (which resets) left them until the recompile limit (8) made
    # every later export fail, from the 32nd of the 71 settings on.
    torch._dynamo.reset()
    step = "export"
    try:
        with export_context():
            exported = export(model, (batches[0],))
        step = "prepare"
        prepared = prepare(exported, quant_config=config)
        step = "calibrate"
        for batch in batches:
            prepared(batch)
        step = "convert"
        converted = convert(prepared)
        step = "eager"
        with torch.no_grad():
            eager = converted(batches[0])
        if compile_model:
            step = "compile"
            given = batches[0].clone()
            torch._dynamo.reset()
            with inductor_config.patch(freezing=True), torch.no_grad():
                compiled = torch.compile(converted)(given)
            outcome.input_written = not torch.equal(given, batches[0])
            outcome.max_diff = (compiled - eager).abs().max().item()
    except Exception as exc:
        outcome.failed_at, outcome.error = step, exc
    return outcome, converted, eager, compiled


def run_setting(setting, compile_model):
    """Run one setting through INC's public API on the conv+pool+linear model.

    Args:
        setting (dict): Field name -> value.
        compile_model (bool): Whether to compile the converted model and compare it with the eager run.

    Returns:
        Outcome: What happened.
    """
    model, batches = _model_and_data()
    outcome, converted, _, _ = _pipeline(model, batches, StaticQuantConfig(**setting), compile_model)
    if outcome.max_diff is not None:
        outcome.step = output_step(converted, model)
    return outcome


def _stays_float(converted, module_name):
    """Return whether every conv/linear of a module reads an fp32 weight, not a dequantized one (at least one)."""
    nodes = [
        node
        for node in converted.graph.nodes
        if node.target in WEIGHTED_OPS
        and any(path == module_name for path, _ in node.meta.get("nn_module_stack", {}).values())
    ]
    return bool(nodes) and not any(str(node.args[1].target).startswith(_DEQUANTIZE_PREFIX) for node in nodes)


def run_zoo_case(name, case, compile_model):
    """Run one zoo case on one zoo model through INC's public API.

    Where the compiled model differs from eager by more than its output steps, the eager int8 model's flip noise is
    measured (:func:`flip_outputs`), and for a chaotic model (:attr:`Outcome.chaotic`) the SQNR against fp32 of the
    compiled output and of the flipped eager outputs.

    Args:
        name (str): A key of :data:`zoo.MODELS`.
        case (ZooCase): One of :func:`zoo_cases`.
        compile_model (bool): Whether to compile and compare with eager.

    Returns:
        Outcome: What happened; ``local_applied`` is set for a set_local case that converted.
    """
    entry = zoo.MODELS[name]
    model, batches = zoo.build(name)
    outcome, converted, eager, compiled = _pipeline(
        model, batches, case.config(entry.local), compile_model, entry.export_context
    )
    if converted is not None and case.kind == "local":
        outcome.local_applied = _stays_float(converted, entry.local)
    if outcome.max_diff is not None:
        outcome.step, outcome.tolerance_steps = zoo_output_step(eager), ZOO_TOLERANCE_STEPS
        if outcome.max_diff > outcome.steps:
            flipped = flip_outputs(converted, batches[0])
            outcome.noise = max((output - eager).abs().max().item() for output in flipped)
            if outcome.chaotic:
                with torch.no_grad():
                    reference = model(batches[0])
                outcome.sqnr_db = (sqnr_db(reference, compiled), min(sqnr_db(reference, out) for out in flipped))
    return outcome


def run_cases(cases, compile_model, progress):
    """Run each case with stock and fixed INC and classify the outcomes.

    Args:
        cases (list[Case]): The cases.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file or None): Where to write one progress line per case.

    Returns:
        list[Row]: One row per case, in order.

    Raises:
        RuntimeError: The patch is applied, so stock INC cannot be run.
    """
    if is_patched():
        raise RuntimeError("the patch is applied in this process: the stock column needs an unpatched INC")
    rows = []
    with quiet():
        for index, case in enumerate(cases, 1):
            start = time.perf_counter()
            stock = Cell.of(case.setting, case.run(compile_model), case.named)
            with patched():
                fixed = Cell.of(case.setting, case.run(compile_model), case.named)
            rows.append(Row(case.label, case.setting, stock, fixed))
            if progress is not None:
                print(
                    f"[{index:>{len(str(len(cases)))}}/{len(cases)}] {case.label}  stock: {stock.klass}"
                    f"  fixed: {fixed.klass}  ({time.perf_counter() - start:.1f} s)",
                    file=progress,
                    flush=True,
                )
    return rows


def matrix_cases(only=None):
    """Build the cases of the conformance space.

    Args:
        only (str, optional): Keep only the settings whose label contains this substring.

    Returns:
        list[Case]: One case per setting of :func:`space.settings`.

    Raises:
        RuntimeError: No setting matches ``only``.
    """
    default = default_setting()
    cases = [
        Case(label(setting), setting, named_changes(setting, default), functools.partial(run_setting, setting))
        for setting in settings()
        if only is None or only in label(setting)
    ]
    if not cases:
        raise RuntimeError(f"no setting label contains {only!r}")
    return cases


def zoo_model_cases(models, only=None):
    """Build the zoo cases of zoo models.

    Args:
        models (str): As for :func:`zoo_models`.
        only (str, optional): Keep only the cases whose label (``"<model> <case>"``) contains this substring.

    Returns:
        list[Case]: One case per model and zoo case; each setting has "model", "case", "kind" and the config's fields.

    Raises:
        RuntimeError: No case matches ``only``.
        ValueError: ``models`` names an unknown or unavailable model.
    """
    cases = []
    for name in zoo_models(models):
        for case in zoo_cases():
            case_label = f"{name} {case.label}"
            if only is None or only in case_label:
                setting = {"model": name, "case": case.label, "kind": case.kind, **case.fields}
                named = case.named(zoo.MODELS[name].local)
                cases.append(Case(case_label, setting, named, functools.partial(run_zoo_case, name, case)))
    if not cases:
        raise RuntimeError(f"no case label contains {only!r}")
    return cases


def run_matrix(only=None, compile_model=False, progress=sys.stderr):
    """Run the conformance space with stock and fixed INC.

    Args:
        only (str, optional): Run only the settings whose label contains this substring.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file, optional): Where to write one progress line per setting; None for no progress.

    Returns:
        list[Row]: One row per setting; ``max_diff`` and ``step`` of its cells are None unless the compiled model
        ran.

    Raises:
        RuntimeError: The patch is applied, so stock INC cannot be run; or no setting matches ``only``.
    """
    return run_cases(matrix_cases(only), compile_model, progress)


def run_zoo(models, only=None, compile_model=False, progress=sys.stderr):
    """Run the zoo cases on zoo models with stock and fixed INC.

    Args:
        models (str): As for :func:`zoo_models`.
        only (str, optional): Run only the cases whose label (``"<model> <case>"``) contains this substring.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file, optional): Where to write one progress line per case; None for no progress.

    Returns:
        list[Row]: One row per model and case (see :func:`zoo_model_cases`).

    Raises:
        RuntimeError: The patch is applied, or no case matches ``only``.
        ValueError: ``models`` names an unknown or unavailable model.
    """
    return run_cases(zoo_model_cases(models, only), compile_model, progress)
