"""Fixtures shared by every test folder; helpers live in tests/support (importable as ``support``)."""
import os
import shutil

import pytest

from support.data import MISSING_SHARED, SHARED, copy_pets_frames


@pytest.fixture(scope="session")
def shared_data():
    """The ../shared/data folder; tests that need it skip, with the reason, where it is absent."""
    if not os.path.isdir(SHARED):
        pytest.skip(MISSING_SHARED)
    return SHARED


@pytest.fixture(scope="session")
def pets_frames(shared_data, tmp_path_factory):
    """A folder with the first 8 PETS09-S2L1 frames (480x360) as plain images."""
    return copy_pets_frames(tmp_path_factory.mktemp("pets") / "pets8", 8)


@pytest.fixture(scope="session")
def tracking_weights(tmp_path_factory):
    """A random resdcn_18 checkpoint whose heads behave like a detector (fairmot.models.random_init)."""
    from fairmot.models.random_init import detector_like_model, write_checkpoint
    return write_checkpoint(tmp_path_factory.mktemp("weights") / "resdcn18.pth", detector_like_model())


@pytest.fixture(scope="session")
def pets_sequence(shared_data, pets_frames, tmp_path_factory):
    """A MOTChallenge root holding PETS09-S2L1 cut to its first 8 frames (images, gt, seqinfo)."""
    import numpy as np

    from fairmot.datasets.mot_format import load_mot_rows

    root = tmp_path_factory.mktemp("mot")
    seq = root / "PETS8"
    shutil.copytree(pets_frames, seq / "img1")
    (seq / "gt").mkdir()
    gt = load_mot_rows(os.path.join(shared_data, "PETS09-S2L1", "gt", "gt.txt"))
    np.savetxt(seq / "gt" / "gt.txt", gt[gt[:, 0] <= 8], fmt="%g", delimiter=",")
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=PETS8\nimDir=img1\nframeRate=10\n"
                                     "seqLength=8\nimWidth=480\nimHeight=360\nimExt=.jpg\n")
    return root


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory):
    """A small synthetic JDE training set (3 sequences x 24 frames, 256x160): its data.json."""
    import subprocess
    import sys
    out = tmp_path_factory.mktemp("synth")
    subprocess.run([sys.executable, "-m", "fairmot", "synth", str(out), "--sequences", "3", "--frames", "24",
                    "--width", "256", "--height", "160", "--seed", "1"], check=True, capture_output=True)
    return str(out / "data.json")
