"""HRNetV2 (``hrnet_18``, ``hrnet_32``, FairMOT's ``hrnet`` with its W18 / W32 configs).

Four resolution branches (strides 4, 8, 16, 32) run side by side and exchange features after
every module; at the end the three lower ones are upsampled bilinearly to stride 4 and
concatenated (270 channels for W18, 480 for W32) under FairMOT's heads. The stem, ``layer1``,
``transition1..3`` and ``stage2..4`` carry the names and shapes of the original
``pose_hrnet.py`` (and of the ImageNet HRNetV2 files it starts from), so ``fairmot_hrnet18.pth``
style checkpoints load strictly.

Initialisation: PyTorch's defaults. The original draws every backbone convolution from N(0, 0.001)
and then overwrites them with the ImageNet file; trained from scratch, those tiny weights make the
first Adam steps of the recipe's 1e-4 blow the heatmap loss up (to ~400 after one step here),
which the defaults do not at 2e-5.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .common import HeadsMixin

BN_MOMENTUM = 0.01
BRANCH_BLOCKS = 4                       # blocks per branch in every module
MODULES_PER_STAGE = {2: 1, 3: 4, 4: 3}  # stage -> high-resolution modules (branches = stage number)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + residual)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + residual)


def _conv_bn(c_in, c_out, kernel, stride, relu):
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class HighResolutionModule(nn.Module):
    """Each branch through its blocks, then every branch's output summed into every other one:
    higher resolutions by strided 3x3 convolutions, lower ones by a 1x1 convolution and nearest
    upsampling."""

    def __init__(self, channels):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*[BasicBlock(c, c) for _ in range(BRANCH_BLOCKS)]) for c in channels)
        n = len(channels)
        self.fuse_layers = nn.ModuleList(
            nn.ModuleList(self._fuse(channels, j, i) for j in range(n)) for i in range(n))
        self.relu = nn.ReLU(inplace=True)

    @staticmethod
    def _fuse(channels, source, target):
        if source > target:   # lower resolution: project, then upsample
            return nn.Sequential(nn.Conv2d(channels[source], channels[target], 1, 1, 0, bias=False),
                                 nn.BatchNorm2d(channels[target]),
                                 nn.Upsample(scale_factor=2 ** (source - target), mode="nearest"))
        if source == target:
            return nn.Identity()
        steps = target - source   # higher resolution: strided 3x3 convolutions, ReLU between them
        return nn.Sequential(*[
            _conv_bn(channels[source], channels[target] if k == steps - 1 else channels[source], 3, 2,
                     relu=k < steps - 1) for k in range(steps)])

    def forward(self, xs):
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        out = []
        for fuse in self.fuse_layers:
            y = fuse[0](xs[0])
            for j in range(1, len(xs)):
                y = y + fuse[j](xs[j])
            out.append(self.relu(y))
        return out


class PoseHighResolutionNet(HeadsMixin, nn.Module):
    def __init__(self, width, heads, head_conv=256):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        downsample = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256, momentum=BN_MOMENTUM))
        self.layer1 = nn.Sequential(Bottleneck(64, 64, downsample=downsample),
                                    *[Bottleneck(256, 64) for _ in range(3)])
        previous = [256]
        for stage in (2, 3, 4):
            channels = [width * 2 ** b for b in range(stage)]
            setattr(self, f"transition{stage - 1}", self._transition(previous, channels))
            setattr(self, f"stage{stage}", nn.Sequential(
                *[HighResolutionModule(channels) for _ in range(MODULES_PER_STAGE[stage])]))
            previous = channels
        self._add_heads(heads, sum(previous), head_conv)

    @staticmethod
    def _transition(previous, channels):
        """Existing branches change width by a 3x3 convolution (or stay); a new branch comes from
        the lowest existing one by strided 3x3 convolutions."""
        layers = []
        for i, c in enumerate(channels):
            if i < len(previous):
                layers.append(nn.Identity() if c == previous[i] else _conv_bn(previous[i], c, 3, 1, relu=True))
            else:
                steps = i + 1 - len(previous)
                layers.append(nn.Sequential(*[
                    _conv_bn(previous[-1], c if k == steps - 1 else previous[-1], 3, 2, relu=True)
                    for k in range(steps)]))
        return nn.ModuleList(layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer1(self.relu(self.bn2(self.conv2(x))))
        xs = [x]
        for stage in (2, 3, 4):
            transition = getattr(self, f"transition{stage - 1}")
            xs = [t(xs[min(i, len(xs) - 1)]) for i, t in enumerate(transition)]
            xs = getattr(self, f"stage{stage}")(xs)
        size = xs[0].shape[-2:]
        x = torch.cat([xs[0]] + [F.interpolate(x, size=size, mode="bilinear", align_corners=False)
                                 for x in xs[1:]], 1)
        return self._run_heads(x)
