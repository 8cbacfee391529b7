"""The command line starts at once: help and argument errors load neither torch nor motmetrics."""
import subprocess
import sys

import pytest

from fairmot.cli import COMMANDS
from support.cli import assert_one_line_error, run_main

# runs fairmot's main in-process and prints which heavy modules it loaded
_LOADED_AFTER = """
import sys
from fairmot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in ("torch", "motmetrics", "cv2", "pandas", "onnxruntime") if m in sys.modules)
print("LOADED:" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


def run_and_list_modules(*args):
    proc = subprocess.run([sys.executable, "-c", _LOADED_AFTER, *map(str, args)], capture_output=True, text=True)
    loaded = [line for line in proc.stderr.splitlines() if line.startswith("LOADED:")]
    assert len(loaded) == 1, proc.stderr
    proc.stderr = proc.stderr.replace(loaded[0], "")
    return proc, [m for m in loaded[0][len("LOADED:"):].split(",") if m]


@pytest.mark.parametrize("args", [["--help"]] + [[c, "--help"] for c in COMMANDS]
                         + [["convert", "mot", "--help"], ["convert", "coco", "--help"]])
def test_help_loads_no_heavy_module_and_shows_no_markup(args):
    proc, loaded = run_and_list_modules(*args)
    assert proc.returncode == 0, proc.stderr
    assert loaded == []
    for markup in ("``", ":class:", ":func:", ":mod:", ":meth:"):
        assert markup not in proc.stdout, (args, markup)


@pytest.mark.parametrize("args, command, fragment", [
    (["eval", "/nonexistent", "x"], "eval", "ground-truth folder /nonexistent not found"),
    (["eval", "/nonexistent", "--weights", "w.pth"], "eval", "ground-truth folder /nonexistent not found"),
    (["eval", "/nonexistent", "x", "--frames", "9-3"], "eval", "1 <= first <= last"),
    (["track", "/nonexistent.mp4", "--weights", "w.pth"], "track", "source /nonexistent.mp4 not found"),
    (["track", "/nonexistent.mp4", "--weights", "w.pth", "--input-size", "100x100"], "track", "multiples of 32"),
    (["train", "--data", "d.json", "--output", "o", "--device", "banana"], "train", "is not a device"),
    (["distill", "--teacher", "t.pth", "--unlabeled", "v.mp4", "--output", "o", "--input-size", "1x1"], "distill",
     "multiples of 32"),
    (["distill", "--teacher", "t.pth", "--output", "o"], "distill", "nothing to learn from"),
    (["convert", "mot", "/nonexistent", "--out", "o", "--train-frames", "x"], "convert", "must look like A-B"),
    (["random-model", "/nonexistent/r.pth"], "random-model", "does not exist"),
])
def test_argument_errors_are_one_line_without_loading_torch(args, command, fragment):
    proc, loaded = run_and_list_modules(*args)
    assert_one_line_error(proc, fragment, command=command)
    assert "torch" not in loaded and "motmetrics" not in loaded


def test_eval_of_existing_results_checks_the_folders_before_motmetrics_loads(shared_data, tmp_path):
    proc, loaded = run_and_list_modules("eval", f"{shared_data}/MOT17/train", tmp_path / "missing")
    assert_one_line_error(proc, "results folder", "not found", command="eval")
    assert loaded == []


def test_export_opsets_shown_in_help_are_the_exporters():
    from fairmot.cli import export as cli_export
    from fairmot.export import onnx as exporter
    assert (cli_export.MIN_OPSET, cli_export.DEFAULT_OPSET) == (exporter.MIN_OPSET, exporter.DEFAULT_OPSET)


def test_random_model_writes_a_checkpoint_that_tracks_and_never_overwrites(tmp_path):
    from fairmot.models import model_from_checkpoint

    path = tmp_path / "r18.pth"
    proc = run_main("random-model", path, "--arch", "resdcn_18_w32", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert model_from_checkpoint(str(path)).arch == "resdcn_18_w32"
    before = path.read_bytes()
    again = run_main("random-model", path)
    assert_one_line_error(again, "already exists", command="random-model")
    assert path.read_bytes() == before
    bad = run_main("random-model", tmp_path / "x.pth", "--arch", "vgg")
    assert_one_line_error(bad, "unknown architecture 'vgg'", command="random-model")
    assert not (tmp_path / "x.pth").exists()


@pytest.mark.parametrize("failure, code, line", [
    (OSError(28, "No space left on device", "/data/out/clip.txt"), 2,
     "fairmot synth: error: cannot use /data/out/clip.txt: No space left on device"),
    (MemoryError(), 2, "fairmot synth: error: out of memory: use a smaller --input-size, batch or model"),
    (KeyError("boxes"), 1, "fairmot synth: internal error: KeyError: 'boxes' (a bug in fairmot: run again "
                           "with FAIRMOT_DEBUG=1 for the traceback and report it)"),
])
def test_failures_nobody_foresaw_are_one_line(failure, code, line, monkeypatch, tmp_path):
    """What escapes every command's own checks still reaches the user as one line, never a traceback;
    FAIRMOT_DEBUG=1 shows the traceback of a bug to whoever fixes it."""
    from fairmot.cli import synth

    def fail(args):
        raise failure

    monkeypatch.setattr(synth, "run", fail)
    monkeypatch.delenv("FAIRMOT_DEBUG", raising=False)
    proc = run_main("synth", tmp_path / "out")
    assert proc.returncode == code and proc.stderr.splitlines() == [line]
    if code == 1:
        monkeypatch.setenv("FAIRMOT_DEBUG", "1")
        with pytest.raises(KeyError):
            run_main("synth", tmp_path / "out")
