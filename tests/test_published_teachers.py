"""DFAD's published teachers load into the kit's models: every key used, every shape matching.

The fixtures in `tests/fixtures/dfad_keys/` list the state-dict keys and shapes of DFAD's
official model definitions (VainF/Data-Free-Adversarial-Distillation, built once from its
code; see each file's `built_from`). A state dict with exactly those keys and shapes, filled
with random tensors, must load through `load_teacher_file` in each layout DFAD's files may
have (bare, under "state_dict", keys under "module." or "net."), and the kit's model must
end up holding exactly those tensors.
"""

import json
from pathlib import Path

import pytest
import torch

from ddad_lite.config import TeacherConfig
from ddad_lite.errors import UserError
from ddad_lite.models import build
from ddad_lite.models.published import adapt_state_dict
from ddad_lite.teacher import load_teacher_file

FIXTURES = Path(__file__).parent / "fixtures" / "dfad_keys"
# fixture -> (dataset, the kit's model kwargs)
CASES = {
    "resnet34_8x": ("cifar10", {}),
    "resnet18_8x": ("cifar10", {}),
    "resnet34": ("caltech101", {}),
    "resnet18": ("caltech101", {}),
    "deeplabv3_resnet50": ("camvid", {}),
    "deeplabv3_mobilenetv2": ("camvid", {}),
    "lenet5": ("mnist", {}),
    "lenet5_half": ("mnist", {}),
}
LAYOUTS = {
    "bare": lambda sd: sd,
    "state_dict": lambda sd: {"state_dict": sd},
    "module.": lambda sd: {f"module.{k}": v for k, v in sd.items()},
    "net.": lambda sd: {f"net.{k}": v for k, v in sd.items()},
}


def random_state_dict(name: str, seed: int = 0) -> dict:
    keys = json.loads((FIXTURES / f"{name}.json").read_text())["keys"]
    g = torch.Generator().manual_seed(seed)
    return {k: (torch.randint(0, 100, shape, generator=g) if k.endswith("num_batches_tracked")
                else torch.randn(shape, generator=g)) for k, shape in keys.items()}


# Every architecture in DFAD's bare layout; every wrapping on a small and a dense model.
PAIRS = ([(name, "bare") for name in CASES]
         + [(name, layout) for name in ("lenet5", "deeplabv3_mobilenetv2")
            for layout in LAYOUTS if layout != "bare"])


@pytest.mark.parametrize(("name", "layout"), PAIRS)
def test_dfad_state_dict_loads_with_every_key_and_shape(tmp_path, name, layout):
    dataset, kwargs = CASES[name]
    published = random_state_dict(name)
    path = tmp_path / f"{dataset}-{name}.pt"
    torch.save(LAYOUTS[layout](published), path)
    model, state = load_teacher_file(path, TeacherConfig(dataset=dataset, model=name,
                                                         model_kwargs=kwargs))
    assert state["accuracy"] is None
    mapped, _ = adapt_state_dict(published, build(name, **_size(dataset), **kwargs))
    loaded = model.state_dict()
    assert len(mapped) == len(published) == len(loaded)  # every key used, none left over
    for key, value in mapped.items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0)


def _size(dataset):
    from ddad_lite.data import dataset_info

    info = dataset_info(dataset)
    return {"num_classes": info.num_classes, "channels": info.channels}


def test_dfad_deeplab_teacher_computes_the_same_logits_under_both_names():
    """The renaming moves whole tensors: the kit's teacher with DFAD's keys loaded is DFAD's
    network (same logits as the kit's model whose own state dict was saved)."""
    torch.manual_seed(0)
    kit = build("deeplabv3_resnet50", num_classes=11).eval()
    as_dfad = {}
    for k, v in kit.state_dict().items():
        k = (k.replace("backbone.stem.0.", "backbone.conv1.").replace("backbone.stem.1.",
             "backbone.bn1.").replace("head.", "classifier."))
        for i in range(4):
            k = k.replace(f"backbone.layers.{i}.", f"backbone.layer{i + 1}.")
        as_dfad[k] = v
    fixture = json.loads((FIXTURES / "deeplabv3_resnet50.json").read_text())["keys"]
    assert {k: list(v.shape) for k, v in as_dfad.items()} == fixture
    other = build("deeplabv3_resnet50", num_classes=11).eval()
    other.load_state_dict(adapt_state_dict(as_dfad, other)[0])
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(other(x), kit(x))


def test_published_lenet_without_bn_into_a_bn_teacher_is_one_line(tmp_path):
    torch.save(random_state_dict("lenet5"), tmp_path / "mnist-lenet5.pt")
    recipe = TeacherConfig(dataset="mnist", model="lenet5", model_kwargs={"bn": True})
    with pytest.raises(UserError) as e:
        load_teacher_file(tmp_path / "mnist-lenet5.pt", recipe)
    message = str(e.value)
    assert "\n" not in message and "does not fit model 'lenet5'" in message
    assert "missing" in message and "'bn': True" in message


def test_wrong_class_count_names_the_shape(tmp_path):
    sd = random_state_dict("resnet18")  # 101 Caltech classes
    torch.save(sd, tmp_path / "r18.pt")
    with pytest.raises(UserError, match=r"fc.weight has shape \(101, 512\)"):
        load_teacher_file(tmp_path / "r18.pt", TeacherConfig(dataset="cifar10",
                                                              model="resnet18"))


def test_a_file_without_a_state_dict_is_one_line(tmp_path):
    torch.save({"epoch": 3, "acc": 0.9}, tmp_path / "odd.pt")
    with pytest.raises(UserError, match="holds no state dict"):
        load_teacher_file(tmp_path / "odd.pt", TeacherConfig(dataset="mnist", model="lenet5"))
