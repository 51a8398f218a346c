"""Splits on the device (data/on_device.py): the augmentation's distribution, the batches'
equality with a DataLoader's, and the teacher and evaluation that use them."""

import torch
from torch.utils.data import DataLoader, Subset, TensorDataset

from ddad_lite.data.on_device import Augment, DeviceLoader, DeviceSplit, epoch_order
from ddad_lite.data.shapes import ShapesDataset
from ddad_lite.data.tensor_datasets import ImageTensorDataset
from ddad_lite.metrics import eval_loader


def numbered_images(n: int, size: int = 8) -> torch.Tensor:
    """uint8 images whose pixel (i, j) of image k holds a code of (i, j): crops are readable."""
    rows = torch.arange(size).view(size, 1).expand(size, size)
    cols = torch.arange(size).view(1, size).expand(size, size)
    code = (rows * 16 + cols + 1).to(torch.uint8)  # 1..(size-1)*17+1, never 0 (zero padding)
    return code.expand(n, 3, size, size).clone()


def test_crop_offsets_stay_within_the_padding():
    n, size, p = 4000, 8, 4
    out = Augment(padding=p, flip=False)(numbered_images(n, size),
                                         torch.Generator().manual_seed(0))
    assert out.shape == (n, 3, size, size) and out.dtype == torch.uint8
    offsets = []
    for img in out[:, 0]:
        i, j = (img > 0).nonzero()[0].tolist()  # a pixel of the image, not of the padding
        row, col = divmod(int(img[i, j]) - 1, 16)  # the source pixel it shows
        offsets.append((row - i, col - j))
    offsets = torch.tensor(offsets)
    assert offsets.min() >= -p and offsets.max() <= p
    assert set(offsets[:, 0].tolist()) == set(offsets[:, 1].tolist()) == set(range(-p, p + 1))


def test_about_half_the_images_are_flipped():
    images = numbered_images(4000, 8)
    out = Augment(padding=0, flip=True)(images, torch.Generator().manual_seed(0))
    flipped = (out == images.flip(3)).flatten(1).all(1)
    kept = (out == images).flatten(1).all(1)
    assert bool((flipped ^ kept).all())  # each image is itself or its mirror
    assert abs(float(flipped.float().mean()) - 0.5) < 0.03


def test_zero_and_reflect_padding_fill_as_named():
    images = numbered_images(200, 8)
    zeros = Augment(padding=4, padding_mode="zeros", flip=False)(
        images, torch.Generator().manual_seed(1))
    reflect = Augment(padding=4, padding_mode="reflect", flip=False)(
        images, torch.Generator().manual_seed(1))
    assert (zeros == 0).any()  # a shifted window shows the zero border
    assert not (reflect == 0).any()  # reflection only repeats image pixels
    # The same draws: where the zero-padded crop shows the image, the reflected one does too.
    shown = zeros != 0
    assert torch.equal(zeros[shown], reflect[shown])


def test_augmentation_is_seeded_and_each_epoch_a_permutation():
    split = DeviceSplit(numbered_images(100, 8), torch.arange(100), mean=(0.5,) * 3,
                        std=(0.25,) * 3, device="cpu")
    augment = Augment(padding=2, cutout=3)

    def epoch(seed):
        return list(split.epoch(16, order=torch.Generator().manual_seed(seed), drop_last=False,
                                augment=augment, generator=torch.Generator().manual_seed(seed)))

    a, b, c = epoch(0), epoch(0), epoch(1)
    assert all(torch.equal(x1, x2) and torch.equal(y1, y2)
               for (x1, y1), (x2, y2) in zip(a, b, strict=True))
    labels = torch.cat([y for _, y in a])
    assert sorted(labels.tolist()) == list(range(100))  # every item once
    assert not torch.equal(labels, torch.cat([y for _, y in c]))
    order = torch.Generator().manual_seed(5)
    first, second = epoch_order(50, order), epoch_order(50, order)
    assert sorted(first.tolist()) == list(range(50)) and not torch.equal(first, second)


def test_cutout_zeroes_a_square_of_the_normalised_batch():
    x = torch.ones(500, 3, 16, 16)
    cut = Augment(cutout=6).cut(x, torch.Generator().manual_seed(0))
    zeroed = (cut[:, 0] == 0).sum((1, 2))
    assert zeroed.max() == 36 and zeroed.min() > 0  # whole squares, or clipped at a border
    assert (zeroed == 36).float().mean() > 0.3
    assert torch.equal(cut[:, 0] == 0, cut[:, 2] == 0)  # every channel alike
    assert torch.equal(Augment(cutout=0).cut(x, torch.Generator()), x)


def test_unaugmented_batches_equal_a_shuffling_dataloaders():
    data = ShapesDataset("train", size=300)
    keep = list(range(20, 300))
    images, labels = data.tensors()
    loader = DataLoader(TensorDataset(images[keep], labels[keep]), batch_size=32, shuffle=True,
                        drop_last=True, generator=torch.Generator().manual_seed(3))
    split = DeviceSplit.of(Subset(data, keep), "cpu")
    order = torch.Generator().manual_seed(3)
    for _ in range(2):  # two epochs: the generator's state carries over alike
        theirs = list(loader)
        ours = list(split.epoch(32, order=order, drop_last=True))
        assert len(ours) == len(theirs) == len(keep) // 32
        for (x1, y1), (x2, y2) in zip(ours, theirs, strict=True):
            assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_eval_loader_reads_in_memory_splits_on_the_device_in_order():
    data = ShapesDataset("test", size=1200)
    loader = eval_loader(data, size=700, batch_size=256)
    assert isinstance(loader, DeviceLoader) and len(loader.dataset) == 700
    reference = DataLoader(Subset(data, sorted(torch.randperm(
        1200, generator=torch.Generator().manual_seed(0))[:700].tolist())), batch_size=256)
    for (x1, y1), (x2, y2) in zip(loader, reference, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    augmenting = ImageTensorDataset(numbered_images(10), torch.zeros(10, dtype=torch.long),
                                    mean=(0.5,) * 3, std=(0.5,) * 3, augment=True)
    assert not isinstance(eval_loader(augmenting), DeviceLoader)  # kept as it was


def test_a_crop_shows_only_its_own_images_pixels():
    images = torch.randint(1, 256, (64, 3, 8, 8), dtype=torch.uint8)
    out = Augment(padding=4, flip=False)(images, torch.Generator().manual_seed(2))
    for src, crop in zip(images, out, strict=True):
        assert torch.isin(crop[crop != 0], src.flatten()).all()
