# %% [markdown]
# # 02 · BatchNorm statistics: the teacher remembers its data
#
# **What you will learn**
# - why a BatchNorm layer's running statistics are a fingerprint of the training data;
# - how forward hooks read the statistics of any batch inside the teacher;
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
# Derived settings (anything computed from the parameters lives here).
import torch
from IPython.display import Markdown, display

import ddad_lite.viz as viz
from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.lessons.inversion import invert_generator, invert_pixels, measure_bn, to_uint8
from ddad_lite.losses import BNStatistics
from ddad_lite.recipes import inversion_budget
from ddad_lite.configure import make_config
from ddad_lite.lessons.series import write_key_figures
from ddad_lite.paths import series_paths

progress = profile != "smoke"  # no progress bars in smoke runs: logs stay readable
paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)
out = paths["out_dir"]
torch.manual_seed(seed)

cfg = make_config("shapes", "bn_only", profile, device=device, seed=seed, progress=progress)
info = dataset_info(cfg.dataset)
# The inversions' schedule for this profile (ddad_lite/recipes.py, beside every other budget).
inversion = inversion_budget(profile)
teacher, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                        data_root=paths["data_root"], device=device,
                                        progress=progress)
print(f"teacher accuracy {record['accuracy']:.1%}; inversion budget {inversion}")

# %% [markdown]
# ## BatchNorm keeps a record of the data
#
# In training mode, a BatchNorm layer $l$ normalises its input activations $a_l$ with the batch
# mean and variance, and keeps exponential moving averages of them: `running_mean` and
# `running_var`. After training, these are the mean $\mathbb E[a_l]$ and variance
# $\mathrm{Var}[a_l]$ of the layer's input *over the training data*, channel by channel: a
# fingerprint of that data, stored in every checkpoint.
#
# For a batch $x$ through the frozen teacher (eval mode, so the running statistics stay as they
# are), let $\mu_l(x)$ be the batch mean of $a_l$ over batch and spatial positions and
# $\sigma_l^2(x)$ the biased batch variance. How far the batch is from the training data, at
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
# A forward hook is a function PyTorch calls after a module's forward pass with its inputs and
# output. `BNStatistics(teacher)` registers one on each BN layer; each hook computes
# $\mu_l$, $\sigma_l^2$ and $R_l$ of the latest batch. `measure_bn` runs one batch and removes
# the hooks. Real test images (which the teacher never trained on) should give a small $R_l$,
# random noise a large one:

# %%
test_set = get_dataset("shapes", "test", paths["data_root"])
x_real = torch.stack([test_set[i][0] for i in range(128)]).to(device)
x_noise = torch.randn_like(x_real)
real = {r["name"]: r["R"] for r in measure_bn(teacher, x_real)}
noise = {r["name"]: r["R"] for r in measure_bn(teacher, x_noise)}
print(f"L_BN on real test images: {sum(real.values()):.2f}; on noise: {sum(noise.values()):.2f}")
viz.bn_layer_bars(real, compare=noise, labels=("real test images", "noise N(0, I)"))

# %% [markdown]
# ## Inverting the teacher, pixel by pixel
#
# Start from noise and follow the gradient of $L_{BN}$ with respect to the pixels themselves
# (Adam), the teacher frozen:
# $x \leftarrow x - \mathrm{lr} \cdot \mathrm{Adam}(\nabla_x L_{BN}(x))$.

# %%
pixels = invert_pixels(teacher, dataset="shapes", batch_size=32,
                       iterations=inversion["pixel_iterations"],
                       record_every=inversion["record_every"], seed=seed, device=device)
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
                       record_every=inversion["record_every"], seed=seed, device=device)
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
# Matching statistics is not enough on its own: the teacher often puts most generated images in
# a few classes, and nothing pushes G towards images where a student would still be wrong. The
# next notebook adds the second discriminator.

# %%
write_key_figures(out, teacher_acc=record["accuracy"], bn_loss_real=sum(real.values()),
                  bn_loss_noise=sum(noise.values()), pixel_bn_loss_start=pixels.losses[0],
                  pixel_bn_loss_end=pixels.losses[-1], generator_bn_loss_start=gen.losses[0],
                  generator_bn_loss_end=gen.losses[-1])

# %% [markdown]
# ## Summary
#
# - BN running statistics are per-channel means and variances of the training data at every
#   layer: a fingerprint the teacher carries with it.
# - Forward hooks read $\mu_l$ and $\sigma_l^2$ of any batch; $L_{BN} = \sum_l R_l$ measures how
#   far a batch is from the training data, layer by layer.
# - Minimising $L_{BN}$ alone, over pixels or over a generator, turns noise into images whose
#   statistics match the data's.
#
# **Exercises**
# 1. Weight the layers: how do the images change if only the first (or last) BN layer counts?
#    (Hint: `BNStatistics.hooks`, and sum the `loss` of the ones you choose.)
# 2. Use squared norms in $R_l$: does the inversion converge faster or slower?
# 3. Count the teacher's predicted classes over 512 generated images: is the generator balanced?
