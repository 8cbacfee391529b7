"""Pretrained backbone files (ImageNet DLA-34 / ResNet / HRNetV2, COCO YOLOv5s) into our networks.

The files are written here in each source's own layout: the backbone's names without FairMOT's
heads, plus the classification layers each file carries (and, for YOLOv5s, ultralytics' pickled
model of classes that cannot be imported when it is read)."""
import sys

import pytest
import torch

from fairmot.errors import UserError
from fairmot.models import create_model
from fairmot.models.pretrained import identify, load_pretrained_backbone, read_pickled_model


def _marked(model, key, value=0.5):
    with torch.no_grad():
        model.state_dict()[key].fill_(value)
    return model


def test_imagenet_dla34_loads_into_the_base_strictly(tmp_path):
    donor = _marked(create_model("dla_34"), "base.level5.root.conv.weight")
    path = tmp_path / "dla34-ba72cf86.pth"   # the backbone's own names, no 'base.' prefix, with fc
    torch.save(donor.base.state_dict(), path)
    for arch in ("dla_34", "dlav0_34"):
        model = create_model(arch)
        assert "ImageNet DLA-34" in load_pretrained_backbone(model, str(path))
        assert torch.equal(model.base.level5.root.conv.weight, donor.base.level5.root.conv.weight)
    state = donor.base.state_dict()
    del state["level2.tree1.bn1.running_var"]
    torch.save(state, path)
    with pytest.raises(UserError, match="level2.tree1.bn1.running_var"):
        load_pretrained_backbone(create_model("dla_34"), str(path))


@pytest.mark.parametrize("arch", ["hrnet_18", "hrnet_32"])
def test_imagenet_hrnetv2_loads_the_stem_and_stages_and_leaves_its_classifier(arch, tmp_path):
    donor = _marked(create_model(arch), "stage4.2.fuse_layers.3.0.0.0.weight")
    state = {k: v for k, v in donor.state_dict().items() if k.split(".")[0] not in donor.heads}
    # hrnetv2_w*_imagenet_pretrained.pth also holds its classification head
    width = int(arch.split("_")[1])
    state.update({"incre_modules.0.0.conv1.weight": torch.zeros(32, width, 1, 1),
                  "final_layer.0.weight": torch.zeros(2048, 1024, 1, 1), "classifier.weight": torch.zeros(1000, 2048),
                  "classifier.bias": torch.zeros(1000)})
    path = tmp_path / f"hrnetv2_w{width}_imagenet_pretrained.pth"
    torch.save(state, path)
    model = create_model(arch)
    line = load_pretrained_backbone(model, str(path))
    assert "4 of its classification layers left out" in line
    assert torch.equal(model.stage4[2].fuse_layers[3][0][0][0].weight, donor.stage4[2].fuse_layers[3][0][0][0].weight)
    other = "hrnet_32" if arch == "hrnet_18" else "hrnet_18"
    with pytest.raises(UserError, match="shape mismatch"):
        load_pretrained_backbone(create_model(other), str(path))
    with pytest.raises(UserError, match="start hrnet_18, hrnet_32, not yolov5s"):
        load_pretrained_backbone(create_model("yolov5s"), str(path))


def test_imagenet_resnet_loads_into_resdcn_and_resfpndcn(tmp_path):
    donor = _marked(create_model("resdcn_18"), "layer4.1.conv2.weight")
    state = {k: v for k, v in donor.state_dict().items() if k.split(".")[0] in ("conv1", "bn1", "layer1", "layer2",
                                                                                 "layer3", "layer4")}
    state.update({"fc.weight": torch.zeros(1000, 512), "fc.bias": torch.zeros(1000)})   # torchvision's resnet18
    path = tmp_path / "resnet18-5c106cde.pth"
    torch.save(state, path)
    assert identify(state) == "imagenet_resnet"
    for arch in ("resdcn_18", "resfpndcn_18"):
        model = create_model(arch)
        load_pretrained_backbone(model, str(path))
        assert torch.equal(model.layer4[1].conv2.weight, donor.layer4[1].conv2.weight)
    with pytest.raises(UserError, match="does not fit resdcn_34"):
        load_pretrained_backbone(create_model("resdcn_34"), str(path))


YOLO_MODULE = '''
import torch.nn as nn
from fairmot.models.yolov5 import YOLOv5Backbone, Conv


class Model(nn.Module):   # ultralytics' yolov5s: layers 0-23, the last ones (18-23) its own
    def __init__(self):
        super().__init__()
        self.model = YOLOv5Backbone().model
        self.model[18] = Conv(128, 128, 3, 2)       # yolov5s: a downsampling conv where FairMOT upsamples
        self.model.append(nn.Conv2d(128, 255, 1))    # stand-in for its Detect layer
'''


def test_ultralytics_yolov5s_pt_loads_without_its_code(tmp_path, monkeypatch):
    (tmp_path / "ultralytics_like").mkdir()
    (tmp_path / "ultralytics_like" / "__init__.py").write_text("")
    (tmp_path / "ultralytics_like" / "yolo.py").write_text(YOLO_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    from ultralytics_like.yolo import Model
    donor = Model()
    with torch.no_grad():
        donor.model[4].m[2].cv2.conv.weight.fill_(0.25)
    path = tmp_path / "yolov5s.pt"
    torch.save({"epoch": -1, "model": donor.half(), "optimizer": None}, path)   # as ultralytics saves it
    monkeypatch.delitem(sys.modules, "ultralytics_like.yolo")
    monkeypatch.delitem(sys.modules, "ultralytics_like")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path)])

    state = read_pickled_model(path)
    assert "ultralytics_like" not in sys.modules          # its classes were never imported
    assert state["model.4.m.2.cv2.conv.weight"].dtype == torch.float32
    assert identify(state) == "coco_yolov5"
    model = create_model("yolov5s")
    line = load_pretrained_backbone(model, str(path))
    assert "layers 0-21" in line and f"of its {len(state)} tensors" in line
    assert torch.all(model.backbone.model[4].m[2].cv2.conv.weight == 0.25)
    # layer 18 differs in shape (FairMOT's neck) and keeps its own weights
    assert model.backbone.model[18].conv.weight.shape == (64, 128, 1, 1)


def test_files_that_are_no_backbone_are_refused(tmp_path):
    path = tmp_path / "fairmot.pth"
    torch.save({"state_dict": create_model("resdcn_18").state_dict()}, path)
    with pytest.raises(UserError, match="not a pretrained backbone"):
        load_pretrained_backbone(create_model("resdcn_18"), str(path))
    pickled = tmp_path / "pickled.pth"   # Python objects but no network: refused as a checkpoint is
    torch.save({"state_dict": {}, "extra": ValueError("any Python object")}, pickled)
    with pytest.raises(UserError, match="could run code"):
        load_pretrained_backbone(create_model("yolov5s"), str(pickled))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="not a file written by torch.save"):
        load_pretrained_backbone(create_model("yolov5s"), str(junk))
