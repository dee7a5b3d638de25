"""Lazy package surfaces keep their types: every lazily loaded name is in the package's stub.

`charter.agents`, `charter.graphs.build`, `charter.specs` and `charter.specs.git` resolve names on
first use (PEP 562) so that the CLI starts without importing LangChain and a command loads only
the modules it uses; their `__init__.pyi` stubs give type checkers the real type of each name.
These tests keep the table, the stub and the modules in step.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAZY = {
    "charter.agents": ROOT / "agents",
    "charter.graphs.build": ROOT / "graphs" / "build",
    "charter.specs": ROOT / "specs",
    "charter.specs.git": ROOT / "specs" / "git",
}


def stub_names(folder: Path) -> dict[str, str | None]:
    """Names the stub declares: imported ones with their module (all of a lazy package's names
    for `from package import *`), defined ones with None; private helper names left out."""
    tree = ast.parse((folder / "__init__.pyi").read_text(encoding="utf-8"))
    out: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("charter."):
            for alias in node.names:
                if alias.name == "*":
                    out.update(dict.fromkeys(stub_all(LAZY[node.module]), node.module))
                elif not (alias.asname or alias.name).startswith("_"):
                    out[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            out[node.name] = None
    return out


def stub_all(folder: Path) -> list[str]:
    """The stub's `__all__`, plus the names of every lazy package it star-imports (the stub
    adds them with `__all__ += package.__all__`)."""
    tree = ast.parse((folder / "__init__.pyi").read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names += ast.literal_eval(node.value)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            names += stub_all(LAZY[str(node.module)])
    return names


@pytest.mark.parametrize("package", sorted(LAZY))
def test_every_lazy_name_resolves_and_is_typed_by_the_stub(package: str) -> None:
    """Each public name loads from the module the table names, and the stub imports it there."""
    module = importlib.import_module(package)
    table: dict[str, str] = module._EXPORTS
    declared = stub_names(LAZY[package])
    assert sorted(stub_all(LAZY[package])) == sorted(module.__all__)
    assert set(declared) == set(module.__all__)
    for name in module.__all__:
        value = getattr(module, name)
        if name in table:
            assert declared[name] == table[name], f"{name}: the stub imports it from elsewhere"
            assert value is getattr(importlib.import_module(table[name]), name)


def test_graphs_re_exports_nothing() -> None:
    """`charter.graphs` is a plain package: each graph's own package is its surface."""
    graphs = importlib.import_module("charter.graphs")
    assert not hasattr(graphs, "__getattr__") and not hasattr(graphs, "_EXPORTS")


def test_the_lazy_surfaces_do_not_import_langchain() -> None:
    """Importing the surfaces (as `charter --help` does) loads no LangChain or LangGraph."""
    code = (
        "import sys, charter.agents, charter.graphs.build, charter.app.cli\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'langchain_openai', 'langgraph'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == ""
