"""The notebooks' single source: percent-format scripts in `notebooks/src/`, built into `.ipynb`.

    python -m ddad_lite.runner.notebook_source           # rebuild notebooks/NN_*.ipynb
    python -m ddad_lite.runner.notebook_source --check   # exit 1 naming those that differ
    make notebooks                                       # the same as the first line

Each notebook `notebooks/NN_name.ipynb` is written from `notebooks/src/NN_name.py`: edit the
script, rebuild, commit both. The script is in jupytext's "percent" format, so a user with
jupytext can also pair or convert it; this module reads it without jupytext:

    # %% [markdown]
    # # 01 · A title
    #
    # Markdown text, every line commented with "# " (an empty line is a bare "#").

    # %% tags=["parameters"]
    profile = "quick"

    # %%
    print(profile)

- A line `# %%` (at the start of the line, then the end of the line or a space) opens a cell:
  `# %% [markdown]` (or `[md]`) a markdown cell, a bare `# %%` a code cell. After the marker,
  `key=<JSON>` pairs set the cell's metadata, e.g. `tags=["parameters"]`; anything else there
  (a title, a raw cell) is refused.
- A cell is the lines up to the next marker, without its leading and trailing blank lines;
  blank lines inside it are kept. One blank line between cells is the usual layout.
- Inside a code cell, a `# %%` line within a triple-quoted string is text, not a marker.
- IPython magics (`%time`, `!ls`) are refused in code cells: jupytext writes them commented
  out, which would make the two readings differ.
- A jupytext header (`# ---` ... `# ---` before the first cell) is skipped: the notebook's
  metadata comes from here, the same for every notebook.

The built notebook has stable cell ids (`nbNN-cellXX`, so a rebuild changes nothing but the
text that changed), no outputs, the kernel `ddad-lite` (the one `make venv` installs and the
runner uses) and exactly the `language_info` that kernel reports (runner/kernel.py: without
the Python version), so that opening a notebook in JupyterLab leaves it unmodified. A notebook is
rewritten (atomically) only when its text changes.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .kernel import KERNELSPEC, LANGUAGE_INFO

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
SOURCE_DIR_NAME = "src"
MARKER = re.compile(r"^# %%(?= |$)(?P<rest>.*)$")
CELL_TYPES = {"": "code", "[markdown]": "markdown", "[md]": "markdown"}
METADATA_KEY = re.compile(r"\s*([A-Za-z_][\w.-]*)=")
MAGIC = re.compile(r"^\s*(# ?)?(%{1,2}[A-Za-z]|!)")


class SourceError(ValueError):
    """A percent script this module cannot read, with the file and line."""


def _parse_marker(rest: str, where: str) -> tuple[str, dict]:
    """The cell type and metadata of a marker line's text after `# %%`."""
    rest = rest.strip()
    kind = next((k for k in CELL_TYPES if k and rest.startswith(k)), "")
    rest = rest[len(kind):]
    metadata, decoder, pos = {}, json.JSONDecoder(), 0
    while rest[pos:].strip():
        key = METADATA_KEY.match(rest, pos)
        if not key:
            raise SourceError(f"{where}: after `# %%` only [markdown] and key=<JSON> pairs are "
                              f"read, not {rest[pos:].strip()!r}")
        try:
            metadata[key.group(1)], pos = decoder.raw_decode(rest, key.end())
        except json.JSONDecodeError as e:
            raise SourceError(f"{where}: the value of {key.group(1)!r} is not JSON ({e})") from None
    return CELL_TYPES[kind], metadata


def _open_string(line: str, quote: str | None) -> str | None:
    """The triple quote still open after `line` (None: none), given the one open before it."""
    i = 0
    while i < len(line):
        if quote:  # inside a triple-quoted string: look for its end
            if line[i] == "\\":
                i += 2
            elif line.startswith(quote, i):
                quote, i = None, i + 3
            else:
                i += 1
        elif line[i] == "#":
            break  # a comment runs to the end of the line
        elif line.startswith(('"""', "'''"), i):
            quote, i = line[i:i + 3], i + 3
        elif line[i] in "\"'":  # a one-line string: skip to its end
            end, i = line[i], i + 1
            while i < len(line) and line[i] != end:
                i += 2 if line[i] == "\\" else 1
            i += 1
        else:
            i += 1
    return quote


def _trim(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines)


def _skip_header(lines: list[str]) -> int:
    """The index of the first line after a jupytext header (0 when there is none)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != "# ---":
        return 0
    for i in range(first + 1, len(lines)):
        if lines[i].rstrip() == "# ---":
            return i + 1
    return 0


def parse_percent(text: str, name: str = "<script>") -> list[dict]:
    """The cells of a percent script: dicts of cell_type, source and metadata, in order."""
    lines = text.splitlines()
    cells: list[dict] = []
    body: list[str] = []
    quote = None
    skip = _skip_header(lines)
    for lineno, line in enumerate(lines[skip:], start=skip + 1):
        where = f"{name}:{lineno}"
        marker = MARKER.match(line) if quote is None else None
        if marker:
            if cells:
                cells[-1]["lines"] = body
            elif _trim(body):
                raise SourceError(f"{where}: text before the first `# %%` cell marker")
            kind, metadata = _parse_marker(marker.group("rest"), where)
            cells.append({"cell_type": kind, "metadata": metadata, "start": lineno})
            body = []
            continue
        if cells and cells[-1]["cell_type"] == "markdown":
            if line.strip() and not line.startswith("#"):
                raise SourceError(f"{where}: a markdown line must start with '#': {line!r}")
            line = line[2:] if line.startswith("# ") else line[1:]
        elif cells:
            if quote is None and MAGIC.match(line):
                raise SourceError(f"{where}: IPython magics are not supported: {line!r}")
            quote = _open_string(line, quote)
        body.append(line)
    if not cells:
        if _trim(body):
            raise SourceError(f"{name}: no `# %%` cell marker")
        return []
    cells[-1]["lines"] = body
    if quote is not None:
        raise SourceError(f"{name}: a {quote} string opened in the last cell is never closed")
    return [{"cell_type": c["cell_type"], "source": _trim(c["lines"]),
             "metadata": c["metadata"]} for c in cells]


def to_percent(cells: list[dict]) -> str:
    """A percent script from cells (dicts or notebook cells): the inverse of `parse_percent`
    for scripts in its layout (one blank line between cells, none at either end of one)."""
    blocks = []
    for cell in cells:
        kind = cell["cell_type"]
        if kind not in ("code", "markdown"):
            raise SourceError(f"cannot write a {kind} cell in the percent format here")
        marker = "# %%" + (" [markdown]" if kind == "markdown" else "")
        for key, value in cell.get("metadata", {}).items():
            marker += f" {key}={json.dumps(value, ensure_ascii=False)}"
        source = cell["source"].strip("\n")
        if kind == "markdown":
            source = "\n".join(f"# {line}" if line else "#" for line in source.split("\n"))
        blocks.append(marker + ("\n" + source if source else ""))
    return "\n\n".join(blocks) + "\n"


def build_notebook(source: str | os.PathLike) -> nbformat.NotebookNode:
    """The notebook of `notebooks/src/NN_name.py`: its cells, ids nbNN-cellXX, our metadata."""
    source = Path(source)
    cells = []
    for i, cell in enumerate(parse_percent(source.read_text(encoding="utf-8"), str(source))):
        make = new_code_cell if cell["cell_type"] == "code" else new_markdown_cell
        node = make(cell["source"], metadata=cell["metadata"])
        node.id = f"nb{source.stem[:2]}-cell{i:02d}"
        cells.append(node)
    nb = new_notebook(cells=cells, metadata={"kernelspec": copy.deepcopy(KERNELSPEC),
                                             "language_info": copy.deepcopy(LANGUAGE_INFO)})
    nbformat.validate(nb)
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The notebook as `nbformat.write` (and JupyterLab) writes it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sources(notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR) -> list[Path]:
    """The scripts `src/NN_*.py` in order."""
    return sorted((Path(notebooks_dir) / SOURCE_DIR_NAME).glob("[0-9][0-9]_*.py"))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def sync(notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR, *, check: bool = False) -> list[str]:
    """Rebuild every `NN_*.ipynb` from its script, rewriting only those whose text changed, and
    return the names of those that differed (a notebook without a script counts, and is left
    alone). With `check`, write nothing."""
    notebooks_dir = Path(notebooks_dir)
    scripts = sources(notebooks_dir)
    differ = []
    for script in scripts:
        target = notebooks_dir / f"{script.stem}.ipynb"
        text = notebook_text(build_notebook(script))
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        differ.append(target.name)
        if not check:
            _atomic_write_text(target, text)
    built = {f"{s.stem}.ipynb" for s in scripts}
    differ += [f"{p.name} (no {SOURCE_DIR_NAME}/{p.stem}.py)"
               for p in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")) if p.name not in built]
    return differ


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ddad_lite.runner.notebook_source",
        description="Build notebooks/NN_*.ipynb from their percent scripts in notebooks/src/.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the notebooks that differ")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS_DIR),
                        help="the notebooks folder (default: this checkout's notebooks/)")
    args = parser.parse_args(argv)
    try:
        differ = sync(args.notebooks, check=args.check)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.check:
        if differ:
            print("notebooks that differ from their source (run `make notebooks`): "
                  + ", ".join(differ), file=sys.stderr)
            return 1
        print("every notebook matches its source")
        return 0
    orphans = [d for d in differ if d.endswith(")")]
    for name in differ:
        print(("no source, left alone: " if name in orphans else "rebuilt ") + name)
    if not differ:
        print("every notebook matches its source")
    return 1 if orphans else 0


if __name__ == "__main__":
    sys.exit(main())
