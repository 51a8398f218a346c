"""Teacher cache: trained once, reused, checked by sha256; published DFAD state dicts load."""

import json

import pytest
import torch

from ddad_lite.config import TeacherConfig
from ddad_lite.config.building import make_config
from ddad_lite.errors import UserError
from ddad_lite.models import build
from ddad_lite.teacher import load_or_train_teacher, load_teacher_file, teacher_path

TINY = TeacherConfig(dataset="shapes", model="convnet_student", epochs=1, train_size=256,
                     batch_size=64)


def test_teacher_is_trained_once_then_loaded_from_the_cache(tmp_path):
    model, first = load_or_train_teacher(TINY, cache_dir=tmp_path, progress=False)
    assert first["trained_now"] and 0 <= first["accuracy"] <= 1
    manifest = json.loads((tmp_path / "MANIFEST.json").read_text())
    entry = manifest[teacher_path(TINY, tmp_path).name]
    assert entry["sha256"] == first["sha256"] and entry["accuracy"] == first["accuracy"]
    again, second = load_or_train_teacher(TINY, cache_dir=tmp_path, progress=False)
    assert not second["trained_now"] and second["sha256"] == first["sha256"]
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a.cpu(), b.cpu())


def test_a_changed_recipe_gets_another_file(tmp_path):
    other = TeacherConfig(**{**TINY.__dict__, "epochs": 2})
    assert teacher_path(TINY, tmp_path) != teacher_path(other, tmp_path)


def test_a_tampered_teacher_is_refused(tmp_path):
    load_or_train_teacher(TINY, cache_dir=tmp_path, progress=False)
    path = teacher_path(TINY, tmp_path)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="does not match its sha256"):
        load_or_train_teacher(TINY, cache_dir=tmp_path, progress=False)


def test_dfad_published_state_dict_format_loads(tmp_path):
    """DFAD published bare state dicts of its CIFAR ResNets (e.g. cifar10-resnet34_8x.pt)."""
    recipe = make_config("cifar10", "dfad", "smoke").teacher_recipe
    torch.manual_seed(1)
    published = build("resnet34_8x", num_classes=10)
    torch.save(published.state_dict(), tmp_path / "cifar10-resnet34_8x.pt")
    model, state = load_teacher_file(tmp_path / "cifar10-resnet34_8x.pt", recipe)
    assert state["accuracy"] is None  # a bare state dict carries no accuracy
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(model.eval()(x), published.eval()(x))


def test_a_teacher_of_the_wrong_architecture_is_a_clear_error(tmp_path):
    recipe = make_config("cifar10", "dfad", "smoke").teacher_recipe
    torch.save(build("resnet18_8x").state_dict(), tmp_path / "wrong.pt")
    with pytest.raises(UserError, match="does not fit model 'resnet34_8x'"):
        load_teacher_file(tmp_path / "wrong.pt", recipe)
