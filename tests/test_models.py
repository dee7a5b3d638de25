"""The model boundary: factory precedence, what is actually sent, faults, usage, repairs, docs.

Every test drives the real `ChatOpenAI` built by `agents.ModelFactory` against the scripted
server in `tests/fakellm.py` and asserts on what the server received or what the user would read.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from charter.agents import (
    ModelCallError,
    ModelConfigError,
    ModelFactory,
    ModelSettings,
    StructuredMethod,
    acall_model,
    ainvoke_structured,
    call_model,
    invoke_structured,
    read_usage,
)
from charter.app.config import Config
from tests.fakellm import FAKE_KEY, FakeLLM

ROOT = Path(__file__).resolve().parent.parent
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)


class Verdict(BaseModel):
    """Whether a requirement is satisfied."""

    requirement: str = Field(pattern=r"^REQ-\d+$")
    satisfied: bool
    reason: str


GOOD = {"requirement": "REQ-1", "satisfied": True, "reason": "tested"}


def settings(**values: object) -> ModelSettings:
    """ModelSettings as `charter.toml` would give them."""
    return ModelSettings.model_validate(values)


def factory(server: FakeLLM, tmp_path: Path, **values: object) -> ModelFactory:
    """A factory pointed at the fake server through the environment, as a user would."""
    values.setdefault("max_retries", 0)
    return ModelFactory(settings(**values), env=server.env(), usage_db=tmp_path / "state.db")


def ask(model: object) -> str:
    """One plain call; the reply text."""
    return call_model(model, [HumanMessage("hello")]).text


# -- precedence ---------------------------------------------------------------------------------


def test_file_values_apply_when_the_environment_is_silent(llm: FakeLLM, tmp_path: Path) -> None:
    llm.reply("ok")
    models = ModelFactory(settings(name="file-model", base_url=llm.base_url), env={})
    assert ask(models.chat("scribe")) == "ok"
    assert llm.body()["model"] == "file-model"
    assert llm.chat_requests[-1].headers["authorization"] == "Bearer not-needed"


def test_environment_beats_file_and_role_override_beats_environment(
    llm: FakeLLM, tmp_path: Path
) -> None:
    with FakeLLM() as coder_server:
        models = ModelFactory(
            settings(
                name="file-model",
                base_url="http://127.0.0.1:9/v1",
                roles={"coder": {"name": "coder-model", "base_url": coder_server.base_url}},
            ),
            env=llm.env(model="env-model"),
        )
        llm.reply("from env server")
        coder_server.reply("from coder server")
        assert ask(models.chat("scribe")) == "from env server"
        assert ask(models.chat("coder")) == "from coder server"
        assert llm.body()["model"] == "env-model"
        assert coder_server.body()["model"] == "coder-model"
    resolved = models.resolve("coder")
    assert (resolved.name, resolved.base_url) == ("coder-model", coder_server.base_url)
    assert models.resolve("auditor").name == "env-model"


def test_role_key_variable_is_the_one_sent(llm: FakeLLM) -> None:
    llm.reply("ok")
    env = {"OPENAI_BASE_URL": llm.base_url, "CHARTER_MODEL": "m", "ROUTER_KEY": "sk-router-123456"}
    models = ModelFactory(settings(roles={"planner": {"api_key_env": "ROUTER_KEY"}}), env=env)
    ask(models.chat("planner"))
    assert llm.chat_requests[-1].headers["authorization"] == "Bearer sk-router-123456"
    assert models.resolve("planner").has_key and not models.resolve("scribe").has_key


def test_resolved_model_never_carries_the_key(llm: FakeLLM, tmp_path: Path) -> None:
    resolved = factory(llm, tmp_path).resolve("scribe")
    assert resolved.has_key
    assert FAKE_KEY not in resolved.model_dump_json()
    assert FAKE_KEY not in repr(factory(llm, tmp_path).chat("scribe"))


def test_missing_model_name_is_one_clear_sentence() -> None:
    with pytest.raises(ModelConfigError) as caught:
        ModelFactory(settings(), env={}).chat("scribe")
    assert caught.value.user_message == (
        "No model configured: set CHARTER_MODEL or [model] name in charter.toml."
    )


def test_missing_key_for_openai_itself_says_what_to_set() -> None:
    with pytest.raises(ModelConfigError) as caught:
        ModelFactory(settings(), env={"CHARTER_MODEL": "gpt-4.1-mini"}).chat("scribe")
    assert caught.value.user_message == (
        "OPENAI_API_KEY is not set: export it, or set OPENAI_BASE_URL to a local "
        "OpenAI-compatible server."
    )


def test_unknown_role_is_refused(llm: FakeLLM, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown model role 'writer'"):
        factory(llm, tmp_path).chat("writer")


# -- what is sent -------------------------------------------------------------------------------


def test_chat_completions_api_with_streamed_usage_and_temperature(
    llm: FakeLLM, tmp_path: Path
) -> None:
    llm.reply("streamed")
    llm.reply("plain")
    models = factory(llm, tmp_path, roles={"coder": {"temperature": 0.2}})
    chunks = list(models.chat("scribe").stream([HumanMessage("hi")]))
    assert "".join(c.text for c in chunks) == "streamed"
    ask(models.chat("coder"))
    first, second = llm.chat_requests
    assert first.path == second.path == "/v1/chat/completions"
    assert first.body["stream_options"] == {"include_usage": True}
    assert "temperature" not in first.body
    assert second.body["temperature"] == 0.2


def test_retry_count_is_applied(llm: FakeLLM, tmp_path: Path) -> None:
    llm.fault("500", times=2)
    llm.reply("third time lucky")
    assert ask(factory(llm, tmp_path, max_retries=2).chat("scribe")) == "third time lucky"
    assert len(llm.chat_requests) == 3
    llm.fault("500", times=2)
    with pytest.raises(ModelCallError):
        ask(factory(llm, tmp_path, max_retries=0).chat("scribe"))
    assert len(llm.chat_requests) == 4
    assert llm.pending() == 1


def test_timeout_is_applied_and_explained(llm: FakeLLM, tmp_path: Path) -> None:
    llm.fault("timeout", delay=30)
    with pytest.raises(ModelCallError) as caught:
        ask(factory(llm, tmp_path, timeout=0.5).chat("scribe"))
    assert caught.value.kind == "timeout"
    assert caught.value.user_message == (
        f"The model endpoint {llm.base_url} did not answer within 0.5 s: check that the server "
        "is up, or raise [model] timeout in charter.toml."
    )


# -- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "kind", "says"),
    [
        ("429", "rate_limit", "is rate-limiting requests (HTTP 429: Rate limit reached (fakellm))"),
        ("500", "server", "failed (HTTP 500: fakellm: scripted internal server error)"),
        ("401", "auth", "rejected the API key (HTTP 401: Incorrect API key provided: ***)"),
        ("cut", "cut", "closed the connection in the middle of its reply"),
        ("empty", "empty", "sent an empty reply"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
def test_each_fault_is_one_sentence_naming_the_endpoint(
    llm: FakeLLM, tmp_path: Path, fault: str, kind: str, says: str, streaming: bool
) -> None:
    llm.fault(fault)  # type: ignore[arg-type]
    with pytest.raises(ModelCallError) as caught:
        ask(factory(llm, tmp_path).chat("scribe", streaming=streaming))
    message = caught.value.user_message
    assert caught.value.kind == kind
    assert says in message and llm.base_url in message
    assert message.endswith(".") and "\n" not in message
    assert FAKE_KEY not in message and FAKE_KEY not in str(caught.value)


def test_tool_bound_models_go_through_the_same_checks(llm: FakeLLM, tmp_path: Path) -> None:
    llm.tool_call("Verdict", GOOD)
    llm.fault("empty")
    model = factory(llm, tmp_path).chat("scribe").bind_tools([Verdict])
    assert call_model(model, [HumanMessage("judge")]).tool_calls[0]["args"] == GOOD
    with pytest.raises(ModelCallError, match="sent an empty reply"):
        call_model(model, [HumanMessage("judge")])
    assert llm.tool_names(1) == ["Verdict"]


def test_unreachable_endpoint_says_to_check_the_base_url(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    models = ModelFactory(
        settings(max_retries=0), env={"OPENAI_BASE_URL": url, "CHARTER_MODEL": "m"}
    )
    with pytest.raises(ModelCallError) as caught:
        ask(models.chat("scribe"))
    assert caught.value.user_message == (
        f"Cannot reach the model endpoint {url}: is the server running? Check OPENAI_BASE_URL."
    )


def test_credentials_in_the_base_url_are_never_shown(tmp_path: Path) -> None:
    """A user:password or ?api-key= in OPENAI_BASE_URL stays out of the error a user reads."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://alice:pa55word@127.0.0.1:{port}/v1?api-key=qwerty"
    models = ModelFactory(
        settings(max_retries=0), env={"OPENAI_BASE_URL": url, "CHARTER_MODEL": "m"}
    )
    assert models.resolve("scribe").endpoint == f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ModelCallError) as caught:
        ask(models.chat("scribe"))
    message = caught.value.user_message
    assert f"127.0.0.1:{port}" in message
    assert "pa55word" not in message and "qwerty" not in message and "alice" not in message


def test_malformed_tool_arguments_are_explained_when_no_repair_is_left(
    llm: FakeLLM, tmp_path: Path
) -> None:
    llm.fault("malformed")
    with pytest.raises(ModelCallError) as caught:
        invoke_structured(
            factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("judge")], repairs=0
        )
    assert caught.value.kind == "schema"
    assert caught.value.user_message.startswith(
        f"The model's reply did not match the expected format after 1 attempts ({llm.base_url}): "
        "the arguments are not valid JSON"
    )


# -- usage --------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
def test_usage_rows_carry_the_servers_numbers_and_cost(
    llm: FakeLLM, tmp_path: Path, streaming: bool
) -> None:
    llm.reply("one", usage=(1000, 200))
    llm.tool_call("Verdict", GOOD, usage=(3000, 100))
    models = factory(llm, tmp_path, prices={"fake-model": {"input": 2.0, "output": 10.0}})
    ask(models.chat("scribe", context="session-7", streaming=streaming))
    invoke_structured(models.chat("auditor"), Verdict, [HumanMessage("judge")])
    rows = read_usage(tmp_path / "state.db")
    assert [(r.role, r.model, r.prompt_tokens, r.completion_tokens, r.total) for r in rows] == [
        ("scribe", "fake-model", 1000, 200, 1200),
        ("auditor", "fake-model", 3000, 100, 3100),
    ]
    assert rows[0].context == "session-7" and rows[1].context is None
    assert rows[0].cost == pytest.approx((1000 * 2.0 + 200 * 10.0) / 1e6)
    summary = models.usage_summary()
    assert (summary.calls, summary.total_tokens) == (2, 4300)
    assert summary.cost == pytest.approx(0.004 + 0.007)
    assert models.usage_summary(since=rows[1].ts).calls == 1
    assert models.usage_summary(context="session-7").total_tokens == 1200
    assert FAKE_KEY.encode() not in (tmp_path / "state.db").read_bytes()


def test_cost_is_unknown_without_prices(llm: FakeLLM, tmp_path: Path) -> None:
    llm.reply("x", usage=(10, 5))
    models = factory(llm, tmp_path)
    ask(models.chat("coder"))
    assert read_usage(tmp_path / "state.db")[0].cost is None
    assert models.usage_summary().cost is None
    assert models.usage_summary().total_tokens == 15


# -- structured output and repairs --------------------------------------------------------------


def test_function_calling_forces_the_schema_tool(llm: FakeLLM, tmp_path: Path) -> None:
    llm.tool_call("Verdict", GOOD)
    verdict = invoke_structured(
        factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("judge REQ-1")]
    )
    assert verdict == Verdict(**GOOD)
    assert llm.tool_names(0) == ["Verdict"]
    assert llm.tool_choice(0) == {"type": "function", "function": {"name": "Verdict"}}
    assert llm.response_format(0) is None


@pytest.mark.parametrize(
    ("method", "expected_type"),
    [(StructuredMethod.JSON_SCHEMA, "json_schema"), (StructuredMethod.JSON_MODE, "json_object")],
)
def test_json_methods_send_a_response_format(
    llm: FakeLLM, tmp_path: Path, method: StructuredMethod, expected_type: str
) -> None:
    llm.reply('{"requirement": "REQ-1", "satisfied": true, "reason": "tested"}')
    models = factory(llm, tmp_path, roles={"auditor": {"structured_output": method.value}})
    verdict = invoke_structured(
        models.chat("auditor"),
        Verdict,
        [SystemMessage("Reply in JSON."), HumanMessage("judge REQ-1")],
    )
    assert verdict == Verdict(**GOOD)
    assert llm.response_format(0)["type"] == expected_type
    assert llm.tool_names(0) == []


def test_a_reply_failing_the_schema_is_sent_back_with_the_error(
    llm: FakeLLM, tmp_path: Path
) -> None:
    llm.tool_call("Verdict", {"requirement": "R1", "satisfied": True}, call_id="call_bad")
    llm.tool_call("Verdict", GOOD)
    verdict = invoke_structured(
        factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("judge REQ-1")]
    )
    assert verdict == Verdict(**GOOD)
    resent = llm.messages(1)
    assert resent[1]["role"] == "assistant"
    assert resent[1]["tool_calls"][0]["id"] == "call_bad"
    feedback = resent[2]
    assert feedback["role"] == "tool" and feedback["tool_call_id"] == "call_bad"
    assert "requirement: String should match pattern" in feedback["content"]
    assert "reason: Field required" in feedback["content"]
    assert llm.tool_choice(1) == {"type": "function", "function": {"name": "Verdict"}}


def test_broken_json_is_repaired_too(llm: FakeLLM, tmp_path: Path) -> None:
    llm.fault("malformed")
    llm.tool_call("Verdict", GOOD)
    verdict = invoke_structured(
        factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("judge")]
    )
    assert verdict.requirement == "REQ-1"
    assert "the arguments are not valid JSON" in llm.messages(1)[-1]["content"]


def test_plain_text_instead_of_json_is_repaired(llm: FakeLLM, tmp_path: Path) -> None:
    llm.reply("Sure! REQ-1 looks fine to me.")
    llm.reply('{"requirement": "REQ-1", "satisfied": true, "reason": "tested"}')
    model = factory(llm, tmp_path).chat("auditor")
    verdict = invoke_structured(
        model, Verdict, [HumanMessage("judge")], method=StructuredMethod.JSON_SCHEMA
    )
    assert verdict.satisfied
    resent = llm.messages(1)
    assert resent[-2] == {"role": "assistant", "content": "Sure! REQ-1 looks fine to me."}
    assert resent[-1]["role"] == "user" and "the reply is not valid JSON" in resent[-1]["content"]


def test_three_bad_replies_give_up_with_one_sentence(llm: FakeLLM, tmp_path: Path) -> None:
    for _ in range(3):
        llm.tool_call("Verdict", {"requirement": "REQ-1"})
    with pytest.raises(ModelCallError) as caught:
        invoke_structured(factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("j")])
    assert caught.value.user_message == (
        "The model's reply did not match the expected format after 3 attempts "
        f"({llm.base_url}): the arguments do not match the schema (satisfied: Field required; "
        "reason: Field required)."
    )
    assert len(llm.chat_requests) == 3 and llm.pending() == 0


def test_repair_count_comes_from_the_settings(llm: FakeLLM, tmp_path: Path) -> None:
    llm.fault("empty", times=2)
    with pytest.raises(ModelCallError) as caught:
        invoke_structured(
            factory(llm, tmp_path, schema_repairs=1).chat("auditor"), Verdict, [HumanMessage("j")]
        )
    assert caught.value.kind == "empty"
    assert caught.value.user_message == (
        f"The model at {llm.base_url} sent an empty reply 2 times: retry, or try another model."
    )
    assert len(llm.chat_requests) == 2


def test_transport_errors_inside_the_repair_loop_are_explained(
    llm: FakeLLM, tmp_path: Path
) -> None:
    llm.tool_call("Verdict", {"requirement": "nope"})
    llm.fault("429")
    with pytest.raises(ModelCallError) as caught:
        invoke_structured(factory(llm, tmp_path).chat("auditor"), Verdict, [HumanMessage("j")])
    assert caught.value.kind == "rate_limit"


async def test_async_calls_behave_the_same(llm: FakeLLM, tmp_path: Path) -> None:
    llm.tool_call("Verdict", {"requirement": "REQ-1"})
    llm.tool_call("Verdict", GOOD)
    llm.fault("empty")
    models = factory(llm, tmp_path)
    verdict = await ainvoke_structured(models.chat("auditor"), Verdict, [HumanMessage("j")])
    assert verdict == Verdict(**GOOD)
    with pytest.raises(ModelCallError, match="empty reply"):
        await acall_model(models.chat("scribe"), [HumanMessage("hi")])
    assert len(read_usage(tmp_path / "state.db")) == 3


# -- documented configuration -------------------------------------------------------------------


def test_every_documented_toml_snippet_is_a_valid_charter_toml() -> None:
    import tomllib

    sources = [ROOT / "docs" / "endpoints.md", ROOT / "README.md"]
    blocks = [
        (path.name, block)
        for path in sources
        if path.exists()
        for block in TOML_BLOCK.findall(path.read_text(encoding="utf-8"))
    ]
    assert len(blocks) >= 6
    urls = set()
    for name, block in blocks:
        config = Config.model_validate(tomllib.loads(block))
        assert config.model.name, f"{name}: a snippet without a model name"
        urls.add(config.model.base_url)
    assert {
        None,
        "https://openrouter.ai/api/v1",
        "http://localhost:11434/v1",
        "http://localhost:8000/v1",
        "http://localhost:1234/v1",
        "http://localhost:8080/v1",
    } <= urls
