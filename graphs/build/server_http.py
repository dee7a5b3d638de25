"""The HTTP side of Charter's build server: bearer-token auth for every route, and the artefacts.

`auth` (langgraph.json `auth.path`) accepts a request only with `Authorization: Bearer <token>`
where the token equals `$CHARTER_SERVER_TOKEN`; a server without a token refuses everything
(fail closed). `app` (`http.app`, with `enable_custom_route_auth`, so the same check guards it)
serves `GET /charter/threads/<thread>/artefacts`: the thread's build directory and its cache
entries as one gzip tarball (`remote_wire.pack_artefacts`).
"""

from __future__ import annotations

import hmac
import os

from langgraph_sdk import Auth
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter.graphs.build.remote_wire import ARTEFACTS_PATH, TOKEN_ENV, pack_artefacts

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """Accept only the server's bearer token (compared in constant time)."""
    expected = os.environ.get(TOKEN_ENV, "")
    scheme, _, token = (authorization or "").partition(" ")
    if not expected:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail=f"the server has no token: set {TOKEN_ENV} on the server"
        )
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise Auth.exceptions.HTTPException(status_code=401, detail="missing or wrong token")
    return {"identity": "charter-client"}


async def artefacts(request: Request) -> Response:
    """The thread's build directory and cache entries as a gzip tarball (404 before a build)."""
    data = await run_in_threadpool(_pack, request.path_params["thread_id"])
    if data is None:
        return JSONResponse({"detail": "no build on this thread"}, status_code=404)
    return Response(data, media_type="application/gzip")


def _pack(thread_id: str) -> bytes | None:
    """The artefact archive of a thread's build, or None (no such thread, or no build yet)."""
    from charter.graphs.build.server import thread_build, thread_dir

    try:
        build_root = thread_build(thread_id)
    except ValueError:
        return None
    if build_root is None:
        return None
    return pack_artefacts(build_root, thread_dir(thread_id) / "cache")


app = Starlette(routes=[Route(ARTEFACTS_PATH, artefacts, methods=["GET"])])
