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


# -- one home per concept -----------------------------------------------------------------------
# Each rule names the one module (or folder) allowed to do a thing; `PENDING` lists files another
# branch is moving to that home (remove an entry once its file calls the home instead).

GIT_HOME = ("specs/git/",)
# The generated codebase's own repository inside a build directory, not the user's repository.
GIT_EXCEPTIONS = {"graphs/build/workrepo.py"}
PROMPT_HOME = "agents/prompts/__init__.py"
SPEC_LISTING_HOME = "specs/loader.py"
# app/tui/ is the TUI helper's: backend.py should call `charter.specs.head_commit`,
# `current_branch` and `spec_paths` instead of running git and globbing the spec dir itself.
PENDING: set[str] = set()


def project_files() -> list[tuple[str, ast.Module]]:
    """Every module of the project packages, parsed, with its path relative to the root."""
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def runs_git(tree: ast.Module) -> list[str]:
    """How a module runs git: GitPython imports, `["git", ...]` commands, the raw runners."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "git"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "git":
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                found.append('a ["git", ...] command')
        elif isinstance(node, ast.Name) and node.id in ("run_git", "probe_git"):
            found.append(node.id)
    return found


def is_prompts(node: ast.AST) -> bool:
    """Whether a node is the string "prompts" (the prompt folder's name)."""
    return isinstance(node, ast.Constant) and node.value == "prompts"


def reads_prompt_files(tree: ast.Module) -> list[str]:
    """Reading package resources, or building a path into the `prompts` folder."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "importlib":
            found += [f"importlib.{a.name}" for a in node.names if a.name == "resources"]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "importlib.resources"]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if is_prompts(node.left) or is_prompts(node.right):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call) and any(is_prompts(a) for a in node.args):
            found.append(ast.unparse(node))
    return found


def lists_spec_files(tree: ast.Module) -> list[str]:
    """Globbing for spec files (`*.md`, or any pattern built from the spec suffix)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("glob", "rglob")
            and node.args
        ):
            continue
        pattern = node.args[0]
        names = {n.id for n in ast.walk(pattern) if isinstance(n, ast.Name)}
        texts = [n.value for n in ast.walk(pattern) if isinstance(n, ast.Constant)]
        if "SPEC_SUFFIX" in names or any(isinstance(t, str) and ".md" in t for t in texts):
            found.append(f"{node.func.attr}({ast.unparse(pattern)})")
    return found


def test_only_specs_git_runs_git() -> None:
    """Git on the user's repository runs in `specs/git/` only; everything else calls it."""
    wrong = [
        f"{path}: {how}"
        for path, tree in project_files()
        if not path.startswith(GIT_HOME) and path not in GIT_EXCEPTIONS | PENDING
        for how in runs_git(tree)
    ]
    assert wrong == []


def test_only_agents_prompts_reads_prompt_files() -> None:
    """Prompt files are read by `agents/prompts/__init__.py` alone (name, version, text)."""
    wrong = [
        f"{path}: {how}"
        for path, tree in project_files()
        if path != PROMPT_HOME
        for how in reads_prompt_files(tree)
    ]
    assert wrong == []


def test_only_specs_loader_lists_spec_files() -> None:
    """Which files make up the spec is decided by `specs/loader.py` alone."""
    wrong = [
        f"{path}: {how}"
        for path, tree in project_files()
        if path != SPEC_LISTING_HOME and path not in PENDING
        for how in lists_spec_files(tree)
    ]
    assert wrong == []


def test_the_rules_catch_what_they_forbid() -> None:
    """Each detector finds its forbidden pattern, so an empty list above means something."""
    sample = ast.parse(
        "import git\n"
        "from importlib import resources\n"
        "subprocess.run(['git', 'status'])\n"
        "p = base / 'prompts'\n"
        "counts = {'prompts': 3}\n"
        "d.rglob('*.md')\n"
        "d.glob(f'*{SPEC_SUFFIX}')\n"
    )
    assert runs_git(sample) == ["import git", 'a ["git", ...] command']
    assert reads_prompt_files(sample) == ["importlib.resources", "base / 'prompts'"]
    assert lists_spec_files(sample) == ["rglob('*.md')", "glob(f'*{SPEC_SUFFIX}')"]
    for pending in PENDING | GIT_EXCEPTIONS:
        assert (ROOT / pending).is_file(), f"{pending} no longer exists: drop it from the list"
