"""Every architecture of the model zoo through the product: track, export (ONNX and OpenVINO,
each verified against PyTorch on export), eval --weights. Random detector-like weights
(fairmot.models.random_init); hourglass_104 (192 M parameters) is left to its own tests."""
import pytest

from fairmot.datasets.mot_format import load_mot_rows
from support.cli import run_main

ARCHS = ["dlaconv_34", "dlav0_34", "resfpndcn_18", "hrnet_18", "yolov5s"]


@pytest.fixture(scope="module", params=ARCHS)
def zoo_weights(request, tmp_path_factory):
    from fairmot.models.random_init import detector_like_model, write_checkpoint
    folder = tmp_path_factory.mktemp(request.param)
    return request.param, write_checkpoint(folder / f"{request.param}.pth", detector_like_model(request.param))


@pytest.mark.slow
def test_track_export_and_eval(zoo_weights, pets_frames, pets_sequence, tmp_path):
    arch, weights = zoo_weights
    proc = run_main("track", pets_frames, "--weights", weights, "--input-size", "320x192", "--output",
                    tmp_path / "tracks", "--no-video")
    assert proc.returncode == 0, proc.stderr
    rows = load_mot_rows(tmp_path / "tracks" / "pets8.txt")
    assert len(rows) > 8 and set(rows[:, 0].astype(int)) <= set(range(1, 9))
    for suffix, extra in ((".onnx", []), (".xml", ["--format", "openvino"])):
        out = tmp_path / f"{arch}{suffix}"
        proc = run_main("export", "--weights", weights, "--output", out, "--input-size", "320x192", *extra)
        assert proc.returncode == 0, f"{arch} {suffix}: {proc.stderr}"
        assert out.exists()
    exported = run_main("track", pets_frames, "--weights", tmp_path / f"{arch}.xml", "--output", tmp_path / "ov",
                        "--no-video")
    assert exported.returncode == 0, exported.stderr
    # random weights give hundreds of near-threshold boxes per frame on some architectures, where
    # float rounding flips a few: the first frame's boxes agree (export verified the outputs already)
    ov_rows = load_mot_rows(tmp_path / "ov" / "pets8.txt")
    first, ov_first = rows[rows[:, 0] == 1], ov_rows[ov_rows[:, 0] == 1]
    assert abs(len(ov_rows) - len(rows)) <= 0.05 * len(rows) and abs(len(ov_first) - len(first)) <= 2
    proc = run_main("eval", pets_sequence, "--weights", weights, "--input-size", "320x192",
                    "--output", tmp_path / "eval")
    assert proc.returncode == 0, proc.stderr
    assert "MOTA" in proc.stdout and "OVERALL" in proc.stdout
