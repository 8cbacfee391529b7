"""``fairmot eval`` driven as a user runs it: a subprocess on folders laid out like MOTChallenge."""
import csv
import json
import os
import re
import shutil

import motmetrics
import numpy as np
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import assert_one_line_error as _assert_one_line_error
from support.cli import run_fairmot, run_main
from support.data import PETS, requires_shared

pytestmark = requires_shared
MOTMETRICS_DATA = os.path.join(os.path.dirname(motmetrics.__file__), "data")
TUD = ("TUD-Campus", "TUD-Stadtmitte")

# motmetrics' reference numbers for its sample data (its tests/test_metrics.py), columns IDF1 IDP
# IDR Rcll Prcn GT MT PT ML FP FN IDs FM MOTA; motmetrics' MOTP is a distance, ours 1 - it
MOTMETRICS_REFERENCE = {
    "TUD-Campus": [0.557659, 0.729730, 0.451253, 0.582173, 0.941441, 8, 1, 6, 1, 13, 150, 7, 7,
                   0.526462, 1 - 0.277201],
    "TUD-Stadtmitte": [0.644619, 0.819760, 0.531142, 0.608997, 0.939920, 10, 5, 4, 1, 45, 452, 7, 6,
                       0.564014, 1 - 0.345904],
    "OVERALL": [0.624296, 0.799176, 0.512211, 0.602640, 0.940268, 18, 6, 10, 2, 58, 602, 14, 13,
                0.555116, 1 - 0.330177],
}
CLEAR_COLUMNS = ["IDF1", "IDP", "IDR", "Rcll", "Prcn", "GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM",
                 "MOTA", "MOTP"]
HOTA_COLUMNS = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA"]
COLUMNS = HOTA_COLUMNS + CLEAR_COLUMNS


def fairmot_eval(*args):
    """In this process: the many cases here need no fresh interpreter each (see the subprocess test)."""
    return run_main("eval", *args)


def table_rows(stdout):
    lines = stdout.strip().splitlines()
    assert lines[0].split() == COLUMNS
    return {line.split()[0]: dict(zip(COLUMNS, line.split()[1:])) for line in lines[1:]}


def assert_one_line_error(proc, *fragments):
    _assert_one_line_error(proc, *fragments, command="eval")


@pytest.fixture
def tud(tmp_path):
    """motmetrics' sample data laid out as a gt root (no seqinfo.ini) and a results folder."""
    gt_root, results = tmp_path / "gt", tmp_path / "results"
    results.mkdir()
    for seq in TUD:
        (gt_root / seq / "gt").mkdir(parents=True)
        shutil.copy(os.path.join(MOTMETRICS_DATA, seq, "gt.txt"), gt_root / seq / "gt" / "gt.txt")
        shutil.copy(os.path.join(MOTMETRICS_DATA, seq, "test.txt"), results / f"{seq}.txt")
    return gt_root, results


def test_reproduces_motmetrics_reference_numbers(tud, tmp_path):
    gt_root, results = tud
    proc = fairmot_eval(gt_root, results, "--json", tmp_path / "s.json", "--csv", tmp_path / "s.csv")
    assert proc.returncode == 0, proc.stderr
    table = table_rows(proc.stdout)
    printed = {name: [table[name][c] for c in ("MOTA", "IDF1", "FP", "FN", "IDs")] for name in TUD}
    assert printed == {"TUD-Campus": ["52.6%", "55.8%", "13", "150", "7"],
                       "TUD-Stadtmitte": ["56.4%", "64.5%", "45", "452", "7"]}
    assert table["OVERALL"]["MOTA"] == "55.5%" and table["TUD-Campus"]["MOTP"] == "72.3%"
    assert all(0 < float(table[name]["HOTA"].rstrip("%")) < 100 for name in table)

    data = json.loads((tmp_path / "s.json").read_text())
    assert list(data) == [*TUD, "OVERALL"]
    with open(tmp_path / "s.csv") as f:
        from_csv = {row.pop("sequence"): row for row in csv.DictReader(f)}
    for name, expected in MOTMETRICS_REFERENCE.items():
        assert list(data[name]) == COLUMNS
        for column, want in zip(CLEAR_COLUMNS, expected):  # motmetrics publishes 6 decimals
            assert abs(data[name][column] - want) < 5e-7, (name, column)
            assert float(from_csv[name][column]) == pytest.approx(data[name][column], abs=1e-12)


def pets_root(tmp_path, result_rows):
    """A gt root holding PETS09-S2L1 (gt + seqinfo.ini) and a results folder with its result file."""
    gt_root, results = tmp_path / "gt", tmp_path / "results"
    (gt_root / "PETS09-S2L1" / "gt").mkdir(parents=True)
    shutil.copy(os.path.join(PETS, "gt", "gt.txt"), gt_root / "PETS09-S2L1" / "gt" / "gt.txt")
    shutil.copy(os.path.join(PETS, "seqinfo.ini"), gt_root / "PETS09-S2L1" / "seqinfo.ini")
    results.mkdir()
    np.savetxt(results / "PETS09-S2L1.txt", result_rows, fmt="%.4f", delimiter=",")
    return gt_root, results


def test_pets_ground_truth_against_itself_scores_100_percent(tmp_path):
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))  # all rows, 174 zero-marked included
    gt_root, results = pets_root(tmp_path, gt)
    proc = fairmot_eval(gt_root, results, "--json", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    row = table_rows(proc.stdout)["PETS09-S2L1"]
    assert [row[c] for c in ("MOTA", "IDF1", "FP", "FN", "IDs")] == ["100.0%", "100.0%", "0", "0", "0"]
    assert json.loads((tmp_path / "s.json").read_text())["OVERALL"]["MOTA"] == 1.0


def test_eval_as_a_user_runs_it(tmp_path):
    """The same scoring through a fresh ``python -m fairmot eval`` process."""
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    gt_root, results = pets_root(tmp_path, gt)
    proc = run_fairmot("eval", gt_root, results)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fairmot_eval(gt_root, results).stdout
    assert re.search(r"scored 1 sequence\(s\) \(hota, clear, identity\) in \d+\.\d s", proc.stderr)
    assert_one_line_error(run_fairmot("eval", gt_root, tmp_path / "nope"), "nope", "not found")


def test_half_scores_the_second_half_only(tmp_path):
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    marked = gt[gt[:, 6] != 0]
    second_half = marked[marked[:, 0] > 795 // 2]  # seqLength 795
    gt_root, results = pets_root(tmp_path, second_half)
    half = fairmot_eval(gt_root, results, "--half")
    assert half.returncode == 0, half.stderr
    assert table_rows(half.stdout)["PETS09-S2L1"]["MOTA"] == "100.0%"
    full = table_rows(fairmot_eval(gt_root, results).stdout)["PETS09-S2L1"]
    assert int(full["FN"]) == len(marked) - len(second_half) > 0


def test_frames_score_a_range_and_a_sequence_folder_scores_itself(tmp_path):
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    marked = gt[gt[:, 6] != 0]
    in_range = marked[(marked[:, 0] >= 401) & (marked[:, 0] <= 550)]
    gt_root, results = pets_root(tmp_path, in_range)
    ranged = fairmot_eval(gt_root, results, "--frames", "401-550")
    assert ranged.returncode == 0, ranged.stderr
    row = table_rows(ranged.stdout)["PETS09-S2L1"]
    assert (row["MOTA"], row["FN"], row["GT"]) == ("100.0%", "0", str(len(np.unique(in_range[:, 1]))))
    # the sequence folder itself instead of its root: the same table
    single = fairmot_eval(gt_root / "PETS09-S2L1", results, "--frames", "401-550")
    assert single.returncode == 0, single.stderr
    assert single.stdout == ranged.stdout
    # every frame counts: the results miss all boxes outside the range
    full = table_rows(fairmot_eval(gt_root, results).stdout)["PETS09-S2L1"]
    assert int(full["FN"]) == len(marked) - len(in_range)
    assert_one_line_error(fairmot_eval(gt_root, results, "--frames", "401-550", "--half"), "not both")
    assert_one_line_error(fairmot_eval(gt_root, results, "--frames", "550-401"), "1 <= first <= last")
    assert_one_line_error(fairmot_eval(gt_root, results, "--json", tmp_path / "no" / "s.json"), "--json")
    # a folder whose permissions say yes but where no file can be made: found before scoring
    assert_one_line_error(fairmot_eval(gt_root, results, "--csv", "/proc/s.csv"),
                          "--csv /proc/s.csv: cannot write a file there (")
    assert_one_line_error(fairmot_eval(gt_root / "PETS09-S2L1", results, "--sequences", "MOT17-02"),
                          "cannot pick others")


def test_missing_folders_are_one_line_errors(tud, tmp_path):
    gt_root, results = tud
    assert_one_line_error(fairmot_eval(tmp_path / "nope", results), "nope", "not found")
    assert_one_line_error(fairmot_eval(gt_root, tmp_path / "nope"), "nope", "not found")
    assert_one_line_error(fairmot_eval(results, results), "no <sequence>/gt/gt.txt")
    assert_one_line_error(fairmot_eval(gt_root, results, "--sequences", "MOT17-02"), "MOT17-02")


def test_missing_result_file_names_the_sequence(tud):
    gt_root, results = tud
    (results / "TUD-Stadtmitte.txt").unlink()
    assert_one_line_error(fairmot_eval(gt_root, results), "TUD-Stadtmitte.txt", "--sequences")
    # the sequences that have results can still be scored
    proc = fairmot_eval(gt_root, results, "--sequences", "TUD-Campus")
    assert proc.returncode == 0, proc.stderr
    assert list(table_rows(proc.stdout)) == ["TUD-Campus", "OVERALL"]


@pytest.mark.parametrize("bad_line, fragments", [
    ("7,3,abc,274.5,57.3,130.0,-1,-1,-1,-1", ["TUD-Campus.txt:", "non-numeric"]),
    ("7,3,113.8", ["TUD-Campus.txt:", "at least 6 fields"]),
    ("1,3,113.84,274.5,57.307,130.05,-1,-1,-1,-1", ["TUD-Campus", "id 3 more than once in frame 1"]),
    ("0,3,113.84,274.5,57.307,130.05,-1,-1,-1,-1", ["TUD-Campus", "frame number 0"]),
])
def test_malformed_result_file_is_a_one_line_error(tud, bad_line, fragments):
    gt_root, results = tud
    with open(results / "TUD-Campus.txt", "a") as f:
        f.write(bad_line + "\n")
    assert_one_line_error(fairmot_eval(gt_root, results), *fragments)


def test_results_beyond_the_sequence_length_are_an_error(tmp_path):
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    beyond = gt[:1].copy()
    beyond[0, 0] = 796
    gt_root, results = pets_root(tmp_path, np.vstack([gt, beyond]))
    assert_one_line_error(fairmot_eval(gt_root, results), "frame 796", "795 frames")


def test_metrics_chooses_the_columns(tud, tmp_path):
    gt_root, results = tud
    only_hota = fairmot_eval(gt_root, results, "--metrics", "hota", "--json", tmp_path / "h.json")
    assert only_hota.returncode == 0, only_hota.stderr
    assert only_hota.stdout.strip().splitlines()[0].split() == HOTA_COLUMNS
    assert list(json.loads((tmp_path / "h.json").read_text())["OVERALL"]) == HOTA_COLUMNS
    identity = fairmot_eval(gt_root, results, "--metrics", "identity,hota")
    assert identity.stdout.strip().splitlines()[0].split() == HOTA_COLUMNS + ["IDF1", "IDP", "IDR"]
    bad = fairmot_eval(gt_root, results, "--metrics", "hota,mota")
    assert_one_line_error(bad, "--metrics 'hota,mota': choose from hota, clear, identity")
