"""Corporate online banking's use cases on both databases: maker-checker payments posted
as one linked batch, batch files checked line by line, the users' own limits, and the
monthly balance confirmations with their disputes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ebank.adapters.clock import FixedClock
from ebank.application import banking, corporate, identity, reconciliation
from ebank.application import corporate_payments as cp
from ebank.application.corporate_files import ControlTotals
from ebank.application.ports_corporate import ConfirmationStatus, PaymentStatus
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import Account
from ebank.domain.customers import Customer
from ebank.domain.errors import (
    BatchFileRejected,
    ConfirmationNotPending,
    CorporatePaymentNotFound,
    CorporatePaymentNotPending,
    Forbidden,
    LimitExceeded,
    MakerCannotCheck,
    OutsideBranch,
    TransferRefused,
)
from factories import BRANCH, bank_with_branch, deposit, individual, savings
from factories import corporate as corporate_customer

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Tr0ub4dor&3-horse"
_names = itertools.count(1)


@dataclass
class Company:
    customer: Customer
    account: Account
    maker: Actor
    approver: Actor
    viewer: Actor
    staff: Actor


def _user(bank: Bank, role: Role, customer_id: int | None, branch: str | None = None) -> Actor:
    kind = UserKind.STAFF if branch else UserKind.CUSTOMER
    name = f"{role.value}{next(_names)}"
    view = identity.create_user(
        bank.ctx,
        username=name,
        password=PASSWORD,
        kind=kind,
        role=role,
        display_name=name,
        customer_id=customer_id,
        branch_code=branch,
    )
    return Actor(view.user_id, name, kind, role, customer_id=customer_id, branch_code=branch)


def _company(bank: Bank, funds_minor: int = 10_000_000) -> Company:
    ctx = bank.ctx
    bank_with_branch(ctx)
    customer = corporate_customer(ctx, BRANCH)
    account = banking.open_account(ctx, customer.number, "CUR", "CNY", BRANCH)
    deposit(ctx, account, funds_minor)
    staff = _user(bank, Role.SUPERVISOR, None, BRANCH)
    company = Company(
        customer,
        account,
        _user(bank, Role.MAKER, customer.id),
        _user(bank, Role.APPROVER, customer.id),
        _user(bank, Role.VIEWER, customer.id),
        staff,
    )
    corporate.set_user_limits(
        ctx, staff, customer.number, company.maker.user_id, "CNY", 5_000_000, 8_000_000
    )
    return company


def _employee(bank: Bank, name: str) -> Account:
    return savings(bank.ctx, individual(bank.ctx, BRANCH, name=name))


def _balance(bank: Bank, account: Account) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account.id).ledger_minor


def _submit_file(bank: Bank, c: Company, data: str, key: str, **totals: Any) -> int:
    request = cp.request_of(c.maker, key, c.account.number, data)
    return cp.submit_batch(
        bank.ctx,
        c.maker,
        debit_number=c.account.number,
        data=data.encode(),
        file_name="payroll.csv",
        totals=ControlTotals(**totals),
        request=request,
        tz=TZ,
    )


def test_a_payroll_file_waits_for_an_approver_and_posts_as_one_linked_batch(bank: Bank) -> None:
    c = _company(bank)
    alice, bob = _employee(bank, "李雷"), _employee(bank, "韩梅梅")
    good = (
        "account_number,name,amount,reference\n"
        f"{alice.number},李雷,8000.00,11月工资\n"
        f"{bob.number},韩梅梅,9500.50,11月工资\n"
    )
    payment_id = _submit_file(bank, c, good, "k1", count=2, total="17500.50")
    # a double submit of the same form enters it once
    assert _submit_file(bank, c, good, "k1", count=2, total="17500.50") == payment_id
    pending = cp.list_payments(bank.ctx, c.viewer)
    assert [(v.payment.payment_id, v.payment.status) for v in pending] == [
        (payment_id, PaymentStatus.PENDING)
    ]
    assert _balance(bank, alice) == 0

    with pytest.raises(MakerCannotCheck):
        cp.approve_payment(bank.ctx, _as_approver(c.maker), payment_id, TZ)
    with pytest.raises(Forbidden):
        cp.approve_payment(bank.ctx, c.viewer, payment_id, TZ)
    with pytest.raises(Forbidden):
        cp.approve_payment(bank.ctx, c.maker, payment_id, TZ)

    posted = cp.approve_payment(bank.ctx, c.approver, payment_id, TZ)
    assert posted.status is PaymentStatus.POSTED and posted.checker_id == c.approver.user_id
    # approving again (a double submit) posts nothing more
    assert cp.approve_payment(bank.ctx, c.approver, payment_id, TZ).status is PaymentStatus.POSTED
    assert (_balance(bank, alice), _balance(bank, bob)) == (800_000, 950_050)
    assert _balance(bank, c.account) == 10_000_000 - 1_750_050
    with bank.ctx.read() as uow:
        entries = [uow.journal.entry(t.id) for t in cp.transfers_of(posted)]
        usage = uow.limits.usage_for_update(c.customer.id, "web", bank.ctx.clock.today(), "CNY")
    assert all(e is not None and e.channel == "web" for e in entries)
    assert (usage.amount_minor, usage.count) == (1_750_050, 2)
    assert verify_ledger(bank.ctx).ok
    with pytest.raises(CorporatePaymentNotPending):
        cp.reject_payment(bank.ctx, c.approver, payment_id, "too late")
    actions = _audit_actions(bank)
    assert {"corporate.payment.submit", "corporate.payment.approve"} <= set(actions)
    assert actions.count("corporate.payment.approve") >= 4  # three refusals, one approval


def _as_approver(actor: Actor) -> Actor:
    """The maker pretending to hold the approver role (a forged session)."""
    return Actor(actor.user_id, actor.username, actor.kind, Role.APPROVER, actor.customer_id)


def _audit_actions(bank: Bank) -> list[str]:
    with bank.engine.connect() as conn:
        return list(conn.execute(text("SELECT action FROM audit_log ORDER BY seq")).scalars())


def test_a_bad_file_is_reported_line_by_line_and_nothing_is_entered(bank: Bank) -> None:
    c = _company(bank)
    alice, bob, carl = _employee(bank, "李雷"), _employee(bank, "韩梅梅"), _employee(bank, "王五")
    wrong_check = alice.number[:-1] + str((int(alice.number[-1]) + 1) % 10)
    bad = (
        f"{alice.number},李雷,100.00\n"
        f"{wrong_check},李雷,1.00\n"
        f"{bob.number},王五,1.00\n"
        f"{alice.number},李雷,2.00\n"
        f"{carl.number},王五,12.345\n"
        f"{c.account.number},{c.account.name},1.00\n"
        "1,2\n"
    )
    with pytest.raises(BatchFileRejected) as refused:
        _submit_file(bank, c, bad, "k2", count=9, total="1.5")
    assert refused.value.problems == [
        (0, "count_mismatch", {"found": "6", "stated": "9"}),
        (0, "total_mismatch", {"found": "105.00", "stated": "1.50"}),
        (2, "account_number_invalid", {}),
        (3, "payee_mismatch", {}),
        (4, "duplicate", {"line": "1"}),
        (5, "amount_invalid", {"places": "2"}),
        (6, "own_account", {}),
        (7, "field_count", {"found": "2"}),
    ]
    assert cp.list_payments(bank.ctx, c.maker) == []
    assert "batch_file_rejected" in _outcomes(bank)


def _outcomes(bank: Bank) -> list[str]:
    with bank.engine.connect() as conn:
        return list(conn.execute(text("SELECT outcome FROM audit_log")).scalars())


def test_the_makers_own_limits_and_the_ledger_refusal_keep_a_payment_pending(
    bank: Bank,
) -> None:
    c = _company(bank, funds_minor=100_000)
    alice = _employee(bank, "李雷")

    def single(amount: str, key: str) -> int:
        request = cp.request_of(c.maker, key, amount)
        return cp.submit_single(
            bank.ctx,
            c.maker,
            debit_number=c.account.number,
            payee_number=alice.number,
            payee_name="李雷",
            amount_text=amount,
            reference="invoice 7",
            request=request,
            tz=TZ,
        )

    with pytest.raises(LimitExceeded) as over:
        single("50000.01", "a")
    assert over.value.limit == "user_per_payment"
    payment_id = single("2000.00", "b")  # more than the account holds
    with pytest.raises(TransferRefused) as refused:
        cp.approve_payment(bank.ctx, c.approver, payment_id, TZ)
    assert refused.value.code == "exceeds_credits"
    assert cp.view_payment(bank.ctx, c.viewer, payment_id).payment.status is PaymentStatus.PENDING
    deposit(bank.ctx, c.account, 1_000_000)
    assert cp.approve_payment(bank.ctx, c.approver, payment_id, TZ).status is PaymentStatus.POSTED
    assert _balance(bank, alice) == 200_000

    rejected_id = single("10.00", "c")
    rejected = cp.reject_payment(bank.ctx, c.approver, rejected_id, "wrong invoice")
    assert (rejected.status, rejected.reason) == (PaymentStatus.REJECTED, "wrong invoice")
    assert _balance(bank, alice) == 200_000
    # another company's approver does not see the payment at all
    other = _company_in_same_bank(bank)
    with pytest.raises(CorporatePaymentNotFound):
        cp.approve_payment(bank.ctx, other, rejected_id, TZ)


def _company_in_same_bank(bank: Bank) -> Actor:
    customer = corporate_customer(bank.ctx, BRANCH, name="另一家公司")
    return _user(bank, Role.APPROVER, customer.id)


def test_the_four_eyes_check_of_the_table_itself(bank: Bank) -> None:
    c = _company(bank)
    alice = _employee(bank, "李雷")
    payment_id = _submit_file(bank, c, f"{alice.number},李雷,1.00\n", "k")
    with pytest.raises(IntegrityError), bank.engine.begin() as conn:
        conn.execute(
            text("UPDATE corporate_payments SET checker_id = maker_id WHERE id = :id"),
            {"id": payment_id},
        )


def test_users_and_limits_are_listed_and_set_by_staff_only(bank: Bank) -> None:
    c = _company(bank)
    listed = corporate.company_users(bank.ctx, c.viewer)
    roles = {u.user.username: u.user.role for u in listed}
    assert roles == {
        c.maker.username: Role.MAKER,
        c.approver.username: Role.APPROVER,
        c.viewer.username: Role.VIEWER,
    }
    maker = next(u for u in listed if u.user.user_id == c.maker.user_id)
    assert [(x.per_payment_minor, x.daily_minor) for x in maker.limits] == [(5_000_000, 8_000_000)]
    with pytest.raises(Forbidden):
        corporate.set_user_limits(
            bank.ctx, c.approver, c.customer.number, c.maker.user_id, "CNY", 1, 1
        )
    far = _user(bank, Role.SUPERVISOR, None, "0001")
    far_branch = Actor(far.user_id, far.username, far.kind, far.role, branch_code="0200")
    with pytest.raises(OutsideBranch):
        corporate.set_user_limits(
            bank.ctx, far_branch, c.customer.number, c.maker.user_id, "CNY", 1, 1
        )
    _, seen = corporate.company_users_for_staff(bank.ctx, c.staff, c.customer.number)
    assert len(seen) == 3


def test_balance_confirmations_confirmed_disputed_and_resolved(bank: Bank) -> None:
    c = _company(bank, funds_minor=123_456)
    clock = bank.ctx.clock
    assert isinstance(clock, FixedClock)
    clock.advance(31 * 86400)  # into the next month: the first month has closed
    deposit(bank.ctx, c.account, 1_000)  # after the month: not in its balance
    period = reconciliation.closed_periods(clock.today())[0]
    views = reconciliation.company_confirmations(bank.ctx, c.viewer, period, TZ)
    assert [(v.account_number, v.confirmation.balance_minor) for v in views] == [
        (c.account.number, 123_456)
    ]
    confirmation_id = views[0].confirmation.confirmation_id
    assert reconciliation.company_confirmations(bank.ctx, c.maker, period, TZ) == views
    with pytest.raises(Forbidden):
        reconciliation.respond(bank.ctx, c.viewer, confirmation_id, agree=True)
    disputed = reconciliation.respond(
        bank.ctx, c.approver, confirmation_id, agree=False, dispute="we count 1,234.00"
    )
    assert disputed.status is ConfirmationStatus.DISPUTED
    with pytest.raises(ConfirmationNotPending):
        reconciliation.respond(bank.ctx, c.maker, confirmation_id, agree=True)
    disputes = reconciliation.open_disputes(bank.ctx, c.staff)
    assert [(d.customer_number, d.confirmation.dispute) for d in disputes] == [
        (c.customer.number, "we count 1,234.00")
    ]
    resolved = reconciliation.resolve_dispute(bank.ctx, c.staff, confirmation_id, "a fee; refunded")
    assert (resolved.status, resolved.resolution) == (
        ConfirmationStatus.RESOLVED,
        "a fee; refunded",
    )
    assert reconciliation.open_disputes(bank.ctx, c.staff) == []
    actions = set(_audit_actions(bank))
    assert {"reconciliation.issue", "reconciliation.dispute", "reconciliation.resolve"} <= actions
