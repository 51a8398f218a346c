# %% [markdown]
# # 00 · Welcome: data-free knowledge distillation, and the teacher
#
# [Open in Colab](https://colab.research.google.com/github/ddad-lite/ddad-lite/blob/main/notebooks/00_welcome_and_teacher.ipynb) · [Launch on Binder](https://mybinder.org/v2/gh/ddad-lite/ddad-lite/main?labpath=notebooks%2F00_welcome_and_teacher.ipynb)
#
# **What you will learn**
# - what knowledge distillation (KD) is, and why one would distil *without data*;
# - the kit's embedded `shapes` dataset, which needs no download;
# - the teacher T: trained once from a recipe, cached with a checksum, loaded afterwards;
# - how to switch to real data (CIFAR-10/100, ...) and to a GPU.
#
# **How long:** `smoke` about 30 s; `quick` under half a minute on a 2-core CPU (26 s; the teacher is
# trained once, then loaded from the cache in seconds), seconds on a GPU; `full` trains a
# 30-epoch teacher (about 10 minutes on a CPU, 1 minute on a GPU).

# %% [markdown]
# ## Knowledge distillation, with and without data
#
# A large **teacher** network $T$ is accurate but expensive. KD trains a small **student** $S$ to
# imitate $T$'s outputs (logits) on inputs $x$, e.g. by minimising a discrepancy
# $D(S(x), T(x))$ such as the mean absolute difference of logits. Usually the inputs are the
# teacher's training images.
#
# **Soft targets and the temperature.** Hinton, Vinyals and Dean (2015) train the student on
# the teacher's *soft targets*: the softmax of its logits $t = T(x)$ at a temperature $\tau$,
# $p_T^\tau = \mathrm{softmax}(t/\tau)$, and likewise $p_S^\tau = \mathrm{softmax}(S(x)/\tau)$:
#
# $$L_{KD} = \tau^2\, \mathrm{KL}\big(\mathrm{softmax}(T(x)/\tau)\;\|\;\mathrm{softmax}(S(x)/\tau)\big).$$
#
# A label says only which class is right. The soft targets also say how the teacher ranks the
# wrong classes: a `circle` that is a bit like a `ring` and nothing like an `h_stripes` texture.
# At $\tau = 1$ a confident teacher hides that in probabilities near zero; a larger $\tau$ flattens
# the distribution so the student sees those ratios (the "dark knowledge"). The gradients of the
# KL shrink like $1/\tau^2$, hence the factor $\tau^2$, which keeps the loss on one scale as
# $\tau$ changes. The kit's `--discrepancy kl --set temperature=4` is this loss
# (`ddad_lite/losses.py`, `kl_discrepancy`). DFAD and DDAD match logits directly, by their mean
# absolute difference (L1); Hinton et al. show that at a high $\tau$ KD's gradient approaches
# that of matching the centred logits by squared error, so logit matching is KD's
# high-temperature limit and L1 a robust relative of it. The figure after the teacher below
# shows one of its logit vectors at $\tau$ = 1, 4 and 10.
#
# Often those images cannot be shared (privacy, licences, size), while the trained teacher can.
# **Data-free KD** makes the inputs instead: a **generator** $G$ maps noise $z \sim \mathcal N(0, I)$
# to images $x = G(z)$, trained so that the images are useful for the transfer. Real data is only
# used to *measure* the student, never to train it. The next notebooks build the DDAD objective
# for $G$ step by step, in the kit's form:
#
# $$L_G = \alpha\, L_{BN}(T, x) - \beta\, D(S(x), T(x)), \qquad L_S = D(S(x), T(x)).$$
#
# DDAD has no public code and only its abstract is public: it names the two discriminators (the
# teacher's BN statistics and the student's disagreement) but not this formula, nor $\alpha$,
# $\beta$, $D$ or the number $k$ of student steps per generator step. These are **the kit's
# reconstruction**; `docs/fidelity.md` says what chose each.
#
# **Where the methods come from** (each a lesson or a `--method` of the kit):
#
# | year | method | one line |
# | --- | --- | --- |
# | 2015 | KD (Hinton, Vinyals, Dean; NIPS 2014 Deep Learning Workshop, arXiv 1503.02531) | a student learns the teacher's soft targets at a temperature, on real data |
# | 2019 | DAFL (Chen et al., ICCV 2019) | a generator trained so that the teacher is confident, balanced over classes and strongly activated (`dafl`) |
# | 2019 | DFAD (Fang et al., arXiv 1912.11006) | a generator that seeks the images where student and teacher disagree most: a min-max game (`dfad`) |
# | 2020 | DeepInversion (Yin et al., CVPR 2020) | images optimised pixel by pixel to match the statistics stored in the teacher's BatchNorm layers (`deepinv`, `adi`) |
# | 2020 | DFQ (Choi et al., CVPR Workshops 2020), data-free quantisation | adversarial KD to a quantised student, with the BN statistics and the teacher's confidence and class balance as the generator's constraints (`dfq_like`, in its spirit) |
# | 2021 | DDAD (Zhao et al., arXiv 2104.05382) | the dual discriminator: BN statistics (the teacher) and disagreement (the student) on one generator (`ddad`) |
# | 2022 | PRE-DFKD (Binici et al., AAAI 2022) | a VAE replays past synthetic images so that the student does not forget them (`M+replay`, lesson 06) |

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/00_welcome_and_teacher"  # relative paths start at the project folder
seed = 0  # the seed of the notebook's runs and of its own random draws
cache_dir = None  # teacher cache; None: $DDAD_CACHE/teachers or <project>/checkpoints/teachers
data_root = None  # prepared datasets; None: $DDAD_DATA or <project>/data

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
from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.config.building import make_config
from ddad_lite.lessons.series import write_key_figures

cfg = make_config("shapes", "ddad", profile, device=device, seed=seed, progress=progress)
info = dataset_info(cfg.dataset)
print(f"profile {profile}: teacher {cfg.teacher} trained for {cfg.teacher_recipe.epochs} "
      f"epoch(s); results in {out}")

# %% [markdown]
# ## The embedded `shapes` dataset
#
# Ten classes of 32x32 colour images drawn procedurally (no download): five solid shapes, two
# outlines and three textures, with random colours, gradients, positions, scales, rotations and
# noise. The teacher below is a small convnet; its test accuracy, printed after it is loaded,
# says how much knowledge it holds to distil.

# %%
test_set = get_dataset("shapes", "test", paths["data_root"])
print(f"{len(test_set)} test images, classes: {', '.join(info.class_names)}")
viz.dataset_grid(test_set, class_names=info.class_names, info=info, per_class=4)

# %% [markdown]
# ## The teacher
#
# `load_or_train_teacher(recipe)` trains the teacher of a recipe on first use (SGD with
# momentum, one-cycle schedule, the train split only) and stores it in the cache with its
# sha256 in `MANIFEST.json`; afterwards it only loads it. Every run records the teacher's
# accuracy and checksum beside its results: retrained teachers land a point or two away from
# published ones, and every downstream number moves with them.

# %%
teacher, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                        data_root=paths["data_root"], device=device,
                                        progress=progress)
print(f"teacher accuracy on the test split: {record['accuracy']:.1%} "
      f"({'trained now' if record['trained_now'] else 'loaded from the cache'}; "
      f"sha256 {record['sha256'][:12]}...)")

# %%
# The teacher's predictions on a few test images (title: true class, then T's prediction).
from ddad_lite.lessons.inversion import to_uint8

x, y = zip(*(test_set[i] for i in range(16)))
x, y = torch.stack(x).to(device), torch.tensor(y)
with torch.no_grad():
    t_pred = teacher(x).argmax(1).cpu()
viz.image_grid(to_uint8(x, info), labels=y, teacher_pred=t_pred, class_names=info.class_names)

# %% [markdown]
# ### The teacher's soft targets
#
# The teacher's logits on the first test image above, through $\mathrm{softmax}(t/\tau)$ at three
# temperatures (red: T's class). At $\tau = 1$ the distribution is nearly one-hot, as informative
# as the label; at $\tau$ = 4 and 10 the other classes' probabilities rise in the order the
# teacher ranks them, which is what a student trained with $L_{KD}$ learns from.

# %%
with torch.no_grad():
    logits = teacher(x[:1]).float().cpu()[0]
viz.soft_targets_figure(logits, temperatures=(1, 4, 10), class_names=info.class_names,
                        title=f"T's soft targets on a test {info.class_names[int(y[0])]}")

# %% [markdown]
# ## Real data and a GPU
#
# The same code runs on real datasets once they are prepared (downloaded or imported, then
# verified):
#
# ```bash
# python -m ddad_lite data prepare cifar10            # or: --from /path/to/cifar-10-python.tar.gz
# python -m ddad_lite teacher --dataset cifar10 --profile full --device cuda
# ```
#
# In a notebook, set the parameters `device = "cuda"` (the engine checks that CUDA is there) and
# use `make_config("cifar10", "ddad", profile, ...)`; notebook 04 does exactly this. Below: what
# is prepared on this machine.

# %%
from ddad_lite.data.prepare import dataset_summary
from ddad_lite.errors import UserError

for name in ("shapes", "cifar10", "cifar100"):
    try:
        print(name, "->", dataset_summary(name, root=paths["data_root"])["splits"])
    except UserError as e:
        print(name, "-> not prepared:", e)

# %%
path = write_key_figures(out, teacher_acc=record["accuracy"], teacher_sha256=record["sha256"],
                         teacher_trained_now=record["trained_now"], profile=profile)
print(f"key figures written to {path}")

# %% [markdown]
# ## Summary
#
# - KD trains a student on the teacher's soft targets, $\mathrm{softmax}(T(x)/\tau)$, with the
#   loss $\tau^2\,\mathrm{KL}(p_T^\tau \| p_S^\tau)$: the temperature reveals how the teacher ranks the
#   wrong classes, which a label cannot say.
# - Data-free KD transfers a teacher into a student using generated images only; real data only
#   evaluates the student.
# - `shapes` is a small embedded dataset on which every notebook runs in minutes on a CPU.
# - The teacher is trained once per recipe and cached with its sha256 and accuracy.

# %% [markdown]
# ## Exercises
#
# Each exercise ends with a cell where you set `answer_N` and a cell that checks it: it
# prints "correct" with what your answer shows, "not yet" with a hint, or "not answered yet"
# and where the worked solution is (`notebooks/solutions/00_welcome_and_teacher.py`;
# `solutions("00")[N](**context)` runs it here).

# %%
from ddad_lite.lessons.exercises import check, solutions

context = dict(profile=profile, device=device, out_dir=out_dir, seed=seed, cache_dir=cache_dir,
               data_root=data_root)

# %% [markdown]
# **1.** Load the teacher of the `smoke` profile (set `profile = "smoke"` and re-run, or load
# `make_config("shapes", "ddad", "smoke").teacher_recipe`). How good is a teacher trained on
# 2,000 images for one epoch? Why is that enough for a plumbing test but not for a lesson?
# *Answer:* its record, the second value `load_or_train_teacher` returns.

# %%
answer_1 = None  # your answer: the smoke teacher's record (a dict with "accuracy" and "recipe")

# %%
check("00", 1, answer_1)

# %% [markdown]
# **2.** Look at `MANIFEST.json` in the teacher cache (`paths["cache_dir"]`). Change the recipe
# through `make_config(..., teacher_recipe={"epochs": 3})`: why does the cache file name change?
# *Answer:* `{"default": cfg.teacher_recipe, "changed": <the changed config>.teacher_recipe}`;
# the check names both files.

# %%
answer_2 = None  # your answer: {"default": a TeacherConfig, "changed": a TeacherConfig}

# %%
check("00", 2, answer_2)

# %% [markdown]
# **3.** Which classes does the teacher confuse? Compute its confusion matrix $M$ on the whole
# test split, $M_{ij}$ = test images of class $i$ predicted as $j$
# (`ddad_lite.metrics.confusion_matrix(pred, target, num_classes)`); its trace over its sum is
# the teacher's accuracy. *Answer:* $M$, 10 x 10.

# %%
answer_3 = None  # your answer: the 10 x 10 confusion matrix (a tensor or an array of counts)

# %%
check("00", 3, answer_3)

# %% [markdown]
# The worked solutions, each with a sentence on what its answer shows, are in
# `notebooks/solutions/00_welcome_and_teacher.py`.
