"""MOTChallenge sequences -> JDE layout (labels_with_ids, list files, data.json).

Ground truth comes in two row styles:

- ``mot15``: ``frame,id,x,y,w,h,mark,wx,wy,wz`` (10 columns, every row a pedestrian); rows with
  mark 0 are left out, as the original did.
- ``mot16`` (MOT16/17/20): ``frame,id,x,y,w,h,mark,class,visibility`` (9 columns); only rows
  with mark != 0 and class 1 (pedestrian) are kept, optionally only above a visibility.
  ``classes`` (MOT17's numbers, e.g. 1, 3, 4, 5) keeps other classes too, each as its own JDE
  class in the order given: rows of class 1 as above, rows of any other class whatever their
  mark (MOT17 annotates its cars, bicycles and motorbikes with identities but marks them all 0).

Identity ids are renumbered 1, 2, ... within each class across all converted sequences (ordered
by sequence, then original id). Boxes whose centre lies outside the image are left out (counted).
"""
import os
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from fairmot.errors import UserError

from .classes import MOT17_CLASSES, ClassTable
from .jde import tlwh_to_label_rows
from .jde_writer import ConversionSummary, JdeWriter
from .mot_format import GT_FORMATS, load_mot_rows, read_seqinfo, split_by_frame

PEDESTRIAN = 1


@dataclass
class SequencePart:
    """Frames ``first``..``last`` (inclusive) of one sequence, going to list ``split``."""

    seq_dir: str
    split: str
    first: int
    last: int


def detect_gt_format(gt_path):
    """``mot16`` for 9-column ground truth (MOT16/17/20), ``mot15`` otherwise."""
    with open(gt_path) as f:
        for line in f:
            fields = line.replace(",", " ").split()
            if fields:
                return "mot16" if len(fields) == 9 else "mot15"
    return "mot15"


def keep_rows(rows, gt_format, min_visibility=0.0, classes=(PEDESTRIAN,)):
    """Boolean mask of the ground-truth rows to train on: marked pedestrians, and with
    ``classes`` (MOT16-style rows only) every row of the other classes listed."""
    if gt_format != "mot16":
        return rows[:, 6] != 0
    pedestrians = (rows[:, 6] != 0) & (rows[:, 7] == PEDESTRIAN) if PEDESTRIAN in classes else False
    others = np.isin(rows[:, 7], [c for c in classes if c != PEDESTRIAN])
    return (pedestrians | others) & (rows[:, 8] >= min_visibility)


def mot_class_table(classes):
    """The ClassTable of MOT17 class numbers ``classes``; UserError for an unknown number."""
    classes = [int(c) for c in classes]
    unknown = [c for c in classes if c not in MOT17_CLASSES]
    if unknown or len(set(classes)) != len(classes):
        raise UserError(f"--classes {','.join(map(str, classes))}: MOT17's classes are numbers 1-13, each once "
                        "(1 pedestrian, 3 car, 4 bicycle, 5 motorbike, ...)")
    return ClassTable(tuple(MOT17_CLASSES[c] for c in classes), tuple(classes))


def load_gt_rows(seq_dir):
    """The sequence's ground truth; UserError naming the file and line for a malformed one
    (non-numeric fields, too few columns, fractional frame numbers or identities)."""
    path = _gt_path(seq_dir)
    try:
        rows = load_mot_rows(path)
    except ValueError as err:
        raise UserError(f"malformed ground truth: {err}") from None
    except UnicodeDecodeError:
        raise UserError(f"malformed ground truth: {path} is not a text file") from None
    for column, what in ((0, "frame number"), (1, "identity")):
        bad = np.flatnonzero(~np.isfinite(rows[:, column]) | (rows[:, column] != np.round(rows[:, column])))
        if len(bad):
            raise UserError(f"malformed ground truth: {path} row {bad[0] + 1} has {what} {rows[bad[0], column]:g}; "
                            "it must be a whole number (a fractional id would merge with another identity)")
    if len(rows) and not np.all(np.isfinite(rows[:, 2:6])):
        raise UserError(f"malformed ground truth: {path} has non-finite box values")
    return rows


def annotated_range(seq_dir):
    """(1, last frame with ground truth): frames after it are unannotated, not empty."""
    rows = load_gt_rows(seq_dir)
    return 1, int(rows[:, 0].max()) if len(rows) else 0


def plan_parts(seq_dirs, train_frames=None, val_frames=None, half=False):
    """Which frames of each sequence go to which list.

    Default: all annotated frames to ``train``. ``train_frames``/``val_frames``: (first, last)
    applied to every sequence. ``half``: the first half of each sequence's annotated frames to
    ``train``, the rest to ``val`` (the MOT17 half-val protocol).
    """
    if half and (train_frames or val_frames):
        raise UserError("--half splits each sequence itself: do not combine it with frame ranges")
    parts = []
    for seq_dir in seq_dirs:
        first, last = annotated_range(seq_dir)
        if half:
            middle = first + (last - first + 1) // 2
            parts += [SequencePart(seq_dir, "train", first, middle - 1),
                      SequencePart(seq_dir, "val", middle, last)]
            continue
        parts.append(SequencePart(seq_dir, "train", *(train_frames or (first, last))))
        if val_frames:
            parts.append(SequencePart(seq_dir, "val", *val_frames))
    return parts


def _gt_path(seq_dir):
    path = os.path.join(seq_dir, "gt", "gt.txt")
    if not os.path.isfile(path):
        raise UserError(f"{path} not found: a MOTChallenge sequence to convert needs gt/gt.txt")
    return path


def _load_sequence(seq_dir, gt_format, min_visibility, summary, classes=(PEDESTRIAN,)):
    try:
        info = read_seqinfo(seq_dir)
    except (FileNotFoundError, ValueError) as err:
        raise UserError(str(err)) from None
    rows = load_gt_rows(seq_dir)
    if info["width"] <= 0 or info["height"] <= 0:
        raise UserError(f"{seq_dir}/seqinfo.ini lacks imWidth/imHeight")
    fmt = detect_gt_format(_gt_path(seq_dir)) if gt_format == "auto" else gt_format
    if fmt != "mot16" and tuple(classes) != (PEDESTRIAN,):
        raise UserError(f"{_gt_path(seq_dir)} has MOT15-style rows (no classes): --classes needs MOT16/17/20 "
                        "ground truth")
    keep = keep_rows(rows, fmt, min_visibility, classes)
    if fmt != "mot16":
        reason = "mark 0"
    elif tuple(classes) == (PEDESTRIAN,):
        reason = "not pedestrian (mark 0 or class != 1)"
    else:
        reason = f"not of classes {','.join(map(str, classes))} (or a pedestrian with mark 0)"
    summary.drop(reason, (~keep).sum())
    return info, rows[keep]


def _check_frames(part, info):
    img_dir = os.path.join(part.seq_dir, info["im_dir"])
    if not os.path.isdir(img_dir):
        raise UserError(f"{img_dir} not found: the sequence has no frames; pass "
                        f"--labels-only to write its labels without list files")
    for frame in range(part.first, part.last + 1):
        path = os.path.join(img_dir, f"{frame:06d}{info['im_ext']}")
        if not os.path.isfile(path):
            raise UserError(f"{path} is missing (frame {frame} of the {part.split} frames "
                            f"{part.first}-{part.last}): check the frame range")


def convert_mot(parts, out_dir, name, gt_format="auto", min_visibility=0.0, labels_only=False,
                copy_images=False, progress=True, classes=(PEDESTRIAN,)):
    """Write JDE labels for ``parts`` (see :func:`plan_parts`) into ``out_dir``.

    Images are linked as ``images/<seq>/<imDir>``; list files ``<name>.<split>`` and data.json
    are written unless ``labels_only`` (for ground truth without frames). ``classes``: MOT17
    class numbers to keep, label class i for the i-th (see the module docstring). Returns a
    :class:`ConversionSummary`.
    """
    table = mot_class_table(classes)
    if gt_format not in GT_FORMATS:
        raise UserError(f"unknown ground-truth format {gt_format!r}: use one of {GT_FORMATS}")
    seq_dirs = list(dict.fromkeys(p.seq_dir for p in parts))
    seq_names = [os.path.basename(os.path.normpath(d)) for d in seq_dirs]
    if len(set(seq_names)) != len(seq_names):
        raise UserError(f"two sequences share a folder name ({seq_names}): convert them apart")
    summary = ConversionSummary(name)
    sequences = {d: _load_sequence(d, gt_format, min_visibility, summary, table.numbers) for d in seq_dirs}
    class_of = {number: index for index, number in enumerate(table.numbers)}

    # rows outside every part's frames are not converted; identities count only kept rows
    in_parts = {}
    for d, (_, rows) in sequences.items():
        mask = np.zeros(len(rows), bool)
        for p in parts:
            if p.seq_dir == d:
                mask |= (rows[:, 0] >= p.first) & (rows[:, 0] <= p.last)
        summary.drop("outside the chosen frames", (~mask).sum())
        in_parts[d] = rows[mask]
    new_ids, per_class = {}, {}
    for d in seq_dirs:
        rows = in_parts[d]
        # MOT15-style rows have no class column: all of them are class 0
        cls = (np.array([class_of[int(c)] for c in rows[:, 7]], np.int64) if len(table) > 1
               else np.zeros(len(rows), np.int64))
        in_parts[d] = np.c_[rows, cls]
        for c in range(len(table)):
            for old in np.unique(rows[cls == c, 1]).astype(np.int64):
                per_class[c] = per_class.get(c, 0) + 1
                new_ids[d, c, int(old)] = per_class[c]
    summary.identities = len(new_ids)
    summary.identities_per_class = {table.names[c]: per_class.get(c, 0) for c in range(len(table))}

    if not labels_only:
        for part in parts:
            _check_frames(part, sequences[part.seq_dir][0])

    with JdeWriter(out_dir, name) as writer:
        split_images = {}
        written = set()
        total = sum(p.last - p.first + 1 for p in parts)
        bar = tqdm(total=total, desc=f"convert {name}", unit="frame", disable=not progress or None)
        for d, seq_name in zip(seq_dirs, seq_names):
            info, rows = sequences[d]
            if not labels_only:
                writer.link_images(os.path.join(d, info["im_dir"]), f"{seq_name}/{info['im_dir']}",
                                   copy=copy_images)
            by_frame = split_by_frame(in_parts[d])
            for part in (p for p in parts if p.seq_dir == d):
                listed = split_images.setdefault(part.split, [])
                for frame in range(part.first, part.last + 1):
                    bar.update()
                    rel = f"{seq_name}/{info['im_dir']}/{frame:06d}{info['im_ext']}"
                    listed.append(rel)
                    if rel in written:
                        continue
                    written.add(rel)
                    frame_rows = by_frame.get(frame, np.zeros((0, 11)))
                    cls = frame_rows[:, 10].astype(np.int64)
                    ids = [new_ids[d, c, int(i)] for c, i in zip(cls, frame_rows[:, 1])]
                    labels, kept = tlwh_to_label_rows(frame_rows[:, 2:6], ids,
                                                      info["width"], info["height"], cls=cls)
                    summary.drop("centre outside the image", (~kept).sum())
                    summary.boxes_kept += len(labels)
                    writer.write_labels(rel, labels)
        bar.close()
        if not labels_only:
            writer.write_splits(summary, split_images, table)
        else:
            summary.classes = table
            summary.images = {split: len(v) for split, v in split_images.items()}
        return summary
