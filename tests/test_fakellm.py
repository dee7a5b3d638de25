"""The scripted endpoint speaks the OpenAI protocol: proven with the real `ChatOpenAI` client.

Other tests trust `tests/fakellm.py` to behave like a real server (streaming deltas, tool calls,
usage, faults). These tests drive it with langchain-openai and the openai SDK as Charter does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

from tests.fakellm import FAKE_KEY, FakeLLM, ScriptedReply


class Weather(BaseModel):
    """Look up the weather for a city."""

    city: str
    days: int


def chat(server: FakeLLM, **kwargs: object) -> ChatOpenAI:
    """A ChatOpenAI configured the way Charter configures it, aimed at the fake server."""
    options: dict[str, object] = {
        "model": "fake-model",
        "base_url": server.base_url,
        "api_key": SecretStr(FAKE_KEY),
        "timeout": 5,
        "max_retries": 0,
        "use_responses_api": False,
        "stream_usage": True,
    }
    options.update(kwargs)
    return ChatOpenAI(**options)  # type: ignore[arg-type]


def stream_all(model: ChatOpenAI | object, text: str) -> AIMessageChunk:
    """Stream a reply and add the chunks together, as a UI would."""
    total: AIMessageChunk | None = None
    for piece in model.stream([HumanMessage(text)]):  # type: ignore[attr-defined]
        total = piece if total is None else total + piece
    assert total is not None
    return total


def test_invoke_returns_scripted_text_with_usage_and_records_request(llm: FakeLLM) -> None:
    llm.reply("hello there", usage=(11, 3))
    result = chat(llm).invoke([HumanMessage("hi SENTINEL-123")])
    assert result.content == "hello there"
    assert result.usage_metadata is not None
    assert result.usage_metadata["input_tokens"] == 11
    assert result.usage_metadata["output_tokens"] == 3
    assert llm.body(0)["model"] == "fake-model"
    assert llm.messages(0)[-1] == {"role": "user", "content": "hi SENTINEL-123"}
    assert "SENTINEL-123" in llm.requests_text()
    assert llm.chat_requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"


def test_stream_delivers_text_in_several_chunks_with_final_usage(llm: FakeLLM) -> None:
    llm.reply("a streamed answer of some length", usage=(20, 7))
    pieces = list(chat(llm).stream([HumanMessage("go")]))
    text_pieces = [p.content for p in pieces if p.content]
    assert len(text_pieces) >= 2
    assert "".join(text_pieces) == "a streamed answer of some length"
    merged = pieces[0]
    for piece in pieces[1:]:
        merged = merged + piece
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] == 20
    assert merged.usage_metadata["output_tokens"] == 7
    assert llm.body(0)["stream"] is True
    assert llm.body(0)["stream_options"] == {"include_usage": True}


def test_streamed_tool_call_arrives_whole_and_tools_are_recorded(llm: FakeLLM) -> None:
    llm.tool_call("Weather", {"city": "Oslo", "days": 3}, call_id="call_w1")
    model = chat(llm).bind_tools([Weather], tool_choice="Weather")
    total = stream_all(model, "weather?")
    assert total.tool_calls == [
        {
            "name": "Weather",
            "args": {"city": "Oslo", "days": 3},
            "id": "call_w1",
            "type": "tool_call",
        }
    ]
    assert llm.tool_names(0) == ["Weather"]
    assert llm.tools_sent(0)[0]["parameters"]["required"] == ["city", "days"]
    assert llm.tool_choice(0) == {"type": "function", "function": {"name": "Weather"}}


def test_several_tool_calls_in_one_message(llm: FakeLLM) -> None:
    llm.tool_calls(
        [("Weather", {"city": "Oslo", "days": 1}), ("Weather", {"city": "Rome", "days": 2})]
    )
    llm.tool_calls(
        [("Weather", {"city": "Lima", "days": 1}), ("Weather", {"city": "Bern", "days": 2})]
    )
    model = chat(llm).bind_tools([Weather])
    invoked = model.invoke([HumanMessage("two cities")])
    assert [c["args"]["city"] for c in invoked.tool_calls] == ["Oslo", "Rome"]
    streamed = stream_all(model, "two more")
    assert [c["args"]["city"] for c in streamed.tool_calls] == ["Lima", "Bern"]
    assert len({c["id"] for c in streamed.tool_calls}) == 2


def test_handler_answers_by_content_before_the_queue(llm: FakeLLM) -> None:
    def by_task(body: dict) -> ScriptedReply | None:
        text = json.dumps(body["messages"])
        for name in ("alpha", "beta", "gamma"):
            if f"task {name}" in text:
                return ScriptedReply.text(f"done {name}", delay=0.05)
        return None

    llm.handler(by_task)
    llm.reply("from the queue")
    model = chat(llm)
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(
                lambda n: model.invoke([HumanMessage(f"task {n}")]).content,
                ["alpha", "beta", "gamma"],
            )
        )
    assert answers == ["done alpha", "done beta", "done gamma"]
    assert model.invoke([HumanMessage("something else")]).content == "from the queue"
    assert llm.pending() == 0


def test_unscripted_request_fails_with_an_explanatory_500(llm: FakeLLM) -> None:
    llm.reply("only one")
    model = chat(llm, max_retries=2)
    model.invoke([HumanMessage("1")])
    with pytest.raises(openai.InternalServerError, match="no scripted reply for request 2"):
        model.invoke([HumanMessage("2")])
    assert len(llm.chat_requests) == 2  # not retried: the failure shows on the first attempt


def test_rate_limit_and_server_error_faults(llm: FakeLLM) -> None:
    llm.fault("429")
    llm.fault("500")
    with pytest.raises(openai.RateLimitError):
        chat(llm).invoke([HumanMessage("x")])
    with pytest.raises(openai.InternalServerError):
        chat(llm).invoke([HumanMessage("x")])


def test_client_retries_consume_repeated_faults(llm: FakeLLM) -> None:
    llm.fault("429", times=2)
    llm.reply("finally")
    assert chat(llm, max_retries=2).invoke([HumanMessage("x")]).content == "finally"
    assert len(llm.chat_requests) == 3


def test_timeout_fault_stalls_past_the_client_timeout(llm: FakeLLM) -> None:
    llm.fault("timeout", delay=5)
    with pytest.raises(openai.APITimeoutError):
        chat(llm, timeout=0.3).invoke([HumanMessage("x")])


def test_malformed_fault_sends_broken_tool_arguments(llm: FakeLLM) -> None:
    llm.fault("malformed")
    llm.fault("malformed")
    model = chat(llm).bind_tools([Weather])
    first = model.invoke([HumanMessage("x")])
    assert first.tool_calls == []
    assert first.invalid_tool_calls[0]["name"] == "Weather"
    # Streaming aggregation parses partial JSON leniently: what arrives is still not a Weather.
    second = stream_all(model, "y")
    calls = second.tool_calls or second.invalid_tool_calls
    assert calls[0]["name"] == "Weather"
    with pytest.raises(ValidationError):
        Weather.model_validate(calls[0]["args"])


@pytest.mark.parametrize("streaming", [False, True])
def test_cut_fault_breaks_the_response_mid_way(llm: FakeLLM, streaming: bool) -> None:
    llm.fault("cut")
    model = chat(llm, streaming=streaming)
    with pytest.raises(openai.APIConnectionError) as caught:
        model.invoke([HumanMessage("x")])
    causes = []
    error: BaseException | None = caught.value
    while error is not None:
        causes.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("peer closed connection" in cause for cause in causes)


@pytest.mark.parametrize("streaming", [False, True])
def test_empty_fault_is_an_empty_message(llm: FakeLLM, streaming: bool) -> None:
    llm.fault("empty")
    result = chat(llm, streaming=streaming).invoke([HumanMessage("x")])
    assert result.content == "" and result.tool_calls == []


def test_models_listing_and_unversioned_path(llm: FakeLLM) -> None:
    client = openai.OpenAI(base_url=llm.base_url, api_key=FAKE_KEY, max_retries=0)
    assert [m.id for m in client.models.list()] == ["fake-model"]
    llm.reply("no v1 prefix")
    root = llm.base_url.removesuffix("/v1")
    assert chat(llm, base_url=root).invoke([HumanMessage("x")]).content == "no v1 prefix"
    assert llm.chat_requests[-1].path == "/chat/completions"


def test_subprocesses_reach_the_server_through_env(llm: FakeLLM) -> None:
    env = llm.env()
    assert env["OPENAI_API_KEY"] == FAKE_KEY and env["CHARTER_MODEL"] == "fake-model"
    llm.reply("from a child process")
    code = (
        "import os, openai\n"
        "c = openai.OpenAI(max_retries=0)\n"
        "r = c.chat.completions.create(model=os.environ['CHARTER_MODEL'],"
        " messages=[{'role': 'user', 'content': 'hi'}])\n"
        "print(r.choices[0].message.content)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "from a child process"


def test_response_format_is_recorded(llm: FakeLLM) -> None:
    llm.reply('{"city": "Oslo", "days": 2}')
    model = chat(llm).with_structured_output(Weather, method="json_schema")
    assert model.invoke([HumanMessage("x")]) == Weather(city="Oslo", days=2)
    fmt = llm.response_format(0)
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Weather"
