"""Charter installs as one namespace, `charter.*`, and lives beside a user's own packages.

A wheel is built from this checkout and installed into a fresh virtual environment that already
holds a user's project with top-level `app` and `agents` packages (the OpenAI Agents SDK's import
name): both keep working, and uninstalling Charter leaves the user's files alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _not_sources(folder: str, names: list[str]) -> set[str]:
    """What a wheel is not built from: VCS data, venvs, caches and the top-level build/ dir."""
    skip = {n for n in names if n.startswith(".") or n == "__pycache__" or n.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skip |= {"build"} & set(names)
    return skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built without network (setuptools comes from the dev venv)."""
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so setuptools' build/ and egg-info never land in (or race in) the checkout.
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=_not_sources)
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--no-index", "--wheel-dir", str(out), str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("charter-*.whl")
    return built


def test_the_wheel_has_one_top_level_package(wheel: Path) -> None:
    """site-packages gains `charter/` and its metadata, nothing named app, agents, specs, ..."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"charter"}
    assert "charter/__init__.py" not in names  # a PEP 420 namespace, filled only by Charter
    # Package data moves with its package.
    assert "charter/agents/prompts/scribe.md" in names
    assert "charter/app/tui/styles.tcss" in names
    assert "charter/graphs/build/conventions.md" in names


def test_every_package_folder_is_installed() -> None:
    """pyproject lists each folder with an `__init__.py` (package-dir maps no wildcard)."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        "charter." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("app", "graphs", "agents", "specs", "transcripts")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found == listed


def _fresh_env(tmp: Path) -> tuple[Path, Path]:
    """A new venv whose dependencies come from this test's interpreter (no network)."""
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # A plain path line: the dev venv's own .pth files (its editable Charter) are not processed.
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python, site


def test_charter_and_a_users_app_and_agents_packages_coexist(wheel: Path, tmp_path: Path) -> None:
    """Installing and uninstalling Charter never touches a user's top-level `app` or `agents`."""
    python, site = _fresh_env(tmp_path)
    for pkg in ("app", "agents"):
        (site / pkg).mkdir()
        (site / pkg / "__init__.py").write_text(f"OWNER = 'user-{pkg}'\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )

    users = subprocess.run(
        [str(python), "-c", "import app, agents; print(app.OWNER, agents.OWNER)"],
        cwd=tmp_path,  # not this checkout, whose own app/ and agents/ folders would be found
        capture_output=True,
        text=True,
        check=True,
    )
    assert users.stdout.split() == ["user-app", "user-agents"]

    workspace = tmp_path / "project"
    workspace.mkdir()
    charter = python.parent / "charter"
    init = subprocess.run(
        [str(charter), "init", str(workspace)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    # Inside the workspace, its own specs/ and transcripts/ folders shadow nothing of Charter's.
    for args in (["validate"], ["status"]):
        run = subprocess.run(
            [str(python), "-m", "charter.app.cli", *args],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert run.returncode == 0, (args, run.stdout, run.stderr)

    subprocess.run([*pip, "uninstall", "--quiet", "--yes", "charter"], check=True, timeout=120)
    assert (site / "app" / "__init__.py").read_text(encoding="utf-8") == "OWNER = 'user-app'\n"
    assert (site / "agents" / "__init__.py").is_file()
    assert not list((site / "charter").rglob("*.py"))
