"""Reading the spec history back: the log, one commit, a requirement's commits (`spec_log`,
`show_commit`, `requirement_history`, `repo_head`). The spec as one commit has it is `tree`.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field

from charter.specs.git.message import Intent, parse_intents, split_trailer_lines
from charter.specs.git.repo import (
    IN_PROGRESS,
    GitRepo,
    open_repo,
)
from charter.specs.git.tree import _dir_spec, _start, _verify_rev
from charter.specs.model import REQ_ID_PATTERN, REQ_ID_RE

# One record of `git log -z` in NUL-separated fields; nothing in a commit can contain NUL.
_LOG_FIELDS = ("%H", "%h", "%an", "%ae", "%aI", "%B", "%(trailers:only,unfold)")
_LOG_FORMAT = "%x00" + "%x00".join(_LOG_FIELDS)
_REQ_LINE_RE = re.compile(rf"^\s*[-*+]\s+\*\*({REQ_ID_PATTERN})\*\*")
# What `git log -G` matches per changed line: a bold ID anywhere (overlapping matches, so that
# `**A-1**B-2**` yields both) or a provenance-looking line ([[:space:]] is ASCII in git's C locale).
_BOLD_ID = re.compile(rf"(?=\*\*({REQ_ID_PATTERN})\*\*)")
_PROVENANCE_LINE = re.compile(r"^[ \t\n\r\f\v]*>")
_PAIR_SPLIT = re.compile(r"^diff --git ", re.MULTILINE)
# Any requirement ID in bold, in the POSIX extended regex dialect `git log -G` speaks.
ANY_BOLD_ID = rf"\*\*{REQ_ID_PATTERN}\*\*"


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
                trailers=split_trailer_lines(trailers),
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


def recent_commits(repo_root: Path, limit: int) -> list[CommitInfo]:
    """HEAD's last `limit` commits, whatever they touched (also a commit that changes no file,
    e.g. one a replayed journal made for a change the user had already committed)."""
    with open_repo(repo_root) as repo:
        start = _start(repo, "HEAD")
        return [] if start is None else _log(repo, f"-n{limit}", start)


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


def requirement_history(
    repo_root: Path,
    spec_dir: Path | str,
    req_id: str,
    rev: str = "HEAD",
    index_db: Path | None = None,
) -> list[CommitInfo]:
    """Every commit that added, changed or removed requirement `req_id`, newest first.

    A requirement is its ID line (`- **ING-1** text`, continuation lines included) plus the
    indented provenance line below it. Two git calls: first `git log -p -G` with a regex that
    matches the bold ID *or* any provenance-looking line, so git's own pickaxe drops file pairs
    that cannot concern the requirement; then the patches of the remaining candidates are read
    hunk by hunk (with five lines of context, so the ID line is always there above a changed
    provenance line) and a commit counts when a changed line is the ID line or belongs to it.
    This is exact for text, LOCKED and provenance changes (a confirm touches only the provenance
    line, which a `-G` on the ID alone would miss) and a move between files (removed in one,
    added in another); a cross-reference `[ING-1]` in another requirement does not count. The
    second call fetches the matching commits' metadata.

    With `index_db` (the workspace's state.db) and `rev` HEAD, the same answer comes from the
    requirement index there (`reqindex`), brought up to date first, instead of walking history.
    """
    if not REQ_ID_RE.match(req_id):
        raise ValueError(f"{req_id!r} is not a requirement ID (like ING-1)")
    if index_db is not None and rev == "HEAD":
        from charter.specs.git.reqindex import RequirementIndex

        with RequirementIndex(index_db, repo_root, spec_dir) as index:
            return index.history(req_id)
    with open_repo(repo_root) as repo:
        start = _start(repo, rev)
        if start is None:
            return []
        patches = touched_log(repo, spec_dir, rf"\*\*{req_id}\*\*", start)
        shas = [sha for sha, touched in patches if req_id in touched]
        return commit_infos(repo, shas)


def commit_infos(repo: GitRepo, shas: list[str]) -> list[CommitInfo]:
    """The CommitInfo of each of `shas`, in that order (one git call)."""
    if not shas:
        return []
    return _log(
        repo, "--no-walk=unsorted", "--stdin", data="".join(f"{s}\n" for s in shas).encode()
    )


def touched_log(
    repo: GitRepo, spec_dir: Path | str, id_regex: str, revs: str
) -> list[tuple[str, set[str]]]:
    """`(sha, requirement IDs it touched)` for each commit of `git log revs` (newest first)
    whose spec diff has a changed line matching the bold ID regex or a provenance line."""
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
        f"-G{id_regex}|^[[:space:]]*>",
        revs,
        "--",
        _dir_spec(repo, spec_dir),
    )
    found = []
    for chunk in out.decode("utf-8", "replace").split("\0")[1:]:
        sha, _, patch = chunk.partition("\n")
        found.append((sha, touched_requirements(patch)))
    return found


def touched_requirements(patch: str) -> set[str]:
    """The requirements a commit's unified diff adds, removes or changes a line of.

    Per file pair, as `git log -G '\\*\\*ID\\*\\*|^[[:space:]]*>'` would select it for
    each ID: a requirement counts when a changed line belongs to it (its ID line, or an indented
    continuation or provenance line below it) and the pair's changed lines include its bold ID
    or some provenance line. So one log with a regex for *any* ID gives, for every requirement,
    the commits a log with its own ID would.
    """
    touched: set[str] = set()
    for pair in _PAIR_SPLIT.split(patch):
        owners, changed = _changed_lines(pair)
        if not owners:
            continue
        if any(_PROVENANCE_LINE.match(line) for line in changed):
            touched |= owners
        else:
            bold = {m.group(1) for line in changed for m in _BOLD_ID.finditer(line)}
            touched |= owners & bold
    return touched


def _changed_lines(pair: str) -> tuple[set[str], list[str]]:
    """The requirements owning a changed line of one file pair's hunks, and the changed lines."""
    in_hunk = False
    owner: dict[str, str | None] = {"-": None, "+": None}  # the current line's requirement
    owners: set[str] = set()
    changed: list[str] = []
    for line in pair.split("\n"):
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
        if mark != " ":
            changed.append(body)
            if owner[mark] is not None:
                owners.add(owner[mark])  # type: ignore[arg-type]
    return owners, changed
