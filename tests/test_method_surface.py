"""The method owns its iteration and sees the engine only through its small surface: every
method runs an iteration, a snapshot and its metrics through a view of the engine that has the
members of `methods.base.Engine` and nothing else; that surface has at most eight members and
is the table of docs/architecture.md; DDAD's whole iteration is one short function."""

import inspect
import re
from pathlib import Path

import pytest
import torch
from conftest import make_distiller, smoke_config

from ddad_lite.methods import DDAD, Engine
from ddad_lite.methods import METHODS as ROWS

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
SURFACE = sorted(set(Engine.__annotations__)
                 | {name for name, value in vars(Engine).items()
                    if inspect.isfunction(value) and not name.startswith("_")})
# One row of each method class (dfad, bn_only, dfq_like are DDAD; adi is DeepInversion).
METHODS = ["ddad", "dafl", "deepinv", "adv_fc", "kd_real_data", "random_generator",
           "ddad+replay", "deepinv+buffer", "adv_fc+replay"]


class SurfaceOnly:
    """The engine seen through `methods.base.Engine`: any other member raises."""

    def __init__(self, engine):
        object.__setattr__(self, "_engine", engine)

    def __getattr__(self, name):
        if name not in SURFACE:
            raise AttributeError(f"a method used engine.{name}, which is not on its surface "
                                 f"({', '.join(SURFACE)})")
        return getattr(self._engine, name)


def test_every_method_class_is_exercised():
    assert {ROWS[m].method for m in ROWS} == {ROWS[m.split("+")[0]].method for m in METHODS}


def test_the_surface_has_at_most_eight_members_and_is_the_documented_table():
    assert len(SURFACE) <= 8, SURFACE
    documented = re.findall(r"^\| `(\w+)[(`]", DOC.read_text().split(
        "The engine's surface for methods")[1].split("\n\n", 2)[1], flags=re.M)
    assert sorted(documented) == SURFACE


def test_ddads_iteration_is_one_short_function():
    lines = inspect.getsource(DDAD.iteration).splitlines()
    assert len(lines) <= 40
    assert inspect.getsourcefile(DDAD.iteration).endswith("methods/ddad.py")


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_through_the_surface_alone(method, shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(method, iterations=2))
    d.method.close()
    e = SurfaceOnly(d)
    d.method.setup(e)
    s_before = [p.detach().clone() for p in d.S.parameters()]
    d.S.train()
    d.G.train()
    for _ in range(2):  # the second iteration: replay's memory has samples, pools fill
        logs = d.method.iteration(e)
        d.step += 1
    assert torch.isfinite(logs["loss_S"]) and "loss_G" in logs
    assert any(not torch.equal(a, b) for a, b in zip(s_before, d.S.parameters(), strict=True))
    with torch.no_grad():
        x = d.method.snapshot_images(e, d.fixed_z[:4])
    assert x.shape[0] == 4
    d.method.run_metrics(e)
    d.close()


def test_a_member_off_the_surface_is_refused(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=1))
    with pytest.raises(AttributeError, match="engine.history, which is not on its surface"):
        SurfaceOnly(d).history  # noqa: B018
    d.close()
