# %% [markdown]
# # 03 · DDAD: the generator against two discriminators
#
# **What you will learn**
# - the DDAD objective and the min-max game between $G$ and $S$;
# - why the teacher (through its BN statistics) and the student (through the discrepancy) are
#   the generator's two discriminators;
# - an ablation on one teacher and one budget: BN-only vs adversarial-only (DFAD) vs both (DDAD);
# - how to browse the generated images with the teacher's and student's predictions.
#
# **How long:** `smoke` about 15 s; `quick` about 2 minutes on a 2-core CPU (three distillations
# of the series' 200-iteration schedule, which notebooks 04 and 07 read back); `full` is meant
# for a GPU (minutes).

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/03_dual_discriminator"  # relative paths start at the project folder
seed = 0  # the seed of the notebook's runs and of its own random draws
cache_dir = None  # teacher cache; None: $DDAD_CACHE/teachers or <project>/checkpoints/teachers
data_root = None  # prepared datasets; None: $DDAD_DATA or <project>/data

# %%
# Derived settings (anything computed from the parameters lives here).
import torch
from IPython.display import Markdown, display

import ddad_lite.viz as viz
from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.runs.sweep import ABLATION_METHODS, summarize, sweep, sweep_table
from ddad_lite.configure import make_config
from ddad_lite.lessons.series import write_key_figures
from ddad_lite.paths import series_paths
from ddad_lite.recipes import lesson_budget

progress = profile != "smoke"  # no progress bars in smoke runs: logs stay readable
paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)
out = paths["out_dir"]
torch.manual_seed(seed)

# The ablation's budget: the series' shapes schedule for this profile (`lesson_budget`), the
# same for all three methods. Runs live in the series' shared folder, so notebooks 04 and 07
# read these back instead of training them again.
budget = dict(device=device, **lesson_budget(profile))
cfg = make_config("shapes", "ddad", profile, seed=seed, progress=progress, **budget)
info = dataset_info(cfg.dataset)
teacher, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                        data_root=paths["data_root"], device=device,
                                        progress=progress)
print(f"teacher accuracy {record['accuracy']:.1%}; budget {budget}")

# %% [markdown]
# ## Two discriminators
#
# With $z \sim \mathcal N(0, I)$ and $x = G(z)$, DDAD trains the generator with
#
# $$L_G = \alpha\, L_{BN}(T, x) - \beta\, D(S(x), T(x))$$
#
# and the student with
#
# $$L_S = D(S(x), T(x)) \quad\text{on } x = G(z) \text{ (detached)}.$$
#
# - **The teacher as discriminator** ($\alpha$ term): $L_{BN} = \sum_l R_l$ from notebook 02 says
#   whether $x$ looks like the teacher's training data to its BN layers.
# - **The student as discriminator** ($\beta$ term): $D(S(x), T(x))$ (here the mean absolute
#   difference of logits, `l1`) is large where the student still differs from the teacher.
#   $G$ *maximises* it, $S$ *minimises* it: a min-max game,
#   $\min_S \max_G \; D(S(G(z)), T(G(z)))$, in which $G$ keeps finding the student's weak
#   spots and $S$ keeps fixing them.
#
# Each iteration makes $k$ student steps (`student_steps`), then one generator step (DFAD's
# protocol). `ddad_lite/methods/weighted.py` implements these two lines, with $\alpha$ and
# $\beta$ as the settings `bn` and `adversarial` (DDAD, DFAD and BN-only are rows of settings
# in `ddad_lite/methods/__init__.py`); the loop around them is the engine's
# (`ddad_lite/engine.py`). The methods, their objectives and the
# settings their authors published are summarised in `docs/reference.md`.
#
# Setting $\beta = 0$ gives **BN-only** (images like the data, but not aimed at the student);
# $\alpha = 0$ gives **DFAD** (adversarial only: images aimed at the student, but free to drift
# away from anything the teacher has seen).

# %%
rows = sweep(ABLATION_METHODS, dataset="shapes", profile=profile, seeds=(seed,),
             teacher=(teacher, record), out_root=paths["shared_runs"], progress=progress,
             **budget)
runs = {row["method"]: row for row in rows}  # bn_only, dfad, ddad
display(Markdown(sweep_table(summarize(rows), weights=True, entropy=True)))

# %%
viz.compare_curves({m: r["history"] for m, r in runs.items()}, teacher_score=record["accuracy"],
                   title="BN-only vs DFAD vs DDAD, same teacher and budget")

# %% [markdown]
# How close the generated batches come to the teacher's BN statistics during DDAD:

# %%
viz.bn_layers_over_time(runs["ddad"]["history"]["bn_layers"], title="DDAD: R_l over training")

# %% [markdown]
# ## Browse the generated images
#
# The slider picks an iteration, the filter keeps the images the teacher assigns to one class;
# each image is captioned with T's and S's predictions (red: they disagree — exactly the images
# the student-as-discriminator rewards). The static figure below it shows the last iteration.

# %%
browser = viz.snapshot_browser(runs["ddad"]["run_dir"], class_names=info.class_names)
browser

# %%
browser.figure()

# %%
# Animation twin: every iteration of the slider played as HTML, which an exported notebook keeps.
browser.animation()

# %%
figures = {"teacher_acc": record["accuracy"]}
for method, row in runs.items():
    figures[f"{method}_student_acc"] = row["final"]
    figures[f"{method}_mean_student_acc"] = row["mean"]
    figures[f"{method}_best_student_acc"] = row["best"]
write_key_figures(out, **figures)

# %% [markdown]
# ## Summary
#
# - DDAD's generator faces two discriminators: the teacher's BN statistics pull its images
#   towards the training data, the student's disagreement with the teacher pushes them towards
#   what the student has not learnt yet.
# - The ablation runs all three objectives on the same teacher, seed and image budget; read the
#   final and mean test accuracy beside the best (the test accuracy of the evaluation chosen on
#   the validation split, held-out train images; the footnote names what chose it).
# - On `shapes`, DFAD's student stays near chance. What a control run showed (DFAD alone, 600
#   iterations at batch 64, fp32; the README gives the command): from iteration 50 on, the
#   generator makes images on which the teacher's logits are 3 to 4.5 times as large as on
#   real shapes (mean L2 norm 39 rising to 55, against 12), its confidence above 0.99, and its
#   predictions on one to three classes. Maximising an L1 distance of logits pays most where
#   the teacher's logits are largest, so G wins by inflating them; S then copies the teacher on
#   images of one class and learns nothing about the others. This is one run on one dataset;
#   whether DFAD escapes it at DFAD's own schedule (25,000 iterations, batch 256) is not
#   measured here. Both objectives with the BN term learn: L_BN holds the statistics of x near
#   the teacher's data, which also keeps T's logits in their usual range. Between BN-only and
#   DDAD the gap is small and
#   changes with the seed: run several seeds, or `full` on a GPU, before ranking them.
#
# **Exercises**
# 1. Vary $\alpha$ (e.g. 0.1, 1, 10): rerun the ablation with `methods=("ddad",)` and
#    `bn=...` (the setting that holds $\alpha$).
# 2. Use the `kl` discrepancy for the student and `l1` for the generator
#    (`discrepancy="kl", generator_discrepancy="l1"`): what changes?
# 3. Watch `teacher_class_entropy` (H / ln min(n, C), in [0, 1]) and
#    `teacher_effective_classes` (exp H) in the snapshots: which method collapses to few classes?
