"""The README's figures, made by one command from a real run (`make figures`).

    python -m ddad_lite figures            # writes docs/figures/*.png

Notebook 01's 2-D game at its `quick` budget (a teacher on two moons, then BN-only, DFAD and
DDAD from the same start; a minute or two on a CPU): the generated points and S's decision
regions over training (`toy2d_frames.png`), and S's accuracy and the losses over iterations
(`toy2d_curves.png`). Small PNGs, written atomically; the numbers they show are printed.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..files import atomic_write
from ..lessons.budgets import toy_budget
from ..lessons.toy2d import ToySettings, compare_methods, toy_data, train_teacher
from ..paths import SOURCE_ROOT

FIGURES_DIR = SOURCE_ROOT / "docs" / "figures"


def _png(fig, *, dpi: int = 72) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def make_figures(out=FIGURES_DIR, *, profile: str = "quick", seed: int = 0) -> list[Path]:
    """Run the 2-D game at `profile` and write its figures into `out`; returns their paths."""
    from .. import viz  # import cost: matplotlib (~1 s); the CLI imports this module

    out = Path(out)
    settings = ToySettings(**toy_budget(profile))
    data = toy_data()
    teacher, teacher_acc = train_teacher(data, steps=settings.teacher_steps, seed=0)
    results = compare_methods(teacher, data, settings=settings, seed=seed)
    print(f"teacher {teacher_acc:.1%}; " + "; ".join(
        f"{name} S {r['student_acc']:.1%}" for name, r in results.items()))
    written = []
    for name, fig in (("toy2d_frames.png", viz.toy_frames_figure(results, data, columns=4)),
                      ("toy2d_curves.png", viz.toy_curves_figure(results,
                                                                 teacher_acc=teacher_acc))):
        png = _png(fig)
        atomic_write(out / name, lambda tmp, png=png: Path(tmp).write_bytes(png))
        written.append(out / name)
    return written


__all__ = ["FIGURES_DIR", "make_figures"]
