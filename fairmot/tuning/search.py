"""The search: an Optuna study (TPE, seeded) maximising one combined score on the tuning sequences.

Optuna is an optional extra (``pip install 'fairmot[tune]'``). The default configuration is
the study's first trial, so the best found is never worse than the default on the tuning set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from fairmot.errors import UserError
from fairmot.trackers import tracker_defaults

from .detections import SequenceDetections
from .objective import overall, score_configuration
from .space import SPACES


def import_optuna():
    try:
        import optuna
    except ImportError:
        raise UserError("optuna is not installed: pip install 'fairmot[tune]' (needed for fairmot tune)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)   # not a line per trial
    return optuna


@dataclass
class SearchResult:
    """The best options found (tracker keyword arguments), their score, and every trial's."""
    tracker: str
    metric: str
    best_options: Dict[str, object]
    best_score: float
    default_score: float
    trials: List[float] = field(default_factory=list)
    interrupted: Optional[BaseException] = None   # the KeyboardInterrupt that ended the search early


def default_trial_params(tracker: str, embeddings: bool) -> Dict[str, float]:
    """The search-space parameters that give the tracker's defaults (enqueued as the first trial)."""
    d = tracker_defaults(tracker)
    if tracker == "hybrid":
        prefix = "reid_" if embeddings else ""
        high, new = d[f"{prefix}high_thresh"], d[f"{prefix}new_track_thresh"]
        params = {f"{prefix}high_thresh": high, "low_share": d["low_thresh"] / high,
                  "new_track_margin": (new - high) / (0.99 - high), "match_thresh": d["match_thresh"],
                  "low_match_thresh": d["low_match_thresh"], "min_hits": d["min_hits"],
                  "track_buffer": d["track_buffer"]}
        if embeddings:
            params["appearance_thresh"] = d["appearance_thresh"]
        return params
    params = {k: d[k] for k in ("conf_thres", "iou_thres", "unconfirmed_match_thres", "track_buffer")}
    if embeddings:
        params["match_thres"] = d["match_thres"]
    return params


def search(sequences: Sequence[SequenceDetections], tracker: str = "hybrid", metric: str = "HOTA",
           trials: int = 50, seed: int = 0, on_trial: Optional[Callable[[int, float, float], None]] = None,
           **filters) -> SearchResult:
    """Maximise ``metric`` (combined over ``sequences``) over ``trials`` configurations of
    ``tracker``. ``on_trial(number, score, best)`` is called after each. Ctrl-C (or SIGTERM) ends
    the search; the trials finished are returned, with ``interrupted`` holding the interrupt."""
    optuna = import_optuna()
    if tracker not in SPACES:
        raise UserError(f"no search space for tracker {tracker!r}: choose one of {', '.join(SPACES)}")
    embeddings = all(s.has_embeddings for s in sequences)
    space = SPACES[tracker]
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(default_trial_params(tracker, embeddings))
    scores: List[float] = []

    def objective(trial):
        options = space(trial, embeddings)
        trial.set_user_attr("options", options)
        score = overall(score_configuration(sequences, tracker, options, (metric,), **filters), metric)
        scores.append(score)
        if on_trial is not None:
            on_trial(trial.number, score, max(scores))
        return score

    interrupted = None
    try:
        study.optimize(objective, n_trials=trials, catch=())
    except KeyboardInterrupt as stop:
        interrupted = stop
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise interrupted or KeyboardInterrupt()
    best = max(completed, key=lambda t: t.value)
    return SearchResult(tracker, metric, best.user_attrs["options"], best.value, completed[0].value, scores,
                        interrupted)

