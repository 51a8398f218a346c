"""MobileNetV2 features dilated to an output stride, as DFAD's segmentation student has them.

DFAD's DeepLabV3-MobileNetV2 student (`network/segmentation/mobilenet.py` in
VainF/Data-Free-Adversarial-Distillation, after jfzhang95/pytorch-deeplab-xception) is not
torchvision's MobileNetV2 with its stride removed:

- it stops at the last inverted-residual stage (320 channels): no 1x1 conv to 1280;
- the stride is removed per stage, with the dilation lagging one stage: while the network's
  stride s_net is below `output_stride`, a stage keeps its stride (s_net *= s); once s_net
  has reached it, the stage has stride 1 and dilation d = rate, then rate *= s (rate starts
  at 1). At output stride 8 the stages of 64, 96, 160, 320 channels get dilations 1, 2, 2, 4;
- each block zero-pads its *input* by the 3x3 kernel's effective reach ("fixed padding",
  pad = d on each side) and its depthwise conv pads nothing, so the padded border passes
  through the 1x1 expansion conv, BN and ReLU6 before the depthwise conv sees it;
- convolutions start from Kaiming-normal weights (fan-in), BN from weight 1, bias 0.

Blocks hold one flat `conv` Sequential ([1x1 expand, BN, ReLU6,] 3x3 depthwise, BN, ReLU6,
1x1 project, BN), so the state-dict keys are DFAD's (`features.<i>.conv.<j>.*`), and the
output of block i is x + conv(pad(x)) when stride is 1 and the widths agree, else
conv(pad(x)).
"""

from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F

# (expansion t, channels c, blocks n, stride s) of MobileNetV2's stages.
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
          (6, 160, 3, 2), (6, 320, 1, 1))
STEM_CHANNELS = 32
OUT_CHANNELS = STAGES[-1][1]


class InvertedResidual(nn.Module):
    """[1x1 expand - BN - ReLU6] - 3x3 depthwise (dilated) - BN - ReLU6 - 1x1 - BN."""

    def __init__(self, cin, cout, *, stride, dilation, expansion):
        super().__init__()
        hidden = round(cin * expansion)
        self.dilation = dilation
        self.residual = stride == 1 and cin == cout
        expand = [] if expansion == 1 else [nn.Conv2d(cin, hidden, 1, bias=False),
                                            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        self.conv = nn.Sequential(
            *expand,
            nn.Conv2d(hidden, hidden, 3, stride, 0, dilation, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        pad = self.dilation  # (3 + 2 (d - 1) - 1) / 2 on each side
        out = self.conv(F.pad(x, (pad, pad, pad, pad)))
        return x + out if self.residual else out


def stage_plan(output_stride: int):
    """[(t, c, n, stride, dilation)] per stage: DFAD's rule (see the module docstring)."""
    plan, net_stride, rate = [], 2, 1  # the stem has stride 2
    for t, c, n, s in STAGES:
        if net_stride == output_stride:
            stride, dilation, rate = 1, rate, rate * s
        else:
            stride, dilation, net_stride = s, 1, net_stride * s
        plan.append((t, c, n, stride, dilation))
    return plan


class DilatedMobileNetV2(nn.Module):
    """image (3 channels) -> 320-channel map at 1/`output_stride` of the input size."""

    def __init__(self, *, output_stride=8, channels=3):
        super().__init__()
        if output_stride not in (8, 16, 32):
            raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride}")
        layers = [nn.Sequential(nn.Conv2d(channels, STEM_CHANNELS, 3, 2, 1, bias=False),
                                nn.BatchNorm2d(STEM_CHANNELS), nn.ReLU6(inplace=True))]
        cin = STEM_CHANNELS
        for t, c, n, stride, dilation in stage_plan(output_stride):
            for i in range(n):
                layers.append(InvertedResidual(cin, c, stride=stride if i == 0 else 1,
                                               dilation=dilation, expansion=t))
                cin = c
        self.features = nn.Sequential(*layers)
        self.out_channels = cin
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.features(x)
