import filecmp
import json
import os

import numpy as np

from fairmot.cli import main
from fairmot.datasets.jde import parse_label_file
from fairmot.datasets.joint_dataset import JointDataset
from fairmot.datasets.mot_format import load_mot_rows, read_seqinfo
from fairmot.datasets.synthetic import SynthConfig, SyntheticScene, write_synthetic_dataset

SMALL = SynthConfig(frames=12)


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, _, files in os.walk(folder) for f in files)


def test_same_seed_same_bytes(tmp_path):
    a, b, c = (str(tmp_path / n) for n in "abc")
    write_synthetic_dataset(a, sequences=2, seed=5, config=SMALL, progress=False)
    write_synthetic_dataset(b, sequences=2, seed=5, config=SMALL, progress=False)
    write_synthetic_dataset(c, sequences=2, seed=6, config=SMALL, progress=False)
    files = _files(a)
    assert files == _files(b) and len(files) > 2 * 12
    match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert not mismatch and not errors
    gt = os.path.join("synth-00", "gt", "gt.txt")
    assert not filecmp.cmp(os.path.join(a, gt), os.path.join(c, gt), shallow=False)
    # sequence i depends on (seed, i) only, not on how many sequences are written
    d = str(tmp_path / "d")
    write_synthetic_dataset(d, sequences=1, seed=5, config=SMALL, progress=False)
    assert filecmp.cmp(os.path.join(a, gt), os.path.join(d, gt), shallow=False)


def test_ground_truth_matches_the_rendered_figures():
    config = SynthConfig(frames=40, noise=0, jitter=2.0, mean_people=9)
    scene = SyntheticScene(config, np.random.default_rng(11))
    fully_visible = occluded = 0
    for frame in range(config.frames):
        if frame:
            scene.step()
        image, rows, owner = scene.render()
        assert image.shape == (360, 640, 3) and owner.shape == (360, 640)
        ids = [r[0] for r in rows]
        assert len(ids) == len(set(ids))
        for track_id, x, y, w, h, vis, cls in rows:
            assert cls == 1
            assert 0 <= x + w / 2 <= 640 and 0 <= y + h / 2 <= 360  # centre inside the frame
            assert 0.25 < w / h < 0.65                              # upright people
            ys, xs = np.nonzero(owner == track_id)
            assert 0 <= vis <= 1
            if len(xs):  # every visible pixel of the person lies inside the box
                assert x <= xs.min() and xs.max() < x + w and y <= ys.min() and ys.max() < y + h
            if vis == 1.0:  # nothing hidden: the box is the tight box of the figure's pixels
                assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x, y, x + w, y + h)
                fully_visible += 1
            elif len(xs):
                occluded += 1
    assert fully_visible > 100 and occluded > 5


def _ground_truth_hash(config, seed, frames):
    import hashlib

    from fairmot.datasets.synthetic import format_gt_row
    scene, digest = SyntheticScene(config, np.random.default_rng(seed)), hashlib.sha256()
    for frame in range(1, frames + 1):
        if frame > 1:
            scene.step()
        digest.update("".join(format_gt_row(frame, r) for r in scene.render()[1]).encode())
    return digest.hexdigest()


def test_a_still_or_shaking_camera_draws_what_it_always_drew():
    """The bundled model and every recorded number were made from these scenes: the camera-motion
    options must not change a still (or --jitter) camera's draws. Ground truth of seed (0, 0),
    12 frames, pinned before the pan existed."""
    assert _ground_truth_hash(SynthConfig(frames=12), (0, 0), 12) == \
        "1bc2de60a663d89e8e45a277d3165ea38fdd02e6a85ce9c494b8aa6d7cd678c0"
    assert _ground_truth_hash(SynthConfig(frames=12, jitter=2.0), (0, 0), 12) == \
        "21b9f9d7990e656af7dbe7036aa385023aa1f9d1b8d328094266c1e883f2006f"


def test_a_panning_camera_sweeps_half_a_frame_and_back_at_its_speed():
    """Offsets of the view over a period: 0 -> width / 2 -> 0, no step above pan_speed; and each
    frame is the last one shifted by the offset's step (the background matches there)."""
    config = SynthConfig(frames=200, pan_speed=8.0, noise=0)
    scene = SyntheticScene(config, np.random.default_rng(3))
    offsets, frames, owners = [], [], []
    for frame in range(130):
        if frame:
            scene.step()
        image, rows, owner = scene.render()
        offsets.append(scene.pan_offset())
        frames.append(image.astype(int))
        owners.append(owner)
        for row in rows:
            assert 0 <= row[1] + row[3] / 2 <= 640           # ground truth stays in the view
    steps = np.diff(offsets)
    assert offsets[0] == 0 and max(offsets) == 320 and np.abs(steps).max() <= 8
    assert (steps > 0).any() and (steps < 0).any()           # there and back
    matched, unshifted = [], []
    for t in range(1, 130, 7):
        d = int(steps[t - 1])
        if d <= 0:
            continue
        before, after = frames[t - 1][:, d:], frames[t][:, :640 - d]
        empty = (owners[t - 1][:, d:] == 0) & (owners[t][:, :640 - d] == 0)
        matched.append(np.mean(np.all(before == after, axis=2)[empty]))
        unshifted.append(np.mean(np.all(frames[t - 1] == frames[t], axis=2)))
    assert min(matched) > 0.9 and max(unshifted) < 0.5


def test_perspective_makes_nearer_people_taller(tmp_path):
    write_synthetic_dataset(str(tmp_path), sequences=2, seed=0, config=SynthConfig(frames=30),
                            progress=False)
    gt = load_mot_rows(str(tmp_path / "synth-00" / "gt" / "gt.txt"))
    foot_y, height = gt[:, 3] + gt[:, 5], gt[:, 5]
    assert np.corrcoef(foot_y, height)[0, 1] > 0.8
    assert height.min() > 40 and height.max() < 260


def test_synth_cli_writes_a_ready_training_set(tmp_path, capsys):
    out = tmp_path / "synth"
    assert main(["synth", str(out), "--sequences", "3", "--frames", "8", "--seed", "2"]) == 0
    assert "16 train, 8 val images" in capsys.readouterr().out
    config = json.load(open(out / "data.json"))
    assert config == {"root": ".", "train": {"synth": "synth.train"}, "test": {"synth": "synth.val"}}
    info = read_seqinfo(str(out / "synth-02"))
    assert (info["width"], info["height"], info["length"]) == (640, 360, 8)
    gt = load_mot_rows(str(out / "synth-00" / "gt" / "gt.txt"))
    assert (gt[:, 6] == 1).all() and (gt[:, 7] == 1).all() and (gt[:, 8] > 0).any()
    labels = parse_label_file(str(out / "labels_with_ids" / "synth-00" / "img1" / "000001.txt"))
    assert len(labels) == (gt[:, 0] == 1).sum() > 0
    ds = JointDataset.from_config(str(out / "data.json"), img_size=(320, 192), progress=False)
    assert len(ds) == 16
    item = ds[0]
    assert item["reg_mask"].sum() == len(labels)
    assert sorted(item["ids"][:len(labels)]) == sorted(gt[gt[:, 0] == 1, 1].astype(int))
    val = JointDataset.from_config(str(out / "data.json"), split="test", img_size=(320, 192),
                                   progress=False)
    assert len(val) == 8 and val.image_files[0].endswith("synth-02/img1/000001.jpg")
