"""ResNet with a deformable feature pyramid (``resfpndcn_18``, ``resfpndcn_34``, FairMOT's ``resfpndcn``).

The ResNet stages of ``resdcn_*``, then three upsampling steps from stride 32 to 4, each a
deformable 3x3 convolution and a bilinear transposed convolution (``deconv_layer1..3``), added to
the stage of that stride through a deformable projection (``project_layer1..3``) and smoothed by
another (``smooth_layer1..3``). Names and shapes follow the original ``resnet_fpn_dcn.py``.
"""
import torch.nn as nn

from .common import BN_MOMENTUM
from .deform_conv import DCN
from .dla import DeformConv
from .resnet_dcn import ResNetBackbone, _bilinear_deconv_init


class ResNetFPNDCN(ResNetBackbone):
    def __init__(self, layers, heads, head_conv=256, width=64):
        super().__init__()
        self._make_backbone(layers, width)
        filters = (4 * width, 2 * width, width)         # strides 16, 8, 4
        for i, planes in enumerate(filters, start=1):
            setattr(self, f"deconv_layer{i}", self._make_deconv_layer(planes))
        for i, planes in enumerate(filters, start=1):
            setattr(self, f"smooth_layer{i}", DeformConv(planes, planes))
        for i, planes in enumerate(filters, start=1):
            setattr(self, f"project_layer{i}", DeformConv(planes, planes))   # BasicBlock: expansion 1
        self._add_heads(heads, width, head_conv)

    def _make_deconv_layer(self, planes):
        up = nn.ConvTranspose2d(planes, planes, kernel_size=4, stride=2, padding=1, output_padding=0, bias=False)
        _bilinear_deconv_init(up)
        layer = nn.Sequential(DCN(self.inplanes, planes, kernel_size=3, stride=1, padding=1),
                              nn.BatchNorm2d(planes, momentum=BN_MOMENTUM), nn.ReLU(inplace=True),
                              up, nn.BatchNorm2d(planes, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
        self.inplanes = planes
        return layer

    def forward(self, x):
        c1, c2, c3, c4 = self._stages(x)
        p3 = self.smooth_layer1(self.deconv_layer1(c4) + self.project_layer1(c3))
        p2 = self.smooth_layer2(self.deconv_layer2(p3) + self.project_layer2(c2))
        p1 = self.smooth_layer3(self.deconv_layer3(p2) + self.project_layer3(c1))
        return self._run_heads(p1)
