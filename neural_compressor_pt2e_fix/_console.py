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
"""Console helpers shared by the subcommands."""

import contextlib
import logging
import warnings

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
