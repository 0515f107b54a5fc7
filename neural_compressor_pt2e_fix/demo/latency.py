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
"""Latency of compiled models: interleaved runs, their median and spread, and when a speed-up can be trusted.

The models of one batch size are timed in turn (fp32, int8 A, int8 B, fp32, ...), so that a change in the machine's
speed during the runs hits them all alike. Each model's figure is the median of its runs with the interquartile range
(the first and third quartiles, ``statistics.quantiles(method="inclusive")``).

A speed-up (reference median / candidate median) is printed only when both hold (:func:`speedup`); otherwise the
table says why not:

1. The machine was not busy: the 1-minute load average (``os.getloadavg()``), read before and after the runs, is at
   most the number of cores this process may use. The timed runs themselves add at most one runnable thread per core
   (``torch.get_num_threads()`` is at most the cores), so a higher load means other processes competed for the cores
   during the last minute: "unreliable: load 3.1 on 2 cores".
2. The two interquartile ranges do not overlap: the middle halves of the two sets of runs are apart, so the order of
   the medians is not an accident of the spread: "unreliable: IQRs overlap".
"""

import dataclasses
import os
import statistics
import time


@dataclasses.dataclass(frozen=True)
class Latency:
    """The spread of a model's timed runs, in milliseconds.

    Attributes:
        median (float): The median run.
        q1 (float): The first quartile.
        q3 (float): The third quartile.
    """

    median: float
    q1: float
    q3: float

    @classmethod
    def of(cls, times):
        """Summarise timed runs.

        Args:
            times (Sequence[float]): At least two run times, in milliseconds.

        Returns:
            Latency: Their median and quartiles.
        """
        q1, median, q3 = statistics.quantiles(times, n=4, method="inclusive")
        return cls(median, q1, q3)

    def __str__(self):
        return f"{self.median:.2f} [{self.q1:.2f}, {self.q3:.2f}]"


def usable_cores():
    """Return the number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def interleaved(functions, inputs, runs, warmup):
    """Time some functions on the same inputs, one call of each in turn.

    Args:
        functions (dict): Label -> callable, called with ``*inputs``.
        inputs (tuple): The inputs.
        runs (int): Timed calls of each function.
        warmup (int): Untimed calls of each function first, in the same order.

    Returns:
        tuple[dict, float]: Label -> :class:`Latency`, and the larger 1-minute load average of the two read before
        and after the timed calls.
    """
    for _ in range(warmup):
        for function in functions.values():
            function(*inputs)
    load = os.getloadavg()[0]
    times = {label: [] for label in functions}
    for _ in range(runs):
        for label, function in functions.items():
            start = time.perf_counter()
            function(*inputs)
            times[label].append(1000 * (time.perf_counter() - start))
    load = max(load, os.getloadavg()[0])
    return {label: Latency.of(values) for label, values in times.items()}, load


def speedup(reference, candidate, load, cores):
    """Return the speed-up of a candidate over a reference, or why it is not reliable (see the module's docstring).

    Args:
        reference (Latency): E.g. the fp32 model's runs.
        candidate (Latency): E.g. the int8 model's runs, interleaved with the reference's.
        load (float): The load average during the runs (:func:`interleaved`).
        cores (int): The cores this process may use.

    Returns:
        str: E.g. ``"2.23x"``, ``"unreliable: load 3.1 on 2 cores"`` or ``"unreliable: IQRs overlap"``.
    """
    if load > cores:
        return f"unreliable: load {load:.1f} on {cores} cores"
    if candidate.q1 <= reference.q3 and reference.q1 <= candidate.q3:
        return "unreliable: IQRs overlap"
    return f"{reference.median / candidate.median:.2f}x"


def table(latency, labels, cores, reference="fp32"):
    """Render interleaved timings as table rows, one per batch size, each config with its speed-up over fp32.

    Args:
        latency (dict): Batch size -> (label -> :class:`Latency`, load), as :func:`interleaved` returns.
        labels (Sequence[str]): The candidates' labels, in column order.
        cores (int): The cores this process may use.
        reference (str): The reference's label.

    Returns:
        list[str]: The header row and one row per batch size.
    """
    headers = ["batch", "load", f"{reference} (ms)"]
    for label in labels:
        headers += [f"{label} (ms)", "speed-up"]
    rows = []
    for size, (times, load) in latency.items():
        row = [str(size), f"{load:.1f}", str(times[reference])]
        for label in labels:
            row += [str(times[label]), speedup(times[reference], times[label], load, cores)]
        rows.append(row)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    return ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)).rstrip() for row in [headers, *rows]]
