"""Random networks that behave like trained ones, for tests, benchmarks and trying the CLI.

- :func:`randomize_` fills every parameter and buffer with random values of a realistic scale
  (kaiming-scaled convolutions, BatchNorm statistics, offset convolutions that shift samples by
  several pixels): fidelity checks compare implementations on it.
- :func:`detector_like_model`: a freshly initialised network gives a near-constant heatmap (every
  score ~0.1) and zero-size boxes, so nothing reaches a tracker. Here the backbone stays random
  but the heads are rescaled: the heatmap follows the (random) image features with a spread that
  puts about 10-20 peaks above 0.4 on a PETS09 frame at 320x192 - 576x320, boxes are
  pedestrian-sized (about 20x50 px there) and embeddings vary over the image. The detections
  mean nothing, but their number, sizes and frame-to-frame stability are those a tracker sees
  with a trained model. ``fairmot random-model OUT.pth`` writes one.
"""
from __future__ import annotations

import math
import os

import torch

from fairmot.datasets.classes import ClassTable

from .registry import create_model

_CALIBRATION_SIZE = (192, 320)


def randomize_(model: torch.nn.Module, generator: torch.Generator, offset_scale: float) -> None:
    """Fill every parameter and buffer with random values of a realistic scale."""
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            t.copy_(torch.rand(t.shape, generator=generator) * 1.5 + 0.5)
        elif name.endswith("running_mean"):
            t.copy_(torch.randn(t.shape, generator=generator) * 0.2)
        elif t.dim() == 1:  # BN weight/bias, conv biases
            base = 1.0 if name.endswith("weight") else 0.0
            t.copy_(base + torch.randn(t.shape, generator=generator) * 0.2)
        else:
            fan_in = t[0].numel()
            std = math.sqrt(2.0 / fan_in)
            if "conv_offset_mask" in name:
                std = offset_scale / math.sqrt(fan_in)
            t.copy_(torch.randn(t.shape, generator=generator) * std)



def fidelity_case(arch: str, seed: int = 0, offset_scale: float = 2.0, size=(64, 96)):
    """``(network of arch with random weights, in float64, eval mode; an input of size (H, W))``:
    the case whose outputs scripts/check_model_fidelity.py --write-golden records from the
    original code and tests/models/test_fidelity.py compares ours with."""
    from .registry import arch_defaults
    heads = {"hm": 1, "wh": 4, "reg": 2, "id": arch_defaults(arch)["reid_dim"]}
    model = create_model(arch, heads).eval()
    generator = torch.Generator().manual_seed(seed)
    randomize_(model, generator, offset_scale)
    return model.double(), torch.rand(1, 3, *size, generator=generator, dtype=torch.float64)


@torch.no_grad()
def detector_like_model(arch: str = "resdcn_18", seed: int = 0, classes=None) -> torch.nn.Module:
    """``classes``: a :class:`~fairmot.datasets.classes.ClassTable` for a model of several classes
    (a heatmap channel each, peaking at other places); None: FairMOT's one class."""
    torch.manual_seed(seed)
    from .registry import DEFAULT_HEADS, arch_defaults
    heads = None if classes is None else dict(DEFAULT_HEADS, hm=len(classes), id=arch_defaults(arch)["reid_dim"])
    model = create_model(arch, heads).eval()
    if classes is not None:
        model.class_table = classes
    seen = {}
    hidden_hm, _ = _head_convs(model, "hm")
    hook = hidden_hm.register_forward_hook(lambda module, inputs, output: seen.update(features=inputs[0]))
    model(torch.rand(1, 3, *_CALIBRATION_SIZE))
    hook.remove()
    features = seen["features"]
    for name in model.heads:
        hidden_conv, output_conv = _head_convs(model, name)
        hidden = torch.relu(hidden_conv(features) - hidden_conv.bias[None, :, None, None])
        hidden_conv.weight /= hidden.std()  # hidden activations of unit spread
        hidden_conv.bias.zero_()
        torch.nn.init.normal_(output_conv.weight, std=1.0 / 16)
    outputs = {name: _head_convs(model, name)[1] for name in model.heads}
    outputs["hm"].weight *= 10.0
    outputs["hm"].bias.fill_(-1.0)
    outputs["wh"].weight *= 0.1
    outputs["wh"].bias.copy_(torch.tensor([1.5, 3.5, 1.5, 3.5]))  # ltrb in output-map cells
    outputs["reg"].weight *= 0.1
    outputs["reg"].bias.fill_(0.5)
    _calibrate_peaks(model)
    return model


def _head_convs(model, name):
    """(hidden 3x3 convolution, output 1x1 convolution) of the head giving ``name``'s output: the
    last stack's for hourglass_104 (one head per stack), else the head itself."""
    head = getattr(model, name)
    if isinstance(head, torch.nn.ModuleList):
        return head[-1][0].conv, head[-1][1]
    return head[0], head[2]


PEAKS_WANTED = (5, 60)   # peaks above 0.4 on the calibration image


@torch.no_grad()
def _calibrate_peaks(model, wanted=PEAKS_WANTED, target=20):
    """Where the scaling above leaves a network with too few or too many peaks above 0.4 (its
    features' spatial spread differs: yolov5s gave ~300 at 320x192, dlaconv_34 saturated scores at
    1.0), map each heatmap channel's logits linearly so that its best peak scores 0.95 and its
    ``target``-th 0.45."""
    from fairmot.inference.decoding import heatmap_peaks
    # an image as smooth as a photograph at the pixel scale (noise at 1/8 resolution, upsampled)
    coarse = torch.rand(1, 3, _CALIBRATION_SIZE[0] // 8, _CALIBRATION_SIZE[1] // 8,
                        generator=torch.Generator().manual_seed(1))
    image = torch.nn.functional.interpolate(coarse, size=_CALIBRATION_SIZE, mode="bilinear", align_corners=False)
    hm = model(image)["hm"]
    peaks = heatmap_peaks(torch.sigmoid(hm.double()))
    top, low = math.log(0.95 / 0.05), math.log(0.45 / 0.55)
    for channel in range(hm.shape[1]):
        scores = peaks[0, channel].flatten()
        found = int((scores > 0.4).sum())
        if wanted[0] <= found <= wanted[1] and scores.max() < 0.999:
            continue
        ranked = hm[0, channel].double().flatten()[scores.flatten() > 0].sort(descending=True).values
        best, nth = ranked[0].item(), ranked[min(target, len(ranked)) - 1].item()
        scale = (top - low) / (best - nth) if best > nth else 1.0
        output_conv = _head_convs(model, "hm")[1]
        output_conv.weight[channel] *= scale
        output_conv.bias[channel] = scale * (output_conv.bias[channel] - nth) + low


def write_checkpoint(path: str | os.PathLike, model: torch.nn.Module = None, state_dict: dict = None):
    """Save in the original FairMOT format ``{"epoch", "state_dict"}`` (and ``classes``, as
    ``fairmot train`` records them, for any model but FairMOT's one class, person)."""
    from fairmot.utils.atomic import atomic_save

    state_dict = state_dict if state_dict is not None else model.state_dict()
    record = {"epoch": 0, "state_dict": state_dict}
    table = getattr(model, "class_table", None)
    if table is not None and table != ClassTable.single():
        record["classes"] = table.record()
    atomic_save(path, lambda tmp: torch.save(record, tmp))
    return path

