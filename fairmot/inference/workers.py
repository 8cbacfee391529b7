"""``--workers N``: several processes on this machine, each with its share of the cores, taking
sources from one queue until none is left.

Every worker loads the model once and tracks whole sources (:func:`fairmot.inference.batch.track_one`),
so a slow source never holds up the others. The parent hands out work, prints each source's
summary as it finishes, and watches the workers: a worker that dies (killed, out of memory) fails
only the source it had, and a fresh one takes its place. Stop signals (Ctrl-C, SIGTERM, SIGHUP)
reach the parent, which asks every worker to stop at its next safe point (their frames written,
their records marked incomplete); a second signal stops them at once.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import time
from typing import Callable, Dict, List, Optional, Sequence

from fairmot.errors import UserError
from fairmot.utils.stop_signals import STOP_SIGNALS, Interrupted, StopAtSafePoint, stop_signals_interrupt

from .batch import SourceOutcome, TrackJob, describe_failure, track_one
from .source_list import SourceSpec


class _ModelFailed(Exception):
    """The worker cannot load the model (reported to the parent as fatal)."""


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_PROGRESS_EVERY_S = 1.0


def available_cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def threads_per_process(processes: int, threads: Optional[int] = None) -> int:
    """Each of ``processes`` processes' share of this machine's cores (``threads`` if given)."""
    return threads if threads else max(available_cores() // max(processes, 1), 1)


def _worker_main(worker_id: int, job: TrackJob, specs: List[SourceSpec], tasks, results, rank: int) -> None:
    """A worker: take source indices from ``tasks`` until None, report to ``results``."""
    for signum in STOP_SIGNALS:  # the parent decides when to stop and tells us with SIGTERM
        if signum != signal.SIGTERM:
            signal.signal(signum, signal.SIG_IGN)
    with contextlib.suppress(Interrupted), stop_signals_interrupt():
        # SIGTERM between sources raises here: clean-up runs, nothing is left half-written
        _work(worker_id, job, specs, tasks, results, rank)


def _work(worker_id, job, specs, tasks, results, rank):
    import cv2
    cv2.setNumThreads(job.detector.get("threads") or 1)
    detector = []

    def detector_factory():
        if not detector:
            from fairmot.cli.common import make_detector
            try:
                detector.append(make_detector(**job.detector))
            except UserError as err:  # the model itself: every source would fail the same way
                results.put(("fatal", worker_id, str(err)))
                raise _ModelFailed() from None
        return detector[0]

    last = [0.0]

    def progress(frames: int) -> None:
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_EVERY_S:
            last[0] = now
            results.put(("progress", worker_id, frames))

    from .pipeline import StreamLost, TrackingInterrupted
    while True:
        index = tasks.get()
        if index is None:
            return
        spec = specs[index]
        results.put(("start", worker_id, index))
        try:
            outcome = track_one(spec, detector_factory, job, rank, on_progress=progress)
        except TrackingInterrupted as stop:
            results.put(("outcome", worker_id, index, SourceOutcome(
                spec, "interrupted", getattr(stop, "record", None), text=stop.summary.format())))
            return
        except _ModelFailed:
            return
        except (Interrupted, KeyboardInterrupt):
            results.put(("outcome", worker_id, index, SourceOutcome(spec, "interrupted", error="stopped")))
            return
        except StreamLost as lost:
            outcome = SourceOutcome(spec, "lost", getattr(lost, "record", None), error=str(lost),
                                    text=lost.summary.format())
        except Exception as err:  # noqa: BLE001 - reported, the worker goes on with the next source
            outcome = SourceOutcome(spec, "failed", error=describe_failure(err))
        results.put(("outcome", worker_id, index, outcome))


@contextlib.contextmanager
def _thread_environment(threads: int):
    """Thread counts for the workers' libraries, read when they start (spawned processes copy it)."""
    previous = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def track_in_workers(specs: Sequence[SourceSpec], job: TrackJob, workers: int,
                     report: Callable[[SourceOutcome], None],
                     on_frames: Optional[Callable[[int], None]] = None, rank: int = 0) -> List[SourceOutcome]:
    """Track ``specs`` on ``workers`` processes; ``report`` gets each outcome as it comes, in the
    parent, and ``on_frames`` the frames done since its last call. Returns the outcomes in the
    order of ``specs`` (sources not started because of a stop are left out). Re-raises the stop
    signal as :class:`~fairmot.utils.stop_signals.Interrupted` once the workers have stopped."""
    specs = list(specs)
    workers = max(1, min(workers, len(specs)))
    threads = threads_per_process(workers, job.detector.get("threads"))
    job.detector = dict(job.detector, threads=threads)
    job.progress = False
    context = multiprocessing.get_context("spawn")
    tasks, results = context.Queue(), context.Queue()
    for index in range(len(specs)):
        tasks.put(index)
    for _ in range(workers):
        tasks.put(None)

    processes: Dict[int, multiprocessing.Process] = {}
    current: Dict[int, Optional[int]] = {}
    frames_seen: Dict[int, int] = {}
    outcomes: Dict[int, SourceOutcome] = {}
    next_id = [0]
    fatal: List[str] = []

    def start_worker():
        worker_id = next_id[0]
        next_id[0] += 1
        with _thread_environment(threads):
            process = context.Process(target=_worker_main, name=f"fairmot-worker-{worker_id}", daemon=True,
                                      args=(worker_id, job, specs, tasks, results, rank))
            process.start()
        processes[worker_id], current[worker_id] = process, None

    def handle(message):
        kind, worker_id = message[0], message[1]
        if kind == "start":
            current[worker_id] = message[2]
            frames_seen[worker_id] = 0
        elif kind == "progress":
            if on_frames is not None:
                on_frames(message[2] - frames_seen.get(worker_id, 0))
            frames_seen[worker_id] = message[2]
        elif kind == "fatal":
            fatal.append(message[2])
            current[worker_id] = None
        elif kind == "outcome":
            index, outcome = message[2], message[3]
            if on_frames is not None and outcome.record:
                on_frames(outcome.record.get("frames", 0) - frames_seen.get(worker_id, 0))
            frames_seen[worker_id] = 0
            current[worker_id] = None
            outcomes[index] = outcome
            report(outcome)

    forwarded = False
    with StopAtSafePoint() as stop:  # a second signal raises here: the daemon workers are ended with us
        for _ in range(workers):
            start_worker()
        while processes:
            if (stop.requested or fatal) and not forwarded:
                forwarded = True
                for process in processes.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGTERM)
                with contextlib.suppress(Exception):
                    while True:
                        tasks.get_nowait()  # nothing new is started
            try:
                handle(results.get(timeout=0.2))
                continue
            except queue.Empty:
                pass
            for worker_id, process in list(processes.items()):
                if process.is_alive():
                    continue
                process.join()
                # its last messages may still be in the queue
                with contextlib.suppress(queue.Empty):
                    while True:
                        handle(results.get(timeout=0.2))
                del processes[worker_id]
                index = current.pop(worker_id, None)
                if index is not None and index not in outcomes:
                    code = process.exitcode
                    why = f"killed by {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
                    outcomes[index] = SourceOutcome(specs[index], "failed",
                                                    error=f"the worker process died ({why}) while tracking it")
                    report(outcomes[index])
                    if not (stop.requested or fatal):
                        start_worker()
        if fatal:
            raise UserError(fatal[0])
        if stop.requested:
            raise Interrupted(stop.signum)
    return [outcomes[i] for i in range(len(specs)) if i in outcomes]


__all__ = ["track_in_workers", "threads_per_process", "available_cores"]
