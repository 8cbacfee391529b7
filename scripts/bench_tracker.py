"""Benchmark fairmot.trackers.JDETracker: association time and tracking scores.

Sections (all by default, or pick with --sections):

- mot17:   the seven MOT17 training sequences, ground truth through the simulated detector
           (fairmot.datasets.simulated_detector: misses, jitter, false positives, identity
           embeddings); per sequence the mean update() time per frame and MOTA / IDF1 / ID
           switches; then the same streams in BYTE and motion-only mode. With --original, the
           original FairMOT tracker (see scripts/check_tracker_fidelity.py) is timed on the
           same streams.
- scaling: time per frame with about 10, 50 and 200 people per frame (MOT17-04 tiled or thinned
           by fairmot.datasets.simulated_detector.resize_crowd), ours and (--original) theirs.
- own:     FairMOT's own detections: the bundled demo model (fairmot.models.zoo
           DEMO_RESDCN18W32_SYNTH, trained on seed 0) run once over 4 held-out synthetic clips
           (seed 11, 150 frames each, 640x360), its boxes and embeddings fed to every tracker.
- camera:  the same clips with a camera that pans (fairmot synth --camera-motion pan-shake:
           at most 16 px a frame, shaking 6 px): our trackers with and without the camera-motion
           warps of fairmot.inference.camera_motion (estimated once per clip), and the peers.
- mot15:   motion-only association on real detections: the ten MOT15 training sequences with
           their Faster R-CNN detections; our trackers ("hybrid", "fairmot" and FairMOT+BYTE)
           next to SORT, ByteTrack, OC-SORT and BoT-SORT from the `trackers` PyPI package
           (Roboflow's implementations, at their defaults; a bench-only extra:
           `pip install -e .[bench]`). Per sequence, pooled, and the mean over the ten.

Times are per update() call, single-threaded BLAS: "ms/f" is wall-clock, the best mean of
--repeat runs (the original: one run); "cpu" is the process CPU time per call, which a busy
machine inflates less. Scores use fairmot.evaluation (official MOTChallenge rules); every
tracker's output goes through FairMOT's output filter (area > 100, w/h <= 1.6) first.

Usage: python scripts/bench_tracker.py [--original /tmp/fairmot_original] [--sections mot15]
"""
import argparse
import glob
import os
import sys
import time

# time one thread, as a tracker serving one video stream runs (set before numpy loads BLAS)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from fairmot.datasets.mot_format import load_mot_rows, read_seqinfo, split_by_frame  # noqa: E402
from fairmot.datasets.shared_data import shared_data_dir  # noqa: E402
from fairmot.datasets.simulated_detector import DetectorNoise, resize_crowd, simulate_detections, simulated_sequence  # noqa: E402
from fairmot.evaluation import evaluate_sequence, format_table, summarize  # noqa: E402
from fairmot.trackers import JDETracker, create_tracker, filter_tracks  # noqa: E402

MODES = {   # name -> (JDETracker keyword arguments, feed embeddings)
    "FairMOT": ({}, True),
    "BYTE": ({"use_byte": True}, True),
    "motion-only": ({}, False),
    "motion-only + BYTE": ({"use_byte": True}, False),
}


def track_stream(update, frames, with_embeddings=True, warps=None):
    """Run ``update`` over frames of (dets, embeddings, ...), with ``warps`` (one 2x3 camera
    motion per frame) when given.

    Returns (MOT rows, mean wall seconds per frame, mean CPU seconds per frame)."""
    rows, wall, cpu = [], 0.0, 0.0
    for i, frame in enumerate(frames):
        dets, emb = frame[0].copy(), frame[1].copy() if with_embeddings else None
        start, start_cpu = time.perf_counter(), time.process_time()
        if warps is not None:
            tracks = update(dets, emb, warp=warps[i])
        else:
            tracks = update(dets, emb) if with_embeddings else update(dets)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        rows.extend([i + 1, t.track_id, *t.tlwh, t.score, -1, -1, -1]
                    for t in filter_tracks(tracks))
    n = max(len(frames), 1)
    return np.array(rows, dtype=np.float64).reshape(-1, 10), wall / n, cpu / n


def best_time(make_update, frames, repeat, with_embeddings=True, warps=None):
    """(rows of the first run, best mean wall seconds per frame, best mean CPU seconds per
    frame) over ``repeat`` runs."""
    rows, wall, cpu = None, np.inf, np.inf
    for _ in range(repeat):
        run_rows, run_wall, run_cpu = track_stream(make_update(), frames, with_embeddings, warps)
        rows = run_rows if rows is None else rows
        wall, cpu = min(wall, run_wall), min(cpu, run_cpu)
    return rows, wall, cpu


def ours(frame_rate, **kwargs):
    return lambda: JDETracker(frame_rate=frame_rate, **kwargs).update


def theirs(original, frame_rate):
    from check_tracker_fidelity import make_original_tracker
    return lambda: make_original_tracker(original, frame_rate).update


def scores_line(summary, name):
    row = summary.loc[name]
    return f"{100 * row['MOTA']:>6.1f}{100 * row['IDF1']:>6.1f}{int(row['IDs']):>6d}"


def time_columns(wall, cpu):
    return f"{1e3 * wall:>9.3f}{1e3 * cpu:>7.3f}"


TIME_HEAD = f"{'ms/f':>9}{'cpu':>7}"


def bench_mot17(data, original, repeat, seed):
    seq_dirs = sorted(glob.glob(os.path.join(data, "MOT17", "train", "MOT17-*")))
    if not seq_dirs:
        sys.exit(f"error: no MOT17 sequences under {data}/MOT17/train")
    seqs = [simulated_sequence(d, seed=seed)
            for d in tqdm(seq_dirs, desc="simulating", leave=False)]
    print(f"\n== MOT17 train, simulated detector (seed {seed}), default settings ==")
    print(f"{'':<32}{'ours':>16}" + (f"{'original':>16}{'speedup':>10}" if original else ""))
    print(f"{'sequence':<16}{'frames':>7}{'dets/f':>9}" + TIME_HEAD
          + (TIME_HEAD + f"{'wall':>5}{'cpu':>5}" if original else "")
          + f"{'MOTA':>6}{'IDF1':>6}{'IDs':>6}")
    accs, t_ours, t_theirs, n_frames = {}, [], [], []
    for seq in tqdm(seqs, desc="tracking", leave=False):
        rows, wall, cpu = best_time(ours(seq.frame_rate), seq.frames, repeat)
        accs[seq.name] = evaluate_sequence(seq.gt_rows, rows, seq.name, len(seq.frames))
        dets_per_frame = np.mean([np.sum(f[0][:, 4] > 0.4) for f in seq.frames])
        line = f"{seq.name:<16}{len(seq.frames):>7}{dets_per_frame:>9.1f}" + time_columns(wall, cpu)
        if original:
            _, o_wall, o_cpu = best_time(theirs(original, seq.frame_rate), seq.frames, 1)
            line += time_columns(o_wall, o_cpu) + f"{o_wall / wall:>5.1f}{o_cpu / cpu:>5.1f}"
            t_theirs.append((o_wall, o_cpu))
        t_ours.append((wall, cpu))
        n_frames.append(len(seq.frames))
        print(line + scores_line(summarize({seq.name: accs[seq.name]}), seq.name))
    summary = summarize(accs)
    mean_ours = np.mean(t_ours, axis=0)
    line = f"{'mean of 7':<16}{sum(n_frames):>7}{'':>9}" + time_columns(*mean_ours)
    if original:
        mean_theirs = np.mean(t_theirs, axis=0)
        ratio = mean_theirs / mean_ours
        line += time_columns(*mean_theirs) + f"{ratio[0]:>5.1f}{ratio[1]:>5.1f}"
    print(line + scores_line(summary, "OVERALL") + "  (scores: all frames pooled)")

    print("\n== the same streams, every tracker (all seven sequences pooled; peers: motion only) ==")
    contenders = {f"fairmot {mode}": (lambda fr, kw=kwargs: ours(fr, **kw), with_emb)
                  for mode, (kwargs, with_emb) in MODES.items()}
    contenders["hybrid (embeddings)"] = (lambda fr: lambda: create_tracker("hybrid", fr).update, True)
    contenders["hybrid (motion only)"] = (lambda fr: lambda: create_tracker("hybrid", fr).update, False)
    print_contenders(contenders, [(q.name, q.frame_rate, q.gt_rows, q.frames) for q in seqs], 1)


def print_contenders(contenders, streams, repeat):
    """One row per tracker, the peers added: ms/frame and the pooled MOTA / IDF1 / IDs over
    ``streams`` of (name, frame rate, ground-truth rows, frames[, camera warps]).
    ``contenders``: {name: (make(frame_rate) -> make_update, with embeddings[, with warps])}."""
    contenders = dict(contenders)
    for name, make in peer_trackers().items():
        contenders[name] = (lambda fr, make=make: lambda: make(fr), False)
    print(f"{'tracker':<30}" + TIME_HEAD + f"{'MOTA':>6}{'IDF1':>6}{'IDs':>6}")
    for name, (make, with_emb, *with_warps) in contenders.items():
        accs, times = {}, []
        for seq, fps, gt, frames, *warps in tqdm(streams, desc=name, leave=False):
            warps = warps[0] if warps and with_warps and with_warps[0] else None
            rows, wall, cpu = best_time(make(fps), frames, repeat, with_emb, warps)
            accs[seq] = evaluate_sequence(gt, rows, seq, len(frames))
            times.append((wall, cpu))
        print(f"{name:<30}" + time_columns(*np.mean(times, axis=0)) + scores_line(summarize(accs), "OVERALL"),
              flush=True)


def bench_scaling(data, original, repeat, seed, frames=300):
    seq_dir = os.path.join(data, "MOT17", "train", "MOT17-04-FRCNN")
    info = read_seqinfo(seq_dir)
    gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
    gt = gt[gt[:, 0] <= frames]
    print(f"\n== cost vs people per frame (MOT17-04 frames 1-{frames}, tiled or thinned) ==")
    print(f"{'':<23}{'ours':>16}" + (f"{'original':>16}{'speedup':>10}" if original else ""))
    print(f"{'target':>7}{'people/f':>9}{'dets/f':>7}" + TIME_HEAD
          + (TIME_HEAD + f"{'wall':>5}{'cpu':>5}" if original else ""))
    for target in (10, 50, 200):
        rows, width = resize_crowd(gt, target, info["width"], seed=seed)
        stream = simulate_detections(rows, frames, width, info["height"], DetectorNoise(), seed)
        people = len(rows) / frames
        dets = np.mean([np.sum(f[0][:, 4] > 0.4) for f in stream])
        _, wall, cpu = best_time(ours(info["frame_rate"]), stream, repeat)
        line = f"{target:>7}{people:>9.1f}{dets:>7.1f}" + time_columns(wall, cpu)
        if original:
            _, o_wall, o_cpu = best_time(theirs(original, info["frame_rate"]), stream, 1)
            line += time_columns(o_wall, o_cpu) + f"{o_wall / wall:>5.1f}{o_cpu / cpu:>5.1f}"
        print(line)


def mot15_frames(det_rows, num_frames):
    """Per frame (dets [x1, y1, x2, y2, score], None) from MOTChallenge detection rows."""
    by_frame = split_by_frame(det_rows)
    frames = []
    for f in range(1, num_frames + 1):
        rows = by_frame.get(f, np.zeros((0, 10)))
        dets = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6], rows[:, 6]].astype(np.float32)
        frames.append((dets, None))
    return frames


def roboflow_update(tracker_class, frame_rate):
    """``update(dets)`` for a tracker of the `trackers` package; returns objects with tlwh etc."""
    import supervision as sv

    class Out:
        __slots__ = ("track_id", "tlwh", "score")

        def __init__(self, track_id, xyxy, score):
            self.track_id, self.score = track_id, score
            self.tlwh = np.r_[xyxy[:2], xyxy[2:] - xyxy[:2]]

    tracker = tracker_class(frame_rate=frame_rate)

    def update(dets):
        det = sv.Detections(xyxy=dets[:, :4].astype(np.float64), confidence=dets[:, 4])
        out = tracker.update(det)
        return [Out(int(i), b, float(s)) for b, s, i in
                zip(out.xyxy, out.confidence, out.tracker_id) if i >= 0]
    return update


def own_detection_streams(seed=11, clips=4, frames=150, pan_speed=0.0, jitter=0.0):
    """[(name, frame_rate, gt rows, frames of (dets, embeddings), camera warps)]: the bundled
    demo network's detections (score > 0.05) on held-out synthetic clips, generated in a
    temporary folder, and the warps the tracking pipeline's camera-motion estimator finds
    between their frames (given the detections to mask, as the pipeline does)."""
    import tempfile

    import cv2
    import torch

    from fairmot.datasets.synthetic import SynthConfig, write_sequence
    from fairmot.inference.camera_motion import CameraMotionEstimator
    from fairmot.inference.torch_detector import Detector
    from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH

    detector = Detector(DEMO_RESDCN18W32_SYNTH.path, input_size=None, device="cpu", conf_thres=0.05)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    streams = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in tqdm(range(clips), desc="own detections", leave=False):
            seq_dir = os.path.join(tmp, f"own-{i:02d}")
            config = SynthConfig(frames=frames, pan_speed=pan_speed, jitter=jitter)
            write_sequence(seq_dir, config, seed=(seed, i))
            gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
            stream, warps, camera = [], [], CameraMotionEstimator()
            for f in range(1, frames + 1):
                image = cv2.imread(os.path.join(seq_dir, "img1", f"{f:06d}.jpg"))
                boxes, embeddings, _ = detector(image)
                stream.append((np.asarray(boxes, np.float32), np.asarray(embeddings, np.float32)))
                warps.append(camera(image, boxes))
            streams.append((f"own-{i:02d}", config.fps, gt, stream, warps))
    return streams


def bench_own(repeat):
    streams = own_detection_streams()
    print("\n== FairMOT's own detections: bundled demo model on 4 held-out synthetic clips (seed 11), pooled ==")
    contenders = {"fairmot": (lambda fr: ours(fr), True), "fairmot BYTE": (lambda fr: ours(fr, use_byte=True), True),
                  "hybrid (embeddings)": (lambda fr: lambda: create_tracker("hybrid", fr).update, True)}
    print_contenders(contenders, streams, repeat)


CAMERA_PAN, CAMERA_SHAKE = 16.0, 6.0   # px/frame at most, px std: a quick pan, a hand-held camera


def bench_camera(repeat):
    streams = own_detection_streams(pan_speed=CAMERA_PAN, jitter=CAMERA_SHAKE)
    print(f"\n== A moving camera: bundled demo model on the same 4 held-out clips (seed 11), the camera panning "
          f"(<= {CAMERA_PAN:g} px/frame) and shaking ({CAMERA_SHAKE:g} px), pooled ==")
    contenders = {}
    for name in ("fairmot", "hybrid"):
        for compensated in (False, True):
            label = f"{name}{' + camera motion' if compensated else ''}"
            contenders[label] = (lambda fr, name=name: lambda: create_tracker(name, fr).update, True, compensated)
    print_contenders(contenders, streams, repeat)


def peer_trackers():
    """{name: make(frame_rate) -> update(dets)} for the peers installed (Roboflow's `trackers`)."""
    try:
        import trackers as peers
    except ImportError:
        return {}
    return {f"{label} (rf)": lambda fr, cls=cls: roboflow_update(cls, fr)
            for label, cls in (("SORT", peers.SORTTracker), ("ByteTrack", peers.ByteTrackTracker),
                               ("OC-SORT", peers.OCSORTTracker), ("BoT-SORT", peers.BoTSORTTracker))}


def bench_mot15(data, repeat):
    root = os.path.join(data, "MOT15", "train")
    seq_dirs = sorted(d for d in glob.glob(os.path.join(root, "*"))
                      if os.path.isfile(os.path.join(d, "det", "det.txt")))
    if not seq_dirs:
        sys.exit(f"error: no MOT15 sequences with det/det.txt under {root}")
    trackers = {
        "hybrid (ours)": lambda fr: create_tracker("hybrid", fr).update,
        "fairmot (ours)": lambda fr: create_tracker("fairmot", fr).update,
        "fairmot+BYTE": lambda fr: JDETracker(frame_rate=fr, use_byte=True, conf_thres=0.7, low_thres=0.5).update,
    }
    peers = peer_trackers()
    trackers.update(peers)
    missing = "" if peers else "  (peers skipped: `pip install -e .[bench]` adds Roboflow's trackers)"
    print("\n== MOT15 train, real Faster R-CNN detections, motion only ==" + missing)
    print("fairmot+BYTE: conf_thres 0.7, low_thres 0.5 (these detections start at 0.5); peers at their defaults")
    accs = {name: {} for name in trackers}
    times = {name: [] for name in trackers}
    for seq_dir in tqdm(seq_dirs, desc="MOT15", leave=False):
        info = read_seqinfo(seq_dir)
        gt = load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))
        dets = load_mot_rows(os.path.join(seq_dir, "det", "det.txt"))
        frames = mot15_frames(dets, info["length"])
        for name, make in trackers.items():
            rows, wall, _ = best_time(lambda make=make, fps=info["frame_rate"]: make(fps), frames, repeat, False)
            accs[name][info["name"]] = evaluate_sequence(gt, rows, info["name"], info["length"])
            times[name].append(wall)
    names = list(trackers)
    summaries = {name: summarize(accs[name]) for name in names}
    print(f"{'sequence':<16}" + "".join(f"{n:>19}" for n in names))
    print(f"{'':<16}" + "".join(f"{'MOTA  IDF1   IDs':>19}" for _ in names))
    for seq in list(summaries[names[0]].index):
        print(f"{seq + (' (pooled)' if seq == 'OVERALL' else ''):<16}"
              + "".join(f"{scores_line(summaries[n], seq):>19}" for n in names))
    means = {n: summaries[n].drop("OVERALL")[["MOTA", "IDF1"]].mean() for n in names}
    print(f"{'mean of 10':<16}" + "".join(f"{100 * means[n]['MOTA']:>7.1f}{100 * means[n]['IDF1']:>6.1f}{'':>6}"
                                          for n in names))
    print(f"{'ms/frame':<16}" + "".join(f"{1e3 * np.mean(times[n]):>19.3f}" for n in names))
    print("\nfull table, " + names[0] + ":\n" + format_table(summaries[names[0]]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--original", default=None,
                        help="folder with the network-free original tracker, to time it too "
                             "(see scripts/check_tracker_fidelity.py)")
    parser.add_argument("--sections", nargs="*", default=["mot17", "scaling", "mot15", "own", "camera"],
                        choices=["mot17", "scaling", "mot15", "own", "camera"])
    parser.add_argument("--repeat", type=int, default=3,
                        help="timing runs of our tracker; the best mean counts")
    parser.add_argument("--seed", type=int, default=0, help="simulated detector seed")
    args = parser.parse_args(argv)
    data = args.data or shared_data_dir()
    original = None
    if args.original:
        from check_tracker_fidelity import load_original
        original = load_original(args.original)
    if "mot17" in args.sections:
        bench_mot17(data, original, args.repeat, args.seed)
    if "scaling" in args.sections:
        bench_scaling(data, original, args.repeat, args.seed)
    if "mot15" in args.sections:
        bench_mot15(data, args.repeat)
    if "own" in args.sections:
        bench_own(args.repeat)
    if "camera" in args.sections:
        bench_camera(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
