"""The reference results stay honest (ddad_lite/references/, docs/results/<name>/).

- every row of the table has its files, and they parse; shapes-ddad holds 3 seeds;
- every recorded config equals what today's recipe makes from the row (stale: named by field,
  `config.schema.config_differences`; the toy's rows: its loop's settings and weights);
- seed 0 of shapes-ddad, re-run from its recorded config for its first iterations, matches the
  training log recorded beside the reference;
- docs/results/README.md is what the code prints from the files.

The references are committed, so these tests require their files (no skip when absent).
"""

from __future__ import annotations

import json

import pytest
import torch

from ddad_lite.config import DistillConfig
from ddad_lite.paths import SOURCE_ROOT
from ddad_lite.provenance import cpu_capability
from ddad_lite.references import REFERENCES
from ddad_lite.references.make import HEAD_ITERATIONS, RESULT_FILES, RESULTS_ROOT
from ddad_lite.references.report import load_reference, readme_text

RESULTS = SOURCE_ROOT / RESULTS_ROOT
CURVE_REFERENCE = "shapes-ddad"


@pytest.mark.parametrize("name", list(REFERENCES))
def test_every_reference_has_its_files(name):
    folder = RESULTS / name
    missing = [f for f in RESULT_FILES if not (folder / f).is_file()]
    assert not missing, f"{folder} lacks {missing}: run `make references ONLY={name}`"
    files = load_reference(name, RESULTS)
    summary, ref = files["summary.json"], REFERENCES[name]
    assert [s["seed"] for s in summary["seeds"]] == list(ref.seeds)
    assert sorted(files["config.json"]) == sorted(str(s) for s in ref.seeds)
    assert sorted(files["curves.json"]["per_seed"]) == sorted(str(s) for s in ref.seeds)
    if ref.dataset == "toy2d":  # no validation split: no "best" at all
        assert "best" not in summary["over_seeds"]
    else:  # the best is chosen on the validation split, never on test
        assert all(s["best_selected_on"] == "validation" for s in summary["seeds"])
    assert summary["student_sees_real_data"] == (ref.method == "kd_real_data")
    assert set(files["provenance.json"]["runs"]) == {str(s) for s in ref.seeds}
    # small files only: never a checkpoint, a picture of a few tens of KB
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert set(sizes) == set(RESULT_FILES), f"unexpected files in {folder}: {sorted(sizes)}"
    assert max(sizes.values()) < 200_000, sizes


def test_the_shapes_ddad_reference_has_three_seeds():
    summary = load_reference(CURVE_REFERENCE, RESULTS)["summary.json"]
    assert len(summary["seeds"]) == 3
    assert len(summary["over_seeds"]["final"]["points"]) == 3


def stale_references() -> list[str]:
    """'name seed N: field, field' for every recorded config that today's recipe no longer
    makes from its row."""
    stale = []
    for name, ref in REFERENCES.items():
        recorded = json.loads((RESULTS / name / "config.json").read_text())
        for seed in ref.seeds:
            diffs = ref.stale_fields(recorded[str(seed)], seed)  # config_differences
            if diffs:
                stale.append(f"{name} seed {seed}: {', '.join(diffs)}")
    return stale


def test_recorded_configs_are_what_todays_recipe_makes():
    stale = stale_references()
    assert not stale, ("references made from another recipe (remake them with `make "
                       "references ONLY=NAME`): " + "; ".join(stale))


def test_the_readme_is_what_the_code_prints():
    assert (RESULTS / "README.md").read_text() == readme_text(RESULTS), (
        "docs/results/README.md is stale: `python -m ddad_lite references --readme`")


class _Stop(Exception):
    pass


def rerun_head(cfg: DistillConfig, out, teacher) -> list[dict]:
    """The training log of `cfg`'s run up to HEAD_ITERATIONS: the run is made by the kit's own
    path (runs.run.run_distillation, unchanged config, so the lr milestones stay where the
    reference had them) and stopped after the log of that iteration."""
    from ddad_lite.runs.run import run_distillation

    log = []

    def stop(distiller, event):
        if event == "log":
            log.append(dict(distiller.history["train"][-1]))
            if distiller.step >= HEAD_ITERATIONS:
                raise _Stop

    with pytest.raises(_Stop):
        run_distillation(cfg, out, teacher=teacher, callback=stop)
    return log


@pytest.mark.slow
def test_the_shapes_ddad_curve_reproduces(tmp_path):
    from ddad_lite.teacher import load_or_train_teacher

    files = load_reference(CURVE_REFERENCE, RESULTS)
    seed = files["curves.json"]["train_head_seed"]
    recorded = files["curves.json"]["train_head"]
    cfg = DistillConfig.from_dict(files["config.json"][str(seed)])
    provenance = files["provenance.json"]
    threads = torch.get_num_threads()
    torch.set_num_threads(provenance["threads"])  # the reference's thread count
    try:
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=tmp_path / "teachers",
                                        progress=False)
        log = rerun_head(cfg, tmp_path / "run", teacher)
    finally:
        torch.set_num_threads(threads)
    same_machine = (cpu_capability() == provenance["cpu_capability"]
                    and torch.__version__ == provenance["torch_version"])
    # Tolerance. On the reference's kernel family, torch version and thread count, the run is
    # deterministic (seeded z, data order and init; provenance.py), so the log must repeat to
    # the last bit: rel 1e-6 only absorbs nothing but JSON's float text round trip (exact).
    # Elsewhere the order of floating-point sums changes (AVX2 vs AVX512 kernels, another
    # torch) and the quick profile's bf16 autocast ("auto": bf16 only where the CPU has it
    # natively, fp32 otherwise) rounds at 2^-8 = 0.4% a value: a GAN-like loop amplifies such
    # differences, but over 20 iterations measured ones stay within a few percent, so 5%
    # relative (and an absolute floor for losses near 0) still catches a changed loss, lr,
    # weight or schedule, which moves these logs by far more.
    rel, floor = (1e-6, 1e-9) if same_machine else (5e-2, 1e-3)
    if same_machine:
        assert teacher[1]["weights_sha256"] == provenance["teacher_weights_sha256"], (
            "the recipe's teacher, retrained here, differs from the reference's")
    assert [r["iteration"] for r in log] == [r["iteration"] for r in recorded]
    for mine, theirs in zip(log, recorded, strict=True):
        for key, value in theirs.items():
            assert mine[key] == pytest.approx(value, rel=rel, abs=floor), (
                f"{CURVE_REFERENCE} seed {seed} iteration {theirs['iteration']}: {key} "
                f"{mine[key]!r} != recorded {value!r}")


def test_the_table_names_each_experiment_once_and_builds_its_configs():
    from ddad_lite.references.table import Reference

    shapes = [r for r in REFERENCES.values() if isinstance(r, Reference)]
    assert {r.method for r in shapes} >= {"ddad", "bn_only", "dfad", "kd_real_data",
                                          "random_generator"}
    assert len({r.overrides for r in shapes}) == 1, "the shapes rows share one budget"
    for ref in REFERENCES.values():
        assert ref.name.startswith(ref.dataset + "-") and len(ref.seeds) >= 3
        assert all(ref.config(seed) for seed in ref.seeds)


def test_the_cli_prints_the_table(capsys):
    from ddad_lite.cli.main import main

    assert main(["references", "--table"]) == 0
    table = capsys.readouterr().out
    assert all(f"| {name} |" in table for name in REFERENCES)
