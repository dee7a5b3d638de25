"""What a build knows about its spec: requirements by ID, LOCKED items, conventions, task briefs.

The conventions are Charter's default (`conventions.md` next to this module, all LOCKED) unless the
user's spec has a file named `conventions.md` or a section titled "Conventions": then the user's
replace them. A task's brief holds only its own requirements verbatim, the requirements they
cross-reference, the other LOCKED items, the conventions and its upstream files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from charter.agents import PlannedTask, TaskBrief
from charter.specs import (
    Finding,
    Requirement,
    Spec,
    load_spec_files,
    merge_findings,
    render_requirement,
)
from charter.specs import validate as validate_spec

DEFAULT_CONVENTIONS = Path(__file__).resolve().parent / "conventions.md"
CONVENTIONS_NAME = "conventions"
MANDATORY = {"MUST", "MUST NOT"}


@dataclass
class SpecView:
    """A parsed spec plus the conventions that apply to its build."""

    spec: Spec
    findings: list[Finding]
    conventions: list[Requirement]
    conventions_source: str
    user_conventions: bool

    @classmethod
    def load(cls, files: dict[str, bytes]) -> SpecView:
        """Parse and validate the spec files of one commit, and pick the conventions."""
        spec, parse_findings = load_spec_files(files)
        findings = merge_findings(parse_findings, validate_spec(spec))
        own = _user_conventions(spec)
        if own is not None:
            reqs, source = own
            return cls(spec, findings, reqs, source, True)
        default, _ = load_spec_files({"conventions.md": DEFAULT_CONVENTIONS.read_bytes()})
        return cls(
            spec,
            findings,
            default.requirements(),
            "Charter's default conventions (LOCKED)",
            False,
        )

    def requirement_ids(self) -> list[str]:
        """IDs of the requirements tasks must cover (the user's own conventions excluded)."""
        conv = set(self.convention_ids()) if self.user_conventions else set()
        return [r.id for r in self.spec.requirements() if r.id not in conv]

    def convention_ids(self) -> list[str]:
        """IDs of the conventions (they apply to every task; no task implements them alone)."""
        return [r.id for r in self.conventions]

    def requirement(self, req_id: str) -> Requirement | None:
        """A requirement of the spec or the conventions, by ID."""
        found = self.spec.find(req_id)
        if found is not None:
            return found[2]
        return next((r for r in self.conventions if r.id == req_id), None)

    def rendered(self, req_id: str) -> str:
        """A requirement verbatim (canonical Markdown with its provenance line)."""
        req = self.requirement(req_id)
        return render_requirement(req) if req is not None else f"- **{req_id}** (not in the spec)"

    def is_binding(self, req_id: str) -> bool:
        """Whether a requirement admits no deviation (MUST, MUST NOT, or LOCKED)."""
        req = self.requirement(req_id)
        if req is None:
            return True
        return req.locked or req.keyword in MANDATORY

    def brief(self, task: PlannedTask, upstream: list[tuple[str, str | None]]) -> TaskBrief:
        """Everything the task's prompt may hold."""
        own = list(dict.fromkeys(task.requirements))
        conv = set(self.convention_ids())
        referenced: list[str] = []
        for req_id in own:
            req = self.requirement(req_id)
            for ref in req.references() if req is not None else []:
                if ref not in own and ref not in referenced and ref not in conv:
                    referenced.append(ref)
        shown = set(own) | set(referenced) | conv
        locked = [
            render_requirement(r)
            for r in self.spec.requirements()
            if r.locked and r.id not in shown
        ]
        return TaskBrief(
            task=task,
            requirements=[self.rendered(r) for r in own],
            locked=locked,
            conventions=[render_requirement(r) for r in self.conventions],
            upstream=upstream,
            referenced=[self.rendered(r) for r in referenced],
        )


def _user_conventions(spec: Spec) -> tuple[list[Requirement], str] | None:
    """The user's own conventions (a `conventions.md` file or "Conventions" sections), if any."""
    reqs: list[Requirement] = []
    where: list[str] = []
    for f in spec.files:
        if PurePosixPath(f.path).stem.lower() == CONVENTIONS_NAME:
            reqs.extend(f.requirements())
            where.append(f"file `{f.path}`")
            continue
        for section in f.sections:
            if section.title.strip().lower() == CONVENTIONS_NAME:
                reqs.extend(section.requirements)
                where.append(f'section "{section.title}" of `{f.path}`')
    if not where:
        return None
    return reqs, "the spec's own conventions (" + ", ".join(where) + "), replacing Charter's"
