"""ResNet with deformable-convolution upsampling (``resdcn_18``, ``resdcn_34``), as CenterNet's
``resnet_dcn``: a lighter backbone for CPU users, with the same heads and output stride 4.

Layout and parameter names follow the original (``conv1``, ``layer1..4``, ``deconv_layers``),
so its checkpoints load strictly.
"""
import torch.nn as nn

from .common import BN_MOMENTUM, HeadsMixin
from .deform_conv import DCN


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


def _bilinear_deconv_init(up):
    """Each output channel starts as a bilinear upsampling of the same input channel.

    (The original writes the bilinear kernel only into output channel 0 of every input channel,
    which sums all channels into one; identity-per-channel is the evident intent.)
    """
    import math
    k = up.weight.size(2)
    f = math.ceil(k / 2)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    kernel = up.weight.new_tensor([[(1 - abs(i / f - c)) * (1 - abs(j / f - c)) for j in range(k)]
                                   for i in range(k)])
    nn.init.zeros_(up.weight)
    for ch in range(min(up.weight.size(0), up.weight.size(1))):
        up.weight.data[ch, ch] = kernel


class ResNetBackbone(HeadsMixin, nn.Module):
    """The ResNet stem and stages (``conv1``, ``bn1``, ``layer1..4``) of CenterNet's ResNet networks;
    ``width`` is the channel count of the first stage."""

    def _make_backbone(self, layers, width):
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(8 * width, layers[3], stride=2)

    def _stages(self, x):
        """The four stages' outputs, strides 4, 8, 16, 32."""
        c1 = self.layer1(self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        c2 = self.layer2(c1)
        c3 = self.layer3(c2)
        return c1, c2, c3, self.layer4(c3)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes, momentum=BN_MOMENTUM))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)



class ResNetDCN(ResNetBackbone):
    """``width`` is the channel count of the first stage (64 in the original; 32 for the slim
    ``resdcn_18_w32``, a quarter of the parameters)."""

    def __init__(self, layers, heads, head_conv=256, width=64):
        super().__init__()
        self._make_backbone(layers, width)
        self.deconv_layers = self._make_deconv_layers([4 * width, 2 * width, width])
        self._add_heads(heads, width, head_conv)

    def _make_deconv_layers(self, filters):
        layers = []
        for planes in filters:
            up = nn.ConvTranspose2d(planes, planes, kernel_size=4, stride=2, padding=1, output_padding=0,
                                    bias=False)
            _bilinear_deconv_init(up)
            layers += [DCN(self.inplanes, planes, kernel_size=3, stride=1, padding=1),
                       nn.BatchNorm2d(planes, momentum=BN_MOMENTUM), nn.ReLU(inplace=True),
                       up, nn.BatchNorm2d(planes, momentum=BN_MOMENTUM), nn.ReLU(inplace=True)]
            self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        return self._run_heads(self.deconv_layers(self._stages(x)[-1]))
