"""`charter.toml`: the workspace's committed settings (never secrets), loaded into pydantic models.

Errors name the file and the offending field so a user can fix a typo without guessing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w
from pydantic import BaseModel, Field, ValidationError

from charter.agents import ModelSettings

CONFIG_NAME = "charter.toml"


class WorkspaceSettings(BaseModel):
    """The `[workspace]` table: where the spec and the ledger live, relative to the root."""

    model_config = {"extra": "forbid"}

    spec_dir: str = "specs"
    transcripts_dir: str = "transcripts"


class BuildSettings(BaseModel):
    """The `[build]` table: concurrency, fixer bound and verify timeout."""

    model_config = {"extra": "forbid"}

    concurrency: int = Field(default=4, ge=1, le=64)
    max_fix_attempts: int = Field(default=3, ge=0, le=10)
    verify_timeout: float = Field(default=300.0, gt=0)


class ScribeSettings(BaseModel):
    """The `[scribe]` table: limits on what the scribe may propose."""

    model_config = {"extra": "forbid"}

    max_proposal_bytes: int = Field(
        default=262_144,
        ge=1024,
        description="a proposal (its tool-call arguments) longer than this is refused",
    )


class Config(BaseModel):
    """The whole of `charter.toml`."""

    model_config = {"extra": "forbid"}

    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    scribe: ScribeSettings = Field(default_factory=ScribeSettings)
    build: BuildSettings = Field(default_factory=BuildSettings)


class ConfigError(Exception):
    """`charter.toml` could not be read; the message names the file and field."""


def load_config(path: Path) -> Config:
    """Read and validate `charter.toml`; a missing file yields the defaults."""
    if not path.exists():
        return Config()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}:{line}:{column}: not valid UTF-8 (save it as UTF-8)") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def write_config(path: Path, config: Config) -> None:
    """Write `charter.toml` from a Config, leaving out unset optional values."""
    data = config.model_dump(mode="json", exclude_none=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
