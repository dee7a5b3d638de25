"""The user's git hooks for spec commits: `pre-commit` and `commit-msg`, run as `git commit` would.

Spec commits are made with plumbing (`commit-tree`), which runs no hooks, so Charter runs them
itself through `git hook run`, which honours `core.hooksPath` and skips a missing hook. The
`pre-commit` hook sees the commit's tree as the index (`GIT_INDEX_FILE` names the temporary one);
`commit-msg` gets the message in a file and may rewrite it, as with `git commit`. A hook that
exits non-zero refuses the commit with its own output; nothing is committed.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping

from charter.specs.git.repo import GitRepo, HistoryError

EDITMSG = "CHARTER_EDITMSG"
_OUTPUT_LIMIT = 4000  # characters of a hook's output quoted in the refusal


class HookRefusedError(HistoryError):
    """A user's git hook refused the spec commit; the message quotes its output."""


def _run_hook(repo: GitRepo, name: str, args: list[str], env: Mapping[str, str]) -> None:
    """Run one hook (if the repository has it) or raise HookRefusedError with its output."""
    import os

    full_env = {**os.environ, **env}
    proc = subprocess.run(
        ["git", "hook", "run", "--ignore-missing", name, "--", *args],
        cwd=repo.top,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if proc.returncode == 0:
        return
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip()
    if len(output) > _OUTPUT_LIMIT:
        output = output[:_OUTPUT_LIMIT] + " …"
    raise HookRefusedError(
        f"your git {name} hook refused the spec commit (exit {proc.returncode}); nothing was "
        f"committed" + (f":\n{output}" if output else "")
    )


def run_commit_hooks(repo: GitRepo, message: bytes, index_env: Mapping[str, str]) -> bytes:
    """Run `pre-commit` against the commit's index, then `commit-msg`; return the message as
    the hook left it."""
    _run_hook(repo, "pre-commit", [], index_env)
    path = repo.git_dir / EDITMSG
    path.write_bytes(message)
    try:
        _run_hook(repo, "commit-msg", [str(path)], index_env)
        return path.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
