"""What ``fairmot tune`` searches: per tracker, the options that decide its results on a dataset.

A space is a function ``trial -> options`` over Optuna's ``suggest_*`` calls, so that
constraints between options (``low <= high <= new`` for the hybrid tracker's score thresholds)
hold by construction, not by rejecting trials. The detection threshold is the tracker's own
lowest score (``low_thresh``, ``conf_thres``): the detector keeps what the tracker uses.
Values are on a 0.01 grid (derived ones rounded to 0.001), so that the options printed for the
command line reproduce the score exactly.
"""
from __future__ import annotations

from typing import Callable, Dict

from fairmot.trackers import tracker_defaults


def _grid(trial, name: str, low: float, high: float) -> float:
    """A value of ``name`` on the 0.01 grid from ``low`` to ``high``."""
    return round(trial.suggest_float(name, low, high, step=0.01), 2)


def hybrid_space(trial, embeddings: bool) -> Dict[str, object]:
    """:class:`~fairmot.trackers.hybrid_tracker.HybridTracker`: score thresholds (the ones for
    embeddings when they come), matching limits, track start and buffer."""
    options: Dict[str, object] = {}
    prefix = "reid_" if embeddings else ""
    high = _grid(trial, f"{prefix}high_thresh", 0.1, 0.9)
    options[f"{prefix}high_thresh"] = high
    # low and new as shares of their room below and above high: the order holds by construction
    options["low_thresh"] = round(trial.suggest_float("low_share", 0.05, 1.0) * high, 3)
    margin = trial.suggest_float("new_track_margin", 0.0, 1.0)
    options[f"{prefix}new_track_thresh"] = round(high + margin * (0.99 - high), 3)
    options["match_thresh"] = _grid(trial, "match_thresh", 0.5, 0.95)
    options["low_match_thresh"] = _grid(trial, "low_match_thresh", 0.3, 0.8)
    options["min_hits"] = trial.suggest_int("min_hits", 1, 4)
    options["track_buffer"] = trial.suggest_int("track_buffer", 10, 90, step=5)
    if embeddings:
        options["appearance_thresh"] = _grid(trial, "appearance_thresh", 0.2, 0.8)
    # the pair of thresholds not searched keeps its defaults, raised where low_thresh is above them
    other = "" if embeddings else "reid_"
    defaults = tracker_defaults("hybrid")
    other_high = max(defaults[f"{other}high_thresh"], options["low_thresh"])
    other_new = max(defaults[f"{other}new_track_thresh"], other_high)
    if other_high != defaults[f"{other}high_thresh"]:
        options[f"{other}high_thresh"] = other_high
    if other_new != defaults[f"{other}new_track_thresh"]:
        options[f"{other}new_track_thresh"] = other_new
    return options


def fairmot_space(trial, embeddings: bool) -> Dict[str, object]:
    """:class:`~fairmot.trackers.jde_tracker.JDETracker`: the detection threshold, the embedding,
    IoU and unconfirmed-track matching limits, and the buffer."""
    options: Dict[str, object] = {
        "conf_thres": _grid(trial, "conf_thres", 0.1, 0.8),
        "iou_thres": _grid(trial, "iou_thres", 0.3, 0.9),
        "unconfirmed_match_thres": _grid(trial, "unconfirmed_match_thres", 0.4, 0.95),
        "track_buffer": trial.suggest_int("track_buffer", 10, 90, step=5),
    }
    if embeddings:
        options["match_thres"] = _grid(trial, "match_thres", 0.2, 0.8)
    return options


SPACES: Dict[str, Callable] = {"hybrid": hybrid_space, "fairmot": fairmot_space}
