#!/usr/bin/env python
"""Compare our networks with the original FairMOT code on random, non-trivial weights.

The original code is not part of this project: point ORIGINAL_DIR at a folder holding the
original ``pose_dla_dcn.py`` / ``pose_dla_conv.py`` (from ifzhang/FairMOT
``src/lib/models/networks``). They import ``dcn_v2.DCN``; if no DCNv2 build is importable,
``--oracle-dcn`` supplies one backed by the independent gather-based implementation in
``fairmot/models/dcn_reference.py``. The original is built without its ImageNet download
(``pretrained=False``): every weight is overwritten anyway.

    python scripts/check_model_fidelity.py /path/to/original --oracle-dcn --size 320x192 [--arch dlaconv_34]

Weights are random with realistic statistics: kaiming-scaled convolutions, BatchNorm with
random affine parameters and running statistics, and offset/mask convolutions large enough to
shift samples by several pixels. Prints, per head, max |ours - original| / max |original|.
"""
import argparse
import importlib.util
import os
import sys
import types

import torch
import torch.nn as nn

from fairmot.models.random_init import randomize_


def install_oracle_dcn():
    """Register a ``dcn_v2`` module whose DCN uses the independent oracle implementation."""
    from fairmot.models.dcn_reference import gather_deform_conv2d

    class DCN(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation=1,
                     deformable_groups=1):
            super().__init__()
            kh, kw = kernel_size
            self.stride, self.padding, self.dilation = stride, padding, dilation
            self.weight = nn.Parameter(torch.zeros(out_channels, in_channels, kh, kw))
            self.bias = nn.Parameter(torch.zeros(out_channels))
            self.conv_offset_mask = nn.Conv2d(in_channels, 3 * kh * kw, kernel_size, stride, padding, bias=True)

        def forward(self, x):
            o1, o2, m = torch.chunk(self.conv_offset_mask(x), 3, dim=1)
            return gather_deform_conv2d(x, torch.cat((o1, o2), 1), torch.sigmoid(m), self.weight, self.bias,
                                        self.stride, self.padding, self.dilation)

    sys.modules["dcn_v2"] = types.SimpleNamespace(DCN=DCN)


# our architecture -> the original's file (its DLASeg is built as its get_pose_net builds it)
ORIGINAL_FILES = {"dla_34": "pose_dla_dcn.py", "dlaconv_34": "pose_dla_conv.py", "dlav0_34": "dlav0.py",
                  "resfpndcn_18": "resnet_fpn_dcn.py", "resfpndcn_34": "resnet_fpn_dcn.py"}


def load_original(original_dir, arch="dla_34"):
    path = os.path.join(original_dir, ORIGINAL_FILES[arch])
    spec = importlib.util.spec_from_file_location(f"original_{arch}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_original(module, heads, head_conv=256, fc_classes=1000):
    """The original ``get_pose_net(34, ...)`` without its ImageNet download (pretrained=False),
    with the ``base.fc`` layer that download adds (released checkpoints carry it)."""
    if module.__name__.startswith("original_resfpndcn_"):   # get_pose_net without init_weights' download
        block, layers = module.resnet_spec[int(module.__name__.rsplit("_", 1)[1])]
        return module.PoseResNet(block, layers, heads, head_conv=head_conv)
    if module.__name__ == "original_dlav0_34":   # dlav0.py's DLASeg takes fewer arguments
        model = module.DLASeg("dla34", heads, pretrained=False, down_ratio=4, head_conv=head_conv)
    else:
        model = module.DLASeg("dla34", heads, pretrained=False, down_ratio=4, final_kernel=1, last_level=5,
                              head_conv=head_conv)
    model.base.fc = nn.Conv2d(model.base.channels[-1], fc_classes, kernel_size=1, stride=1, padding=0, bias=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original_dir")
    parser.add_argument("--oracle-dcn", action="store_true", help="use the test oracle as dcn_v2.DCN")
    parser.add_argument("--size", default="320x192", help="input WxH, multiples of 32")
    parser.add_argument("--offset-scale", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--double", action="store_true", help="compare in float64")
    parser.add_argument("--arch", default="dla_34", choices=sorted(ORIGINAL_FILES))
    args = parser.parse_args()

    from fairmot.models import create_model

    if args.oracle_dcn:
        install_oracle_dcn()
    original_module = load_original(args.original_dir, args.arch)
    heads = {"hm": 1, "wh": 4, "reg": 2, "id": 128}
    ours = create_model(args.arch, heads, 256).eval()
    fc = getattr(getattr(ours, "base", None), "fc", None)
    original = build_original(original_module, heads, fc_classes=fc.out_channels if fc is not None else 1000).eval()
    gen = torch.Generator().manual_seed(args.seed)
    randomize_(ours, gen, args.offset_scale)
    original.load_state_dict(ours.state_dict(), strict=True)
    dtype = torch.float64 if args.double else torch.float32
    ours, original = ours.to(dtype), original.to(dtype)

    w, h = (int(v) for v in args.size.lower().split("x"))
    x = torch.rand(2, 3, h, w, generator=gen, dtype=dtype)
    # record how far the offsets move samples, to show the comparison is not trivial
    shifts = []
    for m in ours.modules():
        if m.__class__.__name__ == "DCN":
            m.conv_offset_mask.register_forward_hook(
                lambda mod, inp, out: shifts.append(out[:, :18].abs().mean().item()))
    with torch.no_grad():
        got = ours(x)
        want = original(x)[0]
    print(f"{args.arch}: {len(shifts)} deformable layers"
          + (f", mean |offset| {sum(shifts) / len(shifts):.2f} px" if shifts else ""))
    worst = 0.0
    for name in heads:
        err = ((got[name] - want[name]).abs().max() / want[name].abs().max()).item()
        worst = max(worst, err)
        print(f"{name:4s} shape {tuple(got[name].shape)}  max|orig| {want[name].abs().max().item():.4g}  "
              f"rel err {err:.3e}")
    print(f"worst relative error {worst:.3e} ({'PASS' if worst <= 1e-4 else 'FAIL'} at 1e-4)")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
