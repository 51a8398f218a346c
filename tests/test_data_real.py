"""The real-data layer on tiny archives made here: import, verify, load, and fail cleanly.

Everything runs offline on small files that the tests build (PNG/JPEG images with PIL, idx
files, pickled CIFAR batches). Tests marked `shared_data` import the real repacked archives
from `../shared/data` when that folder exists and skip otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ddad_lite.data import available_datasets, dataset_info, get_dataset
from ddad_lite.data.archive import Remote
from ddad_lite.data.prepare import dataset_summary, prepare_dataset
from ddad_lite.errors import UserError
from ddad_lite.files import sha256_file

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CIFAR10 = dataset_info("cifar10").class_names


# ---------------------------------------------------------------- builders of tiny sources

def png_bytes(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def pixel(label: int, index: int, size=(32, 32)) -> np.ndarray:
    """A recognisable RGB image: channel values encode the label and the index."""
    a = np.zeros((*size[::-1], 3), dtype=np.uint8)
    a[..., 0], a[..., 1], a[..., 2] = (10 * label) % 256, index, 200
    return a


def cifar_folder_files(classes=CIFAR10, n_train=2, n_test=1) -> dict:
    files = {}
    for split, n in (("train", n_train), ("test", n_test)):
        for label, c in enumerate(classes):
            for i in range(n):
                files[f"cifar-tiny/{split}/{c}/{i:04d}.png"] = png_bytes(pixel(label, i))
    return files


def write_zip(path: Path, files: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def write_tree(root: Path, files: dict) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def write_targz(path: Path, files: dict) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def stored_member_offset(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    start = info.header_offset
    n, e = (int.from_bytes(raw[start + k:start + k + 2], "little") for k in (26, 28))
    return start + 30 + n + e


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def cifar_batch(labels, label_key="labels") -> bytes:
    data = np.stack([pixel(y, i).transpose(2, 0, 1).reshape(-1) for i, y in enumerate(labels)])
    return pickle.dumps({b"data": data, label_key.encode(): list(labels)}, protocol=2)


def cifar10_tarball(path: Path) -> Path:
    meta = pickle.dumps({b"label_names": [c.encode() for c in CIFAR10]}, protocol=2)
    files = {"cifar-10-batches-py/batches.meta": meta,
             "cifar-10-batches-py/test_batch": cifar_batch([3, 9, 0])}
    for b in range(1, 6):
        files[f"cifar-10-batches-py/data_batch_{b}"] = cifar_batch([b, 0])
    return write_targz(path, files)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_files(gz: bool, n_train=6, n_test=4) -> dict:
    rng = np.random.default_rng(0)
    files = {}
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(1, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(arr)
            name = f"MNIST/raw/{stem}-{kind}-ubyte"
            files[name + (".gz" if gz else "")] = gzip.compress(data) if gz else data
    return files


def camvid_files(counts=(2, 1, 1), size=(48, 36)) -> dict:
    files = {}
    for split, n in zip(("train", "val", "test"), counts, strict=True):
        for i in range(n):
            mask = (np.arange(size[0] * size[1]).reshape(size[1], size[0]) % 12).astype(np.uint8)
            files[f"CamVid/{split}/f{i}.jpg"] = png_bytes(pixel(i, i, size), "JPEG")
            files[f"CamVid/{split}annot/f{i}.png"] = png_bytes(mask)
    return files


def nyu_files(ours=True, top=13, size=(40, 30)) -> dict:
    files = {}
    for split, n in (("train", 2), ("test", 1)):
        for i in range(n):
            mask = (np.arange(size[0] * size[1]).reshape(size[1], size[0]) % (top + 1))
            image, label = ((f"{split}/image", f"{split}/label13") if ours
                            else (f"image/{split}", f"seg13/{split}"))
            files[f"nyu/{image}/{i:05d}.png"] = png_bytes(pixel(i, i, size))
            files[f"nyu/{label}/{i:05d}.png"] = png_bytes(mask.astype(np.uint8))
    return files


def caltech_files(counts=(5, 4, 6), prefix="caltech101/") -> dict:
    files = {}
    for c, n in zip(("accordion", "Faces", "yin_yang"), counts, strict=True):
        for i in range(n):
            files[f"{prefix}101_ObjectCategories/{c}/image_{i:04d}.jpg"] = png_bytes(
                pixel(i, i, (50 + i, 40)), "JPEG")
    files[f"{prefix}101_ObjectCategories/BACKGROUND_Google/image_0001.jpg"] = png_bytes(
        pixel(0, 0), "JPEG")
    return files


def listing(root: Path) -> list[str]:
    """What a data root holds, less the import locks (`.NAME.lock`, kept on purpose)."""
    return sorted(p.name for p in root.iterdir()
                  if not p.name.endswith(".lock")) if root.exists() else []


def one_line(err) -> str:
    message = str(err.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------- registry and errors

def test_registry_lists_every_dataset():
    assert {"shapes", "cifar10", "cifar100", "mnist", "caltech101", "camvid", "nyuv2",
            "imagefolder"} <= set(available_datasets())
    for name in ("camvid", "nyuv2"):
        info = dataset_info(name)
        assert info.task == "segmentation" and info.ignore_index == 255
        assert len(info.class_names) == info.num_classes
    assert len(dataset_info("cifar100").class_names) == 100
    assert list(dataset_info("cifar100").class_names) == sorted(dataset_info("cifar100")
                                                                .class_names)


@pytest.mark.parametrize("name", ["cifar10", "mnist", "camvid", "nyuv2", "caltech101"])
def test_missing_data_names_the_prepare_command(tmp_path, name):
    with pytest.raises(UserError) as err:
        get_dataset(name, "test", tmp_path)
    message = one_line(err)
    assert f"python -m ddad_lite data prepare {name}" in message
    assert f"--data-root {tmp_path}" in message and "--from PATH" in message
    with pytest.raises(UserError, match="data prepare"):
        dataset_summary(name, tmp_path)


def test_unknown_dataset_and_embedded(tmp_path):
    with pytest.raises(UserError, match="unknown dataset"):
        prepare_dataset("imagenet", root=tmp_path, progress=False)
    result = prepare_dataset("shapes", root=tmp_path, progress=False)
    assert result["embedded"] and "nothing to prepare" in result["message"]
    summary = dataset_summary("shapes")
    assert summary["splits"] == {"train": 20000, "test": 4000}
    assert summary["num_classes"] == 10 and summary["task"] == "classification"
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name", ["camvid", "nyuv2", "imagefolder"])
def test_no_online_source_says_use_from(tmp_path, name):
    with pytest.raises(UserError) as err:
        prepare_dataset(name, root=tmp_path, progress=False)
    assert "--from" in one_line(err)


def test_missing_source_path(tmp_path):
    with pytest.raises(UserError, match="no such file or folder"):
        prepare_dataset("cifar10", str(tmp_path / "nope.zip"), tmp_path / "data",
                        progress=False)


# ---------------------------------------------------------------- CIFAR

@pytest.fixture
def cifar_zip(tmp_path):
    return write_zip(tmp_path / "tiny-cifar.zip", cifar_folder_files())


def test_cifar10_class_folder_zip(tmp_path, cifar_zip):
    root = tmp_path / "data"
    manifest = prepare_dataset("cifar10", str(cifar_zip), root, progress=False)
    assert manifest["splits"] == {"train": 20, "test": 10}
    assert manifest["classes"] == list(CIFAR10)
    assert manifest["source_sha256"] == sha256_file(cifar_zip)
    on_disk = json.loads((root / "cifar10" / "MANIFEST.json").read_text())
    assert on_disk["splits"] == manifest["splits"]
    assert listing(root) == ["cifar10"]  # no staging or extraction left behind

    test = get_dataset("cifar10", "test", root)
    assert len(test) == 10 and not test.augment
    x, y = test[9]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and y == 9  # truck
    # PNG is lossless: the stored pixels are exactly the ones written.
    assert test.images[9, 0, 0, 0] == 90 and test.images[9, 2, 5, 5] == 200
    info = dataset_info("cifar10")
    expected = (torch.tensor([90, 0, 200]) / 255 - torch.tensor(info.mean)) / torch.tensor(
        info.std)
    assert torch.allclose(x[:, 16, 16], expected, atol=1e-5)
    images, labels = test.tensors()
    assert images.shape == (10, 3, 32, 32) and labels.tolist() == list(range(10))

    train = get_dataset("cifar10", "train", root)
    assert train.augment and len(train) == 20
    assert set(int(train[i][1]) for i in range(20)) == set(range(10))
    assert not get_dataset("cifar10", "train", root, train_transform=False).augment
    assert dataset_summary("cifar10", root) == {
        "name": "cifar10", "num_classes": 10, "splits": {"train": 20, "test": 10},
        "task": "classification", "root": str(root)}


def test_cifar10_from_folder_and_idempotent(tmp_path, capsys):
    src = write_tree(tmp_path / "src", cifar_folder_files())
    root = tmp_path / "data"
    first = prepare_dataset("cifar10", str(src / "cifar-tiny"), root)
    capsys.readouterr()
    again = prepare_dataset("cifar10", str(src / "cifar-tiny"), root)
    assert again == first
    assert "already prepared" in capsys.readouterr().err


def test_cifar_wrong_classes(tmp_path):
    files = cifar_folder_files(classes=CIFAR10[:9] + ("lorry",))
    src = write_zip(tmp_path / "x.zip", files)
    with pytest.raises(UserError, match="class folders") as err:
        prepare_dataset("cifar10", str(src), tmp_path / "data", progress=False)
    one_line(err)
    assert listing(tmp_path / "data") == []


def test_cifar_wrong_image_size(tmp_path):
    files = cifar_folder_files()
    files["cifar-tiny/test/cat/0000.png"] = png_bytes(pixel(3, 0, (28, 28)))
    with pytest.raises(UserError, match="expected 32x32"):
        prepare_dataset("cifar10", str(write_zip(tmp_path / "x.zip", files)),
                        tmp_path / "data", progress=False)
    assert listing(tmp_path / "data") == []


def test_flipped_byte_without_known_checksum_fails_by_crc(tmp_path, cifar_zip):
    root = tmp_path / "data"
    flip_byte(cifar_zip, stored_member_offset(cifar_zip, "cifar-tiny/test/dog/0000.png") + 60)
    with pytest.raises(UserError) as err:
        prepare_dataset("cifar10", str(cifar_zip), root, progress=False)
    assert "corrupted" in one_line(err)
    assert listing(root) == []


def test_flipped_byte_with_known_checksum(tmp_path, cifar_zip, monkeypatch):
    import ddad_lite.data.cifar10 as cifar10

    known = {cifar_zip.name: {"sha256": sha256_file(cifar_zip)}}
    monkeypatch.setattr(cifar10, "KNOWN_ARCHIVES", known)
    good = prepare_dataset("cifar10", str(cifar_zip), tmp_path / "ok", progress=False)
    assert good["splits"] == {"train": 20, "test": 10}

    flip_byte(cifar_zip, 5)  # in the first local header: only the checksum can tell
    root = tmp_path / "data"
    with pytest.raises(UserError) as err:
        prepare_dataset("cifar10", str(cifar_zip), root, progress=False)
    message = one_line(err)
    assert "sha256 mismatch" in message and cifar_zip.name in message
    assert listing(root) == []


def test_failed_reimport_keeps_the_good_copy(tmp_path, cifar_zip):
    root = tmp_path / "data"
    prepare_dataset("cifar10", str(cifar_zip), root, progress=False)
    bad = write_zip(tmp_path / "other.zip", cifar_folder_files(n_train=3))
    flip_byte(bad, stored_member_offset(bad, "cifar-tiny/train/cat/0001.png") + 60)
    with pytest.raises(UserError):
        prepare_dataset("cifar10", str(bad), root, progress=False)
    assert listing(root) == ["cifar10"]
    assert dataset_summary("cifar10", root)["splits"] == {"train": 20, "test": 10}
    # A different, good source replaces the prepared copy.
    other = write_zip(tmp_path / "third.zip", cifar_folder_files(n_train=3))
    assert prepare_dataset("cifar10", str(other), root, progress=False)["splits"]["train"] == 30
    assert listing(root) == ["cifar10"]


def test_online_download_verified_and_mismatch(tmp_path, monkeypatch):
    import ddad_lite.data.cifar10 as cifar10

    tarball = cifar10_tarball(tmp_path / "cifar-10-python.tar.gz")
    md5 = hashlib.md5(tarball.read_bytes()).hexdigest()
    remote = Remote(urls=(tarball.as_uri(),), filename=tarball.name, md5=md5)
    monkeypatch.setattr(cifar10, "ONLINE", (remote,))
    monkeypatch.setattr(cifar10, "KNOWN_ARCHIVES", {tarball.name: {"md5": md5}})
    root = tmp_path / "data"
    manifest = prepare_dataset("cifar10", root=root, progress=False)
    assert manifest["source_kind"] == "online" and manifest["splits"] == {"train": 10, "test": 3}
    test = get_dataset("cifar10", "test", root)
    assert test.labels.tolist() == [3, 9, 0]
    assert test.images[1, 0, 0, 0] == 90  # channel-first layout survived the pickle
    assert prepare_dataset("cifar10", root=root, progress=False) == manifest  # idempotent

    wrong = Remote(urls=(tarball.as_uri(),), filename=tarball.name, md5="0" * 32)
    monkeypatch.setattr(cifar10, "ONLINE", (wrong,))
    root2 = tmp_path / "data2"
    with pytest.raises(UserError) as err:
        prepare_dataset("cifar10", root=root2, progress=False)
    assert "md5 mismatch" in one_line(err)
    assert "cifar10" not in listing(root2)
    assert list((root2 / ".downloads" / "cifar10").iterdir()) == []


def test_import_from_file_url(tmp_path, cifar_zip):
    manifest = prepare_dataset("cifar10", cifar_zip.as_uri(), tmp_path / "data", progress=False)
    assert manifest["source_kind"] == "url" and manifest["splits"]["test"] == 10


def test_cifar100_tarball(tmp_path):
    names = dataset_info("cifar100").class_names
    meta = pickle.dumps({b"fine_label_names": [c.encode() for c in names]}, protocol=2)
    tarball = write_targz(tmp_path / "c100.tar.gz", {
        "cifar-100-python/meta": meta,
        "cifar-100-python/train": cifar_batch([0, 99, 50], "fine_labels"),
        "cifar-100-python/test": cifar_batch([7], "fine_labels")})
    manifest = prepare_dataset("cifar100", str(tarball), tmp_path / "data", progress=False)
    assert manifest["splits"] == {"train": 3, "test": 1} and manifest["num_classes"] == 100
    assert get_dataset("cifar100", "train", tmp_path / "data").labels.tolist() == [0, 99, 50]


def test_malicious_pickle_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    meta = pickle.dumps({b"label_names": [c.encode() for c in CIFAR10]}, protocol=2)
    files = {"cifar-10-batches-py/batches.meta": meta,
             "cifar-10-batches-py/test_batch": pickle.dumps(Evil())}
    for b in range(1, 6):
        files[f"cifar-10-batches-py/data_batch_{b}"] = cifar_batch([0])
    with pytest.raises(UserError, match="not allowed"):
        prepare_dataset("cifar10", str(write_targz(tmp_path / "x.tar.gz", files)),
                        tmp_path / "data", progress=False)
    assert listing(tmp_path / "data") == []


# ---------------------------------------------------------------- MNIST

@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx(tmp_path, gz):
    src = write_tree(tmp_path / "src", mnist_files(gz))
    manifest = prepare_dataset("mnist", str(src), tmp_path / "data", progress=False)
    assert manifest["splits"] == {"train": 6, "test": 4}
    # `mnist_padded` (the kit's earlier variant): the digit zero-padded by 2 pixels.
    ds = get_dataset("mnist_padded", "train", tmp_path / "data")
    x, y = ds[3]
    assert x.shape == (1, 32, 32) and x.dtype == torch.float32 and y == 3
    border = (0 - 0.1307) / 0.3081
    assert torch.allclose(x[0, :2], torch.full((2, 32), border))  # zero padding, normalised
    assert (x[0, 2:30, 2:30] > border).all()  # the digit area itself (all pixels > 0 here)
    # `mnist` (DFAD): resized to 32x32 as torchvision's Resize((32, 32)) does on a PIL image.
    x, y = get_dataset("mnist", "train", tmp_path / "data")[3]
    assert x.shape == (1, 32, 32) and y == 3
    raw = torch.load(tmp_path / "data" / "mnist" / "train.pt")["images"][3, 0]
    pil = Image.fromarray(raw.numpy()).resize((32, 32), Image.BILINEAR)
    expected = (torch.tensor(np.asarray(pil), dtype=torch.float32) / 255 - 0.1307) / 0.3081
    assert (x[0] - expected).abs().max() <= 1.01 / 255 / 0.3081  # within one grey level


def test_mnist_corruption(tmp_path):
    files = mnist_files(gz=False)
    name = "MNIST/raw/t10k-images-idx3-ubyte"
    bad_magic = dict(files)
    bad_magic[name] = b"\x00\x00\x09\x03" + files[name][4:]
    with pytest.raises(UserError, match="bad magic number"):
        prepare_dataset("mnist", str(write_tree(tmp_path / "a", bad_magic)), tmp_path / "d1",
                        progress=False)
    truncated = dict(files)
    truncated[name] = files[name][:-10]
    with pytest.raises(UserError, match="truncated"):
        prepare_dataset("mnist", str(write_tree(tmp_path / "b", truncated)), tmp_path / "d2",
                        progress=False)
    gz = mnist_files(gz=True)
    gz_name = name + ".gz"
    gz[gz_name] = gz[gz_name][:-12]
    with pytest.raises(UserError) as err:
        prepare_dataset("mnist", str(write_tree(tmp_path / "c", gz)), tmp_path / "d3",
                        progress=False)
    one_line(err)
    for d in ("d1", "d2", "d3"):
        assert listing(tmp_path / d) == []


def test_mnist_online_mirrors(tmp_path, monkeypatch):
    import ddad_lite.data.mnist as mnist

    src = write_tree(tmp_path / "mirror", mnist_files(gz=True))
    # The first mirror is dead: each file comes from the second one.
    remotes = tuple(Remote(urls=((tmp_path / "dead" / p.name).as_uri(), p.as_uri()),
                           filename=p.name, md5=hashlib.md5(p.read_bytes()).hexdigest())
                    for p in sorted((src / "MNIST" / "raw").iterdir()))
    monkeypatch.setattr(mnist, "ONLINE", remotes)
    manifest = prepare_dataset("mnist", root=tmp_path / "data", progress=False)
    assert manifest["splits"] == {"train": 6, "test": 4}


# ---------------------------------------------------------------- Caltech101 and imagefolder

def test_caltech101_split_and_loader(tmp_path):
    archive = write_zip(tmp_path / "caltech.zip", caltech_files())
    manifest = prepare_dataset("caltech101", str(archive), tmp_path / "data", progress=False)
    assert manifest["classes"] == ["Faces", "accordion", "yin_yang"]  # no BACKGROUND_Google
    assert manifest["splits"] == {"train": 12, "test": 3}  # round(0.8 n) per class: 4, 3, 5
    files = json.loads((tmp_path / "data" / "caltech101" / "files.json").read_text())
    assert not set(map(tuple, files["train"])) & set(map(tuple, files["test"]))
    again = prepare_dataset("caltech101", str(archive), tmp_path / "other", progress=False)
    assert again["splits"] == manifest["splits"]
    assert (tmp_path / "other" / "caltech101" / "files.json").read_text() == json.dumps(
        files, indent=2) + "\n"  # the seeded split is the same everywhere

    test = get_dataset("caltech101", "test", tmp_path / "data")
    x, y = test[0]
    assert x.shape == (3, 128, 128) and x.dtype == torch.float32 and 0 <= y < 3
    small = get_dataset("caltech101", "train", tmp_path / "data", image_size=32)
    assert small[0][0].shape == (3, 32, 32) and small.augment
    assert (tmp_path / "data" / "caltech101" / "cache_train_32.pt").is_file()


def test_caltech101_nested_official_archive(tmp_path):
    inner = write_targz(tmp_path / "101_ObjectCategories.tar.gz", caltech_files(prefix=""))
    outer = write_zip(tmp_path / "caltech-101-tiny.zip",
                      {"caltech-101/101_ObjectCategories.tar.gz": inner.read_bytes(),
                       "caltech-101/show_annotation.m": b"%"})
    manifest = prepare_dataset("caltech101", str(outer), tmp_path / "data", progress=False)
    assert manifest["num_classes"] == 3 and sum(manifest["splits"].values()) == 15
    assert listing(tmp_path / "data") == ["caltech101"]


def test_imagefolder(tmp_path):
    files = {}
    for split, n in (("train", 3), ("test", 2)):
        for label, c in enumerate(("cats", "dogs")):
            for i in range(n):
                files[f"pets/{split}/{c}/{i}.png"] = png_bytes(pixel(label, i, (20, 24)))
    src = write_tree(tmp_path / "src", files)
    with pytest.raises(UserError, match="not square; pass --image-size"):
        prepare_dataset("imagefolder", str(src), tmp_path / "data", progress=False)
    manifest = prepare_dataset("imagefolder", str(src), tmp_path / "data", progress=False,
                               options={"image_size": 32})
    assert manifest["classes"] == ["cats", "dogs"] and manifest["splits"] == {"train": 6,
                                                                              "test": 4}
    assert (src / "pets" / "train").is_dir()  # a user's folder is copied, not moved
    ds = get_dataset("imagefolder", "test", tmp_path / "data")
    assert ds[0][0].shape == (3, 32, 32) and sorted({ds[i][1] for i in range(4)}) == [0, 1]
    assert get_dataset("imagefolder", "test", tmp_path / "data",
                       image_size=16)[0][0].shape == (3, 16, 16)
    assert dataset_summary("imagefolder", tmp_path / "data")["num_classes"] == 2


def test_corrupted_image_is_user_error(tmp_path):
    files = caltech_files()
    files["caltech101/101_ObjectCategories/Faces/image_0002.jpg"] = b"\xff\xd8 not a jpeg"
    with pytest.raises(UserError, match="cannot decode image") as err:
        prepare_dataset("caltech101", str(write_zip(tmp_path / "c.zip", files)),
                        tmp_path / "data", progress=False)
    one_line(err)
    assert listing(tmp_path / "data") == []


# ---------------------------------------------------------------- segmentation

def test_camvid_tiny(tmp_path):
    archive = write_zip(tmp_path / "camvid.zip", camvid_files())
    manifest = prepare_dataset("camvid", str(archive), tmp_path / "data", progress=False)
    assert manifest["splits"] == {"train": 2, "val": 1, "test": 1}
    assert manifest["ignore_index"] == 255
    train = get_dataset("camvid", "train", tmp_path / "data")
    x, y = train[0]
    assert x.shape == (3, 128, 128) and x.dtype == torch.float32
    assert y.shape == (128, 128) and y.dtype == torch.long
    test = get_dataset("camvid", "test", tmp_path / "data")
    x, y = test[0]
    assert x.shape == (3, 256, 341) and y.shape == (256, 341)  # whole frame, shorter side 256
    values = set(y.unique().tolist())
    assert values <= set(range(11)) | {255} and 255 in values  # void (11) -> 255
    assert int(test.masks.max()) == 11


def test_camvid_unpaired_and_bad_labels(tmp_path):
    files = camvid_files()
    del files["CamVid/trainannot/f1.png"]
    with pytest.raises(UserError, match="do not pair up"):
        prepare_dataset("camvid", str(write_tree(tmp_path / "a", files)), tmp_path / "d1",
                        progress=False)
    files = camvid_files()
    files["CamVid/testannot/f0.png"] = png_bytes(np.full((36, 48), 40, dtype=np.uint8))
    with pytest.raises(UserError, match="expected 0..11"):
        prepare_dataset("camvid", str(write_tree(tmp_path / "b", files)), tmp_path / "d2",
                        progress=False)
    assert listing(tmp_path / "d1") == [] and listing(tmp_path / "d2") == []


def test_camvid_known_checksum_mismatch(tmp_path):
    fake = write_zip(tmp_path / "camvid-jpeg.zip", camvid_files())  # same name, other bytes
    with pytest.raises(UserError, match="sha256 mismatch") as err:
        prepare_dataset("camvid", str(fake), tmp_path / "data", progress=False)
    one_line(err)
    assert listing(tmp_path / "data") == []


@pytest.mark.parametrize("ours", [True, False])
def test_nyuv2_layouts_and_labels(tmp_path, ours):
    archive = write_zip(tmp_path / "nyu.zip", nyu_files(ours))
    manifest = prepare_dataset("nyuv2", str(archive), tmp_path / "data", progress=False)
    assert manifest["splits"] == {"train": 2, "test": 1} and manifest["num_classes"] == 13
    test = get_dataset("nyuv2", "test", tmp_path / "data")
    x, y = test[0]
    assert x.shape == (3, 256, 341) and y.dtype == torch.long
    assert set(y.unique().tolist()) == set(range(13)) | {255}  # 1..13 -> 0..12, 0 -> 255
    assert get_dataset("nyuv2", "train", tmp_path / "data")[1][1].shape == (128, 128)


def test_nyuv2_from_url_and_bad_labels(tmp_path):
    archive = write_zip(tmp_path / "nyu.zip", nyu_files())
    manifest = prepare_dataset("nyuv2", archive.as_uri(), tmp_path / "data", progress=False)
    assert manifest["source"] == archive.as_uri()
    bad = write_zip(tmp_path / "bad.zip", nyu_files(top=40))
    with pytest.raises(UserError, match="expected 0..13"):
        prepare_dataset("nyuv2", str(bad), tmp_path / "d2", progress=False)
    assert "nyuv2" not in listing(tmp_path / "d2")


# ---------------------------------------------------------------- the real archives

def shared_file(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory):
    return tmp_path_factory.mktemp("shared-data-root")


@pytest.mark.shared_data
def test_shared_cifar10_jpeg_zip(shared_root):
    archive = shared_file("cifar10-jpeg.zip")
    manifest = prepare_dataset("cifar10", str(archive), shared_root, progress=False)
    assert manifest["splits"] == {"train": 50000, "test": 10000}
    summary = dataset_summary("cifar10", shared_root)
    assert summary["splits"] == {"train": 50000, "test": 10000} and summary["num_classes"] == 10
    for split, per_class in (("train", 5000), ("test", 1000)):
        ds = get_dataset("cifar10", split, shared_root)
        assert ds.labels.bincount(minlength=10).tolist() == [per_class] * 10
    x, y = ds[0]
    assert x.shape == (3, 32, 32) and 0 <= y < 10


@pytest.mark.shared_data
def test_shared_camvid_zip(shared_root):
    archive = shared_file("camvid-jpeg.zip")
    manifest = prepare_dataset("camvid", str(archive), shared_root, progress=False)
    assert manifest["splits"] == {"train": 367, "val": 101, "test": 233}
    assert dataset_summary("camvid", shared_root)["splits"] == manifest["splits"]
    for split in ("train", "val", "test"):
        ds = get_dataset("camvid", split, shared_root)
        assert 0 <= int(ds.masks.min()) and int(ds.masks.max()) <= 11  # stored ids, 11 = void
        x, y = ds[0]
        assert set(y.unique().tolist()) <= set(range(11)) | {255}
