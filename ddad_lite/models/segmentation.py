"""Segmentation models: logits (B, C, H, W) at the input size, from any input size.

Every model here is fully convolutional and ends by resizing its logits (bilinear) to the
input's height and width, so a student distilled on 128-pixel generated images is evaluated
on whole 256x341 CamVid frames without change. Interface (after timm, for dense outputs):
`forward_features(x)` returns the feature map before the classifier, `forward_head(f, size)`
the logits at `size`, and `forward(x)` both in sequence (a tensor, not torchvision's dict).

- `deeplabv3_resnet50`: DFAD's teacher, torchvision's dilated ResNet-50 (output stride 8) and
  DFAD's DeepLabV3 head (`network/segmentation/_deeplab.py`, lines 29-37): ASPP with atrous
  rates 12, 24, 32 (torchvision's are 12, 24, 36: `atrous_rates=(12, 24, 36)`), no auxiliary
  head, dropout 0.5 after the ASPP projection (DFAD trains its teacher with 0.5).
- `deeplabv3_mobilenetv2`: DFAD's student (`network/segmentation/deeplabv3.py`, lines
  9-25, 47-59): DFAD's MobileNetV2 (`models/mobilenet.py`: 320 output channels, dilated to
  `output_stride` 8 with DFAD's lagging dilations and fixed padding) under the same head,
  dropout 0.5 (`dropout_p=0.5` in DFAD_camvid_deeplab.py, line 161). `backbone="torchvision"`
  is the kit's earlier student: torchvision's MobileNetV2 features with their 1280-channel
  tail, dilated block by block (about twice the parameters), the only one that can start
  from ImageNet weights (`pretrained_backbone=True`).
- `segnet_teacher` / `segnet_student`: tiny encoder-decoders with BatchNorm for the embedded
  `scenes` default, fast on a CPU: [conv 3x3 - BN - ReLU] x 2 per encoder stage with max-pool
  between stages, and a decoder that upsamples, adds the encoder's skip connection (1x1
  projection) and refines with one conv 3x3 - BN - ReLU per stage.

ImageNet backbone weights are off by default (no download); `pretrained_backbone=True` asks
torchvision for them when online.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import register
from .mobilenet import DilatedMobileNetV2


def _resize(logits: torch.Tensor, size) -> torch.Tensor:
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


class DenseModel(nn.Module):
    """`backbone` (image -> feature map) then `head` (feature map -> logits), resized."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward_features(self, x):
        return self.backbone(x)

    def forward_head(self, features, size):
        return _resize(self.head(features), size)

    def forward(self, x):
        return self.forward_head(self.forward_features(x), x.shape[-2:])


# ---- DFAD's pair ------------------------------------------------------------------------------
class _ResNetTrunk(nn.Module):
    """A torchvision ResNet without pooling and classifier: image -> last feature map."""

    def __init__(self, resnet):
        super().__init__()
        self.stem = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        self.layers = nn.Sequential(resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4)

    def forward(self, x):
        return self.layers(self.stem(x))


DFAD_ATROUS_RATES = (12, 24, 32)


def deeplab_head(in_channels, num_classes, *, atrous_rates=DFAD_ATROUS_RATES, dropout=0.5):
    """ASPP (1x1, three dilated 3x3, image pooling; 256 channels each) - 1x1 projection - BN -
    ReLU - dropout, then conv 3x3 - BN - ReLU - 1x1 conv to the classes."""
    from torchvision.models.segmentation.deeplabv3 import DeepLabHead  # import cost: torchvision

    head = DeepLabHead(in_channels, num_classes, atrous_rates=tuple(atrous_rates))
    for m in head.modules():
        if isinstance(m, nn.Dropout):
            m.p = dropout
    return head


@register
def deeplabv3_resnet50(*, num_classes=11, channels=3, pretrained_backbone=False,
                       atrous_rates=DFAD_ATROUS_RATES, dropout=0.5):
    """DeepLabV3 with a ResNet-50 dilated to output stride 8 (DFAD's teacher)."""
    from torchvision.models import ResNet50_Weights, resnet50  # import cost: torchvision

    _check_rgb(channels)
    weights = ResNet50_Weights.IMAGENET1K_V1 if pretrained_backbone else None
    resnet = resnet50(weights=weights, replace_stride_with_dilation=[False, True, True])
    return DenseModel(_ResNetTrunk(resnet), deeplab_head(2048, num_classes,
                                                         atrous_rates=atrous_rates,
                                                         dropout=dropout))


def _dilate_mobilenet(features: nn.Sequential, output_stride: int) -> None:
    """Turn the last stride-2 blocks of MobileNetV2 into dilated stride-1 blocks."""
    stride, dilation = 1, 1
    for block in features:
        convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
        block_stride = max(c.stride[0] for c in convs)
        if stride * block_stride > output_stride:
            dilation *= block_stride
            block_stride = 1
        else:
            stride *= block_stride
        for conv in convs:
            if conv.kernel_size[0] == 3:
                conv.stride = (block_stride, block_stride) if conv.stride[0] > 1 else (1, 1)
                conv.dilation, conv.padding = (dilation, dilation), (dilation, dilation)


@register
def deeplabv3_mobilenetv2(*, num_classes=11, channels=3, pretrained_backbone=False,
                          output_stride=8, backbone="dfad", atrous_rates=DFAD_ATROUS_RATES,
                          dropout=0.5):
    """DeepLabV3 on MobileNetV2 features dilated to `output_stride` (DFAD's student)."""
    from torchvision.models import MobileNet_V2_Weights, mobilenet_v2  # import cost: torchvision

    _check_rgb(channels)
    if output_stride not in (8, 16, 32):
        raise ValueError(f"output_stride must be 8, 16 or 32, got {output_stride}")
    if backbone == "dfad":
        if pretrained_backbone:
            raise ValueError("DFAD's MobileNetV2 has no downloadable ImageNet weights (DFAD "
                             "trains it from scratch); use backbone='torchvision'")
        features, width = DilatedMobileNetV2(output_stride=output_stride), 320
    elif backbone == "torchvision":
        weights = MobileNet_V2_Weights.IMAGENET1K_V1 if pretrained_backbone else None
        features, width = mobilenet_v2(weights=weights).features, 1280
        _dilate_mobilenet(features, output_stride)
    else:
        raise ValueError(f"backbone must be 'dfad' or 'torchvision', got {backbone!r}")
    return DenseModel(features, deeplab_head(width, num_classes, atrous_rates=atrous_rates,
                                             dropout=dropout))


def _check_rgb(channels):
    if channels != 3:
        raise ValueError(f"the DeepLabV3 models take RGB images (channels=3), got {channels}")


# ---- the embedded default's small pair ---------------------------------------------------------
def _conv_bn_relu(cin, cout, kernel=3):
    return [nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


class SegNet(nn.Module):
    """A small U-Net-like encoder-decoder (additive skips) with BatchNorm."""

    def __init__(self, *, widths=(16, 32, 64), num_classes=6, channels=3):
        super().__init__()
        self.encoder = nn.ModuleList()
        cin = channels
        for i, w in enumerate(widths):
            pool = [nn.MaxPool2d(2)] if i > 0 else []
            self.encoder.append(nn.Sequential(*pool, *_conv_bn_relu(cin, w),
                                              *_conv_bn_relu(w, w)))
            cin = w
        # Decoder, deepest first: project the skip to the current width, add, refine.
        self.skips = nn.ModuleList()
        self.refine = nn.ModuleList()
        for w_skip in reversed(widths[:-1]):
            self.skips.append(nn.Sequential(*_conv_bn_relu(w_skip, cin, kernel=1)))
            self.refine.append(nn.Sequential(*_conv_bn_relu(cin, w_skip)))
            cin = w_skip
        self.classifier = nn.Conv2d(cin, num_classes, 1)

    def forward_features(self, x):
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
        for skip, project, refine in zip(reversed(skips[:-1]), self.skips, self.refine,
                                             strict=True):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = refine(x + project(skip))
        return x

    def forward_head(self, features, size):
        return _resize(self.classifier(features), size)

    def forward(self, x):
        return self.forward_head(self.forward_features(x), x.shape[-2:])


@register
def segnet_teacher(*, num_classes=6, channels=3, widths=(16, 32, 64)):
    return SegNet(widths=widths, num_classes=num_classes, channels=channels)


@register
def segnet_student(*, num_classes=6, channels=3, widths=(8, 16, 32)):
    return SegNet(widths=widths, num_classes=num_classes, channels=channels)
