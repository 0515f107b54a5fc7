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
"""The demo's progress lines: "step n/N" with an estimate of the time left, and a line at least every few seconds.

Each model's steps run in order in one lane; lanes run side by side. Every step comes with what it takes on the
machine of docs/benchmarks.md. The estimate scales the expected seconds of the steps left by how this run compares:
left = (elapsed / expected seconds of the finished steps) x the expected seconds left in the slowest lane, once a
tenth of the longest lane is done (before, the expected seconds as they are).
"""

import sys
import time

# A line at least this often (seconds) while a step runs.
HEARTBEAT = 10.0


def duration(seconds):
    """Format a duration for a progress line, e.g. ``"2 min 05 s"`` or ``"40 s"``."""
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class Progress:
    """Progress lines on a stream (stderr by default), each with the time since the start.

    Step lines wait until every lane has announced its steps (:meth:`add`), so that N is the same on every line.

    Args:
        lanes (int): How many lanes will announce their steps.
        stream (file, optional): Where to write. Defaults to ``sys.stderr``.
        clock (Callable[[], float], optional): The time in seconds. Defaults to ``time.perf_counter``.
    """

    def __init__(self, lanes, stream=None, clock=time.perf_counter):
        self.expected = lanes
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.start = clock()
        self.lanes = {}  # lane -> [expected seconds per step, index of the running step, when it started, its text]
        self.started = 0  # steps started, over all lanes
        self.first = None  # when the first step started
        self.last = self.start  # when the last line was written
        self.pending = []  # step lines held back until every lane has announced its steps

    def __call__(self, text):
        """Write one line."""
        self.last = self.clock()
        print(f"[{self.last - self.start:6.1f} s] {text}", file=self.stream, flush=True)

    def add(self, lane, seconds):
        """Announce a lane's steps.

        Args:
            lane (str): Its name, e.g. the model's.
            seconds (Sequence[float]): What each of its steps takes on the reference machine, in order.
        """
        self.lanes[lane] = [list(seconds), -1, None, ""]
        if len(self.lanes) == self.expected:
            for line in self.pending:
                self._step_line(*line)
            self.pending = []

    @property
    def total(self):
        """The number of steps of all lanes."""
        return sum(len(seconds) for seconds, *_ in self.lanes.values())

    def left(self):
        """Return the estimated seconds left.

        Until a tenth of the longest lane is done, at the reference machine's speed; from then on scaled by this run's
        speed so far.

        Returns:
            float: The estimate.
        """
        now = self.clock()
        done = max(sum(seconds[: max(index, 0)]) for seconds, index, *_ in self.lanes.values())
        longest = max(sum(seconds) for seconds, *_ in self.lanes.values())
        factor = (now - self.first) / done if done >= longest / 10 else 1.0
        remaining = []
        for seconds, index, started, _ in self.lanes.values():
            if index < 0:
                remaining.append(sum(seconds))
            else:
                current = max(seconds[index] - (now - started) / factor, 0) if index < len(seconds) else 0
                remaining.append(current + sum(seconds[index + 1 :]))
        return factor * max(remaining)

    def step(self, lane, index, text):
        """Show that a lane starts its step ``index`` (from 0), counting steps over all lanes.

        Args:
            lane (str): The lane.
            index (int): The step.
            text (str): What the step does.
        """
        now = self.clock()
        self.first = now if self.first is None else self.first
        self.lanes[lane][1:] = [index, now, text]
        if len(self.lanes) < self.expected:
            self.pending.append((lane, text))
        else:
            self._step_line(lane, text)

    def _step_line(self, lane, text):
        self.started += 1
        self(f"step {self.started}/{self.total}, about {duration(self.left())} left: {lane}: {text}")

    def finish(self, lane):
        """Show nothing more for a lane: all its steps are done."""
        seconds = self.lanes[lane][0]
        self.lanes[lane][1:] = [len(seconds), self.clock(), ""]

    def heartbeat(self):
        """Write a line with the running steps if no line was written for :data:`HEARTBEAT` seconds."""
        now = self.clock()
        running = [
            f"{lane}: {text} ({duration(now - started)})"
            for lane, (seconds, index, started, text) in self.lanes.items()
            if 0 <= index < len(seconds)
        ]
        if running and now - self.last >= HEARTBEAT:
            self(f"still running: {'; '.join(running)}")
