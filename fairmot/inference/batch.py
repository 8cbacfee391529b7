"""Tracking many sources: one result per source, a summary per source and a total, resumable.

:class:`TrackJob` holds everything a process needs to track a source (it is sent to worker
processes as it is). :func:`plan` decides, from the records of earlier runs
(:mod:`fairmot.inference.run_records`), which sources still need work; :func:`track_one` tracks
one; :func:`track_in_turn` tracks a list in this process, a failing source reported and the others
going on. :mod:`fairmot.inference.workers` runs the same on several processes, and
:func:`shard` gives each ``torchrun`` process its share.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from fairmot.errors import UserError
from fairmot.utils.atomic import cannot_create_in

from .outputs import check_not_a_source
from .run_records import file_digest, fingerprint, read_record, record_path, summary_record, write_record
from .source_list import SourceSpec, open_spec
from .streams import DEFAULT_READ_TIMEOUT, DEFAULT_RECONNECT, redact

logger = logging.getLogger(__name__)


@dataclass
class TrackJob:
    """The settings of a ``fairmot track`` run, for any of its sources (picklable)."""
    output: str
    detector: dict                      # make_detector's keyword arguments
    tracker_options: dict               # track_to_folder's (tracker, thresholds, box filter, ...)
    video_format: Optional[str] = "avi"
    fps: Optional[float] = None
    realtime: bool = False
    read_timeout: float = DEFAULT_READ_TIMEOUT
    reconnect: int = DEFAULT_RECONNECT
    max_frames: Optional[int] = None
    duration: Optional[float] = None
    show: bool = False
    overwrite: bool = False
    progress: bool = True
    trails: int = 0                     # centres drawn per track on the video (0: none)
    save_json: bool = False             # <name>.jsonl
    crops_every: Optional[int] = None   # <name>_crops/ from every k-th frame (None: no crops)
    weights_digest: str = field(default="", repr=False)

    def settings(self) -> dict:
        """What decides the results (not the device, threads or number of processes)."""
        if not self.weights_digest:
            self.weights_digest = file_digest(str(self.detector["weights"]))
        return {"weights": self.weights_digest, "backend": self.detector.get("backend"),
                "input_size": self.detector.get("input_size"), "tracker": self.tracker_options,
                "video": self.video_format, "fps": self.fps, "realtime": self.realtime,
                "max_frames": self.max_frames, "duration": self.duration,
                **({"trails": self.trails} if self.trails and self.video_format else {}),
                **({"json": True} if self.save_json else {}),
                **({"crops_every": self.crops_every} if self.crops_every else {})}


@dataclass
class SourceOutcome:
    """How one source went: ``status`` done | interrupted | lost | failed | skipped."""
    spec: SourceSpec
    status: str
    record: Optional[dict] = None
    error: str = ""
    text: str = ""                      # the summary's lines as printed

    def line(self) -> str:
        if self.status == "failed":
            return f"{self.spec.name}: failed: {self.error}"
        if self.status == "skipped":
            return f"{self.spec.name}: complete results from an earlier run with the same settings: skipped"
        return self.text


def shard(specs: Sequence[SourceSpec], rank: int, world: int) -> List[SourceSpec]:
    """This process's share of the sources under ``torchrun``: every ``world``-th, from ``rank``."""
    return list(specs[rank::world])


def launcher_rank() -> Tuple[int, int, int]:
    """(rank, world size, processes on this machine) as ``torchrun`` sets them, (0, 1, 1) if not."""
    def number(name, default):
        try:
            return int(os.environ.get(name, default))
        except ValueError:
            raise UserError(f"environment variable {name}={os.environ[name]!r} is not a number") from None
    world = number("WORLD_SIZE", 1)
    rank = number("RANK", 0)
    if world < 1 or not 0 <= rank < world:
        raise UserError(f"RANK={rank} and WORLD_SIZE={world} from the launcher do not fit together")
    return rank, world, max(number("LOCAL_WORLD_SIZE", 1), 1)


def plan(specs: Sequence[SourceSpec], job: TrackJob) -> Tuple[List[SourceSpec], List[SourceOutcome]]:
    """(sources to track, sources skipped because an earlier run finished them with the same settings).

    Raises UserError before any work when a result is in the way: made with other settings, or
    without a record (not from ``fairmot track``), unless ``job.overwrite``.
    """
    _check_output_folder(job.output)
    todo, skipped = [], []
    settings_print = fingerprint(job.settings())
    for spec in specs:
        if spec.live:
            todo.append(spec)  # a live source's results are named by the time they start
            continue
        outputs = _final_paths(job, spec.name)
        check_not_a_source(outputs, [spec.location])
        record = read_record(job.output, spec.name)
        present = [p for p in outputs if os.path.lexists(p)]
        same_source = record is not None and record.get("source") == source_location(spec)
        if same_source and record.get("complete") and all(os.path.exists(p) for p in outputs) \
                and record.get("fingerprint") == settings_print and not job.overwrite:
            skipped.append(SourceOutcome(spec, "skipped", record))
            continue
        if present and not job.overwrite:
            if record is None:
                raise UserError(f"{present[0]} already exists: pass --overwrite to replace it, "
                                "or another --output folder")
            if not same_source:
                raise UserError(f"{present[0]} already exists, made from another source ({record.get('source')}): "
                                "pass --overwrite to replace it, or another --output folder")
            if record.get("complete"):
                raise UserError(f"{present[0]} was made with other settings (weights, model or tracker options): "
                                "pass --overwrite to redo it, or another --output folder")
        todo.append(spec)
    return todo, skipped


def _check_output_folder(output: str) -> None:
    """UserError now, rather than for every source, when results cannot be written under ``output``."""
    existing = os.path.abspath(output)
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if os.path.exists(existing) and not os.path.isdir(existing):
        raise UserError(f"cannot create output folder {output}: {existing} is a file, not a folder")
    reason = cannot_create_in(existing)
    if reason:
        raise UserError(f"output folder {output} cannot be written ({reason}): pass --output DIR with a folder "
                        "you can write")


def _final_paths(job: TrackJob, name: str) -> List[str]:
    from .track_exports import CROPS_SUFFIX
    paths = [os.path.join(job.output, name + ".txt")]
    if job.video_format:
        paths.append(os.path.join(job.output, f"{name}.{job.video_format}"))
    if job.save_json:
        paths.append(os.path.join(job.output, name + ".jsonl"))
    if job.crops_every:
        paths.append(os.path.join(job.output, name + CROPS_SUFFIX))
    return paths


def source_location(spec: SourceSpec) -> str:
    """How a record names its source: the absolute path, or the URL without its password."""
    return redact(spec.location) if spec.live else os.path.abspath(spec.location)


def _replace_own_partial(job: TrackJob, spec: SourceSpec, name: str) -> bool:
    """An earlier run of ours left incomplete results of this source: this run may replace them."""
    record = read_record(job.output, name)
    return job.overwrite or (record is not None and not record.get("complete")
                             and record.get("source") == source_location(spec))


def run_name(spec: SourceSpec, started: Optional[float] = None) -> str:
    """The name of a run's results: the source's, with the start time for a live source
    (``camera0-20261202T101500``), so that every session of a camera is kept."""
    if not spec.live:
        return spec.name
    return f"{spec.name}-{time.strftime('%Y%m%dT%H%M%S', time.localtime(started or time.time()))}"


def track_one(spec: SourceSpec, detector_factory: Callable[[], object], job: TrackJob, rank: int = 0,
              on_progress: Optional[Callable[[int], None]] = None) -> SourceOutcome:
    """Track one source into ``job.output`` and write its record; raises what the run raises
    (UserError, :class:`~fairmot.inference.pipeline.TrackingInterrupted`, ...) after recording it."""
    from . import pipeline

    name = run_name(spec)
    source = open_spec(spec, fps=job.fps, realtime=job.realtime, read_timeout=job.read_timeout,
                       reconnect=job.reconnect, name=name)
    display = None
    with source:
        if job.show:
            from .display import Display
            display = Display(name)
        detector = detector_factory()
        location = source_location(spec)
        try:
            summary = pipeline.track_to_folder(
                source, detector, job.output, video_format=job.video_format, progress=job.progress,
                overwrite=_replace_own_partial(job, spec, name), max_frames=job.max_frames, duration=job.duration,
                display=display, on_progress=on_progress, trails=job.trails, save_json=job.save_json,
                crops_every=job.crops_every, **job.tracker_options)
        except (pipeline.TrackingInterrupted, pipeline.StreamLost) as stop:
            stop.record = summary_record(stop.summary, location, job.settings(), rank)
            if stop.summary.frames:
                write_record(job.output, stop.record)
            raise
        finally:
            if display is not None:
                display.close()
    record = summary_record(summary, location, job.settings(), rank)
    write_record(job.output, record)
    return SourceOutcome(spec, "done", record, text=summary.format())


def describe_failure(err: BaseException) -> str:
    """One line for a source that failed (a bug says so)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if isinstance(err, (UserError, OSError)):
        return text
    return f"{type(err).__name__}: {text} (a bug: please report it; FAIRMOT_DEBUG=1 shows the traceback)"


def track_in_turn(specs: Sequence[SourceSpec], job: TrackJob, detector_factory: Callable[[], object],
                  report: Callable[[SourceOutcome], None], rank: int = 0) -> List[SourceOutcome]:
    """Track ``specs`` one after another in this process; a source that fails is reported
    (``report``) and the others go on. Ctrl-C / SIGTERM stop the whole list (re-raised)."""
    from .pipeline import StreamLost, TrackingInterrupted

    outcomes = []
    for spec in specs:
        try:
            outcome = track_one(spec, detector_factory, job, rank)
        except TrackingInterrupted as stop:
            outcomes.append(SourceOutcome(spec, "interrupted", getattr(stop, "record", None),
                                          text=stop.summary.format()))
            report(outcomes[-1])
            raise
        except StreamLost as lost:
            outcome = SourceOutcome(spec, "lost", getattr(lost, "record", None), error=str(lost),
                                    text=lost.summary.format())
        except KeyboardInterrupt:
            raise
        except Exception as err:  # noqa: BLE001 - one source's failure must not end an archive run
            if os.environ.get("FAIRMOT_DEBUG"):
                logger.exception(f"{spec.name} failed")
            outcome = SourceOutcome(spec, "failed", error=describe_failure(err))
        outcomes.append(outcome)
        report(outcome)
    return outcomes


def total_line(outcomes: Sequence[SourceOutcome]) -> str:
    """``total: 8 sources: 7 done, 1 failed; 2400 frames in 95.0 s of tracking (25.3 frames/s)``."""
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    frames = sum((o.record or {}).get("frames", 0) for o in outcomes if o.status != "skipped")
    wall = sum((o.record or {}).get("wall_s", 0.0) for o in outcomes if o.status != "skipped")
    order = ("done", "skipped", "lost", "interrupted", "failed")
    parts = ", ".join(f"{counts[k]} {k}" for k in order if k in counts)
    rate = f" ({frames / wall:.2f} frames/s per process)" if wall > 0 else ""
    return f"total: {len(outcomes)} sources: {parts}; {frames} frames tracked in {wall:.1f} s{rate}"


__all__ = ["TrackJob", "SourceOutcome", "plan", "shard", "launcher_rank", "track_one", "track_in_turn",
           "total_line", "run_name", "record_path"]
