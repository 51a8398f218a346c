"""The equal-bytes buffer: "M+buffer", the fair baseline of generative pseudo replay.

PRE-DFKD compares its VAE with storing every synthetic sample, which no method does. The
fair comparison is a replay buffer that holds the same number of bytes as the VAE: it keeps
past synthetic images themselves and replays them exactly as "+replay" replays its VAE's
samples (rehearsal.py: the same batch share, warm-up, teacher labels and the same novel
images to learn from). Capacity, in images:

    capacity = buffer_bytes // bytes_per_image,   bytes_per_image = C * H * W * (1 | 4)

with `buffer_bytes = 0` meaning "the bytes of the VAE that +replay builds with this run's
`replay_latent` and `replay_width`" (parameters and buffers). Images are stored as
`buffer_dtype` "uint8": the data's [0, 1] range (denormalised, clamped, x 255, rounded: what
an image file keeps; values G puts outside the data's range are clipped), or "float32": the
normalised tensor as G made it (4x the bytes per image, exact). Which images stay:

    fifo       the most recent `capacity` images (a ring buffer)
    reservoir  a uniform sample of every image seen (Vitter's algorithm R: image n, counted
               from 0, replaces a random slot j ~ U{0..n} when j < capacity)

A replayed batch is drawn uniformly, with replacement, from the stored images; its order,
the buffer's contents and its RNG are saved in checkpoints, so a resumed run continues
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data import dataset_info
from ..errors import UserError
from ..models import build
from .base import Engine, Method
from .rehearsal import Rehearsal, RehearsalSettings
from .replay import vae_bytes

POLICIES = ("reservoir", "fifo")
DTYPES = {"uint8": torch.uint8, "float32": torch.float32}


@dataclass
class BufferSettings(RehearsalSettings):
    """A buffer of past synthetic images, as many bytes as the VAE by default."""

    buffer_policy: str = "reservoir"  # "reservoir" (uniform over the stream) or "fifo"
    buffer_bytes: int = 0  # 0: the bytes of the VAE of replay_latent and replay_width
    buffer_dtype: str = "uint8"  # "uint8" ([0, 1] data range) or "float32" (exact)

    def validate(self) -> None:
        super().validate()
        if self.buffer_policy not in POLICIES:
            raise UserError(f"buffer_policy {self.buffer_policy!r} is unknown; choose one of "
                            f"{', '.join(POLICIES)}")
        if self.buffer_dtype not in DTYPES:
            raise UserError(f"buffer_dtype {self.buffer_dtype!r} is unknown; choose one of "
                            f"{', '.join(DTYPES)}")
        if self.buffer_bytes < 0:
            raise UserError(f"buffer_bytes must be >= 0 (0: the VAE's bytes), not "
                            f"{self.buffer_bytes}")


class ReplayBuffer(Rehearsal):
    """Wraps a method: its batches gain stored past images; the buffer keeps novel ones."""

    name = "buffer"
    Settings = BufferSettings

    def __init__(self, cfg, base: Method):
        super().__init__(cfg, base)
        w = self.settings
        shape = (self.info.channels, self.info.image_size, self.info.image_size)
        self.dtype = DTYPES[w.buffer_dtype]
        self.image_bytes = shape[0] * shape[1] * shape[2] * self.dtype.itemsize
        self.bytes_budget = w.buffer_bytes or equal_vae_bytes(cfg, w)
        self.capacity = self.bytes_budget // self.image_bytes
        if self.capacity < 1:
            raise UserError(f"buffer_bytes {self.bytes_budget} hold no image of "
                            f"{self.image_bytes} bytes; raise buffer_bytes")
        self.images = torch.zeros((self.capacity, *shape), dtype=self.dtype,
                                  device=self.device)
        self.filled = 0
        self.mean = torch.tensor(self.info.mean, device=self.device).view(1, -1, 1, 1)
        self.std = torch.tensor(self.info.std, device=self.device).view(1, -1, 1, 1)

    # ---- storing -------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised images as stored: uint8 of the [0, 1] range, or float32 as they are."""
        if self.dtype == torch.float32:
            return x.float()
        return ((x.float() * self.std + self.mean).clamp(0, 1) * 255).round().to(torch.uint8)

    def decode(self, stored: torch.Tensor) -> torch.Tensor:
        if self.dtype == torch.float32:
            return stored.clone()
        return (stored.float() / 255 - self.mean) / self.std

    def slots(self, n: int) -> torch.Tensor:
        """Where the next n images go (-1: not kept), in arrival order."""
        seen = self.samples_seen + torch.arange(n, device=self.device)
        if self.settings.buffer_policy == "fifo":
            slots = seen % self.capacity
            slots[: max(0, n - self.capacity)] = -1  # overwritten within this batch anyway
            return slots
        draw = torch.rand(n, device=self.device, generator=self.rng)
        j = (draw * (seen + 1)).long().clamp(max=seen)  # j ~ U{0..n_seen}
        return torch.where(seen < self.capacity, seen, torch.where(j < self.capacity, j, -1))

    def learn(self, engine: Engine, x: torch.Tensor, t: torch.Tensor) -> dict:
        """Store x by the buffer's policy (a later image wins a slot chosen twice)."""
        stored = self.encode(x)
        slots = self.slots(len(x))
        for i in torch.nonzero(slots >= 0).flatten().tolist():
            self.images[slots[i]] = stored[i]
        self.filled = min(self.capacity, self.samples_seen + len(x))
        return {"buffer_filled": torch.tensor(float(self.filled))}

    # ---- replaying -----------------------------------------------------------------------
    def has_samples(self) -> bool:
        return self.filled > 0

    def samples(self, engine: Engine, n: int) -> torch.Tensor:
        index = torch.randint(self.filled, (n,), device=self.device, generator=self.rng)
        return self.decode(self.images[index])

    def memory_bytes(self) -> int:
        """Bytes the buffer holds when full (its allocated storage)."""
        return self.capacity * self.image_bytes

    def run_metrics(self, engine):
        return {**self.base.run_metrics(engine), **self.rehearsal_metrics("buffer"),
                "buffer_capacity_images": self.capacity, "buffer_filled": self.filled,
                "buffer_policy": self.settings.buffer_policy,
                "buffer_dtype": self.settings.buffer_dtype}

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        return {**super().state_dict(), "images": self.images[: self.filled].clone(),
                "filled": self.filled}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.filled = state["filled"]
        self.images.zero_()
        self.images[: self.filled] = state["images"].to(self.device)


def equal_vae_bytes(cfg, settings: RehearsalSettings) -> int:
    """The bytes of the VAE that "+replay" builds for this dataset and these sizes."""
    info = dataset_info(cfg.dataset)
    with torch.device("meta"):
        vae = build("replay_vae", channels=info.channels, img_size=info.image_size,
                    latent=settings.replay_latent, width=settings.replay_width)
    return vae_bytes(vae)
