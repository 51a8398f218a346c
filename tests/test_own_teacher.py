"""A teacher (and student) of one's own: `distill --teacher NAME --teacher-file PATH`, with
torchvision and timm models by name; bad files refused in one line, exit 2, nothing written."""

import json

import pytest
import torch
import torchvision

from ddad_lite.cli.main import main
from ddad_lite.config import TeacherConfig
from ddad_lite.errors import UserError
from ddad_lite.models import build
from ddad_lite.teacher import weights_digest
from ddad_lite.teacher.own_file import load_user_teacher


def distill(capsys, tmp_path, *argv, out="run"):
    capsys.readouterr()  # what the test printed before (e.g. torch's warnings)
    code = main(["distill", "--profile", "smoke", "--no-progress", "--out", str(tmp_path / out),
                 "--cache-dir", str(tmp_path / "cache"), *map(str, argv)])
    stdout, stderr = capsys.readouterr()
    return code, stdout, stderr


def test_a_torchvision_resnet18_trained_by_a_users_script(tmp_path, capsys):
    """The acceptance: a user's 5-line script trains and saves the state dict; one command
    distils it."""
    from ddad_lite.data import get_dataset

    model = torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    shapes = torch.utils.data.Subset(get_dataset("shapes", "train"), range(128))
    for x, y in torch.utils.data.DataLoader(shapes, batch_size=64, shuffle=True):
        opt.zero_grad(), torch.nn.functional.cross_entropy(model(x), y).backward(), opt.step()
    torch.save(model.state_dict(), tmp_path / "resnet18.pt")

    code, out, err = distill(capsys, tmp_path, "--teacher", "torchvision:resnet18",
                             "--teacher-file", tmp_path / "resnet18.pt")
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["teacher"] == "torchvision:resnet18"
    assert metrics["teacher_weights_sha256"] == weights_digest(model)
    assert metrics["teacher_file"] == str((tmp_path / "resnet18.pt").resolve())
    assert metrics["teacher_acc"] is not None and json.loads(out)["teacher_acc"] is not None
    assert not (tmp_path / "cache").exists()  # no teacher was trained or cached


def kit_state(name, path, **kwargs):
    torch.save(build(name, num_classes=10, channels=3, **kwargs).state_dict(), path)
    return path


@pytest.mark.parametrize("case, words", [
    ("another architecture", "--teacher NAME"),
    ("another class count", "--teacher NAME"),
    ("pickled module", "--trust-pickle"),
    ("no BatchNorm under ddad", "--method dfad"),
    ("no forward_features under dafl", "--method dfad"),
    ("not a torch file", "not a torch file"),
])
def test_bad_teacher_one_line_exit_2_nothing_written(tmp_path, capsys, case, words):
    path = tmp_path / "teacher.pt"
    args = ["--teacher-file", path]
    if case == "another architecture":
        kit_state("convnet_student_half", path)  # the recipe's teacher is convnet_teacher_half
    elif case == "another class count":
        torch.save(build("convnet_teacher_half", num_classes=4).state_dict(), path)
    elif case == "pickled module":
        torch.save(build("convnet_teacher_half", num_classes=10), path)
    elif case == "no BatchNorm under ddad":
        args += ["--teacher", "lenet5"]
        kit_state("lenet5", path)
    elif case == "no forward_features under dafl":
        traced = torch.jit.trace(build("convnet_teacher_half").eval(), torch.zeros(1, 3, 32, 32))
        traced.save(str(path))
        args += ["--method", "dafl"]
    else:
        path.write_bytes(b"not a checkpoint")
    code, out, err = distill(capsys, tmp_path, *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert words in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["teacher.pt"]


def test_pickled_module_with_trust_and_torchscript_load(tmp_path):
    model = build("convnet_teacher_half", num_classes=10).eval()
    recipe = TeacherConfig(dataset="shapes", model="convnet_teacher_half")
    x = torch.randn(2, 3, 32, 32)
    torch.save(model, tmp_path / "whole.pt")
    loaded, record = load_user_teacher(tmp_path / "whole.pt", recipe, trust_pickle=True)
    assert record["file_kind"] == "pickled module" and torch.equal(loaded(x), model(x))
    torch.jit.trace(model, x).save(str(tmp_path / "ts.pt"))
    loaded, record = load_user_teacher(tmp_path / "ts.pt", recipe)
    assert record["file_kind"] == "torchscript" and torch.allclose(loaded(x), model(x))
    assert record["weights_sha256"] == weights_digest(model)


def test_a_torchscript_teacher_distils_with_dfad(tmp_path, capsys):
    model = build("convnet_teacher_half", num_classes=10).eval()
    torch.jit.trace(model, torch.zeros(1, 3, 32, 32)).save(str(tmp_path / "ts.pt"))
    code, _, err = distill(capsys, tmp_path, "--teacher-file", tmp_path / "ts.pt",
                           "--method", "dfad", "--student", "convnet_student_half")
    assert code == 0, err


@pytest.mark.parametrize("name", ["torchvision:resnet18", "torchvision:mobilenet_v3_small"])
def test_torchvision_models_get_the_kits_interface(name):
    model = build(name, num_classes=7).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(model.forward_head(model.forward_features(x)), model(x))
    plain = torchvision.models.get_model(name.split(":")[1], num_classes=7)
    assert list(model.state_dict()) == list(plain.state_dict())  # a plain state dict loads


def test_unknown_and_missing_libraries_are_one_line(monkeypatch):
    from ddad_lite.config.building import make_config

    with pytest.raises(UserError, match="did you mean 'resnet18'"):
        make_config("shapes", "ddad", "smoke", teacher="torchvision:resnet81")
    with pytest.raises(UserError, match="unknown model source"):
        make_config("shapes", "ddad", "smoke", student="keras:resnet18")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "timm" else real(name, *a))
    with pytest.raises(UserError, match=r"ddad-lite\[timm\]"):
        make_config("shapes", "ddad", "smoke", teacher="timm:resnet18")


def test_a_timm_teacher_where_installed(tmp_path, capsys):
    timm = pytest.importorskip("timm")
    model = timm.create_model("resnet18", num_classes=10)
    torch.save(model.state_dict(), tmp_path / "timm.pt")
    code, _, err = distill(capsys, tmp_path, "--teacher", "timm:resnet18", "--teacher-file",
                           tmp_path / "timm.pt", "--method", "dafl")
    assert code == 0, err


def test_timm_models_get_the_kits_interface_and_a_vit_names_dfad(tmp_path, capsys):
    pytest.importorskip("timm")
    from ddad_lite.config.building import make_config
    from ddad_lite.teacher import build_teacher

    cfg = make_config("shapes", "ddad", "smoke", teacher="timm:vit_tiny_patch16_224",
                      teacher_kwargs='{"img_size": 32}')
    vit = build_teacher(cfg.teacher_recipe).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(vit.forward_head(vit.forward_features(x)), vit(x))
    torch.save(vit.state_dict(), tmp_path / "vit.pt")
    code, _, err = distill(capsys, tmp_path, "--teacher", "timm:vit_tiny_patch16_224", "--set",
                           'teacher_kwargs={"img_size": 32}', "--teacher-file",
                           tmp_path / "vit.pt")
    assert code == 2 and "no BatchNorm" in err and "--method dfad" in err
    assert not (tmp_path / "run").exists()
