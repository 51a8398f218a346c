# %% [markdown]
# # 06 · Generative pseudo replay: forgetting made visible
#
# [Open in Colab](https://colab.research.google.com/github/ddad-lite/ddad-lite/blob/main/notebooks/06_pseudo_replay.ipynb) · [Launch on Binder](https://mybinder.org/v2/gh/ddad-lite/ddad-lite/main?labpath=notebooks%2F06_pseudo_replay.ipynb)
#
# **What you will learn.** In adversarial data-free distillation the generator $G$ keeps moving
# to wherever the student $S$ still disagrees with the teacher $T$. The student is always
# trained on the *latest* synthetic samples, so it can forget what it learnt on earlier ones:
# its accuracy on real data can fall as well as rise. You will
#
# 1. measure forgetting as the largest drop of the student's test accuracy from one evaluation
#    to a later one (`forgetting_max_drop` in every run's `metrics.json`);
# 2. add **generative pseudo replay** (PRE-DFKD, Binici et al. 2022): a small VAE $V$ learns the
#    stream of synthetic samples and replays samples of the past into every student batch;
# 3. look at what $V$ replays, and compare it with the fair baseline: a replay buffer of past
#    synthetic images that holds exactly as many bytes as $V$ (`+buffer`), beside storing
#    every image $V$ learnt from.
#
# **How long it takes.** `profile = "smoke"`: under a minute and a half on a 2-core CPU (the
# numbers mean nothing). `profile = "quick"`: about 6 minutes on a 2-core CPU (seven runs of the
# series' 200-iteration schedule: two methods x three seeds and the buffer's seed 0; DDAD's
# seed 0 is read back from notebook 03's run), well under a minute on a GPU. The teacher is
# loaded from the cache (trained on first use; notebook 00 trains the same one).

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/06_pseudo_replay"  # relative paths start at the project folder
seeds = [0, 1, 2]  # one run per method and seed
cache_dir = None  # teacher cache; None: $DDAD_CACHE/teachers or <project>/checkpoints/teachers
data_root = None  # prepared datasets; None: $DDAD_DATA or <project>/data
base_method = "ddad"  # the generative method replay is added to: "ddad", "dfad", "bn_only"

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
lesson = setup(profile, device=device, out_dir=out_dir, seed=seeds[0], cache_dir=cache_dir,
               data_root=data_root)
device, progress, paths, out = lesson.device, lesson.progress, lesson.paths, lesson.out

# %%
# Derived settings (anything computed from the parameters lives here).
import json
from pathlib import Path

import torch
from IPython.display import Markdown, display

import ddad_lite.viz as viz
from ddad_lite.runs.replay_samples import replay_samples_from_run
from ddad_lite.runs.sweep import summarize, sweep, sweep_table
from ddad_lite.config.building import make_config
from ddad_lite.lessons.budgets import lesson_budget
from ddad_lite.teacher import load_or_train_teacher

# The series' shapes schedule (`lesson_budget`), the same for every method and seed. Runs are
# kept in the series' shared folder: a run notebook 03, 06 or 07 made already is read back.
budget = lesson_budget(profile)
methods = [base_method, base_method + "+replay"]
cfg = make_config("shapes", base_method, profile, device=device, progress=progress, **budget)
teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                data_root=paths["data_root"], device=device, progress=progress)
print(f"teacher accuracy {teacher[1]['accuracy']:.3f}; {cfg.iterations} iterations of "
      f"k = {cfg.student_steps} student steps on batches of {cfg.batch_size}")

# %% [markdown]
# ## The student forgets
#
# Each iteration makes $k$ student steps on fresh samples $x = G(z)$, $z \sim \mathcal{N}(0, I)$,
#
# $$\mathcal{L}_S = D\big(S(x), T(x)\big),$$
#
# then one generator step (DDAD here, in the kit's reconstruction, since only DDAD's abstract
# is public: $\mathcal{L}_G = \alpha\,\mathcal{L}_{BN} - \beta\,D(S(x), T(x))$ with the kit's
# $\alpha$, $\beta$, $D$ and $k$; the generator seeks where the
# student is still wrong, among images whose statistics the teacher's BN layers accept). We evaluate $S$ on the real test split every few
# iterations (evaluation only: real data never trains it). With $a_1, a_2, \dots$ the
# accuracies in order, the forgetting measure is
#
# $$\text{forgetting} = \max_{i < j} \,(a_i - a_j),$$
#
# the largest fall from any evaluation to a later one (0 for a curve that never falls).
#
# ## Pseudo replay
#
# As PRE-DFKD's public code does it, every student batch gains replayed samples (one eighth
# of the batch), labelled by the teacher:
#
# $$\mathcal{L}_S = D\big(S([x; x']),\, T([x; x'])\big), \qquad x' = V(z'),$$
#
# where $z' \sim \mathcal{N}(0, I)$ first takes one Adam step towards images the teacher finds
# typical (confident and class-balanced, with $z'$'s batch mean and variance kept near 0 and 1).
# In the first four student steps of each iteration, the VAE (encoder $E$, decoder $V$) learns
# from half of the novel batch, *and from as many of its own samples* (self-rehearsal: without
# it the VAE would forget too), the reconstruction being scored by the teacher as well:
#
# $$\mathcal{L}_V = \lVert \hat x - x \rVert_1 + \lVert T(\hat x) - T(x) \rVert_1
#   + 10^{-5}\,\mathrm{KL}\big(q(z \mid x)\,\Vert\,\mathcal{N}(0, I)\big),
#   \qquad \hat x = V(z),\ z \sim q(z \mid x) = E(x).$$
#
# The runs below use the same teacher, budget and seeds; only the `+replay` differs. A third
# method, `+buffer`, replays stored past images instead, in exactly the same way (seed 0 only).

# %%
rows = sweep(methods, profile=profile, seeds=seeds, teacher=teacher,
             out_root=paths["shared_runs"], device=device, progress=progress, **budget)
buffer_rows = sweep([base_method + "+buffer"], profile=profile, seeds=seeds[:1],
                    teacher=teacher, out_root=paths["shared_runs"], device=device,
                    progress=progress, **budget)
rows = rows + buffer_rows
summary = summarize(rows)
display(Markdown(sweep_table(summary)))

# %%
fig = viz.accuracy_curves(rows, title=f"{base_method} with and without replay")
fig.savefig(out / "forgetting_curves.png", dpi=120, bbox_inches="tight")
fig

# %% [markdown]
# Thin lines are single seeds, bold lines their mean. Look for the dips: each is the
# student losing accuracy it had, while training only on what the generator shows it now.
# `best` is chosen on the validation split (held-out train images), not on the test split;
# `final` and `mean` are not selected at all, which is why PRE-DFKD argues for them.

# %% [markdown]
# ## What the VAE replays
#
# Samples $x' = V(z')$ of the replay run's VAE (seed 0, end of training), in the row below the
# generator's own samples at the same moment.

# %%
replay_row = next(r for r in rows if r["method"].endswith("+replay"))
replayed = replay_samples_from_run(replay_row["run_dir"], n=16)
snapshots = viz.load_snapshots(replay_row["run_dir"])
fig = viz.replay_samples_figure(snapshots[-1]["images"], replayed, n=16)
fig.savefig(out / "replay_samples.png", dpi=120, bbox_inches="tight")
fig

# %% [markdown]
# The VAE's samples are blurrier than the generator's (an L1/KL-trained VAE averages),
# yet the teacher still labels them, and that label is what the student learns from.
#
# ## Memory: a model or a buffer of the same bytes
#
# Storing every synthetic sample grows with every batch, and some methods do just that: CMI and
# Fast-Datafree keep a growing pool of all their synthesised images (on disk) and train the
# student on it; the kit's `deepinv` keeps a pool of finished batches too (capped at
# `pool_size` batches here). $V$'s size, by contrast, is fixed. The fair comparison at that
# fixed memory is a buffer of past images holding exactly $V$'s bytes
# (`+buffer`: reservoir sampling keeps a uniform sample of the stream, stored as uint8 like
# an image file). Which remembers better for the student: a few hundred real past images, or
# a generator of blurry ones?

# %%
metrics = json.loads((Path(replay_row["run_dir"]) / "metrics.json").read_text())
buffer_metrics = json.loads((Path(buffer_rows[0]["run_dir"]) / "metrics.json").read_text())
fig = viz.replay_memory_figure(metrics, buffer_metrics)
fig.savefig(out / "replay_memory.png", dpi=120, bbox_inches="tight")
display(fig)
ratio = metrics["replay_equivalent_samples_bytes"] / metrics["replay_memory_bytes"]
print(f"VAE: {metrics['replay_memory_bytes'] / 2**20:.1f} MiB; the "
      f"{metrics['replay_samples_seen']:,} images it replaces: "
      f"{metrics['replay_equivalent_samples_bytes'] / 2**20:.1f} MiB as uint8 ({ratio:.1f}x); "
      f"a buffer of the VAE's bytes holds {buffer_metrics['buffer_capacity_images']:,} of them")

# %%
# Key figures for the series' results table.
by_method = {e["method"]: e for e in summary}
plain, replay = by_method[methods[0]], by_method[methods[1]]
buffered = by_method[base_method + "+buffer"]
key_figures = {
    "notebook": "06_pseudo_replay",
    "profile": profile,
    "seeds": len(seeds),
    "iterations": cfg.iterations,
    f"{methods[0]}_final_acc": plain["final"],
    f"{methods[0]}_mean_acc": plain["mean"],
    f"{methods[0]}_forgetting": plain["forgetting"],
    f"{methods[1]}_final_acc": replay["final"],
    f"{methods[1]}_mean_acc": replay["mean"],
    f"{methods[1]}_forgetting": replay["forgetting"],
    f"{base_method}+buffer_final_acc": buffered["final"],
    f"{base_method}+buffer_mean_acc": buffered["mean"],
    f"{base_method}+buffer_forgetting": buffered["forgetting"],
    "replay_memory_bytes": metrics["replay_memory_bytes"],
    "buffer_memory_bytes": buffer_metrics["buffer_memory_bytes"],
    "buffer_capacity_images": buffer_metrics["buffer_capacity_images"],
    "replay_equivalent_samples_bytes": metrics["replay_equivalent_samples_bytes"],
}
(out / "key_figures.json").write_text(json.dumps(key_figures, indent=2) + "\n")
print("key figures written to", out / "key_figures.json")

# %% [markdown]
# ## Summary
#
# - The student of adversarial data-free distillation can *forget*: its accuracy on real data
#   falls at times, because it only ever trains on the generator's latest samples.
#   `forgetting_max_drop` measures the largest such fall.
# - Generative pseudo replay trains a VAE on the synthetic stream and mixes its samples,
#   labelled by the teacher, into every student batch. How much it helps depends on the
#   budget: compare the curves and the forgetting column over several seeds before
#   concluding, since a single seed's dips are noisy.
# - The VAE holds a fixed number of bytes, while storing every sample grows with training;
#   it also stores no sample verbatim. The fair baseline is a buffer of the same bytes: it
#   holds real past samples, but only a few hundred of them here (one seed: compare it with the
#   replay run's seed 0 before concluding).
#
# ## Exercises
#
# Each exercise ends with a cell where you set `answer_N` and a cell that checks it: it
# prints "correct" with what your answer shows, "not yet" with a hint, or "not answered yet"
# and where the worked solution is (`notebooks/solutions/06_pseudo_replay.py`;
# `solutions("06")[N](**context)` runs it here). Run your variants with `sweep` as above
# (`out_root=paths["shared_runs"]`): each config gets its own folder, and a run made once is
# read back.

# %%
from ddad_lite.lessons.exercises import check, solutions

context = dict(profile=profile, device=device, out_dir=out_dir, seeds=seeds, cache_dir=cache_dir,
               data_root=data_root)

# %% [markdown]
# **1.** Set `base_method = "dfad"` (no BN term). At this short budget on `shapes` its generator
# first inflates the teacher's logits on images of about one class and its student stays low
# (it needs about 2,000 iterations to escape; docs/results.md): can replay help a student that has
# learnt little to forget? *Answer:* `{"dfad": final accuracy, "dfad+replay": final
# accuracy}` (seed 0).

# %%
answer_1 = None  # your answer: {"dfad": ..., "dfad+replay": ...}

# %%
check("06", 1, answer_1)

# %% [markdown]
# **2.** Change `replay_fraction` (e.g. `budget["replay_fraction"] = 0.5`; the default is one
# eighth) and `replay_warmup`. When does replay start to pay off? *Answer:* `{replay_fraction:
# final accuracy}` of `ddad+replay` for at least two fractions.

# %%
answer_2 = None  # your answer: {0.125: ..., 0.5: ...}

# %%
check("06", 2, answer_2)

# %% [markdown]
# **3.** Set `replay_teacher_reconstruction=False` (the VAE then learns images only, not what
# the teacher sees in them) or `replay_rehearsal=False` (it learns only the newest samples).
# Do its samples change? Draw them with `replay_samples_from_run(run_dir, n=16)` (the same
# z for both runs) and compare with the default run's. *Answer:* `{setting turned off: mean
# absolute difference of the two runs' samples, pixels in [0, 1]}`.

# %%
answer_3 = None  # your answer: {"replay_teacher_reconstruction": ...}

# %%
check("06", 3, answer_3)

# %% [markdown]
# **4.** Give the buffer `buffer_policy="fifo"` (only the latest images) or
# `buffer_dtype="float32"` (exact images, a quarter as many). Which forgets more?
# *Answer:* `{"reservoir": forgetting, "fifo": forgetting}` (and/or `"float32"`), each run's
# `forgetting_max_drop`.

# %%
answer_4 = None  # your answer: {"reservoir": ..., "fifo": ...}

# %%
check("06", 4, answer_4)

# %% [markdown]
# **5.** Forgetting is measured on the test split, which only *evaluates*. Why would choosing
# the run's `best` checkpoint on it be optimistic? *Answer:* the gap
# `best_on_test_student_acc - best_student_acc` (chosen on validation) of the replay run's
# `metrics.json`.

# %%
answer_5 = None  # your answer: a number (or {run: gap})

# %%
check("06", 5, answer_5)

# %% [markdown]
# The worked solutions, each with a sentence on what its answer shows, are in
# `notebooks/solutions/06_pseudo_replay.py`.
