"""Read the written references back: the Markdown table of every reference and the README
of docs/results, both printed by code from the files (no number is typed by hand).

    python -m ddad_lite references --table     # the table, to stdout
    python -m ddad_lite references --readme    # docs/results/README.md from the files
"""

from __future__ import annotations

import json
from pathlib import Path

from ..files import save_text
from ..tables import Column, markdown_table
from .make import RESULT_FILES, RESULTS_ROOT
from .table import REFERENCES

HEAD_LINE = "<!-- written by `python -m ddad_lite references --readme`; do not edit by hand -->"


def load_reference(name: str, results_root=RESULTS_ROOT) -> dict:
    """{file name: parsed content} of `results_root/<name>/` (images.png: its size in bytes)."""
    folder = Path(results_root) / name
    out = {}
    for file in RESULT_FILES:
        path = folder / file
        out[file] = (path.stat().st_size if file.endswith(".png")
                     else json.loads(path.read_text()))
    return out


def made(names, results_root=RESULTS_ROOT, *, say_missing: bool = True) -> list[str]:
    """The references of `names` whose files are in `results_root`; with `say_missing`, one
    printed line names the others and how to get them (a notebook shows what is there)."""
    there = [n for n in names if (Path(results_root) / n / "summary.json").is_file()]
    missing = [n for n in names if n not in there]
    if missing and say_missing:
        print(f"reference results not found in {results_root}: {', '.join(missing)} "
              f"(they ship in docs/results of the repository; `make references "
              f"ONLY={missing[0]}` remakes one)")
    return there


def reference_curves(names, results_root=RESULTS_ROOT) -> dict:
    """{name: {seed: {iteration, test, validation}}}: the curves `viz.reference_figure` draws."""
    return {n: load_reference(n, results_root)["curves.json"]["per_seed"] for n in names}


def verdict(a: str, b: str, *, field: str = "final", results_root=RESULTS_ROOT) -> str:
    """One line comparing two references over their seeds by `field` (e.g. final test
    accuracy): one is above the other only where every seed of it is above every seed of the
    other; otherwise their seeds overlap and the difference ranks nothing."""
    sa, sb = (load_reference(n, results_root)["summary.json"]["over_seeds"][field]
              for n in (a, b))
    pa, pb = sa["points"], sb["points"]
    if min(pa) > max(pb):
        relation = "above: every seed of the first beats every seed of the second"
    elif max(pa) < min(pb):
        relation = "below: every seed of the first is under every seed of the second"
    else:
        relation = "not separated: their seeds overlap"
    return (f"{a} {_pm(sa)} vs {b} {_pm(sb)} ({field} test accuracy, {len(pa)} and "
            f"{len(pb)} seeds): {relation}")


def _pm(stats: dict, digits: int = 3) -> str:
    return f"{stats['mean']:.{digits}f} ± {stats['std']:.{digits}f}"


def references_table(results_root=RESULTS_ROOT, names=None) -> str:
    """Markdown: per reference, final / mean / best (chosen on validation) over seeds as
    mean ± std, each seed's final, and the wall time of a run."""
    rows = []
    for name in REFERENCES if names is None else names:
        if not (Path(results_root) / name / "summary.json").is_file():
            rows.append({"reference": name, "final": "(not made)"})
            continue
        s = load_reference(name, results_root)["summary.json"]
        over = s["over_seeds"]
        rows.append({
            "reference": name, "method": s["method"], "dataset": s["dataset"],
            "budget": " + ".join([s["profile"]] + [f"{k}={v}"
                                                   for k, v in s["overrides"].items()])
                      + ("" if s["overrides"] else
                         f" ({s['seeds'][0]['iterations']} iterations)"),
            "seeds": len(s["seeds"]),
            "final": _pm(over["final"]),
            "final per seed": " / ".join(f"{x:.3f}" for x in over["final"]["points"]),
            "mean over training": _pm(over["mean"]),
            "best*": _pm(over["best"]) if "best" in over else "(no validation split)",
            "wall s / run": f"{over['wall_seconds']['mean']:.0f}",
        })
    columns = [Column("reference"), Column("dataset"), Column("method"), Column("budget"),
               Column("seeds", right=True), Column("final", right=True),
               Column("final per seed", right=True), Column("mean over training", right=True),
               Column("best*", right=True), Column("wall s / run", right=True)]
    return markdown_table(columns, rows, footnote=(
        "Student test accuracy, mean ± std over the seeds: on shapes' whole test split (4,000 "
        "images), on the toy's 1,000 fresh two-moons points. final: the last evaluation; "
        "mean over training: the mean of every evaluation; *best: the test score of the "
        "evaluation that scored best on the validation split (shapes: 2,000 held-out train "
        "images), never the test maximum; the toy has no validation split, so no best."))


README_TEXT = """# Reference results

{head}

The converged experiments the notebooks conclude from (issue 27): each is a row of
`ddad_lite/references/table.py` (dataset, method, profile and budget, seeds), made by

    make references        # = OMP_NUM_THREADS=1 python -m ddad_lite references

which runs every seed through `runs.store.run_or_load` (resumable; the run folders go to the
git-ignored `runs/references/`, never here) with one thread a run, and writes for each
reference `docs/results/<name>/`: `summary.json` (per seed final, mean and best with what
chose the best: the validation split; mean ± std and every point), `curves.json` (the
evaluations per seed, iteration, test and validation accuracy; seed 0's first training
log), `config.json` (each run's `DistillConfig`), `provenance.json` (commit, CPU, threads,
torch, teacher sha256, wall time per run) and `images.png` (the generator's images at the
end of seed 0). No checkpoint is kept. `python -m ddad_lite references --only NAME` makes one.

Every student sees only generated images, except `shapes-kd_real_data`, the upper bound,
which distils the teacher on the real training images; `shapes-random_generator`, the lower
bound, distils on the images of a generator frozen at its initialisation. The `toy2d-*`
rows are notebook 01's 2-D game (two moons, `lessons/toy2d.py`, its own loop), where G's
points are the student's only data.

The shapes budget is the quick profile with 1,000 iterations instead of 600, chosen on a
measured DDAD curve (seed 0) that had flattened at lr 0.1 before the first lr drop; the
measurement and the reasons are in the docstring of `ddad_lite/references/table.py`, the
toy's in `ddad_lite/references/toy.py`.

tests/test_references.py keeps them honest: every recorded config must equal what today's
recipe makes from its row (a stale one is named by field), seed 0 of `shapes-ddad` is re-run
for its first iterations and must match its recorded training log, and every file exists and
parses.

## Results

{table}

## How they were made

{provenance}

## What each student trained on at the end (seed 0)

The generator's images at the last snapshot (`shapes-random_generator`: its generator frozen
at initialisation; `shapes-kd_real_data`: the real training images it distils on; the toy:
G's points in red over the data in grey).

{images}

The table above and this page are printed by `python -m ddad_lite references --readme` from
the files; `--table` prints the table alone. `gpu-*/` holds the files of GPU runs of
`gpu-reproduce` (their own README), not references.
"""


def provenance_lines(results_root=RESULTS_ROOT) -> str:
    """One bullet per reference: commit, CPU, threads, torch and the total wall time."""
    lines = []
    for name in REFERENCES:
        path = Path(results_root) / name / "provenance.json"
        if not path.is_file():
            lines.append(f"- `{name}`: not made yet")
            continue
        p = json.loads(path.read_text())
        commit = p.get("git_commit")
        commit = ", ".join(c[:12] for c in commit) if isinstance(commit, list) else str(commit)[:12]
        lines.append(f"- `{name}`: commit {commit}, {p['device_name']} "
                     f"({p.get('cpu_capability')}), {p['threads']} thread, torch "
                     f"{p['torch_version']}, {p['wall_seconds_total']:.0f} s for "
                     f"{len(p['runs'])} runs, {p['date'][:10]}")
    return "\n".join(lines)


def write_readme(results_root=RESULTS_ROOT) -> Path:
    """docs/results/README.md from the files (see README_TEXT)."""
    path = Path(results_root) / "README.md"
    save_text(path, readme_text(results_root))
    return path


def readme_text(results_root=RESULTS_ROOT) -> str:
    images = "\n".join(f"- `{name}`: ![{name}]({name}/images.png)" for name in REFERENCES
                       if (Path(results_root) / name / "images.png").is_file())
    return README_TEXT.format(head=HEAD_LINE, table=references_table(results_root),
                              provenance=provenance_lines(results_root), images=images)


README_BEGIN = "<!-- references: written by `python -m ddad_lite references --readme` -->"
README_END = "<!-- end of references -->"


def readme_block(results_root=RESULTS_ROOT) -> str:
    """The project README's results table of the references: final test accuracy, mean ±
    std and every seed, the mean over training and the best chosen on validation, printed
    from the files between two markers (tests/test_references.py compares them)."""
    rows = []
    for name in REFERENCES:
        if not (Path(results_root) / name / "summary.json").is_file():
            continue
        s = load_reference(name, results_root)["summary.json"]
        over = s["over_seeds"]
        rows.append({"reference (docs/results)": f"`{name}`",
                     "final": _pm(over["final"]),
                     "every seed": " / ".join(f"{x:.3f}" for x in over["final"]["points"]),
                     "mean over training": _pm(over["mean"]),
                     "best (val-chosen)": _pm(over["best"]) if "best" in over else "",
                     "uses real data": "yes (upper bound)" if s.get(
                         "student_sees_real_data") else ""})
    columns = [Column("reference (docs/results)"), Column("final", right=True),
               Column("every seed", right=True), Column("mean over training", right=True),
               Column("best (val-chosen)", right=True), Column("uses real data")]
    return "\n".join([README_BEGIN, "", markdown_table(columns, rows), "", README_END])


def update_project_readme(readme: Path, results_root=RESULTS_ROOT) -> bool:
    """Replace the references block of the project README with `readme_block`; False when
    the README has no block (nothing written)."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        return False
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    save_text(readme, head + readme_block(results_root) + tail)
    return True
