"""The VAE of generative pseudo replay, built as PRE-DFKD's public code builds it
(kuluhan/PRE-DFKD, networks/generator.py: `Encoder`, lines 98-140, and `MemoryGenerator`,
lines 52-96), with its width and latent size as settings.

Encoder E (input s x s, s divisible by 8; w the width, 128 in PRE-DFKD):

    x -> L2-normalise along the image height (F.normalize(x, p=2, dim=2), as the code does)
      -> conv3x3 (w/2), BN(eps 0.8), LReLU 0.2 -> conv3x3 (w), BN(eps 0.8), LReLU 0.2
      -> resize x0.5 -> conv3x3 stride 2 (w), BN -> resize x0.5
      -> flatten (w (s/8)^2) -> mu, log var (two linear layers to the latent)
    z = mu + eps * exp(log var / 2)                            (the reparameterisation)

Decoder V, the "memory generator" (DAFL's generator without spectral norm):

    z -> linear to w (s/4)^2 -> BN -> x2 -> conv3x3 (w), BN(eps 0.8), LReLU 0.2
      -> x2 -> conv3x3 (w/2), BN(eps 0.8), LReLU 0.2 -> conv3x3 (channels), tanh, BN (affine-free)

The BN eps of 0.8 (`BatchNorm2d(c, 0.8)`) is the code's, as are the uniform(-0.08, 0.08)
weights and zero biases of every convolution and linear layer. There is no logit head: the
teacher scores the reconstruction (methods/replay.py).

    x_hat, mu, logvar = vae(x, noise)   # noise ~ N(0, I), shape (B, latent)
    x_new = vae.decode(z)               # z ~ N(0, I): replayed samples (normalised units)
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import register


def _conv_bn(c_in, c_out, *, stride=1, eps=0.8, act=True):
    layers = [nn.Conv2d(c_in, c_out, 3, stride, 1), nn.BatchNorm2d(c_out, eps=eps)]
    return nn.Sequential(*layers, *([nn.LeakyReLU(0.2, inplace=True)] if act else []))


class ReplayEncoder(nn.Module):
    def __init__(self, *, channels, img_size, latent, width):
        super().__init__()
        self.block0 = _conv_bn(channels, width // 2)
        self.block1 = _conv_bn(width // 2, width)
        self.block2 = _conv_bn(width, width, stride=2, eps=1e-5, act=False)
        flat = width * (img_size // 8) ** 2
        self.fc_mu = nn.Linear(flat, latent)
        self.fc_var = nn.Linear(flat, latent)

    def forward(self, x):
        h = self.block1(self.block0(F.normalize(x, p=2, dim=2)))
        h = self.block2(F.interpolate(h, scale_factor=0.5))
        h = F.interpolate(h, scale_factor=0.5).flatten(1)
        return self.fc_mu(h), self.fc_var(h)


class ReplayDecoder(nn.Module):
    def __init__(self, *, channels, img_size, latent, width):
        super().__init__()
        self.width, self.init_size = width, img_size // 4
        self.project = nn.Linear(latent, width * self.init_size**2)
        self.bn0 = nn.BatchNorm2d(width)
        self.block1 = _conv_bn(width, width)
        self.block2 = _conv_bn(width, width // 2)
        self.out = nn.Sequential(nn.Conv2d(width // 2, channels, 3, 1, 1), nn.Tanh(),
                                 nn.BatchNorm2d(channels, affine=False))

    def forward(self, z):
        h = self.bn0(self.project(z).view(len(z), self.width, self.init_size, self.init_size))
        h = self.block1(F.interpolate(h, scale_factor=2))
        h = self.block2(F.interpolate(h, scale_factor=2))
        return self.out(h)


class ReplayVAE(nn.Module):
    def __init__(self, *, channels=3, img_size=32, latent=1000, width=128):
        super().__init__()
        if img_size % 8 or width % 2:
            raise ValueError(f"replay_vae needs img_size divisible by 8 and an even width, "
                             f"got {img_size} and {width}")
        self.latent = latent
        self.encoder = ReplayEncoder(channels=channels, img_size=img_size, latent=latent,
                                     width=width)
        self.decoder = ReplayDecoder(channels=channels, img_size=img_size, latent=latent,
                                     width=width)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.uniform_(m.weight, -0.08, 0.08)
                nn.init.zeros_(m.bias)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x, noise):
        mu, logvar = self.encoder(x)
        z = mu + noise * torch.exp(0.5 * logvar)  # the reparameterisation trick
        return self.decoder(z), mu, logvar


@register
def replay_vae(*, channels=3, img_size=32, latent=1000, width=128):
    return ReplayVAE(channels=channels, img_size=img_size, latent=latent, width=width)
