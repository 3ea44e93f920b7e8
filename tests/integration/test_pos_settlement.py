"""End-of-day POS settlement on SQLite and PostgreSQL, with exact figures: each
merchant is paid its day's purchases net of the day's reversals, less the fee rounded
half-up, from its branch clearing account; a second run pays nothing again; another
day's sales, ATM withdrawals and declines are not counted; the ledger balances."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import insert

from ebank.adapters.clock import FixedClock
from ebank.adapters.db.tables_switch import switch_messages
from ebank.application import ledger, merchants, pos_settlement, terminals
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.codes import TxCode
from ebank.domain.terminals import Cassette
from ebank.domain.transfers import Transfer
from factories import BRANCH, bank_with_branch, deposit, funded_savings, gl, savings, scalar

DAY = date(2026, 11, 7)  # the test clock starts at 09:00 that day in Shanghai
_stan = itertools.count(1)


def _log(bank: Bank, terminal_id: str, transfer_id: UUID | None, amount: int, **kw: str) -> None:
    """A row of the switch's message log, as the switch writes it."""
    values = {
        "terminal_id": terminal_id,
        "stan": f"{next(_stan):06d}",
        "local_date": "1107",
        "message_class": kw.get("message_class", "financial"),
        "mti": kw.get("mti", "0200"),
        "processing_code": kw.get("processing_code", "000000"),
        "amount_minor": amount,
        "currency": "CNY",
        "pan_last4": "1234",
        "rrn": "000000000001",
        "response_code": kw.get("response_code", "00"),
        "transfer_id": transfer_id,
        "response": "{}",
        "created_at_us": bank.ctx.clock.now_us(),
    }
    with bank.engine.begin() as conn:
        conn.execute(insert(switch_messages).values(values))


def _purchase(bank: Bank, card_account: Account, terminal_id: str, amount: int) -> UUID:
    clearing = gl(bank.ctx, GlKind.CLEARING, BRANCH)
    transfer = Transfer(
        id=bank.ctx.ids.new_id(),
        debit_account_id=card_account.id,
        credit_account_id=clearing.id,
        amount_minor=amount,
        code=TxCode.POS_PURCHASE,
        channel="pos",
        reference=f"pos {terminal_id}",
    )
    ledger.post_one(bank.ctx, transfer)
    _log(bank, terminal_id, transfer.id, amount)
    return transfer.id


def _reverse(bank: Bank, terminal_id: str, original: UUID, amount: int) -> None:
    entry = ledger.reverse(bank.ctx, original, amount_minor=amount, channel="pos")
    _log(bank, terminal_id, entry.id, amount, message_class="reversal", mti="0400")


def _ledger_balance(bank: Bank, account_id: int) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account_id).ledger_minor


def test_merchants_are_paid_net_of_reversals_less_the_fee_once(
    bank: Bank, clock: FixedClock
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    shop_a, shop_b = savings(ctx, branch_code=BRANCH), savings(ctx, branch_code=BRANCH)
    merchants.add_merchant(
        ctx, None, "MA", "Shop A", "5411", BRANCH, shop_a.number, Decimal("0.006")
    )
    merchants.add_merchant(
        ctx, None, "MB", "Shop B", "5812", BRANCH, shop_b.number, Decimal("0.0125")
    )
    terminals.register_pos(ctx, None, "POSA0001", "MA", "ZPK-TEST-1", "till")
    terminals.register_pos(ctx, None, "POSB0001", "MB", "ZPK-TEST-1", "till")
    buyer = funded_savings(ctx, 1_000_000, branch_code=BRANCH)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 100_000, BRANCH)  # cash for the ATM
    terminals.register_atm(
        ctx, None, "ATM00001", BRANCH, "ZPK-TEST-1", "hall", (Cassette(1, "CNY", 10_000, 10, 1),)
    )

    _purchase(bank, buyer, "POSA0001", 12_345)
    big = _purchase(bank, buyer, "POSA0001", 25_000)
    undone = _purchase(bank, buyer, "POSA0001", 9_999)
    _reverse(bank, "POSA0001", undone, 9_999)  # in whole
    _reverse(bank, "POSA0001", big, 5_000)  # in part
    _purchase(bank, buyer, "POSB0001", 1_000)
    _log(bank, "POSA0001", None, 777, response_code="51")  # declined: nothing posted
    with ctx.read() as uow:
        atm = uow.terminals.get("ATM00001")
    assert atm is not None and atm.cash_account_id is not None
    withdrawal = Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=buyer.id,
        credit_account_id=atm.cash_account_id,
        amount_minor=10_000,
        code=TxCode.ATM_WITHDRAWAL,
        channel="atm",
    )
    ledger.post_one(ctx, withdrawal)
    _log(bank, "ATM00001", withdrawal.id, 10_000, processing_code="010000")
    clock.advance(86_400)  # the next day: not part of DAY
    _purchase(bank, buyer, "POSA0001", 5_000)

    reports = pos_settlement.settle_pos(ctx, None, DAY)
    a, b = reports
    assert (a.merchant_id, a.sales_count, a.sales_minor) == ("MA", 3, 47_344)
    assert (a.reversals_count, a.reversals_minor, a.net_minor) == (2, 14_999, 32_345)
    assert (a.fee_minor, a.paid_minor, a.status) == (194, 32_151, "settled")  # 194.07
    assert (b.merchant_id, b.net_minor, b.fee_minor, b.paid_minor) == ("MB", 1_000, 13, 987)
    assert _ledger_balance(bank, shop_a.id) == 32_151
    assert _ledger_balance(bank, shop_b.id) == 987
    fee_income = gl(ctx, GlKind.FEE_INCOME, BRANCH)
    assert _ledger_balance(bank, fee_income.id) == 194 + 13

    transfers = scalar(bank.engine, "SELECT count(*) FROM transfers")
    again = pos_settlement.settle_pos(ctx, None, DAY)
    assert [(r.status, r.paid_minor) for r in again] == [
        ("already_settled", 32_151),
        ("already_settled", 987),
    ]
    assert scalar(bank.engine, "SELECT count(*) FROM transfers") == transfers
    assert _ledger_balance(bank, shop_a.id) == 32_151

    [next_day] = pos_settlement.settle_pos(ctx, None, date(2026, 11, 8))
    assert (next_day.net_minor, next_day.fee_minor, next_day.paid_minor) == (5_000, 30, 4_970)
    clearing = gl(ctx, GlKind.CLEARING, BRANCH)
    assert _ledger_balance(bank, clearing.id) == 0  # every sale settled, nothing left over
    assert pos_settlement.settle_pos(ctx, None, date(2026, 11, 9)) == []
    assert verify_ledger(ctx).ok
