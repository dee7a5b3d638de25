"""`charter build --remote URL` (or `[build] remote`): the CLI side of builds on LangGraph Server.

The build itself is `graphs.build.remote`; this module only turns the workspace's settings into
what it needs: the server URL, the bearer token from the environment variable `[build]
remote_token_env` names, and the `[build]` settings the server honours.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from charter.app.commands.common import fail

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from charter.app.config import BuildSettings
    from charter.graphs.build import BuildEvent, BuildOutcome, BuildRequest


def remote_of(
    builds_dir: Path,
    *,
    resume: str | None,
    replay: str | None,
    remote: str | None,
    settings: BuildSettings,
) -> str | None:
    """The server a build runs on: the one a resumed remote build ran on, else `--remote`, else
    `[build] remote` (None: a local build; a replay always answers from the local cache)."""
    from charter.graphs.build import remote_link

    if resume:
        link = remote_link(builds_dir, resume)
        return link.url if link is not None else None
    if replay:
        return None
    return remote or settings.remote


def run_remote(
    request: BuildRequest, url: str, settings: BuildSettings, on_event: Callable[[BuildEvent], None]
) -> BuildOutcome:
    """Run (or resume) `request` on the build server at `url`."""
    from charter.graphs.build import RemoteServer, resume_remote_build, run_remote_build

    token = os.environ.get(settings.token_env, "").strip()
    if not token:
        raise fail(
            f"set {settings.token_env} to the build server's token "
            "([build] remote_token_env names the variable)",
            2,
        )
    server = RemoteServer(url=url, token=token)
    if request.resume:
        return resume_remote_build(request, server, on_event)
    return run_remote_build(request, server, on_event)
