#!/usr/bin/env python
"""Compare our networks with the original FairMOT code on random, non-trivial weights.

The original code is not part of this project: point ORIGINAL_DIR at a folder holding the
original ``pose_dla_dcn.py`` (from ifzhang/FairMOT ``src/lib/models/networks``). It imports
``dcn_v2.DCN``; if no DCNv2 build is importable, ``--oracle-dcn`` supplies one backed by the
independent gather-based implementation in ``fairmot/models/dcn_reference.py``.

    python scripts/check_model_fidelity.py /path/to/original --oracle-dcn --size 320x192

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


def load_original(original_dir):
    path = os.path.join(original_dir, "pose_dla_dcn.py")
    spec = importlib.util.spec_from_file_location("original_pose_dla_dcn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original_dir")
    parser.add_argument("--oracle-dcn", action="store_true", help="use the test oracle as dcn_v2.DCN")
    parser.add_argument("--size", default="320x192", help="input WxH, multiples of 32")
    parser.add_argument("--offset-scale", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--double", action="store_true", help="compare in float64")
    args = parser.parse_args()

    from fairmot.models import create_model

    if args.oracle_dcn:
        install_oracle_dcn()
    original_module = load_original(args.original_dir)
    heads = {"hm": 1, "wh": 4, "reg": 2, "id": 128}
    ours = create_model("dla_34", heads, 256).eval()
    original = original_module.get_pose_net(34, heads, head_conv=256).eval()
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
    print(f"{len(shifts)} deformable layers, mean |offset| {sum(shifts) / len(shifts):.2f} px")
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
