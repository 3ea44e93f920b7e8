"""Lookups read through a read-only unit of work: on SQLite a reader is not queued
behind a writer holding the write lock, and still sees only committed work."""

from __future__ import annotations

import time

from ebank.application import queries
from ebank.bootstrap import Bank
from factories import bank_with_branch, funded_savings


def test_a_reader_is_not_blocked_by_an_open_writer(bank: Bank) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    account = funded_savings(ctx, 10_000)
    writer = ctx.uow().__enter__()  # holds the write lock (BEGIN IMMEDIATE on SQLite)
    try:
        writer.accounts.set_status(account.id, account.status, ctx.clock.now_us())
        started = time.monotonic()
        view = queries.account_view(ctx, account.number)
        waited_s = time.monotonic() - started
    finally:
        writer.__exit__(None, None, None)
    assert view.balances.ledger_minor == 10_000
    # The busy timeout is 30 s: a reader queued behind the writer would wait that long.
    assert waited_s < 10
