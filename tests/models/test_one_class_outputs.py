"""A one-class checkpoint is today's model: classes added nothing to what it loads or outputs.

The numbers below were printed by the code before classes existed (commit e1370f8) for the
bundled demo checkpoint on a generated frame; the same frame through today's code must give the
same detections, and today's decoding must equal the one-channel decoding bit for bit.
"""
import numpy as np
import pytest
import torch

from fairmot.datasets.synthetic import SynthConfig, SyntheticScene
from fairmot.inference.decoding import gather_at, heatmap_peaks
from fairmot.inference.torch_detector import Detector
from fairmot.models import model_from_checkpoint
from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH

# e1370f8: Detector(demo, 384x224, conf_thres=0.05) on SyntheticScene(SynthConfig(), rng 3) after 5 steps
BEFORE_COUNT = 19
BEFORE_TOP = np.array([[422.064718, 146.662254, 491.144257, 296.577555, 0.802931],
                       [316.284536, 110.033188, 387.641729, 268.738759, 0.790366],
                       [215.567017, 78.459492, 269.211756, 196.883825, 0.788977],
                       [479.223073, 133.16925, 539.214935, 263.99531, 0.695366],
                       [331.371129, 64.757144, 367.97226, 141.347504, 0.552148],
                       [517.434998, 94.969851, 556.111399, 178.497772, 0.51605]])
BEFORE_FRAME_SUM = 100581068   # the person-only scene draws the same pixels as before cars existed


@pytest.fixture(scope="module")
def frame():
    scene = SyntheticScene(SynthConfig(), np.random.default_rng(3))
    for _ in range(5):
        scene.step()
    image, _, _ = scene.render()
    return image


def _one_channel_decode(outputs, K):
    """FairMOT's decoding of a one-class heatmap, written out as it was: top-K of the one
    channel, boxes from ltrb at the peak, embeddings normalised at the peak."""
    heat = torch.sigmoid(outputs["hm"])
    _, _, h, w = heat.shape
    scores, inds = torch.topk(heatmap_peaks(heat).reshape(1, -1), min(K, h * w))
    ys = torch.div(inds, w, rounding_mode="floor").to(heat.dtype)
    xs = (inds % w).to(heat.dtype)
    reg = gather_at(outputs["reg"], inds)
    xs, ys = xs + reg[..., 0], ys + reg[..., 1]
    ltrb = gather_at(outputs["wh"], inds)
    boxes = torch.stack([xs - ltrb[..., 0], ys - ltrb[..., 1], xs + ltrb[..., 2], ys + ltrb[..., 3]], -1) * 4
    embeddings = torch.nn.functional.normalize(gather_at(outputs["id"], inds), dim=-1)
    return torch.cat([boxes, scores[..., None]], -1), embeddings


def test_a_one_class_checkpoint_gives_the_detections_it_gave_before_classes(frame):
    assert int(frame.sum()) == BEFORE_FRAME_SUM
    model = model_from_checkpoint(DEMO_RESDCN18W32_SYNTH.path)   # strict: no key missing or unexpected
    assert model.heads["hm"] == 1 and model.class_table.names == ("person",)
    detector = Detector(model, input_size=DEMO_RESDCN18W32_SYNTH.input_size, device="cpu", conf_thres=0.05)
    boxes, embeddings, classes = detector(frame)
    assert len(boxes) == BEFORE_COUNT and classes.tolist() == [0] * BEFORE_COUNT
    np.testing.assert_allclose(boxes[:6], BEFORE_TOP, rtol=0, atol=2e-3)   # printed to 6 decimals


def test_one_class_decoding_is_the_one_channel_decoding_bit_for_bit(frame):
    detector = Detector(DEMO_RESDCN18W32_SYNTH.path, input_size=DEMO_RESDCN18W32_SYNTH.input_size, device="cpu",
                        conf_thres=0.05)
    blob, letterbox = detector.prepare(frame)
    outputs = detector.forward(blob)
    got_boxes, got_embeddings, got_classes = detector.candidates(outputs)
    want_boxes, want_embeddings = _one_channel_decode(outputs, detector.K)
    assert np.array_equal(got_boxes, want_boxes[0].numpy())
    assert np.array_equal(got_embeddings, want_embeddings[0].numpy())
    assert not got_classes.any()
    # and the whole call is those candidates, thresholded and mapped back
    boxes, embeddings, _ = detector(frame)
    keep = want_boxes[0, :, 4].numpy() > 0.05
    assert np.array_equal(boxes, letterbox.to_frame(want_boxes[0].numpy()[keep]))
    assert np.array_equal(embeddings, want_embeddings[0].numpy()[keep])
