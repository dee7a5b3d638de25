"""Composition: the model factory and the scribe's IntentSession for an opened workspace.

The CLI commands, the audit runner and the TUI all wire these the same way: usage recorded in the
workspace's `state.db`, checkpoints in `.charter/checkpoints.db`, the ledger indexed in
`state.db`, builder questions read from `.charter/builds/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.agents import ModelFactory
    from charter.app.workspace import Workspace
    from charter.graphs.intent import IntentSession


def model_factory(
    ws: Workspace, *, env: Mapping[str, str] | None = None, context: str | None = None
) -> ModelFactory:
    """The per-role model factory for `ws`, recording usage in its state.db."""
    from charter.agents import ModelFactory

    return ModelFactory(
        ws.config.model,
        env=env,
        usage_db=ws.state_db,
        context=context,
        max_proposal_bytes=ws.config.scribe.max_proposal_bytes,
    )


def intent_session(ws: Workspace, factory: ModelFactory, model_name: str) -> IntentSession:
    """An IntentSession on `ws` whose scribe comes from `factory` (named `model_name`)."""
    from charter.graphs.intent import IntentSession

    return IntentSession(
        ws.root,
        ws.spec_dir,
        ws.transcripts_dir,
        ws.state_dir,
        ws.checkpoints_db,
        factory,
        model_name,
        index_db=ws.state_db,
        builds_dir=ws.builds_dir,
    )


def open_intent_session(
    ws: Workspace, *, need_model: bool, env: Mapping[str, str] | None = None
) -> IntentSession:
    """An IntentSession on `ws`; with `need_model`, raise ModelConfigError before anything is
    recorded when the scribe's model or key is missing (checked without calling the model)."""
    from charter.agents import ModelConfigError

    factory = model_factory(ws, env=env)
    try:
        name = factory.resolve("scribe").name
        if need_model:
            factory.chat("scribe")  # builds the client: checks the key too
    except ModelConfigError:
        if need_model:
            raise
        name = ""
    return intent_session(ws, factory, name)
