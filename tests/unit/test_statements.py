"""Statements as values: opening balance, running balances, totals, the period rule and
the CSV form; and the pure parts of the history search (cursor, day ranges, filters)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from ebank.application.history_search import (
    MAX_LIMIT,
    HistoryQuery,
    day_start_us,
    decode_cursor,
    encode_cursor,
    history_filter,
)
from ebank.application.ports_customers import AccountLabel, Direction
from ebank.application.statements import (
    CSV_COLUMNS,
    MAX_PERIOD_DAYS,
    build_statement,
    check_period,
    statement_csv,
)
from ebank.domain.accounts import Account, AccountStatus
from ebank.domain.codes import TxCode
from ebank.domain.errors import InvalidInput
from ebank.domain.transfers import JournalEntry, TransferKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-07 09:00 in Shanghai (the shared fixtures' epoch).
AT_US = 1_794_013_200_000_000
OTHER = 99


def account(product: str = "SAV", currency: str = "CNY", account_id: int = 7) -> Account:
    return Account(
        id=account_id,
        number="0100000000000070",
        product_code=product,
        currency=currency,
        branch_code="0100",
        customer_id=1,
        name="张三",
        status=AccountStatus.ACTIVE,
        overdraft_limit_minor=0,
        debits_must_not_exceed_credits=product == "SAV",
        credits_must_not_exceed_debits=product == "LOAN",
        gl_kind=None,
        opened_at_us=0,
    )


def entry(seq: int, debit: int, credit: int, amount: int, reference: str = "") -> JournalEntry:
    return JournalEntry(
        id=UUID(int=seq),
        kind=TransferKind.POSTING,
        debit_account_id=debit,
        credit_account_id=credit,
        amount_minor=amount,
        currency="CNY",
        code=TxCode.TRANSFER,
        channel="api",
        reference=reference,
        pending_id=None,
        reversal_of=None,
        timeout_s=0,
        expires_at_us=None,
        created_at_us=AT_US + seq,
        seq=seq,
    )


LABELS = {OTHER: AccountLabel(OTHER, "0100000000000990", "李四", is_internal=False)}


def test_a_deposit_statement_runs_from_opening_to_closing() -> None:
    acct = account()
    entries = [
        entry(10, OTHER, acct.id, 50_000),  # money in
        entry(11, acct.id, OTHER, 12_345),  # money out
        entry(12, OTHER, acct.id, 5),
    ]
    # Before the period: 100.00 in, 30.00 out.
    built = build_statement(
        acct, None, date(2026, 11, 1), date(2026, 11, 2), (3_000, 10_000), entries, LABELS, AT_US
    )
    assert built.opening_minor == 7_000
    assert [line.balance_minor for line in built.lines] == [57_000, 44_655, 44_660]
    assert [line.direction for line in built.lines] == [
        Direction.CREDIT,
        Direction.DEBIT,
        Direction.CREDIT,
    ]
    assert (built.total_debits_minor, built.total_credits_minor) == (12_345, 50_005)
    assert built.closing_minor == built.opening_minor + 50_005 - 12_345
    assert built.lines[0].counterparty == LABELS[OTHER]


def test_a_loan_statement_grows_with_debits() -> None:
    loan = account("LOAN")
    built = build_statement(
        loan,
        None,
        date(2026, 11, 1),
        date(2026, 11, 1),
        (100_000, 0),  # disbursed 1,000.00
        [entry(1, OTHER, loan.id, 40_000)],  # a repayment credits the loan
        {},
        AT_US,
    )
    assert built.opening_minor == 100_000
    assert built.closing_minor == 60_000
    assert built.lines[0].counterparty is None


def test_an_empty_period_closes_at_its_opening() -> None:
    built = build_statement(
        account(), None, date(2026, 1, 1), date(2026, 1, 31), (0, 900), [], {}, AT_US
    )
    assert built.opening_minor == built.closing_minor == 900
    assert built.total_debits_minor == built.total_credits_minor == 0


def test_the_period_is_at_most_366_days_and_runs_forwards() -> None:
    check_period(date(2024, 1, 1), date(2024, 12, 31))  # a leap year: 366 days
    with pytest.raises(InvalidInput, match=str(MAX_PERIOD_DAYS)):
        check_period(date(2025, 1, 1), date(2026, 1, 2))
    with pytest.raises(InvalidInput):
        check_period(date(2026, 2, 2), date(2026, 2, 1))


def test_csv_has_a_header_and_exact_decimal_amounts() -> None:
    acct = account(currency="CNY")
    entries = [
        entry(1, OTHER, acct.id, 100_005, reference="=HYPERLINK(1)"),
        entry(2, acct.id, OTHER, 7),
    ]
    built = build_statement(
        acct, None, date(2026, 11, 7), date(2026, 11, 7), (0, 0), entries, LABELS, AT_US
    )
    rows = list(csv.DictReader(io.StringIO(statement_csv(built, SHANGHAI))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["row"] for r in rows] == ["opening", "entry", "entry", "closing"]
    assert rows[0]["balance"] == "0.00"
    assert rows[0]["time"] == "2026-11-07T00:00:00+08:00"
    first = rows[1]
    assert (first["credit"], first["debit"], first["balance"]) == ("1000.05", "", "1000.05")
    assert first["reference"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert first["counterparty_name"] == "李四"
    assert first["type"] == "transfer"
    assert (rows[2]["debit"], rows[2]["balance"]) == ("0.07", "999.98")
    closing = rows[3]
    assert (closing["debit"], closing["credit"], closing["balance"]) == (
        "0.07",
        "1000.05",
        "999.98",
    )


def test_csv_uses_the_currencys_own_exponent() -> None:
    acct = account(currency="JPY")
    built = build_statement(
        acct, None, date(2026, 11, 2), date(2026, 11, 2), (0, 1_500), [], {}, AT_US
    )
    rows = list(csv.DictReader(io.StringIO(statement_csv(built, SHANGHAI))))
    assert rows[0]["balance"] == "1500"
    assert rows[-1]["currency"] == "JPY"


# -- history search, the pure parts ---------------------------------------------------------
def test_cursors_round_trip_and_refuse_anything_else() -> None:
    for seq in (1, 42, 2**62):
        cursor = encode_cursor(seq)
        assert cursor.isascii() and str(seq) not in cursor  # opaque to the client
        assert decode_cursor(cursor) == seq
    for bad in ("", "abc", "!!!!", encode_cursor(5)[:-1] + "*", "x" * 500, "aDE6LTE"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad)


def test_days_are_the_banks_days() -> None:
    start = datetime(2026, 11, 7, tzinfo=SHANGHAI)
    assert day_start_us(date(2026, 11, 7), SHANGHAI) == int(start.timestamp()) * 1_000_000
    where = history_filter(
        HistoryQuery(first_day=date(2026, 11, 7), last_day=date(2026, 11, 7)), SHANGHAI
    )
    assert where.from_us == day_start_us(date(2026, 11, 7), SHANGHAI)
    assert where.to_us == where.from_us + 86_400_000_000
    assert where.from_us is not None and where.from_us < AT_US < where.to_us
    # Midnight in Shanghai is 16:00 UTC the day before.
    assert datetime.fromtimestamp(where.from_us // 1_000_000, ZoneInfo("UTC")).hour == 16


@pytest.mark.parametrize(
    "query",
    [
        HistoryQuery(limit=0),
        HistoryQuery(limit=MAX_LIMIT + 1),
        HistoryQuery(min_amount_minor=10, max_amount_minor=9),
        HistoryQuery(min_amount_minor=-1),
        HistoryQuery(first_day=date(2026, 11, 3), last_day=date(2026, 11, 2)),
        HistoryQuery(code=70_000),
        HistoryQuery(channel="x" * 17),
    ],
)
def test_nonsense_filters_are_refused(query: HistoryQuery) -> None:
    with pytest.raises(InvalidInput):
        history_filter(query, SHANGHAI)


def test_a_filter_keeps_what_was_asked() -> None:
    where = history_filter(
        HistoryQuery(
            min_amount_minor=100,
            max_amount_minor=100,
            code=TxCode.CASH_DEPOSIT,
            channel="branch",
            direction=Direction.CREDIT,
        ),
        SHANGHAI,
    )
    assert (where.min_amount_minor, where.max_amount_minor) == (100, 100)
    assert (where.code, where.channel, where.direction) == (1001, "branch", Direction.CREDIT)
    assert where.from_us is None and where.to_us is None
