"""OpenVINO export: native DeformableConvolution, the exported IR, OpenVinoDetector, int8, the CLI."""
import os
import sys
import warnings

import cv2
import numpy as np
import pytest
import torch

from fairmot.errors import UserError
from fairmot.models import DCN, model_from_checkpoint
from fairmot.models.deform_conv import deform_conv2d
from support.cli import assert_one_line_error, run_main

ov = pytest.importorskip("openvino")

from fairmot.export.openvino import (  # noqa: E402  (needs openvino)
    bin_path,
    convert_to_openvino,
    dcn_extensions,
    decline_openvino_telemetry,
    read_openvino_metadata,
    save_openvino,
)
from fairmot.inference.openvino_detector import OpenVinoDetector, compile_config  # noqa: E402

SIZE = (320, 192)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), pytest.param(2, 2, 2, marks=pytest.mark.slow)])
def test_deformable_convolution_is_openvinos_and_samples_as_ours(stride, padding, dilation):
    """A DCN with offsets of several pixels (conv_offset_mask weights std 0.5): one native
    DeformableConvolution in the converted graph, outputs equal to deform_conv2d's to float32 rounding."""
    torch.manual_seed(0)
    layer = DCN(8, 16, stride=stride, padding=padding, dilation=dilation).eval()
    torch.nn.init.normal_(layer.conv_offset_mask.weight, std=0.5)
    x = torch.randn(1, 8, 21, 26)
    o1, o2, m = torch.chunk(layer.conv_offset_mask(x), 3, dim=1)
    assert torch.cat((o1, o2), 1).abs().max() > 4          # the test samples far from the grid
    ov_model = ov.convert_model(layer, example_input=x, extension=dcn_extensions(layer))
    types = [op.get_type_name() for op in ov_model.get_ops()]
    assert types.count("DeformableConvolution") == 1 and "GridSample" not in types
    got = ov.compile_model(ov_model, "CPU", compile_config())(x.numpy())[0]
    with torch.no_grad():
        expected = layer(x).numpy()
        assert np.array_equal(expected, deform_conv2d(x, torch.cat((o1, o2), 1), torch.sigmoid(m), layer.weight,
                                                      layer.bias, layer.stride, layer.padding,
                                                      layer.dilation).numpy())
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()


@pytest.fixture(scope="module")
def exported(tracking_weights, tmp_path_factory):
    """The tests' detector-like resdcn_18 exported at 320x192: (model, xml path)."""
    model = model_from_checkpoint(tracking_weights).eval()
    path = str(tmp_path_factory.mktemp("ov") / "resdcn18.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the tracer's notes on shape checks that hold for this size
        save_openvino(convert_to_openvino(model, SIZE, K=100), path)
    return model, path


@pytest.mark.slow
def test_exported_ir_detects_as_pytorch(exported, pets_frames):
    from fairmot.inference.torch_detector import Detector
    model, path = exported
    assert os.path.isfile(bin_path(path))
    meta = read_openvino_metadata(ov.Core().read_model(path))
    assert meta["input_size"] == SIZE and meta["heads"] == model.heads and meta["topk"] == "100"
    frame = cv2.imread(str(sorted(pets_frames.iterdir())[0]))
    ours = OpenVinoDetector(path, conf_thres=0.2)
    reference = Detector(model, SIZE, "cpu", conf_thres=0.2)
    boxes, embeddings, _ = ours(frame)
    torch_boxes, torch_embeddings, _ = reference(frame)
    assert len(boxes) == len(torch_boxes) > 3
    np.testing.assert_allclose(boxes, torch_boxes, rtol=0, atol=1e-3)
    np.testing.assert_allclose(embeddings, torch_embeddings, rtol=0, atol=1e-4)
    assert set(ours.timings) == {"preprocess", "network", "decode"} and ours.heads == model.heads
    # the compiled model converts the letterboxed uint8 BGR image itself (the IR keeps a float input)
    blob, _ = ours.prepare(frame)
    assert blob.dtype == np.uint8 and blob.shape == (SIZE[1], SIZE[0], 3)
    assert ours.compiled.input(0).get_element_type() == ov.Type.u8
    assert ov.Core().read_model(path).input(0).get_element_type() == ov.Type.f32


def test_openvino_detector_user_errors(exported, tmp_path, monkeypatch):
    _, path = exported
    with pytest.raises(UserError, match="exported for input size 320x192.*--input-size 1088x608"):
        OpenVinoDetector(path, input_size="1088x608")
    with pytest.raises(UserError, match="not found"):
        OpenVinoDetector(str(tmp_path / "missing.xml"))
    lonely = tmp_path / "lonely.xml"
    lonely.write_bytes(open(path, "rb").read())
    with pytest.raises(UserError, match="has no weights file"):
        OpenVinoDetector(str(lonely))
    (tmp_path / "garbage.xml").write_text("not a model")
    (tmp_path / "garbage.bin").write_bytes(b"")
    with pytest.raises(UserError, match="OpenVINO cannot read"):
        OpenVinoDetector(str(tmp_path / "garbage.xml"))
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    with pytest.raises(UserError, match=r"pip install 'fairmot\[openvino\]'"):
        OpenVinoDetector(path)


def test_conversion_and_quantization_send_no_telemetry():
    """OpenVINO's converter and NNCF count a missing consent file as consent; we decline."""
    checker_module = pytest.importorskip("openvino_telemetry.utils.opt_in_checker")
    decline_openvino_telemetry()
    for dialog in (False, True):
        assert checker_module.OptInChecker().check(dialog, disable_in_ci=False) == \
            checker_module.ConsentCheckResult.DECLINED


@pytest.mark.slow
def test_cli_exports_float32_and_int8_and_tracks_with_them(tracking_weights, pets_frames, tmp_path):
    """fairmot export --format openvino (from the .xml suffix), --int8 on 4 calibration frames;
    fairmot track picks the backend from the file; refusals are one line and write nothing."""
    fp32, int8 = tmp_path / "m.xml", tmp_path / "q.xml"
    proc = run_main("export", "--weights", tracking_weights, "--output", fp32, "--input-size", "320x192",
                    "--topk", "100")
    assert proc.returncode == 0, proc.stderr
    assert "OpenVINO vs PyTorch" in proc.stdout and fp32.exists() and (tmp_path / "m.bin").exists()
    proc = run_main("export", "--weights", tracking_weights, "--output", int8, "--input-size", "320x192",
                    "--int8", "--calibration", pets_frames, "--calibration-frames", "4")
    assert proc.returncode == 0, proc.stderr
    assert read_openvino_metadata(ov.Core().read_model(str(int8)))["precision"] == "int8"
    types = {op.get_type_name() for op in ov.Core().read_model(str(int8)).get_ops()}
    assert "FakeQuantize" in types and "DeformableConvolution" in types
    rows = {}
    for name, weights in (("torch", tracking_weights), ("fp32", fp32), ("int8", int8)):
        extra = ["--input-size", "320x192"] if name == "torch" else []
        proc = run_main("track", pets_frames, "--weights", weights, "--output", tmp_path / name, "--no-video",
                        *extra)
        assert proc.returncode == 0, proc.stderr
        rows[name] = np.loadtxt(tmp_path / name / "pets8.txt", delimiter=",").reshape(-1, 10)
    assert len(rows["fp32"]) == len(rows["torch"]) > 8
    np.testing.assert_array_equal(rows["fp32"][:, :2], rows["torch"][:, :2])      # same frames, same ids
    assert np.abs(rows["fp32"][:, 2:6] - rows["torch"][:, 2:6]).max() <= 0.5     # boxes within 0.5 px
    assert len(rows["int8"]) > 8
    before = fp32.read_bytes()
    for args, fragment in (
            (["--output", fp32], "already exists: pass --overwrite"),
            (["--output", tmp_path / "x.xml", "--int8"], "--int8 needs --calibration"),
            (["--output", tmp_path / "x.xml", "--calibration", pets_frames], "--calibration needs --int8"),
            (["--output", tmp_path / "x.onnx", "--int8"], "--int8 needs --calibration"),
            (["--output", tmp_path / "x.onnx", "--int8", "--calibration", pets_frames, "--dynamic-batch"],
             "leave out --dynamic-batch"),
            (["--output", tmp_path / "x.txt", "--format", "openvino"], "an OpenVINO model is NAME.xml"),
            (["--output", tmp_path / "x.xml", "--int8", "--calibration", tmp_path / "nothing"], "not found")):
        proc = run_main("export", "--weights", tracking_weights, "--input-size", "320x192", *args)
        assert_one_line_error(proc, fragment, command="export")
    assert fp32.read_bytes() == before and not (tmp_path / "x.xml").exists() and not (tmp_path / "x.bin").exists()
    # tracking with an exported model needs no torch (import time and memory of a CPU user's process)
    probe = ("import sys; from fairmot.cli import main; "
             f"rc = main(['track', {str(pets_frames)!r}, '--weights', {str(fp32)!r}, '--no-video', "
             f"'--output', {str(tmp_path / 'probe')!r}]); print(rc, 'torch' in sys.modules)")
    import subprocess
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False"
    proc = run_main("track", pets_frames, "--weights", fp32, "--input-size", "576x320", "--output", tmp_path / "e")
    assert_one_line_error(proc, "exported for input size 320x192", command="track")
    proc = run_main("track", pets_frames, "--weights", fp32, "--device", "cuda", "--output", tmp_path / "e")
    assert_one_line_error(proc, "--backend openvino runs on the CPU", command="track")


def test_a_network_without_deformable_convolutions_converts_and_matches():
    """dlaconv_34 (FairMOT's dla with plain convolutions): no extension to register, same outputs."""
    from fairmot.export.onnx import ExportableDetector, compare_outputs
    from fairmot.models import create_model
    from fairmot.models.random_init import randomize_
    model = create_model("dlaconv_34").eval()
    randomize_(model, torch.Generator().manual_seed(0), offset_scale=1.0)
    ov_model = convert_to_openvino(model, (160, 96), K=50)
    assert "DeformableConvolution" not in {op.get_type_name() for op in ov_model.get_ops()}
    images = torch.rand(1, 3, 96, 160, generator=torch.Generator().manual_seed(1))
    compiled = ov.Core().compile_model(ov_model, "CPU", compile_config())
    results = compiled(images.numpy())
    got = [results[compiled.output(name)] for name in ("scores", "boxes", "embeddings")]
    with torch.no_grad():
        want = [t.numpy() for t in ExportableDetector(model, K=50)(images)]
    diffs = compare_outputs(want, got)
    assert diffs["unpaired"] == 0 and diffs["boxes"] < 1e-2 and diffs["scores"] < 1e-4, diffs
