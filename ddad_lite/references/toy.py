"""The 2-D toy's references (notebook 01): its three methods over seeds, converged.

The toy is not a `DistillConfig` run: it is `lessons.toy2d`'s own tiny loop on the kit's
losses, so its row (`ToyReference`) records the loop's settings (`lessons.budgets.toy_budget`
of a profile, `lessons.toy2d.ToySettings`) and the method's weights (alpha, beta) as its
config. The budget is the `full` toy profile, 1,000 iterations: at the notebook's 300 DFAD's
student still swings (0.55-0.81 for seed 0); by 1,000 BN-only and DDAD have long settled
(0.999 from iteration ~100) and DFAD's seed 0 reaches 0.996, while its seed 1 stays at chance
(0.500) throughout: a seed where the adversarial game alone never finds the data. One teacher for
every seed (trained from seed 0 on the fixed data); a seed draws S's and G's initialisation
and the z stream. The toy has no validation split: its summary gives final and mean, and no
"best".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..files import atomic_write, save_json
from ..lessons.budgets import toy_budget
from ..lessons.toy2d import (
    DATA_SEED,
    METHODS,
    ToySettings,
    cloud_statistics,
    distill_toy,
    toy_data,
    train_teacher,
)
from ..provenance import provenance

TEACHER_SEED = 0


@dataclass(frozen=True)
class ToyReference:
    """One toy reference: `method` of lessons.toy2d at the toy budget of `profile`."""

    name: str
    method: str
    profile: str = "full"
    seeds: tuple[int, ...] = (0, 1, 2)
    about: str = field(default="", compare=False)
    dataset: str = "toy2d"

    def settings(self) -> ToySettings:
        return ToySettings(**toy_budget(self.profile))

    def config(self, seed: int) -> dict:
        """What decides the run of `seed`: the method's weights, the loop's settings, seeds."""
        alpha, beta = METHODS[self.method]
        return {"method": self.method, "alpha": alpha, "beta": beta, "seed": seed,
                "teacher_seed": TEACHER_SEED, "data_seed": DATA_SEED,
                **asdict(self.settings())}

    def stale_fields(self, recorded: dict, seed: int) -> list[str]:
        today = self.config(seed)
        return sorted(k for k in set(today) | set(recorded)
                      if _json(today.get(k)) != _json(recorded.get(k)))

    def describe(self) -> dict:
        return {"name": self.name, "dataset": self.dataset, "method": self.method,
                "profile": self.profile, "overrides": {}, "seeds": list(self.seeds),
                "about": self.about}


def _json(value):
    return list(value) if isinstance(value, tuple) else value


def make_toy_reference(ref: ToyReference, out: Path, threads: int) -> dict:
    """Run every seed (seconds each) and write the reference's files into `out`."""
    torch.set_num_threads(threads)
    data = toy_data()
    settings = ref.settings()
    teacher, teacher_acc = train_teacher(data, steps=settings.teacher_steps, seed=TEACHER_SEED)
    alpha, beta = METHODS[ref.method]
    per_seed, curves, walls, last = [], {}, {}, None
    for seed in ref.seeds:
        result = distill_toy(teacher, data, alpha=alpha, beta=beta, settings=settings,
                             seed=seed, method=ref.method)
        accs = [f["student_acc"] for f in result["frames"]]
        cloud = cloud_statistics(result["frames"][-1]["points"], data["x"])
        per_seed.append({"seed": seed, "final": accs[-1], "mean": sum(accs) / len(accs),
                         "best_on_test": max(accs), "wall_seconds": result["wall_s"],
                         "iterations": settings.iterations, **cloud})
        curves[str(seed)] = {"iteration": [f["iteration"] for f in result["frames"]],
                             "test": accs, "validation": None}
        walls[str(seed)] = {"wall_seconds": round(result["wall_s"], 2)}
        if last is None:
            last = result
    fields = ("final", "mean", "best_on_test", "inside_support", "wall_seconds")
    over = {}
    for f in fields:
        points = [s[f] for s in per_seed]
        mean = sum(points) / len(points)
        std = (sum((p - mean) ** 2 for p in points) / (len(points) - 1)) ** 0.5 \
            if len(points) > 1 else 0.0
        over[f] = {"mean": mean, "std": std, "points": points}
    summary = {**ref.describe(),
               "score": "test accuracy of the student on 1,000 fresh two-moons points",
               "fields": {"final": "the last frame", "mean": "the mean over every frame",
                          "best": "none: the toy has no validation split to choose it",
                          "best_on_test": "the maximum over frames (optimistic)",
                          "inside_support": "share of G's points within 0.25 of a data "
                                            "point at the end"},
               "student_sees_real_data": False, "teacher_acc": teacher_acc,
               "seeds": per_seed, "over_seeds": over}
    save_json(out / "summary.json", summary)
    save_json(out / "curves.json", {"score": "student_acc", "per_seed": curves})
    save_json(out / "config.json", {str(s): ref.config(s) for s in ref.seeds})
    save_json(out / "provenance.json", {
        **{k: v for k, v in provenance("cpu").items() if k not in ("python", "device")},
        "threads": threads, "teacher_acc": teacher_acc, "runs": walls,
        "wall_seconds_total": round(sum(w["wall_seconds"] for w in walls.values()), 1),
        "command": f"python -m ddad_lite references --only {ref.name}"})
    write_points(last, data, out / "images.png")
    return summary


def write_points(result: dict, data: dict, path: Path) -> None:
    """images.png: seed 0's generated points at the end over the data (grey), small."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.6, 2.6))
    ax.scatter(data["x"][:, 0], data["x"][:, 1], s=2, c="0.75")
    points = result["frames"][-1]["points"]
    ax.scatter(points[:, 0], points[:, 1], s=3, c="tab:red")
    box = result["box"]
    ax.set(xlim=(-box, box), ylim=(-box, box), xticks=[], yticks=[],
           title=f"{result['method']}: G's points (seed 0)")
    ax.title.set_fontsize(8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def toy_rows() -> list[ToyReference]:
    abouts = {"bn_only": "the toy's teacher half: L_BN alone (alpha 1, beta 0)",
              "dfad": "the toy's student half: the discrepancy alone (alpha 0, beta 1)",
              "ddad": "both discriminators (alpha 1, beta 3: the toy's weights)"}
    return [ToyReference(f"toy2d-{m}", m, about=abouts[m]) for m in METHODS]


__all__ = ["ToyReference", "make_toy_reference", "toy_rows"]
