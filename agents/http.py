"""The HTTP client that every model's synchronous calls share, so streamed calls keep their
connection.

openai's synchronous `Stream` stops reading at the `[DONE]` event and closes the response before
the last chunk of the chunked body has arrived, and httpcore drops a connection whose response was
not read to its end. So every streamed call (each step of the scribe's tool loop) opened a new
connection: a new TCP and TLS handshake with a remote endpoint. openai's async stream drains the
rest of the body first on HTTP/1.1; `KeepAliveClient` does the same for synchronous streams,
bounded in time and bytes, and the connection goes back to the pool. Async calls (the builder's)
keep langchain-openai's own client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import openai

DRAIN_S = 0.25
"""How long closing a stream waits for the end of its body (a server sends it right away)."""
DRAIN_BYTES = 64 * 1024
"""How much of an unread body closing a stream reads at most (an abandoned stream: more)."""


class _DrainingStream(httpx2.SyncByteStream):
    """A response body that, closed before its end, reads the (short) rest first."""

    def __init__(self, inner: httpx2.SyncByteStream, request: httpx2.Request) -> None:
        """Wrap `inner`, the body of the response to `request`."""
        self._inner = inner
        self._request = request
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        """The body's bytes, noting when the end was read."""
        yield from self._inner
        self._done = True

    def close(self) -> None:
        """Drain what is left (so the connection can be reused), then close."""
        if not self._done:
            self._drain()
        self._inner.close()

    def _drain(self) -> None:
        """Read the rest of the body with a short read timeout; give up quietly past the bounds.

        The request's `timeout` extension is read afresh by each read of the body, so shortening
        it here bounds the wait; a failure only means the connection is not reused."""
        timeouts = dict(self._request.extensions.get("timeout") or {})
        timeouts["read"] = DRAIN_S
        self._request.extensions["timeout"] = timeouts
        left = DRAIN_BYTES
        try:
            for chunk in self._inner:
                left -= len(chunk)
                if left < 0:
                    return
        except (httpx2.HTTPError, httpx2.StreamError):
            return


class KeepAliveClient(openai.DefaultHttpxClient):
    """openai's default sync client whose streamed responses drain on close (see the module)."""

    def send(self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any) -> Any:
        """Send as usual; a streamed HTTP/1.1 body is wrapped to drain when closed early."""
        response = super().send(request, stream=stream, **kwargs)
        if stream and response.http_version == "HTTP/1.1":
            response.stream = _DrainingStream(response.stream, request)
        return response
