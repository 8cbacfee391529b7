"""--loss-balance: fixed weights, adaptive weights holding every term at its target, and the
learning-rate schedules."""
import math

import pytest
import torch

from fairmot.training.config import TrainConfig, lr_at
from fairmot.training.loss_balance import DEFAULT_TARGETS, adaptive_combine
from fairmot.training.losses import MotLoss


def _batch(ids):
    n = len(ids)
    hm = torch.zeros(n, 1, 4, 4)
    hm[:, 0, 1, 1] = 1.0
    return {"hm": hm, "wh": torch.ones(n, 2, 4), "reg": torch.full((n, 2, 2), 0.5),
            "ind": torch.tensor([[5, 0]] * n), "reg_mask": torch.tensor([[1, 0]] * n, dtype=torch.uint8),
            "ids": torch.tensor([[i, -1] for i in ids])}


def _outputs(n, emb_dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(n, c, 4, 4, generator=g).requires_grad_()
            for k, c in (("hm", 1), ("wh", 4), ("reg", 2), ("id", emb_dim))}


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
    outputs = _outputs(2)
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
