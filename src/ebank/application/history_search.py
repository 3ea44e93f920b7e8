"""An account's transaction history, filtered and paged.

Filters: a range of dates in the bank's time zone, an amount range, the transaction code
(``domain/codes.py``), the channel and the side of the entry. Newest first; a page holds
at most ``MAX_LIMIT`` entries and its cursor is an opaque string that encodes the journal
position of its last entry, so paging stays stable while new entries arrive.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_customers import AccountLabel, Direction, HistoryFilter
from ebank.application.visibility import account_for
from ebank.domain.access import Actor
from ebank.domain.accounts import Account
from ebank.domain.errors import InvalidInput
from ebank.domain.money import MAX_AMOUNT_MINOR
from ebank.domain.transfers import MAX_CHANNEL_LENGTH, JournalEntry

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_PREFIX = "h1:"
MAX_CURSOR_LENGTH = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    first_day: date | None = None  # inclusive, in the bank's time zone
    last_day: date | None = None  # inclusive
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    code: int | None = None
    channel: str | None = None
    direction: Direction | None = None
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True, slots=True)
class HistoryLine:
    entry: JournalEntry
    direction: Direction  # the side this account is on
    counterparty: AccountLabel | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    account: Account
    lines: list[HistoryLine]
    next_cursor: str | None  # pass it back for the next (older) page


def encode_cursor(seq: int) -> str:
    raw = f"{_CURSOR_PREFIX}{seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The journal position a cursor encodes; ``InvalidInput`` for anything else."""
    bad = InvalidInput("the cursor is not one this API gave out")
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise bad
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    digits = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not (digits.isascii() and digits.isdigit()):
        raise bad
    return int(digits)


def day_start_us(day: date, tz: tzinfo) -> int:
    """Microseconds since the epoch at the first instant of ``day`` in ``tz``."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return (start - _EPOCH) // timedelta(microseconds=1)


def days_to_range_us(
    first: date | None, last: date | None, tz: tzinfo
) -> tuple[int | None, int | None]:
    """The half-open instant range ``[from, to)`` covering whole days ``first..last``."""
    if first is not None and last is not None and first > last:
        raise InvalidInput("the range starts after it ends")
    from_us = day_start_us(first, tz) if first is not None else None
    to_us = day_start_us(last + timedelta(days=1), tz) if last is not None else None
    return from_us, to_us


def history_filter(query: HistoryQuery, tz: tzinfo) -> HistoryFilter:
    """The store's filter for ``query``; refuses ranges and values that make no sense."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}")
    for amount in (query.min_amount_minor, query.max_amount_minor):
        if amount is not None and not 0 <= amount <= MAX_AMOUNT_MINOR:
            raise InvalidInput("amounts are whole minor units, zero or more")
    if (
        query.min_amount_minor is not None
        and query.max_amount_minor is not None
        and query.min_amount_minor > query.max_amount_minor
    ):
        raise InvalidInput("the smallest amount is above the largest")
    if query.code is not None and not 0 <= query.code <= 65535:
        raise InvalidInput("transaction codes are 0 to 65535")
    if query.channel is not None and not 1 <= len(query.channel) <= MAX_CHANNEL_LENGTH:
        raise InvalidInput(f"a channel is 1 to {MAX_CHANNEL_LENGTH} characters")
    from_us, to_us = days_to_range_us(query.first_day, query.last_day, tz)
    return HistoryFilter(
        from_us=from_us,
        to_us=to_us,
        min_amount_minor=query.min_amount_minor,
        max_amount_minor=query.max_amount_minor,
        code=query.code,
        channel=query.channel,
        direction=query.direction,
    )


def side_of(entry: JournalEntry, account_id: int) -> Direction:
    return Direction.DEBIT if entry.debit_account_id == account_id else Direction.CREDIT


def counterparty_id(entry: JournalEntry, account_id: int) -> int:
    return (
        entry.credit_account_id if entry.debit_account_id == account_id else entry.debit_account_id
    )


def search_history(
    ctx: Context, actor: Actor, number: str, query: HistoryQuery, tz: tzinfo
) -> HistoryPage:
    """A page of the history of an account the actor may see."""
    where = history_filter(query, tz)
    before_seq = decode_cursor(query.cursor) if query.cursor is not None else None

    def work(uow: UnitOfWork, now: int) -> Audited[HistoryPage]:
        account = account_for(uow, actor, number)
        found = uow.customer_reads.search_history(account.id, where, before_seq, query.limit + 1)
        page = found[: query.limit]
        labels = uow.customer_reads.account_labels([counterparty_id(e, account.id) for e in page])
        lines = [
            HistoryLine(e, side_of(e, account.id), labels.get(counterparty_id(e, account.id)))
            for e in page
        ]
        last_seq = page[-1].seq if page else None
        more = len(found) > query.limit and last_seq is not None
        cursor = encode_cursor(last_seq) if more and last_seq is not None else None
        return Audited(HistoryPage(account, lines, cursor), f"account:{number}")

    return run_audited(
        ctx, actor, "account.history", work, changes=False, refused_target=f"account:{number}"
    )
