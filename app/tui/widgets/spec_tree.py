"""The spec tree: files → sections → requirements, each requirement with its provenance badge
and its build verdict in the latest build of HEAD (✓ verified, ✗ failing, ○ built without
examples, · not built; `charter coverage` computes the same).

Large specs stay fast: only the file nodes are built up front, sections and requirements are
added when their parent is first expanded (small specs are expanded fully at once). Labels are
Rich Text built from plain strings, so requirement text is never read as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from charter.app.tui.render import requirement_label
from charter.specs import Spec

EXPAND_ALL_UP_TO = 300
"""Specs with at most this many requirements open fully expanded."""


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for: a file, a section (by index) or a requirement (by ID)."""

    kind: str
    path: str
    section: int = -1
    req_id: str = ""


class SpecTree(Tree[NodeRef]):
    """A lazily populated tree of the spec."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "history", "Commits"),
        Binding("c", "confirm", "Confirm"),
    ]

    @dataclass
    class HistoryRequested(Message):
        """`h`: show the commits that touched a requirement."""

        req_id: str

    @dataclass
    class ConfirmRequested(Message):
        """`c`: confirm an inferred requirement."""

        req_id: str

    def __init__(self, *, id: str | None = None) -> None:
        """An empty tree; `load()` fills it."""
        super().__init__("spec", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.spec: Spec | None = None
        self.verdicts: dict[str, str] | None = None
        """Each requirement's verdict in the latest build of HEAD; None until known."""
        self._filled: set[int] = set()

    def load(self, spec: Spec) -> None:
        """Show `spec`, keeping the highlighted requirement when it still exists."""
        keep = self.highlighted_requirement()
        self.spec = spec
        self._filled.clear()
        self.clear()
        total = len(spec.requirements())
        expand_all = total <= EXPAND_ALL_UP_TO
        if not spec.files:
            self.root.add_leaf(Text("(no spec yet)", "dim"))
        for spec_file in spec.files:
            count = len(spec_file.requirements())
            label = Text(spec_file.path, style="bold")
            label.append(f"  {spec_file.title}  ({count})", style="dim")
            node = self.root.add(label, NodeRef("file", spec_file.path), expand=False)
            if expand_all:
                self._fill(node)
                node.expand_all()
        if keep:
            self.select_requirement(keep, scroll=False)

    def _fill(self, node: TreeNode[NodeRef]) -> None:
        """Add a node's children the first time it is needed."""
        if node.id in self._filled or node.data is None or self.spec is None:
            return
        self._filled.add(node.id)
        ref = node.data
        spec_file = self.spec.file(ref.path)
        if spec_file is None:
            return
        if ref.kind == "file":
            for index, section in enumerate(spec_file.sections):
                label = Text(("  " if section.level == 3 else "") + section.title)
                label.append(f"  ({len(section.requirements)})", style="dim")
                node.add(label, NodeRef("section", ref.path, index), expand=False)
        elif ref.kind == "section":
            for req in spec_file.sections[ref.section].requirements:
                label = requirement_label(req, verdict=self.verdict(req.id))
                node.add_leaf(label, NodeRef("req", ref.path, ref.section, req.id))

    def verdict(self, req_id: str) -> str | None:
        """The requirement's build verdict (not built when no build of HEAD names it)."""
        if self.verdicts is None:
            return None
        return self.verdicts.get(req_id, "not built")

    def set_verdicts(self, verdicts: dict[str, str]) -> None:
        """Show each requirement's verdict from the latest build of HEAD (relabels the tree)."""
        if verdicts == self.verdicts:
            return
        self.verdicts = verdicts
        if self.spec is None:
            return
        # One lookup table, not a scan of the spec per node (10,000 requirements: 10^8 steps).
        by_id = {r.id: r for f in self.spec.files for r in f.requirements()}
        for node in self.requirement_nodes(self.root):
            assert node.data is not None
            req = by_id.get(node.data.req_id)
            if req is not None:
                node.set_label(requirement_label(req, verdict=self.verdict(req.id)))

    def requirement_nodes(self, node: TreeNode[NodeRef]) -> list[TreeNode[NodeRef]]:
        """Every requirement node built so far under `node`."""
        found: list[TreeNode[NodeRef]] = []
        for child in node.children:
            if child.data is not None and child.data.kind == "req":
                found.append(child)
            found.extend(self.requirement_nodes(child))
        return found

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        """Populate a node on first expansion."""
        self._fill(event.node)

    def highlighted_requirement(self) -> str | None:
        """The ID of the highlighted requirement, if a requirement is highlighted."""
        node = self.cursor_node
        if node is not None and node.data is not None and node.data.kind == "req":
            return node.data.req_id
        return None

    def select_requirement(self, req_id: str, scroll: bool = True) -> bool:
        """Expand the way to a requirement and move the cursor onto it."""
        if self.spec is None or (found := self.spec.find(req_id)) is None:
            return False
        spec_file, section, _ = found
        for file_node in self.root.children:
            if file_node.data is None or file_node.data.path != spec_file.path:
                continue
            self._fill(file_node)
            file_node.expand()
            for section_node in file_node.children:
                ref = section_node.data
                if ref is None or spec_file.sections[ref.section] is not section:
                    continue
                self._fill(section_node)
                section_node.expand()
                for leaf in section_node.children:
                    if leaf.data is not None and leaf.data.req_id == req_id:
                        self.move_cursor(leaf)
                        if scroll:
                            self.scroll_to_node(leaf)
                        return True
        return False

    def action_history(self) -> None:
        """Ask the screen to show the commits that touched the highlighted requirement."""
        if req_id := self.highlighted_requirement():
            self.post_message(self.HistoryRequested(req_id))

    def action_confirm(self) -> None:
        """Ask the screen to confirm the highlighted (inferred) requirement."""
        if req_id := self.highlighted_requirement():
            self.post_message(self.ConfirmRequested(req_id))
