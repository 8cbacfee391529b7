"""HOTA: hand-made cases whose scores are known, and TrackEval's own numbers on real MOT15 data."""
import os

import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows, split_by_frame
from fairmot.evaluation.boxes import box_iou
from fairmot.evaluation.hota import ALPHAS, HOTA_FIELDS, combine, frames_from_ids, hota_sequence
from support.data import SHARED, requires_shared
from support.mot15 import mot15_track_rows


def one_object(result_ids, iou=1.0):
    """One ground-truth object over len(result_ids) frames, tracked with those ids at that IoU."""
    return [(np.array([0]), np.array([r]), np.array([[iou]])) for r in result_ids]


def test_an_id_switch_halves_association_and_nothing_else():
    scores = hota_sequence(frames_from_ids(*zip(*one_object([7, 7, 9, 9])))).summary()
    assert scores["DetA"] == scores["DetRe"] == scores["DetPr"] == scores["LocA"] == 1.0
    assert scores["AssA"] == pytest.approx(0.5) and scores["AssRe"] == pytest.approx(0.5)
    assert scores["AssPr"] == pytest.approx(1.0)
    assert scores["HOTA"] == pytest.approx(np.sqrt(0.5))


def test_localisation_decides_at_which_alphas_a_match_counts():
    per_alpha = hota_sequence(one_object([0, 0, 0], iou=0.5)).scores()
    assert list(per_alpha["DetA"]) == [1.0 if a <= 0.5 + 1e-9 else 0.0 for a in ALPHAS]
    assert hota_sequence(one_object([0, 0, 0], iou=0.5)).summary()["HOTA"] == pytest.approx(10 / 19)


def test_empty_results_or_ground_truth():
    nothing = hota_sequence([(np.array([0]), np.array([], int), np.zeros((1, 0)))] * 3)
    assert nothing.summary()["HOTA"] == 0 and list(nothing.fn) == [3] * 19
    no_gt = hota_sequence([(np.array([], int), np.array([0, 1]), np.zeros((0, 2)))])
    assert list(no_gt.fp) == [2] * 19 and no_gt.summary()["DetPr"] == 0


def mot15_frames(seq):
    """MOT15 ground truth (marked rows) and our tracks from the real detections, as
    (gt ids, result ids, IoU) per frame."""
    gt = load_mot_rows(os.path.join(SHARED, "MOT15", "train", seq, "gt", "gt.txt"))
    gt_by_frame = split_by_frame(gt[gt[:, 6] != 0])
    gt_ids, res_ids, sims = [], [], []
    for frame, tracks in enumerate(mot15_track_rows(seq), 1):
        g = gt_by_frame.get(frame, np.zeros((0, 10)))
        t = np.array(tracks).reshape(-1, 9)
        gt_ids.append(g[:, 1].astype(int))
        res_ids.append(t[:, 0].astype(int))
        sims.append(box_iou(g[:, 2:6], t[:, 1:5], fmt="tlwh"))
    return frames_from_ids(gt_ids, res_ids, sims)


def trackeval_sequence(frames):
    import trackeval
    data = {"num_timesteps": len(frames), "gt_ids": [f[0] for f in frames], "tracker_ids": [f[1] for f in frames],
            "similarity_scores": [f[2] for f in frames],
            "num_gt_dets": sum(len(f[0]) for f in frames), "num_tracker_dets": sum(len(f[1]) for f in frames),
            "num_gt_ids": len(np.unique(np.concatenate([f[0] for f in frames]))),
            "num_tracker_ids": len(np.unique(np.concatenate([f[1] for f in frames])))}
    return trackeval.metrics.HOTA().eval_sequence(data)


@requires_shared
def test_equal_to_trackeval_on_real_mot15_sequences():
    pytest.importorskip("trackeval")
    import trackeval

    ours, theirs = {}, {}
    for seq in ("TUD-Campus", "ETH-Sunnyday", "KITTI-17"):
        frames = mot15_frames(seq)
        ours[seq], theirs[seq] = hota_sequence(frames), trackeval_sequence(frames)
        per_alpha = ours[seq].scores()
        for field in HOTA_FIELDS:
            np.testing.assert_allclose(per_alpha[field], theirs[seq][field], atol=1e-9, err_msg=f"{seq} {field}")
        assert 0.2 < ours[seq].summary()["HOTA"] < 0.9
    combined = combine(ours.values()).scores()
    reference = trackeval.metrics.HOTA().combine_sequences(theirs)
    for field in HOTA_FIELDS:
        np.testing.assert_allclose(combined[field], reference[field], atol=1e-9, err_msg=f"combined {field}")


def noisy_results(gt, seed):
    """Tracker-like results from ground truth: marked rows of every class (so that some boxes
    land on distractors), boxes jittered, 10 % dropped, false positives added, and the ids of every
    fifth object swapped with another's half way."""
    rng = np.random.default_rng(seed)
    rows = gt[gt[:, 6] != 0].copy()
    rows = rows[rng.random(len(rows)) > 0.1]
    rows[:, 2:6] += rng.normal(0, 3, (len(rows), 4))
    ids = np.unique(rows[:, 1])
    middle = np.median(rows[:, 0])
    for a, b in zip(ids[::5], ids[1::5]):
        later = rows[:, 0] > middle
        ra, rb = later & (rows[:, 1] == a), later & (rows[:, 1] == b)
        rows[ra, 1], rows[rb, 1] = b, a
    fps = rows[rng.random(len(rows)) < 0.05].copy()
    fps[:, 1] += 10_000
    fps[:, 2] += 200
    out = np.concatenate([rows, fps])
    out[:, 6], out[:, 7:] = 1.0, -1
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def trackeval_on_files(tmp_path, benchmark, sequences):
    """trackeval's own MOTChallenge evaluation of {name: (gt_rows, result_rows, length)} as files."""
    import trackeval
    for name, (gt, res, length) in sequences.items():
        (tmp_path / "gt" / name / "gt").mkdir(parents=True)
        np.savetxt(tmp_path / "gt" / name / "gt" / "gt.txt", gt[:, :9], fmt="%g", delimiter=",")
        (tmp_path / "gt" / name / "seqinfo.ini").write_text(f"[Sequence]\nname={name}\nseqLength={length}\n")
        (tmp_path / "trackers" / "ours" / "data").mkdir(parents=True, exist_ok=True)
        np.savetxt(tmp_path / "trackers" / "ours" / "data" / f"{name}.txt", res, fmt="%.2f", delimiter=",")
    dataset = trackeval.datasets.MotChallenge2DBox({
        "GT_FOLDER": str(tmp_path / "gt"), "TRACKERS_FOLDER": str(tmp_path / "trackers"), "BENCHMARK": benchmark,
        "SKIP_SPLIT_FOL": True, "SEQ_INFO": {n: v[2] for n, v in sequences.items()}, "PRINT_CONFIG": False,
        "TRACKERS_TO_EVAL": ["ours"]})
    evaluator = trackeval.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                                     "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                                     "TIME_PROGRESS": False, "DISPLAY_LESS_PROGRESS": True})
    results, _ = evaluator.evaluate([dataset], [trackeval.metrics.HOTA()])
    return {seq: value["pedestrian"]["HOTA"] for seq, value in results["MotChallenge2DBox"]["ours"].items()}


@requires_shared
@pytest.mark.parametrize("layout, names", [
    ("MOT17", ("MOT17-02-FRCNN", "MOT17-05-FRCNN")),
    ("MOT15", ("TUD-Campus", "KITTI-17")),
])
def test_equal_to_trackeval_from_files(layout, names, tmp_path):
    """The same files scored by trackeval (its reading, preprocessing, HOTA and combination) and by
    us: every field at every alpha to 1e-6, per sequence and combined."""
    pytest.importorskip("trackeval")
    from fairmot.evaluation.hota_frames import hota_frames
    from fairmot.evaluation.sequences import sequence_length

    sequences = {}
    for seed, name in enumerate(names):
        root = os.path.join(SHARED, layout, "train", name)
        gt = load_mot_rows(os.path.join(root, "gt", "gt.txt"))
        if layout == "MOT15":  # real tracks from the real detections
            res = np.array([(f + 1, *row) for f, frame in enumerate(mot15_track_rows(name)) for row in frame])
        else:
            res = noisy_results(gt, seed)
        length = sequence_length(root) or int(max(gt[:, 0].max(), res[:, 0].max()))
        sequences[name] = (gt, res, length)
    reference = trackeval_on_files(tmp_path, layout, sequences)
    ours = {}
    for name, (_, _, length) in sequences.items():  # read back what trackeval read
        gt = load_mot_rows(tmp_path / "gt" / name / "gt" / "gt.txt")
        res = load_mot_rows(tmp_path / "trackers" / "ours" / "data" / f"{name}.txt")
        ours[name] = hota_sequence(hota_frames(gt, res, name, length))
    ours["COMBINED_SEQ"] = combine(ours.values())
    for seq, counts in ours.items():
        for field, values in counts.scores().items():
            np.testing.assert_allclose(values, reference[seq][field], atol=1e-6, err_msg=f"{seq} {field}")


@requires_shared
def test_mot20_layout_also_removes_results_on_non_mot_vehicles(tmp_path):
    """MOT17-02's ground truth with a fifth of its pedestrians made class 6 (non-MOT vehicle), scored
    as a MOT20 sequence: boxes on those are removed (not false positives), as trackeval does."""
    pytest.importorskip("trackeval")
    from fairmot.evaluation.hota_frames import hota_frames

    gt = load_mot_rows(os.path.join(SHARED, "MOT17", "train", "MOT17-02-FRCNN", "gt", "gt.txt"))
    vehicles = np.isin(gt[:, 1], np.unique(gt[:, 1])[::5]) & (gt[:, 7] == 1)
    gt[vehicles, 7] = 6
    res = noisy_results(gt, seed=3)
    reference = trackeval_on_files(tmp_path, "MOT20", {"MOT20-02": (gt, res, 600)})["MOT20-02"]
    gt = load_mot_rows(tmp_path / "gt" / "MOT20-02" / "gt" / "gt.txt")
    res = load_mot_rows(tmp_path / "trackers" / "ours" / "data" / "MOT20-02.txt")
    as_mot20 = hota_sequence(hota_frames(gt, res, "MOT20-02", 600, mot20=True))
    for field, values in as_mot20.scores().items():
        np.testing.assert_allclose(values, reference[field], atol=1e-6, err_msg=field)
    as_mot17 = hota_sequence(hota_frames(gt, res, "MOT20-02", 600))
    assert as_mot17.fp.sum() > as_mot20.fp.sum()  # without the rule those boxes count as false positives
