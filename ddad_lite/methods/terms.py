"""What each term of a weighted generator loss weighs, measured once: so that the weights
mean something.

For L_G = sum_i w_i L_i (the adversarial term enters with w_i = -adversarial), on one batch:

    value_i          = L_i                      weighted_value_i     = w_i L_i
    grad_norm_i      = || dL_i / d theta_G ||_2  weighted_grad_norm_i = |w_i| grad_norm_i

theta_G are G's parameters (all of them, as one vector). A term whose weighted gradient norm
is orders of magnitude below the others' barely steers G, whatever its value. The gradients
are taken with `torch.autograd.grad`, so no parameter's `.grad` is touched and the update
that follows is unchanged.
"""

from __future__ import annotations

import torch


def term_report(terms: dict[str, tuple[float, torch.Tensor]], params) -> dict:
    """{term: {weight, value, weighted_value, grad_norm, weighted_grad_norm}} and the norm of
    the whole L_G's gradient (`total_grad_norm`), for `terms` = {name: (w_i, L_i)}."""
    params = [p for p in params if p.requires_grad]
    report, total = {}, None
    for name, (weight, loss) in terms.items():
        grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params,
                                                                         strict=True)]
        norm = float(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(g.float()) for g in grads])))
        total = [weight * g for g in grads] if total is None else [
            t + weight * g for t, g in zip(total, grads, strict=True)]
        report[name] = {"weight": float(weight), "value": float(loss.detach()),
                        "weighted_value": float(weight * loss.detach()),
                        "grad_norm": norm, "weighted_grad_norm": abs(float(weight)) * norm}
    total_norm = 0.0 if total is None else float(torch.linalg.vector_norm(torch.stack(
        [torch.linalg.vector_norm(t.float()) for t in total])))
    return {"terms": report, "total_grad_norm": total_norm}


def format_term_report(report: dict) -> str:
    """One line: `L_G terms (value, weighted; |grad_G|, weighted): name v wv; g wg | ...`."""
    parts = [f"{name} {t['value']:.3g} {t['weighted_value']:.3g}; "
             f"{t['grad_norm']:.3g} {t['weighted_grad_norm']:.3g}"
             for name, t in report["terms"].items()]
    return ("L_G terms at the first batch (value, weighted; |grad wrt G|, weighted): "
            + " | ".join(parts) + f" | total |grad| {report['total_grad_norm']:.3g}")
