"""Scoring rules of fairmot.evaluation on real MOTChallenge ground truth (../shared/data)."""
import json
import os

import motmetrics as mm
import numpy as np
import pytest

from fairmot import evaluation
from fairmot.datasets.mot_format import load_mot_rows, read_seqinfo
from fairmot.errors import UserError
from support.data import SHARED, requires_shared

pytestmark = requires_shared
PETS = os.path.join(SHARED, "PETS09-S2L1")
MOT17_09 = os.path.join(SHARED, "MOT17", "train", "MOT17-09-FRCNN")


def gt_of(seq_dir):
    return load_mot_rows(os.path.join(seq_dir, "gt", "gt.txt"))


def score(gt, res, **kw):
    return evaluation.summarize({"seq": evaluation.evaluate_sequence(gt, res, **kw)}).loc["seq"]


@pytest.fixture(scope="module")
def pets_marked():
    gt = gt_of(PETS)
    return gt, gt[gt[:, 6] != 0]


@pytest.fixture(scope="module")
def mot17():
    gt = gt_of(MOT17_09)
    pedestrians = gt[(gt[:, 6] == 1) & (gt[:, 7] == 1)]
    return gt, pedestrians, read_seqinfo(MOT17_09)["length"]


def test_ground_truth_style_is_detected():
    assert evaluation.is_mot16_style(gt_of(MOT17_09))
    for seq in ("TUD-Campus", "ETH-Bahnhof", "KITTI-13"):  # -1 or world coordinates in cols 8-10
        assert not evaluation.is_mot16_style(gt_of(os.path.join(SHARED, "MOT15", "train", seq)))
    assert not evaluation.is_mot16_style(gt_of(PETS))


def test_pets_marked_ground_truth_against_itself_is_perfect(pets_marked):
    _, marked = pets_marked
    row = score(marked[:, :6], marked, num_frames=795)
    assert (row["MOTA"], row["IDF1"], row["MOTP"], row["Rcll"], row["Prcn"]) == (1, 1, 1, 1, 1)
    assert (row["FP"], row["FN"], row["IDs"], row["GT"]) == (0, 0, 0, 15)


def test_mot15_zero_marked_rows_are_ignored(pets_marked):
    # the 174 zero-marked PETS rows are neither ground truth to find nor false positives when hit
    gt, marked = pets_marked
    assert len(gt) - len(marked) == 174
    row = score(gt, gt, num_frames=795)
    assert (row["MOTA"], row["FP"], row["FN"], row["IDs"]) == (1, 0, 0, 0)
    # a box elsewhere in the frame is still a false positive
    ignored = gt[gt[:, 6] == 0].copy()
    ignored[:, 2] += 200
    ignored[:, 1] += 1000
    row = score(gt, np.vstack([marked, ignored]), num_frames=795)
    assert row["FP"] == 174


@pytest.mark.filterwarnings("ignore:Operation with tuple is deprecated")  # inside mm.io.loadtxt
def test_mot15_scores_equal_motmetrics_own_pipeline(pets_marked, monkeypatch, tmp_path):
    # motmetrics' own loaders + compare_to_groundtruth (as in its eval_motchallenge app) need
    # np.asfarray, removed in NumPy 2: give it NumPy 1's definition for this comparison only
    if not hasattr(np, "asfarray"):
        monkeypatch.setattr(np, "asfarray", lambda a: np.asarray(a, dtype=np.float64), raising=False)
    gt, _ = pets_marked
    res = gt.copy()
    rng = np.random.default_rng(0)
    res[:, 2:6] += rng.normal(0, 3, size=(len(res), 4))  # IoUs spread around the 0.5 threshold
    res[::7, 1] += 100  # some identity switches
    res = res[rng.random(len(res)) > 0.1]  # some misses
    res = res[res[:, 6] != 0]  # motmetrics' pipeline has no ignore regions: keep off them
    res_path = tmp_path / "res.txt"
    np.savetxt(res_path, res, fmt="%.6f", delimiter=",")
    mm_acc = mm.utils.compare_to_groundtruth(
        mm.io.loadtxt(os.path.join(PETS, "gt", "gt.txt"), min_confidence=1),
        mm.io.loadtxt(str(res_path)), "iou", distth=0.5)
    ours = evaluation.evaluate_sequence(gt, load_mot_rows(str(res_path)))
    theirs = evaluation.summarize({"seq": mm_acc}).loc["seq"]
    mine = evaluation.summarize({"seq": ours}).loc["seq"]
    assert 0 < mine["IDs"] and 0 < mine["FP"] and 0 < mine["FN"]
    assert mine.to_dict() == pytest.approx(theirs.to_dict(), abs=1e-12)


def test_mot17_pedestrians_against_themselves_are_perfect(mot17):
    gt, peds, length = mot17
    row = score(gt, peds, num_frames=length)
    assert (row["MOTA"], row["IDF1"], row["FP"], row["FN"], row["IDs"]) == (1, 1, 0, 0, 0)


@pytest.mark.parametrize("cls", [7, 8, 12])
def test_boxes_on_distractors_are_removed_boxes_elsewhere_are_false_positives(mot17, cls):
    gt, peds, length = mot17
    distractors = gt[gt[:, 7] == cls].copy()
    assert len(distractors) > 100
    distractors[:, 1] += 10_000  # ids unused by the pedestrians
    on_them = score(gt, np.vstack([peds, distractors]), num_frames=length)
    assert (on_them["MOTA"], on_them["FP"], on_them["FN"]) == (1, 0, 0)

    elsewhere = distractors.copy()
    elsewhere[:, 2] += 5_000  # outside the 1920-pixel-wide frame: overlaps nothing
    off = score(gt, np.vstack([peds, elsewhere]), num_frames=length)
    assert (off["FP"], off["FN"]) == (len(distractors), 0)


def with_width(rows, fraction):
    """Rows whose boxes keep their left edge and take ``fraction`` of the width: IoU = fraction."""
    rows = rows.copy()
    rows[:, 4] *= fraction
    return rows


def test_iou_of_one_half_matches_and_less_does_not(mot17):
    _, peds, length = mot17
    ids, counts = np.unique(peds[:, 1], return_counts=True)
    track = peds[peds[:, 1] == ids[counts.argmax()]]  # one person: no other box to pair with
    assert evaluation.box_iou(track[:1, 2:6], with_width(track[:1], 0.5)[:, 2:6], fmt="tlwh")[0, 0] == 0.5
    half = score(track, with_width(track, 0.5), num_frames=length)
    assert (half["FP"], half["FN"], half["MOTP"]) == (0, 0, pytest.approx(0.5))
    less = score(track, with_width(track, 0.45), num_frames=length)
    assert (less["FP"], less["FN"]) == (len(track), len(track))


def test_distractor_removal_needs_iou_of_one_half(mot17):
    gt, peds, length = mot17
    static = gt[gt[:, 7] == 7]
    static = static[static[:, 4] > 4]  # wide enough to keep some overlap at 45 %
    static = np.c_[static[:, 0], static[:, 1] + 10_000, static[:, 2:]]
    assert score(gt, np.vstack([peds, with_width(static, 0.5)]), num_frames=length)["FP"] == 0
    # at IoU 0.45 the box is not matched to the static person: it stays, a false positive
    row = score(gt, np.vstack([peds, with_width(static, 0.45)]), num_frames=length)
    assert (row["FP"], row["FN"]) == (len(static), 0)


def test_boxes_on_non_distractor_classes_are_false_positives(mot17):
    gt, peds, length = mot17
    occluders = gt[gt[:, 7] == 9].copy()  # class 9 (occluder) is ignored as ground truth only
    occluders[:, 1] += 10_000
    row = score(gt, np.vstack([peds, occluders]), num_frames=length)
    assert (row["FP"], row["FN"]) == (len(occluders), 0)


def test_frames_without_output_count_as_misses(pets_marked):
    # FairMOT's own evaluator scored only frames with output; the devkit counts all frames
    _, marked = pets_marked
    gap = (marked[:, 0] >= 100) & (marked[:, 0] < 150)
    row = score(marked, marked[~gap], num_frames=795)
    assert (row["FN"], row["FP"]) == (gap.sum(), 0)
    assert row["MOTA"] == pytest.approx(1 - gap.sum() / len(marked))


def test_num_frames_makes_every_frame_exist(pets_marked):
    _, marked = pets_marked
    host = mm.metrics.create()
    for num_frames, expected in ((795, 795), (None, 550)):  # gt stops at frame 550 on purpose
        acc = evaluation.evaluate_sequence(marked, marked, num_frames=num_frames)
        assert host.compute(acc, metrics="num_frames", return_dataframe=False)["num_frames"] == expected


def test_half_scores_frames_after_half_the_sequence(pets_marked):
    _, marked = pets_marked
    start = evaluation.second_half_start(795)
    assert start == 398
    second = marked[marked[:, 0] >= start]
    # a tracker run on the second half only: perfect with half=True, misses the rest without
    assert score(marked, second, num_frames=795, half=True)["MOTA"] == 1
    full = score(marked, second, num_frames=795)
    assert (full["FN"], full["FP"]) == (len(marked) - len(second), 0)
    # frames of the first half are not scored at all with half=True
    first_only = score(marked, marked[marked[:, 0] < start], num_frames=795, half=True)
    assert (first_only["FP"], first_only["FN"]) == (0, len(second))


@pytest.mark.parametrize("edit, message", [
    (lambda r: np.vstack([r, r[:1]]), "more than once in frame"),
    (lambda r: np.vstack([r, np.r_[800, r[0, 1:]]]), "frame 800"),
    (lambda r: np.vstack([r, np.r_[1.5, r[0, 1:]]]), "frame number 1.5"),
    (lambda r: np.vstack([r, np.r_[r[0, :2], np.nan, r[0, 3:]]]), "nan"),
])
def test_results_that_cannot_be_scored_raise_user_errors(pets_marked, edit, message):
    _, marked = pets_marked
    with pytest.raises(UserError, match=message):
        evaluation.evaluate_sequence(marked, edit(marked.copy()), name="PETS", num_frames=795)


def test_summary_json_is_strict_json_with_fractions(pets_marked, tmp_path):
    _, marked = pets_marked
    only_fp = marked[:20].copy()
    only_fp[:, 2] += 1000  # matches nothing: no matched pair, MOTP undefined
    df = evaluation.summarize({"a": evaluation.evaluate_sequence(marked, marked),
                               "b": evaluation.evaluate_sequence(marked[:0], only_fp)})
    assert list(df.columns) == list(evaluation.COLUMNS) and list(df.index) == ["a", "b", "OVERALL"]
    path = tmp_path / "s.json"
    evaluation.write_json(df, str(path))
    data = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert data["a"]["MOTA"] == 1.0 and data["b"]["MOTP"] is None and data["b"]["FP"] == 20
    assert isinstance(data["OVERALL"]["FP"], int) and data["OVERALL"]["FP"] == 20
    lines = evaluation.format_table(df).splitlines()
    assert lines[0].split() == list(evaluation.COLUMNS)
    assert lines[1].split()[evaluation.COLUMNS.index("MOTA") + 1] == "100.0%"
    assert lines[2].split()[evaluation.COLUMNS.index("MOTP") + 1] == "-"
