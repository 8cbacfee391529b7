"""Pretrained backbones to start training from: the files each of the original's architectures
starts from, recognised by their keys and loaded into the backbone of our network.

- ImageNet DLA-34 (``dla34-ba72cf86.pth``) into ``base`` of dla_34 / dlaconv_34 / dlav0_34;
- ImageNet ResNet-18/34 (torchvision's ``resnet18-*.pth`` / ``resnet34-*.pth``) into the stages
  of resdcn_* / resfpndcn_*;
- ImageNet HRNetV2 (``hrnetv2_w18_imagenet_pretrained.pth``, ``..._w32_...``) into the stem and
  stages of hrnet_18 / hrnet_32 (its classification layers are left out, as the original does);
- COCO YOLOv5s (ultralytics' ``yolov5s.pt``, or its state dict) into yolov5s: every layer whose
  name and shape match, as the original does (layers 0-17; the neck's last layers differ).

``yolov5s.pt`` is a pickled ultralytics model: it is read without ultralytics' code and without
running any of its own (only tensors are rebuilt; every other object becomes an inert record).
"""
import logging
import os
import pickle
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from ..errors import UserError
from .checkpoint import PathLike, compare_state_dicts, read_checkpoint

logger = logging.getLogger(__name__)

HRNET_BACKBONE = ("conv1", "bn1", "conv2", "bn2", "layer1", "transition1", "stage2", "transition2", "stage3",
                  "transition3", "stage4")
RESNET_BACKBONE = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")
YOLOV5_BACKBONE_LAYERS = 10   # layers 0-9 of yolov5s.yaml: the part that must load


def identify(state_dict: Dict[str, torch.Tensor]) -> str:
    """The kind of pretrained backbone file a state dict is, or "" when it is none of them."""
    if any(k.startswith("hm.") for k in state_dict) or "backbone.model.0.conv.conv.weight" in state_dict:
        return ""   # a FairMOT / CenterNet network, not a backbone
    if "base_layer.0.weight" in state_dict and "level5.root.conv.weight" in state_dict:
        return "imagenet_dla34"
    if "transition1.0.0.weight" in state_dict and "stage4.0.branches.0.0.conv1.weight" in state_dict:
        return "imagenet_hrnetv2"
    if "model.0.conv.conv.weight" in state_dict and "model.9.cv1.conv.weight" in state_dict:
        return "coco_yolov5"
    if "layer4.0.conv1.weight" in state_dict and "fc.weight" in state_dict:
        return "imagenet_resnet"
    return ""


KINDS = {"imagenet_dla34": ("dla_34", "dlaconv_34", "dlav0_34"), "imagenet_hrnetv2": ("hrnet_18", "hrnet_32"),
         "coco_yolov5": ("yolov5s",),
         "imagenet_resnet": ("resdcn_18", "resdcn_34", "resfpndcn_18", "resfpndcn_34")}
NAMES = {"imagenet_dla34": "ImageNet DLA-34", "imagenet_hrnetv2": "ImageNet HRNetV2",
         "coco_yolov5": "COCO YOLOv5s", "imagenet_resnet": "ImageNet ResNet"}


def read_pretrained(path: PathLike) -> Tuple[Dict[str, torch.Tensor], dict, str]:
    """``(state_dict, meta, kind)`` of a checkpoint or pretrained backbone file, read once; kind ""
    when it is no pretrained backbone (meta as :func:`read_checkpoint` gives it)."""
    try:
        state_dict, meta = read_checkpoint(path)
    except UserError as err:
        if "not a plain checkpoint" not in str(err):
            raise
        try:
            state_dict, meta = read_pickled_model(path), {}   # ultralytics' yolov5s.pt: a pickled model
        except UserError:
            raise err from None   # no network in it: the reason it is not loaded as a checkpoint
    return state_dict, meta, identify(state_dict)


def load_pretrained_backbone(model: torch.nn.Module, path: PathLike) -> str:
    """Load the pretrained backbone file ``path`` into ``model``'s backbone; returns a line saying
    what was loaded. UserError when the file is no known backbone or not ``model``'s."""
    state_dict, _, kind = read_pretrained(path)
    return load_backbone_state(model, state_dict, kind, path)


def load_backbone_state(model: torch.nn.Module, state_dict: Dict[str, torch.Tensor], kind: str,
                        path: PathLike) -> str:
    """:func:`load_pretrained_backbone` for a file already read by :func:`read_pretrained`."""
    arch = getattr(model, "arch", "?")
    if not kind:
        raise UserError(f"{path!r} is not a pretrained backbone file this project knows (ImageNet DLA-34, "
                        "ResNet or HRNetV2, COCO YOLOv5s)")
    if arch not in KINDS[kind]:
        raise UserError(f"{path!r} holds {NAMES[kind]} weights, which start {', '.join(KINDS[kind])}, "
                        f"not {arch}")
    if kind == "coco_yolov5":
        return _load_yolov5(model, state_dict, path)
    if kind == "imagenet_dla34":
        return _load_prefixes(model, {f"base.{k}": v for k, v in state_dict.items()}, ("base",), kind, path)
    prefixes = HRNET_BACKBONE if kind == "imagenet_hrnetv2" else RESNET_BACKBONE
    return _load_prefixes(model, state_dict, prefixes, kind, path)


def _under(key, prefixes):
    return key.split(".", 1)[0] in prefixes


def _load_prefixes(model, state_dict, prefixes, kind, path):
    """Every model tensor under ``prefixes`` from the file, exactly (names and shapes); the file's
    other tensors (classifiers) are left out."""
    own = {k: v for k, v in model.state_dict().items() if _under(k, prefixes)}
    wanted = {k: v for k, v in state_dict.items() if _under(k, prefixes)}
    report = compare_state_dicts(own, wanted)
    if not report.exact:
        raise UserError(f"{path!r} ({NAMES[kind]}) does not fit {model.arch}'s backbone: {report.summary()}")
    model.load_state_dict(wanted, strict=False)
    skipped = len(state_dict) - len(wanted)
    return (f"initialised the {model.arch} backbone from {NAMES[kind]} weights {path} ({len(wanted)} tensors"
            + (f"; {skipped} of its classification layers left out)" if skipped else ")"))


def _load_yolov5(model, state_dict, path):
    own = model.state_dict()
    renamed = {f"backbone.{k}": v.float() for k, v in state_dict.items()}
    usable = {k: v for k, v in renamed.items() if k in own and own[k].shape == v.shape}
    backbone = [k for k in own if k.startswith("backbone.model.")
                and int(k.split(".")[2]) < YOLOV5_BACKBONE_LAYERS]
    missing = [k for k in backbone if k not in usable]
    if missing:
        raise UserError(f"{path!r} (COCO YOLOv5s) does not fit yolov5s's backbone: {len(missing)} of its "
                        f"tensors are missing or of another shape, e.g. {missing[0]}")
    model.load_state_dict(usable, strict=False)
    layers = sorted({int(k.split(".")[2]) for k in usable})
    return (f"initialised yolov5s from COCO YOLOv5s weights {path}: {len(usable)} of its {len(state_dict)} "
            f"tensors (layers {layers[0]}-{layers[-1]}; the rest differs from FairMOT's neck)")


# ----- reading a pickled ultralytics model without its code ---------------------------------

class _Inert:
    """Stands for any object of the pickle that is not a tensor: keeps what it was given."""
    qualname = "?"

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj.args, obj.state = args, None
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


_REAL = {("collections", "OrderedDict"): OrderedDict,
         ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
         ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
         ("torch", "Size"): torch.Size}


class _InertUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _REAL:
            return _REAL[(module, name)]
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        return type(name, (_Inert,), {"qualname": f"{module}.{name}"})


class _InertPickle:
    Unpickler = _InertUnpickler
    load = staticmethod(lambda f, **kw: _InertUnpickler(f, **kw).load())


def _module_tensors(obj, prefix, out):
    state = obj.state[0] if isinstance(obj.state, tuple) else obj.state
    if not isinstance(state, dict):
        return
    for group in ("_parameters", "_buffers"):
        for name, value in (state.get(group) or {}).items():
            if torch.is_tensor(value):
                out[prefix + name] = value.detach().float() if value.is_floating_point() else value.detach()
    for name, child in (state.get("_modules") or {}).items():
        if isinstance(child, _Inert):
            _module_tensors(child, f"{prefix}{name}.", out)


def read_pickled_model(path: PathLike) -> Dict[str, torch.Tensor]:
    """The state dict of the network pickled in a training checkpoint such as ultralytics'
    ``{"model": Model, ...}``, rebuilt from its tensors alone (its classes are never imported)."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_InertPickle)
    except Exception as err:
        raise UserError(f"cannot read {os.fspath(path)!r} as a pickled model: {type(err).__name__}") from None
    model = obj.get("ema") or obj.get("model") if isinstance(obj, dict) else obj
    out = {}
    if isinstance(model, _Inert):
        _module_tensors(model, "", out)
    if not out:
        raise UserError(f"{os.fspath(path)!r} holds Python objects but no network in them")
    return out
