import os
import shutil

import pytest

from fairmot.datasets.shared_data import shared_data_dir

SHARED_DATA = shared_data_dir()


@pytest.fixture(scope="session")
def shared_data():
    if not os.path.isdir(SHARED_DATA):
        pytest.fail(f"shared data not found at {SHARED_DATA}: set FAIRMOT_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pets_frames(shared_data, tmp_path_factory):
    """A folder with the first 8 PETS09-S2L1 frames (480x360) as plain images."""
    folder = tmp_path_factory.mktemp("pets") / "pets8"
    folder.mkdir()
    for i in range(1, 9):
        shutil.copy(os.path.join(shared_data, "PETS09-S2L1", "img1", f"{i:06d}.jpg"), folder)
    return folder


@pytest.fixture(scope="session")
def tracking_weights(tmp_path_factory):
    """A random resdcn_18 checkpoint whose heads behave like a detector (see random_checkpoint)."""
    from random_checkpoint import detector_like_model, write_checkpoint
    return write_checkpoint(tmp_path_factory.mktemp("weights") / "resdcn18.pth", detector_like_model())
