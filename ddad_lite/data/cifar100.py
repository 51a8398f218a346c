"""`cifar100`: CIFAR-100 (Krizhevsky, 2009), 100 fine classes, 50,000 train / 10,000 test.

Online: the official python tarball, checked against its published md5. Offline (`--from`):
that tarball, or class folders `train/<class>/*`, `test/<class>/*` with the fine class names.
Labels are the fine labels, in CIFAR-100's official (alphabetical) order. Stored and served as
described in `cifar.py`. Normalisation: the CIFAR-100 training-set mean/std.
"""

from __future__ import annotations

from . import DatasetInfo, register
from .archive import Remote
from .cifar import import_cifar, import_cifar_zip, load_cifar, split_sizes  # noqa: F401  (split_sizes: prepare)

CLASSES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
    "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)

INFO = DatasetInfo(
    name="cifar100", task="classification", num_classes=100, image_size=32, channels=3,
    mean=(0.5071, 0.4867, 0.4408), std=(0.2675, 0.2565, 0.2761), splits=("train", "test"),
    class_names=CLASSES,
)

ONLINE = (Remote(urls=("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
                 filename="cifar-100-python.tar.gz", md5="eb9058c3a382ffc7106e4002c42a8d85"),)

KNOWN_ARCHIVES = {"cifar-100-python.tar.gz": {"md5": "eb9058c3a382ffc7106e4002c42a8d85"}}


def import_source(src, out, *, progress=True, move=False):
    return import_cifar(
        src, out, name=INFO.name, classes=CLASSES, pickle_folder="cifar-100-python",
        progress=progress, batches={"train": ["train"], "test": ["test"]},
        meta="meta", label_key="fine_labels", names_key="fine_label_names")


def import_archive(archive, out, *, progress=True):
    """A class-folder zip is decoded in place; None: extract it and use `import_source`."""
    if not str(archive).lower().endswith(".zip"):
        return None
    return import_cifar_zip(archive, out, name=INFO.name, classes=CLASSES, progress=progress)


@register(INFO)
def load_cifar100(split, root=None, *, train_transform: bool | None = None):
    return load_cifar(split, root, info=INFO, train_transform=train_transform)
