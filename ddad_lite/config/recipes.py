"""Recipes: for each dataset and profile, the settings a run starts from. A profile is one
compute budget, the same word everywhere:

  smoke  seconds: checks the plumbing (tests, CI); its accuracies mean nothing.
  quick  minutes on a laptop CPU: a real, smaller experiment.
  full   the long schedule, meant for a GPU (DFAD's protocol where the dataset is one of its
         benchmarks: DDAD's own schedule is not public, so `full` is the kit's choice there).

Every profile but `smoke` scores the student on the whole test split (`eval_size=None`), the
examples the teacher is scored on; `val_size` (in `common`) is the validation split carved
from the train split (data/validation.py): the images that choose the "best" evaluation, held
out of the teacher's training as well.

A recipe is `RECIPES[dataset] = {"common": {...}, "smoke": {...}, "quick": {...}, "full":
{...}, "methods": {method: {...}}}`: `common` applies to every profile, each profile adds its
schedule, and `methods` (optional) holds per-dataset settings of single methods, for every
profile, with a profile's own under its name (`{"onehot": 0.05, "full": {"batch_size":
1024}}`). Keys are `DistillConfig` fields, `teacher_recipe` (a dict of `TeacherConfig`
fields) or method settings (e.g. `discrepancy`), which apply to every method that has them.

`config.building.make_config` turns a recipe, a method and overrides into a `DistillConfig`;
the notebooks' budgets laid over a recipe live with the lessons (`lessons/budgets.py`).
"""

from __future__ import annotations

PROFILES = ("smoke", "quick", "full")
# Profiles of single runs that only some datasets have (the notebook series uses PROFILES):
#   gpu    one GPU in ten minutes, teacher included (`python -m ddad_lite gpu-reproduce`):
#          the dataset's `full` pair on a compressed schedule; CIFAR-10 only for now.
RUN_PROFILES = PROFILES + ("gpu",)

# Per dataset: the settings shared by every profile, and those of each profile.
RECIPES: dict[str, dict] = {
    # The embedded default. The quick profile is sized for about 5 minutes on 2 CPU cores,
    # teacher included: a teacher trained on 8,000 images for 2 epochs (about 99% test
    # accuracy), bfloat16 autocast where the CPU has native bf16 (amp="auto"; docs/speed.md)
    # and channels_last, and 600 iterations at batch 64 with k = 5.
    # The CPU-sized pair: the convnets at half width (teacher 16-32-64, about 99.2% after 3
    # epochs on 8,000 images in 15 s on 2 cores; student 8-16-32), GeneratorA at ngf 16. At
    # 600 iterations of batch 64 DDAD's student reached 0.908 with it (seed 0) against 0.889
    # with the full-width pair, in half the time (0.36 s an iteration instead of 0.72).
    "shapes": {
        "common": dict(teacher="convnet_teacher_half", student="convnet_student_half",
                       generator="generator_a", nz=128, ngf=16, val_size=2000),
        "smoke": dict(iterations=6, batch_size=32, student_steps=2, eval_every=3, eval_size=500,
                      val_size=200,
                      log_every=1, snapshot_every=3, snapshot_size=16,
                      teacher_recipe=dict(epochs=1, train_size=2000)),
        "quick": dict(iterations=600, batch_size=64, student_steps=5, eval_every=50,
                      snapshot_every=50, lr_milestones=(0.6, 0.85), amp="auto",
                      channels_last=True,
                      teacher_recipe=dict(epochs=3, train_size=8000, batch_size=64, amp="auto",
                                          channels_last=True)),
        "full": dict(iterations=5000, batch_size=256, student_steps=5, eval_every=250,
                     snapshot_every=250, lr_milestones=(0.4, 0.8), nz=256, ngf=64,
                     teacher_recipe=dict(epochs=30)),
        # DAFL on shapes: the kit's choice (DAFL has no such dataset): the weights of DAFL's
        # MNIST command (its argparse defaults), not tuned here; the kit's generator.
        "methods": {"dafl": dict(onehot=1.0, activation=0.1, entropy=5.0)},
    },
}

# DeepInversion on shapes: the kit's choices for a short budget (50 pixel steps per batch, not
# the reference's 2,000), kept from the kit's first version: L_BN weight 1, Adam betas
# (0.5, 0.99), random flips and clipping to the image range (as NVlabs' ImageNet code), and an
# L1 total variation (ImageNet's 4-direction form at 0.025, about the kit's former 2-direction
# 0.05) instead of CIFAR's L2 one. Every other setting is the reference's.
_DEEPINV_SHAPES = dict(bn=1.0, betas=(0.5, 0.99), flip=True, clip=True, tv_l1=0.025, tv_l2=0.0)
RECIPES["shapes"]["methods"].update(deepinv=_DEEPINV_SHAPES, adi=_DEEPINV_SHAPES)

# "+replay"'s VAE as PRE-DFKD's code sizes it on CIFAR and MNIST (main.py line 30, latent_dim;
# networks/generator.py, 128 channels); on `shapes` and in the quick profiles the CPU-sized
# defaults of methods/rehearsal.py (latent 64, width 32). "+buffer" matches whichever it is.
_PRE_DFKD_VAE = dict(replay_latent=1000, replay_width=128)

# CIFAR: DFAD's protocol (ResNet-34-8x -> ResNet-18-8x, GeneratorA, nz 256, batch 256, 500 x 50
# iterations, student SGD 0.1, generator Adam 1e-3, lr x0.1 at 100 and 200 epochs; GeneratorA
# with DFAD's conv biases).
_CIFAR = {
    "common": dict(teacher="resnet34_8x", student="resnet18_8x", generator="generator_a",
                   generator_kwargs={"conv_bias": True}, nz=256, ngf=64, lr_student=0.1,
                   lr_generator=1e-3, weight_decay=5e-4, val_size=5000),
    "smoke": dict(iterations=2, batch_size=8, student_steps=1, eval_every=2, eval_size=200,
                  val_size=100,
                  log_every=1, snapshot_every=2, snapshot_size=8,
                  teacher_recipe=dict(epochs=1, train_size=256, batch_size=32, eval_size=500)),
    # Minutes on 2 CPU cores: the CPU-sized pair of the `shapes` recipe (a VGG-like convnet
    # teacher, about 10 minutes for 5 epochs, and a 4x narrower student), GeneratorA at half
    # width, 400 iterations of batch 64 with k = 5, scored on the whole test split. The
    # ResNet-34-8x -> ResNet-18-8x pair of DFAD's protocol is `full` (a GPU's work).
    "quick": dict(teacher="convnet_teacher", student="convnet_student", ngf=32,
                  iterations=400, batch_size=64, student_steps=5, eval_every=40,
                  eval_size=None, snapshot_every=40, lr_milestones=(0.6, 0.85),
                  channels_last=True,
                  teacher_recipe=dict(epochs=5, batch_size=128, lr=0.05, channels_last=True)),
    # DFAD_cifar.py steps MultiStepLR([100, 200]) at the start of each epoch (lines 163-165):
    # the lr drops after 99 and 199 of the 500 epochs. It tests after every epoch of 50
    # iterations (eval_every=50), and its ResNets start from Kaiming-normal fan_out convs
    # (network/resnet_8x.py lines 73-78; `init="kaiming"`, models/resnet_cifar.py).
    "full": dict(iterations=25000, batch_size=256, student_steps=5, eval_every=50,
                 teacher_kwargs={"init": "kaiming"}, student_kwargs={"init": "kaiming"},
                 snapshot_every=1000, lr_milestones=(99 / 500, 199 / 500), **_PRE_DFKD_VAE,
                 teacher_recipe=dict(epochs=200, batch_size=128, lr=0.1)),
}
# `gpu`: DFAD's pair (ResNet-34-8x -> ResNet-18-8x, GeneratorA, batch 256, k = 5, S SGD 0.1,
# G Adam 1e-3) in one 10-minute command on one H100/H200, teacher included.
# - The teacher, the fast recipe: 40 epochs of one-cycle Nesterov SGD at batch 512 (peak lr
#   0.2, 15% warm-up, wd 5e-4), label smoothing 0.1, reflect-padded crops and flips drawn on the
#   GPU, bf16 and channels_last: 1.8 M training images, about 12.5 PFLOP (~7 GFLOP an image).
#   Short one-cycle schedules of this kind train CIFAR ResNets to 94-95% in tens of epochs
#   (Smith & Topin, super-convergence, 2019); DFAD's own teacher takes 200 epochs.
# - The student: `gpu-reproduce` sets `iterations` to what its bench says fits the time left
#   (the recipe's 6,000 is about that on an H200), with the lr dropping x0.1 at 50% and 80%
#   of them. DFAD's schedule is 25,000 iterations (38.4 M synthetic images) with drops at 20%
#   and 40%; DFAD's curves rise fastest in their first fifth at lr 0.1, and methods with a BN
#   term reach 90% well before the end of theirs (Fast-Datafree's 220-epoch schedule, NAYER),
#   so a compressed schedule keeps half of it at lr 0.1. metrics.json says what share of
#   DFAD's images the student saw (`share_of_full_profile`).
# - Speed: bf16 autocast and channels_last, fused optimisers, a log (one read-back) every 50
#   iterations, evaluation every 500, a checkpoint only at the end.
_CIFAR["gpu"] = dict(iterations=6000, batch_size=256, student_steps=5, eval_every=500,
                     log_every=50, snapshot_every=1000, lr_milestones=(0.5, 0.8), amp="auto",
                     channels_last=True, checkpoint_minutes=0.0,
                     teacher_recipe=dict(epochs=40, batch_size=512, lr=0.2, warmup=0.15,
                                         label_smoothing=0.1, padding_mode="reflect",
                                         amp="auto", channels_last=True))
# DeepInversion as NVlabs' CIFAR-10 script runs it with its README's "paper parameters"
# (cifar10/deepinversion_cifar10.py, cifar10/README.md): 2,000 Adam steps per batch (here 20
# per generator step x 100 rounds), lr 0.05, Adam's default betas, L_BN weight 10, TV as L2
# norms over 4 directions at 2.5e-5, no l2 prior, jitter 2, no flip, no clipping, balanced
# targets. The same for Adaptive DeepInversion (`adi`), which adds its competition term.
_DEEPINV_CIFAR = dict(pixel_steps=20, rounds=100, pixel_lr=0.05, betas=(0.9, 0.999), bn=10.0,
                      first_bn_multiplier=1.0, tv_l2=2.5e-5, tv_l1=0.0, l2=0.0, jitter=2,
                      flip=False, clip=False, balanced_targets=True, lr_schedule="constant",
                      # quick (2 CPU cores): 100 pixel steps a batch, the kit's budget, so that
                      # the student sees 16 batches in 400 iterations instead of 4.
                      quick=dict(pixel_steps=2, rounds=50))


def _dafl_cifar(**weights) -> dict:
    """DAFL as its README's CIFAR commands run it (huawei-noah/Efficient-Computing,
    Data-Efficient-Model-Compression/DAFL: README.md, "To run DAFL on the CIFAR-10/100
    dataset"; DAFL-train.py lines 140-153 and 161-168): its generator with latent 1000, G Adam
    0.02 at a constant lr, S SGD 0.1 (momentum 0.9, wd 5e-4); `full`: batch 1024, 2000 epochs of
    120 iterations, S's lr x0.1 at epochs 800 and 1600, evaluated every epoch."""
    return dict(**weights, generator="generator_dafl", generator_kwargs={}, nz=1000,
                lr_generator=0.02,
                student_optimizer="sgd", lr_student=0.1, momentum=0.9, weight_decay=5e-4,
                # quick: the joint loop shows S one batch per iteration, the default loop k = 5:
                # 2,000 iterations give S the images that 400 give the other methods.
                quick=dict(iterations=2000, eval_every=200, snapshot_every=200),
                full=dict(iterations=240_000, batch_size=1024, lr_milestones=(0.4, 0.8),
                          eval_every=120))


RECIPES["cifar10"] = {**_CIFAR, "methods": {
    "dafl": _dafl_cifar(onehot=0.05, activation=0.01, entropy=5.0),
    "deepinv": _DEEPINV_CIFAR, "adi": _DEEPINV_CIFAR}}
RECIPES["cifar100"] = {**{k: v for k, v in _CIFAR.items() if k != "gpu"}, "methods": {
    "dafl": _dafl_cifar(onehot=0.5, activation=0.1, entropy=20.0),
    "deepinv": _DEEPINV_CIFAR, "adi": _DEEPINV_CIFAR}}

# MNIST: DAFL's and DFAD's LeNet-5 -> LeNet-5-half. DFAD's DFAD_mnist.py (run as run_mnist.sh
# runs it): batch 512, 40 x 50 iterations, student SGD lr 0.01 (momentum 0.9, weight decay
# 1e-4), generator Adam 1e-3, no lr schedule (`--scheduler` off), GeneratorA nz 100 with conv
# biases, on 32x32 digits resized from 28 (`mnist`; `mnist_padded` pads instead).
# The published LeNets have no BatchNorm, which leaves DDAD's L_BN nothing to match: the kit's
# MNIST teacher is LeNet-5 with a BatchNorm after each convolution (`bn=True`), used by every
# method so that they share one teacher, except `dfad` (and `dfad+...`), which distils DFAD's
# own BN-free LeNet-5 (`teacher_kwargs={"bn": False}`, its own cache entry): with the BN
# teacher DFAD does not reproduce on held-out MNIST (issue 26).
# quick runs on a CPU with its speed options (docs/speed.md): bf16 where native, channels_last.
RECIPES["mnist"] = {
    "common": dict(teacher="lenet5", teacher_kwargs={"bn": True}, student="lenet5_half",
                   generator="generator_a", generator_kwargs={"conv_bias": True}, nz=100,
                   lr_student=0.01, lr_generator=1e-3, weight_decay=1e-4, val_size=5000),
    "smoke": dict(iterations=2, batch_size=16, student_steps=1, eval_every=2, eval_size=500,
                  val_size=100,
                  log_every=1, snapshot_every=2, snapshot_size=8, ngf=16,
                  teacher_recipe=dict(epochs=1, train_size=1000, batch_size=64)),
    "quick": dict(iterations=600, batch_size=128, student_steps=5, eval_every=50, ngf=32,
                  snapshot_every=50, amp="auto", channels_last=True,
                  teacher_recipe=dict(epochs=4, batch_size=128, lr=0.05, amp="auto",
                                      channels_last=True)),
    # full: DFAD's schedule with the speed options that pay: channels_last made an iteration at
    # batch 512 1.65x faster on 2 AVX2 cores (`bench --setting mnist-lenet5 --batch-size 512
    # --compare`: 9.3 s against 15.5 s for the plain loop; 15.3 s without channels_last);
    # bf16 only where native.
    "full": dict(iterations=2000, batch_size=512, student_steps=5, eval_every=50, ngf=64,
                 snapshot_every=250, amp="auto", channels_last=True, **_PRE_DFKD_VAE,
                 teacher_recipe=dict(epochs=20, batch_size=256, lr=0.05)),
    # DAFL as its public code runs it on MNIST (huawei-noah/Efficient-Computing, Data-
    # Efficient-Model-Compression/DAFL/DAFL-train.py: argparse defaults, lines 33-42;
    # optimisers, lines 116-118): oh 1, a 0.1, ie 5; its generator (latent 100); G Adam 0.2;
    # S Adam 2e-3 without weight decay; no lr schedule; `full`: batch 512, 200 epochs of 120
    # iterations, evaluated every epoch. The teacher stays the kit's shared BN LeNet-5.
    "methods": {"dafl": dict(
        onehot=1.0, activation=0.1, entropy=5.0, generator="generator_dafl",
        generator_kwargs={}, nz=100, lr_generator=0.2, student_optimizer="adam",
        lr_student=2e-3, weight_decay=0.0,
        lr_milestones=(), full=dict(iterations=24_000, batch_size=512, eval_every=120)),
        "dfad": dict(teacher_kwargs={"bn": False})},
}
RECIPES["mnist_padded"] = RECIPES["mnist"]

# Caltech101: torchvision ResNet-34 -> ResNet-18 at 128 px with the DCGAN-style GeneratorB,
# batch 64, student lr 0.05 (DFAD's README command, with `--scheduler`: StepLR(100 epochs,
# x0.1) on S and G, stepped at the start of each epoch, so the lr drops after 99 and 199 of
# the 300 epochs of 50 iterations).
RECIPES["caltech101"] = {
    "common": dict(teacher="resnet34", student="resnet18", generator="generator_b", nz=256,
                   ngf=64, lr_student=0.05, lr_generator=1e-3, weight_decay=5e-4,
                   val_size=500),
    "smoke": dict(iterations=2, batch_size=4, student_steps=1, eval_every=2, eval_size=16,
                  val_size=8,
                  log_every=1, snapshot_every=2, snapshot_size=4, ngf=8,
                  teacher_recipe=dict(epochs=1, train_size=32, batch_size=8)),
    "quick": dict(iterations=100, batch_size=32, student_steps=5, eval_every=20,
                  snapshot_every=20, ngf=32,
                  teacher_recipe=dict(epochs=5, batch_size=64, lr=0.05)),
    "full": dict(iterations=15000, batch_size=64, student_steps=5, eval_every=250,
                 snapshot_every=1000, lr_milestones=(99 / 300, 199 / 300),
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
                   generator_discrepancy="log_l1", eval_size=None, val_size=500),
    "smoke": dict(iterations=4, batch_size=8, student_steps=1, eval_every=2, eval_size=50,
                  val_size=50,
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
# 64, 300 "epochs" x 50 iterations, student SGD 0.1 (wd 5e-4 CamVid, 5e-5 NYUv2), generator
# Adam 1e-3; DFAD's README runs them with `--scheduler`: StepLR(100 epochs) on S and G,
# stepped after each epoch, i.e. the lr drops after epochs 100 and 200 by 0.1 (CamVid,
# DFAD_camvid_deeplab.py, lines 186-187) or 0.3 (NYUv2, DFAD_nyu_deeplab.py, lines 182-183).
# The teachers are trained here from scratch (ImageNet backbones are off by
# default: no download); DFAD's teacher started from an ImageNet backbone, so expect a lower
# teacher mIoU unless `teacher_kwargs={"pretrained_backbone": True}` is set while online.
def _dfad_segmentation(weight_decay: float, lr_gamma: float, val_size: int) -> dict:
    return {
        "common": dict(teacher="deeplabv3_resnet50", student="deeplabv3_mobilenetv2",
                       generator="generator_b", nz=256, ngf=64, discrepancy="l1",
                       generator_discrepancy="log_l1", lr_student=0.1,
                       weight_decay=weight_decay, lr_generator=1e-3, lr_gamma=lr_gamma,
                       val_size=val_size),
        # Plumbing only, on a CPU: two images a batch, whole-frame evaluation of 2 test frames.
        "smoke": dict(iterations=2, batch_size=2, student_steps=1, eval_every=2, eval_size=2,
                      val_size=2,
                      log_every=1, snapshot_every=2, snapshot_size=2,
                      teacher_recipe=dict(epochs=1, train_size=4, batch_size=2, lr=0.01,
                                          eval_size=2)),
        # Minutes on a GPU: a short schedule of the same protocol.
        "quick": dict(iterations=1000, batch_size=32, student_steps=5, eval_every=100,
                      eval_size=None, snapshot_every=100, snapshot_size=16,
                      lr_milestones=(1 / 3, 2 / 3),
                      teacher_recipe=dict(epochs=60, batch_size=16, lr=0.02)),
        # DFAD's schedule: 300 x 50 iterations, lr x gamma after epochs 100 and 200; evaluated
        # every epoch.
        "full": dict(iterations=15000, batch_size=64, student_steps=5, eval_every=50,
                     eval_size=None, snapshot_every=500, snapshot_size=16,
                     lr_milestones=(1 / 3, 2 / 3),
                     teacher_recipe=dict(epochs=200, batch_size=16, lr=0.02,
                                         weight_decay=weight_decay)),
    }


RECIPES["camvid"] = _dfad_segmentation(weight_decay=5e-4, lr_gamma=0.1, val_size=50)
RECIPES["nyuv2"] = _dfad_segmentation(weight_decay=5e-5, lr_gamma=0.3, val_size=100)


def register_recipe(dataset: str, recipe: dict) -> None:
    """Add (or replace) the recipe of a dataset (e.g. one registered by a user)."""
    RECIPES[dataset] = recipe
