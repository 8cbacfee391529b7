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
                                           ("yolov5s", 334), ("hourglass_104", 992)])
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


@pytest.fixture(scope="module")
def hourglass():
    from fairmot.models.random_init import randomize_
    model = create_model("hourglass_104").eval()
    randomize_(model, torch.Generator().manual_seed(0), offset_scale=1.0)
    return model


def test_hourglass_pads_to_multiples_of_128_and_gives_both_stacks_in_training(hourglass):
    """CenterNet's hourglass halves the resolution five times after its stride-4 stem: other sizes are
    padded at the right and bottom, and the maps cut back to the input's quarter."""
    x = torch.rand(1, 3, 256, 384, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = hourglass(x)
        cut = hourglass(x[..., :224, :320])   # 224x320: padded to 256x384 inside
        padded = hourglass(torch.nn.functional.pad(x[..., :224, :320], (0, 64, 0, 32)))
    assert cut["hm"].shape == (1, 1, 56, 80) and padded["hm"].shape == (1, 1, 64, 96)
    assert all(torch.equal(cut[k], padded[k][..., :56, :80]) for k in cut)
    hourglass.train()
    for m in hourglass.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()
    with torch.no_grad():
        stacked = hourglass(x)
    hourglass.eval()
    assert len(stacked["stacks"]) == 1 and torch.equal(stacked["hm"], whole["hm"])
    assert not torch.equal(stacked["stacks"][0]["hm"], whole["hm"])


def test_centernet_hourglass_checkpoints_are_recognised_with_or_without_reid(hourglass):
    from fairmot.datasets.classes import ClassTable
    from fairmot.models import infer_model_config
    state = {f"module.{k}": v for k, v in hourglass.state_dict().items()}   # as CenterNet saves it
    from fairmot.models.checkpoint import _strip_prefix
    assert infer_model_config(_strip_prefix(state)) == ("hourglass_104", DEFAULT_HEADS, 256)
    # ctdet_coco_hg.pth: COCO's 80 classes, wh=2, no id head
    ctdet = create_model("hourglass_104", {"hm": 80, "wh": 2, "reg": 2})
    arch, heads, head_conv = infer_model_config(ctdet.state_dict())
    assert (arch, heads, head_conv) == ("hourglass_104", {"hm": 80, "wh": 2, "reg": 2}, 256)
    create_model(arch, heads, head_conv).load_state_dict(ctdet.state_dict(), strict=True)
    assert ClassTable.from_record(None, 80).names[:3] == ("person", "bicycle", "car")


def test_custom_heads_and_unknown_arch():
    model = create_model("dla_34", {"hm": 1, "wh": 2, "reg": 2, "id": 512}, head_conv=256)
    assert model.wh[2].weight.shape[0] == 2 and model.id[2].weight.shape[0] == 512
    assert "resdcn_18" in list_archs()
    with pytest.raises(ValueError, match="unknown architecture"):
        create_model("dla_99")


@pytest.mark.parametrize("arch", ["hourglass_104", "yolov5s", "dlaconv_34"])
def test_random_detector_like_networks_of_any_architecture_find_a_few_confident_peaks(arch, shared_data):
    """fairmot random-model: a few to tens of peaks above 0.4 on a real frame, for the
    architectures whose features the generic head scaling fits badly (stacked heads included)."""
    import cv2

    from fairmot.inference.decoding import heatmap_peaks
    from fairmot.models.random_init import detector_like_model
    frame = cv2.resize(cv2.imread(os.path.join(shared_data, "PETS09-S2L1", "img1", "000001.jpg")), (320, 192))
    x = torch.from_numpy(frame[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        peaks = heatmap_peaks(torch.sigmoid(detector_like_model(arch)(x)["hm"]))
    assert 3 <= int((peaks > 0.4).sum()) <= 80
