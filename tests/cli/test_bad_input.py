"""Every class of bad input is one line on stderr, exit 2, and leaves nothing behind (issue 10)."""
import os
import shutil

import pytest

from support.cli import assert_one_line_error, run_main

FAST = ("--input-size", "160x96")


@pytest.fixture
def bad_sequences(pets_frames, tmp_path):
    """Sequence folders whose seqinfo.ini is broken in the ways seen in the field."""
    made = {}
    for name, text in {"garbage": "this is not an ini file\n",
                       "no_section": "name=x\nframeRate=10\n",
                       "bad_rate": "[Sequence]\nname=x\nframeRate=abc\nseqLength=8\n",
                       "nan_rate": "[Sequence]\nname=x\nframeRate=nan\nseqLength=8\n",
                       "bad_length": "[Sequence]\nname=x\nframeRate=10\nseqLength=8.5\n",
                       "binary": "\x00\xff\xfe[Sequence]\n"}.items():
        seq = tmp_path / name
        shutil.copytree(pets_frames, seq / "img1")
        (seq / "seqinfo.ini").write_bytes(text.encode("latin-1"))
        made[name] = seq
    return made


@pytest.mark.parametrize("case, fragment", [
    ("garbage", "is not an INI file"), ("no_section", "is not an INI file"),
    ("bad_rate", "frameRate='abc' is not a number"),
    ("nan_rate", "frameRate='nan' must be a finite number"), ("bad_length", "seqLength='8.5' is not an integer"),
    ("binary", "is not an INI file"),
])
def test_malformed_seqinfo(case, fragment, bad_sequences, tracking_weights, tmp_path):
    out = tmp_path / "out"
    proc = run_main("track", bad_sequences[case], "--weights", tracking_weights, "--output", out, *FAST)
    assert_one_line_error(proc, "seqinfo.ini", fragment, command="track")
    assert not out.exists()


@pytest.mark.parametrize("extra, fragment", [
    (["--fps", "nan"], "frame rate nan must be a positive number"),
    (["--fps", "inf"], "frame rate inf must be a positive number"),
    (["--fps", "0"], "frame rate 0.0 must be a positive number"),
    (["--fps", "-5"], "frame rate -5.0 must be a positive number"),
    (["--input-size", "32000x32000"], "is too large (at most 8192 a side)"),
    (["--conf-thres", "1.5"], "--conf-thres must be in [0, 1)"),
    (["--track-buffer", "0"], "--track-buffer must be at least 1"),
    (["--device", "banana"], "is not a device"),
    (["--tracker", "hybrid", "--byte"], "--byte is an option of --tracker fairmot"),
    (["--tracker", "hybrid", "--conf-thres", "0.5"], "--conf-thres is an option of --tracker fairmot"),
    (["--tracker", "hybrid", "--tracker-option", "nosuch=1"], "tracker 'hybrid' has no option 'nosuch'"),
    (["--tracker-option", "min_hits"], "write KEY=VALUE"),
    (["--tracker", "hybrid", "--tracker-option", "min_hits=0"], "min_hits must be >= 1"),
    (["--min-box-area", "-1"], "--min-box-area must be 0 or more"),
    (["--max-aspect-ratio", "nan"], "--max-aspect-ratio must be a positive number"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--backend", "openvino"], "--backend openvino runs a .xml model from 'fairmot export'"),
    (["--backend", "onnxruntime"], "--backend onnxruntime runs a .onnx model from 'fairmot export'"),
])
def test_tracking_options_out_of_range(extra, fragment, pets_frames, tracking_weights, tmp_path):
    out = tmp_path / "out"
    proc = run_main("track", pets_frames, "--weights", tracking_weights, "--output", out, *FAST, *extra)
    assert_one_line_error(proc, fragment, command="track")
    assert not out.exists()


def test_a_pipe_or_a_device_as_source_does_not_block(tracking_weights, tmp_path):
    fifo = tmp_path / "camera.mp4"
    os.mkfifo(fifo)
    for source, what in ((fifo, "is a pipe"), ("/dev/null", "is a device")):
        proc = run_main("track", source, "--weights", tracking_weights, "--output", tmp_path / "out")
        assert_one_line_error(proc, what, "not a file", command="track")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--frames", "0"], "--frames must be at least 1"), (["--width", "0"], "--width must be between 64 and 8192"),
    (["--fps", "0"], "--fps must be positive"), (["--people", "nan"], "--people must be a number >= 0"),
    (["--pan-speed", "4"], "--pan-speed needs a panning camera: add --camera-motion pan"),
    (["--camera-motion", "pan", "--jitter", "2"], "use --camera-motion pan-shake to shake it too"),
    (["--camera-motion", "pan", "--pan-speed", "100"], "--pan-speed must be between 0 and 80 pixels a frame"),
    (["--camera-motion", "pan-shake", "--pan-speed", "inf"], "--pan-speed must be between 0 and 80"),
])
def test_synth_options_out_of_range(args, fragment, tmp_path):
    assert_one_line_error(run_main("synth", tmp_path / "s", *args), fragment, command="synth")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--batch-size", "0"], "--batch-size must be at least 1"), (["--batch-size", "-2"], "--batch-size must be"),
    (["--epochs", "0"], "--epochs must be at least 1"), (["--lr", "nan"], "--lr must be a positive number"),
    (["--lr=-1e-4"], "--lr must be a positive number"), (["--num-workers", "-1"], "--num-workers must be 0 or more"),
    (["--arch", "vgg"], "unknown --arch 'vgg'"), (["--lr-step", "0"], "epochs count from 1"),
    (["--input-size", "100x100"], "multiples of 32"),
])
def test_training_options_out_of_range(args, fragment, tmp_path):
    proc = run_main("train", "--data", tmp_path / "data.json", "--output", tmp_path / "run", *args)
    assert_one_line_error(proc, fragment, command="train")
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(os.geteuid() != 0 and not os.access("/proc", os.W_OK), reason="needs an unwritable folder")
def test_export_to_a_path_that_cannot_be_written(tracking_weights, tmp_path):
    pytest.importorskip("onnx")
    for target, fragment in (("/proc/model.onnx", "cannot write /proc/model.onnx"),
                             (tmp_path / "nowhere" / "m.onnx", "does not exist")):
        proc = run_main("export", "--weights", tracking_weights, "--output", target, *FAST)
        assert_one_line_error(proc, fragment, command="export")
    existing = tmp_path / "m.onnx"
    existing.write_text("mine")
    proc = run_main("export", "--weights", tracking_weights, "--output", existing, *FAST)
    assert_one_line_error(proc, "already exists", "--overwrite", command="export")
    assert existing.read_text() == "mine"
