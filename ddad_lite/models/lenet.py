"""LeNet-5 and LeNet-5-half for MNIST, as in DAFL (Chen et al., 2019) and DFAD.

LeCun et al. (1998). Input 1x32x32 (MNIST padded from 28): conv 5x5 (6) - pool - conv 5x5
(16) - pool - conv 5x5 (120) - fc 84 - fc classes; the half model halves every width
(3, 8, 60, 42). `bn=True` adds a BatchNorm after each convolution: the published LeNets have
none, which leaves DDAD's BN term nothing to match, so the kit's MNIST DDAD recipe uses this
variant for the teacher and says so.

`forward_features` is the flattened output of the last convolution (120-d; 60-d for the
half model), the `feature` that DAFL's LeNet returns with `out_feature=True` and that its
activation loss reads (huawei-noah/Efficient-Computing, Data-Efficient-Model-Compression/
DAFL/lenet.py, lines 36 and 72); `forward_head` is fc - ReLU - fc. The logits are the same
whichever way the network is split.
"""

import torch
import torch.nn as nn

from . import register


class LeNet5(nn.Module):
    def __init__(self, *, widths=(6, 16, 120, 84), num_classes=10, channels=1, bn=False):
        super().__init__()
        c1, c2, c3, f4 = widths

        def conv(cin, cout):
            layers = [nn.Conv2d(cin, cout, 5)]
            if bn:
                layers.append(nn.BatchNorm2d(cout))
            return layers + [nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *conv(channels, c1), nn.MaxPool2d(2, 2),
            *conv(c1, c2), nn.MaxPool2d(2, 2),
            *conv(c2, c3),
        )
        self.fc = nn.Sequential(nn.Linear(c3, f4), nn.ReLU(inplace=True))
        self.head = nn.Linear(f4, num_classes)
        self.num_features = c3

    def forward_features(self, x):
        return torch.flatten(self.features(x), 1)  # conv3's output, as DAFL reads it

    def forward_head(self, features):
        return self.head(self.fc(features))

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@register
def lenet5(*, num_classes=10, channels=1, bn=False):
    return LeNet5(widths=(6, 16, 120, 84), num_classes=num_classes, channels=channels, bn=bn)


@register
def lenet5_half(*, num_classes=10, channels=1, bn=False):
    return LeNet5(widths=(3, 8, 60, 42), num_classes=num_classes, channels=channels, bn=bn)
