import math

import pytest
import torch

from fairmot.training.config import TrainConfig, lr_at
from fairmot.training.loss_balance import DEFAULT_TARGETS, adaptive_combine
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


def _outputs(n, emb_dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"hm": torch.randn(n, 1, 4, 4, generator=g), "wh": torch.randn(n, 4, 4, 4, generator=g),
            "reg": torch.randn(n, 2, 4, 4, generator=g), "id": torch.randn(n, emb_dim, 4, 4, generator=g)}


def test_uncertainty_weighted_total_and_ignored_ids():
    torch.manual_seed(0)
    loss_fn = MotLoss(5, emb_dim=8)
    total, stats = loss_fn(_outputs(2), _batch([3, -1]))  # the second image is detection-only
    det = stats["hm_loss"] + 0.1 * stats["wh_loss"] + stats["off_loss"]
    want = 0.5 * (math.exp(1.85) * det + math.exp(1.05) * stats["id_loss"] - 1.85 - 1.05)
    assert total.item() == pytest.approx(want, rel=1e-5) and stats["loss"] == pytest.approx(want, rel=1e-5)
    # the identity loss is the cross entropy of the one labelled object only
    emb = torch.nn.functional.normalize(_outputs(2)["id"][0, :, 1, 1], dim=0) * embedding_scale(5)
    ce = torch.nn.functional.cross_entropy(loss_fn.classifiers[0](emb)[None], torch.tensor([3]))
    assert stats["id_loss"] == pytest.approx(ce.item(), rel=1e-5)


def test_detection_only_batch_has_zero_id_loss_and_gradients_everywhere():
    loss_fn = MotLoss(5, emb_dim=8)
    outputs = {k: v.requires_grad_() for k, v in _outputs(2).items()}
    total, stats = loss_fn(outputs, _batch([-1, -1]))
    assert stats["id_loss"] == 0 and math.isfinite(total.item())
    total.backward()
    assert loss_fn.classifiers[0].weight.grad is not None and loss_fn.s_id.grad.item() == pytest.approx(0.5)


def test_stacked_outputs_average_detection_terms_and_sum_identity_terms():
    """hourglass_104 in training gives its first stack under "stacks": as FairMOT with num_stacks 2."""
    loss_fn = MotLoss(5, emb_dim=8)
    batch = _batch([3, 1])
    first, last = _outputs(2), {k: v * 0.5 for k, v in _outputs(2).items()}
    _, alone_first = loss_fn(first, batch)
    _, alone_last = loss_fn(last, batch)
    _, stacked = loss_fn(dict(last, stacks=[first]), batch)
    for term in ("hm_loss", "wh_loss", "off_loss"):
        assert stacked[term] == pytest.approx((alone_first[term] + alone_last[term]) / 2, rel=1e-6)
    assert stacked["id_loss"] == pytest.approx(alone_first["id_loss"] + alone_last["id_loss"], rel=1e-6)


def test_each_class_is_classified_among_its_own_identities():
    """Two classes (MCFairMOT): a car's embedding is scored by the car classifier (3 ids, its own
    scale) and a person's by the person one (5 ids); the id term is their sum over both objects."""
    loss_fn = MotLoss([5, 3], emb_dim=8)
    batch = _batch([4, 2])
    batch["hm"] = torch.zeros(2, 2, 4, 4)
    batch["hm"][0, 0, 1, 1] = batch["hm"][1, 1, 1, 1] = 1.0
    batch["cls"] = torch.tensor([[0, 0], [1, 0]])
    outputs = _outputs(2)
    outputs["hm"] = torch.randn(2, 2, 4, 4, generator=torch.Generator().manual_seed(1))
    _, stats = loss_fn(outputs, batch)
    emb = torch.nn.functional.normalize(outputs["id"][:, :, 1, 1], dim=1)
    person = torch.nn.functional.cross_entropy(loss_fn.classifiers[0](emb[:1] * embedding_scale(5)), torch.tensor([4]))
    car = torch.nn.functional.cross_entropy(loss_fn.classifiers[1](emb[1:] * embedding_scale(3)), torch.tensor([2]))
    assert [c.out_features for c in loss_fn.classifiers] == [5, 3]
    assert stats["id_loss"] == pytest.approx((person + car).item() / 2, rel=1e-5)


def test_one_class_loss_states_of_older_checkpoints_load():
    from fairmot.training.losses import remap_loss_state
    old = {"classifier.weight": torch.zeros(5, 8), "classifier.bias": torch.zeros(5), "s_det": torch.zeros(1),
           "s_id": torch.zeros(1)}
    MotLoss(5, emb_dim=8).load_state_dict(remap_loss_state(old), strict=True)


# --loss-balance: fixed weights, adaptive weights holding every term at its target; lr schedules

def test_adaptive_balance_holds_every_term_at_its_target():
    torch.manual_seed(0)
    loss_fn = MotLoss(5, emb_dim=8, balance="adaptive")
    assert not hasattr(loss_fn, "s_det")   # no uncertainty parameters to train
    for seed in range(3):   # whatever the raw terms, the weighted ones are the targets
        total, stats = loss_fn(_outputs(2, seed=seed), _batch([3, 1]))
        for k in ("hm", "wh", "off", "id"):
            assert stats[f"w_{k}"] * stats[f"{k}_loss"] == pytest.approx(DEFAULT_TARGETS[k], rel=1e-6)
        assert total.item() == pytest.approx(sum(DEFAULT_TARGETS[k] for k in ("hm", "wh", "off", "id")), rel=1e-6)
        assert stats["loss"] == pytest.approx(total.item(), rel=1e-6)


def test_adaptive_gradient_is_the_target_times_the_gradient_of_the_log_of_each_term():
    outputs = {k: v.requires_grad_() for k, v in _outputs(2).items()}
    loss_fn = MotLoss(5, emb_dim=8, balance="adaptive", targets={"hm": 2.0, "wh": 0.5, "off": 0.25, "id": 1.0})
    total, stats = loss_fn(outputs, _batch([3, 1]))
    total.backward()
    got = outputs["hm"].grad.clone()
    # the same terms with log: d(target * log term) = target * d(term) / term
    outputs2 = {k: v.detach().clone().requires_grad_() for k, v in outputs.items()}
    fixed = MotLoss(5, emb_dim=8, balance="fixed")
    fixed.load_state_dict(loss_fn.state_dict())
    _, terms = fixed(outputs2, _batch([3, 1]))
    local = fixed._terms(outputs2, _batch([3, 1]))
    hm = local["hm"][0] / local["hm"][1]
    (2.0 * torch.log(hm)).backward()
    assert torch.allclose(got, outputs2["hm"].grad, rtol=1e-5, atol=1e-8)
    assert terms["hm_loss"] == pytest.approx(stats["hm_loss"])


def test_a_term_at_zero_gets_no_weight_rather_than_an_infinite_one():
    local = {"hm": torch.tensor(0.5, requires_grad=True), "kd_id": torch.tensor(0.0, requires_grad=True)}
    loss, value, extra = adaptive_combine(local, {"hm": 0.5, "kd_id": 0.0}, DEFAULT_TARGETS)
    assert extra == {"w_hm": pytest.approx(3.0), "w_kd_id": 0.0}
    assert math.isfinite(loss.item()) and value == pytest.approx(1.5)


def test_fixed_balance_is_the_weighted_sum():
    loss_fn = MotLoss(5, emb_dim=8, balance="fixed", weights={"hm": 2.0, "wh": 0.5, "off": 0.0, "id": 0.1})
    total, stats = loss_fn(_outputs(2), _batch([3, -1]))
    want = 2.0 * stats["hm_loss"] + 0.5 * stats["wh_loss"] + 0.1 * stats["id_loss"]
    assert total.item() == pytest.approx(want, rel=1e-6) and stats["loss"] == pytest.approx(want, rel=1e-6)


def test_uncertainty_balance_keeps_its_parameter_names_for_old_checkpoints():
    assert set(MotLoss(5, emb_dim=8).state_dict()) == {"classifiers.0.weight", "classifiers.0.bias", "s_det", "s_id"}


def test_learning_rate_schedules():
    step = TrainConfig(data="d", lr=1e-3, epochs=10, lr_steps=(6, 8))
    assert [lr_at(step, e) for e in (1, 6, 7, 9)] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-5])
    assert lr_at(step, 7, 0.9) == lr_at(step, 7)   # constant within an epoch
    cosine = TrainConfig(data="d", lr=1e-3, epochs=10, lr_schedule="cosine")
    assert lr_at(cosine, 1) == pytest.approx(1e-3)
    assert lr_at(cosine, 6) == pytest.approx(0.5e-3)            # half way
    assert lr_at(cosine, 10, 0.5) == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi * 0.95)))
    values = [lr_at(cosine, e, f) for e in range(1, 11) for f in (0.0, 0.5)]
    assert all(a > b for a, b in zip(values, values[1:]))      # falls every step
