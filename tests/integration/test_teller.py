"""The teller's counter on both databases: a shift opens with a float from the vault,
cash goes in and out of the teller's own box, and the count at the end of the shift is
compared with the ledger (a difference recorded and posted to suspense); migration 0004
keeps every account and transfer, up and down."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from e2e.api.support import add_user
from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.db.engine import downgrade, make_engine, schema_revision, upgrade
from ebank.application import approvals, ledger, office, teller
from ebank.application.audit import search
from ebank.application.idempotency import IdempotentRequest
from ebank.application.identity_documents import check_resident_id
from ebank.application.ports_identity import AuditQuery
from ebank.application.ports_office import ShiftStatus
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import GlKind
from ebank.domain.errors import (
    NoOpenShift,
    ResidentIdInvalid,
    ShiftAlreadyOpen,
    TellerCashShort,
)
from ebank.domain.money import Currency, Money
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, gl, individual, posting, savings

CNY = Currency.of("CNY")
_keys = iter(range(1, 10_000))


def cny(yuan: int) -> Money:
    return Money(yuan * 100, CNY)


def key(teller_actor: Actor, what: str = "") -> IdempotentRequest:
    return IdempotentRequest(f"user:{teller_actor.user_id}", f"k{next(_keys)}", f"h{what}")


def staff(bank: Bank, role: Role) -> Actor:
    user = add_user(bank, role=role, branch_code=BRANCH)
    return Actor(user.user_id, user.username, UserKind.STAFF, role, branch_code=BRANCH)


def ledger_balance(bank: Bank, account_id: int) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account_id).ledger_minor


def fund_vault(bank: Bank, yuan: int) -> int:
    vault = gl(bank.ctx, GlKind.CASH, BRANCH)
    capital = gl(bank.ctx, GlKind.CAPITAL, HEAD_OFFICE)
    ledger.post_one(bank.ctx, posting(vault, capital, yuan * 100))
    return vault.id


def test_a_shift_from_float_to_count(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    vault_id = fund_vault(bank, 200_000)
    account = savings(ctx, individual(ctx, BRANCH), branch_code=BRANCH)
    clerk = staff(bank, Role.TELLER)

    with pytest.raises(NoOpenShift):
        teller.cash_deposit(ctx, clerk, account.number, cny(10), key(clerk))
    shift = teller.open_shift(ctx, clerk, cny(100_000), key(clerk))
    assert shift.status is ShiftStatus.OPEN
    assert ledger_balance(bank, shift.box_account_id) == 10_000_000
    assert ledger_balance(bank, vault_id) == 10_000_000
    with pytest.raises(ShiftAlreadyOpen):
        teller.open_shift(ctx, clerk, cny(1), key(clerk))

    once = key(clerk, "deposit")
    first = teller.cash_deposit(ctx, clerk, account.number, cny(2_000), once)
    again = teller.cash_deposit(ctx, clerk, account.number, cny(2_000), once)
    assert again == first and first.transfer_id is not None
    assert ledger_balance(bank, account.id) == 200_000  # posted once
    teller.cash_withdrawal(ctx, clerk, account.number, cny(500), key(clerk))
    assert ledger_balance(bank, account.id) == 150_000
    assert ledger_balance(bank, shift.box_account_id) == 10_150_000
    with pytest.raises(TellerCashShort):
        teller.cash_withdrawal(ctx, clerk, account.number, cny(200_000), key(clerk))

    closed = teller.close_shift(ctx, clerk, cny(101_400), key(clerk), note="short")
    assert closed.status is ShiftStatus.DIFFERENCE
    assert (closed.expected_minor, closed.counted_minor) == (10_150_000, 10_140_000)
    assert closed.difference_minor == -10_000
    assert ledger_balance(bank, shift.box_account_id) == 0  # the box ends empty
    assert ledger_balance(bank, vault_id) == 10_000_000 + 10_140_000
    suspense = gl(ctx, GlKind.SUSPENSE, BRANCH)
    assert ledger_balance(bank, suspense.id) == -10_000  # a shortage to investigate

    second = teller.open_shift(ctx, clerk, cny(1_000), key(clerk))
    assert second.box_account_id == shift.box_account_id  # the same box, again
    balanced = teller.close_shift(ctx, clerk, cny(1_000), key(clerk))
    assert balanced.status is ShiftStatus.BALANCED and balanced.difference_minor == 0
    box = teller.cash_box(ctx, clerk, "CNY")
    assert box.shift is None and [s.status for s in box.recent][:2] == [
        ShiftStatus.BALANCED,
        ShiftStatus.DIFFERENCE,
    ]
    actions = {e.action for e in search(ctx, AuditQuery(actor_id=clerk.user_id)).entries}
    assert {"teller.shift_open", "teller.cash_deposit", "teller.shift_close"} <= actions


def test_a_large_withdrawal_waits_for_a_supervisor(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    fund_vault(bank, 200_000)
    account = savings(ctx, individual(ctx, BRANCH), branch_code=BRANCH)
    clerk, boss = staff(bank, Role.TELLER), staff(bank, Role.SUPERVISOR)
    shift = teller.open_shift(ctx, clerk, cny(150_000), key(clerk))
    teller.cash_deposit(ctx, clerk, account.number, cny(80_000), key(clerk))

    receipt = teller.cash_withdrawal(ctx, clerk, account.number, cny(60_000), key(clerk))
    assert receipt.waiting and receipt.approval_id is not None
    assert ledger_balance(bank, account.id) == 8_000_000  # nothing moved yet
    approvals.approve(ctx, boss, receipt.approval_id, "customer identified")
    assert ledger_balance(bank, account.id) == 2_000_000
    assert ledger_balance(bank, shift.box_account_id) == 17_000_000
    with bank.ctx.read() as uow:
        box_history = uow.journal.history(shift.box_account_id, None, 10)
    assert {e.channel for e in box_history} == {"branch"}  # counter postings, even approved


def test_migration_0004_keeps_accounts_and_transfers(database_url: str, bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    fund_vault(bank, 1_000)
    account = savings(ctx, individual(ctx, BRANCH), branch_code=BRANCH)
    ledger.cash_deposit(ctx, BRANCH, account.number, cny(300))
    engine = make_engine(database_url)
    counts_sql = "SELECT (SELECT count(*) FROM accounts) * 1000 + (SELECT count(*) FROM transfers)"
    try:
        with engine.connect() as conn:
            before = conn.execute(text(counts_sql)).scalar_one()
        downgrade(engine, "0003")
        assert schema_revision(engine)[0] == "0003"
        with engine.connect() as conn:
            assert conn.execute(text(counts_sql)).scalar_one() == before
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text(counts_sql)).scalar_one() == before
            if engine.dialect.name == "sqlite":  # foreign keys back on for the pool
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert ledger_balance(bank, account.id) == 30_000
        clerk = staff(bank, Role.TELLER)
        teller.open_shift(ctx, clerk, cny(100), key(clerk))
        with pytest.raises(RuntimeError, match="teller cash box"):
            downgrade(engine, "0003")  # the older schema cannot hold a cash box
        assert schema_revision(engine)[0] == schema_revision(engine)[1]
    finally:
        engine.dispose()


def test_the_dashboard_counts_channels_and_the_substitution_rate(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    fund_vault(bank, 1_000)
    payer = savings(ctx, individual(ctx, BRANCH), branch_code=BRANCH)
    payee = savings(ctx, individual(ctx, HEAD_OFFICE))
    ledger.cash_deposit(ctx, BRANCH, payer.number, cny(300))  # at the counter
    for channel in ("web", "api", "atm"):
        ledger.transfer(ctx, payer.number, payee.number, cny(10), channel=channel)
    clerk = staff(bank, Role.TELLER)
    view = office.branch_dashboard(ctx, clerk, BANK_TIMEZONE)
    assert view.branches == [BRANCH]
    assert (view.today.figures.customers, view.today.figures.accounts) == (1, 1)
    by_channel = {v.channel: (v.count, v.amount_minor) for v in view.last_30_days.figures.volumes}
    assert by_channel == {
        "branch": (1, 30_000),
        "web": (1, 1_000),
        "api": (1, 1_000),
        "atm": (1, 1_000),
    }
    assert view.today.substitution_percent == Decimal("75.0")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "format"),
        ("110105194912310021", "checksum"),
        ("110105194913310029", "birth_date"),
        ("990105194912310023", "region"),
    ],
)
def test_a_bad_resident_id_is_refused_with_its_reason(number: str, reason: str) -> None:
    with pytest.raises(ResidentIdInvalid) as refused:
        check_resident_id(number, date(2026, 11, 7))
    assert refused.value.reason == reason
    assert check_resident_id("110105 19491231002x", date(2026, 11, 7)) == "11010519491231002X"
