"""`charter.toml`: the workspace's committed settings (never secrets), loaded into pydantic models.

Errors name the file and the offending field so a user can fix a typo without guessing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError, field_validator

from charter.agents import ModelSettings

if TYPE_CHECKING:
    from charter.graphs.build import CheckpointStore, JailPolicy

CONFIG_NAME = "charter.toml"
# `[build]` keys written to charter.toml only when they differ from their defaults.
OPTIONAL_BUILD_KEYS = ("checkpointer", "checkpointer_dsn_env")


class WorkspaceSettings(BaseModel):
    """The `[workspace]` table: where the spec and the ledger live, relative to the root."""

    model_config = {"extra": "forbid"}

    spec_dir: str = "specs"
    transcripts_dir: str = "transcripts"


class BuildSettings(BaseModel):
    """The `[build]` table: concurrency, fixer bound, and the jail verify commands run in."""

    model_config = {"extra": "forbid"}

    concurrency: int = Field(default=4, ge=1, le=64)
    max_fix_attempts: int = Field(default=3, ge=0, le=10)
    verify_timeout: float = Field(default=300.0, gt=0)
    # "bwrap": every command a build runs is jailed; "none": unconfined (the report warns).
    sandbox: Literal["bwrap", "none"] = "bwrap"
    bwrap: str = Field(default="bwrap", min_length=1, description="the bubblewrap executable")
    network: bool = False
    max_output_mb: float = Field(default=16.0, gt=0)
    max_file_mb: float = Field(default=256.0, gt=0)
    max_processes: int = Field(default=512, ge=8)
    # Host paths (toolchains, caches) a jailed command may read; none by default.
    read_only: list[str] = Field(default_factory=list)
    # A LangGraph Server that runs builds (`charter build --remote URL` overrides), and the
    # environment variable holding its bearer token (the token itself never goes in this file).
    # Both unset by default, so `charter init` writes neither.
    remote: str | None = None
    remote_token_env: str | None = Field(default=None, min_length=1)

    # Where builds checkpoint: "sqlite" (a file in each build's directory), "postgres" (the
    # connection string, password and all, in the variable `checkpointer_dsn_env` names), or
    # a `postgresql://` URL without a password (libpq reads it from PGPASSWORD or ~/.pgpass).
    checkpointer: str = Field(default="sqlite", min_length=1)
    checkpointer_dsn_env: str = Field(default="CHARTER_CHECKPOINTER_DSN", min_length=1)

    @field_validator("checkpointer")
    @classmethod
    def _store(cls, value: str) -> str:
        """A known store, or a PostgreSQL URL that keeps its password out of charter.toml."""
        from charter.graphs.build import url_has_password

        if value in ("sqlite", "postgres"):
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError('expected "sqlite", "postgres" or a postgresql:// URL')
        if url_has_password(value):
            raise ValueError(
                "charter.toml is committed: leave the password out of the URL (libpq reads "
                'PGPASSWORD or ~/.pgpass), or set checkpointer = "postgres" and put the whole '
                "connection string in the variable checkpointer_dsn_env names"
            )
        return value

    @property
    def token_env(self) -> str:
        """The environment variable holding the build server's token."""
        return self.remote_token_env or "CHARTER_REMOTE_TOKEN"

    @field_validator("read_only")
    @classmethod
    def _absolute(cls, paths: list[str]) -> list[str]:
        """Read-only paths are mounted at the same place in the jail: they must be absolute."""
        for path in paths:
            if not Path(path).is_absolute():
                raise ValueError(f"{path!r} is not an absolute path")
        return paths

    def jail_policy(self) -> JailPolicy:
        """The policy every command of a build runs under."""
        from charter.graphs.build import JailPolicy, Limits

        return JailPolicy(
            sandbox=self.sandbox,
            limits=Limits(
                wall_time=self.verify_timeout,
                output_bytes=int(self.max_output_mb * 1_000_000),
                file_bytes=int(self.max_file_mb * 1_000_000),
                processes=self.max_processes,
            ),
            network=self.network,
            bwrap=self.bwrap,
            read_only=tuple(self.read_only),
        )

    def checkpoint_store(self, environ: Mapping[str, str]) -> CheckpointStore:
        """Where new builds checkpoint; ValueError when the connection string is missing."""
        from charter.graphs.build import CheckpointStore

        if self.checkpointer == "sqlite":
            return CheckpointStore()
        if self.checkpointer != "postgres":
            return CheckpointStore(self.checkpointer, "[build] checkpointer")
        var = self.checkpointer_dsn_env
        dsn = environ.get(var, "").strip()
        if not dsn:
            raise ValueError(
                f'[build] checkpointer = "postgres" takes the PostgreSQL connection string from '
                f"${var}, which is not set"
            )
        return CheckpointStore(dsn, f"${var}")


class GitSettings(BaseModel):
    """The `[git]` table: how spec commits treat the user's repository."""

    model_config = {"extra": "forbid"}

    run_hooks: bool = Field(
        default=True, description="run the pre-commit and commit-msg hooks as `git commit` would"
    )


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
    git: GitSettings = Field(default_factory=GitSettings)


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
    if config.git == GitSettings():
        del data["git"]  # a table left at its defaults is not written (older files lack it)
    for key in OPTIONAL_BUILD_KEYS:  # likewise the checkpointer, unless one was chosen
        if getattr(config.build, key) == BuildSettings.model_fields[key].default:
            del data["build"][key]
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
