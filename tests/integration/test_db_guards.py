"""The database guards the ledger's invariants by itself, on SQLite and PostgreSQL: even SQL
that bypasses the application cannot duplicate, edit or delete a journal entry, resolve a
hold twice, push an account past its limit, or book a transfer in the wrong currency.

Each refusal is paired with a harmless statement of the same shape that succeeds, so a test
cannot pass merely because the SQL was malformed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ebank.application import ledger
from ebank.application.context import Context
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.transfers import Transfer, TransferKind
from factories import (
    current,
    deposit,
    funded_savings,
    gl,
    head_office,
    new_id,
    posting,
    savings,
    scalar,
    uuid_param,
)


@dataclass
class Books:
    ctx: Context
    engine: Engine
    saver: Account  # savings, 10,000 paid in
    company: Account  # current account, overdraft 5,000, 1,000 paid in
    other: Account
    cash: Account
    posted_id: UUID  # saver -> other, 1,000
    open_hold_id: UUID  # saver -> other, 500, still pending
    captured_hold_id: UUID  # saver -> other, 300, posted


@pytest.fixture
def books(bank: Bank) -> Iterator[Books]:
    ctx = bank.ctx
    head_office(ctx)
    saver, other = funded_savings(ctx, 10_000), savings(ctx)
    company = current(ctx, overdraft_minor=5_000)
    deposit(ctx, company, 1_000)
    t = posting(saver, other, 1_000)
    hold = posting(saver, other, 500, kind=TransferKind.PENDING, timeout_s=3600)
    captured = posting(saver, other, 300, kind=TransferKind.PENDING, timeout_s=3600)
    assert ledger.post_batch(ctx, [t, hold, captured]).all_ok
    post = Transfer(id=new_id(), kind=TransferKind.POST_PENDING, pending_id=captured.id)
    assert ledger.post_batch(ctx, [post]).all_ok
    yield Books(
        ctx, bank.engine, saver, company, other, gl(ctx, GlKind.CASH), t.id, hold.id, captured.id
    )


def refused(engine: Engine, sql: str, match: str | None = None, **params: Any) -> str:
    """Run ``sql`` in its own transaction, expect the database to refuse it, and return
    the database's message."""
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(sql), params)
    message = str(caught.value.orig)
    if match is not None:
        assert match.lower() in message.lower(), message
    return message


def accepted(engine: Engine, sql: str, **params: Any) -> int:
    """Run ``sql`` and roll it back; return how many rows it touched."""
    with engine.connect() as conn:
        conn.begin()
        count = conn.execute(text(sql), params).rowcount
        conn.rollback()
    return count


INSERT = (
    "INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount_minor,"
    " currency, code, channel, reference, pending_id, reversal_of, timeout_s, expires_at_us,"
    " created_at_us, pending_status) VALUES (:id, :kind, :dr, :cr, :amount, :currency, 0,"
    " 'sql', '', :pending_id, :reversal_of, 0, NULL, 0, :status)"
)


def row(b: Books, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": new_id(),
        "kind": "posting",
        "dr": b.saver.id,
        "cr": b.other.id,
        "amount": 1,
        "currency": "CNY",
        "pending_id": None,
        "reversal_of": None,
        "status": None,
    }
    values.update(changes)
    for key in ("id", "pending_id", "reversal_of"):
        if isinstance(values[key], UUID):
            values[key] = uuid_param(b.engine, values[key])
    return values


def by_id(b: Books, transfer_id: UUID) -> dict[str, Any]:
    return {"id": uuid_param(b.engine, transfer_id)}


# -- the journal ---------------------------------------------------------------------------------
def test_a_well_formed_row_is_accepted(books: Books) -> None:
    with books.engine.connect() as conn:
        conn.begin()
        conn.execute(text(INSERT), row(books))
        conn.rollback()


def test_a_duplicate_transfer_id_is_refused(books: Books) -> None:
    refused(books.engine, INSERT, "unique", **row(books, id=books.posted_id))
    assert (
        scalar(
            books.engine,
            "SELECT COUNT(*) FROM transfers WHERE id = :id",
            **by_id(books, books.posted_id),
        )
        == 1
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("amount_minor", 999_999),
        ("amount_minor", "amount_minor - 1"),
        ("debit_account_id", None),
        ("reference", "'edited'"),
        ("created_at_us", "created_at_us + 1"),
        ("channel", "'atm'"),
    ],
)
def test_a_journal_entry_cannot_be_edited(books: Books, column: str, value: Any) -> None:
    new = value if value is not None else books.company.id
    refused(
        books.engine,
        f"UPDATE transfers SET {column} = {new} WHERE id = :id",
        "append-only",
        **by_id(books, books.posted_id),
    )
    assert (
        scalar(
            books.engine,
            "SELECT amount_minor FROM transfers WHERE id = :id",
            **by_id(books, books.posted_id),
        )
        == 1_000
    )


def test_a_journal_entry_cannot_be_deleted(books: Books) -> None:
    refused(
        books.engine,
        "DELETE FROM transfers WHERE id = :id",
        "append-only",
        **by_id(books, books.posted_id),
    )
    refused(books.engine, "DELETE FROM transfers", "append-only")
    # two cash deposits, a posting, two holds and a capture
    assert scalar(books.engine, "SELECT COUNT(*) FROM transfers") == 6


def test_an_open_hold_may_be_resolved_once(books: Books) -> None:
    assert (
        accepted(
            books.engine,
            "UPDATE transfers SET pending_status = 'voided' WHERE id = :id",
            **by_id(books, books.open_hold_id),
        )
        == 1
    )


@pytest.mark.parametrize("status", ["pending", "voided", "expired"])
def test_a_resolved_hold_stays_resolved(books: Books, status: str) -> None:
    refused(
        books.engine,
        "UPDATE transfers SET pending_status = :status WHERE id = :id",
        "resolved",
        status=status,
        **by_id(books, books.captured_hold_id),
    )
    assert (
        scalar(
            books.engine,
            "SELECT COUNT(*) FROM transfers WHERE id = :id AND pending_status = 'posted'",
            **by_id(books, books.captured_hold_id),
        )
        == 1
    )


def test_a_posting_has_no_pending_status(books: Books) -> None:
    refused(
        books.engine,
        "UPDATE transfers SET pending_status = 'posted' WHERE id = :id",
        **by_id(books, books.posted_id),
    )


def test_a_hold_is_resolved_by_one_transfer_only(books: Books) -> None:
    second = row(books, kind="post_pending", pending_id=books.captured_hold_id)
    refused(books.engine, INSERT, **second)
    first = row(books, kind="void_pending", pending_id=books.open_hold_id)
    with books.engine.connect() as conn:
        conn.begin()
        conn.execute(text(INSERT), first)
        conn.rollback()


def test_a_transfer_is_reversed_once(books: Books) -> None:
    reversal = row(books, dr=books.other.id, cr=books.saver.id, reversal_of=books.posted_id)
    with books.engine.begin() as conn:
        conn.execute(text(INSERT), reversal)
    refused(
        books.engine,
        INSERT,
        **row(books, dr=books.other.id, cr=books.saver.id, reversal_of=books.posted_id),
    )


@pytest.mark.parametrize("amount", [0, -1, -1_000])
def test_an_amount_must_be_positive(books: Books, amount: int) -> None:
    refused(books.engine, INSERT, "amount_positive", **row(books, amount=amount))


def test_a_transfer_needs_two_accounts(books: Books) -> None:
    refused(books.engine, INSERT, "two_accounts", **row(books, cr=books.saver.id))


@pytest.mark.parametrize("side", ["dr", "cr"])
def test_a_transfer_is_in_its_accounts_currency(books: Books, side: str) -> None:
    head_office_usd = gl(books.ctx, GlKind.SUSPENSE)  # a CNY account
    mixed = row(books, currency="USD", **{side: head_office_usd.id})
    refused(books.engine, INSERT, **mixed)
    refused(books.engine, INSERT, **row(books, currency="JPY"))
    assert accepted(books.engine, INSERT, **row(books, **{side: head_office_usd.id})) == 1


def test_a_transfer_names_existing_accounts_and_transfers(books: Books) -> None:
    refused(books.engine, INSERT, **row(books, dr=10**9))
    refused(books.engine, INSERT, **row(books, kind="post_pending", pending_id=new_id()))
    refused(books.engine, INSERT, **row(books, reversal_of=new_id()))


@pytest.mark.parametrize(
    ("changes"),
    [
        {"kind": "pending", "status": None},
        {"kind": "posting", "status": "pending"},
        {"kind": "pending", "status": "lost"},
        {"kind": "post_pending"},
        {"kind": "refund"},
    ],
)
def test_a_transfer_kind_and_status_agree(books: Books, changes: dict[str, Any]) -> None:
    refused(books.engine, INSERT, **row(books, **changes))


# -- accounts ---------------------------------------------------------------------------------
def test_a_savings_account_cannot_go_below_zero(books: Books) -> None:
    # saver: 10,000 in, 1,000 + 300 out, 500 on hold: 8,200 to spare
    update = "UPDATE balances SET debits_posted = debits_posted + :n WHERE account_id = :id"
    assert accepted(books.engine, update, n=8_200, id=books.saver.id) == 1
    refused(books.engine, update, "debits_within_credits", n=8_201, id=books.saver.id)
    refused(
        books.engine,
        "UPDATE balances SET debits_pending = debits_pending + 8201 WHERE account_id = :id",
        "debits_within_credits",
        id=books.saver.id,
    )
    refused(
        books.engine,
        "UPDATE balances SET credits_posted = 0 WHERE account_id = :id",
        "debits_within_credits",
        id=books.saver.id,
    )


def test_an_overdraft_is_a_limit_too(books: Books) -> None:
    update = "UPDATE balances SET debits_posted = debits_posted + :n WHERE account_id = :id"
    assert accepted(books.engine, update, n=6_000, id=books.company.id) == 1
    refused(books.engine, update, "debits_within_credits", n=6_001, id=books.company.id)
    for table, key in (("accounts", "id"), ("balances", "account_id")):
        refused(
            books.engine,
            f"UPDATE {table} SET overdraft_limit_minor = -1 WHERE {key} = :id",
            id=books.company.id,
        )


def test_a_lowered_overdraft_reaches_the_ledger_row(books: Books) -> None:
    """An account's rules are copied to its ledger row in the same statement, and the
    row's limits hold against them: the company already owes 6,000 of its overdraft."""
    with books.engine.begin() as conn:
        conn.execute(
            text("UPDATE balances SET debits_posted = debits_posted + 6000 WHERE account_id = :id"),
            {"id": books.company.id},
        )
    refused(
        books.engine,
        "UPDATE accounts SET overdraft_limit_minor = 0 WHERE id = :id",
        "debits_within_credits",
        id=books.company.id,
    )
    with books.engine.connect() as conn:
        limit = conn.execute(
            text("SELECT overdraft_limit_minor FROM balances WHERE account_id = :id"),
            {"id": books.company.id},
        ).scalar_one()
    assert limit > 0


def test_the_vault_cannot_hand_out_more_cash_than_it_took(books: Books) -> None:
    update = "UPDATE balances SET credits_posted = credits_posted + :n WHERE account_id = :id"
    assert accepted(books.engine, update, n=11_000, id=books.cash.id) == 1
    refused(books.engine, update, "credits_within_debits", n=11_001, id=books.cash.id)


@pytest.mark.parametrize(
    "counter", ["debits_pending", "debits_posted", "credits_pending", "credits_posted"]
)
def test_counters_are_never_negative(books: Books, counter: str) -> None:
    suspense = gl(books.ctx, GlKind.SUSPENSE)  # no limits of its own
    refused(
        books.engine,
        f"UPDATE balances SET {counter} = -1 WHERE account_id = :id",
        "counters_non_negative",
        id=suspense.id,
    )


def test_account_status_and_owner_are_checked(books: Books) -> None:
    refused(books.engine, "UPDATE accounts SET status = 'lost' WHERE id = :id", id=books.saver.id)
    refused(
        books.engine, "UPDATE accounts SET customer_id = NULL WHERE id = :id", id=books.saver.id
    )
    assert (
        accepted(
            books.engine, "UPDATE accounts SET status = 'frozen' WHERE id = :id", id=books.saver.id
        )
        == 1
    )


def test_an_account_with_entries_cannot_change_currency(books: Books) -> None:
    refused(books.engine, "UPDATE accounts SET currency = 'USD' WHERE id = :id", id=books.saver.id)
