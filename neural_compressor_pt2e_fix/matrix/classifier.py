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
"""The classes of ``inc-pt2e-fix matrix``, the rule that puts each result into one, and the compile tolerance.

Each result (a setting on one INC) falls into exactly one class:

- ``compiled = eager``: the eager run works and the compiled model's output is within the tolerance of it: one
  output step on the toy model (see :func:`output_step`), :data:`ZOO_TOLERANCE_STEPS` int8 steps of the output's
  range on the zoo (see :func:`zoo_output_step`) plus the int8 model's own rounding-flip noise (:func:`flip_outputs`).
  Where that noise alone exceeds the steps :data:`CHAOTIC_NOISE` times over (a chaotic zoo model), the compiled model
  is also taken as computed right if it is at least as close to the fp32 model (SQNR) as the eager int8 model is
  with flipped ties.
- ``eager ok``: the eager run works; compiling was not requested.
- ``rejected early``: ``prepare`` raised a ValueError or TypeError whose message contains ``field=value!r`` for a
  field that the setting changes from INC's default (the user learns which of their choices is at fault).
- ``broken``: anything else: any other exception or step, a message that does not name a changed field, a compile
  failure, a compiled output that differs from eager by more than the tolerance, a compiled model that writes into
  its input, or a set_local that does not take effect.

A row (one setting, stock INC and the fix) is *ok until compiled* when stock INC runs the setting eagerly (``eager
ok``) and the fix rejects it (``rejected early``); only a run without compile has such rows. The fix rejects only
settings that cannot be built or that fail or compute wrong once compiled; stock INC built this one, so it fails or
computes wrong once compiled, and stock's ``eager ok`` beside the fix's rejection is no regression.
"""

import dataclasses

import torch

from neural_compressor_pt2e_fix.common import first_line
from neural_compressor_pt2e_fix.matrix.space import named_changes

COMPILED = "compiled = eager"
EAGER = "eager ok"
REJECTED = "rejected early"
BROKEN = "broken"
CLASSES = (COMPILED, EAGER, REJECTED, BROKEN)

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
CHAOTIC_NOISE = 10
# The ops that round an activation to int8 in a converted model (static and dynamic quantization).
_QUANTIZE_OPS = (
    torch.ops.quantized_decomposed.quantize_per_tensor.default,
    torch.ops.quantized_decomposed.quantize_per_tensor.tensor,
)


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
            the fp32 model, in dB; measured only for a chaotic model (:attr:`chaotic`).
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

    @property
    def steps(self):
        """The output steps a correct compile may differ from eager: ``step * tolerance_steps``."""
        return self.step * self.tolerance_steps

    @property
    def chaotic(self):
        """Whether the flip noise exceeds :data:`CHAOTIC_NOISE` times :attr:`steps` (False if not measured)."""
        return self.noise is not None and self.noise > CHAOTIC_NOISE * self.steps


def _compare_compiled(outcome):
    """Classify a compiled model that ran and left its input alone, by its output against eager's (see the module)."""
    tolerance = outcome.steps + (outcome.noise or 0.0)
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
    return BROKEN, cause


def classify(setting, outcome, default=None, named=None):
    """Put an outcome into exactly one of :data:`CLASSES`.

    Args:
        setting (dict): The setting that produced the outcome.
        outcome (Outcome): What happened.
        default (dict, optional): INC's default setting, for :func:`named_changes`.
        named (list[str], optional): The ``field=value!r`` texts a rejection may name; defaults to
            ``named_changes(setting, default)``.

    Returns:
        tuple[str, str]: The class and a one-line cause ("" for a working setting, unless the SQNR rule took it).
    """
    if named is None:
        named = named_changes(setting, default)
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
    return _compare_compiled(outcome)


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


def zoo_output_step(output):
    """Return the int8 step of a model output: its range over 255.

    Args:
        output (torch.Tensor): The eager output of the converted model.

    Returns:
        float: ``(max - min) / 255``.
    """
    return (output.max() - output.min()).item() / 255


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


@dataclasses.dataclass
class Cell:
    """The result of one setting on one INC (a column of a :class:`Row`), as ``--json`` writes it.

    Attributes:
        klass (str): One of :data:`CLASSES`.
        cause (str): The one-line cause given by :func:`classify`.
        max_diff (float or None): :attr:`Outcome.max_diff`.
        step (float or None): :attr:`Outcome.step`, set when the compiled model ran.
        noise (float or None): :attr:`Outcome.noise`, where measured.
        sqnr_db (tuple or None): :attr:`Outcome.sqnr_db`, where measured.
    """

    klass: str
    cause: str
    max_diff: float = None
    step: float = None
    noise: float = None
    sqnr_db: tuple = None

    @classmethod
    def of(cls, setting, outcome, named):
        """Classify an outcome (:func:`classify`) and keep its measurements.

        Args:
            setting (dict): The setting that produced the outcome.
            outcome (Outcome): What happened.
            named (list[str]): The ``field=value!r`` texts a rejection may name.

        Returns:
            Cell: The cell.
        """
        klass, cause = classify(setting, outcome, named=named)
        return cls(klass, cause, outcome.max_diff, outcome.step, outcome.noise, outcome.sqnr_db)


@dataclasses.dataclass
class Row:
    """One setting (or zoo case) with stock INC and with the fix.

    Attributes:
        label (str): The setting's label (:func:`label`), or ``"<model> <case>"`` on the zoo.
        setting (dict): The config fields; on the zoo also "model", "case" and "kind".
        stock (Cell): The result with stock INC.
        fixed (Cell): The result with the fix.
    """

    label: str
    setting: dict
    stock: Cell
    fixed: Cell

    @property
    def ok_until_compiled(self):
        """Whether stock INC runs the setting eagerly and the fix rejects it (see the module)."""
        return self.stock.klass == EAGER and self.fixed.klass == REJECTED
