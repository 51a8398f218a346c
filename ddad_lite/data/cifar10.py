"""`cifar10`: CIFAR-10 (Krizhevsky, 2009), 10 classes of 32x32 RGB, 50,000 train / 10,000 test.

Online: the official python tarball, checked against its published md5. Offline (`--from`):
that tarball, or a class-folder zip or folder such as `cifar10-jpeg.zip` (recognised by name
and checked against its sha256). Stored and served as described in `cifar.py`.
Normalisation: the mean/std used by DFAD and its successors' CIFAR-10 code.
"""

from __future__ import annotations

from . import DatasetInfo, register
from .archive import Remote
from .cifar import import_cifar, import_cifar_zip, load_cifar, split_sizes  # noqa: F401  (split_sizes: prepare)

CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")

INFO = DatasetInfo(
    name="cifar10", task="classification", num_classes=10, image_size=32, channels=3,
    mean=(0.4914, 0.4822, 0.4465), std=(0.2023, 0.1994, 0.2010), splits=("train", "test"),
    class_names=CLASSES,
)

ONLINE = (Remote(urls=("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
                 filename="cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a"),)

# Archives recognised by file name, with the digest a good copy has.
KNOWN_ARCHIVES = {
    "cifar-10-python.tar.gz": {"md5": "c58f30108f718f92721af3b95e74349a"},
    "cifar10-jpeg.zip": {
        "sha256": "05b4c8c8bf43c21250b5d4abc4621c4fed6837d691555b00c9215bfc6b363d11"},
}


def import_source(src, out, *, progress=True, move=False):
    return import_cifar(
        src, out, name=INFO.name, classes=CLASSES, pickle_folder="cifar-10-batches-py",
        progress=progress, batches={"train": [f"data_batch_{i}" for i in range(1, 6)],
                                    "test": ["test_batch"]},
        meta="batches.meta", label_key="labels", names_key="label_names")


def import_archive(archive, out, *, progress=True):
    """A class-folder zip is decoded in place; None: extract it and use `import_source`."""
    if not str(archive).lower().endswith(".zip"):
        return None
    return import_cifar_zip(archive, out, name=INFO.name, classes=CLASSES, progress=progress)


@register(INFO)
def load_cifar10(split, root=None, *, train_transform: bool | None = None):
    return load_cifar(split, root, info=INFO, train_transform=train_transform)
