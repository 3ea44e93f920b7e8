"""Account statements (对账单) for a range of days: the opening balance at the start, every
posted entry with the running balance after it, the totals of debits and credits, and
the closing balance; as values (JSON), CSV, or a PDF through the ``DocumentRenderer``.

A statement shows what moved the posted (ledger) balance: postings and captured holds.
Open holds change the available balance only, and are in the history instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from uuid import UUID

from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.history_search import (
    counterparty_id,
    day_start_us,
    days_to_range_us,
    side_of,
)
from ebank.application.ports import UnitOfWork
from ebank.application.ports_customers import AccountLabel, Direction
from ebank.application.visibility import account_for
from ebank.domain.access import Actor
from ebank.domain.accounts import Account, NormalSide
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer
from ebank.domain.errors import InvalidInput
from ebank.domain.money import Currency, format_minor
from ebank.domain.transfers import JournalEntry

MAX_PERIOD_DAYS = 366
MAX_STATEMENT_LINES = 10_000
CSV_MEDIA_TYPE = "text/csv"
CSV_COLUMNS = (
    "row",
    "time",
    "transfer_id",
    "type",
    "channel",
    "reference",
    "counterparty_account",
    "counterparty_name",
    "debit",
    "credit",
    "balance",
    "currency",
)
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class StatementLine:
    seq: int
    transfer_id: UUID
    at_us: int
    direction: Direction  # the side this account is on
    amount_minor: int
    balance_minor: int  # the ledger balance after this entry
    code: int
    channel: str
    reference: str
    counterparty: AccountLabel | None


@dataclass(frozen=True, slots=True)
class Statement:
    account: Account
    customer: Customer | None
    first_day: date
    last_day: date
    opening_minor: int
    closing_minor: int
    total_debits_minor: int
    total_credits_minor: int
    lines: list[StatementLine]
    generated_at_us: int

    @property
    def currency(self) -> Currency:
        return Currency.of(self.account.currency)


def balance_change(normal_side: NormalSide, direction: Direction, amount_minor: int) -> int:
    """How an entry moves the balance read on the account's normal side."""
    grows = (direction is Direction.CREDIT) == (normal_side is NormalSide.CREDIT)
    return amount_minor if grows else -amount_minor


def build_statement(
    account: Account,
    customer: Customer | None,
    first_day: date,
    last_day: date,
    opening_sums: tuple[int, int],
    entries: Sequence[JournalEntry],
    labels: Mapping[int, AccountLabel],
    generated_at_us: int,
) -> Statement:
    """The statement from the posted (debits, credits) before the period and the posted
    entries within it, in journal order."""
    side = account.normal_side
    debits_before, credits_before = opening_sums
    opening = balance_change(side, Direction.CREDIT, credits_before) + balance_change(
        side, Direction.DEBIT, debits_before
    )
    balance = opening
    totals = {Direction.DEBIT: 0, Direction.CREDIT: 0}
    lines: list[StatementLine] = []
    for e in entries:
        direction = side_of(e, account.id)
        balance += balance_change(side, direction, e.amount_minor)
        totals[direction] += e.amount_minor
        lines.append(
            StatementLine(
                seq=e.seq or 0,
                transfer_id=e.id,
                at_us=e.created_at_us,
                direction=direction,
                amount_minor=e.amount_minor,
                balance_minor=balance,
                code=e.code,
                channel=e.channel,
                reference=e.reference,
                counterparty=labels.get(counterparty_id(e, account.id)),
            )
        )
    return Statement(
        account=account,
        customer=customer,
        first_day=first_day,
        last_day=last_day,
        opening_minor=opening,
        closing_minor=balance,
        total_debits_minor=totals[Direction.DEBIT],
        total_credits_minor=totals[Direction.CREDIT],
        lines=lines,
        generated_at_us=generated_at_us,
    )


def check_period(first_day: date, last_day: date) -> None:
    if first_day > last_day:
        raise InvalidInput("the period starts after it ends")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidInput(f"a statement covers at most {MAX_PERIOD_DAYS} days")


def statement(
    ctx: Context, actor: Actor, number: str, first_day: date, last_day: date, tz: tzinfo
) -> Statement:
    """The statement of an account the actor may see, for whole days in ``tz``."""
    check_period(first_day, last_day)
    from_us, to_us = days_to_range_us(first_day, last_day, tz)
    assert from_us is not None and to_us is not None

    def work(uow: UnitOfWork, now: int) -> Audited[Statement]:
        account = account_for(uow, actor, number)
        reads = uow.customer_reads
        entries = reads.posted_entries(account.id, from_us, to_us, MAX_STATEMENT_LINES + 1)
        if len(entries) > MAX_STATEMENT_LINES:
            raise InvalidInput(f"more than {MAX_STATEMENT_LINES} entries: ask for a shorter period")
        opening = reads.posted_sums_before(account.id, from_us)
        labels = reads.account_labels([counterparty_id(e, account.id) for e in entries])
        customer = uow.customers.get(account.customer_id) if account.customer_id else None
        built = build_statement(
            account, customer, first_day, last_day, opening, entries, labels, now
        )
        details = {"from": first_day.isoformat(), "to": last_day.isoformat()}
        return Audited(built, f"account:{number}", details)

    return run_audited(
        ctx, actor, "statement.issue", work, changes=False, refused_target=f"account:{number}"
    )


def statement_pdf(ctx: Context, built: Statement, tz: tzinfo) -> bytes:
    assert ctx.documents is not None, "the composition root provides a document renderer"
    return ctx.documents.statement_pdf(built, tz)


# -- presentation helpers shared by the CSV, JSON and PDF forms ----------------------------
def local_time(at_us: int, tz: tzinfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)).astimezone(tz)


def code_label(code: int) -> str:
    return TxCode.label(code)


def decimal_text(minor: int, currency: Currency) -> str:
    """``-1234.50``: a plain decimal string with the currency's own number of decimals."""
    return format_minor(minor, currency, grouping=False)


def closing_at_us(built: Statement, tz: tzinfo) -> int:
    """When the closing balance stands: the end of the period, or now if sooner."""
    end_us = day_start_us(built.last_day + timedelta(days=1), tz)
    return min(end_us, built.generated_at_us)


def statement_csv(built: Statement, tz: tzinfo) -> str:
    """The statement as CSV: a header row, an ``opening`` row, one ``entry`` row per line
    and a ``closing`` row carrying the totals; amounts as decimal strings."""
    cur = built.currency
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    start = local_time(day_start_us(built.first_day, tz), tz).isoformat()
    writer.writerow(["opening", start, *[""] * 8, decimal_text(built.opening_minor, cur), cur.code])
    for line in built.lines:
        amount = decimal_text(line.amount_minor, cur)
        is_debit = line.direction is Direction.DEBIT
        party = line.counterparty
        writer.writerow(
            [
                "entry",
                local_time(line.at_us, tz).isoformat(),
                str(line.transfer_id),
                code_label(line.code),
                _cell(line.channel),
                _cell(line.reference),
                party.number if party else "",
                _cell(party.name) if party else "",
                amount if is_debit else "",
                "" if is_debit else amount,
                decimal_text(line.balance_minor, cur),
                cur.code,
            ]
        )
    writer.writerow(
        [
            "closing",
            local_time(closing_at_us(built, tz), tz).isoformat(),
            *[""] * 6,
            decimal_text(built.total_debits_minor, cur),
            decimal_text(built.total_credits_minor, cur),
            decimal_text(built.closing_minor, cur),
            cur.code,
        ]
    )
    return out.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
