"""Requirement IDs: section prefixes and allocation that never reuses a removed ID (DESIGN §4).

IDs are `PREFIX-N`, allocated by code, never by a model. The register `<spec_dir>/.ids.toml`,
committed with the spec, remembers the highest number ever allocated per prefix, so an ID stays
retired after its requirement is removed: allocation takes max(register, highest in the spec) + 1.
Whoever commits a spec change should `observe` the new spec and `save` the register in the same
commit, so that IDs written by hand are retired too.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations, product
from pathlib import Path
from string import ascii_uppercase

import tomli_w
from pydantic import BaseModel, Field, ValidationError

from charter.specs.model import REQ_ID_RE, Spec

REGISTER_NAME = ".ids.toml"
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
# Prefixes that would read as RFC 2119 keywords inside a cross-reference such as `[MAY-1]`.
_FORBIDDEN_PREFIXES = frozenset({"MUST", "MAY", "NOT", "SHALL"})
_MINOR_WORDS = frozenset({"A", "AN", "AND", "OF", "OR", "THE", "FOR", "TO", "IN", "ON", "WITH"})


class IdRegisterError(ValueError):
    """The ID register file cannot be read; the message names the file and the problem."""


class _RegisterFile(BaseModel):
    """The on-disk shape of `.ids.toml`."""

    model_config = {"extra": "forbid"}

    version: int = 1
    highest: dict[str, int] = Field(default_factory=dict)


def split_id(req_id: str) -> tuple[str, int] | None:
    """`ING-12` → (`ING`, 12); None for a malformed ID."""
    if not REQ_ID_RE.match(req_id):
        return None
    prefix, _, number = req_id.rpartition("-")
    return prefix, int(number)


def _highest_in_spec(spec: Spec) -> dict[str, int]:
    """Highest number per prefix among the spec's well-formed IDs."""
    out: dict[str, int] = {}
    for r in spec.requirements():
        parts = split_id(r.id)
        if parts and parts[1] > out.get(parts[0], 0):
            out[parts[0]] = parts[1]
    return out


class IdRegister:
    """Highest number ever allocated per prefix; allocates IDs that were never used before."""

    def __init__(self, highest: Mapping[str, int] | None = None) -> None:
        """Start from known highs (prefix → highest number ever allocated)."""
        self.highest: dict[str, int] = dict(highest or {})

    @classmethod
    def load(cls, spec_dir: Path) -> IdRegister:
        """Read `<spec_dir>/.ids.toml`; a missing file is an empty register."""
        path = spec_dir / REGISTER_NAME
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None
        return cls.from_bytes(data, source=str(path))

    @classmethod
    def from_bytes(cls, data: bytes | None, *, source: str = REGISTER_NAME) -> IdRegister:
        """Read a register from the file's bytes (None or empty: an empty register)."""
        if not data:
            return cls()
        try:
            raw = tomllib.loads(data.decode("utf-8"))
            parsed = _RegisterFile.model_validate(raw)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise IdRegisterError(f"{source}: not valid TOML: {exc}") from exc
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise IdRegisterError(f"{source}: {problems}") from exc
        for prefix, number in parsed.highest.items():
            if not PREFIX_RE.match(prefix) or number < 0:
                raise IdRegisterError(f"{source}: highest.{prefix} = {number} is not valid")
        return cls(parsed.highest)

    def observe(self, spec: Spec) -> None:
        """Raise each prefix's high to the highest number the spec holds."""
        for prefix, number in _highest_in_spec(spec).items():
            if number > self.highest.get(prefix, 0):
                self.highest[prefix] = number

    def allocate(self, prefix: str, spec: Spec) -> str:
        """A new ID for `prefix`, above every number the register or the spec ever held."""
        if not PREFIX_RE.match(prefix):
            raise ValueError(f"invalid ID prefix {prefix!r}: expected uppercase like ING")
        in_spec = _highest_in_spec(spec).get(prefix, 0)
        number = max(self.highest.get(prefix, 0), in_spec) + 1
        self.highest[prefix] = number
        return f"{prefix}-{number}"

    def to_bytes(self) -> bytes:
        """The register as TOML, prefixes sorted."""
        doc = _RegisterFile(highest=dict(sorted(self.highest.items())))
        return tomli_w.dumps(doc.model_dump()).encode("utf-8")

    def save(self, spec_dir: Path) -> Path:
        """Write `<spec_dir>/.ids.toml` atomically; return its path."""
        path = spec_dir / REGISTER_NAME
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.to_bytes())
        os.replace(tmp, path)
        return path


def section_prefix(
    spec: Spec, file_path: str, section_title: str, *, reserved: Iterable[str] = ()
) -> str:
    """The ID prefix for a section: the one its requirements use, else a new unique one.

    A new prefix is 2-5 uppercase letters derived from the title, different from every prefix in
    use in the spec and from `reserved` (e.g. the register's prefixes, to keep retired ones apart).
    """
    spec_file = spec.file(file_path)
    sections = spec_file.sections if spec_file is not None else []
    section = next((s for s in sections if s.title == section_title), None)
    if section is not None:
        counts = Counter(p[0] for r in section.requirements if (p := split_id(r.id)))
        if counts:
            return counts.most_common(1)[0][0]
    taken = {p[0] for r in spec.requirements() if (p := split_id(r.id))}
    taken.update(reserved)
    return next(c for c in _candidates(section_title) if c not in taken)


def _candidates(title: str) -> Iterator[str]:
    """Prefix candidates for a title, most readable first; endless enough to always find one."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = [w.upper() for w in re.findall(r"[A-Za-z]+", ascii_title)]
    major = [w for w in words if w not in _MINOR_WORDS] or words or ["SECTION"]
    letters = "".join(major)
    if len(letters) < 2:
        letters = (letters + "SEC")[:3]
    seen: set[str] = set()

    def fresh(cands: Iterable[str]) -> Iterator[str]:
        """Yield the candidates not yet offered that fit the prefix rules."""
        for c in cands:
            if 2 <= len(c) <= 5 and c not in seen and c not in _FORBIDDEN_PREFIXES:
                seen.add(c)
                yield c

    first = major[0]
    initials = "".join(w[0] for w in major)[:5]
    if len(major) >= 2:
        yield from fresh([initials, initials + major[-1][1:2]])
    yield from fresh([first[:3], first[:4], first[:5], first[:2]])
    yield from fresh(letters[:n] for n in (3, 4, 5))
    yield from fresh(letters[0] + "".join(c) for c in combinations(letters[1:], 2))
    for n in (1, 2, 3):
        yield from fresh(letters[:2] + "".join(t) for t in product(ascii_uppercase, repeat=n))


def names_requirement(message: str, req_id: str) -> bool:
    """Whether a message names a requirement ID as a word (`ING-3`, not `ING-30`, not `XING-3`):
    the LOCKED rule's test, shared by the scribe's check and the audit."""
    pattern = rf"(?<![A-Za-z0-9-]){re.escape(req_id)}(?![0-9])"
    return re.search(pattern, message, flags=re.IGNORECASE) is not None
