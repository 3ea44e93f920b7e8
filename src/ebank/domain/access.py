"""Who may do what: users' kinds and roles, the authenticated actor every use case is
handed, and the branch scope of staff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.errors import Forbidden, OutsideBranch


class UserKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class Role(StrEnum):
    CUSTOMER = "customer"  # an individual customer
    MAKER = "maker"  # corporate users: prepares payments
    APPROVER = "approver"  # corporate users: approves them
    VIEWER = "viewer"  # corporate users: reads only
    TELLER = "teller"
    SUPERVISOR = "supervisor"
    OPERATIONS = "operations"
    AUDITOR = "auditor"
    ADMIN = "admin"


CUSTOMER_ROLES = frozenset({Role.CUSTOMER, Role.MAKER, Role.APPROVER, Role.VIEWER})
STAFF_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS, Role.AUDITOR, Role.ADMIN})
# Customer roles that may move money on their own (a corporate maker's payments wait for
# an approver in online banking; through the API a maker's payment is its own request).
PAYING_CUSTOMER_ROLES = frozenset({Role.CUSTOMER, Role.MAKER, Role.APPROVER})


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of a use case."""

    user_id: int
    username: str
    kind: UserKind
    role: Role
    customer_id: int | None = None  # customers
    branch_code: str | None = None  # staff
    at_head_office: bool = False  # staff of the head office act in every branch
    session_id: str = ""
    client_address: str = ""

    @property
    def is_staff(self) -> bool:
        return self.kind is UserKind.STAFF

    @property
    def is_customer(self) -> bool:
        return self.kind is UserKind.CUSTOMER


def require_role(actor: Actor, allowed: frozenset[Role]) -> None:
    if actor.role not in allowed:
        raise Forbidden(f"role {actor.role.value} may not do this")


def branch_in_scope(
    actor_branch: str, target_branch: str, parents: Mapping[str, str | None]
) -> bool:
    """Whether ``target_branch`` is ``actor_branch`` or sits below it in the tree."""
    seen: set[str] = set()
    code: str | None = target_branch
    while code is not None and code not in seen:
        if code == actor_branch:
            return True
        seen.add(code)
        code = parents.get(code)
    return False


def require_branch(actor: Actor, target_branch: str, parents: Mapping[str, str | None]) -> None:
    """Staff act only within their own branch (and the units below it), unless they
    work at the head office."""
    assert actor.is_staff and actor.branch_code is not None
    if actor.at_head_office:
        return
    if not branch_in_scope(actor.branch_code, target_branch, parents):
        raise OutsideBranch(f"branch {target_branch} is outside your branch")
