import json
import os
import subprocess
import sys

import pytest
import torch

from fairmot.training.config import TrainConfig
from fairmot.training.trainer import Trainer
from support.cli import assert_one_line_error, run_main
from support.data import REPO

TINY = dict(arch="resdcn_18_w32", head_conv=16, input_size=(128, 96), batch_size=4, lr=5e-4, lr_steps=(2,),
            num_workers=0, seed=3, max_steps_per_epoch=3)


def _train(data, output, **kw):
    cfg = TrainConfig(data=data, output=str(output), **{**TINY, **kw})
    return Trainer(cfg).fit()


@pytest.mark.slow
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
    # the chart of the whole run, resumed epochs included, redrawn after every epoch
    import cv2
    chart = cv2.imread(str(tmp_path / "interrupted" / "curves.png"))
    assert chart is not None and chart.shape[0] > 200 and chart.std() > 10


@pytest.mark.slow
def test_sgd_runs_resume_exactly_and_never_as_adam(synth_data, tmp_path):
    kw = dict(optimizer="sgd", lr=1e-2, lr_steps=(), max_steps_per_epoch=2)
    _train(synth_data, tmp_path / "straight", epochs=2, **kw)
    _train(synth_data, tmp_path / "interrupted", epochs=1, **kw)
    _train(synth_data, tmp_path / "interrupted", epochs=2, resume=True, **kw)
    a = torch.load(tmp_path / "straight" / "model_last.pth", weights_only=False)
    b = torch.load(tmp_path / "interrupted" / "model_last.pth", weights_only=False)
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), f"{k} differs after resume"
    # momentum and weight decay as centerX's SGD; s_det / s_id (second group) are not decayed
    groups = a["optimizer"]["param_groups"]
    assert [(g["momentum"], g["weight_decay"]) for g in groups] == [(0.9, 1e-4), (0.9, 0.0)]
    assert a["config"]["optimizer"] == "sgd"
    done = run_main("train", "--data", synth_data, "--output", tmp_path / "straight", "--resume",
                    "--arch", "resdcn_18_w32", "--head-conv", "16", "--input-size", "128x96", "--batch-size", "4",
                    "--epochs", "3", "--num-workers", "0")
    assert_one_line_error(done, "--optimizer sgd", "resume with the same --optimizer", command="train")


@pytest.mark.slow
def test_training_reduces_the_loss_and_checkpoints_load_for_tracking(synth_data, tmp_path):
    history = _train(synth_data, tmp_path / "run", epochs=3, lr_steps=(), max_steps_per_epoch=6, lr=2e-3)
    assert history[-1]["loss"] < 0.9 * history[0]["loss"]
    assert history[-1]["hm_loss"] < history[0]["hm_loss"] and history[-1]["wh_loss"] < history[0]["wh_loss"]
    from fairmot.models import model_from_checkpoint
    model = model_from_checkpoint(str(tmp_path / "run" / "model_last.pth"))
    assert model.arch == "resdcn_18_w32" and model.heads["id"] == 128


CHECK_DDP = os.path.join(REPO, "scripts", "check_ddp.py")


@pytest.mark.slow
def test_two_process_ddp_follows_the_single_process_loss_curve(synth_data, tmp_path):
    # float64, so that the comparison shows the arithmetic, not rounding: in float32 Adam turns
    # rounding-level gradient differences into full steps and two one-process runs with different
    # thread counts already drift 1e-2 apart in 20 steps (scripts/check_ddp.py --threads-control)
    out = tmp_path / "ddp.json"
    done = subprocess.run([sys.executable, CHECK_DDP, "--data", synth_data, "--float64", "--lr", "1e-4",
                           "--steps", "20", "--json", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.load(open(out))
    one, two = result["curves"]["one process"], result["curves"]["2 processes"]
    assert len(one) == len(two) == 20
    assert one[-1]["loss"] < 0.9 * one[0]["loss"]  # the curve moves: the runs really train
    # the same global batch (global normalisers, synchronised BatchNorm, averaged gradients)
    # gives the same loss terms at every step
    assert max(result["relative_differences"]["2 processes"]) < 1e-9


def test_a_new_run_never_writes_into_an_earlier_one(synth_data, tmp_path):
    run = tmp_path / "run"
    _train(synth_data, str(run), epochs=1)
    before = {name: (run / name).read_bytes() for name in ("model_last.pth", "log.jsonl")}
    proc = run_main("train", "--data", synth_data, "--output", run, "--arch", "resdcn_18_w32")
    assert_one_line_error(proc, "already holds a training run (model_last.pth, log.jsonl)", "--resume",
                          command="train")
    assert {name: (run / name).read_bytes() for name in before} == before
    (tmp_path / "file").write_text("x")
    assert_one_line_error(run_main("train", "--data", synth_data, "--output", tmp_path / "file"),
                          "is a file, not a folder", command="train")


def test_train_cli_errors_are_one_line(tmp_path):
    proc = run_main("train", "--data", tmp_path / "none.json", "--output", tmp_path / "o")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "none.json" in proc.stderr
    proc = run_main("train", "--data", tmp_path / "none.json", "--output", tmp_path / "o", "--scale-range", "1.2,0.5")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "--scale-range" in proc.stderr


def test_load_model_with_other_heads_needs_reinit_heads(synth_data, tmp_path):
    from fairmot.errors import UserError
    from fairmot.models import create_model
    # a CenterNet-like checkpoint: 80-class (COCO) heatmap, wh=2 and no identity head
    donor = create_model("resdcn_18_w32", {"hm": 80, "wh": 2, "reg": 2}, head_conv=16)
    path = tmp_path / "ctdet.pth"
    torch.save({"epoch": 140, "state_dict": donor.state_dict()}, path)
    with pytest.raises(UserError, match=r"wh\.2\.weight.*--reinit-heads"):
        Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "a"), **TINY, load_model=str(path)))
    trainer = Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "b"), **TINY, load_model=str(path),
                                  reinit_heads=True))
    # the backbone comes from the checkpoint, COCO's person heatmap row (its first) becomes the
    # model's, the mismatched heads start fresh
    assert torch.equal(trainer.model.layer1[0].conv1.weight, donor.layer1[0].conv1.weight)
    assert torch.equal(trainer.model.hm[2].weight, donor.hm[2].weight[:1])
    assert trainer.model.id[2].weight.shape[0] == 128
    # a different backbone is never papered over
    other = create_model("resdcn_18", head_conv=16)
    torch.save(other.state_dict(), path)
    with pytest.raises(UserError, match="layer1"):
        Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "c"), **TINY, load_model=str(path),
                            reinit_heads=True))


def test_load_model_carries_heatmap_channels_over_by_class_name(tmp_path, capsys):
    """Fine-tuning FairMOT's one-class model into person + car: the person channel is the
    checkpoint's, the car channel starts as a new one; every other weight loads as it is."""
    from fairmot.datasets.synthetic import SynthConfig, write_synthetic_dataset
    from fairmot.models import model_from_checkpoint
    from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH
    config = SynthConfig(width=256, height=160, frames=6, classes=("person", "car"))
    write_synthetic_dataset(str(tmp_path / "data"), sequences=2, seed=2, val_sequences=0, config=config)
    donor = model_from_checkpoint(DEMO_RESDCN18W32_SYNTH.path)
    trainer = Trainer(TrainConfig(data=str(tmp_path / "data" / "data.json"), output=str(tmp_path / "run"),
                                  **{**TINY, "head_conv": 64}, load_model=DEMO_RESDCN18W32_SYNTH.path))
    hm, donor_hm = trainer.model.hm[2], donor.hm[2]
    assert trainer.classes.names == ("person", "car") and hm.weight.shape[0] == 2
    assert torch.equal(hm.weight[0], donor_hm.weight[0]) and torch.equal(hm.bias[0], donor_hm.bias[0])
    assert not torch.equal(hm.weight[1], donor_hm.weight[0])
    assert hm.bias[1].item() == pytest.approx(-2.19)                     # CenterNet's prior for a new class
    assert torch.equal(trainer.model.wh[2].weight, donor.wh[2].weight)   # the rest as it was
    assert "heatmap channels by class name: person carried over, car new" in capsys.readouterr().out


@pytest.mark.parametrize("arch", ["yolov5s", "hourglass_104"])
def test_every_architecture_trains_a_step_and_resumes_into_the_same_checkpoint_format(arch, synth_data, tmp_path):
    """The newest architectures through the trainer: yolov5s from a COCO YOLOv5s state dict (its
    pretrained start), hourglass_104 supervising both stacks; the checkpoint loads as its own arch."""
    from fairmot.models import create_model, model_from_checkpoint
    load = None
    if arch == "yolov5s":   # ultralytics' layer names, as a yolov5s state dict file holds them
        donor = create_model("yolov5s")
        load = tmp_path / "yolov5s_coco.pth"
        torch.save({k[len("backbone."):]: v for k, v in donor.state_dict().items() if k.startswith("backbone.")}, load)
    cfg = dict(TINY, arch=arch, head_conv=None, max_steps_per_epoch=1, batch_size=2, epochs=1,
               input_size=(128, 128), load_model=str(load) if load else None)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    trainer = Trainer(TrainConfig(data=synth_data, output=str(tmp_path / "run"), **cfg))
    if load:
        assert torch.equal(trainer.model.backbone.model[9].cv3.conv.weight, donor.backbone.model[9].cv3.conv.weight)
    trainer.fit()
    model = model_from_checkpoint(str(tmp_path / "run" / "model_last.pth"))
    # head and embedding sizes default to the original's for the architecture
    assert model.arch == arch and (model.head_conv, model.heads["id"]) == {"yolov5s": (64, 64)}.get(arch, (256, 128))
