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
"""``inc-pt2e-fix matrix``: run the StaticQuantConfig space through stock and fixed INC and classify each result.

Every setting goes through INC's public API on a small conv+pool+linear model: ``export`` -> ``prepare`` ->
calibrate -> ``convert`` -> eager run and, with ``--compile``, an inductor compile (``freezing=True``) compared with
the eager run. With ``--models``, the cases of :func:`zoo_cases` (single changes of INC's default, dynamic
quantization, a set_local) run on the models of :mod:`neural_compressor_pt2e_fix.zoo` instead. Each result falls
into exactly one class:

- ``compiled = eager``: the eager run works and the compiled model's output is within the tolerance of it: one
  output step on the toy model (see :func:`output_step`), :data:`ZOO_TOLERANCE_STEPS` int8 steps of the output's
  range on the zoo (see :func:`zoo_output_step`) plus the int8 model's own rounding-flip noise (:func:`flip_outputs`).
  Where that noise alone exceeds the steps ten times over (a chaotic zoo model), the compiled model is also taken as
  computed right if it is at least as close to the fp32 model (SQNR) as the eager int8 model is with flipped ties.
- ``eager ok``: the eager run works; compiling was not requested.
- ``rejected early``: ``prepare`` raised a ValueError or TypeError whose message contains ``field=value!r`` for a
  field that the setting changes from INC's default (the user learns which of their choices is at fault).
- ``warned early``: the compiled output differs from eager beyond the tolerance, and ``prepare`` warned with a
  message that starts with ``field=value!r`` of the setting and gives the fix (affine dynamic activations, which
  inductor computes wrongly for one-signed tensors: see ``docs/upstream-bugs``).
- ``broken``: anything else: any other exception or step, a message that does not name a changed field, a compile
  failure, a compiled output that differs from eager by more than the tolerance, a compiled model that writes into
  its input, or a set_local that does not take effect.
"""

import contextlib
import dataclasses
import functools
import itertools
import json
import sys
import time
import warnings

import torch
from torch._inductor import config as inductor_config

from neural_compressor.torch.algorithms.pt2e_quant.core import W8A8PT2EQuantizer
from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig, convert, prepare
from neural_compressor_pt2e_fix import zoo
from neural_compressor_pt2e_fix.common import first_line, quiet, sqnr_db, stack
from neural_compressor_pt2e_fix.patch import is_patched, patched
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import support

COMPILED = "compiled = eager"
EAGER = "eager ok"
REJECTED = "rejected early"
WARNED = "warned early"
BROKEN = "broken"
CLASSES = (COMPILED, EAGER, REJECTED, WARNED, BROKEN)

# StaticQuantConfig fields, in INC's order: w_dtype, w_sym, w_granularity, w_algo, act_dtype, ...
FIELDS = tuple(role.prefix + field for role in support.SUPPORTED.values() for field in support.FIELDS)
# Values outside every table of the factory, one per field kind, to see how each INC reports an unknown value.
_UNKNOWN_VALUES = {"w_dtype": "int4", "w_granularity": "per_group", "w_algo": "mse"}
# A compiled zoo model may differ from eager by this many int8 steps of the output's range (zoo_output_step), plus
# the eager int8 model's own rounding-flip noise (flip_outputs) where it exceeds them (see docs/conformance.md).
ZOO_TOLERANCE_STEPS = 4
# How flip_outputs moves each activation before it is rounded to int8, and how many such runs it makes: a relative
# 1e-5 is far less than an int8 step (only values near a rounding tie change their int8 value), yet flips a few ties
# in every quantized layer per run, as inductor's integer requantization may.
_FLIP_EPS = 1e-5
_FLIP_TRIALS = 16
# A zoo model is chaotic where its flip noise exceeds this many times its output-step tolerance: there one flipped
# tie moves the output by an order of magnitude more than the tolerance, and only accuracy against fp32 can tell a
# correct compile from a wrong one. Measured on the primary zoo: randomly initialised efficientnet_b0 15 to 80 times,
# the other models 2 to 15 times, and a known wrong compile (affine dynamic mobilenet_v3_small, inductor's
# choose_qparams, 2.3 dB less accurate than eager) 7 times, so it stays judged element-wise.
_CHAOTIC_NOISE = 10
# The ops that round an activation to int8 in a converted model (static and dynamic quantization).
_QUANTIZE_OPS = (
    torch.ops.quantized_decomposed.quantize_per_tensor.default,
    torch.ops.quantized_decomposed.quantize_per_tensor.tensor,
)
# The fields whose single changes the zoo runs: the rest are rejected alike on every model.
_ZOO_FIELDS = ("w_sym", "w_granularity", "act_dtype", "act_sym", "act_algo")
# Ops whose weight (args[1]) a set_local in fp32 must leave unquantized, and the ops that dequantize a weight.
_WEIGHTED_OPS = (
    torch.ops.aten.conv1d.default,
    torch.ops.aten.conv2d.default,
    torch.ops.aten.linear.default,
)
_DEQUANTIZE_PREFIX = "quantized_decomposed.dequantize_per_"
# Float dtypes (of support.FLOAT_DTYPES) set for activations only: weights stay int8, so the op is half quantized.
_FLOAT_ACT_DTYPES = ("fp32", "bf16")


def default_setting():
    """Return INC's default StaticQuantConfig as a setting.

    Returns:
        dict: Field name -> value, for every field of :data:`FIELDS`.
    """
    config = StaticQuantConfig()
    return {field: getattr(config, field) for field in FIELDS}


def label(setting):
    """Return the stable short label of a setting.

    Args:
        setting (dict): Field name -> value.

    Returns:
        str: E.g. ``"w=int8/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax"``.
    """
    parts = []
    for prefix, name in (("w_", "w"), ("act_", "a")):
        values = [setting[prefix + field] for field in support.FIELDS]
        values[1] = "sym" if values[1] else "asym"
        parts.append(f"{name}=" + "/".join(map(str, values)))
    return " ".join(parts)


def settings():
    """Return the conformance space, the default first.

    The product of every value the factory's tables know for w_granularity, w_sym, w_algo, act_sym, act_algo and
    act_dtype (64 settings), then settings that change one field of the default: the other table values of w_dtype
    and act_granularity, unknown values, and float activation dtypes with int8 weights.

    Returns:
        list[dict]: The settings.
    """
    default = default_setting()

    def values(field, table_values):
        return [default[field]] + [value for value in table_values if value != default[field]]

    product_fields = {
        "w_granularity": support.GRANULARITIES,
        "w_sym": (True, False),
        "w_algo": support.STATIC_ALGOS,
        "act_dtype": tuple(support.DTYPES),
        "act_sym": (True, False),
        "act_algo": support.STATIC_ALGOS,
    }
    space = [
        {**default, **dict(zip(product_fields, combination))}
        for combination in itertools.product(*(values(field, table) for field, table in product_fields.items()))
    ]
    single_changes = [("w_dtype", value) for value in values("w_dtype", support.DTYPES)[1:]]
    single_changes += [("act_granularity", value) for value in values("act_granularity", support.GRANULARITIES)[1:]]
    single_changes += list(_UNKNOWN_VALUES.items())
    single_changes += [("act_dtype", value) for value in _FLOAT_ACT_DTYPES]
    return space + [{**default, field: value} for field, value in single_changes]


@dataclasses.dataclass
class Outcome:
    """What happened to one setting on one INC.

    Attributes:
        failed_at (str or None): The step that raised: "export", "prepare", "calibrate", "convert", "eager" or
            "compile"; None if no step raised.
        error (Exception or None): The exception that step raised.
        compiled (bool): Whether a compile was requested.
        max_diff (float or None): max|compiled - eager| when the compiled model ran.
        step (float or None): The converted model's output step (:func:`output_step`, :func:`zoo_output_step`).
        tolerance_steps (int): How many output steps a correct compile may differ from eager.
        noise (float or None): The eager int8 model's own rounding-flip noise (max|flipped - eager| over
            :func:`flip_outputs`), allowed on top of the output steps; None where not measured.
        sqnr_db (tuple or None): (SQNR of the compiled output, lowest SQNR of the flipped eager outputs), both against
            the fp32 model, in dB; measured only where the noise exceeds ten times the output steps.
        input_written (bool): Whether the compiled model changed its input tensor.
        local_applied (bool or None): Whether a set_local left its module in fp32; None without a set_local.
    """

    failed_at: str = None
    error: Exception = None
    compiled: bool = False
    max_diff: float = None
    step: float = None
    tolerance_steps: int = 1
    noise: float = None
    sqnr_db: tuple = None
    input_written: bool = False
    local_applied: bool = None
    warnings: tuple = ()


def classify(setting, outcome, default=None, named=None):
    """Put an outcome into exactly one of :data:`CLASSES`.

    Args:
        setting (dict): The setting that produced the outcome.
        outcome (Outcome): What happened.
        default (dict, optional): INC's default setting; defaults to :func:`default_setting`.
        named (list[str], optional): The ``field=value!r`` texts a rejection may name; defaults to the fields of
            ``setting`` that differ from ``default``.

    Returns:
        tuple[str, str]: The class and a one-line cause ("" for a working setting, unless the SQNR rule took it).
    """
    if named is None:
        default = default_setting() if default is None else default
        named = [f"{field}={value!r}" for field, value in setting.items() if value != default[field]]
    if outcome.error is not None:
        cause = f"{outcome.failed_at}: {first_line(outcome.error)}"
        rejected = outcome.failed_at == "prepare" and isinstance(outcome.error, (ValueError, TypeError))
        if rejected and any(item in str(outcome.error) for item in named):
            return REJECTED, cause
        return BROKEN, cause
    if outcome.local_applied is False:
        return BROKEN, "convert: the set_local module's conv/linear is quantized, not fp32"
    if not outcome.compiled:
        return EAGER, ""
    if outcome.input_written:
        return BROKEN, "compile: the compiled model wrote into its input tensor"
    return _compare_compiled(outcome, named)


def _compare_compiled(outcome, named):
    """Classify a compiled model that ran and left its input alone, by its output against eager's (see the module)."""
    tolerance = outcome.step * outcome.tolerance_steps + (outcome.noise or 0.0)
    if outcome.max_diff <= tolerance:
        return COMPILED, ""
    steps = "one output step" if outcome.tolerance_steps == 1 else f"{outcome.tolerance_steps} output steps"
    steps += "" if outcome.noise is None else f" plus the int8 model's rounding-flip noise ({outcome.noise:.3g})"
    cause = f"compile: max|compiled - eager| = {outcome.max_diff:.3g} exceeds {steps}, {tolerance:.3g}"
    if outcome.sqnr_db is not None:
        compiled, flipped = outcome.sqnr_db
        cause += f"; SQNR vs fp32: compiled {compiled:.2f} dB, eager with flipped ties {flipped:.2f} dB or more"
        if compiled >= flipped:
            return COMPILED, cause
    warned = [text for text in outcome.warnings if text.startswith(tuple(named))]
    if warned:
        return WARNED, f"{cause}; prepare warned: {warned[0].split('.')[0]}"
    return BROKEN, cause


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


def output_step(converted, model):
    """Return the converted model's output step: the largest output change of one int8 rounding flip.

    Compiled and eager models requantize differently (oneDNN in integer arithmetic, eager in fp32), so an activation
    at a rounding tie may land one step apart. At the final Linear's input that changes the output by at most the
    input's scale times max|weight| (about 1.7e-3 here). A correct compile stays within this step; a wrong one, such
    as affine per_channel weights forced past the X86 quantizer (max difference 1.56 on a Linear), is far outside.

    Args:
        converted (torch.fx.GraphModule): The converted model; its final Linear reads a dequantized per-tensor input.
        model (torch.nn.Module): The float model, whose last module is that Linear.

    Returns:
        float: The step.
    """
    linear = next(node for node in converted.graph.nodes if node.target == torch.ops.aten.linear.default)
    scale = linear.args[0].args[1]
    return float(scale) * model[-1].weight.abs().max().item()


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
    step = "export"
    try:
        with export_context():
            exported = export(model, (batches[0],))
        step = "prepare"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prepared = prepare(exported, quant_config=config)
        outcome.warnings = tuple(str(item.message) for item in caught if issubclass(item.category, UserWarning))
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


def run_matrix(only=None, compile_model=False, progress=sys.stderr):
    """Run the conformance space with stock and fixed INC.

    Args:
        only (str, optional): Run only the settings whose label contains this substring.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file, optional): Where to write one progress line per setting; None for no progress.

    Returns:
        list[dict]: One row per setting: label, setting, and for "stock" and "fixed" the class, the cause,
        max|compiled - eager| and the output step (both None unless the compiled model ran).

    Raises:
        RuntimeError: The patch is applied, so stock INC cannot be run; or no setting matches ``only``.
    """
    default = default_setting()
    cases = [
        (label(setting), setting, None, functools.partial(run_setting, setting))
        for setting in settings()
        if only is None or only in label(setting)
    ]
    if not cases:
        raise RuntimeError(f"no setting label contains {only!r}")
    return _run_cases(cases, compile_model, progress, default)


def _run_cases(cases, compile_model, progress, default=None):
    """Run each case with stock and fixed INC and classify the outcomes.

    Args:
        cases (list[tuple]): (label, setting, named, run): ``named`` as for :func:`classify`; ``run(compile_model)``
            returns the :class:`Outcome`.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file or None): Where to write one progress line per case.
        default (dict, optional): INC's default setting, for :func:`classify`.

    Returns:
        list[dict]: The rows, as described in :func:`run_matrix`.

    Raises:
        RuntimeError: The patch is applied, so stock INC cannot be run.
    """
    if is_patched():
        raise RuntimeError("the patch is applied in this process: the stock column needs an unpatched INC")
    rows = []
    with quiet():
        for index, (case_label, setting, named, run_case) in enumerate(cases, 1):
            start = time.perf_counter()
            row = {"label": case_label, "setting": setting}
            for column in ("stock", "fixed"):
                with patched() if column == "fixed" else contextlib.nullcontext():
                    outcome = run_case(compile_model)
                klass, cause = classify(setting, outcome, default, named)
                row[column] = {"class": klass, "cause": cause, "max_diff": outcome.max_diff, "step": outcome.step}
                if outcome.noise is not None:
                    row[column]["noise"] = outcome.noise
                if outcome.sqnr_db is not None:
                    row[column]["sqnr_db"] = list(outcome.sqnr_db)
            rows.append(row)
            if progress is not None:
                print(
                    f"[{index:>{len(str(len(cases)))}}/{len(cases)}] {row['label']}  stock: {row['stock']['class']}"
                    f"  fixed: {row['fixed']['class']}  ({time.perf_counter() - start:.1f} s)",
                    file=progress,
                    flush=True,
                )
    return rows


def zoo_cases():
    """Return the cases run on each zoo model: INC's default, single changes, dynamic, set_local.

    The single changes set one field of :data:`_ZOO_FIELDS` in INC's default StaticQuantConfig to the first other
    value its table knows, so they cover settings the fix accepts and rejects; the other fields' rejections do not
    depend on the model and are covered by the toy model's space.

    Returns:
        list[dict]: Each with "label", "kind" ("static", "dynamic" or "local") and "fields" (config keyword
        arguments).
    """
    default = default_setting()
    table = {"dtype": tuple(support.DTYPES), "sym": (True, False), "granularity": support.GRANULARITIES}
    table["algo"] = support.STATIC_ALGOS
    cases = [{"label": "default", "kind": "static", "fields": {}}]
    for field in _ZOO_FIELDS:
        value = next(item for item in table[field.split("_", 1)[1]] if item != default[field])
        cases.append({"label": f"{field}={value!r}", "kind": "static", "fields": {field: value}})
    # DynamicQuantConfig's default (affine activations), then symmetric activations.
    cases.append({"label": "dynamic", "kind": "dynamic", "fields": {}})
    cases.append({"label": "dynamic act_sym=True", "kind": "dynamic", "fields": {"act_sym": True}})
    cases.append({"label": "set_local fp32", "kind": "local", "fields": {}})
    return cases


class _FlippedTies(torch.fx.Interpreter):
    """Run a converted model with every activation moved by a relative :data:`_FLIP_EPS` just before int8 rounding."""

    def call_function(self, target, args, kwargs):
        """Run one node, moving the input of a quantize op."""
        if target in _QUANTIZE_OPS:
            value = args[0]
            args = (value * (1 + _FLIP_EPS * torch.randn_like(value)), *args[1:])
        return super().call_function(target, args, kwargs)


def flip_outputs(converted, x):
    """Return the eager int8 model's outputs at input ``x`` with its rounding ties flipped at random.

    Eager mode runs QDQ in fp32 while the compiled model requantizes in integer arithmetic, so an activation at a
    rounding tie may land one int8 step apart in the two, in any quantized layer; in a deep net one such flip moves
    the output by several output steps. Each run moves every activation by a relative :data:`_FLIP_EPS`, far less
    than an int8 step, just before it is rounded, so that the values near a tie flip as they may under
    requantization, in every layer at once. Seeded, in a forked RNG.

    Args:
        converted (torch.fx.GraphModule): The converted model.
        x (torch.Tensor): The test input.

    Returns:
        list[torch.Tensor]: :data:`_FLIP_TRIALS` outputs.
    """
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        return [_FlippedTies(converted).run(x) for _ in range(_FLIP_TRIALS)]


def zoo_output_step(output):
    """Return the int8 step of a model output: its range over 255.

    Args:
        output (torch.Tensor): The eager output of the converted model.

    Returns:
        float: ``(max - min) / 255``.
    """
    return (output.max() - output.min()).item() / 255


def _zoo_config(case, local):
    """Build the INC config of a zoo case; ``local`` is the module that a set_local case leaves in fp32."""
    if case["kind"] == "dynamic":
        return DynamicQuantConfig(**case["fields"])
    config = StaticQuantConfig(**case["fields"])
    if case["kind"] == "local":
        fp32 = support.FLOAT_DTYPES[0]
        config.set_local(local, StaticQuantConfig(w_dtype=fp32, act_dtype=fp32))
    return config


def _stays_float(converted, module_name):
    """Return whether every conv/linear of a module reads an fp32 weight, not a dequantized one (at least one)."""
    nodes = [
        node
        for node in converted.graph.nodes
        if node.target in _WEIGHTED_OPS
        and any(path == module_name for path, _ in node.meta.get("nn_module_stack", {}).values())
    ]
    return bool(nodes) and not any(str(node.args[1].target).startswith(_DEQUANTIZE_PREFIX) for node in nodes)


def run_zoo_case(name, case, compile_model):
    """Run one zoo case on one zoo model through INC's public API.

    Args:
        name (str): A key of :data:`zoo.MODELS`.
        case (dict): One of :func:`zoo_cases`.
        compile_model (bool): Whether to compile and compare with eager.

    Returns:
        Outcome: What happened; ``local_applied`` is set for a set_local case that converted.
    """
    entry = zoo.MODELS[name]
    model, batches = zoo.build(name)
    config = _zoo_config(case, entry.local)
    outcome, converted, eager, compiled = _pipeline(model, batches, config, compile_model, entry.export_context)
    if converted is not None and case["kind"] == "local":
        outcome.local_applied = _stays_float(converted, entry.local)
    if outcome.max_diff is not None:
        outcome.step, outcome.tolerance_steps = zoo_output_step(eager), ZOO_TOLERANCE_STEPS
        steps = outcome.step * outcome.tolerance_steps
        if outcome.max_diff > steps:
            flipped = flip_outputs(converted, batches[0])
            outcome.noise = max((output - eager).abs().max().item() for output in flipped)
            if outcome.noise > _CHAOTIC_NOISE * steps:
                with torch.no_grad():
                    reference = model(batches[0])
                outcome.sqnr_db = (sqnr_db(reference, compiled), min(sqnr_db(reference, out) for out in flipped))
    return outcome


def _zoo_named(case, local):
    """The ``field=value!r`` texts a rejection of a zoo case may name: its changed fields, or what it sets."""
    if case["kind"] == "local":
        # By name; on torch<2.5, where no set_local is supported, the sorted list of every set_local name.
        return [f"set_local={local!r}", f"set_local=[{local!r}"]
    if case["kind"] == "dynamic":
        config = DynamicQuantConfig(**case["fields"])
        return [f"{field}={getattr(config, field)!r}" for field in FIELDS]
    return [f"{field}={value!r}" for field, value in case["fields"].items()]


def zoo_models(models):
    """Resolve the ``--models`` argument to zoo model names.

    Args:
        models (str): Comma-separated names of :data:`zoo.MODELS`, or "all" for every model whose requirements are
            installed.

    Returns:
        list[str]: The names.

    Raises:
        ValueError: An unknown name, or a named model whose requirement is not installed.
    """
    if models == "all":
        return [name for name in zoo.MODELS if zoo.missing_requirement(name) is None]
    names = [name.strip() for name in models.split(",") if name.strip()]
    for name in names:
        if name not in zoo.MODELS:
            raise ValueError(f"unknown model {name!r}; models: {', '.join(zoo.MODELS)}, or all")
        if zoo.missing_requirement(name) is not None:
            raise ValueError(f"model {name!r} needs {zoo.missing_requirement(name)}, which is not installed")
    return names


def run_zoo(models, only=None, compile_model=False, progress=sys.stderr):
    """Run the zoo cases on zoo models with stock and fixed INC.

    Args:
        models (str): As for :func:`zoo_models`.
        only (str, optional): Run only the cases whose label (``"<model> <case>"``) contains this substring.
        compile_model (bool): Whether to compile and compare with eager.
        progress (file, optional): Where to write one progress line per case; None for no progress.

    Returns:
        list[dict]: The rows, as described in :func:`run_matrix`; each setting has "model", "case", "kind" and the
        config's fields.

    Raises:
        RuntimeError: The patch is applied, or no case matches ``only``.
        ValueError: ``models`` names an unknown or unavailable model.
    """
    cases = []
    for name in zoo_models(models):
        for case in zoo_cases():
            case_label = f"{name} {case['label']}"
            if only is None or only in case_label:
                setting = {"model": name, "case": case["label"], "kind": case["kind"], **case["fields"]}
                named = _zoo_named(case, zoo.MODELS[name].local)
                cases.append((case_label, setting, named, functools.partial(run_zoo_case, name, case)))
    if not cases:
        raise RuntimeError(f"no case label contains {only!r}")
    return _run_cases(cases, compile_model, progress)


def totals(rows):
    """Count the rows of each class, per column.

    Args:
        rows (list[dict]): The rows of :func:`run_matrix`.

    Returns:
        dict: "stock" and "fixed" -> class -> count, every class present.
    """
    return {
        column: {klass: sum(row[column]["class"] == klass for row in rows) for klass in CLASSES}
        for column in ("stock", "fixed")
    }


def _cell(text, width=200):
    text = text if len(text) <= width else text[: width - 3] + "..."
    return text.replace("|", "\\|")


# Short class names for the zoo grid.
_SHORT = {COMPILED: "ok", EAGER: "eager", REJECTED: "rejected", WARNED: "warned", BROKEN: "**broken**"}


def _zoo_grid(rows):
    """Render zoo rows as a model x case grid of "stock → fixed" classes; no lines for rows of the toy model."""
    zoo_rows = [row for row in rows if "model" in row["setting"]]
    if not zoo_rows:
        return []
    models = list(dict.fromkeys(row["setting"]["model"] for row in zoo_rows))
    cases = list(dict.fromkeys(row["setting"]["case"] for row in zoo_rows))
    cells = {(row["setting"]["model"], row["setting"]["case"]): row for row in zoo_rows}
    lines = ["", "Stock INC → fixed, per model and case:", "", "| model | " + " | ".join(cases) + " |"]
    lines.append("|---" * (len(cases) + 1) + "|")
    for model in models:
        row_cells = [cells.get((model, case)) for case in cases]
        text = [
            "" if cell is None else f"{_SHORT[cell['stock']['class']]} → {_SHORT[cell['fixed']['class']]}"
            for cell in row_cells
        ]
        lines.append(f"| {model} | " + " | ".join(text) + " |")
    return lines


def markdown(rows, compile_model):
    """Render the results as Markdown: the per-class totals, then one table row per setting.

    Args:
        rows (list[dict]): The rows of :func:`run_matrix`.
        compile_model (bool): Whether the run compiled.

    Returns:
        str: The Markdown text.
    """
    versions = stack()
    mode = "eager, then inductor compile (freezing=True)" if compile_model else "eager only (no compile)"
    lines = [
        f"torch {versions['torch']}, torchao {versions['torchao']}, INC {versions['INC']}, PT2E home "
        f"`{versions['PT2E home']}`; {len(rows)} setting{'s' if len(rows) != 1 else ''}, {mode}.",
        "",
        "| class | stock INC | fixed |",
        "|---|---|---|",
    ]
    counts = totals(rows)
    lines += [f"| {klass} | {counts['stock'][klass]} | {counts['fixed'][klass]} |" for klass in CLASSES]
    lines += _zoo_grid(rows)
    lines += ["", "| setting | stock INC | fixed | stock: cause | fixed: cause |", "|---|---|---|---|---|"]
    for row in rows:
        stock, fixed = row["stock"], row["fixed"]
        lines.append(
            f"| `{row['label']}` | {stock['class']} | {fixed['class']} | {_cell(stock['cause'])} | "
            f"{_cell(fixed['cause'])} |"
        )
    return "\n".join(lines) + "\n"


def run(args):
    """Run ``inc-pt2e-fix matrix``.

    Args:
        args (argparse.Namespace): ``compile``, ``only``, ``json`` and ``markdown`` as parsed by the CLI.

    Returns:
        int: 0 if no setting is broken with the fix, 1 otherwise.
    """
    start = time.perf_counter()
    models = getattr(args, "models", None)
    rows = run_zoo(models, args.only, args.compile) if models else run_matrix(args.only, args.compile)
    counts = totals(rows)
    width = max(len(row["label"]) for row in rows)
    print(f"{'setting':<{width}}  {'stock INC':<16}  fixed")
    for row in rows:
        print(f"{row['label']:<{width}}  {row['stock']['class']:<16}  {row['fixed']['class']}")
    print()
    print(f"{'class':<16}  {'stock INC':>9}  {'fixed':>5}")
    for klass in CLASSES:
        print(f"{klass:<16}  {counts['stock'][klass]:>9}  {counts['fixed'][klass]:>5}")
    print(f"{len(rows)} setting{'s' if len(rows) != 1 else ''} in {time.perf_counter() - start:.0f} s")
    if args.json:
        document = {
            "versions": stack(),
            "compile": args.compile,
            "totals": counts,
            "rows": rows,
        }
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as stream:
            stream.write(markdown(rows, args.compile))
    return 1 if counts["fixed"][BROKEN] else 0
