"""The one reader of a spec dir (`specs.loader`): the work tree and a commit's tree agree.

Every part of Charter that reads "the spec" (the scribe's check, the audit, the build) goes
through these functions, so a spec committed as it is on disk must read back byte for byte the
same, with the same paths, and a symlink in a commit is never taken for a spec file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from charter.specs import (
    REGISTER_NAME,
    HistoryError,
    load_spec_dir,
    load_spec_files,
    read_spec_commit,
    read_spec_dir,
)

SPEC = (
    b"# Ingest\n\n## Ingest\n\n- **ING-1** The service MUST accept events.\n  > inferred: a test\n"
)
NESTED = b"# Store\n\n## Store\n\n- **STO-1** The store MUST keep events.\n  > inferred: a test\n"


def git(root: Path, *args: str) -> str:
    """Run git in `root` (the test's own helper: the code under test never shells out)."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose `specs/` holds a file, a nested file, the register and a non-spec file."""
    root = tmp_path / "repo"
    spec_dir = root / "specs"
    (spec_dir / "store").mkdir(parents=True)
    (spec_dir / "ingest.md").write_bytes(SPEC)
    (spec_dir / "store" / "store.md").write_bytes(NESTED)
    (spec_dir / REGISTER_NAME).write_bytes(b"[highest]\nING = 1\n")
    (spec_dir / "notes.txt").write_bytes(b"not part of the spec\n")
    git(root.parent, "init", "-q", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "spec")
    return root


def test_work_tree_and_commit_read_the_same_spec(repo: Path) -> None:
    """The committed spec reads back exactly as the work tree's, nested files included."""
    on_disk = read_spec_dir(repo / "specs")
    committed = read_spec_commit(repo, "HEAD", repo / "specs")
    assert list(on_disk) == ["ingest.md", "store/store.md"]
    assert committed.files == on_disk
    assert committed.found and committed.path == "specs"
    assert committed.commit == git(repo, "rev-parse", "HEAD")
    assert load_spec_files(committed.files)[0] == load_spec_dir(repo / "specs")[0]


def test_the_register_is_read_only_when_asked_for(repo: Path) -> None:
    """The ID register sits beside the spec; the scribe's check reads it, parsing never does."""
    files = read_spec_dir(repo / "specs", register=True)
    assert files[REGISTER_NAME] == b"[highest]\nING = 1\n"
    assert "notes.txt" not in files


def test_a_symlink_in_a_commit_is_skipped_not_read(repo: Path) -> None:
    """A committed symlink named like a spec file is reported as skipped, never followed."""
    (repo / "specs" / "link.md").symlink_to("/etc/hostname")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    committed = read_spec_commit(repo, "HEAD", "specs")
    assert committed.skipped == ("link.md",)
    assert "link.md" not in committed.files


def test_a_commit_without_the_spec_dir_and_a_bad_revision(repo: Path) -> None:
    """A missing dir reads as not found; an unknown revision is a HistoryError naming it."""
    first = read_spec_commit(repo, "HEAD", "docs")
    assert not first.found and first.files == {}
    with pytest.raises(HistoryError, match="unknown revision 'nope'"):
        read_spec_commit(repo, "nope", "specs")
