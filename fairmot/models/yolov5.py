"""FairMOT's light model (``yolov5s``, the original's ``yolo`` arch): the YOLOv5s backbone with a
neck that upsamples back to stride 4, and FairMOT's heads (SiLU between their two convolutions).

No deformable convolution anywhere: the architecture for CPUs and for exporters that lack one.
Parameter names follow the original (``backbone.model.<layer>.*``, the layer numbers of its
``yolov5s.yaml`` with depth 0.33 and width 0.5 applied), so ``fairmot_yolov5s.pth`` loads strictly.
Every BatchNorm has eps 1e-3 and momentum 0.03, as the original sets after building the network.
"""
import torch
import torch.nn as nn

from .common import HeadsMixin

BN_EPS = 1e-3        # set by the original after building the network, as YOLOv5 does
BN_MOMENTUM = 0.03


class Conv(nn.Module):
    """Convolution (no bias) + BatchNorm + SiLU, padded to keep the size at stride 1."""

    def __init__(self, c_in, c_out, kernel=1, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c_in, c_out, shortcut=True):
        super().__init__()
        self.cv1 = Conv(c_in, c_out, 1)
        self.cv2 = Conv(c_out, c_out, 3)
        self.add = shortcut and c_in == c_out

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    """CSP bottleneck with three convolutions: ``n`` bottlenecks on half the channels, concatenated
    with a 1x1 bypass."""

    def __init__(self, c_in, c_out, n=1, shortcut=True):
        super().__init__()
        hidden = c_out // 2
        self.cv1 = Conv(c_in, hidden, 1)
        self.cv2 = Conv(c_in, hidden, 1)
        self.cv3 = Conv(2 * hidden, c_out, 1)
        self.m = nn.Sequential(*[Bottleneck(hidden, hidden, shortcut) for _ in range(n)])

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), dim=1))


class SPP(nn.Module):
    """Spatial pyramid pooling: max pools of 5, 9 and 13 concatenated with their input."""

    def __init__(self, c_in, c_out, kernels=(5, 9, 13)):
        super().__init__()
        hidden = c_in // 2
        self.cv1 = Conv(c_in, hidden, 1)
        self.cv2 = Conv(hidden * (len(kernels) + 1), c_out, 1)
        self.m = nn.ModuleList(nn.MaxPool2d(k, stride=1, padding=k // 2) for k in kernels)

    def forward(self, x):
        x = self.cv1(x)
        return self.cv2(torch.cat([x] + [pool(x) for pool in self.m], 1))


class Focus(nn.Module):
    """Space to depth (each 2x2 pixel block into channels), then a convolution."""

    def __init__(self, c_in, c_out, kernel=1):
        super().__init__()
        self.conv = Conv(4 * c_in, c_out, kernel)

    def forward(self, x):
        return self.conv(torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1))


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


def _layers():
    """``(source, module)`` per layer of FairMOT's yolov5s.yaml (sources: -1 = the previous layer)."""
    up = lambda: nn.Upsample(scale_factor=2, mode="nearest")  # noqa: E731
    return [
        (-1, Focus(3, 32, 3)),            # 0  stride 2
        (-1, Conv(32, 64, 3, 2)),         # 1  stride 4
        (-1, C3(64, 64, 1)),              # 2
        (-1, Conv(64, 128, 3, 2)),        # 3  stride 8
        (-1, C3(128, 128, 3)),            # 4
        (-1, Conv(128, 256, 3, 2)),       # 5  stride 16
        (-1, C3(256, 256, 3)),            # 6
        (-1, Conv(256, 512, 3, 2)),       # 7  stride 32
        (-1, SPP(512, 512)),              # 8
        (-1, C3(512, 512, 1, False)),     # 9
        (-1, Conv(512, 256, 1)),          # 10 up to stride 16
        (-1, up()),                       # 11
        ((-1, 6), Concat()),              # 12
        (-1, C3(512, 256, 1, False)),     # 13
        (-1, Conv(256, 128, 1)),          # 14 up to stride 8
        (-1, up()),                       # 15
        ((-1, 4), Concat()),              # 16
        (-1, C3(256, 128, 1, False)),     # 17
        (-1, Conv(128, 64, 1)),           # 18 up to stride 4
        (-1, up()),                       # 19
        ((-1, 2), Concat()),              # 20
        (-1, C3(128, 64, 1, False)),      # 21 output: 64 channels at stride 4
    ]


class YOLOv5Backbone(nn.Module):
    """Layers in ``model`` (the original's attribute name), run in order with the skip sources."""

    OUT_CHANNELS = 64

    def __init__(self):
        super().__init__()
        layers = _layers()
        self.sources = [src for src, _ in layers]
        self.model = nn.Sequential(*[m for _, m in layers])
        self.kept = {j for src in self.sources if isinstance(src, tuple) for j in src if j >= 0}

    def forward(self, x):
        outputs = {}
        for i, (src, layer) in enumerate(zip(self.sources, self.model)):
            x = layer(x if src == -1 else [x if j == -1 else outputs[j] for j in src])
            if i in self.kept:
                outputs[i] = x
        return x


class PoseYOLOv5s(HeadsMixin, nn.Module):
    def __init__(self, heads, head_conv=64):
        super().__init__()
        self.backbone = YOLOv5Backbone()
        self._add_heads(heads, YOLOv5Backbone.OUT_CHANNELS, head_conv, activation=nn.SiLU)
        for name in self.heads:   # as the original: small box/offset/id outputs
            if name != "hm":
                nn.init.normal_(getattr(self, name)[2].weight, std=0.001)

    def forward(self, x):
        return self._run_heads(self.backbone(x))
