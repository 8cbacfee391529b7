"""Reading FairMOT checkpoints: the original's format, bare state dicts, ImageNet DLA-34 weights.

Loading is strict by default: any missing or unexpected key or any shape mismatch is an error
that lists them (the original printed a warning and went on with a silently broken model).
Nothing is ever downloaded: every function takes a local path.
"""
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

import torch

from ..errors import CheckpointMismatchError, UserError
from .registry import create_model

_MAX_LISTED = 12
PathLike = Union[str, os.PathLike]
logger = logging.getLogger(__name__)


def _strip_prefix(state_dict, prefix="module."):
    """DataParallel/DDP checkpoints prefix every key with ``module.``."""
    if state_dict and all(k.startswith(prefix) for k in state_dict):
        return {k[len(prefix):]: v for k, v in state_dict.items()}
    return dict(state_dict)


INT8_SCALES = "int8_scales"   # checkpoint entry: {name: per-row scale} of the weights stored as int8


def quantize_int8(weight: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 with one scale per row (first dimension): ``weight ~ q * scale``."""
    rows = weight.float().reshape(len(weight), -1)
    scale = (rows.abs().amax(dim=1) / 127).clamp_min(1e-12)
    q = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(weight.shape), scale


def dequantize_int8(state_dict: dict, scales: dict, path="checkpoint") -> dict:
    """Weights stored by :func:`quantize_int8` (scripts/pack_weights.py --int8) back to float32."""
    if not isinstance(scales, dict) or not set(scales) <= set(state_dict):
        raise UserError(f"{path!r}: its int8 scales do not match its weights; pack it again")
    out = dict(state_dict)
    for name, scale in scales.items():
        q = state_dict[name]
        if q.dtype != torch.int8 or scale.shape != (len(q),):
            raise UserError(f"{path!r}: weight {name!r} is not an int8 tensor with one scale per row; pack it again")
        out[name] = (q.float().reshape(len(q), -1) * scale.float()[:, None]).reshape(q.shape)
    return out


def _why_unreadable(path) -> str:
    """In our words; never torch's advice to load with weights_only=False (that runs the file's code)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        return "the file is empty"
    if head.startswith(b"PK"):  # torch.save writes a zip archive
        return "the file is damaged or cut short (download or copy it again)"
    return "it is not a file written by torch.save"


def read_checkpoint(path: PathLike, map_location="cpu") -> Tuple[Dict[str, torch.Tensor], dict]:
    """Read a checkpoint file into ``(state_dict, meta)``.

    Accepts the original's ``{"epoch", "state_dict", "optimizer"?}``, this project's training
    checkpoints (the same keys plus ``arch``/``heads``/...), or a bare state dict; ``module.``
    prefixes are removed. ``meta`` holds every top-level entry except the weights.
    """
    if not os.path.isfile(path):
        raise UserError(f"checkpoint {path!r} not found")
    try:
        # weights_only: a checkpoint cannot run code when it is opened
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:
        if "Unsupported global" in str(err):  # a pickled Python object: weights_only refused it
            raise UserError(f"{path!r} is not a plain checkpoint: it holds Python objects that could run code "
                            "when opened, so it is not loaded. Load it yourself only if you trust it, and save "
                            "its weights with torch.save({'state_dict': model.state_dict()}, path)") from None
        raise UserError(f"cannot read {path!r} as a PyTorch checkpoint: {_why_unreadable(path)}") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path!r} holds a {type(obj).__name__}, not a FairMOT checkpoint (a dict of weights)")
    if "state_dict" in obj and isinstance(obj["state_dict"], dict):
        state_dict = obj["state_dict"]
        meta = {k: v for k, v in obj.items() if k != "state_dict"}
    elif obj and all(torch.is_tensor(v) for v in obj.values()):
        state_dict, meta = obj, {}
    else:
        raise UserError(f"{path!r} is not a FairMOT checkpoint: no 'state_dict' entry and not a bare state dict")
    scales = meta.pop(INT8_SCALES, None)
    if scales is not None:
        state_dict = dequantize_int8(state_dict, scales, path)
    return _strip_prefix(state_dict), meta


@dataclass
class LoadReport:
    """What a non-strict load left out; empty lists mean the checkpoint matched exactly."""
    missing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)  # (key, checkpoint shape, model shape)

    @property
    def exact(self):
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self):
        def listed(items):
            head = ", ".join(items[:_MAX_LISTED])
            return head + (f", ... ({len(items)} in all)" if len(items) > _MAX_LISTED else "")

        parts = []
        if self.mismatched:
            parts.append("shape mismatch: " + listed(
                [f"{k} checkpoint {tuple(a)} vs model {tuple(b)}" for k, a, b in self.mismatched]))
        if self.missing:
            parts.append("missing in checkpoint: " + listed(self.missing))
        if self.unexpected:
            parts.append("not in model: " + listed(self.unexpected))
        return "; ".join(parts) if parts else "all keys match"


def compare_state_dicts(model_state, checkpoint_state):
    report = LoadReport()
    for key, value in checkpoint_state.items():
        if key not in model_state:
            report.unexpected.append(key)
        elif tuple(value.shape) != tuple(model_state[key].shape):
            report.mismatched.append((key, tuple(value.shape), tuple(model_state[key].shape)))
    report.missing = [k for k in model_state if k not in checkpoint_state]
    return report


def load_state_dict_checked(module: torch.nn.Module, state_dict: Dict[str, torch.Tensor], strict: bool = True,
                            source: str = "checkpoint") -> "LoadReport":
    """Load ``state_dict`` into ``module``.

    strict=True: any difference raises :class:`CheckpointMismatchError` naming the keys.
    strict=False: loads every key whose name and shape match and returns the :class:`LoadReport`
    of what was left out, for the caller to log (nothing is skipped without being reported).
    """
    report = compare_state_dicts(module.state_dict(), state_dict)
    if strict and not report.exact:
        raise CheckpointMismatchError(f"{source} does not match the model: {report.summary()}")
    mismatched = {k for k, _, _ in report.mismatched}
    usable = {k: v for k, v in state_dict.items() if k not in report.unexpected and k not in mismatched}
    module.load_state_dict(usable, strict=False)
    return report


def heatmap_output_keys(state_dict: Dict[str, torch.Tensor]):
    """Keys of the heatmap head's last convolution (a row per class), weights and biases: ``hm.2.*``,
    or ``hm.<stack>.1.*`` for each stack of the hourglass."""
    weights = [k for k, v in state_dict.items()
               if k.startswith("hm.") and k.endswith(".weight") and v.dim() == 4 and v.shape[-2:] == (1, 1)]
    return [k for w in weights for k in (w, w[:-len("weight")] + "bias") if k in state_dict]


def heatmap_classes(state_dict: Dict[str, torch.Tensor]) -> int:
    """Heatmap channels (classes) of a checkpoint's network; 0 when it has no heatmap head."""
    keys = heatmap_output_keys(state_dict)
    return int(state_dict[keys[0]].shape[0]) if keys else 0


def carry_class_channels(state_dict: Dict[str, torch.Tensor], source_classes, model: torch.nn.Module):
    """``state_dict`` with its heatmap output rows laid out for ``model``'s classes: the row of each
    class the checkpoint has (by name, e.g. person from FairMOT's one-class model or CenterNet's
    COCO one) is carried over, a class it lacks keeps ``model``'s own initial row. Returns
    ``(state_dict, carried names)``; unchanged (nothing carried) when no class is in both, or the
    checkpoint's heatmap head is missing, laid out otherwise or of another width: the mismatch is
    then the caller's to report."""
    target = model.class_table
    carried = [name for name in target.names if name in source_classes.names]
    own = model.state_dict()
    keys = heatmap_output_keys(own)
    if not carried or not keys or not all(k in state_dict for k in keys):
        return state_dict, []
    out = dict(state_dict)
    for key in keys:
        rows = own[key].clone()
        if state_dict[key].shape[1:] != rows.shape[1:]:
            return state_dict, []        # another head width: nothing to carry (the mismatch is reported)
        for index, name in enumerate(target.names):
            if name in source_classes.names:
                rows[index] = state_dict[key][source_classes.names.index(name)]
        out[key] = rows
    return out, carried


def load_model(model: torch.nn.Module, path: PathLike, strict: bool = True) -> torch.nn.Module:
    """Load a checkpoint file (original or ours, bare or wrapped, with or without ``module.``)
    into ``model`` and return it.

    strict=False loads what matches and logs a warning naming every key left out; use
    :func:`load_state_dict_checked` to get that report as a value.
    """
    state_dict, _ = read_checkpoint(path)
    report = load_state_dict_checked(model, state_dict, strict=strict, source=repr(path))
    if not report.exact:
        logger.warning("partial load of %s: %s", path, report.summary())
    return model


_HEAD_RE = re.compile(r"^([A-Za-z_]\w*)\.2\.weight$")
_STACKED_HEAD_RE = re.compile(r"^([A-Za-z_]\w*)\.1\.1\.weight$")   # the last stack's output conv


def infer_model_config(state_dict: Dict[str, torch.Tensor],
                       meta: Optional[dict] = None) -> Tuple[str, Dict[str, int], int]:
    """Architecture, heads and head_conv of the network a state dict belongs to.

    Heads come from the weights themselves, so older checkpoints load as they are: the original
    ``all_dla34.pth`` has wh=2 (width/height boxes) and a 512-d id head.
    """
    meta = meta or {}
    if "arch" in meta and "heads" in meta:
        return meta["arch"], dict(meta["heads"]), int(meta.get("head_conv", 256))
    if "base.base_layer.0.weight" in state_dict and "dla_up.ida_0.proj_1.conv.weight" in state_dict:
        # the deformable convolutions' offset branch tells dla_34 from dlaconv_34
        arch = "dla_34" if "dla_up.ida_0.proj_1.conv.conv_offset_mask.weight" in state_dict else "dlaconv_34"
    elif "base.base_layer.0.weight" in state_dict and "dla_up.ida_0.node_1.0.weight" in state_dict:
        arch = "dlav0_34"   # CenterNet's first upsampling: concatenating 3x3 nodes, no IDA-up after it
    elif "layer1.0.conv1.weight" in state_dict and "smooth_layer1.conv.weight" in state_dict:
        blocks = len({k.split(".")[1] for k in state_dict if k.startswith("layer3.")})
        arch = {2: "resfpndcn_18", 6: "resfpndcn_34"}.get(blocks)
        if arch is None or int(state_dict["conv1.weight"].shape[0]) != 64:
            raise UserError(f"unsupported ResNet-FPN-DCN ({blocks} blocks in layer3)")
    elif "layer1.0.conv1.weight" in state_dict and "deconv_layers.0.weight" in state_dict:
        blocks = len({k.split(".")[1] for k in state_dict if k.startswith("layer3.")})
        width = int(state_dict["conv1.weight"].shape[0])
        arch = {(2, 64): "resdcn_18", (6, 64): "resdcn_34", (2, 32): "resdcn_18_w32",
                (2, 16): "resdcn_18_w16"}.get((blocks, width))
        if arch is None:
            raise UserError(f"unsupported ResNet-DCN ({blocks} blocks in layer3, width {width})")
    elif "backbone.model.0.conv.conv.weight" in state_dict and "backbone.model.21.cv3.conv.weight" in state_dict:
        arch = "yolov5s"    # FairMOT's yolo: YOLOv5s layers 0-21
        if tuple(state_dict["backbone.model.0.conv.conv.weight"].shape) != (32, 12, 3, 3):
            raise UserError("unsupported YOLOv5 width: only FairMOT's yolov5s (32 stem channels) is known")
    elif "kps.0.up1.0.conv1.weight" in state_dict and "kps.1.up1.0.conv1.weight" in state_dict:
        arch = "hourglass_104"   # CenterNet's large hourglass, two stacks
    elif "transition1.0.0.weight" in state_dict and "stage4.0.fuse_layers.0.1.0.weight" in state_dict:
        width = int(state_dict["transition1.0.0.weight"].shape[0])
        arch = {18: "hrnet_18", 32: "hrnet_32"}.get(width)
        if arch is None:
            raise UserError(f"unsupported HRNet width {width} (hrnet_18 and hrnet_32 are known)")
    else:
        raise UserError("not a FairMOT network checkpoint: none of the DLA-34 (base.*, dla_up.*), ResNet "
                        "(layer1.*, deconv_layers.*), HRNet (stage4.*) or YOLOv5s (backbone.model.*) layouts")
    heads, head_conv = {}, None
    # a head: 3x3 conv + ReLU + 1x1 conv (<head>.0 / <head>.2); the hourglass has one per stack
    pattern, hidden = (_STACKED_HEAD_RE, "{}.1.0.conv.weight") if arch == "hourglass_104" else (_HEAD_RE, "{}.0.weight")
    for key, value in state_dict.items():
        m = pattern.match(key)
        if m and hidden.format(m.group(1)) in state_dict and value.dim() == 4:
            heads[m.group(1)] = int(value.shape[0])
            head_conv = int(state_dict[hidden.format(m.group(1))].shape[0])
    # the re-ID head may be missing: CenterNet's detectors (ctdet_coco_hg.pth) detect, not track
    missing = [h for h in ("hm", "wh") if h not in heads]
    if missing:
        raise UserError(f"checkpoint lacks the head(s) {', '.join(missing)} "
                        f"(found heads: {', '.join(sorted(heads)) or 'none'}); a FairMOT or CenterNet model has "
                        "hm and wh (and id to track)")
    check_head_channels(heads)
    return arch, heads, head_conv


# channels each head may have: wh as ltrb distances or width/height (hm: one per class, any number)
HEAD_CHANNELS = {"wh": (4, 2), "reg": (2,)}
MAX_CLASSES = 1000


def check_head_channels(heads):
    """UserError naming the head whose output channels FairMOT's decoding cannot use."""
    if "hm" in heads and not 1 <= heads["hm"] <= MAX_CLASSES:
        raise UserError(f"checkpoint head 'hm' has {heads['hm']} output channels (one per class): is it a "
                        "FairMOT tracking checkpoint?")
    for name, allowed in HEAD_CHANNELS.items():
        if name in heads and heads[name] not in allowed:
            raise UserError(f"checkpoint head {name!r} has {heads[name]} output channels, a FairMOT "
                            f"model has {' or '.join(map(str, allowed))}: is it a FairMOT tracking checkpoint?")


def model_from_checkpoint(path: PathLike, map_location="cpu") -> torch.nn.Module:
    """Build the network a checkpoint describes and load it strictly; returns the model in eval mode,
    with ``trained_input_size`` (width, height) when ``fairmot train`` recorded one, else None, and
    ``class_table`` (:class:`~fairmot.datasets.classes.ClassTable`; person for the original's)."""
    from fairmot.datasets.classes import ClassTable

    state_dict, meta = read_checkpoint(path, map_location=map_location)
    arch, heads, head_conv = infer_model_config(state_dict, meta)
    check_head_channels(heads)
    try:
        table = ClassTable.from_record(meta.get("classes"), heads["hm"])
    except UserError as err:
        raise UserError(f"{path!r}: {err}") from None
    model = create_model(arch, heads, head_conv)
    load_state_dict_checked(model, state_dict, strict=True, source=repr(path))
    model.class_table = table
    size = (meta.get("config") or {}).get("input_size")
    model.trained_input_size = tuple(size) if size else None
    return model.eval()


def recorded_input_size(path: PathLike, default: Tuple[int, int] = (1088, 608)) -> Tuple[int, int]:
    """The input size a checkpoint was trained at (recorded by ``fairmot train``), else ``default``."""
    _, meta = read_checkpoint(path)
    size = (meta.get("config") or {}).get("input_size")
    return tuple(size) if size else tuple(default)
