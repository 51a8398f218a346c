"""One config dataclass per run, and the profiles that fill it per dataset.

`DistillConfig` holds every setting of a distillation run; `TeacherConfig` every setting of a
teacher's training. Both are saved into every checkpoint and every `metrics.json`, so any
result can be traced back and resumed (after nanoGPT).

Profiles:
  smoke  seconds: checks the plumbing (tests, CI); its accuracies mean nothing.
  quick  minutes on a laptop CPU: a real, smaller experiment.
  full   the paper's schedule (DFAD's protocol), meant for a GPU.

`make_config(dataset, method, profile, **overrides)` starts from the dataclass defaults, applies
the dataset's recipe for the profile, then the method's own settings, then `overrides`
(e.g. the CLI's flags).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from .errors import UserError, unknown_name

PROFILES = ("smoke", "quick", "full")


@dataclass
class TeacherConfig:
    dataset: str = "shapes"
    model: str = "convnet_teacher"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 6
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 0
    train_size: int | None = None  # None: the whole train split
    amp: bool | str = False  # bfloat16 autocast; "auto": where the device has native bf16
    channels_last: bool = False
    eval_size: int | None = None  # test images scored (None: the whole test split)


@dataclass
class DistillConfig:
    # What is distilled into what.
    dataset: str = "shapes"
    method: str = "ddad"
    profile: str = "quick"
    teacher: str = "convnet_teacher"
    teacher_kwargs: dict = field(default_factory=dict)
    student: str = "convnet_student"
    student_kwargs: dict = field(default_factory=dict)
    generator: str = "generator_a"
    nz: int = 256  # size of z
    ngf: int = 64  # generator width
    # Schedule: `iterations` generator steps, each after `student_steps` (k) student steps.
    iterations: int = 300
    student_steps: int = 5
    batch_size: int = 128
    # Optimisers: SGD for S, Adam for G; the lr drops by `lr_gamma` at each milestone
    # (given as fractions of `iterations`).
    lr_student: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    lr_generator: float = 1e-3
    lr_milestones: tuple = ()
    lr_gamma: float = 0.1
    # The generator's objective L_G = alpha * L_BN - beta * D(S(x), T(x)).
    alpha: float = 1.0
    beta: float = 1.0
    discrepancy: str = "l1"  # D for the student step and the generator step
    generator_discrepancy: str | None = None  # None: same as `discrepancy`
    temperature: float = 1.0
    # Optional teacher priors in L_G (DAFL's): + lambda_ie * L_ie + lambda_oh * L_oh.
    class_balance_weight: float = 0.0
    onehot_weight: float = 0.0
    # Settings of single methods (ddad_lite/methods/; each method reads only its own).
    # DAFL: weights of L_G's one-hot, activation and information-entropy terms (DAFL's own).
    dafl_onehot: float = 1.0
    dafl_activation: float = 0.1
    dafl_entropy: float = 5.0
    # DeepInversion: a batch of pixels is optimised (alpha * L_BN + CE + tv * TV + l2 * |x|^2)
    # for `deepinv_steps` Adam steps per generator step; after `deepinv_rounds` generator steps
    # it joins a pool of at most `deepinv_pool_size` batches that the student steps draw from.
    deepinv_steps: int = 5
    deepinv_rounds: int = 10
    deepinv_pool_size: int = 8
    deepinv_lr: float = 0.05
    deepinv_tv: float = 0.05
    deepinv_l2: float = 1e-3
    deepinv_jitter: int = 2  # random shifts of up to this many pixels (and flips) per step
    # Adversarial*: a fully connected discriminator D_fc on softmax outputs; the student adds
    # adv_fc_weight * its adversarial loss to L_S.
    adv_fc_weight: float = 0.1
    adv_fc_hidden: int = 64
    adv_fc_lr: float = 1e-3
    # Generative pseudo replay ("+replay"): a VAE trained on the synthetic samples seen so far
    # adds round(replay_fraction * batch_size) samples to each student batch once a fraction
    # `replay_warmup` of the iterations has passed.
    replay_fraction: float = 0.25
    replay_warmup: float = 0.2
    replay_latent: int = 64
    replay_width: int = 32
    replay_lr: float = 5e-4
    replay_kl_weight: float = 1e-3
    replay_logits: bool = True  # the VAE also reconstructs T's logits (as PRE-DFKD's code)
    # Evaluation (on the real test split, never used for training) and logging.
    eval_every: int = 25
    eval_size: int | None = None  # None: the whole test split
    log_every: int = 5
    snapshot_every: int = 25
    snapshot_size: int = 32
    checkpoint_every: int = 0  # 0: only at the end
    # Runtime.
    seed: int = 0
    device: str = "cpu"
    amp: bool | str = False  # bfloat16 autocast; "auto": where the device has native bf16
    channels_last: bool = False
    compile: bool = False
    progress: bool = True
    data_root: str | None = None
    # The teacher this run distils (trained on first use, then cached).
    teacher_recipe: TeacherConfig = field(default_factory=TeacherConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DistillConfig:
        d = dict(d)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UserError(f"config has unknown fields {sorted(unknown)}; "
                            "was it written by another version of ddad-lite?")
        d["teacher_recipe"] = TeacherConfig(**d.get("teacher_recipe", {}))
        if "lr_milestones" in d:
            d["lr_milestones"] = tuple(d["lr_milestones"])
        return cls(**d)


# Settings that do not change what a run computes: a resumed run may change them.
RUNTIME_FIELDS = ("progress", "device", "data_root", "checkpoint_every", "log_every")


def config_differences(a: DistillConfig, b: DistillConfig) -> list[str]:
    """Names of the fields (other than runtime ones) in which two configs differ."""
    da, db = _comparable(a), _comparable(b)
    return [k for k in da if da[k] != db.get(k)]


def config_fingerprint(cfg: DistillConfig) -> str:
    """Twelve hex digits of the sha256 of the config without its runtime fields: two configs
    that would train the same run share it (`config_differences` is empty between them)."""
    text = json.dumps(_comparable(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _comparable(cfg: DistillConfig) -> dict:
    """The fields that decide what a run trains, JSON-normalised (runtime fields left out)."""
    return {k: v for k, v in _normalise(cfg.to_dict()).items() if k not in RUNTIME_FIELDS}


def _normalise(d):
    # JSON turns tuples into lists; compare like with like.
    if isinstance(d, dict):
        return {k: _normalise(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_normalise(v) for v in d]
    return d


# Recipes: per dataset, the settings shared by every profile and those of each profile.
RECIPES: dict[str, dict] = {
    # The embedded default. The quick profile is sized for about 5 minutes on 2 CPU cores,
    # teacher included: a teacher trained on 8,000 images for 2 epochs (about 99% test
    # accuracy), bfloat16 autocast where the CPU has native bf16 (amp="auto"; docs/speed.md)
    # and channels_last, and 600 iterations at batch 64 with k = 5.
    "shapes": {
        "common": dict(teacher="convnet_teacher", student="convnet_student",
                       generator="generator_a", nz=128, ngf=32),
        "smoke": dict(iterations=6, batch_size=32, student_steps=2, eval_every=3, eval_size=500,
                      log_every=1, snapshot_every=3, snapshot_size=16,
                      teacher_recipe=dict(epochs=1, train_size=2000)),
        "quick": dict(iterations=600, batch_size=64, student_steps=5, eval_every=50,
                      snapshot_every=50, lr_milestones=(0.6, 0.85), amp="auto",
                      channels_last=True,
                      teacher_recipe=dict(epochs=2, train_size=8000, batch_size=64, amp="auto",
                                          channels_last=True)),
        "full": dict(iterations=5000, batch_size=256, student_steps=5, eval_every=250,
                     snapshot_every=250, lr_milestones=(0.4, 0.8), nz=256, ngf=64,
                     teacher_recipe=dict(epochs=30)),
    },
}

# CIFAR: DFAD's protocol (ResNet-34-8x -> ResNet-18-8x, GeneratorA, nz 256, batch 256, 500 x 50
# iterations, student SGD 0.1, generator Adam 1e-3, lr x0.1 at 100 and 200 epochs).
_CIFAR = {
    "common": dict(teacher="resnet34_8x", student="resnet18_8x", generator="generator_a",
                   nz=256, ngf=64, lr_student=0.1, lr_generator=1e-3, weight_decay=5e-4),
    "smoke": dict(iterations=2, batch_size=8, student_steps=1, eval_every=2, eval_size=200,
                  log_every=1, snapshot_every=2, snapshot_size=8,
                  teacher_recipe=dict(epochs=1, train_size=256, batch_size=32, eval_size=500)),
    "quick": dict(iterations=200, batch_size=64, student_steps=5, eval_every=20,
                  eval_size=2000, snapshot_every=20, lr_milestones=(0.6, 0.85),
                  teacher_recipe=dict(epochs=5, batch_size=128, lr=0.1)),
    "full": dict(iterations=25000, batch_size=256, student_steps=5, eval_every=250,
                 snapshot_every=1000, lr_milestones=(0.2, 0.4),
                 teacher_recipe=dict(epochs=200, batch_size=128, lr=0.1)),
}
RECIPES["cifar10"] = _CIFAR
RECIPES["cifar100"] = _CIFAR

# MNIST: DAFL's and DFAD's LeNet-5 -> LeNet-5-half (full: batch 512, 40 x 50 iterations).
# The published LeNets have no BatchNorm, which leaves DDAD's L_BN nothing to match: the kit's
# MNIST teacher is LeNet-5 with a BatchNorm after each convolution (`bn=True`), used by every
# method so that they share one teacher. The generator is sized for 32x32 grey digits (MNIST
# padded from 28): generator_a with ngf 32 (quick) or 64 (full).
RECIPES["mnist"] = {
    "common": dict(teacher="lenet5", teacher_kwargs={"bn": True}, student="lenet5_half",
                   generator="generator_a", nz=100, lr_student=0.1, lr_generator=1e-3,
                   weight_decay=5e-4),
    "smoke": dict(iterations=2, batch_size=16, student_steps=1, eval_every=2, eval_size=500,
                  log_every=1, snapshot_every=2, snapshot_size=8, ngf=16,
                  teacher_recipe=dict(epochs=1, train_size=1000, batch_size=64)),
    "quick": dict(iterations=600, batch_size=128, student_steps=5, eval_every=50, ngf=32,
                  snapshot_every=50, lr_milestones=(0.6, 0.85),
                  teacher_recipe=dict(epochs=4, batch_size=128, lr=0.05)),
    "full": dict(iterations=2000, batch_size=512, student_steps=5, eval_every=50, ngf=64,
                 snapshot_every=250, lr_milestones=(0.5, 0.75),
                 teacher_recipe=dict(epochs=20, batch_size=256, lr=0.05)),
}

# Caltech101: torchvision ResNet-34 -> ResNet-18 at 128 px with the DCGAN-style GeneratorB,
# batch 64, student lr 0.05 (DFAD).
RECIPES["caltech101"] = {
    "common": dict(teacher="resnet34", student="resnet18", generator="generator_b", nz=256,
                   ngf=64, lr_student=0.05, lr_generator=1e-3, weight_decay=5e-4),
    "smoke": dict(iterations=2, batch_size=4, student_steps=1, eval_every=2, eval_size=16,
                  log_every=1, snapshot_every=2, snapshot_size=4, ngf=8,
                  teacher_recipe=dict(epochs=1, train_size=32, batch_size=8)),
    "quick": dict(iterations=100, batch_size=32, student_steps=5, eval_every=20,
                  eval_size=1000, snapshot_every=20, ngf=32,
                  teacher_recipe=dict(epochs=5, batch_size=64, lr=0.05)),
    "full": dict(iterations=15000, batch_size=64, student_steps=5, eval_every=250,
                 snapshot_every=1000, lr_milestones=(0.33, 0.66),
                 teacher_recipe=dict(epochs=100, batch_size=64, lr=0.05)),
}
# Segmentation (DFAD's protocol): D = L1 on per-pixel logits for the student; the generator
# maximises log(1 + L1), i.e. minimises DFAD's -log(L1 + 1) (`generator_discrepancy`).
#
# `scenes`, the embedded default: a small encoder-decoder pair on 32-pixel scenes, with
# GeneratorA at 32 px (fast on a CPU; GeneratorB's transposed convolutions cost more there).
RECIPES["scenes"] = {
    "common": dict(teacher="segnet_teacher", student="segnet_student",
                   generator="generator_a", nz=128, ngf=32, discrepancy="l1",
                   generator_discrepancy="log_l1", eval_size=None),
    "smoke": dict(iterations=4, batch_size=8, student_steps=1, eval_every=2, eval_size=50,
                  log_every=1, snapshot_every=2, snapshot_size=8,
                  teacher_recipe=dict(epochs=1, train_size=400, batch_size=32, lr=0.05)),
    "quick": dict(iterations=350, batch_size=32, student_steps=5, eval_every=25,
                  snapshot_every=25, snapshot_size=16, lr_milestones=(0.7, 0.9),
                  teacher_recipe=dict(epochs=6, batch_size=32, lr=0.05)),
    "full": dict(iterations=3000, batch_size=64, student_steps=5, eval_every=100,
                 eval_size=None, snapshot_every=250, lr_milestones=(0.4, 0.8),
                 teacher_recipe=dict(epochs=30, batch_size=32, lr=0.05)),
}

# CamVid and NYUv2: DeepLabV3-ResNet50 -> DeepLabV3-MobileNetV2, GeneratorB at 128 px, batch
# 64, 300 "epochs" x 50 iterations, student SGD 0.1 (wd 5e-4 CamVid, 5e-5 NYUv2), lr x0.1
# after 100 epochs. The teachers are trained here from scratch (ImageNet backbones are off by
# default: no download); DFAD's teacher started from an ImageNet backbone, so expect a lower
# teacher mIoU unless `teacher_kwargs={"pretrained_backbone": True}` is set while online.
def _dfad_segmentation(weight_decay: float) -> dict:
    return {
        "common": dict(teacher="deeplabv3_resnet50", student="deeplabv3_mobilenetv2",
                       generator="generator_b", nz=256, ngf=64, discrepancy="l1",
                       generator_discrepancy="log_l1", lr_student=0.1,
                       weight_decay=weight_decay, lr_generator=1e-3),
        # Plumbing only, on a CPU: two images a batch, whole-frame evaluation of 2 test frames.
        "smoke": dict(iterations=2, batch_size=2, student_steps=1, eval_every=2, eval_size=2,
                      log_every=1, snapshot_every=2, snapshot_size=2,
                      teacher_recipe=dict(epochs=1, train_size=4, batch_size=2, lr=0.01,
                                          eval_size=2)),
        # Minutes on a GPU: a short schedule of the same protocol.
        "quick": dict(iterations=1000, batch_size=32, student_steps=5, eval_every=100,
                      eval_size=None, snapshot_every=100, snapshot_size=16,
                      lr_milestones=(1 / 3,),
                      teacher_recipe=dict(epochs=60, batch_size=16, lr=0.02)),
        # DFAD's schedule: 300 x 50 iterations, lr x0.1 at epoch 100; evaluated every epoch.
        "full": dict(iterations=15000, batch_size=64, student_steps=5, eval_every=50,
                     eval_size=None, snapshot_every=500, snapshot_size=16,
                     lr_milestones=(1 / 3,),
                     teacher_recipe=dict(epochs=200, batch_size=16, lr=0.02,
                                         weight_decay=weight_decay)),
    }


RECIPES["camvid"] = _dfad_segmentation(weight_decay=5e-4)
RECIPES["nyuv2"] = _dfad_segmentation(weight_decay=5e-5)

# Per-method settings applied after the dataset's recipe. `dfad` is DDAD without the BN term;
# `bn_only` is the other half of the ablation (the generator matches BN statistics only).
METHOD_SETTINGS: dict[str, dict] = {
    "ddad": {},
    "dfad": dict(alpha=0.0),
    "bn_only": dict(beta=0.0),
    # DAFL: teacher priors only (no BN term, no adversarial term); KD with KL at tau = 1 as in
    # DAFL's code; its own weights one-hot 1, activation 0.1, entropy 5.
    "dafl": dict(alpha=0.0, beta=0.0, discrepancy="kl", temperature=1.0, dafl_onehot=1.0,
                 dafl_activation=0.1, dafl_entropy=5.0),
    # DeepInversion: BN statistics + image priors + CE on pixels; KD with KL at tau = 1.
    "deepinv": dict(alpha=1.0, beta=0.0, discrepancy="kl", temperature=1.0),
    # Adversarial*: DDAD's generator loss, plus the FC discriminator in the student's loss.
    "adv_fc": dict(alpha=1.0, beta=1.0, adv_fc_weight=0.1),
}


# Suffixes that combine with a generative method, e.g. "ddad+replay".
METHOD_SUFFIXES = ("replay",)


def check_method(method: str) -> None:
    """Raise a UserError unless `method` is a known method, optionally with suffixes."""
    base, *suffixes = method.split("+")
    known = list(METHOD_SETTINGS) + [f"{m}+{s}" for m in METHOD_SETTINGS for s in METHOD_SUFFIXES]
    if base not in METHOD_SETTINGS or any(s not in METHOD_SUFFIXES for s in suffixes):
        raise unknown_name("method", method, known)


def register_recipe(dataset: str, recipe: dict):
    RECIPES[dataset] = recipe


def make_config(dataset: str = "shapes", method: str = "ddad", profile: str = "quick",
                **overrides) -> DistillConfig:
    """The config of a run: defaults <- dataset recipe <- method settings <- overrides."""
    if profile not in PROFILES:
        raise unknown_name("profile", profile, PROFILES)
    if dataset not in RECIPES:
        raise unknown_name("dataset", dataset, RECIPES)
    check_method(method)
    recipe = RECIPES[dataset]
    settings: dict = {}
    for layer in (recipe.get("common", {}), recipe.get(profile, {}),
                  METHOD_SETTINGS.get(method.split("+")[0], {}), overrides):
        for k, v in layer.items():
            if k == "teacher_recipe":
                settings.setdefault("teacher_recipe", {}).update(v)
            else:
                settings[k] = v
    teacher_recipe = settings.pop("teacher_recipe", {})
    fields = {f.name for f in dataclasses.fields(DistillConfig)}
    unknown = set(settings) - fields
    if unknown:
        raise UserError(f"unknown setting(s) {sorted(unknown)}; see DistillConfig in "
                        "ddad_lite/config.py for the names")
    cfg = DistillConfig(dataset=dataset, method=method, profile=profile, **settings)
    cfg.teacher_recipe = TeacherConfig(
        dataset=dataset, model=cfg.teacher, model_kwargs=dict(cfg.teacher_kwargs),
        **teacher_recipe)
    return cfg

