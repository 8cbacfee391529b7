import numpy as np
import torch

from fairmot.inference.decoding import decode, heatmap_peaks


def _logit(p):
    return float(np.log(p / (1 - p)))


def _outputs(h=8, w=10, ltrb=True):
    hm = torch.full((1, 1, h, w), -10.0)
    hm[0, 0, 2, 3] = _logit(0.9)  # a peak
    hm[0, 0, 2, 4] = _logit(0.8)  # its neighbour: not a peak
    hm[0, 0, 6, 8] = _logit(0.6)  # a second peak
    wh = torch.zeros(1, 4 if ltrb else 2, h, w)
    reg = torch.zeros(1, 2, h, w)
    emb = torch.zeros(1, 3, h, w)
    if ltrb:
        wh[0, :, 2, 3] = torch.tensor([1.0, 2.0, 3.0, 4.0])
        wh[0, :, 6, 8] = torch.tensor([0.5, 0.5, 0.5, 0.5])
    else:
        wh[0, :, 2, 3] = torch.tensor([4.0, 6.0])
        wh[0, :, 6, 8] = torch.tensor([1.0, 1.0])
    reg[0, :, 2, 3] = torch.tensor([0.25, 0.75])
    emb[0, :, 2, 3] = torch.tensor([3.0, 0.0, 4.0])
    emb[0, :, 6, 8] = torch.tensor([0.0, 2.0, 0.0])
    return {"hm": hm, "wh": wh, "reg": reg, "id": emb}


def test_peaks_are_3x3_maxima():
    heat = torch.sigmoid(_outputs()["hm"])
    peaks = heatmap_peaks(heat)
    assert peaks[0, 0, 2, 3] == heat[0, 0, 2, 3]
    assert peaks[0, 0, 2, 4] == 0
    assert (peaks > 0.5).sum() == 2


def test_ltrb_boxes_scores_and_embeddings():
    boxes, emb, classes = decode(_outputs(), K=5)
    assert boxes.shape == (1, 5, 5) and emb.shape == (1, 5, 3)
    assert classes.shape == (1, 5) and classes.dtype == torch.int64 and (classes == 0).all()
    # centre (3.25, 2.75) in map cells; ltrb (1, 2, 3, 4); stride 4
    np.testing.assert_allclose(boxes[0, 0].numpy(), [4 * 2.25, 4 * 0.75, 4 * 6.25, 4 * 6.75, 0.9], rtol=1e-6)
    np.testing.assert_allclose(boxes[0, 1].numpy(), [4 * 7.5, 4 * 5.5, 4 * 8.5, 4 * 6.5, 0.6], rtol=1e-6)
    assert boxes[0, 2, 4] < 0.01  # everything else is background
    np.testing.assert_allclose(emb[0, 0].numpy(), [0.6, 0.0, 0.8], rtol=1e-6)
    np.testing.assert_allclose(emb[0, 1].numpy(), [0.0, 1.0, 0.0], rtol=1e-6)


def test_wh_mode_is_picked_from_the_head_width():
    boxes, _, _ = decode(_outputs(ltrb=False), K=2)
    np.testing.assert_allclose(boxes[0, 0, :4].numpy(), 4 * np.array([3.25 - 2, 2.75 - 3, 3.25 + 2, 2.75 + 3]),
                               rtol=1e-6)


def test_K_is_capped_by_the_map_size():
    outputs = {k: v[:, :, 1:4, 2:5] for k, v in _outputs().items()}  # a 3x3 map around the first peak
    boxes, _, _ = decode(outputs, K=500)
    assert boxes.shape[1] == 9


def _two_class_outputs(h=8, w=10):
    """A person peak, a car peak at another place, and a car peak at the person's very cell."""
    out = _outputs(h, w)
    car = torch.full((1, 1, h, w), -10.0)
    car[0, 0, 5, 1] = _logit(0.7)   # a car elsewhere
    car[0, 0, 2, 3] = _logit(0.65)  # a car at the person's centre: a peak of its own channel
    car[0, 0, 2, 2] = _logit(0.85)  # beside it and higher: in the car channel (2, 3) is then no peak
    out["hm"] = torch.cat([out["hm"], car], dim=1)
    out["wh"][0, :, 5, 1] = torch.tensor([2.0, 1.0, 2.0, 1.0])
    out["wh"][0, :, 2, 2] = torch.tensor([1.0, 1.0, 1.0, 1.0])
    out["id"][0, :, 5, 1] = torch.tensor([0.0, 0.0, 5.0])
    return out


def test_two_classes_each_peak_carries_its_channel():
    boxes, emb, classes = decode(_two_class_outputs(), K=6)
    scores = boxes[0, :, 4].numpy()
    # all classes ranked together, best first: person 0.9, car 0.85, car 0.7, person 0.6
    np.testing.assert_allclose(scores[:4], [0.9, 0.85, 0.7, 0.6], rtol=1e-6)
    assert classes[0, :4].tolist() == [0, 1, 1, 0]
    assert scores[4] < 0.01      # the car channel's (2, 3) lies beside its higher (2, 2): suppressed
    # each peak's box and embedding are read at its own position from the shared maps
    np.testing.assert_allclose(boxes[0, 0, :4].numpy(), [4 * 2.25, 4 * 0.75, 4 * 6.25, 4 * 6.75], rtol=1e-6)
    np.testing.assert_allclose(boxes[0, 1, :4].numpy(), [4 * 1.0, 4 * 1.0, 4 * 3.0, 4 * 3.0], rtol=1e-6)
    np.testing.assert_allclose(boxes[0, 2, :4].numpy(), [4 * -1.0, 4 * 4.0, 4 * 3.0, 4 * 6.0], rtol=1e-6)
    np.testing.assert_allclose(emb[0, 2].numpy(), [0.0, 0.0, 1.0], rtol=1e-6)


def test_peaks_of_two_classes_at_one_place_are_both_kept():
    """Suppression is within a channel: a person and a car centred on the same cell are two detections."""
    out = _two_class_outputs()
    out["hm"][0, 1, 2, 2] = -10.0   # the car channel's (2, 3) is now a peak of its own
    boxes, _, classes = decode(out, K=4)
    np.testing.assert_allclose(boxes[0, :, 4].numpy(), [0.9, 0.7, 0.65, 0.6], rtol=1e-6)
    assert classes[0].tolist() == [0, 1, 1, 0]
    np.testing.assert_array_equal(boxes[0, 2, :4].numpy(), boxes[0, 0, :4].numpy())  # same place, same box


def test_K_counts_all_classes_together():
    outputs = {k: v[:, :, 1:4, 2:5] for k, v in _two_class_outputs().items()}  # 3x3 map, two channels
    boxes, _, classes = decode(outputs, K=500)
    assert boxes.shape[1] == 18 and sorted(classes[0].tolist()) == [0] * 9 + [1] * 9
