"""Applying edits to a parsed spec: `SpecWork`, which copies what an edit touches.

Ten operations change a spec: add, modify, remove or move a requirement; add, rename or remove a
section; add, modify or remove an example (a shell session under a requirement). `SpecEdit` names
one (its vocabulary and field checks are `specs.edit_vocabulary`); `SpecWork` applies edits to a
copy of a `Spec`, raising `EditError` (with a finding code) for an edit that does not apply.
Deciding whether an edit is *allowed* (provenance, the LOCKED rule, validity of the result) is the
intent check's job; this module only says what an edit does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from charter.specs.edit_vocabulary import (
    Allocate,
    Applied,
    EditError,
    Forbidden,
    Guard,
    SpecEdit,
)
from charter.specs.loader import SPEC_SUFFIX
from charter.specs.model import (
    Example,
    Provenance,
    Requirement,
    Section,
    Spec,
    SpecFile,
)


def find_section(f: SpecFile, title: str) -> Section | None:
    """A section by exact title, else by case-insensitive title."""
    wanted = title.strip().lstrip("#").strip()
    exact = next((s for s in f.sections if s.title == wanted), None)
    if exact is not None:
        return exact
    return next((s for s in f.sections if s.title.casefold() == wanted.casefold()), None)


def _find_req(f: SpecFile, req_id: str) -> tuple[SpecFile, Section, Requirement] | None:
    """A requirement within one file."""
    for s in f.sections:
        for r in s.requirements:
            if r.id == req_id:
                return f, s, r
    return None


def title_from_path(path: str) -> str:
    """A readable `#` title for a new file: `rate-limits.md` → `Rate limits`."""
    stem = PurePosixPath(path).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else "Spec"


class SpecWork:
    """A spec being edited: files copied on first touch, so untouched files stay shared."""

    def __init__(self, spec: Spec, spec_dir_name: str = "specs") -> None:
        """Start from the spec as loaded (never changed: what an edit touches is copied)."""
        self.files: dict[str, SpecFile] = {f.path: f for f in spec.files}
        self.touched: set[str] = set()
        self.created: set[str] = set()
        self.spec_dir_name = spec_dir_name

    def spec(self) -> Spec:
        """The current state as a Spec (files sorted by path)."""
        return Spec(files=[self.files[p] for p in sorted(self.files)])

    def norm_path(self, path: str) -> str:
        """A spec-dir relative POSIX path (tolerating a leading `specs/` or `./`)."""
        p = PurePosixPath(path.strip().replace("\\", "/"))
        parts = [x for x in p.parts if x not in (".", "")]
        if len(parts) > 1 and parts[0] == self.spec_dir_name:
            parts = parts[1:]
        return "/".join(parts)

    def get(self, path: str) -> SpecFile | None:
        """A file whose title, sections and block lists may be changed (copied once), or None.

        Parsed files may be cached and shared and must never change, yet deep-copying a large
        file is most of an edit's cost. So the file and its sections are copied (new lists),
        while the requirements in them stay shared until `locate` copies the one to change.
        """
        f = self.files.get(path)
        if f is None:
            return None
        if path not in self.touched:
            f = f.model_copy()
            f.intro = list(f.intro)
            f.sections = [s.model_copy() for s in f.sections]
            for s in f.sections:
                s.blocks = list(s.blocks)
            self.files[path] = f
            self.touched.add(path)
        return f

    def create(self, path: str, title: str) -> SpecFile:
        """A new, empty spec file."""
        f = SpecFile(path=path, title=title)
        self.files[path] = f
        self.touched.add(path)
        self.created.add(path)
        return f

    def locate(self, req_id: str) -> tuple[SpecFile, Section, Requirement] | None:
        """Find a requirement and make it and its file writable (the requirement is a copy)."""
        for f in list(self.files.values()):
            if _find_req(f, req_id) is None:
                continue
            writable = self.get(f.path)
            assert writable is not None
            found = _find_req(writable, req_id)
            assert found is not None
            _, section, shared = found
            own = shared.model_copy(deep=True)
            at = next(i for i, b in enumerate(section.blocks) if b is shared)
            section.blocks[at] = own
            return writable, section, own
        return None

    # -- applying ------------------------------------------------------------------------------

    def apply(
        self,
        edit: SpecEdit,
        provenance: Provenance,
        allocate: Callable[[str], str],
        guard: Guard,
    ) -> Applied:
        """Apply one edit; `provenance` goes on the requirement it writes, `allocate(prefix)`
        gives a new requirement its ID, `guard` may forbid changing an existing one."""
        out = Applied(req_id=edit.id, file=edit.file, section=edit.section, text=edit.text)
        try:
            getattr(self, f"_{edit.op}")(edit, out, provenance, allocate, guard)
        except EditError as exc:
            exc.applied = out  # what was resolved before it failed, for the refusal's view
            raise
        return out

    def _target(self, out: Applied, path: str | None, title: str | None) -> Section:
        """The section an edit adds to or moves into."""
        f = self.get(self.norm_path(path or ""))
        if f is None:
            raise EditError("unknown-file", f"no spec file {path!r}; add a section first")
        s = find_section(f, title or "")
        if s is None:
            names = "; ".join(x.title for x in f.sections) or "none"
            raise EditError("unknown-section", f"no section {title!r} in {f.path} ({names})")
        out.file, out.section = f.path, s.title
        return s

    def _existing(self, out: Applied, guard: Guard) -> tuple[SpecFile, Section, Requirement]:
        """The requirement an edit refers to, made writable, after the guard allowed it."""
        found = self.locate(out.req_id or "")
        if found is None:
            raise EditError("unknown-requirement", f"no requirement {out.req_id}")
        f, s, r = found
        out.file, out.section, out.old_text, out.locked = f.path, s.title, r.text, r.locked
        if not guard(r):
            raise Forbidden()
        return found

    def _add_requirement(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Append a new requirement with a code-allocated ID to its section."""
        s = self._target(out, edit.file, edit.section)
        out.req_id = allocate(self.spec(), out.file or "", s.title)
        out.locked = bool(edit.locked)
        out.text = (edit.text or "").strip()
        s.blocks.append(
            Requirement(id=out.req_id, text=out.text, locked=out.locked, provenance=prov)
        )

    def _modify_requirement(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Change a requirement's text and/or LOCKED flag."""
        _, _, r = self._existing(out, guard)
        if edit.text is not None:
            r.text = edit.text.strip()
            r.provenance = prov
        if edit.locked is not None:
            r.locked = edit.locked
        out.text, out.locked = r.text, r.locked

    def _remove_requirement(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Remove a requirement (its ID stays retired)."""
        _, s, r = self._existing(out, guard)
        s.blocks.remove(r)
        out.text = None

    def _move_requirement(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Move a requirement (ID and provenance kept) to the end of another section."""
        _, source, r = self._existing(out, guard)
        out.text = r.text
        dest = self._target(out, edit.file, edit.section)
        source.blocks.remove(r)
        dest.blocks.append(r)

    def _add_section(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Add a `##` section at the end of a file, creating the file when it is new."""
        path = self.norm_path(edit.file or "")
        out.file = path
        if not path.endswith(SPEC_SUFFIX) or path.startswith("/") or ".." in path.split("/"):
            raise EditError("bad-file", f"{edit.file!r} is not a spec file path like x.md")
        f = self.get(path) or self.create(
            path, (edit.file_title or "").strip() or title_from_path(path)
        )
        title = (edit.section or "").strip()
        if find_section(f, title) is not None:
            raise EditError("duplicate-section", f"{path} already has a section {title!r}")
        f.sections.append(Section(title=title, level=2))
        out.section = title

    def _section(self, edit: SpecEdit) -> tuple[SpecFile, Section]:
        """The file and section an edit names."""
        f = self.get(self.norm_path(edit.file or ""))
        s = find_section(f, edit.section or "") if f is not None else None
        if f is None or s is None:
            raise EditError("unknown-section", f"no section {edit.section!r} in {edit.file}")
        return f, s

    def _rename_section(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Rename a section of a file."""
        f, s = self._section(edit)
        new = (edit.new_title or "").strip()
        if find_section(f, new) is not None and new.casefold() != s.title.casefold():
            raise EditError("duplicate-section", f"{f.path} already has a section {new!r}")
        out.file, out.section, out.new_title = f.path, s.title, new
        s.title = new

    def _remove_section(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Remove a section with everything in it (the guard sees each requirement)."""
        f, s = self._section(edit)
        out.file, out.section = f.path, s.title
        if not all([guard(r) for r in s.requirements]):  # a list: the guard sees every one
            raise Forbidden()
        out.removed = {r.id: r.text for r in s.requirements}
        f.sections.remove(s)

    # -- examples: a shell session under a requirement, with its own provenance ------------------

    def _example_target(self, edit: SpecEdit, out: Applied, guard: Guard) -> Requirement:
        """The requirement whose examples change (the guard applies as for its text)."""
        _, _, r = self._existing(out, guard)
        if edit.example is not None and edit.example > len(r.examples):
            raise EditError(
                "unknown-example",
                f"{r.id} has {len(r.examples)} example(s); there is no example {edit.example}",
            )
        return r

    def _add_example(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Append an example (a shell session) under a requirement."""
        r = self._example_target(edit, out, guard)
        body = (edit.session or "").strip("\n")
        r.examples.append(Example(body=body, provenance=prov))
        out.old_text, out.text = None, body

    def _modify_example(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Replace one example's session (and its provenance)."""
        r = self._example_target(edit, out, guard)
        at = (edit.example or 1) - 1
        old = r.examples[at]
        body = (edit.session or "").strip("\n")
        r.examples[at] = Example(body=body, info=old.info, provenance=prov)
        out.old_text, out.text = old.body, body

    def _remove_example(
        self, edit: SpecEdit, out: Applied, prov: Provenance, allocate: Allocate, guard: Guard
    ) -> None:
        """Remove one example of a requirement."""
        r = self._example_target(edit, out, guard)
        old = r.examples.pop((edit.example or 1) - 1)
        out.old_text, out.text = old.body, None
