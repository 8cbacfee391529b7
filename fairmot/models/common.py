"""Pieces shared by the FairMOT architectures: output heads and initialisers."""
import math

import torch.nn as nn

BN_MOMENTUM = 0.1
HEATMAP_PRIOR_BIAS = -2.19  # sigmoid(-2.19) ~ 0.1: CenterNet's focal-loss prior


def fill_up_weights(up):
    """Initialise a depthwise transposed convolution to bilinear upsampling."""
    w = up.weight.data
    f = math.ceil(w.size(2) / 2)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    for i in range(w.size(2)):
        for j in range(w.size(3)):
            w[0, 0, i, j] = (1 - abs(i / f - c)) * (1 - abs(j / f - c))
    for ch in range(1, w.size(0)):
        w[ch, 0, :, :] = w[0, 0, :, :]


def make_head(in_channels, out_channels, head_conv, name, activation=nn.ReLU):
    """3x3 conv (bias) + activation + 1x1 conv (bias): parameters ``<head>.0.*`` and ``<head>.2.*``."""
    head = nn.Sequential(
        nn.Conv2d(in_channels, head_conv, kernel_size=3, padding=1, bias=True),
        activation(inplace=True),
        nn.Conv2d(head_conv, out_channels, kernel_size=1, bias=True),
    )
    if name == "hm":
        nn.init.constant_(head[-1].bias, HEATMAP_PRIOR_BIAS)
    else:  # as the original: default weights, zero biases
        nn.init.zeros_(head[0].bias)
        nn.init.zeros_(head[2].bias)
    return head


class HeadsMixin:
    """Adds one head per entry of ``heads`` and evaluates them into a dict."""

    def _add_heads(self, heads, in_channels, head_conv, activation=nn.ReLU):
        self.heads = dict(heads)
        for name, channels in self.heads.items():
            self.add_module(name, make_head(in_channels, channels, head_conv, name, activation))

    def _run_heads(self, features):
        return {name: getattr(self, name)(features) for name in self.heads}
