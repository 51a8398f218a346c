"""The 2-D toy (notebook 01): data-free distillation small enough to see every point.

Two moons in the plane (drawn with torch from a fixed seed), a teacher T (an MLP whose first
layer is a BatchNorm on the 2-D points themselves, then BN in each hidden layer), a smaller
student S (no BN) and a generator G: z -> x in [-bound, bound]^2 (bound * tanh of an MLP).
The same equations as the kit (`methods/ddad.py`), with the kit's losses
(`losses.BNStatistics`, `l1_discrepancy`):

    L_G = alpha * L_BN(T, x) - beta * D(S(x), T(x)),     x = G(z),  z ~ N(0, I)
    L_S = D(S(x.detach()), T(x)),                        D = mean |s - t|  (l1)

k student steps (each on a fresh z), then one generator step, per iteration. The three rows
of the ablation: `bn_only` (alpha = 1, beta = 0), `dfad` (0, 1), `ddad` (1, 3). The toy's
DDAD weighs D three times: on two moons L_BN's gradient on G is 10 to 50 times D's at
beta = 1 (`term_gradient_norms` measures it), so at beta = 1 DDAD's cloud is BN-only's; at
beta = 3 the adversarial term moves the points along the data; at 10 it wins and G leaves the
data as DFAD's does. (The kit's image default, alpha = beta = 1, was chosen on `shapes`'
validation split: docs/fidelity.md.)

`compare_methods` runs all three on one teacher, seed and budget and records frames: G's
points for a fixed z, S's class-1 probability on a grid over the box, the losses and S's
accuracy on the real test points (L_BN and D are logged for every method, also where their
weight is 0: the kit skips such terms, the toy shows them); T's grid is recorded once.
`cloud_statistics` measures where a cloud of points lies against the data (viz/toy2d_figures.py
draws the frames).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..losses import BNStatistics, l1_discrepancy
from .exercises import NotYet, exercise

DATA_SEED = 0  # the toy's data are the same in every run
METHODS = {"bn_only": (1.0, 0.0), "dfad": (0.0, 1.0), "ddad": (1.0, 3.0)}  # (alpha, beta)
SUPPORT_RADIUS = 0.25  # a point is inside the data's support within this distance of one


# ---- data and models -----------------------------------------------------------------------
def two_moons(n: int, *, noise: float = 0.1, seed: int = DATA_SEED):
    """(x (n, 2), y (n,)): two interleaved half circles with Gaussian noise, centred."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    angle = torch.rand(n, generator=g) * torch.pi
    upper = torch.stack([angle.cos(), angle.sin()], 1)
    lower = torch.stack([1 - angle.cos(), 0.5 - angle.sin()], 1)
    x = torch.where(y[:, None] == 0, upper, lower) + noise * torch.randn(n, 2, generator=g)
    return x - torch.tensor([0.5, 0.25]), y


def toy_data(*, n_train: int = 1000, n_test: int = 1000, noise: float = 0.1) -> dict:
    """The toy's train and test points (one fixed seed; the test points are fresh draws)."""
    x, y = two_moons(n_train + n_test, noise=noise)
    return {"x": x[:n_train], "y": y[:n_train], "test_x": x[n_train:], "test_y": y[n_train:]}


def mlp_teacher(width: int = 32, *, hidden_bn: int = 2) -> nn.Sequential:
    """T: BN on the points (its running statistics are the data's per-feature mean and
    variance), then two hidden layers, the first `hidden_bn` of them with BN."""
    norm = [nn.BatchNorm1d(width) if k < hidden_bn else nn.Identity() for k in range(2)]
    return nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, width), norm[0], nn.ReLU(),
                         nn.Linear(width, width), norm[1], nn.ReLU(), nn.Linear(width, 2))


def mlp_student(width: int = 8) -> nn.Sequential:
    """S: a smaller MLP without BN."""
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                         nn.Linear(width, 2))


class ToyGenerator(nn.Module):
    """G: z -> MLP(z), or bound * tanh(MLP(z)) (points in [-bound, bound]^2) given `bound`."""

    def __init__(self, nz: int = 4, width: int = 32, bound: float | None = None):
        super().__init__()
        self.nz, self.bound = nz, bound
        self.net = nn.Sequential(nn.Linear(nz, width), nn.ReLU(), nn.Linear(width, width),
                                 nn.ReLU(), nn.Linear(width, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(z)
        return x if self.bound is None else self.bound * torch.tanh(x)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train_teacher(data: dict, *, steps: int = 150, lr: float = 0.02, seed: int = 0,
                  width: int = 32, hidden_bn: int = 2) -> tuple[nn.Module, float]:
    """(T in eval mode and frozen, its test accuracy): full-batch Adam on the train points."""
    torch.manual_seed(seed)
    T = mlp_teacher(width, hidden_bn=hidden_bn)
    opt = torch.optim.Adam(T.parameters(), lr=lr)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(T(data["x"]), data["y"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    T.eval().requires_grad_(False)
    return T, accuracy(T, data["test_x"], data["test_y"])


# ---- the three-way distillation ------------------------------------------------------------
@dataclass
class ToySettings:
    """One budget for every method (recipes.toy_budget gives one per profile)."""

    iterations: int = 300
    batch_size: int = 64
    student_steps: int = 5  # k
    lr_S: float = 0.01
    lr_G: float = 0.01
    nz: int = 4
    bound: float | None = 3.0  # G's tanh bound (None: G's points are unbounded)
    box: float = 3.2  # the grid of S's and T's predictions covers [-box, box]^2
    frame_every: int = 15
    teacher_steps: int = 150
    grid_size: int = 60
    n_points: int = 256  # G's points per frame, from one fixed z


def grid_points(box: float, size: int) -> torch.Tensor:
    """(size * size, 2) points of a regular grid over [-box, box]^2, row-major in y then x."""
    axis = torch.linspace(-box, box, size)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def class1_probability(model: nn.Module, points: torch.Tensor, size: int) -> torch.Tensor:
    with torch.no_grad():
        return model(points).softmax(1)[:, 1].reshape(size, size)


def distill_toy(T: nn.Module, data: dict, *, alpha: float, beta: float,
                settings: ToySettings, seed: int = 0, method: str = "") -> dict:
    """Distil T into a fresh S with a fresh G (both from `seed`): the frames, S and G."""
    s = settings
    torch.manual_seed(seed)
    S, G = mlp_student(), ToyGenerator(nz=s.nz, bound=s.bound)
    opt_S = torch.optim.Adam(S.parameters(), lr=s.lr_S)
    opt_G = torch.optim.Adam(G.parameters(), lr=s.lr_G)
    bn = BNStatistics(T)
    bn.set_enabled(False)  # the hooks record only in the generator's step
    z_fixed = torch.randn(s.n_points, s.nz)
    grid = grid_points(s.box, s.grid_size)
    frames, start = [], time.perf_counter()
    logs = {"loss_S": float("nan"), "loss_G": float("nan"), "loss_bn": float("nan"),
            "loss_adv": float("nan")}
    for it in range(s.iterations + 1):
        if it % s.frame_every == 0 or it == s.iterations:
            with torch.no_grad():
                frames.append({"iteration": it, "points": G(z_fixed),
                               "student_grid": class1_probability(S, grid, s.grid_size),
                               "student_acc": accuracy(S, data["test_x"], data["test_y"]),
                               **logs})
        if it == s.iterations:
            break
        for _ in range(s.student_steps):  # S minimises D on detached x
            with torch.no_grad():
                x = G(torch.randn(s.batch_size, s.nz))
                t = T(x)
            loss_S = l1_discrepancy(S(x), t)
            opt_S.zero_grad(set_to_none=True)
            loss_S.backward()
            opt_S.step()
        x = G(torch.randn(s.batch_size, s.nz))  # G: alpha L_BN - beta D
        with bn.recording():
            t = T(x)
        loss_bn = bn.loss()
        S.requires_grad_(False)
        loss_adv = l1_discrepancy(S(x), t)
        S.requires_grad_(True)
        loss_G = alpha * loss_bn - beta * loss_adv
        opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        opt_G.step()
        logs = {name: float(value.detach()) for name, value in (
            ("loss_S", loss_S), ("loss_G", loss_G), ("loss_bn", loss_bn), ("loss_adv", loss_adv))}
    bn.remove()
    return {"method": method, "alpha": alpha, "beta": beta, "frames": frames,
            "student": S, "generator": G,
            "student_acc": frames[-1]["student_acc"], "wall_s": time.perf_counter() - start,
            "teacher_grid": class1_probability(T, grid, s.grid_size), "box": s.box}


def compare_methods(T: nn.Module, data: dict, *, settings: ToySettings, seed: int = 0,
                    methods: dict = METHODS) -> dict:
    """{method: distill_toy(...)} on one teacher, seed (same S, G and z at the start) and
    budget."""
    return {name: distill_toy(T, data, alpha=a, beta=b, settings=settings, seed=seed,
                              method=name) for name, (a, b) in methods.items()}


def term_gradient_norms(T: nn.Module, S: nn.Module, G: nn.Module, *, batch_size: int = 256,
                        seed: int = 0) -> dict:
    """{"L_BN": ..., "D": ..., "grad_L_BN": ..., "grad_D": ...}: the two terms of L_G on one
    batch of G's points and the norms of their gradients on G's parameters (what alpha and
    beta weigh against each other)."""
    torch.manual_seed(seed)
    params = [p for p in G.parameters() if p.requires_grad]
    bn = BNStatistics(T)
    x = G(torch.randn(batch_size, G.nz))
    with bn.recording():
        t = T(x)
    loss_bn, disagreement = bn.loss(), l1_discrepancy(S(x), t)
    bn.remove()
    grads = [torch.autograd.grad(term, params, retain_graph=True)
             for term in (loss_bn, disagreement)]
    norms = [float(torch.sqrt(sum(g.pow(2).sum() for g in grad))) for grad in grads]
    return {"L_BN": float(loss_bn.detach()), "D": float(disagreement.detach()),
            "grad_L_BN": norms[0], "grad_D": norms[1]}


# ---- where a cloud lies ----------------------------------------------------------------------
def first_bn_statistics(T: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """(running mean, running variance) of T's first BN layer: the data's per-feature
    moments as T stored them."""
    bn = next(m for m in T.modules() if isinstance(m, nn.BatchNorm1d))
    return bn.running_mean.clone(), bn.running_var.clone()


def cloud_statistics(points: torch.Tensor, data_x: torch.Tensor, *,
                     radius: float = SUPPORT_RADIUS) -> dict:
    """Where `points` lie against the data: the mean distance to the nearest data point, the
    fraction within `radius` of one (inside the support), the spread (RMS distance to the
    cloud's centre) and the largest relative error of the per-feature mean and std against
    the data's."""
    points = points.detach().float()
    nearest = torch.cdist(points, data_x).min(1).values
    mean_err = (points.mean(0) - data_x.mean(0)).abs() / data_x.std(0)
    std_err = (points.std(0) - data_x.std(0)).abs() / data_x.std(0)
    return {"nearest_distance": float(nearest.mean()),
            "inside_support": float((nearest < radius).float().mean()),
            "spread": float((points - points.mean(0)).pow(2).sum(1).mean().sqrt()),
            "moment_error": float(torch.cat([mean_err, std_err]).max())}


# ---- exercises (notebook 01) -----------------------------------------------------------------
@exercise("01", 1)
def _same_two_moments(answer) -> str:
    """A cloud (n, 2) with the data's per-feature mean and std (within 10% of a std) but
    mostly outside the data's support (< 30% of its points within SUPPORT_RADIUS)."""
    if not isinstance(answer, torch.Tensor) or answer.dim() != 2 or answer.shape[1] != 2 \
            or len(answer) < 8:
        raise NotYet("give a tensor of shape (n, 2) with n >= 8 points")
    stats = cloud_statistics(answer, toy_data()["x"])
    if stats["moment_error"] > 0.1:
        raise NotYet(f"its mean or std is {stats['moment_error']:.0%} of a std away from the "
                     "data's: shift and scale each feature (x - mean) / std * std_data + "
                     "mean_data")
    if stats["inside_support"] >= 0.3:
        raise NotYet(f"{stats['inside_support']:.0%} of its points lie on the moons: put them "
                     "where the data are not, then fix the two moments")
    return (f"the first BN layer cannot tell it from the moons (moments within "
            f"{stats['moment_error']:.0%} of a std), yet {1 - stats['inside_support']:.0%} of "
            "its points are off the data")


@exercise("01", 2)
def _first_layer_distance(answer) -> str:
    """{method: R_l of T's first BN layer on that method's last cloud} for the three methods."""
    if not isinstance(answer, dict) or set(answer) != set(METHODS):
        raise NotYet(f"give a dict with the keys {sorted(METHODS)}")
    if not all(isinstance(v, (int, float)) and v >= 0 for v in answer.values()):
        raise NotYet("each value is R_l, a non-negative float: float(bn.per_layer()['0'])")
    if answer["dfad"] <= 3 * max(answer["bn_only"], answer["ddad"]):
        raise NotYet("DFAD's cloud should sit far further from the stored statistics than the "
                     "others: compute R_l on each method's *last* frame's points")
    return (f"R_first: bn_only {answer['bn_only']:.3f}, ddad {answer['ddad']:.3f}, dfad "
            f"{answer['dfad']:.3f}: only the methods with alpha > 0 hold the data's moments")
