"""Every registered model builds, runs on a small input and gives finite outputs (after timm)."""

import pytest
import torch

from ddad_lite.errors import UserError
from ddad_lite.models import available_models, build, model_family

GENERATORS = {"generator_a": 32, "generator_b": 64, "generator_dafl": 32}
# Families with their own tests (test_segmentation.py, test_methods.py).
TESTED_ELSEWHERE = {"segmentation", "vae", "discriminators"}


def test_every_family_has_tests():
    families = {model_family(name) for name in available_models()}
    assert TESTED_ELSEWHERE < families  # a family renamed away would lose its tests


@pytest.mark.parametrize("name", [n for n in available_models()
                                  if model_family(n) not in TESTED_ELSEWHERE])
def test_every_registered_model_runs(name):
    torch.manual_seed(0)
    if name in GENERATORS:
        model = build(name, nz=16, ngf=8, img_size=GENERATORS[name], channels=3)
        out = model(torch.randn(4, 16))
        assert out.shape == (4, 3, GENERATORS[name], GENERATORS[name])
    else:
        channels = 1 if name.startswith("lenet") else 3
        model = build(name, num_classes=7, channels=channels).eval()
        x = torch.randn(2, channels, 32, 32)
        logits = model(x)
        assert logits.shape == (2, 7)
        features = model.forward_features(x)
        assert torch.allclose(model.forward_head(features), logits)
        out = logits
    assert torch.isfinite(out).all()


def test_cifar_resnets_have_dfad_parameter_names():
    keys = build("resnet34_8x", num_classes=10).state_dict().keys()
    for name in ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                 "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.running_var",
                 "layer4.2.bn2.weight", "linear.weight", "linear.bias"):
        assert name in keys
    assert sum(k.startswith("layer3.") and k.endswith("conv1.weight") for k in keys) == 6


def test_lenet_bn_variant_adds_batchnorm():
    plain, with_bn = build("lenet5"), build("lenet5", bn=True)
    count = lambda m: sum(isinstance(x, torch.nn.BatchNorm2d) for x in m.modules())  # noqa: E731
    assert count(plain) == 0 and count(with_bn) == 3


def test_generator_a_rejects_bad_size_and_final_bn_normalises():
    with pytest.raises(ValueError):
        build("generator_a", img_size=30)
    x = build("generator_a", nz=32, ngf=8).train()(torch.randn(64, 32))
    assert x.mean().abs() < 1e-3 and (x.std() - 1).abs() < 0.05


def test_generator_dafl_is_generator_a_with_dafl_bn_eps():
    dafl, plain = build("generator_dafl", nz=16, ngf=8), build("generator_a", nz=16, ngf=8)
    eps = [m.eps for m in dafl.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert eps == [1e-5, 0.8, 0.8, 1e-5]  # DAFL's BatchNorm2d(C, 0.8) in the two conv blocks
    plain.load_state_dict(dafl.state_dict())
    z = torch.randn(8, 16)
    assert not torch.allclose(dafl.train()(z), plain.train()(z))


def test_lenet_features_are_the_last_convolution_output_as_dafl_reads_them():
    for name, width in (("lenet5", 120), ("lenet5_half", 60)):
        model = build(name).eval()
        x = torch.randn(3, 1, 32, 32)
        features = model.forward_features(x)
        assert features.shape == (3, width) and model.num_features == width
        assert torch.equal(features, torch.flatten(model.features(x), 1))
        assert torch.allclose(model.forward_head(features), model(x))


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="unknown model 'resnet9000'"):
        build("resnet9000")


def test_generator_b_is_dfads_dcgan_generator():
    torch.manual_seed(0)
    g = build("generator_b", nz=64, ngf=16, img_size=32).train()
    layers = list(g.blocks)
    assert isinstance(layers[0], torch.nn.BatchNorm2d)
    assert isinstance(layers[1], torch.nn.ConvTranspose2d)  # no activation after the first BN
    assert isinstance(layers[-1], torch.nn.Tanh)  # no BN after tanh: x in [-1, 1]
    x = g(torch.randn(8, 64))
    assert x.abs().max() <= 1
    convs = [m for m in g.modules() if isinstance(m, (torch.nn.ConvTranspose2d, torch.nn.Conv2d))]
    weights = torch.cat([m.weight.flatten() for m in convs] + [g.project.weight.flatten()])
    assert abs(weights.std().item() - 0.02) < 0.002 and abs(weights.mean().item()) < 0.002
    kit = build("generator_b", nz=64, ngf=16, img_size=32, first_activation=True,
                output_bn=True, dcgan_init=False)
    assert len(kit.blocks) == len(g.blocks) + 2
    y = kit.train()(torch.randn(64, 64))
    assert y.mean().abs() < 1e-3 and (y.std() - 1).abs() < 0.05  # the affine-free final BN


def test_generator_a_conv_bias_is_dfads_option():
    with_bias = build("generator_a", nz=8, ngf=4, conv_bias=True)
    without = build("generator_a", nz=8, ngf=4)
    assert len(with_bias.state_dict()) == len(without.state_dict()) + 2
