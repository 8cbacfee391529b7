"""Scoring each class on its own: every metric per class and their average (``fairmot eval --per-class``).

The class of a row is column 8 of both files: the ground truth's MOT16/17/20 class, the result's
class number (written by ``fairmot track`` with a model of several classes). For class ``k``:

- results: the rows of class ``k``;
- ground truth of class 1 (pedestrians): the MOTChallenge rules as always (marked rows; results
  on the distractor classes 2, 7, 8, 12 removed);
- ground truth of any other class: every row of class ``k``, whatever its mark (MOT17 marks all
  its cars, bicycles and motorbikes 0, "not evaluated" for the pedestrian benchmark), with
  nothing ignored.

Each class is then scored by the one-class code (:func:`fairmot.evaluation.scoring.score_sequence`),
so a class's numbers are those a separate run of that class alone would get. The AVERAGE row is
the mean over classes of each class's OVERALL rates (as PaddleDetection's MCMOT evaluation);
its counts are sums.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from fairmot.errors import UserError

from .mot_metrics import PEDESTRIAN_CLASS, is_mot16_style, load_rows
from .report import ALL_METRICS, COUNT_COLUMNS, OVERALL, parse_metrics
from .scoring import score_sequence, summary_table
from .sequences import sequence_length, sequences_with_results

AVERAGE = "AVERAGE"
NO_CLASS = -1


def class_ground_truth(gt_rows: np.ndarray, number: int) -> np.ndarray:
    """The ground truth to score class ``number`` on, as rows the one-class scoring reads (see
    the module docstring)."""
    if int(number) == PEDESTRIAN_CLASS:
        return gt_rows
    rows = gt_rows[gt_rows[:, 7] == number].copy()
    rows[:, 6] = 1                   # every row of the class is scored
    rows[:, 7] = PEDESTRIAN_CLASS    # ... as the one-class code scores its targets
    return rows


def class_results(result_rows: np.ndarray, number: int) -> np.ndarray:
    return result_rows[result_rows[:, 7] == number]


def result_classes(results: Dict[str, np.ndarray]) -> list:
    """The class numbers in column 8 of the result rows (-1, no class, left out)."""
    found = set()
    for rows in results.values():
        found.update(int(c) for c in np.unique(rows[:, 7]) if c != NO_CLASS)
    return sorted(found)


def evaluate_folder_per_class(gt_root: str, results_dir: str, classes: Optional[Sequence[int]] = None,
                              half: bool = False, sequences: Optional[Sequence[str]] = None,
                              frames: Optional[Tuple[int, int]] = None, metrics: Sequence[str] = ALL_METRICS,
                              names: Optional[Dict[int, str]] = None, progress: bool = False,
                              unclassed: Optional[int] = None) -> Tuple[Dict[str, pd.DataFrame], pd.DataFrame]:
    """Score every class of ``<results_dir>/<seq>.txt`` (or ``classes``, numbers) against
    ``<gt_root>/<seq>/gt/gt.txt``. Returns ``({label: table of sequences + OVERALL}, table of
    one row per class (its OVERALL) + AVERAGE)``; labels are ``names[number]`` or "class N".
    ``unclassed``: the class of rows with none (-1), when it is known (a one-class model's)."""
    metrics = parse_metrics(",".join(metrics))
    available = sequences_with_results(gt_root, results_dir, sequences)
    if not available:
        raise UserError("nothing to summarize: no sequences were evaluated")
    gts, results = {}, {}
    for seq in available:
        gts[seq] = load_rows(os.path.join(gt_root, seq, "gt", "gt.txt"), "ground-truth")
        results[seq] = load_rows(os.path.join(results_dir, seq + ".txt"), "result")
        if unclassed is not None:
            results[seq][results[seq][:, 7] == NO_CLASS, 7] = unclassed
        if len(gts[seq]) and not is_mot16_style(gts[seq]):
            raise UserError(f"{os.path.join(gt_root, seq, 'gt', 'gt.txt')} has no class column (MOT15-style rows): "
                            "per-class scoring needs MOT16/17/20-style ground truth (column 8 the class)")
    if classes is None:
        classes = result_classes(results)
        if not classes:
            raise UserError(f"the results in {results_dir} carry no class (column 8 is -1): they come from a "
                            "one-class run; score them without --per-class")
    names = names or {}
    per_class: Dict[str, pd.DataFrame] = {}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(classes) * len(available), desc="evaluating", unit="seq", disable=None)
    for number in classes:
        scored = {}
        for seq in available:
            scored[seq] = score_sequence(class_ground_truth(gts[seq], number), class_results(results[seq], number),
                                         seq, sequence_length(os.path.join(gt_root, seq)), metrics, half=half,
                                         frames=frames)
            if bar is not None:
                bar.update()
        per_class[names.get(number, f"class {number}")] = summary_table(scored)
    if bar is not None:
        bar.close()
    return per_class, class_summary(per_class)


def class_summary(per_class: Dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per class (its OVERALL) and AVERAGE: rates averaged over classes, counts summed."""
    table = pd.DataFrame({label: t.loc[OVERALL] for label, t in per_class.items()}).T
    average = table.mean(numeric_only=True)
    for column in COUNT_COLUMNS:
        if column in table.columns:
            average[column] = table[column].sum()
    table.loc[AVERAGE] = average
    for column in COUNT_COLUMNS:
        if column in table.columns:
            table[column] = table[column].astype(np.int64)
    return table
