"""Maker-checker rules: when a request needs a checker, and who may decide it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.approvals import (
    Approval,
    ApprovalStatus,
    DualControlRule,
    check_checker,
    check_reason,
    parse_roles,
)
from ebank.domain.errors import ApprovalNotPending, Forbidden, InvalidInput, MakerCannotCheck

RULE = DualControlRule("staff_transfer", 5_000_000, "CNY", frozenset({Role.SUPERVISOR, Role.ADMIN}))
ALWAYS = DualControlRule("account_freeze", 0, "CNY", frozenset({Role.SUPERVISOR}))
REQUEST = Approval(
    id=1,
    action="staff_transfer",
    status=ApprovalStatus.PENDING,
    branch_code="0100",
    maker_id=10,
    summary="Transfer 60,000.00 CNY",
    payload={},
    amount_minor=6_000_000,
    currency="CNY",
    created_at_us=0,
)


def staff(user_id: int, role: Role) -> Actor:
    return Actor(user_id, f"u{user_id}", UserKind.STAFF, role, branch_code="0100")


def test_a_rule_applies_above_its_threshold_and_always_at_zero() -> None:
    assert not RULE.applies_to(5_000_000, "CNY")
    assert RULE.applies_to(5_000_001, "CNY")
    assert ALWAYS.applies_to(1, "CNY")
    assert ALWAYS.applies_to(None, None)
    # Without an amount, or in another currency, the safe side: a checker.
    assert RULE.applies_to(None, None)
    assert RULE.applies_to(1, "USD")


def test_checker_roles_are_read_without_granting_unknown_names() -> None:
    assert parse_roles("supervisor, admin") == {Role.SUPERVISOR, Role.ADMIN}
    assert parse_roles("supervisor,root,,") == {Role.SUPERVISOR}


def test_only_a_second_person_of_a_checker_role_decides_a_pending_request() -> None:
    check_checker(REQUEST, RULE, staff(11, Role.SUPERVISOR))
    with pytest.raises(MakerCannotCheck):
        check_checker(REQUEST, RULE, staff(10, Role.SUPERVISOR))
    with pytest.raises(Forbidden):
        check_checker(REQUEST, RULE, staff(11, Role.TELLER))
    customer = Actor(12, "c", UserKind.CUSTOMER, Role.CUSTOMER, customer_id=1)
    with pytest.raises(Forbidden):
        check_checker(REQUEST, RULE, customer)
    decided = replace(REQUEST, status=ApprovalStatus.APPROVED, checker_id=11)
    with pytest.raises(ApprovalNotPending):
        check_checker(decided, RULE, staff(13, Role.ADMIN))
    # A rule deleted since: supervisors and admins still decide, nobody else.
    check_checker(REQUEST, None, staff(11, Role.ADMIN))
    with pytest.raises(Forbidden):
        check_checker(REQUEST, None, staff(11, Role.OPERATIONS))


def test_a_reason_is_required_and_bounded() -> None:
    assert check_reason("  documents checked ") == "documents checked"
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(InvalidInput):
            check_reason(bad)
