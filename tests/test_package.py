import importlib
import subprocess
import sys


def test_import_names():
    # the folders trackers/ and datasets/ are installed under fairmot, never top-level
    for name in ("fairmot", "fairmot.trackers", "fairmot.datasets", "fairmot.models"):
        importlib.import_module(name)


def test_trackers_does_not_import_torch():
    code = "import sys, fairmot.trackers; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
