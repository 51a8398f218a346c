"""Default paths, resolved in one place.

Two callers, two bases for a relative default:

* the command line and library calls resolve relative to the current directory:
    resolve_data_root()      `$DDAD_DATA`, else `./data`
    resolve_teacher_cache()  `$DDAD_CACHE/teachers`, else `./checkpoints/teachers`
* the notebooks resolve relative to the project folder (`series_paths`): a notebook opened in
  JupyterLab runs in `notebooks/`, papermill runs it in its run folder, and both should find
  the same teacher cache and data. `series_paths` returns absolute paths: the teacher cache,
  the data root, the notebook's output folder and `shared_runs`, the folder of distillation
  runs shared by the notebooks of one series (beside their own folders:
  `runs/quick/shared_runs/`).

A path given explicitly always wins; an environment variable set to an empty string counts as
unset.
"""

from __future__ import annotations

import os
from pathlib import Path

# The folder that holds the `ddad_lite` package: the root of a source checkout.
SOURCE_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = SOURCE_ROOT / "notebooks"


def project_root(cwd: str | os.PathLike | None = None) -> Path:
    """The project folder: the parent of `notebooks/` when run from there, else the cwd."""
    cwd = Path(cwd or os.getcwd()).resolve()
    return cwd.parent if cwd.name == "notebooks" else cwd


def resolve_data_root(root: str | os.PathLike | None = None, *,
                      base: Path | None = None) -> Path:
    """`root` if given, else `$DDAD_DATA`, else `base/data` (default `./data`)."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get("DDAD_DATA") or Path(base or "") / "data")


def resolve_teacher_cache(cache_dir: str | os.PathLike | None = None, *,
                          base: Path | None = None) -> Path:
    """`cache_dir` if given, else `$DDAD_CACHE/teachers`, else `base/checkpoints/teachers`."""
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("DDAD_CACHE") or Path(base or "") / "checkpoints") / "teachers"


def series_paths(*, cache_dir=None, data_root=None, out_dir=None) -> dict:
    """Absolute teacher cache, data root, shared runs folder and (given `out_dir`) output
    folder of a notebook, relative defaults taken from the project folder; `out_dir` is made."""
    root = project_root()
    paths = {"cache_dir": resolve_teacher_cache(cache_dir, base=root).resolve(),
             "data_root": resolve_data_root(data_root, base=root).resolve(),
             "shared_runs": root / "runs" / "interactive" / "shared_runs"}
    if out_dir is not None:
        out = Path(out_dir)
        paths["out_dir"] = (out if out.is_absolute() else root / out).resolve()
        paths["out_dir"].mkdir(parents=True, exist_ok=True)
        paths["shared_runs"] = paths["out_dir"].parent / "shared_runs"
    return paths
