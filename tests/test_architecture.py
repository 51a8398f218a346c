"""The arrows never allowed between rooms (docs/architecture.md) hold for every import in the
package, at module level or inside a function; and no two modules share a file name, so a
name finds one idea."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ddad_lite"
DOC = PACKAGE.parent / "docs" / "architecture.md"


def rules() -> list[tuple[str, str]]:
    """(importer, imported) room pairs from the doc's `never:` lines."""
    pairs = []
    for line in DOC.read_text().splitlines():
        m = re.fullmatch(r"never: (.+) -> (.+)", line.strip())
        if m:
            for a in m.group(1).split(","):
                pairs += [(a.strip(), b.strip()) for b in m.group(2).split(",")]
    return pairs


def under(module: str, name: str) -> bool:
    """Whether a rule's name covers a module: 'runs' covers 'ddad_lite.runs' and
    'ddad_lite.runs.store'; 'config.schema' covers 'ddad_lite.config.schema' only."""
    inner = module.removeprefix("ddad_lite.")
    return inner == name or inner.startswith(name + ".")


def module_of(path: Path) -> str:
    """ddad_lite/runs/store.py -> 'ddad_lite.runs.store' (a package's own file keeps
    `__init__`, so that 'config.__init__' names it alone)."""
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def imports_of(path: Path) -> set[str]:
    """Absolute ddad_lite module names imported anywhere in a file."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ddad_lite")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("ddad_lite"):
                found.add(target)
                # `from . import x` / `from .methods import base` may name submodules
                found |= {f"{target}.{a.name}" for a in node.names
                          if (PACKAGE.parent / f"{target}.{a.name}".replace(".", "/")).exists()
                          or (PACKAGE.parent / (f"{target}.{a.name}".replace(".", "/") + ".py"))
                          .exists()}
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_doc_states_rules():
    assert len(rules()) > 20


def broken_rules(path: Path) -> list[str]:
    here = module_of(path)
    return [f"{a} -> {b} ({target})" for target in sorted(imports_of(path))
            for a, b in rules() if under(here, a) and under(target, b)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_breaks_a_never(path):
    broken = broken_rules(path)
    assert not broken, f"{path.relative_to(PACKAGE.parent)} breaks: {broken}"


def test_every_room_named_in_a_rule_exists():
    """A rule naming a room that was renamed away would hold vacuously."""
    names = {n for pair in rules() for n in pair}
    for name in names:
        parts = name.split(".")
        assert ((PACKAGE.joinpath(*parts).with_suffix(".py")).exists()
                or PACKAGE.joinpath(*parts).is_dir()), f"never: names {name}, not a module"


def test_viz_never_builds_or_runs_a_method(tmp_path):
    """The rules catch viz importing a method, a run or the engine, at the top of a file or
    inside a function."""
    for line in ("from ..methods import build_method\n",
                 "def f():\n    from ..runs.store import run_or_load\n",
                 "import ddad_lite.engine\n"):
        fake = PACKAGE / "viz" / "_architecture_probe.py"
        try:
            fake.write_text(line)
            assert broken_rules(fake), line
        finally:
            fake.unlink()


def test_no_two_modules_share_a_file_name():
    """One idea, one name: `images.py` in two rooms sends a newcomer to the wrong one
    (each package's `__init__.py` excepted)."""
    by_name: dict[str, list[str]] = {}
    for path in SOURCES:
        if path.name != "__init__.py":
            by_name.setdefault(path.name, []).append(str(path.relative_to(PACKAGE)))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert not shared, shared


def test_the_rule_checker_sees_function_level_and_relative_imports(tmp_path):
    source = PACKAGE / "engine.py"
    found = imports_of(source)
    assert "ddad_lite.methods" in found and "ddad_lite.config" in found

