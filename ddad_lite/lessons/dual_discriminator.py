"""The checks of notebook 03's exercises (DDAD's two discriminators; lessons/exercises.py).

The notebook teaches `methods/ddad.py` (L_G = alpha L_BN - beta D(S(x), T(x))), which may
not import the lessons, so its exercises' checks live here:

  1. alpha, the weight of L_BN (`bn`): {alpha: final test accuracy} over three alphas or more;
  2. the student's discrepancy `kl` with the generator's `l1`: the sweep row of that run
     (its metrics.json must record both settings);
  3. collapse: {method: T's effective number of classes on G's last batch}.
"""

from __future__ import annotations

import json
from pathlib import Path

from .exercises import NotYet, exercise


@exercise("03", 1)
def _alpha_sweep(answer) -> str:
    """{alpha: final student accuracy} over at least three alphas."""
    if not isinstance(answer, dict) or len(answer) < 3:
        raise NotYet("give a dict {alpha: final accuracy} with at least three alphas")
    if not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in answer.values()):
        raise NotYet("each value is a final test accuracy, a fraction in [0, 1] (row['final'])")
    best = max(answer, key=answer.get)
    shown = ", ".join(f"{a:g}: {answer[a]:.3f}" for a in sorted(answer))
    return f"{shown}; the best alpha here is {best:g} (one seed: run several before ranking)"


@exercise("03", 2)
def _kl_student_l1_generator(answer) -> str:
    """The sweep row (or run folder) of a DDAD run with D = kl for S and l1 for G."""
    run_dir = answer.get("run_dir") if isinstance(answer, dict) else answer
    path = Path(run_dir) / "metrics.json" if run_dir else None
    if path is None or not path.is_file():
        raise NotYet("give the sweep row of the run (it holds run_dir): sweep(..., "
                     "out_root=...) keeps its folder")
    metrics = json.loads(path.read_text())
    settings = metrics["config"]["method_settings"].get("ddad", {})
    if (settings.get("discrepancy"), settings.get("generator_discrepancy")) != ("kl", "l1"):
        raise NotYet(f"the run used discrepancy={settings.get('discrepancy')!r}, "
                     f"generator_discrepancy={settings.get('generator_discrepancy')!r}; set "
                     "discrepancy='kl', generator_discrepancy='l1'")
    return (f"S learnt KL at temperature {settings.get('temperature')}, G maximised L1: final "
            f"accuracy {metrics['student_acc']:.3f}")


@exercise("03", 3)
def _collapse(answer) -> str:
    """{method: teacher's effective classes on the last generated batch}, two methods or more."""
    if not isinstance(answer, dict) or len(answer) < 2:
        raise NotYet("give {method: effective classes} for at least two methods (the "
                     "sweep rows' 'effective_classes')")
    if not all(isinstance(v, (int, float)) and v >= 1 for v in answer.values()):
        raise NotYet("an effective number of classes, exp(H), is at least 1")
    low = min(answer, key=answer.get)
    return f"{low} collapses most: {answer[low]:.1f} effective classes"
