"""Check that fairmot.trackers.JDETracker gives the original FairMOT tracker's tracks.

Both trackers get the same simulated detections and embeddings (MOT17 ground truth through
fairmot.datasets.simulated_detector) frame by frame; the script reports, per sequence, the
frames whose output ids differ, the largest box difference over all output tracks, and the
time per frame of each.

The original code is not part of this repository. ORIGINAL_DIR must hold a NumPy-2-compatible,
network-free copy of FairMOT's tracker (github.com/ifzhang/FairMOT, src/lib) as flat modules:

- ``basetrack.py``      = tracker/basetrack.py
- ``kalman_filter.py``  = tracking_utils/kalman_filter.py
- ``matching.py``       = tracker/matching.py, ``np.float`` -> ``float``, importing
                          ``kalman_filter`` as a top-level module
- ``multitracker.py``   = tracker/multitracker.py, ``np.float`` -> ``float``; imports of torch,
  cv2, models, logger and utils removed; ``JDETracker.__init__(opt, frame_rate)`` without the
  model (``opt`` needs ``conf_thres`` and ``track_buffer``); ``update(dets, id_feature)``
  starting at ``remain_inds = dets[:, 4] > self.opt.conf_thres`` with ``dets`` (N, 5) float32
  ``[x1, y1, x2, y2, score]`` and ``id_feature`` (N, D) float32 (everything after unchanged).

Usage: python scripts/check_tracker_fidelity.py /tmp/fairmot_original [--sequences MOT17-04 ...]
Exit status 1 when any id or box differs.
"""
import argparse
import glob
import importlib
import os
import sys
import time
import types

import numpy as np
from tqdm import tqdm

from fairmot.datasets.shared_data import shared_data_dir
from fairmot.datasets.simulated_detector import simulated_sequence
from fairmot.trackers import JDETracker

BOX_TOLERANCE = 1e-3


def load_original(original_dir):
    """Import the original's ``multitracker`` and ``basetrack`` from ``original_dir``."""
    if not os.path.isfile(os.path.join(original_dir, "multitracker.py")):
        sys.exit(f"error: {original_dir}/multitracker.py not found; see this script's docstring "
                 f"for the network-free copy of FairMOT's tracker it needs")
    sys.path.insert(0, os.path.abspath(original_dir))
    return importlib.import_module("multitracker"), importlib.import_module("basetrack")


def make_original_tracker(modules, frame_rate, conf_thres=0.4, track_buffer=30):
    """A fresh original tracker whose ids start at 1 again (the original counts globally)."""
    multitracker, basetrack = modules
    basetrack.BaseTrack._count = 0
    opt = types.SimpleNamespace(conf_thres=conf_thres, track_buffer=track_buffer)
    return multitracker.JDETracker(opt, frame_rate=int(frame_rate))


def run_tracker(update, frames):
    """Feed frames to ``update(dets, embeddings)``; returns (outputs per frame, seconds per frame).

    Outputs are lists of (track_id, tlwh) in the tracker's order."""
    outputs, seconds = [], []
    for dets, emb, _ in frames:
        dets, emb = dets.copy(), emb.copy()    # the original normalises embeddings in place
        start = time.perf_counter()
        tracks = update(dets, emb)
        seconds.append(time.perf_counter() - start)
        outputs.append([(int(t.track_id), np.asarray(t.tlwh, dtype=np.float64)) for t in tracks])
    return outputs, np.array(seconds)


def compare(ours, theirs):
    """(frames with different ids or order, max |box difference| over tracks with equal ids)."""
    id_mismatch_frames, max_diff = [], 0.0
    for frame, (a, b) in enumerate(zip(ours, theirs), 1):
        ids_a, ids_b = [i for i, _ in a], [i for i, _ in b]
        if ids_a != ids_b:
            id_mismatch_frames.append(frame)
        boxes_b = dict(b)
        for track_id, box in a:
            if track_id in boxes_b:
                max_diff = max(max_diff, float(np.abs(box - boxes_b[track_id]).max()))
    return id_mismatch_frames, max_diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original_dir", help="network-free copy of FairMOT's tracker (see above)")
    parser.add_argument("--data", default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--sequences", nargs="*", default=None,
                        help="MOT17 sequence names (default: all seven training sequences)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0],
                        help="simulated detector seeds; each gives another stream")
    args = parser.parse_args(argv)

    modules = load_original(args.original_dir)
    root = os.path.join(args.data or shared_data_dir(), "MOT17", "train")
    seq_dirs = sorted(glob.glob(os.path.join(root, "MOT17-*")))
    if args.sequences:
        seq_dirs = [d for d in seq_dirs if any(os.path.basename(d).startswith(s) for s in args.sequences)]
    if not seq_dirs:
        sys.exit(f"error: no MOT17 sequences found under {root}")

    print(f"{'sequence':<16}{'seed':>5}{'frames':>8}{'tracks':>8}{'id-mismatch frames':>20}"
          f"{'max box diff px':>17}{'ours ms/f':>11}{'orig ms/f':>11}")
    failed = False
    for seq_dir in seq_dirs:
        for seed in args.seeds:
            seq = simulated_sequence(seq_dir, seed=seed)
            ours_tracker = JDETracker(frame_rate=seq.frame_rate)
            theirs_tracker = make_original_tracker(modules, seq.frame_rate)
            frames = tqdm(seq.frames, desc=seq.name, leave=False)
            ours, t_ours = run_tracker(ours_tracker.update, frames)
            theirs, t_theirs = run_tracker(theirs_tracker.update, seq.frames)
            mismatches, max_diff = compare(ours, theirs)
            n_ids = len({i for frame in ours for i, _ in frame})
            print(f"{seq.name:<16}{seed:>5}{len(seq.frames):>8}{n_ids:>8}{len(mismatches):>20}"
                  f"{max_diff:>17.2e}{1e3 * t_ours.mean():>11.3f}{1e3 * t_theirs.mean():>11.3f}")
            if mismatches:
                print(f"  first frames with different ids: {mismatches[:10]}")
            failed |= bool(mismatches) or max_diff > BOX_TOLERANCE
    print("FAIL" if failed else f"OK: same ids on every frame, boxes within {BOX_TOLERANCE} px")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
