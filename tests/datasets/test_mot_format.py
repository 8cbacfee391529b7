import os

import numpy as np
import pytest

from fairmot.datasets.mot_format import MotResultWriter, load_mot_rows, read_seqinfo, split_by_frame


def test_read_pets_seqinfo_and_gt(shared_data):
    PETS = os.path.join(shared_data, "PETS09-S2L1")
    info = read_seqinfo(PETS)
    assert (info["width"], info["height"], info["frame_rate"], info["length"]) == (480, 360, 10.0, 795)
    gt = load_mot_rows(os.path.join(PETS, "gt", "gt.txt"))
    assert gt.shape[1] == 10
    frames = split_by_frame(gt)
    assert min(frames) == 1 and max(frames) == 550
    np.testing.assert_allclose(frames[1][0, 1:6], [9, 311.88, 98.75, 19.39, 46.98])


def test_short_rows_are_padded_and_bad_rows_name_the_line(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("1,2,3,4,5,6\n\n2 3 4 5 6 7 0.9\n")
    rows = load_mot_rows(str(p))
    assert rows.shape == (2, 10) and rows[0, 6] == -1 and rows[1, 6] == 0.9
    p.write_text("1,2,3\n")
    with pytest.raises(ValueError, match=":1:"):
        load_mot_rows(str(p))


def test_result_writer_round_trip(tmp_path):
    path = tmp_path / "out" / "seq.txt"
    with MotResultWriter(str(path)) as w:
        w.write_frame(1, [(3, (10.0, 20.0, 30.0, 40.0), 0.75)])
        # flushed per frame: readable before close
        assert load_mot_rows(str(path)).shape == (1, 10)
        w.write_frame(2, [])
    rows = load_mot_rows(str(path))
    np.testing.assert_allclose(rows[0, :7], [1, 3, 10, 20, 30, 40, 0.75])
