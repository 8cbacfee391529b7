"""Weights records say what their files are: checked against the files themselves."""
import os

import pytest

from fairmot.models.checkpoint import infer_model_config, read_checkpoint, recorded_input_size
from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH, RECORDS, get_weights


def test_the_bundled_demo_record_matches_its_file():
    record = DEMO_RESDCN18W32_SYNTH
    assert record.bundled and os.path.isfile(record.path)
    state_dict, meta = read_checkpoint(record.path)
    assert infer_model_config(state_dict, meta) == (record.arch, record.heads, record.head_conv)
    assert recorded_input_size(record.path) == record.input_size
    assert record.recipe and 0 < record.metrics["MOTA"] <= 1 and record.evaluated_on


def test_records_are_found_by_name():
    assert get_weights("demo_resdcn18w32_synth") is DEMO_RESDCN18W32_SYNTH
    assert all(name == record.name for name, record in RECORDS.items())
    assert RECORDS["fairmot_dla34"].path is None  # not shipped: the user brings the file
    with pytest.raises(ValueError, match="no weights called 'nope'"):
        get_weights("nope")


def test_a_detector_runs_at_the_trained_size_unless_told_otherwise(tracking_weights):
    from fairmot.inference.torch_detector import Detector
    assert Detector(DEMO_RESDCN18W32_SYNTH.path, None, device="cpu").input_size == DEMO_RESDCN18W32_SYNTH.input_size
    assert Detector(tracking_weights, None, device="cpu").input_size == (1088, 608)  # nothing recorded
    assert Detector(DEMO_RESDCN18W32_SYNTH.path, "320x192", device="cpu").input_size == (320, 192)


def test_every_record_has_a_heatmap_channel_per_class():
    for record in RECORDS.values():
        assert record.heads["hm"] == len(record.classes), record.name
    assert RECORDS["person_car_resdcn18w32_synth"].classes == ("person", "car")
