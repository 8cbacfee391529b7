"""DLA-34 with CenterNet's first upsampling path (``dlav0_34``, FairMOT's ``dlav0``).

The backbone is ``dla_34``'s (the same DLA-34, ``base.*``); the upsampling differs: each
aggregation node projects a level with a 1x1 convolution (none where the channels already
match), upsamples it with a fixed bilinear transposed convolution, and merges it with the level
above by a 3x3 convolution over their concatenation. No deformable convolution, no final IDA-up:
the heads read DLAUp's stride-4 output. Names and shapes follow the original ``dlav0.py``.
"""
import numpy as np
import torch
import torch.nn as nn

from .common import HeadsMixin, fill_up_weights
from .dla import dla34_backbone


def _conv_bn_relu(in_channels, out_channels, kernel_size):
    # the original's BatchNorm2d at PyTorch's default momentum (0.1)
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=kernel_size // 2,
                                   bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class IDAUpV0(nn.Module):
    """Projects and upsamples every level to ``out_channels`` at the first level's scale, then
    merges them in turn: ``node_i(cat(x, level_i))``. Returns the last merge and every merge."""

    def __init__(self, out_channels, channels, up_factors, node_kernel=3):
        super().__init__()
        for i, c in enumerate(channels):
            setattr(self, f"proj_{i}", nn.Identity() if c == out_channels else _conv_bn_relu(c, out_channels, 1))
            f = int(up_factors[i])
            if f == 1:
                up = nn.Identity()
            else:
                up = nn.ConvTranspose2d(out_channels, out_channels, f * 2, stride=f, padding=f // 2,
                                        output_padding=0, groups=out_channels, bias=False)
                fill_up_weights(up)
            setattr(self, f"up_{i}", up)
        for i in range(1, len(channels)):
            setattr(self, f"node_{i}", _conv_bn_relu(2 * out_channels, out_channels, node_kernel))
        self.count = len(channels)

    def forward(self, layers):
        layers = [getattr(self, f"up_{i}")(getattr(self, f"proj_{i}")(x)) for i, x in enumerate(layers)]
        x, merged = layers[0], []
        for i in range(1, len(layers)):
            x = getattr(self, f"node_{i}")(torch.cat([x, layers[i]], 1))
            merged.append(x)
        return x, merged


class DLAUpV0(nn.Module):
    def __init__(self, channels, scales):
        super().__init__()
        in_channels, scales = list(channels), np.array(scales, dtype=int)
        for i in range(len(channels) - 1):
            j = -i - 2
            setattr(self, f"ida_{i}", IDAUpV0(channels[j], in_channels[j:], scales[j:] // scales[j]))
            scales[j + 1:] = scales[j]
            in_channels[j + 1:] = [channels[j]] * len(in_channels[j + 1:])
        self.steps = len(channels) - 1

    def forward(self, layers):
        layers = list(layers)
        for i in range(self.steps):
            x, merged = getattr(self, f"ida_{i}")(layers[-i - 2:])
            layers[-i - 1:] = merged
        return x


class DLASegV0(HeadsMixin, nn.Module):
    def __init__(self, heads, head_conv=256, down_ratio=4):
        super().__init__()
        if down_ratio not in (2, 4, 8, 16):
            raise ValueError(f"down_ratio must be 2, 4, 8 or 16, got {down_ratio}")
        self.first_level = int(np.log2(down_ratio))
        self.base = dla34_backbone()
        channels = self.base.channels
        self.dla_up = DLAUpV0(channels[self.first_level:], [2 ** i for i in range(len(channels[self.first_level:]))])
        self._add_heads(heads, channels[self.first_level], head_conv)

    def forward(self, x):
        return self._run_heads(self.dla_up(self.base(x)[self.first_level:]))
