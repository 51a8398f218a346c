# %% [markdown]
# # 02 · BatchNorm statistics: the teacher remembers its data
#
# [Open in Colab](https://colab.research.google.com/github/ddad-lite/ddad-lite/blob/main/notebooks/02_bn_statistics.ipynb) · [Launch on Binder](https://mybinder.org/v2/gh/ddad-lite/ddad-lite/main?labpath=notebooks%2F02_bn_statistics.ipynb)
#
# **What you will learn**
# - why a BatchNorm layer's running statistics are a fingerprint of the training data;
# - how forward hooks read the statistics of any batch inside the teacher, by writing the
#   BN hook yourself (exercise 4, checked against the kit's);
# - the BN loss $L_{BN}$, and how to *invert* the teacher with it alone: first by optimising
#   pixels, then by training a generator;
# - how to read per-layer mean/variance match plots.
#
# **How long:** `smoke` about 20 s; `quick` about 1 minute on a 2-core CPU; seconds on a GPU.

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/02_bn_statistics"  # relative paths start at the project folder
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

import matplotlib.pyplot as plt

import ddad_lite.viz as viz
from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.data.validation import training_indices
from ddad_lite.lessons.exercises import check
from ddad_lite.lessons.inversion import invert_generator, invert_pixels, measure_bn, to_uint8
from ddad_lite.losses import BNStatistics
from ddad_lite.lessons.budgets import inversion_budget
from ddad_lite.config.building import make_config
from ddad_lite.lessons.series import write_key_figures

cfg = make_config("shapes", "bn_only", profile, device=device, seed=seed, progress=progress)
info = dataset_info(cfg.dataset)
# The inversions' schedule for this profile (ddad_lite/lessons/budgets.py, beside every other budget).
inversion = inversion_budget(profile)
teacher, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                        data_root=paths["data_root"], device=device,
                                        progress=progress)
print(f"teacher accuracy {record['accuracy']:.1%}; inversion budget {inversion}")

# %% [markdown]
# ## BatchNorm keeps a record of the data
#
# In training mode, a BatchNorm layer $l$ normalises its input activations $a_l$ with the
# statistics of the batch, and keeps exponential moving averages of them:
# `running_mean` $\leftarrow (1 - m)\,$`running_mean` $+\, m\, \mu_l$ and
# `running_var` $\leftarrow (1 - m)\,$`running_var` $+\, m\, \hat\sigma_l^2$, with momentum
# $m = 0.1$ and $\hat\sigma_l^2$ the *unbiased* batch variance (divided by $n - 1$). So the
# running statistics are not the exact mean and variance of the training data: they are an
# exponential moving average in which the batch $j$ steps back weighs $m(1 - m)^j$, so about the
# last $1/m = 10$ batches dominate, taken while the weights below layer $l$ were still
# changing. They are still a fingerprint of that data, channel by channel, stored
# in every checkpoint.
#
# For a batch $x$ through the frozen teacher (eval mode, so the running statistics stay as they
# are), let $\mu_l(x)$ be the batch mean of $a_l$ over batch and spatial positions and
# $\sigma_l^2(x)$ the *biased* batch variance. How far the batch is from the training data, at
# layer $l$ and over all layers, is
#
# $$R_l = \lVert \mu_l(x) - \texttt{running\_mean}_l \rVert_2 + \lVert \sigma_l^2(x) - \texttt{running\_var}_l \rVert_2,
# \qquad L_{BN} = \sum_l R_l .$$
#
# These are the symbols of `ddad_lite/losses.py` (`BNStatsHook`, `BNStatistics`): plain L2 norms,
# every layer weighted equally, as in DeepInversion's public code.

# %% [markdown]
# ## Forward hooks
#
# A forward hook is a function PyTorch calls after a module's forward pass,
# `hook(module, inputs, output)`: `inputs` is the tuple of the module's inputs, `output` what it
# returned. If the hook returns something, that replaces the output, so a hook that only reads
# returns nothing. This one keeps the input of the teacher's first BatchNorm layer, on a batch
# of real test images (which the teacher never trained on):

# %%
test_set = get_dataset("shapes", "test", paths["data_root"])
x_real = torch.stack([test_set[i][0] for i in range(128)]).to(device)
x_noise = torch.randn_like(x_real)

first_bn = next(m for m in teacher.modules() if isinstance(m, torch.nn.BatchNorm2d))
kept = {}
handle = first_bn.register_forward_hook(lambda module, inputs, output: kept.update(a=inputs[0]))
with torch.no_grad():
    teacher(x_real)
handle.remove()  # a hook stays until removed
a = kept["a"]
n = a.numel() // a.shape[1]  # values per channel: batch x height x width
ratio = (a.var(dim=(0, 2, 3), unbiased=True) / a.var(dim=(0, 2, 3), unbiased=False)).mean()
print(f"the first BN layer's input: {tuple(a.shape)}, n = {n} values per channel; "
      f"unbiased / biased variance = {float(ratio):.5f} = n/(n-1)")

# %% [markdown]
# **Your turn (exercise 4, code).** Write $R_l$ as a forward hook: complete `bn_hook` so that,
# for the input $a_l$ of the BatchNorm2d layer `module`, it computes the per-channel batch mean
# $\mu_l$ (shape `(C,)`), the *biased* batch variance $\sigma_l^2$ and
# $R_l = \lVert \mu_l - \texttt{running\_mean}_l \rVert_2 + \lVert \sigma_l^2 - \texttt{running\_var}_l \rVert_2$
# (the layer's `module.running_mean`, `module.running_var`), and stores them on the module. Keep
# everything in torch (no `.item()`, no `.detach()`): $L_{BN}$ must carry a gradient to the
# pixels. Then set `answer_4 = bn_hook`: the check hooks it on every BN layer of a copy of the
# teacher, runs a random batch, and compares what it stored with the kit's `BNStatsHook`
# (`ddad_lite/losses.py`), naming in one line what differs.

# %%
def bn_hook(module, inputs, output):
    """Forward hook on a BatchNorm2d layer: the batch's mu, var and R_l on module.bn_record."""
    a = inputs[0]  # the layer's input a_l, (N, C, H, W)
    mu = None  # your code: the per-channel batch mean, shape (C,)
    var = None  # your code: the per-channel biased batch variance, shape (C,)
    R = None  # your code: ||mu - running_mean||_2 + ||var - running_var||_2, one number
    module.bn_record = {"mu": mu, "var": var, "R": R}


answer_4 = None  # bn_hook, once written
check("02", 4, answer_4, teacher=teacher)

# %% [markdown]
# The package's `BNStatistics(teacher)` hooks every BN layer this way (in fp32 under autocast,
# and only while a loss needs it); `bn.loss()` is $L_{BN} = \sum_l R_l$ of the last forward pass:

# %%
bn = BNStatistics(teacher)
with torch.no_grad():
    teacher(x_real)
L_BN_package = bn.loss()
per_layer = bn.per_layer()
bn.remove()
print(f"L_BN of 128 real test images: {float(L_BN_package):.4f} over {len(per_layer)} BN layers")

# %% [markdown]
# `measure_bn` runs one batch through `BNStatistics` and removes the hooks. Real images
# should give a small $R_l$, random noise a large one. The floor is not 0, not even for the
# teacher's *own training images*, for three reasons: (1) sampling error: a batch's mean and
# variance are estimates from its 128 images and differ from any population's by noise that
# shrinks as the batch grows (exercise 2); (2) the running statistics are a moving average,
# dominated by the last ~10 training batches, of unbiased variances taken while the weights
# moved; (3) train/eval mismatch: they were gathered in training mode, where the layers below
# normalised with *batch* statistics, while here the frozen teacher runs in eval mode with
# running statistics, so layer $l$'s input is not distributed as it was in training.

# %%
recipe = cfg.teacher_recipe
train_set = get_dataset("shapes", "train", paths["data_root"])
own = training_indices(len(train_set), size=recipe.val_size, seed=recipe.val_seed)[:128]
x_train = torch.stack([train_set[i][0] for i in own]).to(device)  # images T trained on
train_R = {r["name"]: r["R"] for r in measure_bn(teacher, x_train)}
real = {r["name"]: r["R"] for r in measure_bn(teacher, x_real)}
noise = {r["name"]: r["R"] for r in measure_bn(teacher, x_noise)}
print(f"L_BN on 128 of T's training images (the floor): {sum(train_R.values()):.2f}; "
      f"real test images: {sum(real.values()):.2f}; noise: {sum(noise.values()):.2f}")
viz.bn_layer_bars(real, compare=noise, labels=("real test images", "noise N(0, I)"))

# %% [markdown]
# ## What $L_{BN}$ asks of the pixels
#
# Inverting the teacher means following $\nabla_x L_{BN}$. At layer $l$, with $n$ values per
# channel $c$ and $m_c$, $v_c$ the running statistics, the gradient with respect to the
# layer's input is
#
# $$\frac{\partial R_l}{\partial a_{l,c,i}} = \frac{\mu_c - m_c}{n\,\lVert \mu - m \rVert_2}
#   + \frac{2\,(a_{l,c,i} - \mu_c)(\sigma_c^2 - v_c)}{n\,\lVert \sigma^2 - v \rVert_2},$$
#
# carried down to the pixels by the chain rule through the layers below $l$: each pixel is
# pushed to move its channel means towards $m$ and to spread out (or pull in) its deviations
# until the variances match $v$. Its magnitude, summed over colour channels, on noise:

# %%
x = x_noise[:8].clone().requires_grad_(True)
bn = BNStatistics(teacher)
teacher(x)
bn.loss().backward()
bn.remove()
grad_map = x.grad.abs().sum(1).cpu()  # |dL_BN/dx| per pixel, (8, H, W)
fig, axes = plt.subplots(1, 8, figsize=(12, 1.9))
for ax, g in zip(axes, grad_map):
    ax.imshow(g, cmap="magma")
    ax.axis("off")
fig.suptitle("|grad of L_BN wrt the pixels| on 8 noise images (brighter: larger)")
plt.show()

# %% [markdown]
# ## Inverting the teacher, pixel by pixel
#
# Start from noise and follow the gradient of $L_{BN}$ with respect to the pixels themselves
# (Adam), the teacher frozen:
# $x \leftarrow x - \mathrm{lr} \cdot \mathrm{Adam}(\nabla_x L_{BN}(x))$.

# %%
pixels = invert_pixels(teacher, dataset="shapes", batch_size=32,
                       iterations=inversion["pixel_iterations"],
                       record_every=inversion["record_every"], seed=seed, device=device,
                       progress=progress)
print(f"L_BN: {pixels.losses[0]:.2f} -> {pixels.losses[-1]:.2f}")
viz.loss_curve(pixels.losses, title="pixel inversion: L_BN", ylabel="L_BN", log=True)

# %% [markdown]
# Move the slider to see the batch at each recorded iteration; the static figure beside it shows one image across iterations (what a headless run keeps).

# %%
viz.frame_browser(pixels.frames, pixels.iterations)

# %%
viz.frames_figure(pixels.frames, pixels.iterations, index=0)

# %%
# Animation twin: the slider's steps played as HTML, which an exported notebook keeps.
viz.frame_browser(pixels.frames, pixels.iterations).animation()

# %% [markdown]
# ### Per-layer match
#
# Each dot is one channel: its running statistic (the training data) against the batch's
# $\mu_l$ or $\sigma_l^2$. Matched statistics sit on the diagonal. Compare the inverted batch
# with noise.

# %%
viz.bn_match_figure(measure_bn(teacher, x_noise), title="noise: batch vs running statistics")

# %%
viz.bn_match_figure(measure_bn(teacher, pixels.x), title="after pixel inversion")

# %% [markdown]
# ## Inverting with a generator
#
# Optimising pixels gives one batch. A **generator** $x = G(z)$ gives as many images as we ask
# for; training it against $L_{BN}$ alone is DDAD's generator loss with $\beta = 0$ (no student):
# $\min_G \; \mathbb E_z\, L_{BN}(T, G(z))$.

# %%
gen = invert_generator(teacher, dataset="shapes", nz=cfg.nz, ngf=cfg.ngf, batch_size=64,
                       iterations=inversion["generator_iterations"],
                       record_every=inversion["record_every"], seed=seed, device=device,
                       progress=progress)
print(f"L_BN: {gen.losses[0]:.2f} -> {gen.losses[-1]:.2f}")
viz.loss_curve(gen.losses, title="generator inversion: L_BN", ylabel="L_BN", log=True)

# %%
viz.frame_browser(gen.frames, gen.iterations)

# %%
# Static twin: the last batch from G(z), with the teacher's prediction for each image.
with torch.no_grad():
    t_pred = teacher(gen.x[:16]).argmax(1).cpu()
viz.image_grid(to_uint8(gen.x[:16], info), teacher_pred=t_pred, class_names=info.class_names,
               title=f"G(z) after {inversion['generator_iterations']} iterations")

# %%
# Animation twin: the slider's steps played as HTML, which an exported notebook keeps.
viz.frame_browser(gen.frames, gen.iterations).animation()

# %% [markdown]
# Matching statistics is necessary, not sufficient. $L_{BN}$ fixes two numbers per channel,
# a mean and a variance; many distributions share them (a batch of one class repeated, a
# batch of textures with the right contrast, ...), and nothing in $L_{BN}$ tells them apart.
# The teacher often puts most generated images in a few classes, and nothing pushes G towards
# images where a student would still be wrong. That is why DDAD adds a second, adversarial
# term: the next notebook.

# %%
path = write_key_figures(out, teacher_acc=record["accuracy"], bn_loss_train_floor=sum(train_R.values()),
                         bn_loss_real=sum(real.values()), bn_loss_noise=sum(noise.values()),
                         pixel_bn_loss_start=pixels.losses[0], pixel_bn_loss_end=pixels.losses[-1],
                         generator_bn_loss_start=gen.losses[0], generator_bn_loss_end=gen.losses[-1])
print(f"key figures written to {path}")

# %% [markdown]
# ## Summary
#
# - BN running statistics are moving averages (momentum 0.1) of per-channel batch means and
#   unbiased variances at every layer, taken during training: a fingerprint of the training
#   data the teacher carries with it, though not an exact one (T's own training images do not
#   reach $L_{BN} = 0$).
# - Forward hooks read $\mu_l$ and $\sigma_l^2$ of any batch; $L_{BN} = \sum_l R_l$ measures how
#   far a batch is from the training data, layer by layer, and its gradient tells every pixel
#   how to move.
# - Minimising $L_{BN}$ alone, over pixels or over a generator, turns noise into images whose
#   statistics match the data's; matching two moments per channel does not make them the data.
#
# ## Exercises
#
# Each exercise has an answer cell (leave `None` until you have one) and a check that says
# whether it is right; worked solutions are in `notebooks/solutions/02_bn_statistics.py`.
# Exercise 4, writing the BN hook, is in the section *Forward hooks* above.
#
# **1.** Weight the layers: invert pixels with only the first BN layer counting
# (`invert_pixels(..., layer_weights={name: 1.0})`; the names are the keys of `real`). What
# happens to the other layers' $R_l$, and to the images?

# %%
answer_1 = None  # the InversionResult of invert_pixels(teacher, ..., layer_weights={...})
check("02", 1, answer_1)

# %% [markdown]
# **2.** The floor: $L_{BN}$ of real training images (`x_train`'s source) at batch sizes 8,
# 64 and 512. Does it fall to 0 as the batch grows? Answer with `{batch size: L_BN}`.

# %%
answer_2 = None  # {8: ..., 64: ..., 512: ...}
check("02", 2, answer_2)

# %% [markdown]
# **3.** Count the teacher's predicted classes over 512 images of the inverted generator
# (`gen.generator`, $z \sim \mathcal N(0, I)$ of size `cfg.nz`): is it balanced? Answer with
# the counts, `torch.bincount(pred, minlength=info.num_classes)`.

# %%
answer_3 = None  # a tensor of info.num_classes counts summing to 512
check("02", 3, answer_3)

# %% [markdown]
# **Next:** notebook 03 adds the second discriminator, the student, and reads DDAD between
# two bounds.
