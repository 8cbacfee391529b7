"""The tracking loop: frame source -> detector -> tracker -> output filter -> writers.

:func:`track_source` runs the loop over any :class:`~fairmot.sources.FrameSource` with any
detector (``detector(frame) -> (boxes (N, 5), embeddings (N, D), classes (N,))`` with a
``timings`` dict, a ``class_table`` and a ``conf_thres`` attribute, as
:class:`fairmot.inference.detector.BaseDetector`) and a tracker of :mod:`fairmot.trackers`
(for a model of several classes a :class:`~fairmot.trackers.PerClassTracker`: each class tracked
on its own: ``create_tracker(..., per_class=True)``), timing every stage. :func:`track_to_folder` adds the usual
outputs (``<name>.txt`` MOTChallenge results and an annotated ``<name>.avi``/``.mp4``); it is what
``fairmot track`` and the one-shot ``fairmot eval`` run.

Outputs are written frame by frame and flushed, so a crash or Ctrl-C keeps every finished frame.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
from array import array
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from fairmot.datasets.mot_format import MotResultWriter
from fairmot.errors import UserError
from fairmot.trackers import DEFAULT_TRACKER, PerClassTracker, create_tracker, filter_tracks, track_class
from fairmot.utils.atomic import cannot_create_in
from fairmot.utils.stop_signals import Interrupted, StopAtSafePoint

from .detector import BaseDetector
from .drawing import TrackDrawer
from .outputs import StagedOutputs, created_folder, remove_if_empty
from .prefetch import PrefetchReader
from .sources import FrameSource
from .track_exports import CROPS_SUFFIX, CropWriter, JsonLinesWriter
from .video_writer import VideoWriter

# Timed stages, in loop order. decode: reading the frame (video decoding / image file; with
# read-ahead, the wait for the reader thread, which also letterboxes);
# preprocess, network, postprocess: the detector's letterbox, forward pass and heatmap decoding;
# camera motion: estimating the warp between frames (only with camera-motion compensation);
# association: tracker + output filter; encode: drawing, video encoding and result writing.
STAGES = ("decode", "preprocess", "network", "postprocess", "camera motion", "association", "encode")
_DETECTOR_STAGES = {"preprocess": "preprocess", "network": "network", "decode": "postprocess"}


# an outage longer than this many frames steps the tracker only this far: every track is lost by then
MAX_GAP_STEPS = 10_000


@dataclass
class TrackingSummary:
    """What a run did: frames tracked and skipped, distinct track ids written, seconds per stage
    (``seconds``) and in all (``wall``), where the outputs are; for live and real-time sources also
    frames received and dropped, outages (``gaps``) and the latency from a frame's arrival to its
    results being written (``latencies``, seconds)."""
    name: str
    frames: int = 0
    skipped: int = 0
    track_ids: set = field(default_factory=set)
    track_classes: dict = field(default_factory=dict)  # track id -> class name (a model of several classes)
    seconds: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    wall: float = 0.0
    result_path: str = None
    video_path: str = None
    export_paths: dict = field(default_factory=dict)  # "json", "crops" -> where they are written
    interrupted: bool = False
    signal_name: str = "SIGINT"   # what stopped an interrupted run
    stopped_by: str = "end"       # end, max-frames, duration, window, stream lost, or the signal's name
    kept_partial: list = field(default_factory=list)  # staged files kept beside an earlier result
    damage: list = field(default_factory=list)  # damaged data the source still handed out
    live: bool = False
    realtime: bool = False
    received: int = 0             # frames the source delivered (real-time: processed + dropped)
    dropped: int = 0
    gaps: list = field(default_factory=list)  # fairmot.inference.streams.Gap, one per outage
    latencies: array = field(default_factory=lambda: array("d"))

    @property
    def tracks(self):
        return len(self.track_ids)

    def tracks_per_class(self) -> dict:
        """{class name: distinct track ids} of a model of several classes ({} for one class)."""
        counts = {}
        for name in self.track_classes.values():
            counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def fps(self):
        return self.frames / self.wall if self.wall > 0 else 0.0

    @property
    def complete(self) -> bool:
        """The run went as far as it was asked to (the source's end or a frame/time limit)."""
        return self.stopped_by in ("end", "max-frames", "duration")

    @property
    def outside_network(self):
        """Fraction of the wall time not spent in the network's forward pass."""
        return 1.0 - self.seconds["network"] / self.wall if self.wall > 0 else 0.0

    def latency(self, q: float) -> float:
        """The ``q``-quantile (0-1) of the latency in seconds (nan without frames)."""
        return float(np.quantile(np.frombuffer(self.latencies), q)) if len(self.latencies) else float("nan")

    def format(self):
        """A few lines for the terminal."""
        total = self.wall or 1.0
        split = " | ".join(f"{stage} {self.seconds[stage] / total:.1%}" for stage in STAGES
                           if stage != "camera motion" or self.seconds[stage] > 0)
        other = max(self.wall - sum(self.seconds.values()), 0.0) / total
        ended = (f" (interrupted by {self.signal_name})" if self.interrupted
                 else f" (stopped: {self.stopped_by})" if self.stopped_by != "end" else "")
        per_class = ", ".join(f"{name} {n}" for name, n in self.tracks_per_class().items())
        lines = [f"{self.name}: {self.frames} frames" + (f" ({self.skipped} skipped)" if self.skipped else "")
                 + f" in {self.wall:.1f} s, {self.fps:.2f} frames/s, {self.tracks} tracks"
                 + (f" ({per_class})" if per_class else "") + ended,
                 f"  time: {split} | other {other:.1%} (outside the network {self.outside_network:.1%})"]
        if self.live or self.realtime:
            lines.append(f"  latency (arrival to result written): median {self.latency(0.5) * 1000:.0f} ms, "
                         f"95th percentile {self.latency(0.95) * 1000:.0f} ms")
        if self.realtime:
            lines.append(f"  frames: {self.received} received, {self.frames} processed, {self.dropped} dropped")
        if self.gaps:
            lost = sum(g.seconds for g in self.gaps)
            lines.append(f"  outages: {len(self.gaps)}, {lost:.1f} s, {sum(g.missed for g in self.gaps)} frames missed")
            lines.extend(f"    {gap.describe()}" for gap in self.gaps)
        if self.result_path:
            lines.append(f"  results: {self.result_path}")
        if self.video_path:
            lines.append(f"  video:   {self.video_path}")
        for label, path in self.export_paths.items():
            lines.append(f"  {label + ':':<8} {path}")
        for message in self.damage:
            lines.append(f"  warning: {message}")
        for path in self.kept_partial:
            lines.append(f"  partial: {path} (the earlier complete result was left as it was)")
        return "\n".join(lines)


class TrackingInterrupted(Interrupted):
    """Ctrl-C, SIGTERM or SIGHUP during :func:`track_source`; ``summary`` holds what was done (and
    written) so far, ``signum`` the signal (the process should exit with 128 + signum)."""

    def __init__(self, summary, signum=signal.SIGINT):
        super().__init__(signum, f"interrupted after {summary.frames} frames")
        self.summary = summary


class StreamLost(UserError):
    """A live source stopped and did not come back; ``summary`` holds what was done (and kept)."""

    def __init__(self, message, summary):
        super().__init__(f"{message}; the results of the {summary.frames} frames before are kept")
        self.summary = summary


def detection_threshold(tracker) -> float:
    """The lowest score the tracker uses (``tracker.min_score``): the detector keeps those."""
    return tracker.min_score


# an empty frame's detections (and no embeddings), for stepping the tracker through missed frames
_NO_DETECTIONS = np.zeros((0, 5), np.float32)


def track_source(source: FrameSource, detector: BaseDetector, tracker,
                 results: Optional[MotResultWriter] = None, video: Optional[VideoWriter] = None,
                 summary: Optional[TrackingSummary] = None, progress: bool = True,
                 min_box_area: float = 100, max_aspect_ratio: Optional[float] = 1.6,
                 camera_motion=None, max_frames: Optional[int] = None, duration: Optional[float] = None,
                 display=None, on_progress: Optional[Callable[[int], None]] = None,
                 prefetch: bool = True, exports: Sequence = (), trail: int = 0,
                 classes: Optional[Sequence[int]] = None) -> TrackingSummary:
    """Track every frame of ``source``; returns a :class:`TrackingSummary`.

    results: a :class:`~fairmot.datasets.mot_format.MotResultWriter` or None; video: a
    :class:`~fairmot.video_writer.VideoWriter` or None (annotated frames); display: an object with
    ``show(image) -> bool`` (False: the user closed it) or None; on_progress: called with the
    number of frames done after each frame (progress of a worker process); exports: writers with
    ``write_frame(index, frame, tracks)`` (:mod:`fairmot.inference.track_exports`), given the frame
    before anything is drawn on it; trail: draw each track's last ``trail`` centres. All are fed
    every frame; the caller owns (closes) them. Output tracks are the tracker's, filtered as FairMOT's demo does
    (area > ``min_box_area``, width / height <= ``max_aspect_ratio``, the latter for people only:
    :func:`~fairmot.trackers.filter_tracks`). ``classes``: class indices to keep (None: all); the others'
    detections never reach the tracker. Result rows carry each track's class number in column 8
    (-1 for a one-class model). The detector's threshold is set to the tracker's lowest (see
    :func:`detection_threshold`).

    The run ends with the source, after ``max_frames`` frames, or after ``duration`` seconds of the
    source (wall-clock time for a live one). With ``prefetch`` (and a detector whose ``read_ahead``
    says it gains from it) a file source is read and letterboxed one frame ahead in a thread
    (:class:`~fairmot.inference.prefetch.PrefetchReader`) while the network runs; "decode" is then
    the time spent waiting for it. Frames a live source missed in an outage
    (``source.pop_missed()``) step the tracker forward with no detections, as missed frames.
    On Ctrl-C, SIGTERM or SIGHUP raises :class:`TrackingInterrupted` carrying the summary so
    far; the frame being processed is finished first, so that every output holds the same frames
    (a second signal stops at once). A live source that is lost raises :class:`StreamLost`. A write
    that fails (a full disk) is a UserError; the files keep every frame written before it.
    """
    summary = summary or TrackingSummary(name=source.name)
    summary.live = bool(getattr(source, "live", False))
    summary.realtime = hasattr(source, "dropped")
    reader = None
    if (prefetch and getattr(detector, "read_ahead", False) and hasattr(detector, "prepare")
            and not summary.live and not summary.realtime):
        # a live or real-time source has a reader thread of its own
        source = reader = PrefetchReader(source, detector.prepare)
    seconds = summary.seconds
    detector.conf_thres = detection_threshold(tracker)
    table = getattr(detector, "class_table", None)
    class_names = table.names if table is not None else ("person",)
    class_numbers = table.result_numbers() if table is not None else [-1]
    if len(class_names) > 1 and not isinstance(tracker, PerClassTracker):
        raise ValueError(f"the detector has {len(class_names)} classes: track them with "
                         "create_tracker(..., per_class=True), which keeps each class apart")
    keep_classes = None if classes is None else np.asarray(sorted(classes), np.int64)
    drawer = (TrackDrawer(video.size if video is not None else source.size, trail=trail,
                          class_names=class_names if len(class_names) > 1 else None)
              if video is not None or display is not None else None)
    pop_missed = getattr(source, "pop_missed", None)
    bar = tqdm(total=source.length or None, desc=source.name, unit="frame", disable=not progress or None,
               dynamic_ncols=True)
    # warnings (corrupt frames) go through tqdm.write so that they do not break the bar
    redirect = contextlib.nullcontext() if bar.disable else logging_redirect_tqdm()
    start = time.perf_counter()
    first_index = None
    with bar, redirect, StopAtSafePoint() as stop:
        if hasattr(source, "cancelled"):
            source.cancelled = lambda: stop.requested
        try:
            for index, frame, t_read in _timed(source):
                arrived = getattr(source, "last_arrival", None) or time.perf_counter()
                first_index = index if first_index is None else first_index
                missed = pop_missed() if pop_missed else 0
                for _ in range(min(missed, MAX_GAP_STEPS)):
                    tracker.update(_NO_DETECTIONS, None)
                if reader is not None:
                    detections = detector(frame, prepared=reader.last_prepared)
                else:
                    detections = detector(frame)
                if keep_classes is not None:
                    detections = detections.select(np.isin(detections.classes, keep_classes))
                t_motion = time.perf_counter()
                if camera_motion is not None:
                    if missed:
                        camera_motion.reset()  # the view before an outage says nothing about the motion now
                    warp = camera_motion(frame, detections.boxes)
                    t2 = time.perf_counter()
                    tracked = tracker.update(*detections, warp=warp)
                else:
                    t2 = t_motion
                    tracked = tracker.update(*detections)
                tracks = filter_tracks(tracked, min_box_area, max_aspect_ratio, class_names)
                t3 = time.perf_counter()
                try:
                    if video is not None:
                        video.check_space()  # before the results, so both hold the same frames
                    if results is not None:
                        results.write_frame(index, ((t.track_id, t.tlwh, t.score, class_numbers[track_class(t)])
                                                    for t in tracks))
                    for export in exports:
                        export.write_frame(index, frame, tracks)
                    if drawer is not None:
                        image = drawer.draw(frame, tracks, index)
                        if video is not None:
                            video.write(image, check_space=False)
                except OSError as err:
                    raise UserError(f"cannot write the outputs of frame {index} ({err.strerror or err}): "
                                    f"{summary.frames} frames written before are kept") from None
                t4 = time.perf_counter()
                summary.latencies.append(t4 - arrived)

                seconds["decode"] += t_read
                for key, stage in _DETECTOR_STAGES.items():
                    seconds[stage] += detector.timings.get(key, 0.0)
                seconds["camera motion"] += t2 - t_motion
                seconds["association"] += t3 - t2
                seconds["encode"] += t4 - t3
                summary.frames += 1
                summary.track_ids.update(t.track_id for t in tracks)
                if len(class_names) > 1:
                    summary.track_classes.update((t.track_id, class_names[track_class(t)]) for t in tracks)
                summary.skipped = source.skipped
                if bar.total:
                    bar.update(summary.frames + summary.skipped - bar.n)
                else:
                    bar.update(1)
                    bar.set_postfix_str(f"latency {(t4 - arrived) * 1000:.0f} ms", refresh=False)
                if on_progress is not None:
                    on_progress(summary.frames)
                if display is not None and not display.show(image):
                    summary.stopped_by = "window"
                    break
                if stop.requested:
                    raise KeyboardInterrupt
                if max_frames is not None and summary.frames >= max_frames:
                    summary.stopped_by = "max-frames"
                    break
                if duration is not None and (time.perf_counter() - start >= duration if summary.live
                                             else (index - first_index + 1) >= round(duration * source.fps)):
                    summary.stopped_by = "duration"
                    break
            if stop.requested:  # the source gave up waiting because of the signal
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            summary.interrupted = True
            summary.signal_name = signal.Signals(stop.signum).name
            summary.stopped_by = summary.signal_name
            raise TrackingInterrupted(summary, stop.signum) from None
        finally:
            if reader is not None:
                reader.stop()
            summary.wall += time.perf_counter() - start
            _read_counts(source, summary)
    lost = getattr(source, "lost", None)
    if lost and summary.stopped_by == "end":
        summary.stopped_by = "stream lost"
        raise StreamLost(lost, summary)
    return summary


def _read_counts(source, summary):
    """What the source counted: skipped and damaged frames, outages, frames received and dropped."""
    summary.skipped = source.skipped
    summary.damage = list(getattr(source, "damage", []))
    summary.gaps = list(getattr(source, "gaps", []))
    if summary.realtime:
        source.close()  # ends the reader thread: its counts are final
        summary.received, summary.dropped = source.received, source.dropped
    else:
        summary.received = summary.frames + summary.skipped


def _timed(frames):
    """(index, frame, seconds spent reading it) for each (index, frame) of ``frames``."""
    iterator = iter(frames)
    while True:
        t0 = time.perf_counter()
        item = next(iterator, None)
        if item is None:
            return
        yield item[0], item[1], time.perf_counter() - t0


def prepare_output_dir(path):
    """Create ``path`` if needed and check that files can be written in it (UserError if not)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create output folder {path}: {err.strerror or err}") from None
    reason = cannot_create_in(path)
    if reason:
        raise UserError(f"output folder {path} is not writable ({reason}): pass --output DIR with a folder you "
                        "can write")
    return path


def track_to_folder(source: FrameSource, detector: BaseDetector, output_dir: str,
                    video_format: Optional[str] = "avi", progress: bool = True, overwrite: bool = False,
                    tracker: str = DEFAULT_TRACKER, min_box_area: float = 100,
                    max_aspect_ratio: Optional[float] = 1.6, camera_motion: bool = False,
                    max_frames: Optional[int] = None, duration: Optional[float] = None, display=None,
                    on_progress: Optional[Callable[[int], None]] = None, trails: int = 0,
                    save_json: bool = False, crops_every: Optional[int] = None,
                    classes: Optional[Sequence[int]] = None, **tracker_options) -> TrackingSummary:
    """Track ``source`` into ``output_dir/<name>.txt`` and, unless ``video_format`` is None, an
    annotated ``output_dir/<name>.<video_format>`` at the source's size and frame rate (with
    each track's last ``trails`` centres drawn). ``save_json`` adds ``<name>.jsonl`` (one line per
    frame), ``crops_every`` K adds ``<name>_crops/<id>/<frame>.jpg`` from every K-th frame
    (:mod:`fairmot.inference.track_exports`).

    Files are staged and published as :mod:`fairmot.inference.outputs` says: never over the
    source, never over an earlier result unless ``overwrite``, moved into place at the end.
    The tracker is a fresh ``create_tracker(tracker, source.fps, **tracker_options)``, per class
    for a detector of several classes (its track buffer scales with the frame rate). Output tracks pass the box
    filter ``min_box_area`` / ``max_aspect_ratio`` (FairMOT's person rule, for people only; 0 and
    None turn it off); ``classes``: the classes to track, names or numbers (None: all);
    ``max_frames``, ``duration``, ``display`` and ``on_progress`` are :func:`track_source`'s.
    Returns the :class:`TrackingSummary`.
    """
    # bad options fail before any file
    table = getattr(detector, "class_table", None)
    if classes is not None:
        from fairmot.datasets.classes import ClassTable
        classes = (table or ClassTable.single()).select(classes)
    try:
        tracker_object = create_tracker(tracker, source.fps, per_class=table is not None and len(table) > 1,
                                        **tracker_options)
    except ValueError as err:
        raise UserError(str(err)) from None
    estimator = None
    if camera_motion:
        from .camera_motion import CameraMotionEstimator
        estimator = CameraMotionEstimator()
    new_folder = created_folder(output_dir)
    prepare_output_dir(output_dir)
    paths = {"results": os.path.join(output_dir, source.name + ".txt")}
    if video_format is not None:
        paths["video"] = os.path.join(output_dir, f"{source.name}.{video_format}")
    if save_json:
        paths["json"] = os.path.join(output_dir, source.name + ".jsonl")
    if crops_every:
        paths["crops"] = os.path.join(output_dir, source.name + CROPS_SUFFIX)
    try:
        outputs = StagedOutputs(paths, overwrite=overwrite, sources=[getattr(source, "path", None)])
    except UserError:
        remove_if_empty(new_folder, output_dir)
        raise
    summary = TrackingSummary(name=source.name, result_path=paths["results"], video_path=paths.get("video"),
                              export_paths={k: paths[k] for k in ("json", "crops") if k in paths})
    try:
        try:
            results = MotResultWriter(outputs.staged["results"])
        except OSError as err:
            raise UserError(f"cannot write {summary.result_path}: {err.strerror or err}") from None
        with results, contextlib.ExitStack() as stack:
            video = (VideoWriter(outputs.staged["video"], source.fps, source.size) if "video" in paths
                     else contextlib.nullcontext())
            exports = []
            try:
                if "json" in paths:
                    names = table.names if table is not None and len(table) > 1 else None
                    exports.append(stack.enter_context(JsonLinesWriter(outputs.staged["json"], names)))
                if "crops" in paths:
                    exports.append(stack.enter_context(CropWriter(outputs.staged["crops"], crops_every)))
            except OSError as err:
                raise UserError(f"cannot write in {output_dir}: {err.strerror or err}") from None
            with video:
                track_source(source, detector, tracker_object, results, video if "video" in paths else None,
                             summary, progress, min_box_area, max_aspect_ratio, estimator, max_frames=max_frames,
                             duration=duration, display=display, on_progress=on_progress, exports=exports,
                             trail=trails, classes=classes)
    except BaseException:
        outputs.abandon(summary.frames)
        summary.kept_partial = outputs.kept_partial
        if summary.frames == 0:
            remove_if_empty(new_folder, output_dir)
        raise
    outputs.publish()
    return summary
