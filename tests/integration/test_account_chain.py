"""Each account's history is a chain through the journal (migration 0008), on SQLite and
PostgreSQL: every entry names the previous entry of its debit and of its credit account,
every account its newest entry, and the history reads walk those links.

* Random batches (postings, linked chains, holds captured in part, voided and expired,
  reversals), with the clock moved forwards and backwards between them, leave every
  link where a scan of the whole journal puts it, and every read along a chain
  (``history``, ``search_history``, ``posted_entries``, ``posted_sums_before``) returns
  what the same scan finds; ``verify_ledger`` passes.
* ``verify_ledger`` names the account of an entry slipped in by SQL with a wrong link,
  and an account whose head was set wrong by SQL.
* PostgreSQL only: the statement-level trigger that replaced the journal's foreign keys
  refuses a statement (INSERT or COPY) naming a missing account, one of another currency,
  or a missing pending or original transfer, as a foreign-key violation, and keeps none
  of its rows; accounts cannot be deleted nor change their id or currency.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import IntegrityError

from ebank.adapters.clock import FixedClock
from ebank.adapters.db.account_chain import walk
from ebank.adapters.db.tables import transfers
from ebank.application import ledger
from ebank.application.context import Context
from ebank.application.ports_customers import Direction, HistoryFilter
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.transfers import JournalEntry, PendingStatus, Result, Transfer, TransferKind
from factories import (
    BRANCH,
    TEST_EPOCH_US,
    bank_with_branch,
    build_bank,
    current,
    deposit,
    empty_postgres,
    funded_savings,
    gl,
    head_office,
    new_id,
    posting,
    savings,
    scalar,
    uuid_param,
)

POSTED_KINDS = (TransferKind.POSTING, TransferKind.POST_PENDING)
EARLIEST_US = 0
LATEST_US = 2**62


# -- the brute-force oracle: every row of the journal, filtered in Python ----------------------
@dataclass(frozen=True)
class Row:
    entry: JournalEntry
    prev_debit_seq: int | None
    prev_credit_seq: int | None


def whole_journal(engine: Engine) -> list[Row]:
    with engine.connect() as conn:
        rows = conn.execute(select(transfers)).all()
    out = [
        Row(
            JournalEntry(
                id=r.id,
                kind=TransferKind(r.kind),
                debit_account_id=r.debit_account_id,
                credit_account_id=r.credit_account_id,
                amount_minor=r.amount_minor,
                currency=r.currency,
                code=r.code,
                channel=r.channel,
                reference=r.reference,
                pending_id=r.pending_id,
                reversal_of=r.reversal_of,
                timeout_s=r.timeout_s,
                expires_at_us=r.expires_at_us,
                created_at_us=r.created_at_us,
                pending_status=PendingStatus(r.pending_status) if r.pending_status else None,
                seq=r.seq,
            ),
            r.prev_debit_seq,
            r.prev_credit_seq,
        )
        for r in rows
    ]
    return sorted(out, key=lambda row: row.entry.seq or 0)


def heads(engine: Engine) -> dict[int, int | None]:
    """Each account's stored head (its ledger row, migration 0009)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT account_id, last_seq FROM balances"))
        return {r[0]: r[1] for r in rows}


def expected_links(
    journal: Sequence[Row], account_ids: Sequence[int]
) -> tuple[dict[int, tuple[int | None, int | None]], dict[int, int | None]]:
    """Each entry's (previous debit-side, previous credit-side) entry, and each account's
    newest entry, from the journal in ``seq`` order."""
    last: dict[int, int] = {}
    links: dict[int, tuple[int | None, int | None]] = {}
    for row in journal:
        e = row.entry
        assert e.seq is not None
        links[e.seq] = (last.get(e.debit_account_id), last.get(e.credit_account_id))
        last[e.debit_account_id] = last[e.credit_account_id] = e.seq
    return links, {a: last.get(a) for a in account_ids}


def on_account(journal: Sequence[Row], account_id: int) -> list[JournalEntry]:
    """The account's entries, newest first."""
    found = [
        r.entry
        for r in journal
        if account_id in (r.entry.debit_account_id, r.entry.credit_account_id)
    ]
    return sorted(found, key=lambda e: e.seq or 0, reverse=True)


def newest_before(
    entries: Sequence[JournalEntry], before_seq: int | None, limit: int
) -> list[JournalEntry]:
    kept = [e for e in entries if before_seq is None or (e.seq or 0) < before_seq]
    return kept[:limit]


def matches(e: JournalEntry, account_id: int, where: HistoryFilter) -> bool:
    if where.direction is Direction.DEBIT and e.debit_account_id != account_id:
        return False
    if where.direction is Direction.CREDIT and e.credit_account_id != account_id:
        return False
    if where.from_us is not None and e.created_at_us < where.from_us:
        return False
    if where.to_us is not None and e.created_at_us >= where.to_us:
        return False
    if where.min_amount_minor is not None and e.amount_minor < where.min_amount_minor:
        return False
    return where.max_amount_minor is None or e.amount_minor <= where.max_amount_minor


def posted_between(entries: Sequence[JournalEntry], from_us: int, to_us: int) -> list[JournalEntry]:
    """Posted movements created in [from_us, to_us), oldest first (by seq)."""
    kept = [e for e in entries if e.kind in POSTED_KINDS and from_us <= e.created_at_us < to_us]
    return sorted(kept, key=lambda e: e.seq or 0)


def posted_sums(
    entries: Sequence[JournalEntry], account_id: int, before_us: int
) -> tuple[int, int]:
    posted = posted_between(entries, EARLIEST_US, before_us)
    debits = sum(e.amount_minor for e in posted if e.debit_account_id == account_id)
    credits = sum(e.amount_minor for e in posted if e.credit_account_id == account_id)
    return debits, credits


# -- random batches -------------------------------------------------------------------------------
# Four accounts per example: two savings accounts, a current account with an overdraft, and
# the branch's cash (shared by every example, so its chain runs through all of them).
PAIRS = list(itertools.permutations(range(4), 2))
amounts = st.one_of(st.integers(1, 3_000), st.integers(3_000, 40_000))
picks = st.integers(0, 1_000)
an_op = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(PAIRS), amounts, st.sampled_from([0, 0, 1])),
    st.tuples(st.just("post"), st.sampled_from(PAIRS), amounts, st.just(0)),
    st.tuples(st.just("hold"), st.sampled_from(PAIRS), amounts, st.sampled_from([5, 60, 3600])),
    st.tuples(st.just("capture"), picks, st.sampled_from([0, 1, 2, 3, 4])),
    st.tuples(st.just("void"), picks),
    st.tuples(st.just("reverse"), picks, st.sampled_from([0, 1, 2])),
)
# Seconds the clock moves after each batch: back as well as forwards.
clock_moves = st.sampled_from([-7_200, -600, -5, 0, 1, 5, 30, 61, 3_600])
scripts = st.lists(
    st.tuples(st.lists(an_op, min_size=1, max_size=6), clock_moves), min_size=1, max_size=6
)
maybe_pick = st.none() | picks


@dataclass(frozen=True)
class Probe:
    """One read per account; each pick chooses among that account's own entry times or
    amounts (so bounds fall exactly on entries), or among every seq of the journal."""

    direction: Direction | None
    from_pick: int | None
    to_pick: int | None
    min_pick: int | None
    max_pick: int | None
    cursor_pick: int | None
    limit: int


probes = st.lists(
    st.builds(
        Probe,
        direction=st.sampled_from([None, Direction.DEBIT, Direction.CREDIT]),
        from_pick=maybe_pick,
        to_pick=maybe_pick,
        min_pick=maybe_pick,
        max_pick=maybe_pick,
        cursor_pick=maybe_pick,
        limit=st.sampled_from([1, 2, 5, 1_000]),
    ),
    min_size=1,
    max_size=3,
)


def chosen(values: Sequence[int], pick: int | None) -> int | None:
    return None if pick is None or not values else values[pick % len(values)]


@dataclass
class Known:
    """What a successful transfer did, as the test remembers it."""

    id: UUID
    debit: int
    credit: int
    amount: int


class Script:
    """Runs the drawn batches against the bank and remembers the holds and the posted
    movements it made, to resolve and reverse them later."""

    def __init__(self, ctx: Context, accounts: Sequence[Account]) -> None:
        self.ctx = ctx
        self.ids = [a.id for a in accounts]
        self.holds: list[Known] = []  # open, as far as the test knows
        self.moved: list[Known] = []

    def transfer(self, op: tuple[Any, ...], holds: list[Known]) -> tuple[Transfer, Known] | None:
        match op:
            case ("post", (dr, cr), amount, linked):
                t = posting(self.ids[dr], self.ids[cr], amount, linked=bool(linked), channel="api")
                return t, Known(t.id, t.debit_account_id, t.credit_account_id, amount)
            case ("hold", (dr, cr), amount, timeout_s):
                t = posting(
                    self.ids[dr],
                    self.ids[cr],
                    amount,
                    kind=TransferKind.PENDING,
                    timeout_s=timeout_s,
                )
                return t, Known(t.id, t.debit_account_id, t.credit_account_id, amount)
            case ("capture", pick, quarters):
                if not holds:
                    return None
                h = holds[pick % len(holds)]
                part = 0 if quarters == 0 else max(1, h.amount * quarters // 4)
                t = Transfer(
                    id=new_id(), kind=TransferKind.POST_PENDING, pending_id=h.id, amount_minor=part
                )
                return t, Known(t.id, h.debit, h.credit, part or h.amount)
            case ("void", pick):
                if not holds:
                    return None
                h = holds[pick % len(holds)]
                t = Transfer(id=new_id(), kind=TransferKind.VOID_PENDING, pending_id=h.id)
                return t, Known(t.id, h.debit, h.credit, h.amount)
            case ("reverse", pick, thirds):
                if not self.moved:
                    return None
                m = self.moved[pick % len(self.moved)]
                part = m.amount if thirds == 0 else max(1, m.amount * thirds // 3)
                t = posting(m.credit, m.debit, part, reversal_of=m.id)
                return t, Known(t.id, m.credit, m.debit, part)
        raise AssertionError(op)

    def run(self, ops: Sequence[tuple[Any, ...]]) -> list[Result]:
        batch: list[tuple[Transfer, Known]] = []
        holds = list(self.holds)  # a hold may be resolved in the batch that places it
        for op in ops:
            made = self.transfer(op, holds)
            if made is None:
                continue
            batch.append(made)
            if made[0].kind is TransferKind.PENDING:
                holds.append(made[1])
        if not batch:
            return []
        outcome = ledger.post_batch(self.ctx, [t for t, _ in batch])
        done: set[UUID] = set()  # holds resolved, or found expired: pick open ones next
        for (t, known), result in zip(batch, outcome.results, strict=True):
            if t.pending_id is not None and result in (Result.OK, Result.PENDING_TRANSFER_EXPIRED):
                done.add(t.pending_id)
            if result is not Result.OK:
                continue
            if t.kind is TransferKind.PENDING:
                self.holds.append(known)
            elif t.kind in POSTED_KINDS and t.reversal_of is None:
                self.moved.append(known)
        self.holds = [h for h in self.holds if h.id not in done]
        return outcome.results


@pytest.fixture
def branch_bank(bank: Bank) -> Bank:
    bank_with_branch(bank.ctx)
    return bank


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts, probes=probes)
def test_reads_along_the_chains_equal_a_scan_of_the_journal(
    branch_bank: Bank,
    clock: FixedClock,
    script: list[tuple[list[tuple[Any, ...]], int]],
    probes: list[Probe],
) -> None:
    """The fixture's bank lives through every example: each example opens accounts of its
    own, and everything written before stays in the journal (and in the checks)."""
    bank, ctx = branch_bank, branch_bank.ctx
    alice = funded_savings(ctx, 30_000, branch_code=BRANCH)
    bob = funded_savings(ctx, 10_000, branch_code=BRANCH)
    corp = current(ctx, overdraft_minor=5_000, branch_code=BRANCH)
    cash = gl(ctx, GlKind.CASH, BRANCH)
    accounts = [alice, bob, corp, cash]
    runner = Script(ctx, accounts)
    results: list[Result] = []
    for ops, seconds in script:
        results += runner.run(ops)
        clock.advance(seconds)
        ledger.expire_due(ctx)

    journal = whole_journal(bank.engine)
    assert journal, "the deposits at least are in the journal"
    # Every link is where the journal's order puts it; every head is its account's newest.
    stored_heads = heads(bank.engine)
    links, newest = expected_links(journal, list(stored_heads))
    assert {r.entry.seq: (r.prev_debit_seq, r.prev_credit_seq) for r in journal} == links, results
    assert stored_heads == newest
    assert newest[alice.id] is not None and newest[bob.id] is not None

    every_seq = sorted(r.entry.seq or 0 for r in journal)
    every_seq.append(every_seq[-1] + 1)  # older than nothing: the whole history
    with ctx.read() as uow:
        for account in accounts:
            own = on_account(journal, account.id)
            times = sorted({e.created_at_us for e in own})
            sizes = sorted({e.amount_minor for e in own})
            history = uow.journal.history
            assert history(account.id, None, 100_000) == own
            if account is not cash:  # page through it, four at a time
                pages: list[JournalEntry] = []
                cursor: int | None = None
                for _ in range(len(own) + 1):  # a bounded loop: a bad cursor fails, not hangs
                    page = history(account.id, cursor, 4)
                    if not page:
                        break
                    assert len(page) <= 4
                    assert cursor is None or all((e.seq or 0) < cursor for e in page)
                    pages += page
                    cursor = page[-1].seq
                assert pages == own
            for probe in probes:
                cursor = chosen(every_seq, probe.cursor_pick)
                assert history(account.id, cursor, probe.limit) == newest_before(
                    own, cursor, probe.limit
                ), (account.id, cursor, probe)
                where = HistoryFilter(
                    from_us=chosen(times, probe.from_pick),
                    to_us=chosen(times, probe.to_pick),
                    min_amount_minor=chosen(sizes, probe.min_pick),
                    max_amount_minor=chosen(sizes, probe.max_pick),
                    direction=probe.direction,
                )
                found = uow.customer_reads.search_history(account.id, where, cursor, probe.limit)
                wanted = [e for e in own if matches(e, account.id, where)]
                assert found == newest_before(wanted, cursor, probe.limit), (account.id, where)
                start = where.from_us if where.from_us is not None else EARLIEST_US
                end = where.to_us if where.to_us is not None else LATEST_US
                entries = uow.customer_reads.posted_entries(account.id, start, end, probe.limit)
                assert entries == posted_between(own, start, end)[: probe.limit], (start, end)
                assert uow.customer_reads.posted_sums_before(account.id, end) == posted_sums(
                    own, account.id, end
                ), end
            # The sums over all time are the account's posted counters.
            balances = uow.accounts.balances(account.id)
            assert uow.customer_reads.posted_sums_before(account.id, LATEST_US) == (
                balances.debits_posted,
                balances.credits_posted,
            )
    report = verify_ledger(ctx)
    assert report.broken_chains == []
    assert report.ok, report


# -- verify names a broken chain ------------------------------------------------------------
@dataclass
class Books:
    bank: Bank
    alice: Account  # funded, then pays bob twice: her head is her second payment
    bob: Account
    corp: Account  # its head is its own deposit, which does not touch alice or bob
    idle: Account  # no entries at all


@pytest.fixture
def books(bank: Bank) -> Books:
    ctx = bank.ctx
    head_office(ctx)
    alice, bob, idle = funded_savings(ctx, 10_000), savings(ctx), savings(ctx)
    corp = current(ctx, overdraft_minor=1_000)
    assert ledger.post_batch(ctx, [posting(alice, bob, 700)]).all_ok
    assert ledger.post_batch(ctx, [posting(alice, bob, 300), posting(bob, corp, 50)]).all_ok
    deposit(ctx, corp, 2_000)
    report = verify_ledger(ctx)
    assert report.ok and report.broken_chains == [], report
    return Books(bank, alice, bob, corp, idle)


def head_of(engine: Engine, account: Account) -> int | None:
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT last_seq FROM balances WHERE account_id = :i"), {"i": account.id}
        ).scalar_one()
    return None if value is None else int(value)


def link_before(engine: Engine, account: Account, seq: int) -> int | None:
    """The link entry ``seq`` holds on ``account``'s side."""
    with engine.connect() as conn:
        r = conn.execute(
            text(
                "SELECT debit_account_id, prev_debit_seq, prev_credit_seq FROM transfers"
                " WHERE seq = :s"
            ),
            {"s": seq},
        ).one()
    return r[1] if r[0] == account.id else r[2]


RAW_ENTRY = (
    "INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount_minor,"
    " currency, code, channel, reference, timeout_s, created_at_us, prev_debit_seq,"
    " prev_credit_seq) VALUES (:id, 'posting', :dr, :cr, :amount, 'CNY', 0, 'sql', '', 0,"
    " :at, :prev_dr, :prev_cr) RETURNING seq"
)


def move_balances_as_posted(conn: Connection, books: Books, seq: int) -> None:
    """What posting 5 from alice to bob as entry ``seq`` does to their balances rows."""
    for moved, counter in ((books.alice, "debits_posted"), (books.bob, "credits_posted")):
        conn.execute(
            text(
                f"UPDATE balances SET {counter} = {counter} + 5, last_seq = :s"
                " WHERE account_id = :i"
            ),
            {"s": seq, "i": moved.id},
        )


def test_a_link_pointing_at_its_own_entry_ends_the_walk(books: Books) -> None:
    """A link can only be damaged by SQL (on PostgreSQL, by SQL that also switches the
    journal's checks off: migration 0010 refuses such a link); one that points at its own
    entry (or later) must end a walk, not loop: the walk only ever steps back in the
    journal. The read runs under a deadline so that a regression fails instead of
    hanging."""
    engine = books.bank.engine
    bob_head = head_of(engine, books.bob)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # the damage bypasses the database's check
            conn.execute(text("ALTER TABLE transfers DISABLE TRIGGER transfers_references_exist"))
        seq = int(conn.execute(text("SELECT MAX(seq) FROM transfers")).scalar_one()) + 1
        conn.execute(
            text(
                "INSERT INTO transfers (seq, id, kind, debit_account_id, credit_account_id,"
                " amount_minor, currency, code, channel, reference, timeout_s, created_at_us,"
                " prev_debit_seq, prev_credit_seq) VALUES (:seq, :id, 'posting', :dr, :cr, 5,"
                " 'CNY', 0, 'sql', '', 0, :at, :seq, :prev_cr)"
            ),
            {
                "seq": seq,
                "id": uuid_param(engine, new_id()),
                "dr": books.alice.id,
                "cr": books.bob.id,
                "at": books.bank.ctx.clock.now_us(),
                "prev_cr": bob_head,
            },
        )
        move_balances_as_posted(conn, books, seq)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE transfers ENABLE TRIGGER transfers_references_exist"))
    with engine.connect() as conn:
        conn.begin()
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL statement_timeout = '20s'"))
        else:
            steps = itertools.count()
            conn.connection.driver_connection.set_progress_handler(  # type: ignore[union-attr]
                lambda: next(steps) > 2_000, 1_000
            )
        whole = conn.execute(walk(books.alice.id, newest_first=False)).all()
        conn.rollback()
    assert [r.seq for r in whole] == [seq]  # the walk stopped at the damaged link
    report = verify_ledger(books.bank.ctx)
    assert report.broken_chains == [books.alice.id] and not report.ok


@pytest.mark.parametrize(
    ("side", "link"),
    [
        ("neither", "right"),  # the control: the same SQL, linked right, passes
        ("debit", "none"),
        ("debit", "skips_one"),
        ("debit", "other_account"),
        ("debit", "credit_side"),
        ("credit", "skips_one"),
    ],
)
def test_an_entry_slipped_in_with_a_wrong_link_is_named(books: Books, side: str, link: str) -> None:
    """A posting alice -> bob written by SQL, with the balances and both heads moved as
    the application would: only the one link on ``side`` is wrong."""
    engine = books.bank.engine
    alice_head, bob_head = head_of(engine, books.alice), head_of(engine, books.bob)
    assert alice_head is not None and bob_head is not None
    prev = {"debit": alice_head, "credit": bob_head}
    account = books.alice if side == "debit" else books.bob
    if link == "none":
        prev[side] = None
    elif link == "skips_one":  # the link its newest entry holds: one entry too far back
        prev[side] = link_before(engine, account, prev[side] or 0)
        assert prev[side] is not None
    elif link == "other_account":
        prev[side] = head_of(engine, books.corp)
    elif link == "credit_side":  # alice's link set to bob's newest entry
        prev[side] = bob_head
    assert (prev["debit"], prev["credit"]) != (alice_head, bob_head) or link == "right"
    with engine.begin() as conn:
        seq = conn.execute(
            text(RAW_ENTRY),
            {
                "id": uuid_param(engine, new_id()),
                "dr": books.alice.id,
                "cr": books.bob.id,
                "amount": 5,
                "at": books.bank.ctx.clock.now_us(),
                "prev_dr": prev["debit"],
                "prev_cr": prev["credit"],
            },
        ).scalar_one()
        move_balances_as_posted(conn, books, seq)
    report = verify_ledger(books.bank.ctx)
    assert report.mismatch_count == 0 and report.orphans == [], report
    assert all(t.balanced for t in report.totals)
    if link == "right":
        assert report.broken_chains == [] and report.ok, report
        return
    assert report.broken_chains == [account.id]
    assert not report.ok


@pytest.mark.parametrize("head", ["same", "none", "older", "other_account", "beyond", "idle"])
def test_an_account_head_set_wrong_by_sql_is_named(books: Books, head: str) -> None:
    engine = books.bank.engine
    alice_head = head_of(engine, books.alice)
    assert alice_head is not None
    account, value = books.alice, alice_head
    if head == "none":
        value = None
    elif head == "older":
        value = link_before(engine, books.alice, alice_head)
    elif head == "other_account":
        value = head_of(engine, books.corp)
    elif head == "beyond":
        value = scalar(engine, "SELECT MAX(seq) FROM transfers") + 100
    elif head == "idle":  # an account without entries given a head
        account = books.idle
    assert head == "same" or value != head_of(engine, account)
    with engine.begin() as conn:
        changed = conn.execute(
            text("UPDATE balances SET last_seq = :v WHERE account_id = :i"),
            {"v": value, "i": account.id},
        ).rowcount
    assert changed == 1
    report = verify_ledger(books.bank.ctx)
    assert report.mismatch_count == 0, report
    if head == "same":
        assert report.ok and report.broken_chains == [], report
        return
    assert report.broken_chains == [account.id]
    assert not report.ok


# -- PostgreSQL: the journal's references, checked once per statement -----------------------
@dataclass
class PgBooks:
    engine: Engine
    alice: Account  # CNY, funded
    bob: Account  # CNY
    dollars: Account  # USD
    fresh: Account  # CNY, no entries


@pytest.fixture
def pg_books(postgres_url: str, clock: FixedClock) -> Iterator[PgBooks]:
    empty_postgres(postgres_url)
    bank = build_bank(postgres_url, clock)
    ctx = bank.ctx
    head_office(ctx, ("CNY", "USD"))
    alice, bob = funded_savings(ctx, 10_000), savings(ctx)
    assert ledger.post_batch(ctx, [posting(alice, bob, 100)]).all_ok
    dollars = funded_savings(ctx, 500, currency="USD")
    yield PgBooks(bank.engine, alice, bob, dollars, savings(ctx))
    bank.close()


COLUMNS = (
    "id, kind, debit_account_id, credit_account_id, amount_minor, currency, code, channel,"
    " reference, pending_id, reversal_of, timeout_s, created_at_us"
)
MISSING = 10**9


def raw_rows(b: PgBooks, bad: str | None, position: int, count: int) -> list[tuple[Any, ...]]:
    """``count`` postings alice -> bob of 1 CNY, the one at ``position`` made ``bad``."""
    rows = []
    for i in range(count):
        kind, dr, cr, pending_id, reversal_of = "posting", b.alice.id, b.bob.id, None, None
        if i == position:
            if bad == "missing_debit":
                dr = MISSING
            elif bad == "missing_credit":
                cr = MISSING
            elif bad == "debit_other_currency":
                dr = b.dollars.id
            elif bad == "credit_other_currency":
                cr = b.dollars.id
            elif bad == "missing_pending":
                kind, pending_id = "post_pending", new_id()
            elif bad == "missing_original":
                dr, cr, reversal_of = b.bob.id, b.alice.id, new_id()
        rows.append((new_id(), kind, dr, cr, 1, "CNY", 0, "sql", "", pending_id, reversal_of, 0, 0))
    return rows


def insert_sql(count: int) -> str:
    values = ", ".join(
        "(" + ", ".join(f":{c.strip()}{i}" for c in COLUMNS.split(",")) + ")" for i in range(count)
    )
    return f"INSERT INTO transfers ({COLUMNS}) VALUES {values}"


def insert_params(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    names = [c.strip() for c in COLUMNS.split(",")]
    return {f"{n}{i}": v for i, row in enumerate(rows) for n, v in zip(names, row, strict=True)}


def journal_count(engine: Engine) -> int:
    return scalar(engine, "SELECT COUNT(*) FROM transfers")


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("bad", "position", "count"),
    [
        ("missing_debit", 0, 1),
        ("missing_credit", 0, 1),
        ("debit_other_currency", 0, 1),
        ("credit_other_currency", 0, 1),
        ("missing_credit", 0, 3),
        ("debit_other_currency", 1, 3),
        ("missing_debit", 2, 3),
        ("missing_pending", 0, 1),
        ("missing_pending", 2, 3),
        ("missing_original", 1, 3),
    ],
)
def test_a_statement_naming_a_missing_reference_is_refused_whole(
    pg_books: PgBooks, bad: str, position: int, count: int
) -> None:
    engine = pg_books.engine
    before = journal_count(engine)
    # The control: the same statement with every row right is accepted.
    with engine.connect() as conn:
        conn.begin()
        good = raw_rows(pg_books, None, position, count)
        assert conn.execute(text(insert_sql(count)), insert_params(good)).rowcount == count
        conn.rollback()
    rows = raw_rows(pg_books, bad, position, count)
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text(insert_sql(count)), insert_params(rows))
    assert caught.value.orig is not None
    assert caught.value.orig.sqlstate == "23503"  # foreign_key_violation
    assert journal_count(engine) == before
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT COUNT(*) FROM transfers WHERE id = ANY(:ids)"),
            {"ids": [r[0] for r in rows]},
        ).scalar_one()
    assert kept == 0


@pytest.mark.postgresql
def test_a_statement_may_name_the_hold_it_inserts(pg_books: PgBooks) -> None:
    """The check runs after the whole statement: a capture and the hold it posts, in one
    statement, are accepted (as a batch that places and captures a hold writes them)."""
    b = pg_books
    hold, capture = new_id(), new_id()
    rows = [
        (hold, "pending", b.alice.id, b.bob.id, 5, "CNY", 0, "sql", "", None, None, 60, 0),
        (capture, "post_pending", b.alice.id, b.bob.id, 5, "CNY", 0, "sql", "", hold, None, 0, 0),
    ]
    sql = f"INSERT INTO transfers ({COLUMNS}, pending_status) VALUES " + ", ".join(
        "(" + ", ".join(f":{c.strip()}{i}" for c in COLUMNS.split(",")) + f", {status})"
        for i, status in enumerate(("'pending'", "NULL"))
    )
    with b.engine.connect() as conn:
        conn.begin()
        assert conn.execute(text(sql), insert_params(rows)).rowcount == 2
        conn.rollback()


@pytest.mark.postgresql
@pytest.mark.parametrize("side", ["right", "debit", "credit"])
def test_an_entry_linking_forward_along_a_chain_is_refused(pg_books: PgBooks, side: str) -> None:
    """Migration 0010: an entry's links must name entries before it (smaller positions);
    one naming a later position is refused as a check violation, and nothing of its
    statement is kept."""
    engine = pg_books.engine
    before = journal_count(engine)
    heads = {"debit": head_of(engine, pg_books.alice), "credit": head_of(engine, pg_books.bob)}
    if side != "right":
        heads[side] = scalar(engine, "SELECT MAX(seq) FROM transfers") + 1_000
    params = {
        "id": uuid_param(engine, new_id()),
        "dr": pg_books.alice.id,
        "cr": pg_books.bob.id,
        "amount": 5,
        "at": TEST_EPOCH_US,
        "prev_dr": heads["debit"],
        "prev_cr": heads["credit"],
    }
    if side == "right":  # the control: the same statement, linked backwards, is accepted
        with engine.connect() as conn:
            conn.begin()
            assert conn.execute(text(RAW_ENTRY), params).scalar_one() > max(heads.values())
            conn.rollback()
        return
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text(RAW_ENTRY), params)
    assert caught.value.orig is not None
    assert caught.value.orig.sqlstate == "23514"  # check_violation
    assert caught.value.orig.diag.constraint_name == "transfers_chain_order"
    assert journal_count(engine) == before


@pytest.mark.postgresql
@pytest.mark.parametrize("bad", [None, "missing_credit", "debit_other_currency"])
def test_a_copy_naming_a_wrong_account_is_refused_whole(pg_books: PgBooks, bad: str | None) -> None:
    """COPY is how the journal writes a batch of entries: the trigger covers it too."""
    engine = pg_books.engine
    before = journal_count(engine)
    rows = raw_rows(pg_books, bad, 2, 4)
    with engine.connect() as conn:
        conn.begin()
        raw = conn.connection.driver_connection
        assert raw is not None
        if bad is None:
            with raw.cursor() as cur, cur.copy(f"COPY transfers ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assert conn.execute(text("SELECT COUNT(*) FROM transfers")).scalar_one() == before + 4
        else:
            with (
                pytest.raises(psycopg.errors.ForeignKeyViolation),
                raw.cursor() as cur,
                cur.copy(f"COPY transfers ({COLUMNS}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        conn.rollback()
    assert journal_count(engine) == before


@pytest.mark.postgresql
@pytest.mark.parametrize("which", ["with_entries", "without_entries"])
def test_an_account_cannot_be_deleted(pg_books: PgBooks, which: str) -> None:
    engine = pg_books.engine
    account = pg_books.alice if which == "with_entries" else pg_books.fresh
    with pytest.raises(IntegrityError, match="cannot be deleted") as caught, engine.begin() as conn:
        conn.execute(text("DELETE FROM accounts WHERE id = :i"), {"i": account.id})
    assert caught.value.orig is not None and caught.value.orig.sqlstate == "23503"
    assert scalar(engine, "SELECT COUNT(*) FROM accounts WHERE id = :i", i=account.id) == 1


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ("currency = 'USD'", True),
        ("id = id + 1000000", True),
        ("currency = currency", False),  # the same currency is no change
        ("name = 'renamed'", False),
    ],
)
def test_an_account_keeps_its_id_and_currency(
    pg_books: PgBooks, change: str, refused: bool
) -> None:
    engine = pg_books.engine
    for account in (pg_books.alice, pg_books.fresh):
        sql = f"UPDATE accounts SET {change} WHERE id = :i"
        if refused:
            with (
                pytest.raises(IntegrityError, match="cannot change its id or currency") as caught,
                engine.begin() as conn,
            ):
                conn.execute(text(sql), {"i": account.id})
            assert caught.value.orig is not None and caught.value.orig.sqlstate == "23503"
        else:
            with engine.connect() as conn:
                conn.begin()
                assert conn.execute(text(sql), {"i": account.id}).rowcount == 1
                conn.rollback()
        assert (
            scalar(
                engine,
                "SELECT COUNT(*) FROM accounts WHERE id = :i AND currency = 'CNY'",
                i=account.id,
            )
            == 1
        )
