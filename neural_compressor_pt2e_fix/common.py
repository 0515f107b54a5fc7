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
"""What the subcommands share: the stack description, console helpers, SQNR and the observer of a spec.

``env``, ``matrix`` and ``demo`` import from here, never from each other. Importing this module imports neither torch
nor INC (the command line's ``--help`` uses :func:`first_line`); :func:`stack` imports torch when called.
"""

import contextlib
import logging
import math
import warnings
from importlib import metadata

from neural_compressor_pt2e_fix.patch import inc_version

# Loggers whose routine lines would break a progress display: INC's INFO lines, and torch's compile-time line
# about a missing CUDA runtime.
_NOISY_LOGGERS = ("neural_compressor", "torch.utils.cpp_extension")


@contextlib.contextmanager
def quiet():
    """Silence Python warnings and the routine log lines of INC and torch for the duration of a ``with`` block.

    Yields:
        None
    """
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def first_line(exc):
    """Summarise an exception on one line: its type and the first line of its message.

    A wrapper's first line that ends with a colon (inductor's ``backend='inductor' raised:``) announces the real
    error, so the next line is kept too.

    Args:
        exc (BaseException): The exception.

    Returns:
        str: E.g. ``"ValueError: w_sym=False is not supported: ..."``.
    """
    lines = [line for line in str(exc).strip().splitlines() if line.strip()] or [""]
    summary = " ".join(" ".join(lines[:2] if lines[0].endswith(":") else lines[:1]).split())
    return f"{type(exc).__name__}: {summary}"


def observer_class(spec):
    """Return the observer class of a quantization spec, unwrapping ``with_args``.

    Args:
        spec (QuantizationSpec): A spec whose ``observer_or_fake_quant_ctr`` is an observer class, or the partial
            that ``ObserverBase.with_args`` makes of one.

    Returns:
        type: The observer class.
    """
    ctr = spec.observer_or_fake_quant_ctr
    return getattr(getattr(ctr, "p", None), "func", ctr)


def sqnr_db(reference, approximation):
    """Return the signal-to-quantization-noise ratio of an approximation, in dB.

    ``10 * log10(sum(reference**2) / sum((reference - approximation)**2))`` over all elements, in float64: one
    power ratio for the whole set, not a mean of per-sample ratios.

    Args:
        reference (torch.Tensor): The exact values, e.g. the fp32 model's logits.
        approximation (torch.Tensor): The approximate values, same shape, e.g. the int8 model's logits.

    Returns:
        float: The SQNR in dB; ``math.inf`` if the approximation is exact.
    """
    reference = reference.double()
    noise = (reference - approximation.double()).pow(2).sum().item()
    if noise == 0:
        return math.inf
    return 10 * math.log10(reference.pow(2).sum().item() / noise)


def stack():
    """Return the versions of the running stack and the PT2E home in use.

    Returns:
        dict: "torch", "torchao" ("not installed" if absent), "INC" and "PT2E home" -> value.
    """
    # Imported here, so that importing this module does not import torch (see the module docstring).
    import torch

    from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import PT2E_HOME

    try:
        torchao = metadata.version("torchao")
    except metadata.PackageNotFoundError:
        torchao = "not installed"
    return {"torch": torch.__version__, "torchao": torchao, "INC": inc_version(), "PT2E home": PT2E_HOME}
