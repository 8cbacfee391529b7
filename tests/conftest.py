import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("FAIRMOT_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))


@pytest.fixture(scope="session")
def shared_data():
    if not os.path.isdir(SHARED_DATA):
        pytest.fail(f"shared data not found at {SHARED_DATA}: set FAIRMOT_SHARED_DATA")
    return SHARED_DATA
