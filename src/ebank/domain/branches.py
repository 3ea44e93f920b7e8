"""The branch tree: head office, branches, sub-branches and outlets (网点)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.errors import InvalidBranchTree, InvalidInput


class BranchKind(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"
    OUTLET = "outlet"


# Which kind of unit may sit under which.
_ALLOWED_PARENTS: dict[BranchKind, frozenset[BranchKind]] = {
    BranchKind.HEAD_OFFICE: frozenset(),
    BranchKind.BRANCH: frozenset({BranchKind.HEAD_OFFICE}),
    BranchKind.SUB_BRANCH: frozenset({BranchKind.HEAD_OFFICE, BranchKind.BRANCH}),
    BranchKind.OUTLET: frozenset(
        {BranchKind.HEAD_OFFICE, BranchKind.BRANCH, BranchKind.SUB_BRANCH}
    ),
}


@dataclass(frozen=True, slots=True)
class Branch:
    code: str
    name: str
    kind: BranchKind
    parent_code: str | None

    def __post_init__(self) -> None:
        if not (len(self.code) == 4 and self.code.isascii() and self.code.isdigit()):
            raise InvalidInput(f"branch code must be 4 digits, got {self.code!r}")
        if not self.name.strip() or len(self.name) > 100:
            raise InvalidInput("branch name must be 1 to 100 characters")


def check_parent(kind: BranchKind, parent: Branch | None, head_office_exists: bool) -> None:
    """Refuse a unit placed where the tree does not allow it."""
    if kind is BranchKind.HEAD_OFFICE:
        if parent is not None:
            raise InvalidBranchTree("the head office has no parent")
        if head_office_exists:
            raise InvalidBranchTree("the bank already has a head office")
        return
    if parent is None:
        raise InvalidBranchTree(f"a {kind} needs a parent unit")
    if parent.kind not in _ALLOWED_PARENTS[kind]:
        raise InvalidBranchTree(f"a {kind} cannot sit under a {parent.kind}")
