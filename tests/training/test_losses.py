import math

import pytest
import torch

from fairmot.training.losses import MotLoss, embedding_scale, focal_loss_sum, masked_l1_sum


def test_focal_loss_on_hand_values():
    gt = torch.tensor([[[[1.0, 0.5, 0.0]]]])
    pred = torch.tensor([[[[0.8, 0.3, 0.1]]]])
    loss, num_pos = focal_loss_sum(pred, gt)
    pos = math.log(0.8) * 0.2 ** 2
    neg = math.log(0.7) * 0.3 ** 2 * 0.5 ** 4 + math.log(0.9) * 0.1 ** 2 * 1.0
    assert num_pos.item() == 1
    assert loss.item() == pytest.approx(-(pos + neg), rel=1e-6)


def test_masked_l1_reads_object_centres():
    out = torch.zeros(1, 2, 3, 4)
    out[0, :, 1, 2] = torch.tensor([1.0, 2.0])
    ind = torch.tensor([[6, 0]])  # (y=1, x=2) and an empty slot
    mask = torch.tensor([[1, 0]], dtype=torch.uint8)
    target = torch.tensor([[[1.5, 1.0], [9.0, 9.0]]])
    loss, count = masked_l1_sum(out, mask, ind, target)
    assert (loss.item(), count.item()) == (1.5, 2)


def _batch(ids):
    n = len(ids)
    hm = torch.zeros(n, 1, 4, 4)
    hm[:, 0, 1, 1] = 1.0
    return {"hm": hm, "wh": torch.ones(n, 2, 4), "reg": torch.full((n, 2, 2), 0.5),
            "ind": torch.tensor([[5, 0]] * n), "reg_mask": torch.tensor([[1, 0]] * n, dtype=torch.uint8),
            "ids": torch.tensor([[i, -1] for i in ids])}


def _outputs(n, emb_dim=8):
    g = torch.Generator().manual_seed(0)
    return {"hm": torch.randn(n, 1, 4, 4, generator=g), "wh": torch.randn(n, 4, 4, 4, generator=g),
            "reg": torch.randn(n, 2, 4, 4, generator=g), "id": torch.randn(n, emb_dim, 4, 4, generator=g)}


def test_uncertainty_weighted_total_and_ignored_ids():
    torch.manual_seed(0)
    loss_fn = MotLoss(num_ids=5, emb_dim=8)
    total, stats = loss_fn(_outputs(2), _batch([3, -1]))  # the second image is detection-only
    det = stats["hm_loss"] + 0.1 * stats["wh_loss"] + stats["off_loss"]
    want = 0.5 * (math.exp(1.85) * det + math.exp(1.05) * stats["id_loss"] - 1.85 - 1.05)
    assert total.item() == pytest.approx(want, rel=1e-5) and stats["loss"] == pytest.approx(want, rel=1e-5)
    # the identity loss is the cross entropy of the one labelled object only
    emb = torch.nn.functional.normalize(_outputs(2)["id"][0, :, 1, 1], dim=0) * embedding_scale(5)
    ce = torch.nn.functional.cross_entropy(loss_fn.classifier(emb)[None], torch.tensor([3]))
    assert stats["id_loss"] == pytest.approx(ce.item(), rel=1e-5)


def test_detection_only_batch_has_zero_id_loss_and_gradients_everywhere():
    loss_fn = MotLoss(num_ids=5, emb_dim=8)
    outputs = {k: v.requires_grad_() for k, v in _outputs(2).items()}
    total, stats = loss_fn(outputs, _batch([-1, -1]))
    assert stats["id_loss"] == 0 and math.isfinite(total.item())
    total.backward()
    assert loss_fn.classifier.weight.grad is not None and loss_fn.s_id.grad.item() == pytest.approx(0.5)
