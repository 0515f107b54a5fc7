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
"""Run the demo's models side by side, one worker process each, and time them one at a time.

Compiling leaves cores idle (inductor's Python work is single-threaded), so each model runs its steps
(:meth:`~.pipeline.Measurement.steps`) in its own process, all at once. The timing steps need the machine to
themselves: a worker that reaches them waits until every other worker has reached them or finished, then the workers
time one after the other. This process only coordinates (it imports no torch) and writes the progress lines
(:mod:`.progress`) and, at the end, the reports in the order of the models.
"""

import multiprocessing
import multiprocessing.connection
import traceback

from neural_compressor_pt2e_fix.demo.progress import HEARTBEAT, Progress, duration


def _work(name, plan_name, out, connection):
    """Run one model's steps in this (worker) process, talking to :func:`run` over ``connection``.

    Messages sent: ``("steps", title, [expected seconds, ...])``, ``("start", index, text)`` before each step,
    ``("ready",)`` before the first timing step, then (after ``"go"`` arrives) ``("report", text)``, or ``("error",
    text)``.
    """
    try:
        from neural_compressor_pt2e_fix.demo import pipeline

        pipeline.work(name, plan_name, out, connection)
    except BaseException as exc:  # everything reaches the coordinator, which raises it there
        connection.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class _Workers:
    """The worker processes of one demo run, what they said so far, and whose turn it is to time."""

    def __init__(self, names, plan_name, out, progress):
        self.progress = progress
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked torch thread pools
        self.running = {}  # connection -> [name, process, title once known]
        for name in names:
            connection, child = context.Pipe()
            process = context.Process(target=_work, args=(name, plan_name, out, child), daemon=True)
            process.start()
            child.close()
            self.running[connection] = [name, process, None]
        self.reports, self.waiting, self.timing = {}, [], None

    def receive(self, connection):
        """Handle one message of a worker.

        Raises:
            RuntimeError: The worker failed or died.
        """
        name, process, title = self.running[connection]
        try:
            kind, *payload = connection.recv()
        except EOFError:
            raise RuntimeError(f"the worker for {name} died (exit code {process.join(5) or process.exitcode})")
        if kind == "error":
            raise RuntimeError(f"{name}: {payload[0]}")
        if kind == "steps":
            self.running[connection][2] = payload[0]
            self.progress.add(*payload)
        elif kind == "start":
            self.progress.step(title, *payload)
        elif kind == "ready":
            self.waiting.append(connection)
        elif kind == "report":
            self.reports[name] = payload[0]
            self.progress.finish(title)
            self.timing = None if self.timing is connection else self.timing
            del self.running[connection]

    def let_one_time(self):
        """Let the first waiting worker time, once every worker still running waits (none is timing)."""
        if self.timing is None and self.waiting and len(self.waiting) == len(self.running):
            self.timing = self.waiting.pop(0)
            self.timing.send("go")

    def stop(self):
        """End the workers still running (after an error)."""
        for _, process, _ in self.running.values():
            process.terminate()


def run(names, plan_name, out, stream=None):
    """Run some models of the demo and return their reports.

    Args:
        names (Sequence[str]): Keys of :data:`~neural_compressor_pt2e_fix.demo.MODELS`.
        plan_name (str): "full" or "quick".
        out (pathlib.Path): The directory for the PNGs.
        stream (file, optional): Where the progress lines go. Defaults to stderr.

    Returns:
        list[str]: The reports, in the order of ``names``.

    Raises:
        RuntimeError: A worker failed (its error and traceback) or died.
    """
    progress = Progress(len(names), stream)
    workers = _Workers(names, plan_name, out, progress)
    progress(f"started {len(names)} worker process(es) for {', '.join(names)} (each imports torch and INC first)")
    try:
        while workers.running:
            arrived = multiprocessing.connection.wait(list(workers.running), timeout=HEARTBEAT)
            for connection in arrived:
                workers.receive(connection)
            workers.let_one_time()
            if not arrived:
                progress.heartbeat()
    finally:
        workers.stop()
    progress(f"done in {duration(progress.clock() - progress.start)}")
    return [workers.reports[name] for name in names]
