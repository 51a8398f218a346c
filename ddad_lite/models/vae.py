"""A small convolutional VAE for generative pseudo replay (PRE-DFKD, Binici et al. 2022).

Encoder: three stride-2 4x4 convolutions (width w, 2w, 4w; LeakyReLU 0.2) -> mu, log var of
a latent of size `latent`. Decoder: a linear layer to (4w) x (s/8) x (s/8), three stride-2
transposed convolutions back to the image (no output activation: images stay in the
normalised units that G produces). With `logits`, a linear head also decodes the teacher's
logits from the latent, as in PRE-DFKD's public code. Image sizes must be divisible by 8.

    x_hat, t_hat, mu, logvar = vae(x, noise)   # noise ~ N(0, I), shape (B, latent)
    x_new, t_new = vae.decode(z)               # z ~ N(0, I): the replayed samples
"""

import torch
import torch.nn as nn

from . import register


class ConvVAE(nn.Module):
    def __init__(self, *, channels=3, img_size=32, num_classes=10, latent=64, width=32,
                 logits=True):
        super().__init__()
        if img_size % 8:
            raise ValueError(f"conv_vae needs img_size divisible by 8, got {img_size}")
        w, self.latent, self.init_size = width, latent, img_size // 8
        act = nn.LeakyReLU(0.2, inplace=True)
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), act,
            nn.Conv2d(w, 2 * w, 4, 2, 1), act,
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), act,
            nn.Flatten(),
        )
        flat = 4 * w * self.init_size**2
        self.to_stats = nn.Linear(flat, 2 * latent)
        self.project = nn.Linear(latent, flat)
        self.decoder = nn.Sequential(
            nn.LeakyReLU(0.2, inplace=True),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), act,
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), act,
            nn.ConvTranspose2d(w, channels, 4, 2, 1),
        )
        self.logit_head = nn.Linear(latent, num_classes) if logits else None

    def encode(self, x):
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, z):
        h = self.project(z).view(z.shape[0], -1, self.init_size, self.init_size)
        t_hat = self.logit_head(z) if self.logit_head is not None else None
        return self.decoder(h), t_hat

    def forward(self, x, noise):
        mu, logvar = self.encode(x)
        z = mu + noise * torch.exp(0.5 * logvar)  # the reparameterisation trick
        x_hat, t_hat = self.decode(z)
        return x_hat, t_hat, mu, logvar


@register
def conv_vae(*, channels=3, img_size=32, num_classes=10, latent=64, width=32, logits=True):
    return ConvVAE(channels=channels, img_size=img_size, num_classes=num_classes,
                   latent=latent, width=width, logits=logits)
