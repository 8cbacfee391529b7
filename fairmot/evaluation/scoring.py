"""Scoring a folder of results: HOTA (TrackEval's rules) beside CLEAR and identity (motmetrics, the
devkit's rules), the metrics the user asks for, in one table.

Metric groups (``--metrics``): ``hota`` (HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA: means
over the 19 alphas), ``clear`` (Rcll, Prcn, GT, MT, PT, ML, FP, FN, IDs, FM, MOTA, MOTP) and
``identity`` (IDF1, IDP, IDR). The OVERALL row combines the sequences as each family's reference
does: HOTA by TrackEval's combination, CLEAR and identity from the pooled events.
A sequence named ``MOT20-*`` gets MOT20's extra distractor class for HOTA; MOT15-style ground truth
(no classes) is recognised from its columns.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from fairmot.errors import UserError

from .hota import HOTA_FIELDS, combine, hota_sequence
from .hota_frames import hota_frames
from .mot_metrics import evaluate_sequence, load_rows, summarize
from .report import ALL_METRICS, COLUMNS, METRIC_GROUPS, OVERALL, parse_metrics
from .sequences import sequence_length, sequences_with_results


def evaluate_folder(gt_root: str, results_dir: str, half: bool = False,
                    sequences: Optional[Sequence[str]] = None, progress: bool = False,
                    frames: Optional[Tuple[int, int]] = None, metrics: Sequence[str] = ALL_METRICS) -> pd.DataFrame:
    """Score ``<results_dir>/<seq>.txt`` against ``<gt_root>/<seq>/gt/gt.txt`` for every sequence
    (or ``sequences``); a missing result file is an error naming it. ``half``, ``frames``: as
    :func:`fairmot.evaluation.mot_metrics.evaluate_sequence`. Returns one row per sequence and
    OVERALL, the columns of the ``metrics`` groups (HOTA first), rates as fractions."""
    metrics = parse_metrics(",".join(metrics))
    available = sequences_with_results(gt_root, results_dir, sequences)
    names = available
    if progress:
        from tqdm import tqdm
        names = tqdm(available, desc="evaluating", unit="seq", disable=None)
    if not available:
        raise UserError("nothing to summarize: no sequences were evaluated")
    scored = {}
    for seq in names:
        seq_dir = os.path.join(gt_root, seq)
        gt = load_rows(os.path.join(seq_dir, "gt", "gt.txt"), "ground-truth")
        res = load_rows(os.path.join(results_dir, seq + ".txt"), "result")
        scored[seq] = score_sequence(gt, res, seq, sequence_length(seq_dir), metrics, half=half, frames=frames)
    return summary_table(scored)


def score_sequence(gt: np.ndarray, res: np.ndarray, name: str, length: Optional[int],
                   metrics: Sequence[str] = ALL_METRICS, half: bool = False,
                   frames: Optional[Tuple[int, int]] = None) -> dict:
    """One sequence's MOTChallenge rows scored: ``{"hota": HotaCounts, "events": motmetrics
    accumulator}`` for the ``metrics`` groups asked for (see :func:`summary_table`)."""
    out = {}
    if "clear" in metrics or "identity" in metrics:
        out["events"] = evaluate_sequence(gt, res, name=name, half=half, frames=frames, num_frames=length)
    if "hota" in metrics:
        out["hota"] = hota_sequence(hota_frames(gt, res, name=name, num_frames=length, half=half, frames=frames,
                                                mot20=name.upper().startswith("MOT20")))
    out["metrics"] = tuple(metrics)
    return out


def summary_table(scored: Dict[str, dict]) -> pd.DataFrame:
    """The table of sequences scored by :func:`score_sequence`: one row each and OVERALL."""
    metrics = next(iter(scored.values()))["metrics"]
    parts = []
    hota = {seq: s["hota"] for seq, s in scored.items() if "hota" in s}
    if hota:
        rows = {seq: counts.summary() for seq, counts in hota.items()}
        rows[OVERALL] = combine(hota.values()).summary()
        parts.append(pd.DataFrame.from_dict(rows, orient="index")[list(HOTA_FIELDS)])
    accumulators = {seq: s["events"] for seq, s in scored.items() if "events" in s}
    if accumulators:
        table = summarize(accumulators)
        wanted = [c for c in COLUMNS if any(c in METRIC_GROUPS[g] for g in metrics if g != "hota")]
        parts.append(table[wanted])
    return pd.concat(parts, axis=1)
