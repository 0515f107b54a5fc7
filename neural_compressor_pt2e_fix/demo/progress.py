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

Each model's steps run in order in one lane. A lane's exclusive steps run with no other step beside them; its shared
steps (compiling) run beside other lanes' shared steps. Every step comes with what it takes on the machine of
docs/benchmarks.md, so a run is expected to take the exclusive seconds of all lanes plus the shared seconds of the
lane with the most. The estimate of the time left scales what is expected of the steps not yet started by this run's
pace: the time since the first step over what was expected of the steps started before the current ones, once that
is a tenth of the run (before, the expected seconds as they are).
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

    Args:
        stream (file, optional): Where to write. Defaults to ``sys.stderr``.
        clock (Callable[[], float], optional): The time in seconds. Defaults to ``time.perf_counter``.
    """

    def __init__(self, stream=None, clock=time.perf_counter):
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.start = clock()
        # lane -> [[(expected seconds, shared), ...], index of the running or next step, its start or None, its text]
        self.lanes = {}
        self.started = 0  # steps started, over all lanes
        self.first = None  # when the first step started
        self.last = self.start  # when the last line was written

    def __call__(self, text):
        """Write one line."""
        self.last = self.clock()
        print(f"[{self.last - self.start:6.1f} s] {text}", file=self.stream, flush=True)

    def add(self, lane, steps):
        """Announce a lane's steps.

        Args:
            lane (str): Its name, e.g. the model's.
            steps (Sequence[tuple[float, bool]]): For each step in order, what it takes on the reference machine and
                whether it is shared (runs beside other lanes' shared steps).
        """
        self.lanes[lane] = [list(steps), 0, None, ""]

    @property
    def total(self):
        """The number of steps of all lanes."""
        return sum(len(steps) for steps, *_ in self.lanes.values())

    def _expected(self, started):
        """The expected seconds of the steps started before the current ones (True) or of all the others (False)."""
        exclusive, shared = 0.0, [0.0]
        for steps, index, *_ in self.lanes.values():
            part = steps[:index] if started else steps[index:]
            exclusive += sum(seconds for seconds, is_shared in part if not is_shared)
            shared.append(sum(seconds for seconds, is_shared in part if is_shared))
        return exclusive + max(shared)

    def left(self):
        """Return the estimated seconds left (see the module's docstring).

        Returns:
            float: The estimate.
        """
        done, left = self._expected(True), self._expected(False)
        factor = (self.clock() - self.first) / done if done >= (done + left) / 10 else 1.0
        return factor * left

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
        self.started += 1
        self(f"step {self.started}/{self.total}, about {duration(self.left())} left: {lane}: {text}")

    def idle(self, lane):
        """Note that a lane's running step is done (it waits to start the next one)."""
        state = self.lanes[lane]
        if state[2] is not None:
            state[1:3] = [state[1] + 1, None]

    def heartbeat(self):
        """Write a line with the running steps if no line was written for :data:`HEARTBEAT` seconds."""
        now = self.clock()
        running = [
            f"{lane}: {text} ({duration(now - started)})"
            for lane, (_, _, started, text) in self.lanes.items()
            if started is not None
        ]
        if running and now - self.last >= HEARTBEAT:
            self(f"still running: {'; '.join(running)}")
