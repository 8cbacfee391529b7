"""Unlabelled frames for distillation: any track source, a frame range, every k-th frame,
augmented as labelled samples, with empty targets marked unlabelled."""
import os

import numpy as np
import pytest

from fairmot.distillation.unlabeled import (
    Labelled,
    UnlabeledFrames,
    UnlabeledSpec,
    collect_frames,
    parse_unlabeled_spec,
)
from fairmot.errors import UserError


def test_source_specs_with_and_without_a_frame_range(tmp_path):
    assert parse_unlabeled_spec("clip.mp4") == UnlabeledSpec("clip.mp4")
    assert parse_unlabeled_spec("seq:1-400") == UnlabeledSpec("seq", (1, 400))
    odd = tmp_path / "take:1-2"   # a path that itself ends like a range is taken whole
    odd.mkdir()
    assert parse_unlabeled_spec(str(odd)) == UnlabeledSpec(str(odd))
    with pytest.raises(UserError, match="1 <= first <= last"):
        parse_unlabeled_spec("seq:0-4")


def test_a_mot_sequence_cut_to_a_range_and_sampled(shared_data):
    pets = os.path.join(shared_data, "PETS09-S2L1")
    items = collect_frames(UnlabeledSpec(pets, (11, 30)), every=5, progress=False)
    assert [os.path.basename(v) for _, v in items] == ["000011.jpg", "000016.jpg", "000021.jpg", "000026.jpg"]


def test_a_video_is_decoded_once_into_memory(shared_data):
    video = os.path.join(shared_data, "videos", "plaza-walkers.avi")
    items = collect_frames(UnlabeledSpec(video, (1, 40)), every=10, progress=False)
    assert [kind for kind, _ in items] == ["jpeg"] * 4
    frames = UnlabeledFrames([UnlabeledSpec(video, (1, 40))], img_size=(320, 192), every=10, augment=False,
                             progress=False)
    import cv2
    capture = cv2.VideoCapture(video)
    capture.set(cv2.CAP_PROP_POS_FRAMES, 10)
    ok, frame11 = capture.read()
    assert ok
    decoded = frames.read(1)   # frame 11: JPEG at quality 95 of the decoded frame
    assert decoded.shape == frame11.shape and np.abs(decoded.astype(int) - frame11).mean() < 2.0


def test_samples_look_like_labelled_ones_with_nothing_to_learn_from_labels(shared_data):
    pets = os.path.join(shared_data, "PETS09-S2L1")
    frames = UnlabeledFrames([UnlabeledSpec(pets, (1, 8))], img_size=(320, 192), num_classes=2, seed=4,
                             progress=False)
    item = frames[3]
    assert item["input"].shape == (3, 192, 320) and item["input"].dtype == np.float32
    assert item["hm"].shape == (2, 48, 80) and not item["hm"].any()
    assert not item["reg_mask"].any() and (item["ids"] == -1).all() and item["labelled"] == 0
    # augmentation is a function of (seed, epoch, index)
    again = frames[3]
    assert np.array_equal(item["input"], again["input"])
    frames.set_epoch(1)
    assert not np.array_equal(item["input"], frames[3]["input"])


def test_labelled_wrapper_marks_its_items():
    class Items:
        epoch = None

        def set_epoch(self, epoch):
            self.epoch = epoch

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"input": np.zeros(1)}

    inner = Items()
    wrapped = Labelled(inner)
    wrapped.set_epoch(5)
    assert len(wrapped) == 2 and wrapped[0]["labelled"] == 1 and inner.epoch == 5


def test_sources_that_give_nothing_are_refused(tmp_path, shared_data):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no images"):
        collect_frames(UnlabeledSpec(str(empty)))
    pets = os.path.join(shared_data, "PETS09-S2L1")
    with pytest.raises(UserError, match="no frames to learn from"):
        collect_frames(UnlabeledSpec(pets, (900, 950)))
    with pytest.raises(UserError, match="--sample-every"):
        UnlabeledFrames([UnlabeledSpec(pets, (1, 2))], every=0)
