# %% [markdown]
# # 03 · DDAD: the generator against two discriminators
#
# [Open in Colab](https://colab.research.google.com/github/ddad-lite/ddad-lite/blob/main/notebooks/03_dual_discriminator.ipynb) · [Launch on Binder](https://mybinder.org/v2/gh/ddad-lite/ddad-lite/main?labpath=notebooks%2F03_dual_discriminator.ipynb)
#
# **What you will learn**
# - the DDAD objective and the min-max game between $G$ and $S$, and one DDAD iteration
#   written out by hand (it must equal the package's);
# - what each term of $L_G$ weighs at the start, so that $\alpha$ and $\beta$ mean something;
# - DDAD over several seeds, read between two bounds: distillation on real data (above) and
#   a generator that learnt nothing (below);
# - why the teacher (through its BN statistics) and the student (through the discrepancy) are
#   the generator's two discriminators;
# - an ablation on one teacher and one budget: BN-only vs adversarial-only (DFAD) vs both (DDAD);
# - how to browse the generated images with the teacher's and student's predictions;
# - to write $L_G$ yourself, with the student as a fixed discriminator (exercise 4, checked
#   against the kit's).
#
# **How long:** `smoke` under a minute; `quick` about 6 minutes on 2 CPU cores (376 s measured
# on a clean clone): DDAD once per seed, the two bounds once per
# seed (cheaper: no generator step) and the ablation's BN-only and DFAD, all on the series'
# shapes schedule (`lesson_budget`), which notebooks 04 and 07 read back; `full` is meant for a
# GPU.

# %% tags=["parameters"]
# Parameters (papermill replaces these; plain literals only, derived values go below).
profile = "quick"  # "smoke" (seconds, plumbing only), "quick" (minutes on a CPU), "full" (GPU)
device = "cpu"  # "cuda" for a GPU
out_dir = "runs/interactive/03_dual_discriminator"  # relative paths start at the project folder
seed = 0  # the seed of the notebook's own draws, the one-iteration check and the ablation
seeds = [0, 1, 2]  # DDAD and its two bounds run once per seed
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
lesson = setup(profile, device=device, out_dir=out_dir, seed=seeds[0], cache_dir=cache_dir,
               data_root=data_root)
device, progress, paths, out = lesson.device, lesson.progress, lesson.paths, lesson.out

# %%
# Derived settings (anything computed from the parameters lives here).
import copy

import torch
from IPython.display import Markdown, display

import ddad_lite.viz as viz
from ddad_lite import dataset_info, get_dataset, load_or_train_teacher
from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.lessons.exercises import check
from ddad_lite.lessons.series import write_key_figures
from ddad_lite.losses import BNStatistics
from ddad_lite.references.report import made, reference_curves, references_table, verdict
from ddad_lite.lessons.budgets import lesson_budget
from ddad_lite.runs.sweep import summarize, sweep, sweep_table

# The budget: the series' shapes schedule for this profile (`lesson_budget`), the same for
# DDAD, its bounds and the ablation. Runs live in the series' shared folder, so notebooks 04
# and 07 read these back instead of training them again.
run_seeds = seeds[:2] if profile == "smoke" else seeds  # smoke checks plumbing: 2 seeds do
ablation_seeds = [seed]  # BN-only and DFAD: one seed (set to `seeds` to rank them)
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
# protocol). `ddad_lite/methods/ddad.py` implements these two lines, with $\alpha$ and
# $\beta$ as the settings `bn` and `adversarial` (DDAD, DFAD and BN-only are rows of settings
# in `ddad_lite/methods/__init__.py`); the loop around them is the engine's
# (`ddad_lite/engine.py`). The methods, their objectives and the
# settings their authors published are summarised in `docs/reference.md`. For DDAD there are
# none to read: it has no public code and only its abstract is public, which names the two
# discriminators but not this form of $L_G$, nor $\alpha$, $\beta$, $D$ or $k$. The form, the
# defaults $\alpha = \beta = 1$, $D$ = L1 and DFAD's $k$ are **the kit's reconstruction**
# (`docs/fidelity.md`, "DDAD", says what chose each).
#
# Setting $\beta = 0$ gives **BN-only** (images like the data, but not aimed at the student);
# $\alpha = 0$ gives **DFAD** (adversarial only: images aimed at the student, but free to drift
# away from anything the teacher has seen).

# %% [markdown]
# ## One DDAD iteration, written out
#
# Here is one iteration in plain PyTorch: $k$ student steps, each on a fresh, detached batch
# $x = G(z)$, then one generator step on $L_G = \alpha L_{BN} - \beta D$. It starts from the
# very networks the package's `Distiller` builds (same seed and config) and draws $z$ from the
# same stream, so after one iteration both must agree: the losses, and every parameter and
# buffer of $S$ and $G$. (bf16 autocast and channels_last are off here: they change the
# rounding.)

# %%
exact = {**budget, "amp": False, "channels_last": False, "compile": False}
one = make_config("shapes", "ddad", profile, seed=seed, progress=False, **exact)
d = Distiller(one, copy.deepcopy(teacher))
T, S, G = copy.deepcopy((d.T, d.S, d.G))  # as the Distiller starts them
alpha, beta = one.method_settings["ddad"]["bn"], one.method_settings["ddad"]["adversarial"]
opt_S = torch.optim.SGD(S.parameters(), lr=one.lr_student, momentum=one.momentum,
                        weight_decay=one.weight_decay)
opt_G = torch.optim.Adam(G.parameters(), lr=one.lr_generator)
rng = torch.Generator(device).manual_seed(one.seed)  # the Distiller's stream of z
S.train()
G.train()
for _ in range(one.student_steps):  # k student steps on detached G(z): min_S D(S(x), T(x))
    with torch.no_grad():
        x = G(torch.randn(one.batch_size, one.nz, generator=rng, device=device))
        t = T(x)
    loss_S = (S(x) - t).abs().mean()  # D = l1, the mean absolute difference of logits
    opt_S.zero_grad()
    loss_S.backward()
    opt_S.step()
x = G(torch.randn(one.batch_size, one.nz, generator=rng, device=device))  # the G step
bn = BNStatistics(T)
t = T(x)
loss_bn = bn.loss()  # the teacher as discriminator
bn.remove()
loss_adv = (S(x) - t).abs().mean()  # the student as discriminator
loss_G = alpha * loss_bn - beta * loss_adv
opt_G.zero_grad()
loss_G.backward()
opt_G.step()

logs = d.train_iteration()  # the package's iteration
d.close()
by_hand = {"loss_S": loss_S, "loss_bn": loss_bn, "loss_adv": loss_adv, "loss_G": loss_G}
for name, value in by_hand.items():
    torch.testing.assert_close(logs[name], value.detach())
for mine, package in ((S, d.S), (G, d.G)):
    for (name, a), b in zip(mine.state_dict().items(), package.state_dict().values(),
                            strict=True):
        # After Adam's first step a parameter moves by about lr: agree to 1% of it.
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-2 * one.lr_generator)
print("one iteration by hand == the package's: "
      + ", ".join(f"{k} {float(v):.4f}" for k, v in by_hand.items()))

# %% [markdown]
# ## What the two terms weigh at the start
#
# $\alpha = \beta = 1$ says little on its own: the terms have their own scales. The package
# measures each term of $L_G$ at the first generator batch of a run, its value and the norm of
# its gradient with respect to $G$'s parameters, unweighted and weighted (`lg_terms`, in
# `metrics.json`; `methods/terms.py`). Read it with two cautions. It is one measurement, at
# the first generator batch, not over training. And $G$'s optimiser is Adam, which divides
# each parameter's step by a running average of that parameter's own gradient size: the
# gradient norms say which term's gradient is larger at the start, not which term dominates
# $G$'s update.

# %%
report = d.method.term_report
lines = ["| term | weight | value | weighted value | ‖∇_G‖ | weighted ‖∇_G‖ |",
         "| --- | ---: | ---: | ---: | ---: | ---: |"]
for name, term in report["terms"].items():
    lines.append(f"| {name} | {term['weight']:g} | {term['value']:.4g} | "
                 f"{term['weighted_value']:.4g} | {term['grad_norm']:.4g} | "
                 f"{term['weighted_grad_norm']:.4g} |")
lines.append(f"\n‖∇_G L_G‖ = {report['total_grad_norm']:.4g} (both terms together)")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## DDAD over seeds, between two bounds
#
# One run says little: the student's accuracy moves with the seed. DDAD runs once per seed,
# and two bounds run on the same teacher, student, loss $D$ and budget (the same number of
# student updates, on as many images):
#
# - **upper bound, uses data**: knowledge distillation on the teacher's *real training
#   images* (`kd_real_data`, `methods/bounds.py`). It is not a method of this kit: it sees
#   exactly the data that data-free distillation may not. It says how much the budget allows.
# - **lower bound**: a generator frozen at its initialisation (`random_generator`): what
#   distilling on images that nobody optimised gives.
#
# A data-free method is worth its generator where it climbs above the lower bound; the gap to
# the upper bound is what the missing data costs.

# %%
ddad_rows = sweep(("ddad",), dataset="shapes", profile=profile, seeds=run_seeds,
                  teacher=(teacher, record), out_root=paths["shared_runs"], progress=progress,
                  **budget)
bound_rows = sweep(("kd_real_data", "random_generator"), dataset="shapes", profile=profile,
                   seeds=run_seeds, teacher=(teacher, record), out_root=paths["shared_runs"],
                   progress=progress, **budget)
bounds = {e["method"]: e for e in summarize(bound_rows)}
upper, lower = bounds["kd_real_data"], bounds["random_generator"]
ddad = summarize(ddad_rows)[0]
points = ddad["points"]["final"]
viz.seed_curves_figure({r["seed"]: r["curve"] for r in ddad_rows}, upper=upper["final"],
                       lower=lower["final"], teacher_score=record["accuracy"], name="DDAD")

# %%
display(Markdown(
    f"DDAD's final test accuracy over {len(points)} seeds ({', '.join(map(str, run_seeds))}): "
    f"**{ddad['final']:.3f} ± {ddad['final_std']:.3f}** (mean ± std; every point: "
    f"{', '.join(f'{p:.3f}' for p in points)}). Upper bound, KD on real training images (uses "
    f"data): {upper['final']:.3f} ± {upper['final_std']:.3f}. Lower bound, generator frozen "
    f"at initialisation: {lower['final']:.3f} ± {lower['final_std']:.3f}."))

# %% [markdown]
# **Not converged: read the reference.** At the series' `quick` budget the students are far from
# converged, and three seeds of a converged run do not fit this series' CPU budget. The kit
# ships them instead: `docs/results/shapes-*` are DDAD and the two bounds run to a converged
# budget over three seeds each (`make references`; how, when and on what machine: the README
# there). The figure puts your runs (dashed) over them; the table and the lines below it are
# printed from the reference files, and they are what this section concludes from.

# %%
shapes_references = made(["shapes-ddad", "shapes-kd_real_data", "shapes-random_generator"])
display(viz.reference_figure(
    {name.removeprefix("shapes-"): curves
     for name, curves in reference_curves(shapes_references).items()},
    live={"ddad": ddad_rows[0]["history"]}, teacher_score=record["accuracy"],
    title=f"DDAD between the bounds: references (3 seeds) and your run (seed {run_seeds[0]})"))
display(Markdown(references_table(names=shapes_references)))
for bound in ("shapes-kd_real_data", "shapes-random_generator"):
    if {"shapes-ddad", bound} <= set(shapes_references):
        print(verdict("shapes-ddad", bound))

# %% [markdown]
# ## The ablation: which discriminator does what
#
# Setting $\beta = 0$ gives **BN-only**, $\alpha = 0$ gives **DFAD**. They run on
# `ablation_seeds` (one seed by default), DDAD on every seed; the table gives the number of
# seeds of each row, and "mean ± std" where there are several.

# %%
ablation_rows = sweep(("bn_only", "dfad"), dataset="shapes", profile=profile,
                      seeds=ablation_seeds, teacher=(teacher, record),
                      out_root=paths["shared_runs"], progress=progress, **budget)
runs = {row["method"]: row for row in ablation_rows if row["seed"] == ablation_seeds[0]}
at_seed = [r for r in ddad_rows if r["seed"] == ablation_seeds[0]]
runs["ddad"] = at_seed[0] if at_seed else sweep(  # DDAD at the ablation's seed, if not above
    ("ddad",), dataset="shapes", profile=profile, seeds=ablation_seeds[:1],
    teacher=(teacher, record), out_root=paths["shared_runs"], progress=progress, **budget)[0]
labels = {"kd_real_data": "kd_real_data (upper BOUND, uses real data)",
          "random_generator": "random_generator (lower bound)"}
summary = summarize(ablation_rows + ddad_rows + bound_rows)
for entry in summary:
    entry["method"] = labels.get(entry["method"], entry["method"])
display(Markdown(sweep_table(summary, weights=True, entropy=True)))

# %%
viz.compare_curves({m: r["history"] for m, r in runs.items()}, teacher_score=record["accuracy"],
                   title=f"BN-only vs DFAD vs DDAD, seed {ablation_seeds[0]}, same budget")

# %% [markdown]
# The ablation your runs cannot settle, settled over seeds by the references
# (`docs/results/shapes-{ddad,bn_only,dfad}`, the same converged budget, three seeds each):
# every seed of each (thin), their mean (thick) and your run (dashed). The lines below the
# table say, from the files, whether DDAD is above each half of itself on every seed or
# whether their seeds overlap; read the conclusion there, not in a single run.

# %%
ablation_references = made(["shapes-ddad", "shapes-bn_only", "shapes-dfad"])
display(viz.reference_figure(
    {name.removeprefix("shapes-"): curves
     for name, curves in reference_curves(ablation_references).items()},
    live={m: r["history"] for m, r in runs.items()}, teacher_score=record["accuracy"],
    title="the ablation: references (3 seeds each) and your runs"))
display(Markdown(references_table(names=ablation_references)))
for half in ("shapes-bn_only", "shapes-dfad"):
    if {"shapes-ddad", half} <= set(ablation_references):
        print(verdict("shapes-ddad", half))
        print(verdict("shapes-ddad", half, field="mean"))

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
figures = {"teacher_acc": record["accuracy"], "seeds": list(run_seeds),
           "ddad_final_mean": ddad["final"], "ddad_final_std": ddad["final_std"],
           "ddad_final_points": points,
           "kd_real_data_acc": upper["final"], "kd_real_data_points": upper["points"]["final"],
           "random_generator_acc": lower["final"],
           "random_generator_points": lower["points"]["final"],
           "lg_terms": {k: {f: v[f] for f in ("value", "grad_norm", "weighted_grad_norm")}
                        for k, v in report["terms"].items()}}
for method, row in runs.items():  # the ablation, at its seed
    figures[f"{method}_student_acc"] = row["final"]
    figures[f"{method}_mean_student_acc"] = row["mean"]
    figures[f"{method}_best_student_acc"] = row["best"]
path = write_key_figures(out, **figures)
print(f"key figures written to {path}")

# %% [markdown]
# ## Summary
#
# - DDAD's generator faces two discriminators: the teacher's BN statistics pull its images
#   towards the training data, the student's disagreement with the teacher pushes them towards
#   what the student has not learnt yet. One iteration is $k$ student steps on detached
#   $G(z)$ and one generator step on $\alpha L_{BN} - \beta D$; the one written out above is
#   the package's, to rounding.
# - The weights mean something only beside the terms' gradients: the `lg_terms` table gives
#   each term's value and gradient norm at the first generator batch (one measurement; with
#   Adam's per-coordinate steps it does not say which term dominates $G$'s update).
# - DDAD's result is a mean over seeds with its spread and every point, read between KD on real
#   data (an upper bound that uses the data, never a method) and a frozen random generator (a
#   lower bound). Read final and mean test accuracy beside the best (the test accuracy of the
#   evaluation chosen on the validation split; the footnote names what chose it).
# - The ablation runs live on `ablation_seeds` (one seed by default), so the live runs show what
#   each term does in one run, not a ranking. The ranking comes from the references: the
#   printed comparisons say, from three converged seeds each, whether DDAD is above BN-only
#   and DFAD on every seed or within their spread; where the seeds overlap, the notebook's
#   conclusion is that this budget does not separate them.
#
# ## Exercises
#
# Each exercise has an answer cell (leave `None` until you have one) and a check; worked
# solutions are in `notebooks/solutions/03_dual_discriminator.py`. Runs of your own go to a
# folder of your choice: `sweep(..., out_root=out / "exercises")`.
#
# **1.** Vary $\alpha$ (the setting `bn`) over 0.1, 1 and 10:
# `sweep(("ddad",), dataset="shapes", profile=profile, seeds=(seed,), teacher=(teacher,
# record), out_root=out / "exercises", bn=alpha, **budget)`. Answer with `{alpha: final}`
# (each row's `"final"`).

# %%
answer_1 = None  # {0.1: ..., 1.0: ..., 10.0: ...}
check("03", 1, answer_1)

# %% [markdown]
# **2.** Let the student learn the `kl` discrepancy while the generator keeps maximising `l1`
# (`discrepancy="kl", generator_discrepancy="l1"` in the same `sweep` call). Answer with the
# run's row (it holds `run_dir`). What changes?

# %%
answer_2 = None  # the sweep row of that run
check("03", 2, answer_2)

# %% [markdown]
# **3.** Collapse: `teacher_effective_classes` (exp H of T's predicted classes on G's last
# batch) is each row's `"effective_classes"`. Answer with `{method: effective classes}` for
# the ablation's three methods: which collapses to few classes?

# %%
answer_3 = None  # {"bn_only": ..., "dfad": ..., "ddad": ...}
check("03", 3, answer_3)

# %% [markdown]
# **4. (code)** Write DDAD's generator loss yourself: complete `generator_loss` so that it
# returns $L_G = \alpha\, L_{BN}(T, x) - \beta\, D(S(x), T(x))$ for a batch $x = G(z)$. Given:
# `bn_loss()`, $L_{BN}$ of $T$'s last forward pass (the check hooks $T$'s BN layers), and
# `D(s, t)`, the discrepancy of student and teacher logits. In $G$'s step $S$ is a *fixed*
# discriminator: its weights must get no gradient, while $G$ still needs the gradient that
# flows through $S(x)$ back to $x$ (`no_param_grad(S)`, `ddad_lite/methods/base.py`, does
# exactly that; `torch.no_grad()` would cut it). Then set `answer_4 = generator_loss`: the
# check runs it beside the kit's `DDAD.generator_loss` (`ddad_lite/methods/ddad.py`) on the
# same batch, with unequal weights ($\alpha \ne \beta$), and compares the value, $G$'s gradient
# and $S$'s (none).

# %%
from ddad_lite.methods.base import no_param_grad


def generator_loss(x, *, T, S, alpha, beta, bn_loss, D):
    """DDAD's L_G for synthetic images x = G(z): alpha L_BN(T, x) - beta D(S(x), T(x))."""
    t = T(x)  # the teacher's logits; T's BN hooks record the statistics of x
    L_G = None  # your code: L_BN, S's logits (no gradient into S's weights), D, then L_G
    return L_G


answer_4 = None  # generator_loss, once written
check("03", 4, answer_4, teacher=teacher)

# %% [markdown]
# **Next:** notebook 04 distils ResNets on CIFAR beside the published numbers (on `shapes`
# without the data, reading back this notebook's DDAD run).
