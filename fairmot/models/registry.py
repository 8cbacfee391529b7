"""Architecture registry: ``create_model(arch, heads, head_conv)``."""
from typing import Dict, List, Optional

import torch.nn as nn

from .dla import DLASeg
from .dlav0 import DLASegV0
from .hourglass import HourglassNet
from .hrnet import PoseHighResolutionNet
from .resnet_dcn import ResNetDCN
from .resnet_fpn_dcn import ResNetFPNDCN
from .yolov5 import PoseYOLOv5s

DEFAULT_HEADS = {"hm": 1, "wh": 4, "reg": 2, "id": 128}

_ARCHS = {
    "dla_34": lambda heads, head_conv: DLASeg(heads, head_conv=head_conv),
    # FairMOT's dlaconv: dla_34 with plain 3x3 convolutions in place of the deformable ones
    "dlaconv_34": lambda heads, head_conv: DLASeg(heads, head_conv=head_conv, deformable=False),
    # FairMOT's dlav0: the same backbone with CenterNet's first upsampling (1x1 projections, concat nodes)
    "dlav0_34": lambda heads, head_conv: DLASegV0(heads, head_conv=head_conv),
    "resdcn_18": lambda heads, head_conv: ResNetDCN([2, 2, 2, 2], heads, head_conv=head_conv),
    "resdcn_34": lambda heads, head_conv: ResNetDCN([3, 4, 6, 3], heads, head_conv=head_conv),
    # FairMOT's resfpndcn: the same ResNets with a deformable feature pyramid
    "resfpndcn_18": lambda heads, head_conv: ResNetFPNDCN([2, 2, 2, 2], heads, head_conv=head_conv),
    "resfpndcn_34": lambda heads, head_conv: ResNetFPNDCN([3, 4, 6, 3], heads, head_conv=head_conv),
    # slim: half the channels of resdcn_18 (3.6M parameters with head_conv 64): the demo model
    "resdcn_18_w32": lambda heads, head_conv: ResNetDCN([2, 2, 2, 2], heads, head_conv=head_conv, width=32),
    # the CPU student (fairmot distill): a quarter of resdcn_18's width, head_conv 32: 2.3x faster than resdcn_18_w32
    "resdcn_18_w16": lambda heads, head_conv: ResNetDCN([2, 2, 2, 2], heads, head_conv=head_conv, width=16),
    # HRNetV2 W18 / W32: four resolutions side by side, no deformable convolution
    "hrnet_18": lambda heads, head_conv: PoseHighResolutionNet(18, heads, head_conv=head_conv),
    "hrnet_32": lambda heads, head_conv: PoseHighResolutionNet(32, heads, head_conv=head_conv),
    # CenterNet's large hourglass: two stacks, the accurate end of the family (head_conv 256 fixed)
    "hourglass_104": lambda heads, head_conv: HourglassNet(heads, head_conv=head_conv),
    # FairMOT's light model (its "yolo" arch): YOLOv5s backbone, no deformable convolution
    "yolov5s": lambda heads, head_conv: PoseYOLOv5s(heads, head_conv=head_conv),
}

# (head_conv, re-ID dimension) an architecture is built with when not given: FairMOT's choices
_DEFAULTS = {"yolov5s": (64, 64), "resdcn_18_w16": (32, 128)}
_DEFAULT = (256, 128)


def arch_defaults(arch: str) -> Dict[str, int]:
    """``{"head_conv", "reid_dim"}`` the original builds (and released) ``arch`` with."""
    head_conv, reid_dim = _DEFAULTS.get(arch, _DEFAULT)
    return {"head_conv": head_conv, "reid_dim": reid_dim}


def list_archs() -> List[str]:
    return sorted(_ARCHS)


def create_model(arch: str = "dla_34", heads: Optional[Dict[str, int]] = None,
                 head_conv: Optional[int] = None) -> nn.Module:
    """Build a FairMOT network.

    ``model(x)`` on an (N, 3, H, W) float tensor (RGB / 255, H and W multiples of 32) returns the
    raw head outputs at stride 4 as a dict ``{"hm", "wh", "reg", "id"}`` (hm before sigmoid, one
    channel per class). ``model.class_table`` names the classes (person for one; set it to the
    trained ones, as :func:`~fairmot.models.checkpoint.model_from_checkpoint` does). ``heads`` and
    ``head_conv`` default to the original's for ``arch`` (:func:`arch_defaults`).
    """
    if arch not in _ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(list_archs())}")
    defaults = arch_defaults(arch)
    head_conv = defaults["head_conv"] if head_conv is None else head_conv
    heads = dict(DEFAULT_HEADS, id=defaults["reid_dim"]) if heads is None else dict(heads)
    model = _ARCHS[arch](heads, head_conv)
    model.arch = arch
    model.head_conv = head_conv
    model.class_table = model_classes(model)
    return model


def model_classes(model: nn.Module):
    """The :class:`~fairmot.datasets.classes.ClassTable` of a network: the one it carries
    (``model.class_table``), else one per heatmap channel (person for FairMOT's one)."""
    from fairmot.datasets.classes import ClassTable
    return getattr(model, "class_table", None) or ClassTable.from_record(None, model.heads.get("hm", 1))
