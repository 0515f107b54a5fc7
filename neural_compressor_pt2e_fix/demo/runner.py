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
"""Run the demo's models side by side, one worker process each, sharing the cores only while compiling.

Each model's steps (:meth:`~.pipeline.Measurement.steps`) run in its own worker process. A worker asks before each
step and waits for the go. Steps that compute with torch's thread pool (eager passes, calibration, timing) get the
machine to themselves: two of them at once on the same cores make OpenMP threads wait for each other, several times
slower than one after the other, and a timing would measure the contention. Compiling is mostly inductor's
single-threaded Python and its compiler processes, so the workers' compile steps run side by side. Requests are
granted in the order they came; none before every worker has announced its steps. This process only coordinates (it
imports no torch) and writes the progress lines (:mod:`.progress`); the reports come back in the order of the models.

The workers start with glibc's malloc told to keep freed memory for reuse (:data:`MALLOC_SETTINGS`, unless the
environment already sets them). With its defaults, each large tensor of an eager pass or of a compiled model's call is
mapped from the kernel and returned to it when freed, and touching the fresh pages costs more than the arithmetic:
measured on the full demo (Intel Xeon with AMX, 2 cores, quiet), 211 s with the defaults and 161 s with these
settings, system time 83 s and 24 s, the same accuracy figures and speed-ups within 0.04x, the fp32 Lite0 at batch 8
66.6 ms and 41.6 ms. jemalloc and tcmalloc, which PyTorch's CPU launcher (``torch.backends.xeon.run_cpu``) preloads
where installed, keep freed memory too.
"""

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import traceback

from neural_compressor_pt2e_fix.demo.progress import HEARTBEAT, Progress, duration

# glibc malloc settings of the workers: no heap trimming below 1 GiB, 64 MiB extra per heap growth, and mmap only
# for blocks over 32 MiB (the most glibc allows), which also fixes the threshold glibc would otherwise move.
MALLOC_SETTINGS = {
    "MALLOC_TRIM_THRESHOLD_": str(1 << 30),
    "MALLOC_TOP_PAD_": str(64 << 20),
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
}


@contextlib.contextmanager
def malloc_settings():
    """Put :data:`MALLOC_SETTINGS` into the environment the workers start with, keeping any value already set."""
    added = {name: value for name, value in MALLOC_SETTINGS.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            del os.environ[name]


def _work(name, plan_name, out, connection):
    """Run one model's steps in this (worker) process, talking to :func:`run` over ``connection``.

    Messages sent: ``("steps", title, [(expected seconds, shared), ...])``, ``("request", index, text, shared)``
    before each step (then it waits for ``"go"``), ``("report", text)`` at the end, or ``("error", text)``.
    """
    try:
        from neural_compressor_pt2e_fix.demo import pipeline

        pipeline.work(name, plan_name, out, connection)
    except BaseException as exc:  # everything reaches the coordinator, which raises it there
        connection.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class _Workers:
    """The worker processes of one demo run, their requests, and which steps run."""

    def __init__(self, names, plan_name, out, progress):
        self.progress = progress
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked torch thread pools
        self.running = {}  # connection -> [name, process, title once known]
        with malloc_settings():
            for name in names:
                connection, child = context.Pipe()
                process = context.Process(target=_work, args=(name, plan_name, out, child), daemon=True)
                process.start()
                child.close()
                self.running[connection] = [name, process, None]
        self.reports, self.requests, self.busy = {}, [], {}  # busy: connection -> whether its step is shared

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
        self.busy.pop(connection, None)
        if kind == "steps":
            self.running[connection][2] = payload[0]
            self.progress.add(*payload)
            self.progress(f"{payload[0]}: model and data loaded, {len(payload[1])} steps")
            return
        self.progress.idle(title)
        if kind == "request":
            self.requests.append((connection, *payload))
        elif kind == "report":
            self.reports[name] = payload[0]
            del self.running[connection]
            process.join()

    def grant(self):
        """Start the requested steps that may run now, in the order they were asked for.

        An exclusive step starts when no step runs; a shared one when only shared steps run. None starts before
        every worker has announced its steps.
        """
        if any(title is None for _, _, title in self.running.values()):
            return
        while self.requests:
            connection, index, text, shared = self.requests[0]
            if self.busy and not (shared and all(self.busy.values())):
                return
            self.requests.pop(0)
            self.busy[connection] = shared
            self.progress.step(self.running[connection][2], index, text)
            connection.send("go")

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
    progress = Progress(stream)
    workers = _Workers(names, plan_name, out, progress)
    progress(f"started {len(names)} worker process(es) for {', '.join(names)} (each imports torch and INC first)")
    try:
        while workers.running:
            arrived = multiprocessing.connection.wait(list(workers.running), timeout=HEARTBEAT)
            for connection in arrived:
                workers.receive(connection)
            workers.grant()
            progress.heartbeat()
    finally:
        workers.stop()
    progress(f"done in {duration(progress.clock() - progress.start)}")
    return [workers.reports[name] for name in names]
