"""The requirement index in state.db gives `why` the same commits as walking the history, and
follows HEAD: incrementally when it moves on, from scratch when it moves elsewhere."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

from charter.specs import RequirementIndex, requirement_history
from tests.conftest import run_charter

IDS = [f"ING-{n}" for n in range(1, 7)] + [f"RPT-{n}" for n in range(1, 5)]


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def render(reqs: dict[str, tuple[str, str, str]]) -> str:
    """A spec file: each requirement's ID line, an optional continuation, its provenance line."""
    body = "".join(
        f"- **{rid}** The service MUST {text}\n{more}  > {prov}\n"
        for rid, (text, more, prov) in reqs.items()
    )
    return f"# Spec\n\nIntro.\n\n## Part\n\n{body}"


def random_history(root: Path, rng: random.Random, commits: int) -> None:
    """Commits that edit text, continuation lines only, provenance only, LOCKED flags, move
    requirements between files, cross-reference them, and remove them."""
    files: dict[str, dict[str, tuple[str, str, str]]] = {"a.md": {}, "b.md": {}}
    for n in range(commits):
        rid = rng.choice(IDS)
        home = next((f for f, reqs in files.items() if rid in reqs), None)
        action = rng.choice(["text", "more", "prov", "lock", "move", "xref", "drop", "add"])
        if home is None or action == "add":
            where = home or rng.choice(list(files))
            files[where][rid] = (f"do {n}.", "", f"inferred: reason {n}")
        elif action == "text":
            _, more, prov = files[home][rid]
            files[home][rid] = (f"do {n} instead.", more, prov)
        elif action == "more":
            text, _, prov = files[home][rid]
            files[home][rid] = (text, f"  and continue {n}\n", prov)
        elif action == "prov":
            text, more, _ = files[home][rid]
            files[home][rid] = (text, more, f'confirmed (m-{n + 1:04d}): "yes"')
        elif action == "lock":
            text, more, prov = files[home][rid]
            files[home][rid] = (text.removesuffix(" LOCKED") + " LOCKED", more, prov)
        elif action == "move":
            other = "b.md" if home == "a.md" else "a.md"
            files[other][rid] = files[home].pop(rid)
        elif action == "xref":
            other = rng.choice([r for r in IDS if r != rid])
            text, more, prov = files[home][rid]
            files[home][rid] = (f"do {n} like [{other}].", more, prov)
        else:
            del files[home][rid]
        for name, reqs in files.items():
            (root / "specs" / name).write_text(render(reqs), encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", f"change {n}")


def walk(root: Path, rid: str) -> list[str]:
    """The commits the history walk finds."""
    return [c.sha for c in requirement_history(root, root / "specs", rid)]


def indexed(root: Path, rid: str) -> list[str]:
    """The commits the index finds (updating it first)."""
    history = requirement_history(root, root / "specs", rid, index_db=root / ".charter/state.db")
    return [c.sha for c in history]


def assert_same(root: Path) -> None:
    """The index and the walk agree on every requirement ID."""
    assert {rid: indexed(root, rid) for rid in IDS} == {rid: walk(root, rid) for rid in IDS}


def test_index_matches_the_history_walk_and_follows_head(workspace: Path) -> None:
    """Same commits, same order, for every ID; new commits are read incrementally; a reset
    rebuilds; `charter reindex --json` rebuilds and says so."""
    rng = random.Random(11)
    random_history(workspace, rng, 40)
    assert_same(workspace)
    assert any(indexed(workspace, rid) for rid in IDS)

    random_history(workspace, rng, 5)
    db = workspace / ".charter/state.db"
    with RequirementIndex(db, workspace, workspace / "specs") as index:
        stats = index.update()
    assert (stats.rebuilt, stats.commits_read <= 5) == (False, True)
    assert_same(workspace)

    git(workspace, "reset", "-q", "--hard", "HEAD~8")
    random_history(workspace, rng, 3)
    with RequirementIndex(db, workspace, workspace / "specs") as index:
        assert index.update().rebuilt
    assert_same(workspace)

    result = run_charter("reindex", "--json", cwd=workspace)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["requirements"]["rebuilt"] is True
    assert doc["requirements"]["tip"] == git(workspace, "rev-parse", "HEAD").strip()
