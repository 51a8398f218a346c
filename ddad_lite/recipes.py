"""Recipes: for each dataset and profile, the settings a run starts from; and the budgets the
notebooks share. A profile is one compute budget, the same word everywhere:

  smoke  seconds: checks the plumbing (tests, CI); its accuracies mean nothing.
  quick  minutes on a laptop CPU: a real, smaller experiment.
  full   the long schedule, meant for a GPU (DFAD's protocol where the dataset is one of its
         benchmarks: DDAD's own schedule is not public, so `full` is the kit's choice there).

A recipe is `RECIPES[dataset] = {"common": {...}, "smoke": {...}, "quick": {...}, "full":
{...}, "methods": {method: {...}}}`: `common` applies to every profile, each profile adds its
schedule, and `methods` (optional) holds per-dataset settings of single methods, for every
profile, with a profile's own under its name (`{"onehot": 0.05, "full": {"batch_size":
1024}}`). Keys are `DistillConfig` fields, `teacher_recipe` (a dict of `TeacherConfig`
fields) or method settings (e.g. `discrepancy`), which apply to every method that has them.

`LESSON_BUDGETS[profile]` is what the notebook series lays over a recipe so that its many
distillations fit the profile's budget (`lesson_budget(profile)`); notebook 01's inversion
schedule is `INVERSION_BUDGETS[profile]`. `configure.make_config` turns a recipe, a method and
overrides into a `DistillConfig`.
"""

from __future__ import annotations

from .errors import unknown_name

PROFILES = ("smoke", "quick", "full")

# Per dataset: the settings shared by every profile, and those of each profile.
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
        # DAFL on shapes: the kit's choice (DAFL has no such dataset): the weights of DAFL's
        # MNIST command (its argparse defaults), not tuned here; the kit's generator.
        "methods": {"dafl": dict(onehot=1.0, activation=0.1, entropy=5.0)},
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


def _dafl_cifar(**weights) -> dict:
    """DAFL as its README's CIFAR commands run it (huawei-noah/Efficient-Computing,
    Data-Efficient-Model-Compression/DAFL: README.md, "To run DAFL on the CIFAR-10/100
    dataset"; DAFL-train.py lines 140-153 and 161-168): its generator with latent 1000, G Adam
    0.02 at a constant lr, S SGD 0.1 (momentum 0.9, wd 5e-4); `full`: batch 1024, 2000 epochs of
    120 iterations, S's lr x0.1 at epochs 800 and 1600, evaluated every epoch."""
    return dict(**weights, generator="generator_dafl", nz=1000, lr_generator=0.02,
                student_optimizer="sgd", lr_student=0.1, momentum=0.9, weight_decay=5e-4,
                full=dict(iterations=240_000, batch_size=1024, lr_milestones=(0.4, 0.8),
                          eval_every=120))


RECIPES["cifar10"] = {**_CIFAR, "methods": {
    "dafl": _dafl_cifar(onehot=0.05, activation=0.01, entropy=5.0)}}
RECIPES["cifar100"] = {**_CIFAR, "methods": {
    "dafl": _dafl_cifar(onehot=0.5, activation=0.1, entropy=20.0)}}

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
    # DAFL as its public code runs it on MNIST (huawei-noah/Efficient-Computing, Data-
    # Efficient-Model-Compression/DAFL/DAFL-train.py: argparse defaults, lines 33-42;
    # optimisers, lines 116-118): oh 1, a 0.1, ie 5; its generator (latent 100); G Adam 0.2;
    # S Adam 2e-3 without weight decay; no lr schedule; `full`: batch 512, 200 epochs of 120
    # iterations, evaluated every epoch. The teacher stays the kit's shared BN LeNet-5.
    "methods": {"dafl": dict(
        onehot=1.0, activation=0.1, entropy=5.0, generator="generator_dafl", nz=100,
        lr_generator=0.2, student_optimizer="adam", lr_student=2e-3, weight_decay=0.0,
        lr_milestones=(), full=dict(iterations=24_000, batch_size=512, eval_every=120))},
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


def register_recipe(dataset: str, recipe: dict) -> None:
    """Add (or replace) the recipe of a dataset (e.g. one registered by a user)."""
    RECIPES[dataset] = recipe


# The notebooks that distil on `shapes` (02, 03 when CIFAR is absent, 05, 06) share one
# schedule per profile, laid over the recipe. `smoke` checks the plumbing in seconds. `quick`
# cuts the shapes quick recipe (600 iterations of batch 64, about 97%) so that the series' 11
# distillations fit its 15-minute CPU budget: 200 iterations of batch 32 with a constant
# learning rate, which on this budget learns faster than batch 64 or a decaying rate (the
# students are far from converged; the CLI's quick profile converges). `full` keeps the
# profile's own schedule.
LESSON_BUDGETS = {
    "smoke": dict(iterations=4, eval_every=2, eval_size=300, snapshot_every=2),
    "quick": dict(iterations=200, batch_size=32, lr_milestones=(), eval_every=20,
                  eval_size=1000, snapshot_every=20),
    "full": dict(),
}

# Notebook 01: iterations of the pixel and generator inversions against L_BN alone.
INVERSION_BUDGETS = {
    "smoke": dict(pixel_iterations=10, generator_iterations=10, record_every=5),
    "quick": dict(pixel_iterations=150, generator_iterations=150, record_every=15),
    "full": dict(pixel_iterations=1000, generator_iterations=1000, record_every=100),
}


def lesson_budget(profile: str) -> dict:
    """The overrides of `make_config` that the shapes notebooks share for `profile`."""
    if profile not in LESSON_BUDGETS:
        raise unknown_name("profile", profile, LESSON_BUDGETS)
    return dict(LESSON_BUDGETS[profile])


def inversion_budget(profile: str) -> dict:
    """Notebook 01's inversion schedule for `profile`."""
    if profile not in INVERSION_BUDGETS:
        raise unknown_name("profile", profile, INVERSION_BUDGETS)
    return dict(INVERSION_BUDGETS[profile])
