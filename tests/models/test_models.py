import os

import pytest
import torch

from fairmot.models import create_model, list_archs
from support.data import REFERENCE

REFERENCE_LAYOUT = os.path.join(REFERENCE, "fairmot_dla34_state_dict.txt")


def _reference_shapes():
    shapes = {}
    if not os.path.isfile(REFERENCE_LAYOUT):
        pytest.skip(f"{REFERENCE_LAYOUT} not found (../shared/reference is absent)")
    with open(REFERENCE_LAYOUT) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, shape = line.split(" ", 1)
            shapes[name] = tuple(int(v) for v in shape.strip().strip("()").split(",") if v.strip())
    return shapes


def test_dla34_parameters_match_the_released_checkpoint_layout():
    want = _reference_shapes()
    assert len(want) == 404
    got = {k: tuple(v.shape) for k, v in create_model("dla_34").state_dict().items()}
    assert got == want


@pytest.mark.parametrize("arch", ["dla_34", "resdcn_18"])
def test_outputs_are_raw_heads_at_stride_4(arch):
    model = create_model(arch).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 96, 160))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "hm": (1, 1, 24, 40), "wh": (1, 4, 24, 40), "reg": (1, 2, 24, 40), "id": (1, 128, 24, 40)}
    # hm is returned before the sigmoid; a fresh head starts at the focal-loss prior -2.19
    assert out["hm"].mean().item() == pytest.approx(-2.19, abs=0.05)


def test_custom_heads_and_unknown_arch():
    model = create_model("dla_34", {"hm": 1, "wh": 2, "reg": 2, "id": 512}, head_conv=256)
    assert model.wh[2].weight.shape[0] == 2 and model.id[2].weight.shape[0] == 512
    assert "resdcn_18" in list_archs()
    with pytest.raises(ValueError, match="unknown architecture"):
        create_model("dla_99")
