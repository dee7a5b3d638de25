"""Model settings: what `charter.toml`'s `[model]` table and the environment say about endpoints.

`ModelSettings` is the boundary model the app loads from `charter.toml`; the factory in
`agents.llm` turns it into one `ChatOpenAI` per role. No secret is ever stored here: the API key
is read from the environment at call time and never serialised.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

ROLES: tuple[str, ...] = ("scribe", "auditor", "planner", "coder", "fixer")


class StructuredMethod(StrEnum):
    """How structured output is requested: tool calling is the portable default."""

    FUNCTION_CALLING = "function_calling"
    JSON_SCHEMA = "json_schema"
    JSON_MODE = "json_mode"


class RoleOverride(BaseModel):
    """Per-role overrides of the shared model settings (`[model.roles.<role>]`)."""

    model_config = {"extra": "forbid"}

    name: str | None = None
    base_url: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    structured_output: StructuredMethod | None = None
    api_key_env: str | None = None


class Price(BaseModel):
    """Price per million tokens for one model name, as the user configured it."""

    model_config = {"extra": "forbid"}

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class ModelSettings(BaseModel):
    """The `[model]` table: shared endpoint settings, per-role overrides and prices."""

    model_config = {"extra": "forbid"}

    name: str | None = Field(default=None, description="model name; CHARTER_MODEL overrides")
    base_url: str | None = Field(default=None, description="OPENAI_BASE_URL overrides")
    api_key_env: str = Field(default="OPENAI_API_KEY", description="env var holding the key")
    timeout: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    structured_output: StructuredMethod = StructuredMethod.FUNCTION_CALLING
    schema_repairs: int = Field(default=2, ge=0, le=5, description="resends after a bad reply")
    max_reply_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        description="a reply (text and tool arguments) longer than this is refused",
    )
    roles: dict[Literal["scribe", "auditor", "planner", "coder", "fixer"], RoleOverride] = Field(
        default_factory=dict
    )
    prices: dict[str, Price] = Field(default_factory=dict)
