"""Terminals and merchants on SQLite and PostgreSQL: an ATM registered with its own cash
account in its branch, its cassettes loaded from the vault and unloaded back (the
ledger balances throughout); a POS terminal at an active merchant; identifiers
validated; staff within their branch and audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from e2e.api.support import add_user
from ebank.application import atm_cash, audit, merchants, terminals
from ebank.application.ports_identity import AuditQuery
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import GlKind
from ebank.domain.errors import (
    AtmCashShort,
    Forbidden,
    InvalidInput,
    MerchantNotFound,
    OutsideBranch,
    TerminalExists,
    TerminalKindMismatch,
)
from ebank.domain.terminals import Cassette, TerminalKind
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, deposit, gl, savings

CASSETTES = (
    Cassette(1, "CNY", 10_000, 200, 20),  # 200 notes of 100 yuan
    Cassette(2, "CNY", 5_000, 100, 10),  # 100 notes of 50 yuan
)


def _staff(bank: Bank, role: Role, branch: str) -> Actor:
    user = add_user(bank, role=role, branch_code=branch)
    return Actor(
        user.user_id,
        user.username,
        UserKind.STAFF,
        role,
        branch_code=branch,
        at_head_office=branch == HEAD_OFFICE,
    )


def _cash(bank: Bank, account_id: int) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account_id).ledger_minor


def test_an_atm_is_registered_loaded_and_unloaded(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    vault = gl(ctx, GlKind.CASH, BRANCH)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 5_000_000, BRANCH)  # 50,000 in the vault
    ops = _staff(bank, Role.OPERATIONS, BRANCH)

    atm = terminals.register_atm(ctx, ops, "ATM00001", BRANCH, "ZPK-TEST-1", "Lobby", CASSETTES)
    assert atm.kind == TerminalKind.ATM and atm.kind == "atm"
    assert atm.cash_minor == 2_500_000 and atm.state == "ok" and not atm.signed_on
    assert atm.cash_account_id is not None
    with ctx.read() as uow:
        account = uow.accounts.get(atm.cash_account_id)
        assert account is not None and account.gl_kind is GlKind.ATM_CASH
        assert account.branch_code == BRANCH and account.product_code == "GL-CASH"
        assert terminals.terminal(uow, "ATM00001") == atm
        assert terminals.terminal(uow, "NOSUCH01") is None
    assert _cash(bank, atm.cash_account_id) == 2_500_000
    assert _cash(bank, vault.id) == 2_500_000

    # the second ATM's cassettes are more than what is left in the vault: nothing at all
    with pytest.raises(AtmCashShort):
        full = (Cassette(1, "CNY", 10_000, 300, 5),)
        terminals.register_atm(ctx, ops, "ATM00002", BRANCH, "ZPK-TEST-1", "Hall", full)
    with ctx.read() as uow:
        assert uow.terminals.get("ATM00002") is None
    with pytest.raises(TerminalExists):
        terminals.register_atm(ctx, None, "ATM00001", BRANCH, "ZPK-TEST-1", "Again", CASSETTES)

    # load 10 more 100s; unload the 50s only; then everything
    loaded = atm_cash.load_atm(ctx, ops, "ATM00001", {1: 10})
    assert [c.notes for c in loaded.cassettes] == [210, 100]
    assert _cash(bank, atm.cash_account_id) == 2_600_000
    with pytest.raises(AtmCashShort):
        atm_cash.unload_atm(ctx, ops, "ATM00001", {2: 101})
    partly = atm_cash.unload_atm(ctx, ops, "ATM00001", {2: 100})
    assert [c.notes for c in partly.cassettes] == [210, 0]
    emptied = atm_cash.unload_atm(ctx, ops, "ATM00001")
    assert emptied.cash_minor == 0 and _cash(bank, atm.cash_account_id) == 0
    assert _cash(bank, vault.id) == 5_000_000
    assert verify_ledger(ctx).ok

    entries = audit.search(ctx, AuditQuery(action="terminal.register_atm")).entries
    assert [e.outcome for e in entries].count("ok") == 1
    assert {e.target for e in audit.search(ctx, AuditQuery(action="atm.load")).entries} == {
        "terminal:ATM00001"
    }


def test_a_pos_terminal_needs_an_active_merchant(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    shop = savings(ctx, branch_code=BRANCH)
    admin = _staff(bank, Role.ADMIN, HEAD_OFFICE)
    with pytest.raises(MerchantNotFound):
        terminals.register_pos(ctx, admin, "POS00001", "M1", "ZPK-TEST-1", "Till 1")
    merchant = merchants.add_merchant(
        ctx,
        admin,
        "104110000000001",
        "小卖部 Corner Shop",
        "5411",
        BRANCH,
        shop.number,
        Decimal("0.006"),
    )
    assert merchant.settlement_account_number == shop.number
    assert merchant.fee_rate == Decimal("0.006")
    pos = terminals.register_pos(ctx, admin, "POS00001", "104110000000001", "ZPK-TEST-1", "Till")
    assert pos.kind == "pos" and pos.merchant_id == "104110000000001"
    assert pos.branch_code == BRANCH and pos.cash_account_id is None
    with pytest.raises(TerminalKindMismatch):
        atm_cash.load_atm(ctx, admin, "POS00001", {1: 1})
    listed = terminals.list_terminals(ctx, admin)
    assert [t.terminal_id for t in listed] == ["POS00001"]
    assert [m.merchant_id for m in merchants.list_merchants(ctx, None)] == ["104110000000001"]


@pytest.mark.parametrize(
    ("terminal_id", "mcc", "rate"),
    [
        ("ATM0001", "5411", "0.006"),  # 7 characters
        ("atm00001", "5411", "0.006"),  # lower case
        ("ATM00001", "541", "0.006"),
        ("ATM00001", "54A1", "0.006"),
        ("ATM00001", "5411", "0.11"),
        ("ATM00001", "5411", "-0.01"),
        ("ATM00001", "5411", "0.0000001"),
    ],
)
def test_identifiers_and_rates_are_validated(
    bank: Bank, terminal_id: str, mcc: str, rate: str
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    shop = savings(ctx, branch_code=BRANCH)
    bad_merchant = mcc != "5411" or rate != "0.006"
    if bad_merchant:
        with pytest.raises(InvalidInput):
            merchants.add_merchant(ctx, None, "M1", "Shop", mcc, BRANCH, shop.number, Decimal(rate))
        assert merchants.list_merchants(ctx, None) == []
    else:
        with pytest.raises(InvalidInput):
            terminals.register_atm(ctx, None, terminal_id, BRANCH, "ZPK-TEST-1", "x", CASSETTES)
        assert terminals.list_terminals(ctx, None) == []


def test_staff_act_in_their_branch_and_role(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    teller = _staff(bank, Role.TELLER, BRANCH)
    with pytest.raises(Forbidden):
        terminals.register_atm(ctx, teller, "ATM00009", BRANCH, "ZPK-TEST-1", "x", CASSETTES)
    other = _staff(bank, Role.OPERATIONS, BRANCH)
    with pytest.raises(OutsideBranch):
        terminals.register_atm(ctx, other, "ATM00009", HEAD_OFFICE, "ZPK-TEST-1", "x", CASSETTES)
    refused = audit.search(ctx, AuditQuery(action="terminal.register_atm")).entries
    assert [e.outcome for e in refused] == ["outside_branch"]
