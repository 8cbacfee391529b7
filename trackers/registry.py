"""Trackers by name: ``create_tracker(name, frame_rate, **options)``, ``list_trackers()``.

- ``"fairmot"``: :class:`~fairmot.trackers.jde_tracker.JDETracker`, FairMOT's association
  bit for bit (scripts/check_tracker_fidelity.py).
- ``"hybrid"``: :class:`~fairmot.trackers.hybrid_tracker.HybridTracker`, ByteTrack's two-stage
  matching with the parts of SORT, OC-SORT, BoT-SORT and C-BIoU that the benchmarks support.

``DEFAULT_TRACKER`` is ``"hybrid"``: in scripts/bench_tracker.py it is ahead of ``"fairmot"`` and
of every peer on MOTA and IDF1 on real MOT15 detections (motion only) and on the MOT17 streams
with embeddings, at about 60% of the time per frame; on the bundled network's own detections it
has the better IDF1 and about one point less MOTA (see the hybrid module's docstring).
"""
from __future__ import annotations

import inspect
from typing import Dict, List

from .hybrid_tracker import HybridTracker
from .jde_tracker import JDETracker
from .per_class import PerClassTracker

TRACKERS: Dict[str, type] = {"fairmot": JDETracker, "hybrid": HybridTracker}
DEFAULT_TRACKER = "hybrid"


def list_trackers() -> List[str]:
    return sorted(TRACKERS)


def tracker_options(name: str) -> List[str]:
    """The keyword options of tracker ``name`` (besides ``frame_rate``)."""
    params = inspect.signature(_tracker_class(name).__init__).parameters
    return [p for p in params if p not in ("self", "frame_rate")]


def tracker_defaults(name: str) -> Dict[str, object]:
    """The default value of each keyword option of tracker ``name``."""
    params = inspect.signature(_tracker_class(name).__init__).parameters
    return {p: params[p].default for p in tracker_options(name)}


def _tracker_class(name: str) -> type:
    try:
        return TRACKERS[name]
    except KeyError:
        raise ValueError(f"unknown tracker {name!r}: choose one of {', '.join(list_trackers())}") from None


def create_tracker(name: str = DEFAULT_TRACKER, frame_rate: float = 30, per_class: bool = False, **options):
    """A new tracker ``name`` for a stream at ``frame_rate``; ``options`` are its keyword arguments.

    ``per_class``: detections of several classes (``update(detections, embeddings, classes)``),
    each class tracked by a tracker of its own (a :class:`~fairmot.trackers.per_class.PerClassTracker`),
    ids unique across classes."""
    cls = _tracker_class(name)
    unknown = sorted(set(options) - set(tracker_options(name)))
    if unknown:
        raise ValueError(f"tracker {name!r} has no option {', '.join(map(repr, unknown))}; its options: "
                         f"{', '.join(tracker_options(name))}")
    if per_class:
        return PerClassTracker(lambda: cls(frame_rate=frame_rate, **options))
    return cls(frame_rate=frame_rate, **options)
