"""ONNX export: the export-time deformable convolution, the exported graph, OnnxDetector, the CLI."""
import os
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from fairmot.cli import main
from fairmot.errors import UserError
from fairmot.evaluation.boxes import box_iou
from fairmot.export.onnx import (
    INPUT_NAME,
    MIN_OPSET,
    OUTPUT_NAMES,
    compare_outputs,
    export_onnx,
    ort_session,
    verify_onnx,
    within_tolerance,
)
from fairmot.inference.decoding import decode
from fairmot.inference.onnx_detector import OnnxDetector
from fairmot.inference.torch_detector import Detector
from fairmot.models import DCN, create_model, model_from_checkpoint
from fairmot.models.dcn_reference import gather_deform_conv2d
from fairmot.models.random_init import randomize_
from support.data import REPO

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SIZE = (320, 192)  # the network input of the resdcn_18 tests (width, height)


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning")
def test_a_dcn_layer_exports_and_runs_in_onnxruntime(tmp_path):
    torch.manual_seed(0)
    dcn = DCN(8, 4).eval()
    torch.nn.init.normal_(dcn.conv_offset_mask.weight, std=0.3)  # offsets of a few pixels
    x = torch.randn(1, 8, 12, 16)
    path = str(tmp_path / "dcn.onnx")
    with torch.no_grad():
        torch.onnx.export(dcn, (x,), path, dynamo=False, opset_version=MIN_OPSET, input_names=["x"])
        raw = dcn.conv_offset_mask(x)
        want = gather_deform_conv2d(x.double(), raw[:, :18].double(), torch.sigmoid(raw[:, 18:]).double(),
                                    dcn.weight.double(), dcn.bias.double())
    assert raw[:, :18].abs().mean() > 1.0
    assert "GridSample" in {node.op_type for node in onnx.load(path).graph.node}
    got = ort_session(path).run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-4)


def _random_checkpoint(path, arch, offset_scale, seed=0):
    model = create_model(arch).eval()
    randomize_(model, torch.Generator().manual_seed(seed), offset_scale)
    with torch.no_grad():
        # widen the heatmap logits so that a real frame has clear peaks, about 20 above 0.4
        model.hm[2].weight.mul_(20.0)
        model.hm[2].bias.fill_(-8.2)
    torch.save({"epoch": 0, "state_dict": model.state_dict()}, path)
    return str(path)


@pytest.fixture(scope="module")
def resdcn(tmp_path_factory):
    """A random resdcn_18 checkpoint, its model and its export (320x192, dynamic batch)."""
    folder = tmp_path_factory.mktemp("export")
    weights = _random_checkpoint(folder / "resdcn_18.pth", "resdcn_18", offset_scale=3.0)
    model = model_from_checkpoint(weights)
    path = str(folder / "resdcn_18.onnx")
    metadata = export_onnx(model, path, SIZE, opset=17, K=500, dynamic_batch=True)
    return weights, model, path, metadata


def test_exported_model_is_valid_standard_onnx_with_metadata(resdcn):
    _, _, path, metadata = resdcn
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    opsets = {o.domain: o.version for o in proto.opset_import}
    assert set(opsets) == {""} and opsets[""] >= 16  # the default domain only: no custom ops
    assert all(node.domain == "" for node in proto.graph.node)
    assert {"GridSample", "TopK", "MaxPool"} <= {node.op_type for node in proto.graph.node}
    assert [i.name for i in proto.graph.input] == [INPUT_NAME]
    assert [o.name for o in proto.graph.output] == list(OUTPUT_NAMES)
    props = {p.key: p.value for p in proto.metadata_props}
    assert props == metadata
    assert props["arch"] == "resdcn_18" and props["input_size"] == "320x192" and props["stride"] == "4"
    assert props["ltrb"] == "1" and props["topk"] == "500"


def test_onnxruntime_equals_pytorch_decode(resdcn):
    _, model, path, _ = resdcn
    images = torch.rand(2, 3, SIZE[1], SIZE[0], generator=torch.Generator().manual_seed(1))
    scores, boxes, embeddings = ort_session(path).run(list(OUTPUT_NAMES), {INPUT_NAME: images.numpy()})
    assert scores.shape == (2, 500) and boxes.shape == (2, 500, 4) and embeddings.shape == (2, 500, 128)
    with torch.no_grad():
        want_boxes, want_embeddings, _ = decode(model(images), K=500)
    reference = (want_boxes[..., 4].numpy(), want_boxes[..., :4].numpy(), want_embeddings.numpy())
    diffs = compare_outputs(reference, (scores, boxes, embeddings))
    assert diffs["unpaired"] == 0
    assert diffs["scores"] <= 1e-4 and diffs["boxes"] <= 1e-2 and diffs["embeddings"] <= 1e-4, diffs
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, atol=1e-5)
    # the test is not trivial: scores spread out and boxes are of real size
    assert scores[:, 0].min() > 0.5 and boxes[..., 2:].max() > 50


def test_comparison_pairs_tied_peaks_and_finds_missing_ones():
    g = np.random.default_rng(0)
    scores = np.sort(g.uniform(0.1, 0.9, (1, 50)))[:, ::-1].copy()
    scores[0, 10] = scores[0, 11] + 1e-7  # a tie within rounding
    boxes, embeddings = g.uniform(0, 300, (1, 50, 4)), g.normal(size=(1, 50, 8))
    reference = (scores, boxes, embeddings)
    swapped = [10, 11]
    got = [a.copy() for a in reference]
    for a in got[1:]:
        a[0, swapped] = a[0, swapped[::-1]]  # the other run orders the tied pair the other way
    got[0][0, 10] -= 2e-7
    diffs = compare_outputs(reference, got)
    assert diffs["unpaired"] == 0 and diffs["boxes"] == 0 and diffs["embeddings"] == 0
    assert within_tolerance(diffs)
    got[1][0, 5] += 0.05  # a box 0.05 px off
    diffs = compare_outputs(reference, got)
    assert diffs["unpaired"] == 0 and abs(diffs["boxes"] - 0.05) < 1e-9 and not within_tolerance(diffs)
    got[1][0, 5] -= 0.05
    got[0][0, 5] += 0.01  # a score no peak of the reference has
    diffs = compare_outputs(reference, got, score_window=1e-4)
    assert diffs["unpaired"] == 1 and not within_tolerance(diffs)


def test_comparison_leaves_out_a_plateau_peak_that_one_run_splits_in_two():
    """Two neighbouring heatmap cells equal in one run (both peaks) and a rounding apart in the
    other (one peak): the lists then differ by one row, and compare position by position after it."""
    g = np.random.default_rng(1)
    scores = np.sort(g.uniform(0.1, 0.9, 40))[::-1].copy()
    scores[:3] = [0.99990165, 0.9997757, 0.9997757]   # rows 1 and 2: one plateau, 4 px apart
    boxes = g.uniform(0, 300, (40, 4))
    boxes[:, 2:] = boxes[:, :2] + 40
    boxes[2] = boxes[1] + [4, 0, 4, 0]
    embeddings = g.normal(size=(40, 8))
    reference = tuple(a[None] for a in (scores, boxes, embeddings))
    one_peak = [np.concatenate([a[:2], a[3:], a[-1:]])[None] for a in (scores, boxes, embeddings)]
    diffs = compare_outputs(reference, one_peak)
    assert diffs["scores"] == 0 and diffs["unpaired"] == 0 and within_tolerance(diffs)
    far = [a.copy() for a in reference]   # equal scores far apart are two peaks: no twin
    far[1][0, 2] += 100
    assert compare_outputs(far, one_peak)["scores"] > 0.1


def test_verification_rejects_a_model_that_differs(resdcn, tmp_path):
    _, model, path, _ = resdcn
    images = torch.rand(1, 3, SIZE[1], SIZE[0], generator=torch.Generator().manual_seed(2))
    assert verify_onnx(path, model, images).ok
    other = model_from_checkpoint(_random_checkpoint(tmp_path / "other.pth", "resdcn_18", 3.0, seed=1))
    result = verify_onnx(path, other, images)
    assert not result.ok and not within_tolerance(result.vs_pytorch)
    assert "less exact than PyTorch" in result.summary()


def _pets_frame(shared_data):
    frame = cv2.imread(os.path.join(shared_data, "PETS09-S2L1", "img1", "000001.jpg"))
    assert frame is not None
    return frame


def test_onnx_detector_equals_detector_on_a_real_frame(resdcn, shared_data):
    _, model, path, _ = resdcn
    frame = _pets_frame(shared_data)
    torch_boxes, torch_embeddings, _ = Detector(model, SIZE, device="cpu", conf_thres=0.4)(frame)
    detector = OnnxDetector(path, conf_thres=0.4)
    boxes, embeddings, classes = detector(frame)
    assert classes.tolist() == [0] * len(boxes)
    assert 5 <= len(torch_boxes) <= 100  # the crafted heatmap gives clear peaks
    assert boxes.shape == torch_boxes.shape and boxes.dtype == np.float64
    assert embeddings.shape == torch_embeddings.shape == (len(boxes), 128) and embeddings.dtype == np.float32
    np.testing.assert_allclose(boxes[:, :4], torch_boxes[:, :4], rtol=0, atol=0.5)  # same order
    np.testing.assert_allclose(boxes[:, 4], torch_boxes[:, 4], rtol=0, atol=1e-4)
    np.testing.assert_allclose(embeddings, torch_embeddings, rtol=0, atol=1e-4)
    assert set(detector.timings) == {"preprocess", "network", "decode"}
    assert detector.input_size == SIZE and detector.heads == model.heads and detector.K == 500


def test_onnx_detector_user_errors(resdcn, tmp_path, monkeypatch):
    _, _, path, _ = resdcn
    with pytest.raises(UserError, match="exported for input size 320x192.*--input-size 1088x608"):
        OnnxDetector(path, input_size="1088x608")
    assert OnnxDetector(path, input_size=SIZE).input_size == SIZE
    with pytest.raises(UserError, match="not found"):
        OnnxDetector(str(tmp_path / "missing.onnx"))
    (tmp_path / "garbage.onnx").write_bytes(b"not a model")
    with pytest.raises(UserError, match="onnxruntime cannot load"):
        OnnxDetector(str(tmp_path / "garbage.onnx"))
    proto = onnx.load(path)
    del proto.metadata_props[:]
    onnx.save(proto, str(tmp_path / "foreign.onnx"))
    with pytest.raises(UserError, match="not exported by 'fairmot export'"):
        OnnxDetector(str(tmp_path / "foreign.onnx"))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    with pytest.raises(UserError, match=r"pip install 'fairmot\[onnx\]'"):
        OnnxDetector(path)


@pytest.mark.slow
def test_dla34_exports_and_matches_pytorch(tmp_path):
    model = create_model("dla_34").eval()
    # offsets of about 2 px; larger random offsets make float32 itself chaotic (see verify_onnx)
    randomize_(model, torch.Generator().manual_seed(0), offset_scale=1.0)
    path = str(tmp_path / "dla_34.onnx")
    export_onnx(model, path, (320, 192), opset=16, K=100)
    images = torch.rand(1, 3, 192, 320, generator=torch.Generator().manual_seed(3))
    result = verify_onnx(path, model, images)
    assert within_tolerance(result.vs_pytorch), result.summary()
    assert sum(node.op_type == "GridSample" for node in onnx.load(path).graph.node) == 16


@pytest.mark.slow
def test_cli_export(resdcn, tmp_path):
    weights = resdcn[0]
    output = tmp_path / "cli.onnx"
    done = subprocess.run([sys.executable, "-m", "fairmot", "export", "--weights", weights, "--output", str(output),
                           "--input-size", "256x160", "--topk", "50"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "onnx.checker passed" in done.stdout and "onnxruntime vs PyTorch" in done.stdout
    props = {p.key: p.value for p in onnx.load(str(output)).metadata_props}
    assert props["input_size"] == "256x160" and props["topk"] == "50" and props["opset"] == "17"
    assert not os.path.exists(f"{output}.part")


@pytest.mark.slow
def test_cli_int8_onnx_quantizes_the_convolutions_and_detects_as_float(tmp_path):
    """--int8 for ONNX: static QDQ calibrated on real frames; the heads' last convolutions and the
    offset predictors stay float, the metadata says int8, and on frames it was not calibrated on
    the int8 model finds the float model's people (the bundled demo model, on synthetic scenes)."""
    from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH as demo
    for seed in (3, 7):
        assert main(["synth", str(tmp_path / f"seed{seed}"), "--sequences", "1", "--frames", "12",
                     "--val-sequences", "0", "--seed", str(seed)]) == 0
    calibration = tmp_path / "seed3" / "images" / "synth-00" / "img1"
    fp32, int8 = tmp_path / "m.onnx", tmp_path / "q.onnx"
    size = "x".join(map(str, demo.input_size))
    for output, extra in ((fp32, []), (int8, ["--int8", "--calibration", str(calibration)])):
        done = subprocess.run([sys.executable, "-m", "fairmot", "export", "--weights", demo.path,
                               "--output", str(output), "--input-size", size, *extra],
                              capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr
    assert "quantizing to int8 on 12 frames" in done.stdout
    proto = onnx.load(str(int8))
    assert {p.key: p.value for p in proto.metadata_props}["precision"] == "int8"
    dequantized = {out for node in proto.graph.node if node.op_type == "DequantizeLinear" for out in node.output}
    convs = {node.name: node for node in proto.graph.node if node.op_type in ("Conv", "ConvTranspose")}
    floating = {name for name, node in convs.items() if node.input[1] not in dequantized}
    assert floating == {name for name in convs if re.search(r"/(hm|wh|reg|id)\.2/Conv$|conv_offset_mask", name)}
    assert len(floating) == 4 + 3 and len(convs) - len(floating) > 20
    assert {node.op_type for node in proto.graph.node} >= {"QuantizeLinear", "GridSample", "TopK"}

    reference_detector, detector = OnnxDetector(str(fp32), conf_thres=0.4), OnnxDetector(str(int8), conf_thres=0.4)
    found = people = 0
    for path in sorted((tmp_path / "seed7" / "images" / "synth-00" / "img1").iterdir())[::4]:
        frame = cv2.imread(str(path))
        reference = reference_detector(frame).boxes
        boxes, embeddings, _ = detector(frame)
        assert embeddings.shape == (len(boxes), 128)
        people += len(reference)
        if len(boxes):
            found += int((box_iou(reference[:, :4], boxes[:, :4]).max(axis=1) > 0.8).sum())
    assert people > 10 and found >= 0.9 * people   # the same people, in nearly the same place


@pytest.mark.parametrize("args,message", [
    (["--weights", "missing.pth"], "checkpoint 'missing.pth' not found"),
    (["--opset", "15"], "--opset 15 is too old"),
    (["--input-size", "500x300"], "multiples of 32"),
    (["--topk", "0"], "--topk must be at least 1"),
    (["--output", "no/such/folder/out.onnx"], "of --output does not exist"),
])
def test_cli_export_rejects_bad_options(resdcn, tmp_path, capsys, args, message):
    output = tmp_path / "out.onnx"
    # a user error: exit status 2, one line on stderr, nothing written
    assert main(["export", "--weights", resdcn[0], "--output", str(output), *args]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and message in err, err
    assert not output.exists()


def _relabelled(resdcn, tmp_path, edit):
    """A copy of the exported model with its metadata or graph changed by ``edit(proto)``."""
    path = resdcn[2]
    proto = onnx.load(path)
    edit(proto)
    out = tmp_path / "edited.onnx"
    onnx.save(proto, str(out))
    return out


def _set_metadata(key, value):
    def edit(proto):
        for prop in proto.metadata_props:
            if prop.key == key:
                prop.value = value
    return edit


def _rename_output(old, new):
    def edit(proto):
        for node in proto.graph.node:
            node.output[:] = [new if o == old else o for o in node.output]
        for output in proto.graph.output:
            if output.name == old:
                output.name = new
    return edit


@pytest.mark.parametrize("edit, fragment", [
    (_set_metadata("input_size", "wide"), "metadata is malformed"),
    (_set_metadata("heads", "{not json"), "metadata is malformed"),
    (_set_metadata("topk", "-3"), "metadata is malformed"),
    (_set_metadata("heads", '{"hm": 1, "id": "many"}'), "metadata is malformed"),
    (_set_metadata("stride", "0"), "metadata is malformed"),
    (_rename_output("scores", "logits"), "returns ['logits'"),
])
def test_onnx_models_with_fairmot_metadata_but_another_interface(edit, fragment, resdcn, tmp_path):
    path = _relabelled(resdcn, tmp_path, edit)
    with pytest.raises(UserError, match=re.escape(fragment)):
        OnnxDetector(str(path))
