"""Packaging: pyproject.toml is the one source of dependencies; the others agree with it."""

import re
import tomllib

from conftest import PROJECT_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_dependencies() -> set[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def environment_pip_dependencies() -> set[str]:
    lines = (PROJECT_ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    names = set()
    for line in lines[start + 1:]:
        item = line.strip()
        if not item.startswith("- "):
            break
        if item != "- -e .":
            names.add(_name(item[2:]))
    return names


def test_environment_yml_agrees_with_pyproject():
    assert environment_pip_dependencies() == pyproject_dependencies()


def test_constraints_pin_every_dependency_and_the_reproduction_torch():
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    assert pyproject_dependencies() <= set(pins)
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme


def constraint_pins() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normal(name)] = version
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_python_floor_is_one_every_pin_can_install_on():
    """requires-python's lowest version meets the Requires-Python of every pinned version
    (read from the installed metadata of that very version)."""
    import importlib.metadata as md

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    floor_spec = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "requires-python"]
    floor = re.fullmatch(r">=\s*([\d.]+)", floor_spec.strip())
    assert floor, f"requires-python should be a plain floor, not {floor_spec!r}"
    floor = Version(floor.group(1))
    checked, refused = 0, []
    for name, version in constraint_pins().items():
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        checked += 1
        needs = dist.metadata.get("Requires-Python")
        if needs and not SpecifierSet(needs).contains(floor):
            refused.append(f"{name}=={version} needs Python {needs}")
    assert checked >= 20, "too few pinned packages installed to check the floor"
    assert not refused, f"requires-python {floor_spec} is below what pins need: {refused}"


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> a file of the package that imports it (not stdlib, not the kit)."""
    import ast
    import sys

    found = {}
    for path in sorted((PROJECT_ROOT / "ddad_lite").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top and top not in sys.stdlib_module_names and top != "ddad_lite":
                    found.setdefault(top, str(path.relative_to(PROJECT_ROOT)))
    return found


def test_every_imported_third_party_package_is_declared_in_pyproject():
    import importlib.metadata as md

    providers = md.packages_distributions()
    declared = {_normal(n) for n in pyproject_dependencies()}
    undeclared = []
    for module, where in _third_party_imports().items():
        dists = {_normal(d) for d in providers.get(module, [module])}
        if not dists & declared:
            undeclared.append(f"{module} ({where}; distribution {', '.join(sorted(dists))})")
    assert "numpy" in _third_party_imports()  # the scan sees the package's imports
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_environment_yml_pins_the_constraints_versions_and_meets_the_floor():
    pins = constraint_pins()
    lines = (PROJECT_ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    for line in lines[start + 1:]:
        item = line.strip()
        if not item.startswith("- ") or item == "- -e .":
            continue
        name, sep, version = item[2:].partition("==")
        assert sep, f"environment.yml should pin {item[2:]} exactly (constraints.txt)"
        assert pins[_normal(name)] == version, f"{name}: {version} vs constraints.txt"
    python = next(line.strip()[2:] for line in lines if line.strip().startswith("- python"))
    floor = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "requires-python"].removeprefix(">=")
    assert f">={floor}" in python.replace(" ", "")


def test_the_console_script_is_the_command_line():
    import importlib

    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["ddad-lite"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
