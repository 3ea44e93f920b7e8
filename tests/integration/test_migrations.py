"""The migrations build exactly the schema the code declares, on both databases, and can
be undone and redone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from ebank.adapters.db.engine import downgrade, make_engine, schema_revision, upgrade
from ebank.adapters.db.tables import metadata, schema_filter
from ebank.application import ledger
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from factories import TEST_EPOCH_US, build_bank, new_id, posting, uuid_param


def test_migrated_schema_matches_the_tables_module(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": schema_filter(conn.dialect.name)}
            )
            differences = compare_metadata(context, metadata)
        assert differences == []
        current, head = schema_revision(engine)
        assert current == head
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        downgrade(engine, "base")
        assert "transfers" not in inspect(engine).get_table_names()
        assert schema_revision(engine)[0] is None
        upgrade(engine)
        assert {"branches", "customers", "accounts", "transfers", "sequences"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


# -- 0008: the entries already written are chained ---------------------------------------------
@dataclass
class Entry:
    """A journal row as revision 0007 holds it (no links)."""

    seq: int
    id: UUID
    kind: str
    dr: int
    cr: int
    amount: int
    created_at_us: int
    pending_id: UUID | None = None
    reversal_of: UUID | None = None
    status: str | None = None  # a hold's
    timeout_s: int = 0


ACCOUNT_IDS = (11, 12, 13, 14)  # with entries
IDLE_ID = 15  # none
# Debit and credit account of each plain posting, in journal order.
PAIRS = [(11, 12), (11, 13), (12, 14), (13, 11), (14, 12), (12, 13), (11, 14), (13, 14)]


def journal_0007() -> list[Entry]:
    """20 entries between four accounts: postings, a hold posted in part, one voided, one
    still open, a reversal; ``seq`` with gaps; the clock set back twice."""
    entries: list[Entry] = []
    seqs = (n * 3 + n % 2 for n in range(1, 100))
    pairs = iter(PAIRS * 3)

    def add(kind: str, dr: int, cr: int, amount: int, **kw: Any) -> Entry:
        n = len(entries)
        at = TEST_EPOCH_US + n * 60_000_000 - (7_200_000_000 if n in (7, 8, 15) else 0)
        entries.append(Entry(next(seqs), new_id(), kind, dr, cr, amount, at, **kw))
        return entries[-1]

    def plain(amount: int) -> Entry:
        dr, cr = next(pairs)
        return add("posting", dr, cr, amount)

    for amount in (500, 120, 75):
        plain(amount)
    reversed_one = plain(300)
    captured = add("pending", 12, 11, 900, status="posted", timeout_s=3600)
    plain(40)
    add("post_pending", 12, 11, 600, pending_id=captured.id)
    voided = add("pending", 14, 13, 250, status="voided", timeout_s=60)
    plain(33)
    add("void_pending", 14, 13, 250, pending_id=voided.id)
    add("posting", reversed_one.cr, reversed_one.dr, 100, reversal_of=reversed_one.id)
    plain(61)
    add("pending", 13, 12, 70, status="pending", timeout_s=600)
    while len(entries) < 20:
        plain(10 + len(entries))
    return entries


def counters(entries: list[Entry]) -> dict[int, list[int]]:
    """(debits_pending, debits_posted, credits_pending, credits_posted) of each account."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in entries:
        if e.status == "pending":
            out[e.dr][0] += e.amount
            out[e.cr][2] += e.amount
        if e.kind in ("posting", "post_pending"):
            out[e.dr][1] += e.amount
            out[e.cr][3] += e.amount
    return out


def seed_0007(engine: Engine, entries: list[Entry]) -> None:
    at = TEST_EPOCH_US
    sums = counters(entries)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO branches (code, name, kind, parent_code, created_at_us)"
                " VALUES ('0001', 'Head Office', 'head_office', NULL, :at)"
            ),
            {"at": at},
        )
        for i in (*ACCOUNT_IDS, IDLE_ID):
            conn.execute(
                text(
                    "INSERT INTO customers (id, number, kind, name, tier, id_type, id_number,"
                    " branch_code, created_at_us) VALUES (:i, :number, 'individual', 'Z',"
                    " 'standard', 'resident_id', :id_number, '0001', :at)"
                ),
                {"i": i, "number": f"C{i:09d}", "id_number": f"1101011990010100{i}", "at": at},
            )
            dp, dd, cp, cc = sums[i]  # all 0 for the idle account
            conn.execute(
                text(
                    "INSERT INTO accounts (id, number, product_code, currency, branch_code,"
                    " customer_id, name, status, debits_must_not_exceed_credits,"
                    " credits_must_not_exceed_debits, debits_pending, debits_posted,"
                    " credits_pending, credits_posted, opened_at_us) VALUES (:i, :number,"
                    " 'SAV', 'CNY', '0001', :i, 'Z', 'active', :f, :f, :dp, :dd, :cp, :cc, :at)"
                ),
                {
                    "i": i,
                    "number": f"62{i:014d}",
                    "f": False,
                    "dp": dp,
                    "dd": dd,
                    "cp": cp,
                    "cc": cc,
                    "at": at,
                },
            )
        for e in entries:
            conn.execute(
                text(
                    "INSERT INTO transfers (seq, id, kind, debit_account_id, credit_account_id,"
                    " amount_minor, currency, code, channel, reference, pending_id,"
                    " reversal_of, timeout_s, expires_at_us, created_at_us, pending_status)"
                    " VALUES (:seq, :id, :kind, :dr, :cr, :amount, 'CNY', 0, 'sql', '',"
                    " :pending_id, :reversal_of, :timeout_s, :expires, :at, :status)"
                ),
                {
                    "seq": e.seq,
                    "id": uuid_param(engine, e.id),
                    "kind": e.kind,
                    "dr": e.dr,
                    "cr": e.cr,
                    "amount": e.amount,
                    "pending_id": None
                    if e.pending_id is None
                    else uuid_param(engine, e.pending_id),
                    "reversal_of": (
                        None if e.reversal_of is None else uuid_param(engine, e.reversal_of)
                    ),
                    "timeout_s": e.timeout_s,
                    "expires": e.created_at_us + e.timeout_s * 1_000_000 if e.timeout_s else None,
                    "at": e.created_at_us,
                    "status": e.status,
                },
            )
        if engine.dialect.name == "postgresql":  # the explicit seqs bypassed the sequence
            conn.execute(
                text("SELECT setval('transfers_seq_seq', (SELECT MAX(seq) FROM transfers))")
            )


def links_in_the_database(
    engine: Engine,
) -> tuple[dict[int, tuple[int | None, int | None]], dict[int, int | None]]:
    with engine.connect() as conn:
        links = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                text("SELECT seq, prev_debit_seq, prev_credit_seq FROM transfers")
            )
        }
        heads = {
            r[0]: r[1] for r in conn.execute(text("SELECT account_id, last_seq FROM balances"))
        }
    return links, heads


def links_by_scan(
    entries: list[Entry],
) -> tuple[dict[int, tuple[int | None, int | None]], dict[int, int | None]]:
    last: dict[int, int] = {}
    links: dict[int, tuple[int | None, int | None]] = {}
    for e in sorted(entries, key=lambda e: e.seq):
        links[e.seq] = (last.get(e.dr), last.get(e.cr))
        last[e.dr] = last[e.cr] = e.seq
    return links, {a: last.get(a) for a in (*ACCOUNT_IDS, IDLE_ID)}


def newest_first(entries: list[Entry], account_id: int) -> list[int]:
    return sorted((e.seq for e in entries if account_id in (e.dr, e.cr)), reverse=True)


def test_the_chain_migration_links_the_entries_already_written(database_url: str) -> None:
    engine = make_engine(database_url)
    bank: Bank | None = None
    try:
        downgrade(engine, "0007")
        assert "prev_debit_seq" not in {c["name"] for c in inspect(engine).get_columns("transfers")}
        entries = journal_0007()
        seed_0007(engine, entries)
        upgrade(engine)
        assert schema_revision(engine)[0] == schema_revision(engine)[1]

        links, heads = links_in_the_database(engine)
        want_links, want_heads = links_by_scan(entries)
        assert links == want_links
        assert heads == want_heads
        # Not a trivial chain: some links skip entries of other accounts.
        assert any(
            prev is not None and prev < seq - 4 for seq, pair in links.items() for prev in pair
        )

        bank = build_bank(database_url)
        with bank.ctx.read() as uow:
            for account_id in (*ACCOUNT_IDS, IDLE_ID):
                scan = newest_first(entries, account_id)
                assert [e.seq for e in uow.journal.history(account_id, None, 100)] == scan
                if scan:
                    middle = scan[len(scan) // 2]
                    page = uow.journal.history(account_id, middle, 3)
                    assert [e.seq for e in page] == [s for s in scan if s < middle][:3]
        report = verify_ledger(bank.ctx)
        assert report.ok and report.broken_chains == [], report

        # New entries go on the migrated chains.
        new = posting(ACCOUNT_IDS[0], IDLE_ID, 5)
        assert ledger.post_batch(bank.ctx, [new]).all_ok
        with bank.ctx.read() as uow:
            entry = uow.journal.entry(new.id)
            assert entry is not None and entry.seq is not None
            assert [e.seq for e in uow.journal.history(IDLE_ID, None, 10)] == [entry.seq]
            first = uow.journal.history(ACCOUNT_IDS[0], None, 100)
            assert [e.seq for e in first] == [entry.seq, *newest_first(entries, ACCOUNT_IDS[0])]
        links, heads = links_in_the_database(engine)
        assert links[entry.seq] == (want_heads[ACCOUNT_IDS[0]], None)
        assert verify_ledger(bank.ctx).ok
    finally:
        if bank is not None:
            bank.close()
        current, head = schema_revision(engine)
        if current != head:
            upgrade(engine)
        engine.dispose()
