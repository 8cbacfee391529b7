import pytest
import torch

from fairmot.errors import CheckpointMismatchError, UserError
from fairmot.models import (
    create_model,
    infer_model_config,
    load_model,
    load_state_dict_checked,
    model_from_checkpoint,
)


@pytest.fixture(scope="module")
def trained_like():
    """A resdcn_18 with every tensor randomised, so a load that skipped anything would show."""
    torch.manual_seed(0)
    model = create_model("resdcn_18").eval()
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) * 0.1 + 0.01)
    return model


def _outputs(model):
    with torch.no_grad():
        return model(torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(1)))


def test_strict_load_of_the_original_format(tmp_path, trained_like):
    # the original's layout: {'epoch', 'state_dict', 'optimizer'}; DataParallel adds 'module.'
    state = {"module." + k: v for k, v in trained_like.state_dict().items()}
    path = tmp_path / "model_30.pth"
    torch.save({"epoch": 30, "state_dict": state, "optimizer": {"state": {}, "param_groups": []}}, path)
    fresh = load_model(create_model("resdcn_18").eval(), str(path))
    want, got = _outputs(trained_like), _outputs(fresh)
    for k in want:
        assert torch.equal(want[k], got[k])


def test_bare_state_dict_and_model_from_checkpoint(tmp_path, trained_like):
    path = tmp_path / "bare.pth"
    torch.save(trained_like.state_dict(), path)
    model = model_from_checkpoint(str(path))
    assert model.arch == "resdcn_18" and model.heads == {"hm": 1, "wh": 4, "reg": 2, "id": 128}
    assert not model.training
    assert torch.equal(_outputs(model)["id"], _outputs(trained_like)["id"])


def test_mismatched_checkpoint_names_the_keys(tmp_path):
    old = create_model("resdcn_18", {"hm": 1, "wh": 2, "reg": 2, "id": 512})
    state = old.state_dict()
    del state["reg.0.bias"]
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "old.pth"
    torch.save({"epoch": 1, "state_dict": state}, path)
    with pytest.raises(CheckpointMismatchError) as info:
        load_model(create_model("resdcn_18"), str(path))
    msg = str(info.value)
    assert "wh.2.weight checkpoint (2, 256, 1, 1) vs model (4, 256, 1, 1)" in msg
    assert "id.2.weight" in msg and "reg.0.bias" in msg and "extra.weight" in msg
    # non-strict loads the rest and reports every key it left out
    model = create_model("resdcn_18")
    report = load_state_dict_checked(model, state, strict=False)
    assert report.missing == ["reg.0.bias"] and report.unexpected == ["extra.weight"]
    assert {k for k, _, _ in report.mismatched} == {"wh.2.weight", "wh.2.bias", "id.2.weight", "id.2.bias"}
    assert torch.equal(model.layer1[0].conv1.weight, state["layer1.0.conv1.weight"])


def test_heads_of_old_checkpoints_are_inferred():
    # the original all_dla34.pth: wh=2 (width/height boxes) and a 512-d identity head
    state = create_model("dla_34", {"hm": 1, "wh": 2, "reg": 2, "id": 512}).state_dict()
    assert infer_model_config(state) == ("dla_34", {"hm": 1, "wh": 2, "reg": 2, "id": 512}, 256)


def test_not_a_fairmot_checkpoint(tmp_path):
    bad = tmp_path / "notes.pth"
    bad.write_text("hello")
    good = tmp_path / "good.pth"
    torch.save({"state_dict": create_model("resdcn_18").state_dict()}, good)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[:good.stat().st_size // 2])
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    # in our words: never torch's advice to retry with weights_only=False (it would run the file's code)
    for path, reason in ((bad, "it is not a file written by torch.save"),
                         (cut, "the file is damaged or cut short (download or copy it again)"),
                         (empty, "the file is empty")):
        with pytest.raises(UserError) as refused:
            model_from_checkpoint(str(path))
        assert str(refused.value) == f"cannot read {str(path)!r} as a PyTorch checkpoint: {reason}"
    other = tmp_path / "other.pth"
    torch.save({"state_dict": {"fc.weight": torch.zeros(2, 2)}}, other)
    with pytest.raises(UserError, match="not a FairMOT network"):
        model_from_checkpoint(str(other))
    with pytest.raises(UserError, match="not found"):
        model_from_checkpoint(str(tmp_path / "missing.pth"))


def test_int8_weights_load_back_as_float32(tmp_path):
    """pack_weights.py --int8: one scale per row, read back by read_checkpoint; a file whose
    scales do not fit its weights is one line, not a broken network."""
    from fairmot.models.checkpoint import INT8_SCALES, quantize_int8, read_checkpoint

    model = create_model("resdcn_18")
    state = model.state_dict()
    name = "layer4.1.conv2.weight"
    q, scale = quantize_int8(state[name])
    rows = len(state[name])
    assert q.dtype == torch.int8 and scale.shape == (rows,)
    path = tmp_path / "int8.pth"
    torch.save({"state_dict": {**state, name: q}, INT8_SCALES: {name: scale}}, path)
    loaded, meta = read_checkpoint(str(path))
    assert INT8_SCALES not in meta and loaded[name].dtype == torch.float32
    error = (loaded[name] - state[name]).abs().reshape(rows, -1).max(dim=1).values
    assert torch.all(error <= scale / 2 + 1e-7)               # within half a step of each row
    torch.save({"state_dict": {**state, name: q}, INT8_SCALES: {name: scale[:10]}}, path)
    with pytest.raises(UserError, match="one scale per row; pack it again"):
        read_checkpoint(str(path))
