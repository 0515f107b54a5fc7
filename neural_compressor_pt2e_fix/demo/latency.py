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

1. No other process competed for the cores during the runs: the CPU time the other processes took, divided by the
   duration of the runs, is at most a tenth of the cores this process may use (:data:`OTHERS_LIMIT`). It is read from
   ``/proc/stat`` (the busy time of all CPUs, time stolen by the hypervisor included) minus this process's own CPU
   time, just before and after the runs: "unreliable: other processes used 0.60 of 2 cores". The 1-minute load average
   (``os.getloadavg()``) cannot tell: it also counts the demo's own compiling of the minute before, up to 3 on a quiet
   2-core machine (docs/benchmarks.md). Without ``/proc/stat``, the load average minus this process's threads stands in.
2. The two interquartile ranges do not overlap: the middle halves of the two sets of runs are apart, so the order of
   the medians is not an accident of the spread: "unreliable: IQRs overlap".
"""

import dataclasses
import os
import statistics
import time

import torch

# The share of the cores other processes may take during the runs for a speed-up to be shown.
OTHERS_LIMIT = 0.1


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


def _cpu_seconds():
    """Return the busy CPU seconds of the whole machine and of this process so far (None, None without /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            user, nice, system, _, _, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    except OSError:
        return None, None
    own = os.times()
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK"), own.user + own.system


def interleaved(functions, inputs, runs, warmup):
    """Time some functions on the same inputs, one call of each in turn.

    Args:
        functions (dict): Label -> callable, called with ``*inputs``.
        inputs (tuple): The inputs.
        runs (int): Timed calls of each function.
        warmup (int): Untimed calls of each function first, in the same order.

    Returns:
        tuple[dict, float]: Label -> :class:`Latency`, and how many cores other processes kept busy on average
        during the timed calls (see the module's docstring).
    """
    for _ in range(warmup):
        for function in functions.values():
            function(*inputs)
    times = {label: [] for label in functions}
    (busy, own), start = _cpu_seconds(), time.perf_counter()
    for _ in range(runs):
        for label, function in functions.items():
            begin = time.perf_counter()
            function(*inputs)
            times[label].append(1000 * (time.perf_counter() - begin))
    (busy_after, own_after), elapsed = _cpu_seconds(), time.perf_counter() - start
    if busy is None:
        others = max(os.getloadavg()[0] - torch.get_num_threads(), 0.0)
    else:
        others = max(busy_after - busy - (own_after - own), 0.0) / elapsed
    return {label: Latency.of(values) for label, values in times.items()}, others


def speedup(reference, candidate, others, cores):
    """Return the speed-up of a candidate over a reference, or why it is not reliable (see the module's docstring).

    Args:
        reference (Latency): E.g. the fp32 model's runs.
        candidate (Latency): E.g. the int8 model's runs, interleaved with the reference's.
        others (float): The cores other processes kept busy during the runs (:func:`interleaved`).
        cores (int): The cores this process may use.

    Returns:
        str: E.g. ``"2.23x"``, ``"unreliable: other processes used 0.60 of 2 cores"`` or ``"unreliable: IQRs
        overlap"``.
    """
    if others > OTHERS_LIMIT * cores:
        return f"unreliable: other processes used {others:.2f} of {cores} cores"
    if candidate.q1 <= reference.q3 and reference.q1 <= candidate.q3:
        return "unreliable: IQRs overlap"
    return f"{reference.median / candidate.median:.2f}x"


def table(latency, labels, cores, reference="fp32"):
    """Render interleaved timings as table rows, one per batch size, each config with its speed-up over fp32.

    Args:
        latency (dict): Batch size -> (label -> :class:`Latency`, others), as :func:`interleaved` returns.
        labels (Sequence[str]): The candidates' labels, in column order.
        cores (int): The cores this process may use.
        reference (str): The reference's label.

    Returns:
        list[str]: The header row and one row per batch size.
    """
    headers = ["batch", "others", f"{reference} (ms)"]
    for label in labels:
        headers += [f"{label} (ms)", "speed-up"]
    rows = []
    for size, (times, others) in latency.items():
        row = [str(size), f"{others:.2f}", str(times[reference])]
        for label in labels:
            row += [str(times[label]), speedup(times[reference], times[label], others, cores)]
        rows.append(row)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    return ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)).rstrip() for row in [headers, *rows]]
