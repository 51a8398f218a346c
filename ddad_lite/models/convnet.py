"""Small BatchNorm convnets for the embedded `shapes` default: quick to train on a CPU.

A VGG-like stack of [conv 3x3 - BN - ReLU] x 2 per stage, max-pool between stages, global
average pool and a linear head. `convnet_teacher` is four times wider than
`convnet_student`, so distillation has a real gap in capacity to bridge; `*_half` are the
same pair at half width (the `shapes` recipe's). `bn=False` drops the BatchNorms (the convs
then have biases, Kaiming-normal fan-in weights and zero biases: the 6-conv stack at torch's
default init stayed at chance in the shapes teacher recipe): a BN-free teacher, as DFAD's
protocol uses on MNIST, for comparison.
"""

import torch
import torch.nn as nn

from . import register


class ConvNet(nn.Module):
    def __init__(self, *, widths=(32, 64, 128), num_classes=10, channels=3, bn=True):
        super().__init__()
        layers, cin = [], channels
        for i, w in enumerate(widths):
            if i > 0:
                layers.append(nn.MaxPool2d(2))
            for _ in range(2):
                layers += [nn.Conv2d(cin, w, 3, padding=1, bias=not bn),
                           *([nn.BatchNorm2d(w)] if bn else []), nn.ReLU(inplace=True)]
                cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, num_classes)
        self.num_features = cin
        if not bn:  # a plain stack at torch's default init does not train (README, shapes)
            for m in self.features:
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    nn.init.zeros_(m.bias)

    def forward_features(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)

    def forward_head(self, features):
        return self.head(features)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@register
def convnet_teacher(*, num_classes=10, channels=3, bn=True, widths=(32, 64, 128)):
    return ConvNet(widths=tuple(widths), num_classes=num_classes, channels=channels, bn=bn)


@register
def convnet_student(*, num_classes=10, channels=3, bn=True, widths=(16, 32, 64)):
    return ConvNet(widths=tuple(widths), num_classes=num_classes, channels=channels, bn=bn)


# The half-width pair of the embedded `shapes` recipe: cheap enough for the lessons on 2 CPU
# cores, still a 99% teacher there, and the student as far below it as the full-width pair's.
@register
def convnet_teacher_half(*, num_classes=10, channels=3, bn=True):
    return ConvNet(widths=(16, 32, 64), num_classes=num_classes, channels=channels, bn=bn)


@register
def convnet_student_half(*, num_classes=10, channels=3, bn=True):
    return ConvNet(widths=(8, 16, 32), num_classes=num_classes, channels=channels, bn=bn)
