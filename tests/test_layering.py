"""The direction of imports (DESIGN §2): app → graphs → agents → specs, transcripts; never back.

Checked on the source itself (every import statement, lazy ones inside functions included), so
a shortcut through a lower layer fails here before it becomes a tangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "graphs", "agents", "specs", "transcripts")
ALLOWED: dict[str, set[str]] = {
    "app": {"app", "graphs", "agents", "specs", "transcripts"},
    "graphs": {"graphs", "agents", "specs", "transcripts"},
    "agents": {"agents", "specs", "transcripts"},
    "specs": {"specs", "transcripts"},
    "transcripts": {"transcripts"},
}


def project_name(module: str) -> str:
    """`charter.specs.model` -> `specs.model`; anything outside the namespace stays as it is."""
    return module.removeprefix("charter.") if module.startswith("charter.") else module


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(top for n in names if (top := project_name(n).split(".")[0]) in PACKAGES)
    return found


def deep_imports(path: Path, own: str) -> set[str]:
    """Modules of *other* project packages imported past their `__init__` (`from specs.x ...`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in map(project_name, names):
            top, _, rest = name.partition(".")
            if top in PACKAGES and top != own and rest:
                found.add(name)
    return found


def test_packages_use_each_others_public_surface_only() -> None:
    """Across packages, imports go through the package (its `__init__`), never its modules.

    Exception: the graphs subpackages (`graphs.intent`, `graphs.audit`, `graphs.build`), whose own
    `__init__` is the public surface of that graph.
    """
    allowed = {"graphs.intent", "graphs.audit", "graphs.build"}
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(deep_imports(path, package) - allowed)
    ]
    assert wrong == []


def test_imports_flow_one_way() -> None:
    """No package imports a layer above it; nothing imports app."""
    wrong = [
        f"{path.relative_to(ROOT)} imports {pkg}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for pkg in sorted(imported_packages(path) - ALLOWED[package])
    ]
    assert wrong == []
