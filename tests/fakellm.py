"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1: the one fake in the suite.

The real `ChatOpenAI` (and any `charter` subprocess) talks to it over a real socket. Replies come
from a script: a FIFO queue (`reply`, `tool_call`, `tool_calls`, `fault`) and optional handlers
(`handler(fn)`) consulted first, so tests that run model calls in parallel can answer by content.
Every request is recorded (path, headers, parsed body) so tests can assert what was actually sent.

Streaming (`stream: true`) follows OpenAI's SSE shape: a role chunk, content deltas split into a
few chunks, tool-call deltas (index, id and name first, then argument fragments), a finish chunk,
a usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`.

Faults: `timeout` stalls (a hang), `401`/`429`/`500` are error statuses (`retry-after` is a 429
whose `Retry-After` header asks for `delay` whole seconds), `malformed` sends broken tool-call
JSON, `cut` drops the connection mid-chunk, `truncated` ends the stream cleanly half-way (no
finish reason, no `[DONE]`: what a proxy that gives up sends), `empty` is a reply with nothing in
it, and `html` answers 200 with an HTML page (a misconfigured proxy or base URL).

Note that timeouts, 429 and 5xx are retried `max_retries` times (by Charter's `agents.retry`, or
by a bare OpenAI client): each retry consumes the next scripted reply (use `times=` on `fault`,
or configure `max_retries=0`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

FAKE_KEY = "sk-test-SECRET-f4k3l1m-9c2e7a"
"""The dummy API key `env()` hands out: distinctive, so tests can search files for it."""

FAKE_MODEL = "fake-model"
FAULTS = (
    "timeout",
    "401",
    "429",
    "500",
    "malformed",
    "cut",
    "truncated",
    "empty",
    "html",
    "retry-after",
)
FaultKind = Literal[
    "timeout", "401", "429", "500", "malformed", "cut", "truncated", "empty", "html", "retry-after"
]
DEFAULT_TIMEOUT_DELAY = 10.0
# Client retries of scripted faults happen at once (1 ms) instead of after a backoff; an
# unscripted request is not retried at all, so its error surfaces on the first attempt.
QUICK_RETRY = {"retry-after": "0", "retry-after-ms": "1"}
NO_RETRY = {"x-should-retry": "false"}
MALFORMED_ARGS = '{"title": "unterminated, "items": [1, 2'
CUT_TEXT = "Sure: I will add that requirement to the Ingest section of the spec right away."
"""What a `cut` or `truncated` fault starts to say before the connection ends."""
HTML_BODY = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n"


@dataclass(frozen=True)
class ToolCallSpec:
    """One scripted tool call: its id, function name and raw JSON argument text."""

    id: str
    name: str
    arguments: str


@dataclass
class ScriptedReply:
    """One scripted response: assistant text, tool calls, or a fault; optional latency."""

    content: str = ""
    calls: list[ToolCallSpec] = field(default_factory=list)
    fault_kind: FaultKind | None = None
    usage: tuple[int, int] | None = None
    delay: float = 0.0
    fault_delay: float = DEFAULT_TIMEOUT_DELAY

    @classmethod
    def text(
        cls, content: str, *, usage: tuple[int, int] | None = None, delay: float = 0.0
    ) -> ScriptedReply:
        """A plain assistant message."""
        return cls(content=content, usage=usage, delay=delay)

    @classmethod
    def tools(
        cls,
        calls: list[tuple[str, dict[str, Any] | str]] | list[tuple[str, dict[str, Any] | str, str]],
        *,
        content: str = "",
        usage: tuple[int, int] | None = None,
        delay: float = 0.0,
    ) -> ScriptedReply:
        """An assistant message with tool calls: `(name, args)` or `(name, args, call_id)`."""
        specs = []
        for index, call in enumerate(calls):
            name, args = call[0], call[1]
            call_id = call[2] if len(call) > 2 else None  # type: ignore[misc]
            specs.append(_tool_spec(name, args, call_id, index))
        return cls(content=content, calls=specs, usage=usage, delay=delay)

    @classmethod
    def fault(
        cls, kind: FaultKind, *, delay: float = 0.0, timeout_delay: float = DEFAULT_TIMEOUT_DELAY
    ) -> ScriptedReply:
        """A scripted failure; `timeout_delay` is how long a `timeout` fault stalls."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULTS}")
        return cls(fault_kind=kind, delay=delay, fault_delay=timeout_delay)


def _tool_spec(
    name: str, args: dict[str, Any] | str, call_id: str | None, index: int
) -> ToolCallSpec:
    """Build a ToolCallSpec; dict args are serialised, str args are sent as-is (maybe broken)."""
    raw = args if isinstance(args, str) else json.dumps(args)
    return ToolCallSpec(id=call_id or f"call_fake_{index}_{name}", name=name, arguments=raw)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    """When it arrived (`time.monotonic()`), to time how long a client kept trying."""


Handler = Callable[[dict[str, Any]], ScriptedReply | None]


class _Server(ThreadingHTTPServer):
    """The HTTP server, quiet about clients that hang up (timeouts and cut streams do)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore connection resets and broken pipes; report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FakeLLM:
    """The scripted server: start it, queue replies, point clients at `base_url`."""

    def __init__(self) -> None:
        """Prepare an unstarted server; call `start()` (or use it as a context manager)."""
        self._lock = threading.Lock()
        self._queue: deque[ScriptedReply] = deque()
        self._handlers: list[Handler] = []
        self._requests: list[RecordedRequest] = []
        self._chat_count = 0
        self._connections = 0
        self.closing = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeLLM:
        """Bind a random loopback port and serve in a daemon thread."""
        httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._port = int(httpd.server_address[1])
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fakellm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; stalled `timeout` faults are released."""
        self.closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLM:
        """Start on entering a `with` block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a `with` block."""
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (still known after `stop()`)."""
        assert self._port is not None, "fakellm not started"
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`, the value for OPENAI_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def env(self, model: str = FAKE_MODEL) -> dict[str, str]:
        """Environment variables that point a `charter` subprocess at this server."""
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": FAKE_KEY,
            "CHARTER_MODEL": model,
        }

    # -- scripting -----------------------------------------------------------------------------

    def script(self, *replies: ScriptedReply) -> None:
        """Queue ready-made ScriptedReply objects in order."""
        with self._lock:
            self._queue.extend(replies)

    def reply(self, text: str, *, usage: tuple[int, int] | None = None, delay: float = 0.0) -> None:
        """Queue a plain assistant message; `usage` is (prompt_tokens, completion_tokens)."""
        self.script(ScriptedReply.text(text, usage=usage, delay=delay))

    def tool_call(
        self,
        name: str,
        args: dict[str, Any] | str,
        *,
        call_id: str | None = None,
        content: str = "",
        usage: tuple[int, int] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue an assistant message with one tool call (str args are sent verbatim)."""
        spec = _tool_spec(name, args, call_id, 0)
        self.script(ScriptedReply(content=content, calls=[spec], usage=usage, delay=delay))

    def tool_calls(
        self,
        calls: list[tuple[str, dict[str, Any] | str]],
        *,
        content: str = "",
        usage: tuple[int, int] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue one assistant message carrying several tool calls."""
        self.script(ScriptedReply.tools(calls, content=content, usage=usage, delay=delay))

    def fault(
        self, kind: FaultKind, *, times: int = 1, delay: float = DEFAULT_TIMEOUT_DELAY
    ) -> None:
        """Queue a fault `times` times (client retries consume one each); `delay` for timeout."""
        for _ in range(times):
            self.script(ScriptedReply.fault(kind, timeout_delay=delay))

    def handler(self, fn: Handler) -> Handler:
        """Install `fn(body) -> ScriptedReply | None`, consulted in install order before the queue.

        Returns `fn`, so it can be used as a decorator.
        """
        with self._lock:
            self._handlers.append(fn)
        return fn

    def pending(self) -> int:
        """How many queued replies have not been used yet."""
        with self._lock:
            return len(self._queue)

    # -- inspection ----------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """How many TCP connections clients opened so far (keep-alive reuses one)."""
        with self._lock:
            return self._connections

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat-completion requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def body(self, i: int = -1) -> dict[str, Any]:
        """The parsed JSON body of chat request `i` (negative indexes count from the end)."""
        return self.chat_requests[i].body

    def messages(self, i: int = -1) -> list[dict[str, Any]]:
        """The `messages` list of chat request `i`."""
        return list(self.body(i).get("messages", []))

    def requests_text(self) -> str:
        """Every request body as text, concatenated: for "this string was never sent" checks."""
        return "\n".join(json.dumps(r.body, ensure_ascii=False) for r in self.requests)

    def tools_sent(self, i: int = -1) -> list[dict[str, Any]]:
        """The function definitions (name, description, parameters) sent in chat request `i`."""
        return [t.get("function", t) for t in self.body(i).get("tools", []) or []]

    def tool_names(self, i: int = -1) -> list[str]:
        """Just the tool names sent in chat request `i`."""
        return [t.get("name", "") for t in self.tools_sent(i)]

    def tool_choice(self, i: int = -1) -> Any:
        """The `tool_choice` sent in chat request `i` (None when absent)."""
        return self.body(i).get("tool_choice")

    def response_format(self, i: int = -1) -> Any:
        """The `response_format` sent in chat request `i` (None when absent)."""
        return self.body(i).get("response_format")

    # -- serving (called from handler threads) -------------------------------------------------

    def _record(self, req: RecordedRequest) -> int:
        """Record a request; return its 1-based chat sequence number (0 for non-chat)."""
        with self._lock:
            self._requests.append(req)
            if req.path.endswith("/chat/completions"):
                self._chat_count += 1
                return self._chat_count
            return 0

    def _next_reply(self, body: dict[str, Any]) -> ScriptedReply | None:
        """Consult the handlers, then the queue."""
        with self._lock:
            handlers = list(self._handlers)
        for fn in handlers:
            found = fn(body)
            if found is not None:
                return found
        with self._lock:
            return self._queue.popleft() if self._queue else None


def default_usage(body: dict[str, Any], reply: ScriptedReply) -> tuple[int, int]:
    """Deterministic token counts: a quarter of the characters sent / produced."""
    prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
    produced = len(reply.content) + sum(len(c.name) + len(c.arguments) for c in reply.calls)
    return prompt, max(1, produced // 4)


def _split(text: str, parts: int = 3) -> list[str]:
    """Split text into up to `parts` non-empty pieces, as a streaming model would."""
    if not text:
        return []
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


class _RequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler: JSON for plain requests, chunked SSE for streams."""

    protocol_version = "HTTP/1.1"
    server_version = "fakellm/1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body then waits
    # for the client's delayed ACK (~40 ms a reply), a latency no real server adds.
    disable_nagle_algorithm = True

    @property
    def fake(self) -> FakeLLM:
        """The owning FakeLLM."""
        return self.server.fake  # type: ignore[attr-defined]

    def setup(self) -> None:
        """Count the connection, then set up as usual."""
        with self.fake._lock:
            self.fake._connections += 1
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: pytest output is for test failures."""

    def _headers(self) -> dict[str, str]:
        """The request headers, names lower-cased."""
        return {key.lower(): value for key, value in self.headers.items()}

    # -- routing -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        """`GET /v1/models`: one fake model."""
        self.fake._record(RecordedRequest("GET", self.path, self._headers(), {}))
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "fakellm"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, f"fakellm: no route for GET {self.path}", "not_found")

    def do_POST(self) -> None:
        """`POST /v1/chat/completions` (or `/chat/completions`): the scripted reply."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_unparsed": raw.decode(errors="replace")}
        n = self.fake._record(RecordedRequest("POST", self.path, self._headers(), body))
        if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            self._send_error(404, f"fakellm: no route for POST {self.path}", "not_found")
            return
        try:
            reply = self.fake._next_reply(body)
        except Exception as exc:  # a broken test handler should fail loudly, not hang
            self._send_error(
                500, f"fakellm: handler raised {exc!r} for request {n}", "server_error", NO_RETRY
            )
            return
        if reply is None:
            self._send_error(
                500, f"fakellm: no scripted reply for request {n}", "server_error", NO_RETRY
            )
            return
        if reply.delay and self.fake.closing.wait(reply.delay):
            return
        self._answer(n, body, reply)

    # -- replies -------------------------------------------------------------------------------

    def _answer(self, n: int, body: dict[str, Any], reply: ScriptedReply) -> None:
        """Send a reply or act out its fault."""
        stream = bool(body.get("stream"))
        kind = reply.fault_kind
        if kind == "timeout":
            self.fake.closing.wait(reply.fault_delay)
            self.close_connection = True
            return
        if kind == "401":  # echo the key back, as careless servers do: callers must mask it
            key = self.headers.get("authorization", "").removeprefix("Bearer ")
            self._send_error(401, f"Incorrect API key provided: {key}", "invalid_api_key")
            return
        if kind == "retry-after":
            self._send_error(
                429,
                "Rate limit reached (fakellm)",
                "rate_limit_exceeded",
                headers={"retry-after": str(round(reply.fault_delay))},
            )
            return
        if kind == "html":
            self._send_bytes(200, HTML_BODY, "text/html; charset=utf-8")
            return
        if kind == "429":
            self._send_error(
                429,
                "Rate limit reached (fakellm)",
                "rate_limit_exceeded",
                headers=QUICK_RETRY,
            )
            return
        if kind == "500":
            self._send_error(
                500, "fakellm: scripted internal server error", "server_error", QUICK_RETRY
            )
            return
        if kind == "malformed":
            tools = [t.get("function", t) for t in body.get("tools", []) or []]
            name = tools[0].get("name", "tool") if tools else "tool"
            reply = ScriptedReply(calls=[ToolCallSpec(f"call_fake_bad_{n}", name, MALFORMED_ARGS)])
        elif kind == "empty":
            reply = ScriptedReply(content="")
        elif kind in ("cut", "truncated") and not reply.content and not reply.calls:
            reply = ScriptedReply(content=CUT_TEXT)
        usage = reply.usage or default_usage(body, reply)
        if stream:
            self._stream(n, body, reply, usage, cut=kind == "cut", truncated=kind == "truncated")
        else:
            self._complete(n, body, reply, usage, cut=kind in ("cut", "truncated"))

    def _complete(
        self,
        n: int,
        body: dict[str, Any],
        reply: ScriptedReply,
        usage: tuple[int, int],
        *,
        cut: bool,
    ) -> None:
        """A non-streaming `chat.completion` object."""
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in reply.calls
            ]
        elif not reply.content:
            message["content"] = ""
        payload = {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", FAKE_MODEL),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if reply.calls else "stop",
                }
            ],
            "usage": _usage(usage),
        }
        data = json.dumps(payload).encode()
        if cut:  # promise the whole body, deliver half, hang up
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send_bytes(200, data, "application/json")

    def _stream(
        self,
        n: int,
        body: dict[str, Any],
        reply: ScriptedReply,
        usage: tuple[int, int],
        *,
        cut: bool,
        truncated: bool = False,
    ) -> None:
        """A chunked SSE stream of `chat.completion.chunk` objects."""
        base = {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", FAKE_MODEL),
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            """One chunk with a single choice."""
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**base, "choices": [choice]}

        events: list[dict[str, Any]] = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in _split(reply.content)]
        for index, call in enumerate(reply.calls):
            head = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            events.append(chunk({"tool_calls": [head]}))
            events += [
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in _split(call.arguments)
            ]
        events.append(chunk({}, "tool_calls" if reply.calls else "stop"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage:
            events.append({**base, "choices": [], "usage": _usage(usage)})

        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        if cut:  # a couple of events, then the connection drops without [DONE] or the last chunk
            for event in events[:2]:
                self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b'40\r\ndata: {"id": "chatcmpl-cut')
            self.wfile.flush()
            self.close_connection = True
            return
        if truncated:  # half the events, then a clean end of the body: no finish, no [DONE]
            for event in events[: max(2, len(events) // 2)]:
                self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True
            return
        for event in events:
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- low-level -----------------------------------------------------------------------------

    def _write_chunk(self, data: bytes) -> None:
        """Write one HTTP/1.1 chunk."""
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_bytes(
        self, status: int, data: bytes, ctype: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a complete response with a content-length."""
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a JSON response."""
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_error(
        self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send an OpenAI-style error body."""
        error = {"message": message, "type": code, "param": None, "code": code}
        self._send_json(status, {"error": error}, headers)


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    """The OpenAI usage object."""
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A started scripted server, stopped after the test."""
    server = FakeLLM().start()
    try:
        yield server
    finally:
        server.stop()
