"""The ablation of DDAD's two discriminators on one teacher and one budget.

With x = G(z), the generator's loss is L_G = alpha L_BN(T, x) - beta D(S(x), T(x)):

    bn_only  beta = 0    the teacher is the only discriminator (BN statistics)
    dfad     alpha = 0   the student is the only discriminator (adversarial only, DFAD)
    ddad     both        the dual-discriminator objective

`run_ablation` distils the same teacher with each method through `run_distillation` (same
profile, seed, iterations and batch size, so the same number of synthetic images) into
`out_dir/<run folder>` (`run_folder`: named by method, seed and config fingerprint), and
returns the histories and a table of final, mean and best student accuracy. A run of the same
config found there is read back instead of trained again (`run_or_load`), so a notebook can be
re-run, and notebooks that share `out_dir` share runs.
"""

from __future__ import annotations

from pathlib import Path

from .configure import make_config
from .runs.store import load_history, run_folder, run_or_load

ABLATION_METHODS = ("bn_only", "dfad", "ddad")


def run_ablation(*, dataset: str = "shapes", profile: str = "quick",
                 methods=ABLATION_METHODS, out_dir, teacher, **overrides) -> dict:
    """Distil `teacher` (a (model, record) pair) with each method; returns
    {"configs": {method: cfg}, "metrics": {method: metrics}, "histories": {method: history},
    "run_dirs": {method: folder}, "table": [row per method]}. `overrides` go to
    `make_config` for every method."""
    out = Path(out_dir)
    result: dict = {"configs": {}, "metrics": {}, "histories": {}, "run_dirs": {}, "table": []}
    for method in methods:
        cfg = make_config(dataset, method, profile, **overrides)
        run_dir = run_folder(out, cfg)
        metrics = run_or_load(cfg, run_dir, teacher=teacher)
        history = load_history(run_dir)
        result["configs"][method] = cfg
        result["metrics"][method] = metrics
        result["histories"][method] = history
        result["run_dirs"][method] = run_dir
        result["table"].append(table_row(method, metrics))
    return result


def table_row(method: str, metrics: dict) -> dict:
    """One row of the results table: final, mean and best student accuracy and cost."""
    weights = metrics["config"]["method_settings"][method.split("+")[0]]
    return {"method": method, "alpha": weights.get("bn", 0.0),
            "beta": weights.get("adversarial", 0.0),
            "student_acc": metrics.get("student_acc"),
            "mean_student_acc": metrics.get("mean_student_acc"),
            "best_student_acc": metrics.get("best_student_acc"),
            "teacher_class_entropy_final": metrics.get("teacher_class_entropy_final"),
            "iterations": metrics.get("iterations"),
            "train_seconds": metrics.get("train_seconds")}


def format_table(rows: list[dict], *, percent: bool = True) -> str:
    """The table as Markdown (accuracies in %); 'best' is chosen on the real test split."""
    head = ("| method | alpha | beta | final acc | mean acc | best acc* | class entropy | "
            "iterations | train s |")
    lines = [head, "|" + " --- |" * 9]

    def pct(v):
        return "" if v is None else (f"{100 * v:.1f}" if percent else f"{v:.3f}")

    for r in rows:
        ent = r.get("teacher_class_entropy_final")
        lines.append(f"| {r['method']} | {r['alpha']:g} | {r['beta']:g} | "
                     f"{pct(r['student_acc'])} | {pct(r['mean_student_acc'])} | "
                     f"{pct(r['best_student_acc'])} | {'' if ent is None else f'{ent:.2f}'} | "
                     f"{r['iterations']} | {r['train_seconds']} |")
    lines.append("\n*best: the maximum over evaluations on the real test split (optimistic); "
                 "final and mean are not selected.")
    return "\n".join(lines)
