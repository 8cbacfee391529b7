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


def test_no_test_file_imports_another_test_file():
    import pathlib
    import re

    tests = pathlib.Path(__file__).parent
    names = {p.stem for p in tests.rglob("test_*.py")}
    pattern = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)
    for path in tests.rglob("*.py"):
        imported = {m.split(".")[-1] for m in pattern.findall(path.read_text())}
        assert not imported & names, f"{path} imports test module(s) {imported & names}"


def test_library_argument_errors_are_value_errors():
    import numpy as np
    import pytest

    from fairmot.errors import UserError
    from fairmot.trackers import JDETracker

    assert issubclass(UserError, ValueError)
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        JDETracker().update(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="one row per detection"):
        JDETracker().update(np.zeros((3, 5)), np.zeros((2, 128)))


def test_every_package_folder_is_installed():
    # setup.cfg lists packages by name: a folder missing there works in an editable install only
    import configparser
    import pathlib

    root = pathlib.Path(__file__).parent.parent
    config = configparser.ConfigParser()
    config.read(root / "setup.cfg")
    listed = {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}
    folders = {"fairmot." + ".".join(p.parent.relative_to(root / "fairmot").parts) if p.parent != root / "fairmot"
               else "fairmot" for p in (root / "fairmot").rglob("__init__.py")}
    assert folders - listed == set()
