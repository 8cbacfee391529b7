import json
import os
import subprocess
import sys

import pytest
import torch

from fairmot.trainer import TrainConfig, Trainer

TINY = dict(arch="resdcn_18_w32", head_conv=16, input_size=(128, 96), batch_size=4, lr=5e-4, lr_steps=(2,),
            num_workers=0, seed=3, max_steps_per_epoch=3)


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    subprocess.run([sys.executable, "-m", "fairmot", "synth", str(out), "--sequences", "3", "--frames", "24",
                    "--width", "256", "--height", "160", "--seed", "1"], check=True, capture_output=True)
    return str(out / "data.json")


def _train(data, output, **kw):
    cfg = TrainConfig(data=data, output=str(output), **{**TINY, **kw})
    return Trainer(cfg).fit()


def test_resume_after_an_interruption_is_bitwise_exact(synth_data, tmp_path):
    _train(synth_data, tmp_path / "straight", epochs=3)
    _train(synth_data, tmp_path / "interrupted", epochs=1)  # "crash" after epoch 1
    history = _train(synth_data, tmp_path / "interrupted", epochs=3, resume=True)
    assert [h["epoch"] for h in history] == [2, 3] and history[-1]["lr"] == pytest.approx(5e-5)
    a = torch.load(tmp_path / "straight" / "model_last.pth", weights_only=True)
    b = torch.load(tmp_path / "interrupted" / "model_last.pth", weights_only=True)
    assert a["epoch"] == b["epoch"] == 3
    for part in ("state_dict", "loss_state"):  # the network, the id classifier, s_det and s_id
        assert a[part].keys() == b[part].keys()
        for k in a[part]:
            assert torch.equal(a[part][k], b[part][k]), f"{part} {k} differs after resume"
    # the lr step epoch keeps its own checkpoint; the log has one line per epoch
    assert (tmp_path / "straight" / "model_2.pth").exists()
    log = [json.loads(line) for line in open(tmp_path / "interrupted" / "log.jsonl")]
    assert [r["epoch"] for r in log] == [1, 2, 3]


def test_training_reduces_the_loss_and_checkpoints_load_for_tracking(synth_data, tmp_path):
    history = _train(synth_data, tmp_path / "run", epochs=3, lr_steps=(), max_steps_per_epoch=6, lr=2e-3)
    assert history[-1]["loss"] < 0.9 * history[0]["loss"]
    assert history[-1]["hm_loss"] < history[0]["hm_loss"] and history[-1]["wh_loss"] < history[0]["wh_loss"]
    from fairmot.models import model_from_checkpoint
    model = model_from_checkpoint(str(tmp_path / "run" / "model_last.pth"))
    assert model.arch == "resdcn_18_w32" and model.heads["id"] == 128


def _steps(path):
    return [json.loads(line) for line in open(path)]


def test_two_process_ddp_follows_the_single_process_loss_curve(synth_data, tmp_path):
    common = ["train", "--data", synth_data, "--arch", "resdcn_18_w32", "--head-conv", "16",
              "--input-size", "128x96", "--batch-size", "4", "--epochs", "2", "--lr", "1e-4",
              "--num-workers", "0", "--seed", "3", "--max-steps-per-epoch", "10", "--log-steps", "--sync-bn"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "-m", "fairmot", *common, "--output", str(tmp_path / "one")],
                            capture_output=True, text=True, env=env)
    assert single.returncode == 0, single.stderr[-2000:]
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "fairmot", *common, "--output", str(tmp_path / "two")],
                         capture_output=True, text=True, env=env)
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    a, b = _steps(tmp_path / "one" / "steps.jsonl"), _steps(tmp_path / "two" / "steps.jsonl")
    assert len(a) == len(b) == 20
    terms = ("loss", "hm_loss", "wh_loss", "off_loss", "id_loss")
    # the same global batch gives the same loss (global normalisers, synchronised BatchNorm) ...
    for term in terms:
        assert b[0][term] == pytest.approx(a[0][term], rel=1e-6), term
    # ... and the same updates: float32 rounding differences only, which Adam amplifies on
    # gradients that are zero in exact arithmetic (scale-invariant BatchNorm weights)
    for i, (x, y) in enumerate(zip(a, b)):
        for term in ("loss", "id_loss"):
            tol = 1e-4 if i < 4 else 2e-2
            assert y[term] == pytest.approx(x[term], rel=tol), (x["epoch"], x["step"], term, x[term], y[term])


def test_train_cli_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fairmot", "train", "--data", str(tmp_path / "none.json"),
                           "--output", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "none.json" in proc.stderr


def test_load_model_with_other_heads_needs_reinit_heads(synth_data, tmp_path):
    from fairmot.errors import UserError
    from fairmot.models import create_model
    # a CenterNet-like checkpoint: 80-class heatmap, wh=2 and no identity head
    donor = create_model("resdcn_18_w32", {"hm": 80, "wh": 2, "reg": 2}, head_conv=16)
    path = tmp_path / "ctdet.pth"
    torch.save({"epoch": 140, "state_dict": donor.state_dict()}, path)
    with pytest.raises(UserError, match=r"hm\.2\.weight.*--reinit-heads"):
        Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "a"), **TINY, load_model=str(path)))
    trainer = Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "b"), **TINY, load_model=str(path),
                                  reinit_heads=True))
    # the backbone comes from the checkpoint, the mismatched heads start fresh
    assert torch.equal(trainer.model.layer1[0].conv1.weight, donor.layer1[0].conv1.weight)
    assert trainer.model.hm[2].weight.shape[0] == 1 and trainer.model.id[2].weight.shape[0] == 128
    # a different backbone is never papered over
    other = create_model("resdcn_18", head_conv=16)
    torch.save(other.state_dict(), path)
    with pytest.raises(UserError, match="layer1"):
        Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "c"), **TINY, load_model=str(path),
                            reinit_heads=True))
