"""Generators G: z ~ N(0, I) of shape (B, nz) -> images x = G(z).

`generator_a` is DFAD's GeneratorA (after DAFL's generator; DFAD `network/gan.py`, lines
12-44): a linear layer to a (2 ngf) x (s/4) x (s/4) map, BN, two nearest upsamplings each
followed by conv 3x3 - BN - LeakyReLU(0.2), a conv to the image channels, tanh, and a final
affine-free BatchNorm that puts the images on the scale of normalised data:

    x = BN_affine-free(tanh(conv(h))),   h = blocks(BN(reshape(W z + b)))

PyTorch's default initialisation, as DFAD's. DFAD's two convolutions followed by BN carry a
bias (`conv_bias=True`, set by the DFAD recipes: CIFAR, MNIST); the default `False` is the
kit's lighter variant, kept by the embedded `shapes` and `scenes` recipes and notebook 02
(the biases cancel in training-mode BN, so only the random initialisation stream differs).

`generator_dafl` is DAFL's generator (huawei-noah/Efficient-Computing, Data-Efficient-Model-
Compression/DAFL/DAFL-train.py, lines 54-86): the same network as `generator_a` with ngf 64
(128 and 64 channels), except that its two inner BatchNorms are `nn.BatchNorm2d(C, 0.8)`,
i.e. eps = 0.8 (the second positional argument is eps), which damps their normalisation.
DAFL's convolutions before those BNs carry a bias (`conv_bias=True`); the kit leaves it out by
default: in training mode a BN removes a per-channel constant exactly, so the output is the same.

`generator_b` is DFAD's DCGAN-style GeneratorB (DFAD `network/gan.py`, lines 47-102) for
larger images (sizes divisible by 16): a linear layer to (8 ngf) x (s/16) x (s/16), BN, four
stride-2 transposed convolutions 4x4 (no bias) each followed by BN and LeakyReLU(0.2), a conv
3x3 to the image channels and tanh, so x lies in [-1, 1]. DCGAN's initialisation: conv,
transposed-conv and linear weights ~ N(0, 0.02) with zero biases, BN weights ~ N(1, 0.02)
with zero biases. The kit's earlier variant (a LeakyReLU after the first BN, an affine-free
BN after tanh, PyTorch's default initialisation) is `first_activation=True,
output_bn=True, dcgan_init=False`.
"""

import torch.nn as nn

from . import register


class GeneratorA(nn.Module):
    def __init__(self, *, nz=256, ngf=64, img_size=32, channels=3, conv_bias=False,
                 bn_eps=1e-5):
        super().__init__()
        if img_size % 4:
            raise ValueError(f"generator_a needs img_size divisible by 4, got {img_size}")
        self.nz, self.init_size = nz, img_size // 4
        self.project = nn.Linear(nz, ngf * 2 * self.init_size**2)
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(ngf * 2),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(ngf * 2, ngf * 2, 3, 1, 1, bias=conv_bias),
            nn.BatchNorm2d(ngf * 2, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(ngf * 2, ngf, 3, 1, 1, bias=conv_bias),
            nn.BatchNorm2d(ngf, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ngf, channels, 3, 1, 1),
            nn.Tanh(),
            nn.BatchNorm2d(channels, affine=False),
        )

    def forward(self, z):
        out = self.project(z.flatten(1)).view(z.shape[0], -1, self.init_size, self.init_size)
        return self.blocks(out)


class GeneratorB(nn.Module):
    def __init__(self, *, nz=256, ngf=64, img_size=128, channels=3, slope=0.2,
                 first_activation=False, output_bn=False, dcgan_init=True):
        super().__init__()
        if img_size % 16:
            raise ValueError(f"generator_b needs img_size divisible by 16, got {img_size}")
        self.nz, self.init_size = nz, img_size // 16
        self.project = nn.Linear(nz, ngf * 8 * self.init_size**2)

        def up(cin, cout):
            return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                    nn.LeakyReLU(slope, inplace=True)]

        first = [nn.LeakyReLU(slope, inplace=True)] if first_activation else []
        last = [nn.BatchNorm2d(channels, affine=False)] if output_bn else []
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(ngf * 8), *first,
            *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf), *up(ngf, ngf),
            nn.Conv2d(ngf, channels, 3, 1, 1),
            nn.Tanh(),
            *last,
        )
        if dcgan_init:
            for m in self.modules():
                if isinstance(m, (nn.ConvTranspose2d, nn.Linear, nn.Conv2d)):
                    nn.init.normal_(m.weight, 0.0, 0.02)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d) and m.affine:
                    nn.init.normal_(m.weight, 1.0, 0.02)
                    nn.init.zeros_(m.bias)

    def forward(self, z):
        out = self.project(z.flatten(1)).view(z.shape[0], -1, self.init_size, self.init_size)
        return self.blocks(out)


@register
def generator_a(*, nz=256, ngf=64, img_size=32, channels=3, conv_bias=False):
    return GeneratorA(nz=nz, ngf=ngf, img_size=img_size, channels=channels,
                      conv_bias=conv_bias)


@register
def generator_dafl(*, nz=100, ngf=64, img_size=32, channels=3, conv_bias=False):
    return GeneratorA(nz=nz, ngf=ngf, img_size=img_size, channels=channels, bn_eps=0.8,
                      conv_bias=conv_bias)


@register
def generator_b(*, nz=256, ngf=64, img_size=128, channels=3, slope=0.2,
                first_activation=False, output_bn=False, dcgan_init=True):
    return GeneratorB(nz=nz, ngf=ngf, img_size=img_size, channels=channels, slope=slope,
                      first_activation=first_activation, output_bn=output_bn,
                      dcgan_init=dcgan_init)
