"""CIFAR ResNets as used by DFAD and DDAD (`resnet18_8x`, `resnet34_8x`).

He et al., "Deep Residual Learning for Image Recognition" (2016), adapted to 32x32 inputs as
in DFAD (Fang et al., 2019): a 3x3 stem with no max-pool, stages of strides 1-2-2-2 and a 4x4
average pool. Parameter names (`conv1`, `bn1`, `layer1..4`, `linear`, blocks with `shortcut`)
match the teachers published with DFAD, so `cifar10-resnet34_8x.pt` state dicts load as they
are.

`init="torch"` (the default) keeps torch's default initialisation (Kaiming-uniform with
a = sqrt(5): std about 0.024 for a 3x3 64->64 conv); `init="kaiming"` is DFAD's
(network/resnet_8x.py, lines 73-78): every conv Kaiming-normal with mode fan_out for ReLU,
std sqrt(2 / (out_channels x kh x kw)), about 0.059 for the same conv; BatchNorm weight 1 and
bias 0; the linear head keeps torch's default. The CIFAR `full` recipes ask for DFAD's.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import UserError
from . import register

INITS = ("torch", "kaiming")


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    def __init__(self, num_blocks, *, num_classes=10, channels=3, init="torch"):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(64, num_blocks[0], 1)
        self.layer2 = self._make_layer(128, num_blocks[1], 2)
        self.layer3 = self._make_layer(256, num_blocks[2], 2)
        self.layer4 = self._make_layer(512, num_blocks[3], 2)
        self.linear = nn.Linear(512 * BasicBlock.expansion, num_classes)
        self.num_features = 512 * BasicBlock.expansion
        if init not in INITS:
            raise UserError(f"init must be one of {INITS}, not {init!r}")
        if init == "kaiming":
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def _make_layer(self, planes, n, stride):
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes * BasicBlock.expansion
        return nn.Sequential(*layers)

    def forward_features(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        # DFAD pools 4x4 maps with a 4x4 window; adaptive pooling equals that at 32 px.
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)

    def forward_head(self, features):
        return self.linear(features)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@register
def resnet18_8x(*, num_classes=10, channels=3, init="torch"):
    return ResNetCifar([2, 2, 2, 2], num_classes=num_classes, channels=channels, init=init)


@register
def resnet34_8x(*, num_classes=10, channels=3, init="torch"):
    return ResNetCifar([3, 4, 6, 3], num_classes=num_classes, channels=channels, init=init)
