#!/usr/bin/env python
"""Compare our networks with the original FairMOT code on random, non-trivial weights.

The original code is not part of this project: point ORIGINAL_DIR at a folder holding the
original ``pose_dla_dcn.py`` / ``pose_dla_conv.py`` (from ifzhang/FairMOT
``src/lib/models/networks``). They import ``dcn_v2.DCN``; if no DCNv2 build is importable,
``--oracle-dcn`` supplies one backed by the independent gather-based implementation in
``fairmot/models/dcn_reference.py``. The original is built without its ImageNet download
(``pretrained=False``): every weight is overwritten anyway.

    python scripts/check_model_fidelity.py /path/to/original --oracle-dcn --arch all
    python scripts/check_model_fidelity.py /path/to/original --oracle-dcn --arch hrnet_18 --size 576x320

Weights are random with realistic statistics: kaiming-scaled convolutions, BatchNorm with
random affine parameters and running statistics, and offset/mask convolutions that shift samples
by 2-3 pixels on average. The inputs are two real frames (see ``test_images``). Prints, per
architecture, max |ours - original| / max |original| over the heads in float32 and float64.
"""
import argparse
import importlib.util
import os
import sys
import types

import torch
import torch.nn as nn

from fairmot.models.random_init import fidelity_case, randomize_


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


# our architecture -> the original's file, relative to ORIGINAL_DIR (FairMOT's src/lib/models/networks;
# yolo.py and its common.py sit one folder up in the original, put them beside the others here)
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FRAMES = os.path.join(HERE, "..", "..", "shared", "data", "PETS09-S2L1", "img1")
ORIGINAL_FILES = {"dla_34": "pose_dla_dcn.py", "dlaconv_34": "pose_dla_conv.py", "dlav0_34": "dlav0.py",
                  "resdcn_18": "resnet_dcn.py", "resdcn_34": "resnet_dcn.py",
                  "resfpndcn_18": "resnet_fpn_dcn.py", "resfpndcn_34": "resnet_fpn_dcn.py",
                  "hourglass_104": "large_hourglass.py",
                  "hrnet_18": "pose_hrnet.py", "hrnet_32": "pose_hrnet.py", "yolov5s": "yolo.py"}
PACKAGE = "fairmot_original"   # the original's files import each other relatively (.common, .config)


def load_original(original_dir, arch="dla_34"):
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [original_dir]
        sys.modules[PACKAGE] = package
    import numpy as np
    if not hasattr(np, "int"):   # pose_hrnet.py uses np.int, gone since NumPy 1.24
        np.int = int
    name = f"{PACKAGE}.{ORIGINAL_FILES[arch][:-3]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(original_dir, ORIGINAL_FILES[arch]))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def build_original(module, arch, heads, head_conv=256, fc_classes=1000, original_dir="."):
    """The original network as its ``get_pose_net`` builds it, without its pretrained download
    (pretrained=False / no file), with the ``base.fc`` layer that DLA's download adds (released
    checkpoints carry it)."""
    if arch.startswith(("resfpndcn_", "resdcn_")):   # get_pose_net without init_weights' download
        block, layers = module.resnet_spec[int(arch.rsplit("_", 1)[1])]
        return module.PoseResNet(block, layers, heads, head_conv=head_conv)
    if arch.startswith("hrnet_"):
        config = module.cfg.clone()
        config.defrost()
        config.merge_from_file(os.path.join(original_dir, "config", f"hrnet_w{arch.rsplit('_', 1)[1]}.yaml"))
        return module.PoseHighResolutionNet(config, heads)
    if arch == "hourglass_104":   # CenterNet's get_large_hourglass_net
        return module.HourglassNet(heads, 2)
    if arch == "yolov5s":   # get_pose_net less the pretrained file (absent: skipped there too)
        model = module.PoseYOLOv5s(heads, os.path.join(original_dir, "config", "yolov5s.yaml"))
        module.initialize_weights(model, pretrained="")
        return model
    if arch == "dlav0_34":   # dlav0.py's DLASeg takes fewer arguments
        model = module.DLASeg("dla34", heads, pretrained=False, down_ratio=4, head_conv=head_conv)
    else:
        model = module.DLASeg("dla34", heads, pretrained=False, down_ratio=4, final_kernel=1, last_level=5,
                              head_conv=head_conv)
    model.base.fc = nn.Conv2d(model.base.channels[-1], fc_classes, kernel_size=1, stride=1, padding=0, bias=True)
    return model


def test_images(frames_dir, gen, h, w, dtype):
    """Two real frames (PETS09-S2L1 1 and 300) when the shared data is there: real images are smooth at the
    pixel scale, which decides how far an error in a sampling offset moves a deformable convolution's
    output; else random images of the same smoothness (noise at 1/8 resolution, upsampled)."""
    paths = [os.path.join(frames_dir or "", f"{i:06d}.jpg") for i in (1, 300)]
    if frames_dir and all(os.path.isfile(p) for p in paths):
        import cv2
        import numpy as np
        frames = np.stack([cv2.resize(cv2.imread(p), (w, h), interpolation=cv2.INTER_AREA) for p in paths])
        return torch.from_numpy(frames[..., ::-1].transpose(0, 3, 1, 2).copy()).to(dtype) / 255, "PETS09 frames"
    x = torch.rand(2, 3, h // 8, w // 8, generator=gen, dtype=torch.float64)
    x = torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return x.to(dtype), "smooth random images"


def write_layout(original, arch, heads, path):
    source = ORIGINAL_FILES[arch]
    folder = "src/lib/models" if source == "yolo.py" else "src/lib/models/networks"
    project = "CenterNet's" if arch == "hourglass_104" else "FairMOT's"
    repo = "xingyizhou/CenterNet" if arch == "hourglass_104" else "ifzhang/FairMOT"
    head_conv = next(m for m in getattr(original, next(iter(heads))).modules() if isinstance(m, nn.Conv2d)).out_channels
    with open(path, "w") as f:
        f.write(f"# name shape  ({project} {arch} from {repo} {folder}/{source}, heads "
                + " ".join(f"{k}={v}" for k, v in sorted(heads.items())) + f", head_conv={head_conv})\n")
        for name, value in original.state_dict().items():
            f.write(f"{name} {tuple(value.shape)}\n")


def run_original(original, x):
    """The original's outputs, one dict per stack. CenterNet's hourglass takes sides that are
    multiples of 128 only: it gets the input padded as ours pads it, and its outputs are cut back."""
    if not hasattr(original, "kps"):
        return original(x)
    from fairmot.models.hourglass import INPUT_MULTIPLE
    height, width = x.shape[-2:]
    x = torch.nn.functional.pad(x, (0, -width % INPUT_MULTIPLE, 0, -height % INPUT_MULTIPLE))
    return [{k: v[..., :height // 4, :width // 4] for k, v in out.items()} for out in original(x)]


def all_stacks(model, x):
    """Our outputs of every stack: a stacked network gives the earlier ones in training mode
    (BatchNorm kept in eval mode here); others give their one dict."""
    if not hasattr(model, "kps"):   # one stack
        return [model(x)]
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    out = model(x)
    model.eval()
    return [*out.pop("stacks"), out]


def compare(args, arch, dtype, verbose):
    """Worst relative error over the heads of ``arch`` (ours vs the original) in ``dtype``."""
    from fairmot.models import create_model
    from fairmot.models.registry import arch_defaults

    original_module = load_original(args.original_dir, arch)
    heads = {"hm": 1, "wh": 4, "reg": 2, "id": arch_defaults(arch)["reid_dim"]}
    ours = create_model(arch, heads).eval()
    fc = getattr(getattr(ours, "base", None), "fc", None)
    original = build_original(original_module, arch, heads, fc_classes=fc.out_channels if fc is not None else 1000,
                              original_dir=args.original_dir).eval()
    gen = torch.Generator().manual_seed(args.seed)
    randomize_(ours, gen, args.offset_scale)
    if args.write_layout:
        write_layout(original, arch, heads, args.write_layout)
    original.load_state_dict(ours.state_dict(), strict=True)
    ours, original = ours.to(dtype), original.to(dtype)

    w, h = (int(v) for v in args.size.lower().split("x"))
    x, source = test_images(args.frames, gen, h, w, dtype)
    # record how far the offsets move samples, to show the comparison is not trivial
    shifts = []
    for m in ours.modules():
        if m.__class__.__name__ == "DCN":
            m.conv_offset_mask.register_forward_hook(
                lambda mod, inp, out: shifts.append(out[:, :18].abs().mean().item()))
    with torch.no_grad():
        got = all_stacks(ours, x)
        want = run_original(original, x)   # a list: one dict per stack (hourglass_104 has two)
    errors = {f"{name}{f' (stack {i})' if len(want) > 1 else ''}":
              ((g[name] - w[name]).abs().max() / w[name].abs().max()).item()
              for i, (g, w) in enumerate(zip(got, want)) for name in heads}
    got, want = got[-1], want[-1]
    if verbose:
        print(f"{arch} ({str(dtype)[6:]}, {source}): {len(shifts)} deformable layers"
              + (f", mean |offset| {sum(shifts) / len(shifts):.2f} px" if shifts else ""))
        for name in heads:
            print(f"  {name:4s} shape {tuple(got[name].shape)}  max|orig| {want[name].abs().max().item():.4g}  "
                  f"rel err {max(v for k, v in errors.items() if k.split()[0] == name):.3e}")
    return max(errors.values()), (sum(shifts) / len(shifts) if shifts else 0.0)


GOLDEN_SAMPLES = 16      # values recorded per head, evenly spread over its output


def record_golden(args, archs, path):
    """The original's head outputs (float64) on :func:`fidelity_case`: abs sum and samples per head."""
    import json
    record = {"source": "ifzhang/FairMOT, built by scripts/check_model_fidelity.py --write-golden",
              "samples": GOLDEN_SAMPLES, "archs": {}}
    for arch in archs:
        ours, x = fidelity_case(arch)
        original = build_original(load_original(args.original_dir, arch), arch, ours.heads,
                                  original_dir=args.original_dir).eval()
        original.load_state_dict(ours.state_dict(), strict=True)
        with torch.no_grad():
            out = run_original(original.double(), x)[-1]
        record["archs"][arch] = {
            name: {"shape": list(v.shape), "abs_sum": v.abs().sum().item(),
                   "values": v.flatten()[torch.linspace(0, v.numel() - 1, GOLDEN_SAMPLES).long()].tolist()}
            for name, v in out.items()}
        record["input"] = list(x.shape)
    with open(path, "w") as f:
        json.dump(record, f, indent=1)
    print(f"wrote the original's outputs for {', '.join(archs)} to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original_dir")
    parser.add_argument("--oracle-dcn", action="store_true", help="use the test oracle as dcn_v2.DCN")
    parser.add_argument("--size", default="320x192", help="input WxH, multiples of 32")
    parser.add_argument("--offset-scale", type=float, default=2.0,
                        help="offset convolutions' weight scale (2: samples move 2-3 px on average)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arch", nargs="+", default=["dla_34"], choices=sorted(ORIGINAL_FILES) + ["all"])
    parser.add_argument("--frames", default=DEFAULT_FRAMES,
                        help="folder of MOT-style frames (000001.jpg ...) to feed; default PETS09-S2L1's")
    parser.add_argument("--write-layout", metavar="FILE",
                        help="also write the original's parameter names and shapes (tests/models/layouts)")
    parser.add_argument("--write-golden", metavar="FILE",
                        help="also record the original's outputs for tests/models/test_fidelity.py")
    args = parser.parse_args()
    archs = sorted(ORIGINAL_FILES) if "all" in args.arch else args.arch
    if args.write_layout and len(archs) > 1:
        parser.error("--write-layout takes one --arch")
    if args.oracle_dcn:
        install_oracle_dcn()
    if args.write_golden:
        record_golden(args, archs, args.write_golden)

    rows = []
    for arch in archs:
        worst32, shift = compare(args, arch, torch.float32, verbose=len(archs) == 1)
        worst64, _ = compare(args, arch, torch.float64, verbose=False)
        rows.append((arch, shift, worst32, worst64))
    print(f"{'arch':14s} {'mean |offset|':>13s} {'float32':>10s} {'float64':>10s}  "
          "(worst relative error over the heads)")
    for arch, shift, worst32, worst64 in rows:
        print(f"{arch:14s} {shift:10.2f} px {worst32:10.2e} {worst64:10.2e}  "
              f"{'PASS' if worst32 <= 1e-4 and worst64 <= 1e-10 else 'FAIL'}")
    passed = all(r[2] <= 1e-4 and r[3] <= 1e-10 for r in rows)
    print(f"{'all pass' if passed else 'FAIL'}: float32 <= 1e-4, float64 <= 1e-10")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
