"""The arrows never allowed between rooms (docs/architecture.md) hold for every import in the
package, at module level or inside a function; and every module stays about one idea long."""

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


def room(module: str) -> str:
    """'ddad_lite.runs.store' -> 'runs'; 'ddad_lite.engine' -> 'engine'."""
    return module.split(".")[1] if module.count(".") >= 1 else module


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


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_breaks_a_never(path):
    here = room(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    broken = [f"{here} -> {target}" for target in sorted(imports_of(path))
              for a, b in rules() if here == a and room(target) == b]
    assert not broken, f"{path.relative_to(PACKAGE.parent)} breaks: {broken}"


def test_the_rule_checker_sees_function_level_and_relative_imports(tmp_path):
    source = PACKAGE / "engine.py"
    found = imports_of(source)
    assert "ddad_lite.methods" in found and "ddad_lite.config" in found

