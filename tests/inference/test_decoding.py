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
    boxes, emb = decode(_outputs(), K=5)
    assert boxes.shape == (1, 5, 5) and emb.shape == (1, 5, 3)
    # centre (3.25, 2.75) in map cells; ltrb (1, 2, 3, 4); stride 4
    np.testing.assert_allclose(boxes[0, 0].numpy(), [4 * 2.25, 4 * 0.75, 4 * 6.25, 4 * 6.75, 0.9], rtol=1e-6)
    np.testing.assert_allclose(boxes[0, 1].numpy(), [4 * 7.5, 4 * 5.5, 4 * 8.5, 4 * 6.5, 0.6], rtol=1e-6)
    assert boxes[0, 2, 4] < 0.01  # everything else is background
    np.testing.assert_allclose(emb[0, 0].numpy(), [0.6, 0.0, 0.8], rtol=1e-6)
    np.testing.assert_allclose(emb[0, 1].numpy(), [0.0, 1.0, 0.0], rtol=1e-6)


def test_wh_mode_is_picked_from_the_head_width():
    boxes, _ = decode(_outputs(ltrb=False), K=2)
    np.testing.assert_allclose(boxes[0, 0, :4].numpy(), 4 * np.array([3.25 - 2, 2.75 - 3, 3.25 + 2, 2.75 + 3]),
                               rtol=1e-6)


def test_K_is_capped_by_the_map_size():
    outputs = {k: v[:, :, 1:4, 2:5] for k, v in _outputs().items()}  # a 3x3 map around the first peak
    boxes, _ = decode(outputs, K=500)
    assert boxes.shape[1] == 9
