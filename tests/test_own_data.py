"""One's own data: `data prepare imagefolder --from DIR --name NAME`, then `distill --dataset
NAME`, `eval RUN` and `export RUN --to ...` on it; bad folders refused in one line, with
nothing written. The shared CIFAR-10 JPEG tree goes the same way when ../shared/data has it."""

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import SHARED_DATA
from PIL import Image

from ddad_lite.cli.main import main
from ddad_lite.data import dataset_info, get_dataset
from ddad_lite.errors import UserError
from ddad_lite.runs.student import load_student

CLASSES = ("circle", "square", "stripes")


def write_folder(root: Path, *, per_class=6, size=(16, 16), classes=CLASSES, odd=None) -> Path:
    """root/<class>/<i>.png: a class-dependent colour with noise; `odd` = a path and a size
    for one image of another size."""
    g = torch.Generator().manual_seed(0)
    for label, c in enumerate(classes):
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            base = torch.tensor([60 + 80 * label, 200 - 60 * label, 40 * i % 255])
            noise = torch.randint(0, 30, (size[1], size[0], 3), generator=g)
            pixels = (base + noise).clamp(0, 255).to(torch.uint8).numpy()
            Image.fromarray(pixels).save(root / c / f"{i}.png")
    if odd:
        Image.new("RGB", odd[1]).save(root / odd[0])
    return root


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_prepare_makes_a_seeded_split_and_takes_size_and_normalisation(tmp_path, capsys):
    src = write_folder(tmp_path / "src")
    data = tmp_path / "data"
    code, out, _ = run_cli(capsys, "data", "prepare", "imagefolder", "--from", src, "--name",
                           "pets", "--data-root", data, "--no-progress")
    manifest = json.loads(out)
    assert code == 0 and manifest["classes"] == list(CLASSES)
    assert manifest["splits"] == {"train": 15, "test": 3}  # round(0.2 * 6) = 1 per class
    assert manifest["image_size"] == 16 and len(manifest["mean"]) == 3
    info = dataset_info("pets", data)
    assert (info.num_classes, info.image_size) == (3, 16)
    images = torch.stack([get_dataset("pets", "train", data, train_transform=False)[i][0]
                          for i in range(15)])
    assert images.mean(dim=(0, 2, 3)).abs().max() < 1e-3  # normalised by its own statistics
    # the same seed makes the same split elsewhere; another seed another one
    run_cli(capsys, "data", "prepare", "imagefolder", "--from", src, "--name", "pets",
            "--data-root", tmp_path / "again", "--no-progress")
    run_cli(capsys, "data", "prepare", "imagefolder", "--from", src, "--name", "pets",
            "--data-root", tmp_path / "seed1", "--seed", "1", "--no-progress")
    files = [json.loads((tmp_path / d / "pets" / "files.json").read_text())["test"]
             for d in ("data", "again", "seed1")]
    assert files[0] == files[1] and files[0] != files[2]
    assert (src / "circle" / "0.png").is_file()  # the user's folder is copied, not moved


def test_given_split_and_image_size(tmp_path, capsys):
    for split, n in (("train", 4), ("test", 2)):
        write_folder(tmp_path / "src" / split, per_class=n, size=(20, 12), classes=CLASSES[:2])
    code, out, _ = run_cli(capsys, "data", "prepare", "imagefolder", "--from", tmp_path / "src",
                           "--name", "two", "--image-size", "8", "--data-root",
                           tmp_path / "data", "--no-progress", "--mean", "0.5,0.5,0.5",
                           "--std", "0.25,0.25,0.25")
    manifest = json.loads(out)
    assert code == 0 and manifest["splits"] == {"train": 8, "test": 4}
    assert manifest["split_made"] is None and manifest["mean"] == [0.5] * 3
    assert get_dataset("two", "test", tmp_path / "data")[0][0].shape == (3, 8, 8)


@pytest.mark.parametrize("case, message", [
    ("one class", "at least two"),
    ("mixed sizes", "--image-size"),
    ("not square", "--image-size"),
    ("empty", "no class folders"),
])
def test_bad_folders_one_line_exit_2_nothing_written(tmp_path, capsys, case, message):
    src = tmp_path / "src"
    if case == "one class":
        write_folder(src, classes=("only",))
    elif case == "mixed sizes":
        write_folder(src, odd=("square/big.png", (32, 32)))
    elif case == "not square":
        write_folder(src, size=(16, 12))
    else:
        src.mkdir()
    data = tmp_path / "data"
    code, out, err = run_cli(capsys, "data", "prepare", "imagefolder", "--from", src, "--name",
                             "mine", "--data-root", data, "--no-progress")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert not data.exists() or sorted(p.name for p in data.iterdir()) == []


def test_a_name_of_the_kit_is_refused(tmp_path, capsys):
    code, _, err = run_cli(capsys, "data", "prepare", "imagefolder", "--from",
                           write_folder(tmp_path / "src"), "--name", "cifar10", "--data-root",
                           tmp_path / "data")
    assert code == 2 and "kit" in err


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    """A smoke distillation on a prepared folder of one's own."""
    tmp = tmp_path_factory.mktemp("own-data")
    src = write_folder(tmp / "src", per_class=12)
    data = tmp / "data"
    assert main(["data", "prepare", "imagefolder", "--from", str(src), "--name", "mine",
                 "--data-root", str(data), "--no-progress"]) == 0
    assert main(["distill", "--dataset", "mine", "--data-root", str(data), "--profile",
                 "smoke", "--out", str(tmp / "run"), "--cache-dir", str(tmp / "cache"),
                 "--no-progress"]) == 0
    return tmp


def test_distill_takes_classes_size_and_recipe_from_the_folder(folder_run):
    metrics = json.loads((folder_run / "run" / "metrics.json").read_text())
    assert metrics["dataset"] == "mine" and metrics["config"]["profile"] == "smoke"
    student, cfg = load_student(folder_run / "run")
    assert student(torch.zeros(2, 3, 16, 16)).shape == (2, 3)
    assert metrics["test_images"] == 6 and metrics["teacher_acc"] is not None


def test_eval_scores_the_runs_student_as_the_run_did(folder_run, capsys):
    code, out, _ = run_cli(capsys, "eval", folder_run / "run")
    result = json.loads(out)
    assert code == 0 and result["split"] == "test" and result["images"] == 6
    assert result["student_acc"] == pytest.approx(result["run_student_acc"])
    code, out, _ = run_cli(capsys, "eval", folder_run / "run", "--split", "train")
    assert code == 0 and json.loads(out)["images"] == 30
    code, _, err = run_cli(capsys, "eval", folder_run / "nope")
    assert code == 2 and "no finished run" in err


@pytest.mark.parametrize("name", ["student.pt", "student.ts"])
def test_export_reloads_and_matches(folder_run, capsys, name):
    to = folder_run / "export" / name
    code, out, _ = run_cli(capsys, "export", folder_run / "run", "--to", to)
    result = json.loads(out)
    assert code == 0 and to.is_file() and result["max_abs_difference"] <= 1e-4
    student, _ = load_student(folder_run / "run")
    x = torch.randn(3, 3, 16, 16)
    if name.endswith(".ts"):
        again = torch.jit.load(str(to))
    else:
        again = load_student(folder_run / "run")[0]
        again.load_state_dict(torch.load(to, weights_only=True))
    with torch.no_grad():
        assert torch.allclose(again(x), student(x), atol=1e-5)
    assert sorted(p.name for p in to.parent.iterdir()) == sorted(
        p.name for p in to.parent.iterdir() if not p.name.startswith("."))


def test_export_without_onnx_is_one_line(folder_run, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("onnx") else real(name, *a))
    to = folder_run / "export" / "student.onnx"
    code, _, err = run_cli(capsys, "export", folder_run / "run", "--to", to)
    assert code == 2 and "ddad-lite[onnx]" in err and not to.exists()
    code, _, err = run_cli(capsys, "export", folder_run / "run", "--to", "student.zip")
    assert code == 2 and ".onnx" in err


def test_export_to_onnx_where_installed(folder_run, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    to = folder_run / "export" / "student.onnx"
    code, out, _ = run_cli(capsys, "export", folder_run / "run", "--to", to)
    assert code == 0 and to.is_file() and json.loads(out)["max_abs_difference"] <= 1e-4


def shared_cifar() -> Path:
    path = Path(os.environ.get("DDAD_SHARED_DATA", SHARED_DATA)) / "cifar10-jpeg.zip"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return path


@pytest.mark.slow  # 60,000 JPEGs decoded
@pytest.mark.shared_data
def test_shared_cifar10_jpeg_tree_as_ones_own_data(tmp_path, capsys):
    """Prepare, distill (smoke) and eval, one command each, on the extracted JPEG tree."""
    with zipfile.ZipFile(shared_cifar()) as z:
        z.extractall(tmp_path / "tree")
    data = tmp_path / "data"
    code, out, _ = run_cli(capsys, "data", "prepare", "imagefolder", "--from", tmp_path / "tree",
                           "--name", "my-cifar", "--data-root", data, "--no-progress")
    manifest = json.loads(out)
    assert code == 0 and manifest["splits"] == {"train": 50000, "test": 10000}
    assert manifest["image_size"] == 32 and len(manifest["classes"]) == 10
    shutil.rmtree(tmp_path / "tree")
    code, _, err = run_cli(capsys, "distill", "--dataset", "my-cifar", "--data-root", data,
                           "--profile", "smoke", "--out", tmp_path / "run", "--cache-dir",
                           tmp_path / "cache", "--no-progress")
    assert code == 0, err
    code, out, _ = run_cli(capsys, "eval", tmp_path / "run", "--size", "2000")
    result = json.loads(out)
    assert code == 0 and result["images"] == 2000 and 0 <= result["student_acc"] <= 1


def test_unknown_dataset_says_how_to_prepare_ones_own():
    from ddad_lite.config.building import make_config

    with pytest.raises(UserError, match="data prepare imagefolder"):
        make_config("nothing-here", "ddad", "smoke")
