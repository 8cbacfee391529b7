import os

import pytest
import torch

from fairmot.models import DEFAULT_HEADS, create_model, list_archs
from support.data import REFERENCE

REFERENCE_LAYOUT = os.path.join(REFERENCE, "fairmot_dla34_state_dict.txt")
# written from the original code (scripts/check_model_fidelity.py's build_original), names and shapes only
ORIGINAL_LAYOUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layouts")


def _reference_shapes(path=REFERENCE_LAYOUT):
    shapes = {}
    if not os.path.isfile(path):
        pytest.skip(f"{path} not found (../shared/reference is absent)")
    with open(path) as f:
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


# dlaconv_34: dla_34's 404 less the 16 deformable layers' offset convolutions and biases
@pytest.mark.parametrize("arch, entries", [("dlaconv_34", 356), ("dlav0_34", 330), ("resfpndcn_18", 235),
                                           ("resfpndcn_34", 331), ("hrnet_18", 1846), ("hrnet_32", 1846),
                                           ("yolov5s", 334)])
def test_parameters_match_the_originals_layout(arch, entries):
    want = _reference_shapes(os.path.join(ORIGINAL_LAYOUTS, f"{arch}_state_dict.txt"))
    assert len(want) == entries
    got = {k: tuple(v.shape) for k, v in create_model(arch).state_dict().items()}
    assert got == want


@pytest.mark.parametrize("arch", ["dlaconv_34", "dlav0_34", "resfpndcn_18", "resfpndcn_34", "hrnet_18", "hrnet_32",
                                  "yolov5s"])
def test_an_original_format_checkpoint_loads_strictly_as_its_architecture(arch, tmp_path):
    from fairmot.models import model_from_checkpoint
    from fairmot.models.random_init import randomize_
    source = create_model(arch).eval()
    randomize_(source, torch.Generator().manual_seed(0), offset_scale=1.0)
    path = tmp_path / f"{arch}.pth"   # as the original saves it (DataParallel prefix included)
    torch.save({"epoch": 30, "state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    model = model_from_checkpoint(str(path))
    assert model.arch == arch
    assert any(type(m).__name__ == "DCN" for m in model.modules()) == arch.startswith("resfpndcn")
    x = torch.rand(1, 3, 96, 160, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got, want = model(x), source(x)
    assert all(torch.equal(got[k], want[k]) for k in want)


@pytest.mark.parametrize("arch", ["dla_34", "dlaconv_34", "dlav0_34", "resdcn_18", "resfpndcn_18", "hrnet_18",
                                  "yolov5s"])
def test_outputs_are_raw_heads_at_stride_4(arch):
    model = create_model(arch, DEFAULT_HEADS).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 96, 160))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "hm": (1, 1, 24, 40), "wh": (1, 4, 24, 40), "reg": (1, 2, 24, 40), "id": (1, 128, 24, 40)}
    # hm is returned before the sigmoid; a fresh head starts at the focal-loss prior -2.19
    assert out["hm"].mean().item() == pytest.approx(-2.19, abs=0.05)


def test_architectures_default_to_the_originals_head_and_embedding_sizes():
    from fairmot.models.registry import arch_defaults
    yolo = create_model("yolov5s")   # FairMOT's light model: 64-wide heads, 64-d embeddings
    assert (yolo.head_conv, yolo.heads["id"]) == (64, 64) == tuple(arch_defaults("yolov5s").values())
    assert isinstance(yolo.hm[1], torch.nn.SiLU)
    assert all(m.eps == 1e-3 for m in yolo.modules() if isinstance(m, torch.nn.BatchNorm2d))
    hrnet = create_model("hrnet_18")
    assert (hrnet.head_conv, hrnet.heads["id"], hrnet.hm[0].in_channels) == (256, 128, 18 + 36 + 72 + 144)
    assert create_model("hrnet_32").hm[0].in_channels == 32 + 64 + 128 + 256


def test_custom_heads_and_unknown_arch():
    model = create_model("dla_34", {"hm": 1, "wh": 2, "reg": 2, "id": 512}, head_conv=256)
    assert model.wh[2].weight.shape[0] == 2 and model.id[2].weight.shape[0] == 512
    assert "resdcn_18" in list_archs()
    with pytest.raises(ValueError, match="unknown architecture"):
        create_model("dla_99")
