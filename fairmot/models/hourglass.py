"""CenterNet's large hourglass (``hourglass_104``): two stacked hourglasses of depth 5 after a
stride-4 stem, with intermediate supervision, the accurate end of the CenterNet family
(``ctdet_coco_hg.pth``: 40.3 COCO AP at 1x test scale in CenterNet's model zoo).

Names and shapes follow CenterNet's ``large_hourglass.py`` (``pre``, ``kps``, ``cnvs``,
``inters``, ``inters_``, ``cnvs_``; each head a list of one head per stack), so its checkpoints
load strictly. ``model(x)`` returns the last stack's heads; in training mode the first stack's
come along under ``"stacks"`` so that the loss can supervise both, as CenterNet and FairMOT do.
An input whose sides are not multiples of 128 is padded with zeros at the right and bottom and
the outputs are cut back to a quarter of the input size, so every size FairMOT uses works.
"""
import torch.nn as nn
import torch.nn.functional as F

from .common import HEATMAP_PRIOR_BIAS

STACKS = 2
DEPTH = 5
DIMS = (256, 256, 384, 384, 384, 512)     # channels at each level, from stride 4 down to 128
MODULES = (2, 2, 2, 2, 2, 4)              # residual blocks at each level
CNV_DIM = 256
INPUT_MULTIPLE = 4 * 2 ** DEPTH           # 128: five halvings after the stride-4 stem


class ConvBNReLU(nn.Module):
    """CenterNet's ``convolution``: conv (+ BatchNorm, else a bias) + ReLU."""

    def __init__(self, kernel, c_in, c_out, stride=1, with_bn=True):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, bias=not with_bn)
        self.bn = nn.BatchNorm2d(c_out) if with_bn else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Residual(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        changes = stride != 1 or c_in != c_out
        self.skip = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)) \
            if changes else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.skip(x))


def _blocks(c_in, c_out, count, stride=1):
    """``count`` residual blocks, the first one changing channels (and stride)."""
    return nn.Sequential(Residual(c_in, c_out, stride), *[Residual(c_out, c_out) for _ in range(count - 1)])


def _blocks_reversed(c_in, c_out, count):
    """``count`` residual blocks, the last one changing channels."""
    return nn.Sequential(*[Residual(c_in, c_in) for _ in range(count - 1)], Residual(c_in, c_out))


class Hourglass(nn.Module):
    """One level: a skip branch at this resolution (``up1``) plus a branch that halves the
    resolution (``low1``, strided), recurses (``low2``), comes back (``low3``) and is upsampled."""

    def __init__(self, depth, dims, modules):
        super().__init__()
        self.up1 = _blocks(dims[0], dims[0], modules[0])
        self.low1 = _blocks(dims[0], dims[1], modules[0], stride=2)
        self.low2 = Hourglass(depth - 1, dims[1:], modules[1:]) if depth > 1 else \
            _blocks(dims[1], dims[1], modules[1])
        self.low3 = _blocks_reversed(dims[1], dims[0], modules[0])
        self.up2 = nn.Upsample(scale_factor=2)

    def forward(self, x):
        return self.up1(x) + self.up2(self.low3(self.low2(self.low1(x))))


def _head(channels, out_channels, name):
    head = nn.Sequential(ConvBNReLU(3, CNV_DIM, channels, with_bn=False), nn.Conv2d(channels, out_channels, 1))
    if name == "hm":
        nn.init.constant_(head[-1].bias, HEATMAP_PRIOR_BIAS)
    return head


class HourglassNet(nn.Module):
    def __init__(self, heads, head_conv=DIMS[0]):
        super().__init__()
        self.heads = dict(heads)
        self.pre = nn.Sequential(ConvBNReLU(7, 3, 128, stride=2), Residual(128, DIMS[0], stride=2))
        self.kps = nn.ModuleList(Hourglass(DEPTH, DIMS, MODULES) for _ in range(STACKS))
        self.cnvs = nn.ModuleList(ConvBNReLU(3, DIMS[0], CNV_DIM) for _ in range(STACKS))
        self.inters = nn.ModuleList(Residual(DIMS[0], DIMS[0]) for _ in range(STACKS - 1))
        self.inters_ = nn.ModuleList(nn.Sequential(nn.Conv2d(DIMS[0], DIMS[0], 1, bias=False),
                                                   nn.BatchNorm2d(DIMS[0])) for _ in range(STACKS - 1))
        self.cnvs_ = nn.ModuleList(nn.Sequential(nn.Conv2d(CNV_DIM, DIMS[0], 1, bias=False),
                                                 nn.BatchNorm2d(DIMS[0])) for _ in range(STACKS - 1))
        for name, channels in self.heads.items():   # one head per stack
            self.add_module(name, nn.ModuleList(_head(head_conv, channels, name) for _ in range(STACKS)))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % INPUT_MULTIPLE, -width % INPUT_MULTIPLE
        if pad_h or pad_w:   # as CenterNet pads its test images; the outputs are cut back below
            x = F.pad(x, (0, pad_w, 0, pad_h))
        outputs = self._stacks(x)
        if pad_h or pad_w:
            outputs = [{k: v[..., :height // 4, :width // 4] for k, v in out.items()} for out in outputs]
        last = outputs[-1]
        if self.training:
            return dict(last, stacks=outputs[:-1])
        return last

    def _stacks(self, x):
        inter = self.pre(x)
        outputs = []
        for stack in range(STACKS):
            cnv = self.cnvs[stack](self.kps[stack](inter))
            outputs.append({name: getattr(self, name)[stack](cnv) for name in self.heads})
            if stack < STACKS - 1:
                inter = self.inters[stack](self.relu(self.inters_[stack](inter) + self.cnvs_[stack](cnv)))
        return outputs
