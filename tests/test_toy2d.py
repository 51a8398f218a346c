"""The 2-D toy (notebook 01): its data and teacher, one update against a plain reference, three
visibly different clouds, its figures, and its exercises' solutions."""

import importlib.util

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ddad_lite.viz as viz  # noqa: E402
from ddad_lite.lessons import exercises  # noqa: E402
from ddad_lite.lessons.budgets import toy_budget  # noqa: E402
from ddad_lite.lessons.exercises import verdict  # noqa: E402
from ddad_lite.lessons.toy2d import (  # noqa: E402
    METHODS,
    ToyGenerator,
    ToySettings,
    cloud_statistics,
    compare_methods,
    distill_toy,
    first_bn_statistics,
    mlp_student,
    term_gradient_norms,
    toy_data,
    train_teacher,
)


@pytest.fixture(scope="module")
def data():
    return toy_data()


@pytest.fixture(scope="module")
def teacher(data):
    torch.set_num_threads(1)
    return train_teacher(data, steps=150)


@pytest.fixture(scope="module")
def results(data, teacher):
    """The three methods at the quick budget (a coarser grid, three frames)."""
    settings = ToySettings(**toy_budget("quick"), frame_every=150, grid_size=12)
    return compare_methods(teacher[0], data, settings=settings, seed=0)


def test_data_are_fixed_and_the_first_bn_layer_stores_their_moments(data, teacher):
    again = toy_data()
    assert torch.equal(again["x"], data["x"]) and torch.equal(again["test_y"], data["test_y"])
    assert data["y"].float().mean() == 0.5
    T, accuracy = teacher
    assert accuracy > 0.95
    mean, var = first_bn_statistics(T)
    torch.testing.assert_close(mean, data["x"].mean(0), atol=1e-3, rtol=0)
    torch.testing.assert_close(var, data["x"].var(0), atol=1e-3, rtol=1e-3)


def test_one_update_matches_a_plain_reference(data, teacher):
    """k = 1, one iteration: S's and G's parameters after it, against the two equations with
    plain torch ops (BN statistics computed by hand)."""
    T = teacher[0]
    settings = ToySettings(iterations=1, student_steps=1, batch_size=8, frame_every=1,
                           grid_size=4, n_points=4)
    alpha, beta = 0.7, 1.3
    result = distill_toy(T, data, alpha=alpha, beta=beta, settings=settings, seed=3)

    torch.manual_seed(3)  # the reference: same initial S, G and the same z draws
    S, G = mlp_student(), ToyGenerator(nz=settings.nz, bound=settings.bound)
    opt_S = torch.optim.Adam(S.parameters(), lr=settings.lr_S)
    opt_G = torch.optim.Adam(G.parameters(), lr=settings.lr_G)
    torch.randn(settings.n_points, settings.nz)  # the frames' fixed z
    x = G(torch.randn(8, settings.nz)).detach()
    loss_S = (S(x) - T(x)).abs().mean()
    opt_S.zero_grad()
    loss_S.backward()
    opt_S.step()
    x = G(torch.randn(8, settings.nz))
    bn_loss, h = x.new_zeros(()), x
    for layer in T:
        if isinstance(layer, torch.nn.BatchNorm1d):
            mu, var = h.mean(0), h.var(0, unbiased=False)
            bn_loss = bn_loss + (mu - layer.running_mean).norm() + (var - layer.running_var).norm()
        h = layer(h)
    loss_G = alpha * bn_loss - beta * (S(x) - h).abs().mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    for ours, ref in ((result["student"], S), (result["generator"], G)):
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            torch.testing.assert_close(p, q)


def test_the_three_clouds_differ(data, results):
    clouds = {m: cloud_statistics(r["frames"][-1]["points"], data["x"])
              for m, r in results.items()}
    bn, dfad, ddad = clouds["bn_only"], clouds["dfad"], clouds["ddad"]
    for held in (bn, ddad):  # alpha > 0: the data's per-coordinate moments, on the moons
        assert held["moment_error"] < 0.3 and held["inside_support"] > 0.75
    assert dfad["moment_error"] > 0.5  # alpha = 0: nothing holds BN_0's statistics
    assert dfad["nearest_distance"] > 3 * max(bn["nearest_distance"], ddad["nearest_distance"])
    assert dfad["inside_support"] < min(bn["inside_support"], ddad["inside_support"]) - 0.25
    # Same initial S, G and z: the adversarial term is what moves DDAD's points off BN-only's,
    # by a visible part of the cloud's size (seeds 0-2: 0.5 to 1.5 of the spread).
    moved = (results["ddad"]["frames"][-1]["points"]
             - results["bn_only"]["frames"][-1]["points"]).norm(dim=1).mean()
    assert moved > 0.4 * bn["spread"]
    assert results["ddad"]["student_acc"] > 0.8  # chance is 0.5


def test_figures_browser_and_animation(data, results):
    for fig in (viz.toy_step_figure(results, data), viz.toy_frames_figure(results, data),
                viz.toy_curves_figure(results, teacher_acc=0.99)):
        assert isinstance(fig, Figure) and fig.axes and not matplotlib.pyplot.get_fignums()
    browser = viz.toy_browser(results, data)
    assert browser.step.value == 2 and "iteration 300" in browser.caption.value
    last = browser.image.value
    browser.step.value = 0
    assert "iteration 0" in browser.caption.value and browser.image.value != last
    animation = viz.toy_animation(results, data)
    assert "<script" in animation.data and animation.data.count("data:image/png") >= 3
    assert not matplotlib.pyplot.get_fignums()


def test_budgets_cover_every_profile():
    for profile in ("smoke", "quick", "full"):
        ToySettings(**toy_budget(profile))
    assert ToySettings(**toy_budget("smoke")).iterations < ToySettings().iterations


# ---- the exercises ------------------------------------------------------------------------
def solutions():
    path = exercises.SOLUTIONS_DIR / "01_toy_2d.py"
    spec = importlib.util.spec_from_file_location("solutions_01", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exercise_1_accepts_the_solution_and_refuses_the_data(data):
    assert "ddad_lite.lessons.toy2d" in exercises.CHECK_MODULES
    ok, line = verdict("01", 1, solutions().solution_1(data=data))
    assert ok is True, line
    ok, line = verdict("01", 1, data["x"][:200])  # the right moments, but on the moons
    assert ok is False and "on the moons" in line
    assert verdict("01", 1, torch.randn(50, 2) * 5)[0] is False  # wrong moments


def test_exercise_2_accepts_the_solution_and_refuses_a_swap(teacher, results):
    answer = solutions().solution_2(teacher=teacher[0], results=results)
    assert set(answer) == set(METHODS)
    ok, line = verdict("01", 2, answer)
    assert ok is True, line
    swapped = dict(answer, dfad=answer["bn_only"], bn_only=answer["dfad"])
    assert verdict("01", 2, swapped)[0] is False
    assert verdict("01", 2, [1, 2, 3])[0] is False


def test_term_gradient_norms_show_why_the_toy_weighs_d_more(teacher, results):
    """On the toy, L_BN's gradient on G dwarfs D's at beta = 1: the reason for beta = 3."""
    ddad = results["ddad"]
    norms = term_gradient_norms(teacher[0], ddad["student"], ddad["generator"])
    assert norms["grad_L_BN"] > 5 * norms["grad_D"] > 0
    assert norms["L_BN"] >= 0 and norms["D"] >= 0
