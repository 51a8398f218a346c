# %% [markdown]
# # 05 · Data-free distillation for semantic segmentation
#
# [Open in Colab](https://colab.research.google.com/github/ddad-lite/ddad-lite/blob/main/notebooks/05_segmentation.ipynb) · [Launch on Binder](https://mybinder.org/v2/gh/ddad-lite/ddad-lite/main?labpath=notebooks%2F05_segmentation.ipynb)
#
# DFAD and DDAD showed that adversarial data-free distillation carries over from classification
# to **dense prediction**: a student segmentation network learns from a teacher without seeing
# a single real image, where prior-based methods fail outright (DAFL reaches an mIoU of about
# 0.01 on CamVid in DFAD's table).
#
# **What you will learn**
# - how the generator-versus-student game changes when T and S output a class map per pixel
#   (logits of shape (B, C, H, W)), and what DFAD's generator loss $-\log(1 + L_1)$ changes
#   (why it helps is only a hypothesis);
# - how segmentation is scored (confusion matrix, IoU per class, mIoU, pixel accuracy);
# - what the generator's images look like through the teacher's and the student's eyes;
# - how close a data-free student gets to its teacher, beside DFAD's CamVid and NYUv2 table.
#
# **How long it takes.** On the embedded `scenes` dataset (32-pixel scenes, 6 classes):
# `smoke` about 20 seconds on a 2-core CPU (plumbing only, its numbers mean nothing); `quick`
# about 4 minutes on a 2-core CPU the first time (measured on a clean clone: 231 s; the teacher
# trains in under a minute, then is cached; the distillation takes 350 iterations, about 3;
# the teacher's and the student's mIoU are printed below, and their ratio in section 5);
# `full` is a longer schedule, best on a GPU
# (minutes). With
# `dataset = "camvid"` (after `python -m ddad_lite data prepare camvid --from camvid-jpeg.zip`)
# the `full` profile is DFAD's schedule (DeepLabV3-ResNet50 → DeepLabV3-MobileNetV2,
# 300 × 50 iterations): hours on a GPU, not for a CPU; its `smoke` profile runs on a CPU in
# under a minute.

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/05_segmentation"  # relative paths start at the project folder
seed = 0  # the seed of the notebook's runs and of its own random draws
cache_dir = None  # teacher cache; None: $DDAD_CACHE/teachers or <project>/checkpoints/teachers
data_root = None  # prepared datasets; None: $DDAD_DATA or <project>/data
dataset = "scenes"  # "scenes" (embedded), "camvid" or "nyuv2" (after `data prepare`)
method = "ddad"  # "ddad", "dfad" or "bn_only"

# %%
# Colab and Binder: install the kit only when it is missing (a local checkout already has it).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("ddad_lite") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "ddad-lite[notebooks] @ git+https://github.com/ddad-lite/ddad-lite"], check=True)
from ddad_lite.lessons.setup import setup

# The device (the hosted GPU on Colab or Binder), the folders and the seed of this lesson.
lesson = setup(profile, device=device, out_dir=out_dir, seed=seed, cache_dir=cache_dir,
               data_root=data_root)
device, progress, paths, out = lesson.device, lesson.progress, lesson.paths, lesson.out

# %%
# Derived settings (anything computed from the parameters lives here).
import torch
from IPython.display import Markdown, display

import ddad_lite.viz as viz
from ddad_lite.files import load_torch
from ddad_lite.config.building import make_config
from ddad_lite.data import dataset_info, get_dataset
from ddad_lite.runs.store import load_history, run_folder, run_or_load
from ddad_lite.lessons.series import write_key_figures
from ddad_lite.teacher import load_or_train_teacher
from ddad_lite.viz.segmentation_figures import comparison_table

cfg = make_config(dataset, method, profile, device=device, seed=seed, progress=progress,
                  data_root=str(paths["data_root"]))
info = dataset_info(dataset)
run_dir = run_folder(out, cfg)  # a folder per config (its fingerprint): a change, a new run
print(f"{dataset}: {info.num_classes} classes {info.class_names}, {info.image_size} px")
print(f"T = {cfg.teacher}, S = {cfg.student}, G = {cfg.generator}; {cfg.iterations} iterations "
      f"x (k = {cfg.student_steps} student steps + 1 generator step), batch {cfg.batch_size}")

# %% [markdown]
# ## 1 · The teacher
#
# The teacher $T$ is trained on the real training split with a per-pixel cross-entropy (void
# pixels, labelled `ignore_index`, do not count), then frozen. Its score, like the student's,
# comes from a confusion matrix $M$ over every test pixel, $M_{ij}$ = number of pixels of true
# class $i$ predicted as $j$:
#
# $$\mathrm{IoU}_c = \frac{M_{cc}}{\sum_j M_{cj} + \sum_i M_{ic} - M_{cc}}, \qquad
# \mathrm{mIoU} = \frac{1}{|C|} \sum_{c \in C} \mathrm{IoU}_c, \qquad
# \text{pixel acc} = \frac{\operatorname{tr} M}{\sum_{ij} M_{ij}}$$
#
# ($C$: the classes that occur). `ddad_lite.metrics.confusion_matrix` and `miou` compute these;
# the teacher is trained on first use and cached.

# %%
teacher, teacher_record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                                data_root=cfg.data_root, device=device,
                                                progress=progress)
print(f"teacher mIoU on the {dataset} test split: {teacher_record['accuracy']:.3f} "
      f"(sha256 {teacher_record['sha256'][:12]}...)")
test_split = get_dataset(dataset, "test", cfg.data_root)
viz.ground_truth_figure(teacher, test_split, info, n=6, device=device)

# %% [markdown]
# ## 2 · The game on dense outputs
#
# Nothing in the engine changes for segmentation: $T$ and $S$ return logits of shape
# $(B, C, H, W)$ and the discrepancy averages over pixels as well as over the batch. With
# $x = G(z)$, $z \sim \mathcal N(0, I)$ and the mean absolute difference of logits
#
# $$L_1(S(x), T(x)) = \frac{1}{B\,C\,H\,W} \sum_{b,c,h,w} \left| S(x)_{bchw} - T(x)_{bchw} \right|,$$
#
# the student step (repeated $k$ = `student_steps` times) and the generator step are
#
# $$L_S = L_1\big(S(x), T(x)\big) \text{ on } x = G(z) \text{ detached}, \qquad
# L_G = \alpha\, L_{BN}(T, x) - \beta \log\big(1 + L_1(S(x), T(x))\big).$$
#
# The $-\log(1 + L_1)$ term is DFAD's generator loss for segmentation (`generator_discrepancy =
# "log_l1"`). Whether and why the logarithm helps is a hypothesis, not shown here. "It damps
# G's push once the discrepancy is large" cannot be the whole story: $G$'s optimiser is Adam,
# whose per-coordinate normalisation cancels any constant scale of the loss. What
# $\log(1 + L_1)$ changes is a scale that *varies*: its gradient is $L_1$'s times
# $1/(1 + L_1)$, so as $L_1$ grows or shrinks over training G's steps change relative to Adam's
# running averages, and in DDAD the adversarial term's weight against $L_{BN}$ changes with
# it. Whether that keeps G from images where T and S disagree everywhere is untested.
# $L_{BN}$ is the teacher's BatchNorm-statistics loss (`alpha`, `beta` in the config; `dfad`
# sets $\alpha = 0$). DDAD's segmentation form, its weights and $k$ are **the kit's
# reconstruction** (DDAD has no public code and only its abstract is public;
# `docs/fidelity.md`): DFAD's loss with the BN term added.
# The real test split only *evaluates* $S$, every `eval_every` iterations; it never trains it.

# %%
# A finished run of this config is read back (re-opened notebook), one cut short is resumed.
metrics = run_or_load(cfg, run_dir, teacher=(teacher, teacher_record))
history = load_history(run_dir)
snapshots = load_torch(run_dir / "snapshots.pt", what="snapshots")
print({k: metrics[k] for k in ("teacher_miou", "student_miou", "mean_student_miou",
                               "best_student_miou", "wall_seconds")})

# %% [markdown]
# ## 3 · What the generator draws, and how T and S read it
#
# Each snapshot holds $G(z)$ for a fixed batch of $z$ with the teacher's and the student's masks
# (`Distiller.snapshot()` stores them as uint8 arrays). Early on $S$ disagrees with $T$ almost
# everywhere; the generator keeps looking for images where they still differ. The static figure
# shows the last snapshot; the slider below browses all of them (in a live kernel).

# %%
viz.mask_figure(snapshots[-1], info, n=8)

# %%
browser = viz.mask_browser(snapshots, info, n=8)
browser

# %%
# Animation twin: every snapshot of the slider played as HTML, which an exported notebook keeps.
browser.animation()

# %% [markdown]
# ## 4 · The student's mIoU over training
#
# The losses of training on the left, the student's mIoU on the real test split on the right
# (the teacher's as a dashed line). The final value is the result; the mean over training says how steady it was; the best is
# the test mIoU of the evaluation chosen on the validation split (held-out train scenes), never on the test split.

# %%
display(viz.history_figure(history, metric="student_miou",
                           teacher_score=metrics["teacher_miou"],
                           title=f"{method} on {dataset} ({profile})"))
per_class = history["eval"][-1]["student_per_class_iou"]
names = info.class_names or range(info.num_classes)
print("student IoU per class:",
      {n: (None if v is None else round(v, 3)) for n, v in zip(names, per_class)})

# %% [markdown]
# ## 5 · Beside DFAD's table
#
# DFAD's numbers are for CamVid and NYUv2 with DeepLabV3-ResNet50 → MobileNetV2 and an
# ImageNet-initialised teacher; the embedded `scenes` are far simpler, so compare the *ratio*
# student / teacher rather than the raw mIoU (DFAD's published teacher and student mIoU are
# rows of the table below; the whole table, with its sources, is in `docs/reference.md`).

# %%
display(Markdown(comparison_table(metrics, dataset)))
ratio = metrics["student_miou"] / max(metrics["teacher_miou"], 1e-9)
path = write_key_figures(
    out, dataset=dataset, method=method, profile=profile,
    teacher_miou=metrics["teacher_miou"], student_miou=metrics["student_miou"],
    mean_student_miou=metrics["mean_student_miou"],
    best_student_miou=metrics["best_student_miou"],
    student_over_teacher=ratio, wall_seconds=metrics["wall_seconds"])
print(f"student / teacher mIoU = {ratio:.2f}; key figures in {path}")

# %% [markdown]
# ## Summary
#
# - Adversarial data-free distillation needs no change for dense outputs: the same loop, with
#   the discrepancy averaged over pixels, and DFAD's $-\log(1 + L_1)$ for the generator.
# - The student never sees a real image; the real test split only measures it, by mIoU from a
#   confusion matrix with void pixels ignored.
# - The models are fully convolutional, so a student trained on generated crops is evaluated on
#   whole frames (CamVid: 128-pixel images in training, 256 × 341 frames in testing).
#
# ## Exercises
#
# Each exercise ends with a cell where you set `answer_N` and a cell that checks it: it
# prints "correct" with what your answer shows, "not yet" with a hint, or "not answered yet"
# and where the worked solution is (`notebooks/solutions/05_segmentation.py`;
# `solutions("05")[N](**context)` runs it here). A changed config gets its own run folder
# (`run_folder(out, cfg)`), so the runs of an exercise never overwrite the notebook's.

# %%
from ddad_lite.lessons.exercises import check, solutions

context = dict(profile=profile, device=device, out_dir=out_dir, seed=seed, cache_dir=cache_dir,
               data_root=data_root, dataset=dataset)

# %% [markdown]
# **1.** Run `method = "dfad"` ($\alpha = 0$) and `"bn_only"` ($\beta = 0$). Which half of the
# generator's objective matters more here? Look at the snapshots as well as the mIoU.
# *Answer:* `{"dfad": student mIoU, "bn_only": student mIoU}` (`metrics["student_miou"]`).

# %%
answer_1 = None  # your answer: {"dfad": ..., "bn_only": ...}

# %%
check("05", 1, answer_1)

# %% [markdown]
# **2.** Set `generator_discrepancy` to `"l1"` (pass it to `make_config`) and compare the
# curves with the recipe's `"log_l1"`: does the logarithm make training steadier?
# *Answer:* each run's largest fall of the student's mIoU,
# `{"log_l1": metrics["forgetting_max_drop"], "l1": ...}`.

# %%
answer_2 = None  # your answer: {"log_l1": ..., "l1": ...}

# %%
check("05", 2, answer_2)

# %% [markdown]
# **3.** Which classes does the student learn last (the per-class IoU)? Are they the rare ones
# in the generator's images (count the teacher's masks in `snapshots`)?
# *Answer:* `{class name: {"iou": the student's IoU, "share": its share of the pixels of the
# teacher's masks}}` for every class (`learning_order(history, snapshots, info)` in
# `ddad_lite/lessons/segmentation_exercises.py` builds it).

# %%
answer_3 = None  # your answer: {class name: {"iou": ..., "share": ...}}

# %%
check("05", 3, answer_3)

# %% [markdown]
# **4.** The models are fully convolutional: give the trained student (`trained_student(run_dir)`
# from `ddad_lite/lessons/segmentation_exercises.py`) a batch of another size than the
# training images, e.g. `torch.randn(2, 3, 64, 96)`. What shape are its logits? (With CamVid
# prepared, `dataset = "camvid"` in the `smoke` profile trains on 128-pixel generated images
# and scores whole 256 × 341 frames.) *Answer:* `{"input": tuple(x.shape), "output":
# tuple(S(x).shape)}`.

# %%
answer_4 = None  # your answer: {"input": (...), "output": (...)}

# %%
check("05", 4, answer_4)

# %% [markdown]
# The worked solutions, each with a sentence on what its answer shows, are in
# `notebooks/solutions/05_segmentation.py`.
