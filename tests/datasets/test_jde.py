import json
import os

import numpy as np
import pytest

from fairmot.datasets.jde import (
    label_path_for,
    load_data_config,
    parse_label_file,
    read_list_file,
    tlwh_to_label_rows,
    update_data_config,
)
from fairmot.errors import UserError


def test_label_path_replaces_the_last_images_folder_only():
    assert (label_path_for("/data/MOT17/images/train/MOT17-02/img1/000001.jpg")
            == "/data/MOT17/labels_with_ids/train/MOT17-02/img1/000001.txt")
    # a root that itself contains "images" keeps it
    assert (label_path_for("/home/images/set/images/a/b.png")
            == "/home/images/set/labels_with_ids/a/b.txt")
    with pytest.raises(UserError, match="needs an 'images' folder"):
        label_path_for("/data/frames/000001.jpg")


def test_parse_label_file_reads_rows(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("0 3 0.5 0.5 0.1 0.2\n\n0 -1 0.25 0.75 0.05 0.1\n")
    rows = parse_label_file(str(p))
    assert rows.shape == (2, 6) and rows.dtype == np.float32
    np.testing.assert_allclose(rows[1], [0, -1, 0.25, 0.75, 0.05, 0.1], rtol=1e-6)
    p.write_text("")
    assert parse_label_file(str(p)).shape == (0, 6)


@pytest.mark.parametrize("line, message", [
    ("0 1 0.5 0.5 0.1", "expected 6 fields"),
    ("0 1 0.5 x 0.1 0.2", "non-numeric"),
    ("0 1.5 0.5 0.5 0.1 0.2", "id must be an integer"),
    ("0 -2 0.5 0.5 0.1 0.2", "id must be an integer"),
    ("-1 1 0.5 0.5 0.1 0.2", "class must be"),
    ("0 1 1.2 0.5 0.1 0.2", "outside the image"),
    ("0 1 0.5 -0.01 0.1 0.2", "outside the image"),
    ("0 1 0.5 0.5 0 0.2", "must be positive"),
    ("0 1 0.5 0.5 0.1 -0.2", "must be positive"),
])
def test_bad_label_lines_name_file_and_line(tmp_path, line, message):
    p = tmp_path / "bad.txt"
    p.write_text("0 1 0.5 0.5 0.1 0.2\n" + line + "\n")
    with pytest.raises(UserError, match=message) as err:
        parse_label_file(str(p))
    assert f"{p}:2:" in str(err.value) and "\n" not in str(err.value)


def test_missing_label_file_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="missing.*empty file"):
        parse_label_file(str(tmp_path / "none.txt"))


def test_tlwh_to_label_rows_normalises_and_drops_centres_outside():
    rows, kept = tlwh_to_label_rows([[10, 20, 30, 40], [-50, 0, 40, 10], [5, 5, 0, 10]],
                                    [7, 8, 9], width=100, height=200)
    assert kept.tolist() == [True, False, False]
    np.testing.assert_allclose(rows, [[0, 7, 0.25, 0.2, 0.3, 0.2]])


def test_data_config_paths_resolve_against_its_folder(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.train").write_text("images/x.jpg\n\n/abs/images/y.jpg\n")
    cfg_path = tmp_path / "cfg" / "data.json"
    cfg_path.write_text(json.dumps({"root": "..", "train": {"a": "a.train"},
                                    "test": {"b": "b.val"}}))
    cfg = load_data_config(str(cfg_path))
    assert cfg.root == str(tmp_path)
    assert cfg.train == {"a": str(tmp_path / "cfg" / "a.train")}
    assert read_list_file(cfg.train["a"], cfg.root) == [os.path.join(str(tmp_path), "images/x.jpg"),
                                                        "/abs/images/y.jpg"]
    cfg_path.write_text(json.dumps({"root": "."}))
    with pytest.raises(UserError, match="needs a 'train' object"):
        load_data_config(str(cfg_path))
    cfg_path.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        load_data_config(str(cfg_path))


def test_update_data_config_keeps_other_datasets(tmp_path):
    path = str(tmp_path / "data.json")
    update_data_config(path, ".", train={"a": "a.train"}, test={"a": "a.val"})
    config = update_data_config(path, ".", train={"b": "b.train"})
    assert config == {"root": ".", "train": {"a": "a.train", "b": "b.train"},
                      "test": {"a": "a.val"}}
    assert json.load(open(path)) == config
    with pytest.raises(UserError, match="already exists with root"):
        update_data_config(path, "/elsewhere", train={"c": "c.train"})
