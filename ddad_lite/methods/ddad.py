"""DDAD, Dual Discriminator Adversarial Distillation (Zhao et al., 2021), as this kit
reconstructs it from the paper's abstract (its code is not public; docs/fidelity.md): G faces
two discriminators, the teacher through its BatchNorm statistics and the student through
disagreement. Its generator loss is a weighted sum of named losses, so DFAD, BN-only and a
DFQ-like mix are rows of settings of this one class (the table in methods/__init__.py), and
DAFL (dafl.py) is the same loss with its priors in its own loop.

With x = G(z), z ~ N(0, I), t = T(x), features f = T.forward_features(x) and
p_bar the batch mean of softmax(t):

    L_G = bn          * L_BN(T, x)                  teacher as discriminator (BN statistics)
        + onehot      * L_oh = CE(t, argmax t)      T confident on x        (DAFL's prior)
        + activation  * L_a  = -mean |f|            x excites T's features   (DAFL's prior)
        + entropy     * L_ie = sum p_bar log_b p_bar  classes balanced       (DAFL's prior)
        - adversarial * D_G(S(x), T(x))             student as discriminator (DFAD)
    L_S = D(S(x.detach()), T(x))

    ddad     bn = adversarial = 1          dfad     adversarial = 1 (bn fixed at 0)
    bn_only  bn = 1 (adversarial fixed 0)  dafl     DAFL's weights per dataset, b = 10, KL KD
                                                    (dafl.py)

D_G is `generator_discrepancy` (None: the student's D); DFAD's segmentation uses log(1 + L1).
b is `entropy_log_base` (e: nats; DAFL's code uses log10). Terms with weight 0 are not
computed. The method owns T's BN hooks: they are attached only when `bn` is non-zero and
record only during the generator's forward pass.

The iteration (`DDAD.iteration`, DFAD's loop: DFAD_cifar.py's train()): k student steps,
each on a fresh z, then one generator step on a fresh z. DAFL's joint loop, one z per
iteration with G and S updated together, is dafl.py.

At the first generator batch of a run the method measures every term's value and the norm
of its gradient with respect to G's parameters, weighted and unweighted (methods/terms.py):
they go into the history (`lg_terms`) and metrics.json, and one line is printed when
`progress` is on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..config import DistillConfig
from ..errors import UserError
from ..losses import class_balance_loss, discrepancy, onehot_loss
from .base import Engine, HooksTeacherBN, KDSettings, Method, detached, no_param_grad
from .terms import format_term_report, term_report

LOOPS = ("alternate", "joint")


@dataclass
class WeightedSettings(KDSettings):
    """Weights of the generator's losses (0: the term is off) and the loop."""

    bn: float = 0.0  # L_BN: batch statistics of x against T's running statistics
    adversarial: float = 0.0  # D_G(S(x), T(x)), maximised
    onehot: float = 0.0  # L_oh
    activation: float = 0.0  # L_a
    entropy: float = 0.0  # L_ie
    entropy_log_base: float = math.e  # b of L_ie: e (nats) or 10 (DAFL's code: torch.log10)
    generator_discrepancy: str | None = None  # D_G; None: the student's `discrepancy`
    loop: str = "alternate"  # "alternate" (k S steps, then 1 G step) or "joint" (DAFL's)

    def validate(self) -> None:
        super().validate()
        if self.loop not in LOOPS:
            raise UserError(f"loop {self.loop!r} is unknown; choose one of {', '.join(LOOPS)}")
        if self.entropy_log_base <= 0 or self.entropy_log_base == 1:
            raise UserError(f"entropy_log_base must be > 0 and not 1, not "
                            f"{self.entropy_log_base}; DAFL's is 10, nats are e")
        if self.generator_discrepancy is not None:
            KDSettings(discrepancy=self.generator_discrepancy).validate()


class DDAD(HooksTeacherBN, Method):
    """L_G = sum_i w_i L_i over the named losses; L_S = D(S(x), T(x)); DFAD's loop."""

    name = "ddad"
    Settings = WeightedSettings
    loops = ("alternate",)  # DAFL (dafl.py) adds "joint"

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        super().__init__(cfg, name=name)
        self.check(cfg, self.settings)
        self.generator_discrepancy = (self.settings.generator_discrepancy
                                      or self.settings.discrepancy)

    @classmethod
    def check(cls, cfg: DistillConfig, settings: WeightedSettings) -> None:
        """Cross-checks of the settings against the run's schedule (one line each)."""
        if settings.loop not in cls.loops:
            raise UserError(f"loop={settings.loop} is DAFL's joint loop, which {cfg.method} "
                            "does not run; use --method dafl or loop=alternate")

    # ---- the iteration ---------------------------------------------------------------------
    def iteration(self, e: Engine, memory=None) -> dict:
        """k updates of S, then one of G (with a memory that asks for it, PRE-DFKD's order:
        G first). `memory`: +replay / +buffer (rehearsal.py)."""
        _, S, G = e.nets
        k = e.cfg.student_steps
        order = ["G"] + ["S"] * k if memory and memory.generator_first else ["S"] * k + ["G"]
        for update in order:
            if update == "S":  # S learns to agree with T on G's images: min D(S(x), T(x))
                with torch.no_grad(), e.autocast():
                    x = G(e.sample_z())
                loss_S = self.distil(e, x, memory)  # (base.py: one step of S)
            else:  # G seeks images T finds plausible (L_BN) and S and T disagree on
                with no_param_grad(S), e.autocast():
                    loss_G, terms = self.generator_loss(e, G(e.sample_z()))
                e.update(loss_G, e.opt.G)
        return detached({"loss_S": loss_S, "loss_G": loss_G, **terms})

    # ---- L_G -------------------------------------------------------------------------------
    def generator_loss(self, e: Engine, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """(L_G, {loss_term: value}) for synthetic images x = G(z), autograd through x:

            L_G = bn L_BN(T, x) + onehot L_oh + activation L_a + entropy L_ie
                  - adversarial D_G(S(x), T(x))
        """
        loss, terms, _ = self.objective(e, x)
        return loss, terms

    def objective(self, e: Engine, x: torch.Tensor):
        """(L_G, {loss_term: value}, t = T(x)): L_G and the teacher's logits on x."""
        T, S, _ = e.nets
        w = self.settings
        if self.bn is not None:
            with self.bn.recording():  # the teacher's BN hooks record the statistics of x
                f, t = self._teacher(T, x)
        else:
            f, t = self._teacher(T, x)
        terms = {}  # name: (weight in L_G, loss)
        if w.bn:
            terms["bn"] = (w.bn, self.bn.loss())  # teacher as discriminator
        if w.onehot:
            terms["onehot"] = (w.onehot, onehot_loss(t))  # confident teacher predictions
        if w.activation:
            terms["activation"] = (w.activation, -f.abs().mean())  # large feature magnitudes
        if w.entropy:  # every class equally often
            terms["entropy"] = (w.entropy, class_balance_loss(t, log_base=w.entropy_log_base,
                                                                 reduce=self.reduce))
        if w.adversarial:  # student as discriminator, maximised
            terms["adv"] = (-w.adversarial, discrepancy(
                self.generator_discrepancy, S(x), t, temperature=w.temperature))
        loss = x.new_zeros(())
        for weight, term in terms.values():
            loss = loss + weight * term
        if self.term_report is None and e.step == 0 and torch.is_grad_enabled():
            self._report_terms(e, terms)
        return loss, {f"loss_{name}": term for name, (_, term) in terms.items()}, t

    def _teacher(self, T, x: torch.Tensor):
        if self.settings.activation:  # DAFL's activation term reads T's features
            f = T.forward_features(x)
            return f, T.forward_head(f)
        return None, T(x)

    def wants_bn(self) -> bool:
        """T's BN hooks are attached only when L_BN is part of L_G."""
        return bool(self.settings.bn)

    def setup(self, e: Engine) -> None:
        T = e.nets.T
        if self.settings.activation and not callable(getattr(T, "forward_features", None)):
            raise UserError(f"the activation term (DAFL's) reads the teacher's features, "
                            f"T.forward_features(x), which {type(T).__name__} lacks; "
                            "give it forward_features and forward_head "
                            "(docs/your-own-teacher.md), or use e.g. --method dfad")
        super().setup(e)

    # ---- what each term weighs, once per run --------------------------------------------
    term_report: dict | None = None
    _term_report_logged = False

    def _report_terms(self, e: Engine, terms: dict) -> None:
        self.term_report = {"iteration": 1, **term_report(terms, e.nets.G.parameters())}
        if self.cfg.progress:
            print(format_term_report(self.term_report), flush=True)

    def history_records(self) -> dict:
        records = super().history_records()
        if self.term_report is not None and not self._term_report_logged:
            self._term_report_logged = True
            records["lg_terms"] = self.term_report
        return records

    def run_metrics(self, e: Engine) -> dict:
        return {**super().run_metrics(e), "lg_terms": self.term_report}

    def state_dict(self) -> dict:
        return {**super().state_dict(), "term_report": self.term_report,
                "term_report_logged": self._term_report_logged}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.term_report = state.get("term_report")
        self._term_report_logged = state.get("term_report_logged", False)
