"""DLA-34 with deformable-convolution upsampling (``dla_34``), as in FairMOT / CenterNet.

Parameter names and shapes match the released checkpoints exactly, including the ImageNet
classifier ``base.fc`` and the ``project`` layers of multi-level tree nodes that the forward
pass never uses: a strict load of ``fairmot_dla34.pth`` needs them.
"""
import numpy as np
import torch
import torch.nn as nn

from .common import BN_MOMENTUM, HeadsMixin, fill_up_weights
from .deform_conv import DCN


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=dilation, bias=False,
                               dilation=dilation)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=dilation, bias=False, dilation=dilation)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)

    def forward(self, x, residual=None):
        if residual is None:
            residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Root(nn.Module):
    """Aggregation node: 1x1 conv over the concatenated children."""

    def __init__(self, in_channels, out_channels, kernel_size, residual):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, stride=1, bias=False,
                              padding=(kernel_size - 1) // 2)
        self.bn = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.residual = residual

    def forward(self, *children):
        x = self.bn(self.conv(torch.cat(children, 1)))
        if self.residual:
            x = x + children[0]
        return self.relu(x)


class Tree(nn.Module):
    """Hierarchical deep aggregation tree of ``levels`` levels."""

    def __init__(self, levels, block, in_channels, out_channels, stride=1, level_root=False,
                 root_dim=0, root_kernel_size=1, dilation=1, root_residual=False):
        super().__init__()
        if root_dim == 0:
            root_dim = 2 * out_channels
        if level_root:
            root_dim += in_channels
        if levels == 1:
            self.tree1 = block(in_channels, out_channels, stride, dilation=dilation)
            self.tree2 = block(out_channels, out_channels, 1, dilation=dilation)
            self.root = Root(root_dim, out_channels, root_kernel_size, root_residual)
        else:
            self.tree1 = Tree(levels - 1, block, in_channels, out_channels, stride, root_dim=0,
                              root_kernel_size=root_kernel_size, dilation=dilation,
                              root_residual=root_residual)
            self.tree2 = Tree(levels - 1, block, out_channels, out_channels,
                              root_dim=root_dim + out_channels, root_kernel_size=root_kernel_size,
                              dilation=dilation, root_residual=root_residual)
        self.level_root = level_root
        self.levels = levels
        self.downsample = nn.MaxPool2d(stride, stride=stride) if stride > 1 else None
        # Exists whenever channels change (checkpoints hold it), used only when levels == 1.
        self.project = None
        if in_channels != out_channels:
            self.project = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=1, bias=False),
                nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM))

    def forward(self, x, children=None):
        children = [] if children is None else children
        bottom = self.downsample(x) if self.downsample is not None else x
        if self.level_root:
            children.append(bottom)
        if self.levels == 1:
            residual = self.project(bottom) if self.project is not None else bottom
            x1 = self.tree1(x, residual)
            x2 = self.tree2(x1)
            return self.root(x2, x1, *children)
        x1 = self.tree1(x)
        children.append(x1)
        return self.tree2(x1, children=children)


class DLA(nn.Module):
    """The DLA backbone; ``forward`` returns the six level outputs (strides 1, 2, 4, 8, 16, 32)."""

    def __init__(self, levels, channels, num_classes=1000, block=BasicBlock, residual_root=False):
        super().__init__()
        self.channels = channels
        self.base_layer = nn.Sequential(
            nn.Conv2d(3, channels[0], kernel_size=7, stride=1, padding=3, bias=False),
            nn.BatchNorm2d(channels[0], momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True))
        self.level0 = self._conv_level(channels[0], channels[0], levels[0])
        self.level1 = self._conv_level(channels[0], channels[1], levels[1], stride=2)
        self.level2 = Tree(levels[2], block, channels[1], channels[2], 2, level_root=False,
                           root_residual=residual_root)
        self.level3 = Tree(levels[3], block, channels[2], channels[3], 2, level_root=True,
                           root_residual=residual_root)
        self.level4 = Tree(levels[4], block, channels[3], channels[4], 2, level_root=True,
                           root_residual=residual_root)
        self.level5 = Tree(levels[5], block, channels[4], channels[5], 2, level_root=True,
                           root_residual=residual_root)
        # ImageNet classifier: unused for tracking, kept so ImageNet and FairMOT checkpoints load strictly
        self.fc = nn.Conv2d(channels[-1], num_classes, kernel_size=1, stride=1, padding=0, bias=True)

    @staticmethod
    def _conv_level(inplanes, planes, convs, stride=1, dilation=1):
        modules = []
        for i in range(convs):
            modules += [
                nn.Conv2d(inplanes, planes, kernel_size=3, stride=stride if i == 0 else 1,
                          padding=dilation, bias=False, dilation=dilation),
                nn.BatchNorm2d(planes, momentum=BN_MOMENTUM),
                nn.ReLU(inplace=True)]
            inplanes = planes
        return nn.Sequential(*modules)

    def forward(self, x):
        x = self.base_layer(x)
        levels = []
        for i in range(6):
            x = getattr(self, f"level{i}")(x)
            levels.append(x)
        return levels


def dla34_backbone():
    return DLA([1, 1, 1, 2, 2, 1], [16, 32, 64, 128, 256, 512], block=BasicBlock)


class DeformConv(nn.Module):
    """DCN 3x3 + BatchNorm + ReLU (names ``conv.*`` and ``actf.0.*``); ``deformable=False``: a
    plain 3x3 convolution without bias in the DCN's place (FairMOT's ``dlaconv``)."""

    def __init__(self, in_channels, out_channels, deformable=True):
        super().__init__()
        self.actf = nn.Sequential(nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
        if deformable:
            self.conv = DCN(in_channels, out_channels, kernel_size=3, stride=1, padding=1, dilation=1)
        else:
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)

    def forward(self, x):
        return self.actf(self.conv(x))


class IDAUp(nn.Module):
    """Iterative deep aggregation: projects, upsamples and merges layers[start+1:end] in place."""

    def __init__(self, out_channels, channels, up_factors, deformable=True):
        super().__init__()
        for i in range(1, len(channels)):
            f = int(up_factors[i])
            setattr(self, f"proj_{i}", DeformConv(channels[i], out_channels, deformable))
            up = nn.ConvTranspose2d(out_channels, out_channels, f * 2, stride=f, padding=f // 2,
                                    output_padding=0, groups=out_channels, bias=False)
            fill_up_weights(up)
            setattr(self, f"up_{i}", up)
            setattr(self, f"node_{i}", DeformConv(out_channels, out_channels, deformable))

    def forward(self, layers, start, end):
        for i in range(start + 1, end):
            j = i - start
            upsampled = getattr(self, f"up_{j}")(getattr(self, f"proj_{j}")(layers[i]))
            layers[i] = getattr(self, f"node_{j}")(upsampled + layers[i - 1])


class DLAUp(nn.Module):
    def __init__(self, first_level, channels, scales, deformable=True):
        super().__init__()
        self.first_level = first_level
        in_channels = list(channels)
        scales = np.array(scales, dtype=int)
        for i in range(len(channels) - 1):
            j = -i - 2
            setattr(self, f"ida_{i}", IDAUp(channels[j], in_channels[j:], scales[j:] // scales[j], deformable))
            scales[j + 1:] = scales[j]
            in_channels[j + 1:] = [channels[j]] * len(in_channels[j + 1:])

    def forward(self, layers):
        out = [layers[-1]]
        for i in range(len(layers) - self.first_level - 1):
            getattr(self, f"ida_{i}")(layers, len(layers) - i - 2, len(layers))
            out.insert(0, layers[-1])
        return out


class DLASeg(HeadsMixin, nn.Module):
    """DLA backbone + DLAUp + IDAUp to a 64-channel stride-4 map, then the output heads;
    ``deformable=False``: plain convolutions in the upsampling path (FairMOT's ``dlaconv_34``)."""

    def __init__(self, heads, head_conv=256, down_ratio=4, last_level=5, deformable=True):
        super().__init__()
        if down_ratio not in (2, 4, 8, 16):
            raise ValueError(f"down_ratio must be 2, 4, 8 or 16, got {down_ratio}")
        self.first_level = int(np.log2(down_ratio))
        self.last_level = last_level
        self.base = dla34_backbone()
        channels = self.base.channels
        scales = [2 ** i for i in range(len(channels[self.first_level:]))]
        self.dla_up = DLAUp(self.first_level, channels[self.first_level:], scales, deformable)
        out_channels = channels[self.first_level]
        self.ida_up = IDAUp(out_channels, channels[self.first_level:self.last_level],
                            [2 ** i for i in range(self.last_level - self.first_level)], deformable)
        self._add_heads(heads, out_channels, head_conv)

    def forward(self, x):
        levels = self.dla_up(self.base(x))
        y = levels[:self.last_level - self.first_level]  # ida_up replaces list entries, not tensors
        self.ida_up(y, 0, len(y))
        return self._run_heads(y[-1])
