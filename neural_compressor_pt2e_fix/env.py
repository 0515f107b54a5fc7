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
"""``inc-pt2e-fix env``: the running stack, the defects of the installed INC's observer factory, the patch state.

The defects are found by calling the factory functions of INC's ``pt2e_quant.utility`` module with chosen settings
and inspecting what they return or raise; no model is run. The same probes run on this package's factory, which
must have none of them. Each probe compares with a value fixed here (the observer class, eps 2**-12, the qscheme),
never with this package's tables, so that it finds a defect in either factory.
"""

import contextlib
import importlib

import torch

from neural_compressor.torch.quantization import StaticQuantConfig
from neural_compressor_pt2e_fix.common import first_line, observer_class, stack
from neural_compressor_pt2e_fix.patch import apply_patch, inc_version, is_patched, remove_patch
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import utility
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import MinMaxObserver, PerChannelMinMaxObserver

_INC_UTILITY = "neural_compressor.torch.algorithms.pt2e_quant.utility"
# The eps of torchao's default X86 config: what a factory's observers must use, so that results can match it.
_X86_EPS = 2**-12

# (torch, INC) of every stack the whole suite passes on: requirements/primary.txt, seed.txt and stack-*.txt, measured
# as the README's "Supported stacks" table says.
MEASURED_STACKS = (
    ("2.4.1", "3.0.2"),
    ("2.5.1", "3.1.1"),
    ("2.7.1", "3.5"),
    ("2.8.0", "3.7"),
    ("2.9.1", "3.8"),
    ("2.10.0", "3.9"),
    ("2.11.0", "3.10"),
    ("2.14.1", "3.10"),
)


def _observer(spec):
    """Instantiate a per-tensor spec's observer with the arguments prepare derives from the spec."""
    return spec.observer_or_fake_quant_ctr(
        dtype=spec.dtype, qscheme=spec.qscheme, quant_min=spec.quant_min, quant_max=spec.quant_max
    )


def _attempt(call, *args, **kwargs):
    """Call ``call(*args, **kwargs)``; return (its result, None), or (None, the exception it raised)."""
    try:
        return call(*args, **kwargs), None
    except Exception as exc:
        return None, exc


def _spec(factory, *args):
    return factory.create_quant_spec_from_config(*args)


def _mapped(factory, **fields):
    return factory._map_inc_config_to_torch_quant_config(StaticQuantConfig(**fields))


def _check_per_channel_observer(factory):
    cls = observer_class(_spec(factory, "int8", True, "per_channel", "minmax"))
    return not issubclass(cls, PerChannelMinMaxObserver), cls.__name__


def _check_affine_per_channel(factory):
    spec, exc = _attempt(_spec, factory, "int8", False, "per_channel", "minmax")
    if exc is not None:
        return False, first_line(exc)
    return spec.qscheme != torch.per_channel_affine, f"qscheme={spec.qscheme}"


def _check_minmax_observer(factory):
    cls = observer_class(_spec(factory, "uint8", False, "per_tensor", "minmax"))
    return cls is not MinMaxObserver, cls.__name__


def _check_eps(factory):
    eps = float(_observer(_spec(factory, "uint8", False, "per_tensor", "minmax")).eps)
    return eps != _X86_EPS, f"eps={eps:.3g}"


def _check_unknown_dtype(factory):
    _, exc = _attempt(_spec, factory, "int4", True, "per_tensor", "minmax")
    return isinstance(exc, KeyError), first_line(exc) if exc else "accepted"


def _check_kl_per_channel(factory):
    spec, exc = _attempt(_spec, factory, "int8", True, "per_channel", "kl")
    if exc is not None:
        return False, first_line(exc)
    return True, f"{observer_class(spec).__name__} with {spec.qscheme}"


def _check_affine_weights(factory):
    config, exc = _attempt(_mapped, factory, w_sym=False)
    return exc is None, first_line(exc) if exc else f"weight qscheme={config.weight.qscheme}"


def _check_uint8_weights(factory):
    config, exc = _attempt(_mapped, factory, w_dtype="uint8")
    return exc is None, first_line(exc) if exc else f"weight dtype={config.weight.dtype}"


def _check_per_channel_activations(factory):
    config, exc = _attempt(_mapped, factory, act_granularity="per_channel", act_sym=True)
    if exc is not None:
        return False, first_line(exc)
    spec = config.input_activation
    return True, f"qscheme={spec.qscheme}, ch_axis={spec.ch_axis}"


def _check_float_activation(factory):
    _, exc = _attempt(_mapped, factory, act_dtype="fp32")
    return isinstance(exc, KeyError), first_line(exc) if exc else "accepted"


def _check_output_activation(factory):
    config = _mapped(factory, act_sym=True, act_algo="kl")
    output, expected = config.output_activation, config.input_activation
    ignored = (output.dtype, output.qscheme, observer_class(output)) != (
        expected.dtype,
        expected.qscheme,
        observer_class(expected),
    )
    return ignored, f"output activation: {output.dtype}, {output.qscheme}, {observer_class(output).__name__}"


# (what the defect is, the probe: factory module -> (has the defect, evidence)). A probe that raises, because the
# factory raised on a setting it must build, counts as finding the defect.
PROBES = (
    ("per_channel weights (the default) get a per-tensor observer", _check_per_channel_observer),
    ("per_channel with sym=False becomes per_tensor_affine", _check_affine_per_channel),
    ('"minmax" is not MinMaxObserver', _check_minmax_observer),
    ("observers use an eps other than 2**-12 (torchao's X86 default)", _check_eps),
    ("an unknown dtype raises a bare KeyError", _check_unknown_dtype),
    ("kl with per_channel is accepted (HistogramObserver is per-tensor only)", _check_kl_per_channel),
    ("w_sym=False is accepted (the X86 quantizer fails later, naming no field)", _check_affine_weights),
    ("w_dtype='uint8' is accepted (fails only at compile)", _check_uint8_weights),
    ("per_channel activations are accepted (the X86 quantizer asserts later)", _check_per_channel_activations),
    ("act_dtype='fp32' with int8 weights raises a bare KeyError", _check_float_activation),
    ("the output activation ignores the act_* settings", _check_output_activation),
)


@contextlib.contextmanager
def _unpatched():
    """Remove the patch for the duration of a ``with`` block, and re-apply it if it was applied."""
    was_patched = is_patched()
    remove_patch()
    try:
        yield
    finally:
        if was_patched:
            apply_patch()


def probe(factory):
    """Run every probe of :data:`PROBES` on a factory module.

    Args:
        factory (module): A module with INC's factory functions ``create_quant_spec_from_config`` and
            ``_map_inc_config_to_torch_quant_config``.

    Returns:
        list[tuple[str, bool, str]]: For each probe: what the defect is, whether the factory has it, and the
        evidence (what the factory returned or raised).
    """
    results = []
    for defect, check in PROBES:
        result, exc = _attempt(check, factory)
        results.append((defect, *(result if exc is None else (True, f"raised {first_line(exc)}"))))
    return results


def probe_inc():
    """Probe the installed INC's own factory functions, with the patch removed while probing.

    Returns:
        list[tuple[str, bool, str]]: As :func:`probe`.
    """
    with _unpatched():
        return probe(importlib.import_module(_INC_UTILITY))


def measured_stack_note(torch_version, inc):
    """Say whether a torch and INC pair is one of :data:`MEASURED_STACKS`.

    Args:
        torch_version (str): The torch version, with or without a local part (``2.5.1+cpu``).
        inc (str or None): The INC version, None if INC is not installed.

    Returns:
        str: One line for ``inc-pt2e-fix env``.
    """
    torch_version = torch_version.split("+")[0]
    if (torch_version, inc) in MEASURED_STACKS:
        return "a measured stack (README, Supported stacks)"
    torches = [measured_torch for measured_torch, measured_inc in MEASURED_STACKS if measured_inc == inc]
    if torches:
        return (
            f"not measured: INC {inc} is measured with torch {', '.join(torches)}, not torch {torch_version} "
            "(README, Supported stacks)"
        )
    incs = ", ".join(dict.fromkeys(measured_inc for _, measured_inc in MEASURED_STACKS))
    return (
        f"not measured: INC {inc} is outside the measured INC releases ({incs}); the patch applies where INC's PT2E "
        "layout matches, but no result is measured here (README, Supported stacks)"
    )


def run(args):
    """Run ``inc-pt2e-fix env``.

    Args:
        args (argparse.Namespace): The parsed arguments (none are used).

    Returns:
        int: 0.
    """
    patch_state = "yes (the probes below ran on INC's original functions)" if is_patched() else "no"
    fields = {**stack(), "patch applied": patch_state}
    fields["support"] = measured_stack_note(torch.__version__, fields["INC"])
    for name, value in fields.items():
        print(f"{name}: {value}")
    inc_column = f"INC {inc_version()}"
    print()
    print("Defects of the observer factory, probed by calling it (no model run):")
    print(f"{inc_column:<10}  {'fixed':<5}  defect (what INC's factory returned or raised)")
    for (defect, present, evidence), (_, fixed, _) in zip(probe_inc(), probe(utility)):
        detail = f" ({evidence})" if present else ""
        print(f"{'yes' if present else 'no':<10}  {'yes' if fixed else 'no':<5}  {defect}{detail}")
    return 0
