"""Run the notebook series headless with papermill and tabulate what each produced.

    reproduce(profile="quick")       # python -m ddad_lite reproduce --profile quick

For every `notebooks/NN_*.ipynb`, in order (found by glob, so new notebooks join the series;
`only=["02", "03"]` keeps those prefixes), papermill executes a copy with the parameters
`profile`, `device`, `out_dir` (`runs/<profile>/NN_name/`), `cache_dir` and `data_root`
injected after the notebook's `parameters` cell, in that run folder, on the kernel of this
very interpreter (`ddad-lite`, pointing at `sys.executable`). Into `runs/<profile>/`:

  notebooks/NN_name.ipynb   the executed notebook, and NN_name.html beside it (nbconvert)
  NN_name/                  what the notebook wrote, including key_figures.json
  results.json, results.md  a row per notebook (status, wall time, key figures) with
                            provenance (git commit, versions, device, profile, date)
  index.html                one page linking every executed notebook and the results table

One line per notebook is printed as it starts and as it ends, with its time.

The teacher cache is shared by the whole series, so the teacher is trained at most once. A
failing notebook stops the series with a one-line `UserError` naming its saved copy. Every
file is written atomically (to a temporary sibling, then renamed).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from ..config.recipes import PROFILES
from ..errors import UserError, unknown_name
from ..extras import require_extra
from ..files import save_json, save_text
from ..paths import NOTEBOOKS_DIR, SOURCE_ROOT, series_paths
from ..provenance import provenance
from ..reports.series_index import write_series_index
from ..tables import Column, format_value, markdown_table
from .kernel import KERNEL_NAME, kernel_spec

# What the runner sets in every notebook (each notebook's `parameters` cell declares them all).
INJECTED_PARAMETERS = ("profile", "device", "out_dir", "cache_dir", "data_root")


def discover(notebooks_dir=NOTEBOOKS_DIR, only=None) -> list[Path]:
    """`NN_*.ipynb` in order; `only` keeps those whose number prefix is listed."""
    found = sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {str(o).strip().zfill(2) for o in only}
        known = {p.name[:2] for p in found}
        missing = sorted(wanted - known)
        if missing:
            raise UserError(f"no notebook numbered {', '.join(missing)} in {notebooks_dir}; "
                            f"choose from {', '.join(sorted(known))}")
        found = [p for p in found if p.name[:2] in wanted]
    if not found:
        raise UserError(f"no notebooks NN_*.ipynb in {notebooks_dir}; run from a ddad-lite "
                        "source checkout")
    return found


def kernel_spec_dir(root: Path) -> Path:
    """Write a kernel spec `ddad-lite` for this interpreter under `root/kernels/`; the kernel
    imports the same `ddad_lite` as this process (its folder leads PYTHONPATH)."""
    spec_dir = root / "kernels" / KERNEL_NAME
    package_parent = str(SOURCE_ROOT)
    pythonpath = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))
    # The kernel logs errors only: a local kernel on the loopback otherwise warns, once per
    # notebook, that its TCP connection is unencrypted.
    spec = kernel_spec(env={"PYTHONPATH": pythonpath},
                       extra_args=("--IPKernelApp.log_level=ERROR",))
    save_json(spec_dir / "kernel.json", spec)
    return root


@contextlib.contextmanager
def this_interpreter_kernel(root: Path):
    """Put our kernel spec first on JUPYTER_PATH (its highest-priority entry) while inside,
    and check that `ddad-lite` resolves to `sys.executable`."""
    from jupyter_client.kernelspec import KernelSpecManager  # optional extra: notebooks

    kernel_spec_dir(root)
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root), before]))
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if Path(spec.argv[0]).resolve() != Path(sys.executable).resolve():
            raise UserError(f"kernel {KERNEL_NAME!r} runs {spec.argv[0]}, not this Python "
                            f"({sys.executable}); remove the other kernel spec")
        yield spec
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before


def reproduce(profile: str = "quick", only=None, out_root="runs", device: str = "cpu",
              timeout: int = 1800, *, cache_dir=None, data_root=None,
              notebooks_dir=NOTEBOOKS_DIR, html: bool = True) -> dict:
    """Execute the series into `out_root/profile/`; returns the results (also in
    results.json). `timeout` is the limit per cell in seconds."""
    require_extra("notebooks", "papermill", "nbconvert", "nbformat", "jupyter_client",
                  "ipykernel", feature="reproduce")
    import papermill as pm  # optional extra: notebooks

    from .kernel_client import PollingKernelManager  # optional extra: notebooks (jupyter_client)

    if profile not in PROFILES:
        raise unknown_name("profile", profile, PROFILES)
    notebooks = discover(notebooks_dir, only)
    run_root = (Path(out_root) / profile).resolve()
    paths = series_paths(cache_dir=cache_dir, data_root=data_root)
    results = {"provenance": {**provenance(device), "profile": profile},
               "cache_dir": str(paths["cache_dir"]), "notebooks": []}
    with this_interpreter_kernel(run_root / ".jupyter"):
        for number, nb_path in enumerate(notebooks, 1):
            name = nb_path.stem
            counter = f"[{number}/{len(notebooks)}] {name}"
            print(f"{counter}: started at {time.strftime('%H:%M:%S')}", flush=True)
            out_dir = run_root / name
            out_dir.mkdir(parents=True, exist_ok=True)
            executed = run_root / "notebooks" / f"{name}.ipynb"
            executed.parent.mkdir(parents=True, exist_ok=True)
            partial = executed.with_name(f".{name}.running.ipynb")
            parameters = dict(zip(INJECTED_PARAMETERS, (
                profile, device, str(out_dir), str(paths["cache_dir"]), str(paths["data_root"])),
                strict=True))
            row = {"notebook": name, "path": str(executed)}
            start = time.perf_counter()
            try:
                pm.execute_notebook(str(nb_path), str(partial), parameters=parameters,
                                    kernel_name=KERNEL_NAME, language="python",
                                    cwd=str(out_dir),
                                    execution_timeout=timeout, start_timeout=120,
                                    progress_bar=False, log_output=False,
                                    kernel_manager_class=PollingKernelManager)
            except Exception as e:  # papermill saved the failing copy at `partial`
                os.replace(partial, executed) if partial.exists() else None
                row.update(status="failed", wall_seconds=round(time.perf_counter() - start, 1),
                           error=_one_line(e))
                results["notebooks"].append(row)
                _write_results(run_root, results)
                print(f"{counter}: failed after {row['wall_seconds']} s", flush=True)
                raise UserError(f"notebook {name} failed ({row['error']}); the executed copy "
                                f"is {executed}") from None
            os.replace(partial, executed)
            row.update(status="ok", wall_seconds=round(time.perf_counter() - start, 1),
                       key_figures=_read_key_figures(out_dir))
            if html:
                row["html"] = str(_export_html(executed))
            results["notebooks"].append(row)
            _write_results(run_root, results)
            print(f"{counter}: done in {row['wall_seconds']} s", flush=True)
    results["total_seconds"] = round(sum(r["wall_seconds"] for r in results["notebooks"]), 1)
    _write_results(run_root, results)
    return results


def _one_line(e: Exception) -> str:
    name = getattr(e, "ename", type(e).__name__)
    value = str(getattr(e, "evalue", "") or e).strip().splitlines()
    return f"{name}: {value[0][:200]}" if value else name


def _read_key_figures(out_dir: Path) -> dict:
    path = out_dir / "key_figures.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _export_html(executed: Path) -> Path:
    import nbformat  # optional extra: notebooks
    from nbconvert import HTMLExporter  # optional extra: notebooks

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    target = executed.with_suffix(".html")
    save_text(target, body)
    return target


def _figures(row: dict) -> str:
    """The key figures of a notebook in one cell (its error, if it failed)."""
    if row["status"] != "ok":
        return row.get("error", "")

    def short(v):
        return v[:12] + "..." if isinstance(v, str) and len(v) > 16 else format_value(v)

    return ", ".join(f"{k} {short(v)}" for k, v in row.get("key_figures", {}).items())


def results_markdown(results: dict) -> str:
    p = results["provenance"]
    head = [f"# ddad-lite notebook series: profile `{p['profile']}`", "",
            f"commit `{p['git_commit']}`, Python {p['python_version']}, torch "
            f"{p['torch_version']}, torchvision {p['torchvision_version']}, device "
            f"`{p['device']}`, {p['date']}", ""]
    notes = [f"Total: {results['total_seconds']} s."] if "total_seconds" in results else []
    notes.append("Accuracies are fractions of the real test split; a `best` value is the "
                 "test accuracy of the evaluation that scored best on the validation split "
                 "(train images held out from the teacher), `final` and `mean` are not "
                 "selected; published anchors are each a best on test (published).")
    table = markdown_table(
        [Column("notebook"), Column("status"), Column("wall s", "wall_seconds", digits=1),
         Column("key figures", "figures")],
        [{**r, "figures": _figures(r)} for r in results["notebooks"]],
        footnote="\n\n".join(notes))
    return "\n".join([*head, table]) + "\n"


def _write_results(run_root: Path, results: dict) -> None:
    save_json(run_root / "results.json", results)
    save_text(run_root / "results.md", results_markdown(results))
    write_series_index(run_root, results)
