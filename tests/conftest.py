import os

import pytest

from fairmot.datasets.shared_data import shared_data_dir

SHARED_DATA = shared_data_dir()


@pytest.fixture(scope="session")
def shared_data():
    if not os.path.isdir(SHARED_DATA):
        pytest.fail(f"shared data not found at {SHARED_DATA}: set FAIRMOT_SHARED_DATA")
    return SHARED_DATA
