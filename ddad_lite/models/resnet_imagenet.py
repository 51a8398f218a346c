"""ImageNet-style ResNets from torchvision (`resnet18`, `resnet34`) for 128 px inputs.

DFAD's Caltech101 setting distils torchvision's ResNet-34 into ResNet-18 at 128 px. The
torchvision network is wrapped to the kit's classifier interface (`forward_features`,
`forward_head`). No weights are downloaded: `pretrained=True` asks torchvision for ImageNet
weights and needs a network connection.
"""

import torch
import torch.nn as nn
import torchvision

from . import register


class TorchvisionResNet(nn.Module):
    def __init__(self, arch: str, *, num_classes=1000, channels=3, pretrained=False):
        super().__init__()
        weights = "DEFAULT" if pretrained else None
        net = getattr(torchvision.models, arch)(weights=weights)
        if channels != 3:
            net.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
        self.num_features = net.fc.in_features
        net.fc = nn.Linear(self.num_features, num_classes)
        self.net = net

    def forward_features(self, x):
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        return torch.flatten(n.avgpool(x), 1)

    def forward_head(self, features):
        return self.net.fc(features)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@register
def resnet18(*, num_classes=1000, channels=3, pretrained=False):
    return TorchvisionResNet("resnet18", num_classes=num_classes, channels=channels,
                             pretrained=pretrained)


@register
def resnet34(*, num_classes=1000, channels=3, pretrained=False):
    return TorchvisionResNet("resnet34", num_classes=num_classes, channels=channels,
                             pretrained=pretrained)
