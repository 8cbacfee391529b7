"""Finding MOTChallenge sequences and their frames (no motmetrics: cheap to import)."""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

from fairmot.errors import UserError


def is_sequence(path: str) -> bool:
    """True for a sequence folder itself (``gt/gt.txt`` directly inside)."""
    return os.path.isfile(os.path.join(path, "gt", "gt.txt"))


def split_gt_root(path: str) -> Tuple[str, Optional[str]]:
    """A ground-truth root, or a single sequence folder -> (root, that sequence's name or None)."""
    path = os.path.normpath(path)
    if is_sequence(path) and not any(is_sequence(os.path.join(path, d)) for d in _subfolders(path)):
        return os.path.dirname(os.path.abspath(path)), os.path.basename(os.path.abspath(path))
    return path, None


def _subfolders(path):
    try:
        return [d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))]
    except OSError:
        return []


def find_sequences(gt_root: str) -> List[str]:
    """Names of the sequences under ``gt_root``: folders holding ``gt/gt.txt``, sorted."""
    if not os.path.isdir(gt_root):
        raise UserError(f"ground-truth folder {gt_root} not found: pass a MOTChallenge folder "
                        "such as MOT17/train holding <sequence>/gt/gt.txt")
    names = sorted(d for d in _subfolders(gt_root) if is_sequence(os.path.join(gt_root, d)))
    if not names:
        raise UserError(f"no <sequence>/gt/gt.txt under {gt_root}: pass a MOTChallenge folder "
                        "such as MOT17/train, or one sequence folder")
    return names


def select_sequences(gt_root: str, sequences: Optional[Sequence[str]] = None) -> List[str]:
    """``sequences`` (each must have ground truth under ``gt_root``), or every sequence there."""
    available = find_sequences(gt_root)
    if not sequences:
        return available
    unknown = [s for s in sequences if s not in available]
    if unknown:
        raise UserError(f"no ground truth for {', '.join(unknown)} under {gt_root} "
                        f"(available: {', '.join(available)})")
    return list(sequences)


def second_half_start(num_frames: int) -> int:
    """First frame of the second half of a sequence of ``num_frames`` frames (1-based)."""
    return num_frames // 2 + 1


def sequence_length(seq_dir: str) -> Optional[int]:
    """``seqLength`` of the sequence's seqinfo.ini, None without one (frames then come from the files)."""
    from fairmot.datasets.mot_format import read_seqinfo
    if not os.path.isfile(os.path.join(seq_dir, "seqinfo.ini")):
        return None  # e.g. motmetrics' sample data: frames come from gt and results
    try:
        length = read_seqinfo(seq_dir)["length"]
    except ValueError as err:
        raise UserError(f"unreadable sequence: {err}") from None
    return length or None


def sequences_with_results(gt_root: str, results_dir: str, sequences: Optional[Sequence[str]] = None) -> List[str]:
    """The sequences to score: each must have ground truth and a ``<results_dir>/<seq>.txt``."""
    available = select_sequences(gt_root, sequences)
    if not os.path.isdir(results_dir):
        raise UserError(f"results folder {results_dir} not found: it should hold <sequence>.txt "
                        "files written by the tracker")
    missing = [s for s in available if not os.path.isfile(os.path.join(results_dir, s + ".txt"))]
    if missing:
        raise UserError(f"no result file for {len(missing)} of {len(available)} sequences in "
                        f"{results_dir}: {', '.join(s + '.txt' for s in missing)} "
                        "(track them, or pass --sequences to score a subset)")
    return available
