"""Spec history on git (DESIGN §6): one accepted change = one commit that carries the user's words.

This module owns the commit message format (rendered by code, never by a model), the commit
itself, and reading the history back (`spec_log`, `show_commit`, `requirement_history`).

Committing never disturbs the user's own work: the new tree is built in a temporary index
(`GIT_INDEX_FILE`) seeded from HEAD, the commit is made with `commit-tree`, and the branch is
moved with a compare-and-swap `update-ref`, so either the whole change lands or nothing does.
Only then are the new contents written to the working tree and the real index entries of exactly
those paths reset to the new HEAD; any other staged or unstaged work stays as it was. Charter
never amends, rewrites or deletes git's lock files. Git processes are the cost of a commit, so
the path runs as few as it can (see `_make_commit` and `specs.gitrepo`).

`root` arguments name the workspace root. When it is the repository's top level (what
`charter init` makes) paths are relative to both; a root below the top level also works, with
paths relative to the root.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field, field_validator

from charter.specs.gitrepo import (
    GC_SAMPLE_THRESHOLD,
    IN_PROGRESS,
    GitIdentityError,  # noqa: F401  (re-exported: commit_spec_change raises it)
    GitRepo,
    HistoryError,
    open_repo,
    run_git,
)
from charter.specs.model import MSG_ID_RE, REQ_ID_PATTERN, REQ_ID_RE

SUBJECT_MAX = 72
SUBJECT_PREFIX = "spec: "
_TRAILER_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_INTENT_HEAD_RE = re.compile(r"^Intent \((m-[0-9]+), verbatim\):$")
# One record of `git log -z` in NUL-separated fields; nothing in a commit can contain NUL.
_LOG_FIELDS = ("%H", "%h", "%an", "%ae", "%aI", "%B", "%(trailers:only,unfold)")
_LOG_FORMAT = "%x00" + "%x00".join(_LOG_FIELDS)
_INDEX_RETRY_SECONDS = 3.0
_SCRATCH_COPY_LIMIT = 8 * 1024 * 1024  # bytes of on-disk files worth copying into memory
_SCRATCH_SLACK = 4 * 1024 * 1024  # free bytes a tmpfs keeps beyond the scratch's own needs
_REQ_LINE_RE = re.compile(rf"^\s*[-*+]\s+\*\*({REQ_ID_PATTERN})\*\*")


class HeadMovedError(HistoryError):
    """HEAD is not where the caller expected (another commit landed); nothing was committed."""


class NothingToCommitError(HistoryError):
    """The change leaves the tree as it is; no commit was made."""


class ChangeKind(StrEnum):
    """What a change did to a requirement; the value is its marker in the commit message."""

    ADDED = "+"
    MODIFIED = "~"
    REMOVED = "-"
    CONFIRMED = ">"


class Intent(BaseModel):
    """One verbatim user message a change came from."""

    id: str = Field(pattern=MSG_ID_RE.pattern, description="ledger ID, e.g. m-0007")
    text: str = Field(description="the user's words, verbatim")


class Change(BaseModel):
    """One line of the message's `Changes:` block."""

    kind: ChangeKind
    req_id: str = Field(pattern=REQ_ID_RE.pattern)
    provenance: str | None = Field(default=None, description="explicit / inferred / confirmed")
    text: str = Field(description="the requirement's text (whitespace is collapsed)")


class CommitMessage(BaseModel):
    """Everything a spec commit message says; `render_commit_message` lays it out (DESIGN §6)."""

    subject: str = Field(description="one line; whitespace collapsed, `spec: ` added, ≤72 chars")
    intents: list[Intent] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    session: str | None = None
    proposal: str | None = None
    model: str | None = None
    trailers: list[tuple[str, str]] = Field(
        default_factory=list, description="extra trailers, e.g. (Charter-Finding, f-0002)"
    )

    @field_validator("trailers")
    @classmethod
    def _keys_are_tokens(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Trailer keys must be git trailer tokens (letters, digits, dashes)."""
        for key, _ in value:
            if not _TRAILER_KEY_RE.match(key):
                raise ValueError(f"invalid trailer key {key!r}: use letters, digits and dashes")
        return value


class CommitInfo(BaseModel):
    """One commit of the spec history, as the log, `why` and the TUI show it."""

    sha: str
    short: str
    subject: str
    author: str
    email: str
    date: str = Field(description="author date, ISO 8601 with offset")
    trailers: list[tuple[str, str]] = Field(default_factory=list)
    intents: list[Intent] = Field(default_factory=list, description="quoted intents, verbatim")
    files: list[str] = Field(default_factory=list, description="every path the commit changed")


class CommitDetail(CommitInfo):
    """A commit with its full message and the unified diff of its spec files."""

    message: str
    diff: str


# ---------------------------------------------------------------------------------------------
# The message


def _one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space."""
    return " ".join(text.split())


def clean_subject(subject: str) -> str:
    """The subject as committed: one trimmed line, prefixed `spec: `, at most 72 characters."""
    line = _one_line(subject)
    if line.lower().startswith("spec:"):
        line = line[len("spec:") :].strip()
    line = SUBJECT_PREFIX + (line or "update")
    if len(line) > SUBJECT_MAX:
        line = line[: SUBJECT_MAX - 1].rstrip() + "…"
    return line


def quote_lines(text: str) -> list[str]:
    """Quote verbatim text line by line: `> line`, and `>` for an empty line (split on LF only)."""
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def _trailer_list(msg: CommitMessage) -> list[tuple[str, str]]:
    """All trailers in order: intents, session, proposal, model, then the extra ones."""
    out: list[tuple[str, str]] = []
    for intent in msg.intents:
        if ("Charter-Intent", intent.id) not in out:
            out.append(("Charter-Intent", intent.id))
    for key, value in (
        ("Charter-Session", msg.session),
        ("Charter-Proposal", msg.proposal),
        ("Charter-Model", msg.model),
    ):
        if value and _one_line(value):
            out.append((key, value))
    out.extend(msg.trailers)
    return [(key, _one_line(value)) for key, value in out if _one_line(value)]


def render_commit_message(msg: CommitMessage) -> str:
    """Lay out a spec commit message exactly as DESIGN §6 shows, ending with one newline."""
    paragraphs: list[list[str]] = [[clean_subject(msg.subject)]]
    for intent in msg.intents:
        paragraphs.append([f"Intent ({intent.id}, verbatim):", *quote_lines(intent.text)])
    if msg.changes:
        lines = ["Changes:"]
        for ch in msg.changes:
            head = f"{ch.kind.value} {ch.req_id}"
            if ch.provenance:
                head += f" {_one_line(ch.provenance)}"
            lines.append(f"{head}  {_one_line(ch.text)}")
        paragraphs.append(lines)
    trailers = _trailer_list(msg)
    if trailers:
        paragraphs.append([f"{key}: {value}" for key, value in trailers])
    return "\n\n".join("\n".join(p) for p in paragraphs) + "\n"


def parse_intents(message: str) -> list[Intent]:
    """Read the quoted intents back out of a commit message (the inverse of the rendering)."""
    intents: list[Intent] = []
    lines = message.split("\n")
    i = 0
    while i < len(lines):
        head = _INTENT_HEAD_RE.match(lines[i])
        i += 1
        if not head:
            continue
        quoted: list[str] = []
        while i < len(lines) and (lines[i] == ">" or lines[i].startswith("> ")):
            quoted.append(lines[i][2:])
            i += 1
        with contextlib.suppress(ValueError):
            intents.append(Intent(id=head.group(1), text="\n".join(quoted)))
    return intents


def parse_trailers(message: str) -> list[tuple[str, str]]:
    """The message's trailers as git itself reads them (`git interpret-trailers --parse`)."""
    out = run_git(["interpret-trailers", "--parse", "--no-divider"], _encode(message))
    return _split_trailer_lines(out.decode("utf-8", "replace"))


def _split_trailer_lines(text: str) -> list[tuple[str, str]]:
    """`Key: value` lines (as git prints them) into pairs."""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


def _encode(text: str) -> bytes:
    """UTF-8 for git; a lone surrogate (not encodable) is kept visible as an escape."""
    return text.encode("utf-8", "backslashreplace")


# ---------------------------------------------------------------------------------------------
# Committing


def commit_spec_change(
    repo_root: Path,
    *,
    files: Mapping[str, bytes],
    message: CommitMessage,
    include_paths: Sequence[str] = (),
    delete: Sequence[str] = (),
    expected_head: str | None = None,
    base: Mapping[str, bytes | None] | None = None,
) -> str:
    """Commit exactly `files` (new contents), `delete` and the on-disk `include_paths`, at once.

    Paths are relative to `repo_root` (the workspace root). `include_paths` are committed as they
    are on disk (the ledger's JSONL files). `expected_head`, when given, must be the current HEAD
    commit. `base`, when given, maps paths to the contents the change was computed from (None:
    absent); if the working tree differs (a hand edit made meanwhile) nothing is committed and
    nothing is overwritten. Returns the new commit's sha. Other staged or unstaged work of the
    user is left as it was; the committed paths end up clean in the working tree and the index.
    """
    with open_repo(repo_root) as repo:
        repo.check_writable_state()
        ident = repo.identity()
        head, head_tree = repo.head_and_tree()
        if expected_head is not None and expected_head != head:
            raise HeadMovedError(
                f"HEAD is at {head or 'an unborn branch'}, not {expected_head}: the history "
                "moved since the change was prepared; nothing was committed"
            )
        written = {repo.path(p): bytes(data) for p, data in files.items()}
        removed = [repo.path(p) for p in delete]
        included = [repo.path(p) for p in include_paths]
        everything = [*written, *removed, *included]
        if len(set(everything)) != len(everything) or len(written) != len(files):
            raise HistoryError("a path appears twice among files, delete and include_paths")
        if not everything:
            raise NothingToCommitError("no paths given; nothing to commit")
        for p in included:
            if not (repo.top / p).is_file():
                raise HistoryError(f"{repo.rel(p)} does not exist; nothing was committed")
        _check_base(repo, base or {})
        sample = repo.loose_sample()
        commit = _make_commit(repo, head, head_tree, written, removed, included, message, ident)
        _write_worktree(repo, written, removed)
        _reset_index(repo, commit, everything)
        _auto_gc(repo, sample)
        return commit


def _check_base(repo: GitRepo, base: Mapping[str, bytes | None]) -> None:
    """Refuse when a path's working-tree content is not what the change was computed from."""
    for rel, expected in base.items():
        path = repo.top / repo.path(rel)
        current = path.read_bytes() if path.is_file() else None
        if current != expected:
            raise HistoryError(
                f"{rel} changed on disk since the change was prepared (a hand edit?); "
                "nothing was committed or overwritten"
            )


def _make_commit(
    repo: GitRepo,
    head: str | None,
    head_tree: str | None,
    written: Mapping[str, bytes],
    removed: Sequence[str],
    included: Sequence[str],
    message: CommitMessage,
    ident: Mapping[str, str],
) -> str:
    """Build the tree in a temporary index, commit it, and move the branch by compare-and-swap.

    All blobs are made by ONE `update-index --add --remove --stdin` run against a scratch work
    tree that holds exactly the paths to commit (`_stage`), so git applies its filters and
    attributes as it would at the real paths. With `core.filemode=false` a path keeps the mode
    it has in HEAD (e.g. an executable bit) and a new one is a plain file, whatever the scratch
    file's mode; a path absent from the scratch tree (a delete) leaves the index.
    """
    parent = _scratch_parent(repo, written, included)
    with tempfile.TemporaryDirectory(prefix="charter-commit-", dir=parent) as tmp:
        scratch = Path(tmp) / "tree"
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head:
            repo.run("read-tree", head, env=env)
        _stage(repo, scratch, written, included)
        repo.run(
            *("-c", "core.filemode=false", "-c", "core.fsmonitor=false"),
            *("update-index", "--add", "--remove", "--replace", "-z", "--stdin"),
            env={**env, "GIT_DIR": str(repo.git_dir), "GIT_WORK_TREE": str(scratch)},
            cwd=scratch,  # the names as the scratch files were created under (`fsencode`)
            data=b"".join(os.fsencode(p) + b"\0" for p in [*written, *included, *removed]),
        )
        tree = repo.text("write-tree", env=env)
    if head and tree == head_tree:
        raise NothingToCommitError("the change leaves the spec as it is; nothing to commit")
    parents = ["-p", head] if head else []
    message_bytes = _encode(render_commit_message(message))
    commit = repo.text("commit-tree", tree, *parents, env=ident, data=message_bytes)
    reflog = f"commit{'' if head else ' (initial)'}: {clean_subject(message.subject)}"
    try:
        repo.run("update-ref", "-m", reflog, "HEAD", commit, head or "")
    except HistoryError as exc:
        raise HeadMovedError(
            f"the branch moved while Charter was committing ({exc}); nothing was committed"
        ) from exc
    return commit


def _scratch_parent(repo: GitRepo, written: Mapping[str, bytes], included: Sequence[str]) -> str:
    """Where to build the temporary index and scratch tree: in memory when it can.

    A tmpfs (`$XDG_RUNTIME_DIR`, `/dev/shm`) spares the disk journal the index and file
    writes, which on a busy disk cost more than the git processes themselves. The on-disk
    files to commit are copied there, so when they are large, or memory has no room for the
    scratch (twice its size, to be safe), it goes next to the repository instead, where they
    are hard-linked.
    """
    copied = 0
    for path in included:
        with contextlib.suppress(OSError):  # a vanished file is reported by `_stage`
            copied += (repo.top / path).stat().st_size
    if copied > _SCRATCH_COPY_LIMIT:
        return str(repo.git_dir)
    need = copied + sum(len(data) for data in written.values())
    with contextlib.suppress(OSError):
        need += (repo.git_dir / "index").stat().st_size  # the temporary index is about as big
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if not candidate or not os.access(candidate, os.W_OK | os.X_OK):
            continue
        with contextlib.suppress(OSError):
            free = os.statvfs(candidate)
            if free.f_bavail * free.f_frsize > 2 * need + _SCRATCH_SLACK:
                return candidate
    return str(repo.git_dir)


def _stage(
    repo: GitRepo, scratch: Path, written: Mapping[str, bytes], included: Sequence[str]
) -> None:
    """Lay out the scratch work tree: new contents, on-disk files linked, and attributes.

    Each directory on the way to a path gets the real work tree's `.gitattributes`, or an empty
    one where it has none (or only a symlink, which git ignores): `hash-object --path`, which
    this replaces, reads attributes from the work tree only, never from an index copy.
    """
    try:
        scratch.mkdir()
        for path, data in written.items():
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for path in included:
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(repo.top / path, target)
        dirs = {d for p in [*written, *included] for d in PurePosixPath(p).parents}
        for d in sorted(dirs):
            target = scratch / d / ".gitattributes"
            if target.exists():
                continue  # committed itself
            source = repo.top / d / ".gitattributes"
            if source.is_file() and not source.is_symlink():
                _link_or_copy(source, target)
            else:
                target.touch()
    except OSError as exc:
        raise HistoryError(f"could not prepare the commit: {exc}; nothing was committed") from exc


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` (following symlinks, as git reads it) at `target`, or copy it."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _auto_gc(repo: GitRepo, before: int) -> None:
    """The housekeeping `git commit` does and plumbing skips: `gc --auto`, when it may be due.

    git decides from how many loose objects one sample directory holds, a count that changes
    only when an object lands there; so git is asked when this commit saw the count grow, or
    when it is already past the default threshold (a gc git could not run before).
    """
    after = repo.loose_sample()
    if after > before or after > GC_SAMPLE_THRESHOLD:
        with contextlib.suppress(HistoryError):
            repo.run("gc", "--auto", "--quiet")


def _write_worktree(repo: GitRepo, written: Mapping[str, bytes], removed: Sequence[str]) -> None:
    """Put the committed contents in the working tree (atomically per file)."""
    for rel, data in written.items():
        target = repo.top / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    for rel in removed:
        with contextlib.suppress(FileNotFoundError):
            (repo.top / rel).unlink()


def _umask() -> int:
    """The process umask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reset_index(repo: GitRepo, commit: str, paths: Sequence[str]) -> None:
    """Make the real index match the new HEAD for exactly `paths`, waiting out a busy index."""
    deadline = time.monotonic() + _INDEX_RETRY_SECONDS
    while True:
        try:
            repo.run("reset", "-q", commit, "--", *paths)
            return
        except HistoryError as exc:
            if "index.lock" not in str(exc) or time.monotonic() > deadline:
                raise HistoryError(
                    f"committed {commit[:12]}, but git's index could not be updated ({exc}); "
                    f"run git reset -q -- {' '.join(repo.rel(p) for p in paths)}"
                ) from exc
            time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# Reading the history


def _parse_log(out: bytes, repo: GitRepo) -> list[CommitInfo]:
    """Parse `git log -z --name-only --format=_LOG_FORMAT` output into CommitInfo records."""
    tokens = out.decode("utf-8", "replace").split("\0")
    n = len(_LOG_FIELDS)
    commits: list[CommitInfo] = []
    i = 0
    while i + n < len(tokens):
        if tokens[i] != "":  # each record starts with an empty token (the leading %x00)
            i += 1
            continue
        sha, short, author, email, date, body, trailers = tokens[i + 1 : i + 1 + n]
        i += 1 + n
        files: list[str] = []
        while i < len(tokens) and tokens[i] != "":
            name = tokens[i][1:] if not files and tokens[i].startswith("\n") else tokens[i]
            files.append(repo.rel(name))
            i += 1
        commits.append(
            CommitInfo(
                sha=sha,
                short=short,
                subject=body.split("\n", 1)[0],
                author=author,
                email=email,
                date=date,
                trailers=_split_trailer_lines(trailers),
                intents=parse_intents(body),
                files=files,
            )
        )
    return commits


def _log(repo: GitRepo, *args: str, data: bytes | None = None) -> list[CommitInfo]:
    """Run `git log` with the structured format plus `args` and parse it."""
    out = repo.run(
        "log",
        "-z",
        "--root",
        "--name-only",
        "--no-show-signature",
        "--no-color",
        f"--format={_LOG_FORMAT}",
        *args,
        data=data,
    )
    return _parse_log(out, repo)


def spec_log(
    repo_root: Path,
    spec_dir: Path | str,
    transcripts_dir: Path | str | None = None,
    limit: int | None = None,
    rev: str = "HEAD",
) -> list[CommitInfo]:
    """Commits that touched the spec dir (or the transcripts dir, when given), newest first."""
    with open_repo(repo_root) as repo:
        start = _start(repo, rev)
        if start is None:
            return []
        paths = [_dir_spec(repo, spec_dir)]
        if transcripts_dir is not None:
            paths.append(_dir_spec(repo, transcripts_dir))
        count = [f"-n{limit}"] if limit is not None else []
        return _log(repo, "--full-diff", *count, start, "--", *paths)


class HeadInfo(BaseModel):
    """Where the workspace's repository stands: branch, HEAD commit, and any operation underway."""

    branch: str | None = Field(description="short branch name; None when HEAD is detached")
    sha: str | None = Field(description="HEAD's commit; None on an unborn branch")
    short: str | None = None
    subject: str | None = None
    in_progress: str | None = Field(default=None, description="e.g. 'a merge', blocks commits")


def repo_head(repo_root: Path) -> HeadInfo:
    """The branch and HEAD commit of the repository around `repo_root` (read-only)."""
    with open_repo(repo_root) as repo:
        ref = repo.run("symbolic-ref", "-q", "HEAD", ok=(0, 1)).decode().strip()
        branch = ref.removeprefix("refs/heads/") if ref else None
        busy = next(
            (what for name, what in IN_PROGRESS.items() if (repo.git_dir / name).exists()), None
        )
        head = repo.head()
        if head is None:
            return HeadInfo(branch=branch, sha=None, in_progress=busy)
        info = _log(repo, "--no-walk", head)[0]
        return HeadInfo(
            branch=branch, sha=head, short=info.short, subject=info.subject, in_progress=busy
        )


def _dir_spec(repo: GitRepo, directory: Path | str) -> str:
    """`repo.dir_spec`, turning a directory outside the work tree into a HistoryError."""
    try:
        return repo.dir_spec(directory)
    except ValueError as exc:
        raise HistoryError(f"{directory} is outside the repository at {repo.top}") from exc


def _start(repo: GitRepo, rev: str) -> str | None:
    """The commit `rev` names; None for HEAD on an unborn branch; else HistoryError."""
    out = (
        repo.run("rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1))
        .decode()
        .strip()
    )
    if not out and rev != "HEAD":
        raise HistoryError(f"unknown revision {rev!r}")
    return out or None


def _verify_rev(repo: GitRepo, rev: str) -> str:
    """The commit `rev` names, or HistoryError naming the revision."""
    out = _start(repo, rev)
    if out is None:
        raise HistoryError("there are no commits yet")
    return out


def show_commit(repo_root: Path, rev: str, spec_dir: Path | str | None = None) -> CommitDetail:
    """One commit: its info, full message, and the unified diff of its spec files (all if None)."""
    with open_repo(repo_root) as repo:
        sha = _verify_rev(repo, rev)
        info = _log(repo, "--no-walk", sha)[0]
        message = repo.run("log", "-1", "--no-show-signature", "--format=%B", sha)
        paths = ["--", _dir_spec(repo, spec_dir)] if spec_dir is not None else []
        diff = repo.run(
            "show",
            "--format=",
            "--patch",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--diff-merges=first-parent",
            sha,
            *paths,
        )
        return CommitDetail(
            **info.model_dump(),
            message=message.decode("utf-8", "replace").rstrip("\n") + "\n",
            diff=diff.decode("utf-8", "replace"),
        )


def spec_files_at(repo_root: Path, rev: str, spec_dir: Path | str) -> dict[str, bytes]:
    """The spec dir's files as committed in `rev` (paths relative to the spec dir)."""
    with open_repo(repo_root) as repo:
        sha = _verify_rev(repo, rev)
        spec = _dir_spec(repo, spec_dir)
        out = repo.run("ls-tree", "-r", "-z", "--full-tree", sha, "--", spec)
        files: dict[str, bytes] = {}
        for entry in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
            info, _, path = entry.partition("\t")
            _mode, kind, obj = info.split(" ")
            if kind == "blob":
                rel = path if spec == "." else path.removeprefix(spec.rstrip("/") + "/")
                files[rel] = repo.run("cat-file", "blob", obj)
        return files


def requirement_history(
    repo_root: Path, spec_dir: Path | str, req_id: str, rev: str = "HEAD"
) -> list[CommitInfo]:
    """Every commit that added, changed or removed requirement `req_id`, newest first.

    A requirement is its ID line (`- **ING-1** text`, continuation lines included) plus the
    indented provenance line below it. Two git calls: first `git log -p -G` with a regex that
    matches the bold ID *or* any provenance-looking line, so git's own pickaxe drops commits that
    cannot concern the requirement; then the patches of the remaining candidates are read hunk by
    hunk (with five lines of context, so the ID line is always there above a changed provenance
    line) and a commit counts when a changed line is the ID line or belongs to it. This is exact
    for text, LOCKED and provenance changes (a confirm touches only the provenance line, which a
    `-G` on the ID alone would miss) and a move between files (removed in one, added in another);
    a cross-reference `[ING-1]` in another requirement does not count. The second call fetches
    the matching commits' metadata.
    """
    if not REQ_ID_RE.match(req_id):
        raise ValueError(f"{req_id!r} is not a requirement ID (like ING-1)")
    with open_repo(repo_root) as repo:
        start = _start(repo, rev)
        if start is None:
            return []
        pattern = rf"\*\*{req_id}\*\*|^[[:space:]]*>"
        out = repo.run(
            "log",
            "-p",
            "-U5",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-show-signature",
            "--format=%x00%H",
            f"-G{pattern}",
            start,
            "--",
            _dir_spec(repo, spec_dir),
        )
        shas = []
        for chunk in out.decode("utf-8", "replace").split("\0")[1:]:
            sha, _, patch = chunk.partition("\n")
            if _patch_touches(patch, req_id):
                shas.append(sha)
        if not shas:
            return []
        return _log(
            repo, "--no-walk=unsorted", "--stdin", data="".join(f"{s}\n" for s in shas).encode()
        )


def _patch_touches(patch: str, req_id: str) -> bool:
    """Whether a unified diff adds, removes or changes a line belonging to `req_id`."""
    in_hunk = False
    owner = {"-": None, "+": None}  # which requirement the current line belongs to, per side
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            in_hunk = False
            continue
        if line.startswith("@@"):
            in_hunk = True
            owner = {"-": None, "+": None}
            continue
        if not in_hunk or not line or line[0] not in " +-":
            continue
        mark, body = line[0], line[1:]
        sides = ("-", "+") if mark == " " else (mark,)
        found = _REQ_LINE_RE.match(body)
        for side in sides:
            if found:
                owner[side] = found.group(1)
            elif not (body[:1].isspace() and body.strip()):
                owner[side] = None  # not an indented continuation / provenance line
        if mark != " " and owner[mark] == req_id:
            return True
    return False
