"""A method is one file plus one registry row: registered from this file alone (its settings,
its losses), it trains through the unchanged engine; rows refuse settings that contradict them,
and every setting is reachable by name, typed."""

from dataclasses import dataclass

import pytest
import torch
from conftest import make_distiller, smoke_config

from ddad_lite.config.building import RUN_FIELDS, make_config, settings_help
from ddad_lite.config.overrides import field_types
from ddad_lite.errors import UserError
from ddad_lite.methods import (
    EXTENSIONS,
    METHODS,
    KDSettings,
    Method,
    detached,
    no_param_grad,
    register_method,
)


@dataclass
class ConfidenceSettings(KDSettings):
    confidence: float = 1.0  # weight of -max softmax(T(x)) in L_G

    def validate(self):
        super().validate()
        if self.confidence < 0:
            raise UserError("confidence must be >= 0")


class ConfidenceMethod(Method):
    """L_G = -confidence * mean max_c softmax(T(G(z)))_c: images T is sure about. Its whole
    iteration, through the engine's surface only (methods.base.Engine)."""

    Settings = ConfidenceSettings
    generator_calls = 0

    def iteration(self, e, memory=None):
        T, S, G = e.nets
        for _ in range(e.cfg.student_steps):
            with torch.no_grad(), e.autocast():
                x = G(e.sample_z())
            loss_S = self.distil(e, x)  # min D(S(x), T(x))
        with no_param_grad(S), e.autocast():
            p = T(G(e.sample_z())).float().softmax(1)
            l_conf = -p.max(1).values.mean()
            loss_G = self.settings.confidence * l_conf
        e.update(loss_G, e.opt.G)
        ConfidenceMethod.generator_calls += 1
        return detached({"loss_S": loss_S, "loss_G": loss_G, "loss_confidence": l_conf})


@pytest.fixture
def confidence_method():
    register_method("confidence", ConfidenceMethod, settings=dict(confidence=2.0),
                    summary="a test method")
    yield "confidence"
    METHODS.pop("confidence")


def test_a_method_registered_from_a_test_file_trains_two_iterations(confidence_method,
                                                                      shapes_teacher):
    teacher, _ = shapes_teacher
    cfg = smoke_config(confidence_method, iterations=2, confidence="0.5")
    assert cfg.method_settings == {"confidence": {"discrepancy": "l1", "temperature": 1.0,
                                                  "confidence": 0.5}}
    d = make_distiller(teacher, cfg)
    g_before = [p.detach().clone() for p in d.G.parameters()]
    ConfidenceMethod.generator_calls = 0
    d.fit()
    assert d.step == 2 and ConfidenceMethod.generator_calls == 2
    assert [r["iteration"] for r in d.history["train"]] == [1, 2]
    assert all(torch.isfinite(torch.tensor(r["loss_confidence"])) for r in d.history["train"])
    assert any(not torch.equal(a, b) for a, b in zip(g_before, d.G.parameters(), strict=True))
    with pytest.raises(UserError, match="confidence must be >= 0"):
        smoke_config(confidence_method, confidence=-1)


@pytest.mark.parametrize("method, override, message", [
    ("dfad", dict(bn=1.0), "dfad fixes bn"),
    ("bn_only", dict(adversarial=1.0), "bn_only fixes adversarial"),
    ("dafl", dict(bn=1.0), "dafl fixes bn"),
    ("ddad", dict(bn=0.0), "ddad needs bn != 0.*dfad"),
    ("ddad", dict(adversarial=0), "ddad needs adversarial != 0.*bn_only"),
    ("dafl", dict(student_steps=5), "joint loop"),
    ("ddad", dict(bnn=1.0), "did you mean 'bn'"),
    ("ddad", dict(fc_adversarial=1.0), "unknown setting 'fc_adversarial'"),
    ("ddad", dict(bn="inf"), "'bn' must be float"),
    ("ddad", dict(iterations="ten"), "'iterations' must be int"),
    ("ddad", dict(discrepancy="l3"), "discrepancy 'l3' is unknown"),
    ("deepinv", dict(pool_size=0), "pool_size must be >= 1"),
    ("ddad", dict(student_steps=0), "'student_steps' must be >= 1"),
    ("ddad", dict(iterations=-5), "'iterations' must be >= 1"),
    ("ddad", dict(eval_every=-1), "'eval_every' must be >= 0"),
    ("ddad", dict(seed=-1), "'seed' must be >= 0"),
    ("ddad", dict(lr_student="nan"), "'lr_student' must be float"),
    ("ddad", dict(lr_generator=0), "'lr_generator' must be > 0"),
    ("ddad", dict(lr_milestones="0.5,2"), "lr_milestones are fractions"),
    ("ddad", dict(student_optimizer="rmsprop"), "unknown student_optimizer 'rmsprop'"),
    ("dafl", dict(entropy_log_base=1), "entropy_log_base must be > 0 and not 1"),
])
def test_contradicting_or_unknown_settings_are_refused_in_one_line(method, override, message):
    with pytest.raises(UserError, match=message) as info:
        make_config("shapes", method, "smoke", **override)
    assert "\n" not in str(info.value)


def test_allowed_overrides_land_in_the_method_settings():
    cfg = make_config("shapes", "ddad", "smoke", bn="0.5", adversarial=2, iterations="7")
    assert cfg.method_settings["ddad"]["bn"] == 0.5 and cfg.iterations == 7
    assert cfg.method_settings["ddad"]["adversarial"] == 2.0
    seg = make_config("scenes", "dfad", "smoke")  # a recipe's generic method setting applies
    assert seg.method_settings["dfad"]["generator_discrepancy"] == "log_l1"
    replay = make_config("shapes", "ddad+replay", "smoke", replay_fraction="0.5")
    assert replay.method_settings["replay"]["replay_fraction"] == 0.5


def test_setting_names_are_unambiguous_and_listed():
    """No method setting shadows a run field, and an extension's names never collide with a
    method's, so a flat `--set name=value` always means one thing."""
    rows = list(METHODS.values())
    for row in rows:
        assert not set(field_types(row.method.Settings)) & set(RUN_FIELDS)
        for ext in EXTENSIONS.values():
            assert not set(field_types(row.method.Settings)) & set(
                field_types(ext.method.Settings))
    names = [name for name, _, _ in settings_help("adv_fc+replay")]
    assert {"iterations", "bn", "fc_adversarial", "replay_lr"} <= set(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("dataset, weights, optimizer, lr_g, nz", [
    ("mnist", (1.0, 0.1, 5.0), "adam", 0.2, 100),  # DAFL-train.py's defaults
    ("cifar10", (0.05, 0.01, 5.0), "sgd", 0.02, 1000),  # DAFL's README commands
    ("cifar100", (0.5, 0.1, 20.0), "sgd", 0.02, 1000),
])
def test_dafl_takes_dafls_settings_per_dataset_and_its_schedule_in_full(dataset, weights,
                                                                         optimizer, lr_g, nz):
    smoke, full = (make_config(dataset, "dafl", p) for p in ("smoke", "full"))
    for cfg in (smoke, full):
        s = cfg.method_settings["dafl"]
        assert (s["onehot"], s["activation"], s["entropy"], s["entropy_log_base"]) == (
            *weights, 10.0)
        assert (cfg.student_optimizer, cfg.lr_generator, cfg.nz, cfg.generator) == (
            optimizer, lr_g, nz, "generator_dafl")
        assert cfg.student_steps == 1 and cfg.schedule_generator is False
    assert smoke.batch_size < 64 and smoke.iterations < 10  # the profile's own schedule
    assert (full.batch_size, full.iterations) == (
        (512, 24_000) if dataset == "mnist" else (1024, 240_000))
    assert full.lr_milestones == (() if dataset == "mnist" else (0.4, 0.8))
    # Other methods keep the dataset's recipe.
    other = make_config(dataset, "ddad", "full")
    assert (other.student_optimizer, other.generator, other.schedule_generator) == (
        "sgd", "generator_a", True)


def test_a_tuple_setting_reads_every_way_a_user_writes_it():
    from ddad_lite.config.overrides import coerce

    for text, expected in [("0.6,0.85", (0.6, 0.85)), ("(0.6, 0.85)", (0.6, 0.85)),
                           ("[0.6,0.85]", (0.6, 0.85)), ("()", ()), ("[]", ()), ("0.5", (0.5,))]:
        assert coerce("lr_milestones", text, tuple) == expected, text
