"""The SQL adapters on SQLite and PostgreSQL: repositories, the journal and its paging,
big batches, expiry, and text beyond ASCII."""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.application import banking, ledger
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import (
    Account,
    AccountStatus,
    GlKind,
    NormalSide,
    account_number,
    is_valid_account_number,
)
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier
from ebank.domain.money import Money
from ebank.domain.transfers import PendingStatus, Result, Transfer, TransferKind
from factories import (
    BRANCH,
    HEAD_OFFICE,
    balances,
    bank_with_branch,
    corporate,
    deposit,
    funded_savings,
    gl,
    head_office,
    individual,
    new_id,
    posting,
    savings,
    scalar,
)

S = 1_000_000


# -- repositories ------------------------------------------------------------------------------
def test_branches_round_trip(bank: Bank) -> None:
    ctx = bank.ctx
    with ctx.uow() as uow:
        assert uow.branches.head_office() is None
        assert uow.branches.all() == []
    bank_with_branch(ctx)
    outlet = banking.add_branch(ctx, "0101", "望京网点", BranchKind.OUTLET, BRANCH)
    with ctx.uow() as uow:
        assert (
            uow.branches.get("0101")
            == outlet
            == Branch("0101", "望京网点", BranchKind.OUTLET, BRANCH)
        )
        assert uow.branches.get("0999") is None
        head = uow.branches.head_office()
        assert head is not None and head.code == HEAD_OFFICE and head.parent_code is None
        assert [b.code for b in uow.branches.all()] == [HEAD_OFFICE, BRANCH, "0101"]


def test_customers_round_trip(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx)
    person = banking.add_customer(
        ctx,
        CustomerKind.INDIVIDUAL,
        "欧阳娜娜",
        IdType.RESIDENT_ID,
        "11010519491231002X",
        HEAD_OFFICE,
        Tier.PLATINUM,
        phone="+86 138 0013 8000",
    )
    company = corporate(ctx)
    with ctx.uow() as uow:
        assert uow.customers.get(person.id) == person
        assert uow.customers.by_number(person.number) == person
        assert uow.customers.by_identity("resident_id", "11010519491231002X") == person
        assert uow.customers.by_identity("passport", "11010519491231002X") is None
        assert uow.customers.by_number(company.number) == company
        assert uow.customers.get(10**9) is None
        many = [
            Customer(
                id=100 + i,
                number=f"C{100 + i:010d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{i}",
                tier=Tier.SILVER,
                id_type=IdType.PASSPORT,
                id_number=f"E{i:08d}",
                branch_code=HEAD_OFFICE,
            )
            for i in range(1200)
        ]
        uow.customers.add_many(many, clock.now_us())
        uow.commit()
    with ctx.uow() as uow:
        assert uow.customers.by_number("C0000001299") == many[-1]
        assert uow.customers.by_identity("passport", "E00000600") == many[600]
    assert scalar(bank.engine, "SELECT COUNT(*) FROM customers") == 1202


def test_accounts_round_trip(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx, ("CNY", "JPY"))
    customer = individual(ctx, name="Zoë Ağaoğlu")
    sav = banking.open_account(ctx, customer.number, "SAV")
    yen = banking.open_account(ctx, customer.number, "SAV", "JPY")
    boss = corporate(ctx)
    cur = banking.open_account(ctx, boss.number, "CUR", overdraft_limit_minor=123_456_789)
    with ctx.uow() as uow:
        assert uow.accounts.get(sav.id) == sav
        assert uow.accounts.by_number(cur.number) == cur
        assert uow.accounts.get(cur.id).overdraft_limit_minor == 123_456_789  # type: ignore[union-attr]
        assert uow.accounts.lock(yen.id) == yen
        assert uow.accounts.lock(10**9) is None
        assert uow.accounts.by_number("0001000000000000000") is None
        assert uow.accounts.for_customer(customer.id) == [sav, yen]
        assert uow.accounts.for_customer(boss.id) == [cur]
        cash = uow.accounts.gl_account(HEAD_OFFICE, GlKind.CASH, "JPY")
        assert cash is not None and cash.gl_kind is GlKind.CASH and cash.customer_id is None
        assert cash.credits_must_not_exceed_debits and not cash.debits_must_not_exceed_credits
        assert uow.accounts.gl_account(HEAD_OFFICE, GlKind.CASH, "USD") is None
        assert uow.accounts.gl_account(HEAD_OFFICE, GlKind.CAPITAL, "CNY") is not None
        b = uow.accounts.balances(cur.id)
        assert (
            b.normal_side,
            b.debits_posted,
            b.credits_posted,
            b.overdraft_limit_minor,
            b.available_minor,
        ) == (NormalSide.CREDIT, 0, 0, 123_456_789, 123_456_789)
    for a in (sav, yen, cur):
        assert is_valid_account_number(a.number)
    deposit(ctx, yen, 5_000)
    with ctx.uow() as uow:
        assert uow.accounts.balances(yen.id).ledger_minor == 5_000
        assert uow.accounts.balances(cash.id).ledger_minor == 5_000


def test_account_status_and_closing_time(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx)
    account = savings(ctx)
    clock.advance(3600)
    closed = banking.change_status(ctx, account.number, AccountStatus.CLOSED)
    assert closed.status is AccountStatus.CLOSED
    assert (
        scalar(bank.engine, "SELECT closed_at_us FROM accounts WHERE id = :i", i=account.id)
        == clock.now_us()
    )
    other = savings(ctx)
    banking.change_status(ctx, other.number, AccountStatus.FROZEN)
    with bank.engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, closed_at_us FROM accounts WHERE id = :i"), {"i": other.id}
        ).one()
    assert tuple(row) == ("frozen", None)


def test_add_many_accounts(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx)
    customer = individual(ctx)
    with ctx.uow() as uow:
        first = uow.sequences.next_block("account", 1500)
        made = [
            Account(
                id=first + i,
                number=account_number(HEAD_OFFICE, first + i),
                product_code="SAV",
                currency="CNY",
                branch_code=HEAD_OFFICE,
                customer_id=customer.id,
                name=f"户{i}",
                status=AccountStatus.ACTIVE,
                overdraft_limit_minor=0,
                debits_must_not_exceed_credits=True,
                credits_must_not_exceed_debits=False,
                gl_kind=None,
                opened_at_us=clock.now_us(),
            )
            for i in range(1500)
        ]
        uow.accounts.add_many(made)
        uow.commit()
    with ctx.uow() as uow:
        assert len(uow.accounts.for_customer(customer.id)) == 1500
        assert uow.accounts.get(made[777].id) == made[777]
    # the next account opened continues after the block
    assert savings(ctx, customer).id == first + 1500


def test_sequences_hand_out_blocks(bank: Bank) -> None:
    with bank.ctx.uow() as uow:
        assert uow.sequences.next_block("account", 10) == 1
        assert uow.sequences.next_block("account", 1) == 11
        assert uow.sequences.next_block("customer", 5) == 1
        with pytest.raises(LookupError):
            uow.sequences.next_block("nope", 1)
        uow.commit()
    with bank.ctx.uow() as uow:
        assert uow.sequences.next_block("account", 1) == 12


def test_leaving_a_unit_of_work_without_commit_rolls_back(bank: Bank, clock: FixedClock) -> None:
    with bank.ctx.uow() as uow:
        uow.branches.add(Branch(HEAD_OFFICE, "x", BranchKind.HEAD_OFFICE, None), clock.now_us())
        uow.sequences.next_block("account", 3)
    with pytest.raises(RuntimeError), bank.ctx.uow() as uow:
        uow.branches.add(Branch(HEAD_OFFICE, "x", BranchKind.HEAD_OFFICE, None), clock.now_us())
        raise RuntimeError("boom")
    with bank.ctx.uow() as uow:
        assert uow.branches.all() == []
        assert uow.sequences.next_block("account", 1) == 1


# -- the journal -------------------------------------------------------------------------------
def test_entry_lookup_returns_every_field(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 100_000), savings(ctx)
    hold = posting(
        a,
        b,
        3_000,
        kind=TransferKind.PENDING,
        timeout_s=90,
        code=1004,
        channel="pos",
        reference="酒店预授权",
    )
    assert ledger.post_batch(ctx, [hold]).all_ok
    clock.advance(5)
    post = Transfer(
        id=new_id(),
        kind=TransferKind.POST_PENDING,
        pending_id=hold.id,
        amount_minor=2_000,
        code=1004,
        channel="pos",
    )
    t = posting(a, b, 700, code=1000, channel="web", reference="x")
    rev = posting(b, a, 300, reversal_of=t.id)
    assert ledger.post_batch(ctx, [post, t, rev]).all_ok
    with ctx.uow() as uow:
        h = uow.journal.entry(hold.id)
        p = uow.journal.entry(post.id)
        r = uow.journal.entry(rev.id)
        assert uow.journal.entry(new_id()) is None
    assert h is not None and p is not None and r is not None
    assert (
        h.id,
        h.kind,
        h.debit_account_id,
        h.credit_account_id,
        h.amount_minor,
        h.currency,
        h.code,
        h.channel,
        h.reference,
        h.pending_id,
        h.reversal_of,
        h.timeout_s,
        h.expires_at_us,
        h.created_at_us,
        h.pending_status,
    ) == (
        hold.id,
        TransferKind.PENDING,
        a.id,
        b.id,
        3_000,
        "CNY",
        1004,
        "pos",
        "酒店预授权",
        None,
        None,
        90,
        clock.now_us() - 5 * S + 90 * S,
        clock.now_us() - 5 * S,
        PendingStatus.POSTED,
    )
    assert isinstance(h.id, UUID)
    assert (
        p.kind,
        p.pending_id,
        p.amount_minor,
        p.debit_account_id,
        p.credit_account_id,
        p.pending_status,
        p.created_at_us,
    ) == (TransferKind.POST_PENDING, hold.id, 2_000, a.id, b.id, None, clock.now_us())
    assert (r.reversal_of, r.debit_account_id, r.amount_minor) == (t.id, b.id, 300)
    assert h.seq is not None and p.seq is not None and r.seq is not None
    assert h.seq < p.seq < r.seq


def test_history_is_newest_first_and_pages_with_before_seq(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b, c = funded_savings(ctx, 100_000), funded_savings(ctx, 100_000), savings(ctx)
    batch = []
    for i in range(30):
        pair = [(a, b), (b, a), (b, c), (c, a) if i > 3 else (b, c)][i % 4]
        batch.append(posting(pair[0], pair[1], i + 1))
    assert ledger.post_batch(ctx, batch[:10]).all_ok
    assert ledger.post_batch(ctx, batch[10:]).all_ok
    involving_a = [t.id for t in batch if a.id in (t.debit_account_id, t.credit_account_id)]
    pages: list[list[UUID]] = []
    before: int | None = None
    with ctx.uow() as uow:
        while True:
            page = uow.journal.history(a.id, before, 7)
            if not page:
                break
            assert len(page) <= 7
            seqs = [e.seq for e in page]
            assert seqs == sorted(seqs, reverse=True)  # type: ignore[type-var]
            assert before is None or all(s < before for s in seqs)  # type: ignore[operator]
            pages.append([e.id for e in page])
            before = page[-1].seq
        everything = uow.journal.history(a.id, None, 1000)
        deposit_ids = {e.id for e in everything} - set(involving_a)
        oldest = uow.journal.history(a.id, everything[-1].seq, 10)
    flat = [i for p in pages for i in p]
    # a's opening cash deposit is in its history too, as the oldest entry
    assert len(deposit_ids) == 1
    assert flat == [e.id for e in everything]
    assert list(reversed(flat[:-1])) == involving_a
    assert [len(p) for p in pages] == [7] * (len(flat) // 7) + (
        [len(flat) % 7] if len(flat) % 7 else []
    )
    assert oldest == []


def test_a_batch_of_a_thousand_transfers_in_one_call(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    accounts = [funded_savings(ctx, 1_000_000) for _ in range(10)]
    batch = [posting(accounts[i % 10], accounts[(i * 7 + 3) % 10], 1 + i % 50) for i in range(1000)]
    batch = [
        t if t.debit_account_id != t.credit_account_id else posting(accounts[0], accounts[1], 5)
        for t in batch
    ]
    before = scalar(bank.engine, "SELECT COUNT(*) FROM transfers")
    outcome = ledger.post_batch(ctx, batch)
    assert outcome.results == [Result.OK] * 1000
    assert scalar(bank.engine, "SELECT COUNT(*) FROM transfers") == before + 1000
    expected = {a.id: 1_000_000 for a in accounts}
    for t in batch:
        expected[t.debit_account_id] -= t.amount_minor
        expected[t.credit_account_id] += t.amount_minor
    for a in accounts:
        dp, dd, cp, cc = balances(ctx, a)
        assert cc - dd == expected[a.id] and dp == cp == 0
    again = ledger.post_batch(ctx, batch)
    assert again.all_ok and again.replayed == [True] * 1000
    assert scalar(bank.engine, "SELECT COUNT(*) FROM transfers") == before + 1000
    assert verify_ledger(ctx).ok


def test_the_largest_batch_of_holds_captures_and_reversals(bank: Bank) -> None:
    """A batch of the largest size, half holds and half their partial captures; then a
    batch reversing thousands of the captures: far more rows than one SQL statement takes
    parameters for on SQLite."""
    ctx = bank.ctx
    head_office(ctx)
    accounts = [funded_savings(ctx, 10**9) for _ in range(8)]
    batch: list[Transfer] = []
    for i in range(ledger.MAX_BATCH_SIZE // 2):
        dr, cr = accounts[i % 8], accounts[(i + 1 + i // 8) % 8]
        if dr.id == cr.id:
            cr = accounts[(i + 1) % 8]
        hold = posting(dr, cr, 100 + i % 900, kind=TransferKind.PENDING, timeout_s=600)
        batch += [
            hold,
            Transfer(
                id=new_id(), kind=TransferKind.POST_PENDING, pending_id=hold.id, amount_minor=50
            ),
        ]
    assert len(batch) == ledger.MAX_BATCH_SIZE
    assert ledger.post_batch(ctx, batch).all_ok
    captures = batch[1::2]
    with ctx.uow() as uow:
        entries = [uow.journal.entry(t.id) for t in captures]
    reversals = [
        Transfer(
            id=new_id(),
            debit_account_id=e.credit_account_id,
            credit_account_id=e.debit_account_id,
            amount_minor=e.amount_minor,
            reversal_of=e.id,
        )
        for e in entries
        if e is not None
    ]
    outcome = ledger.post_batch(ctx, reversals)
    assert outcome.all_ok and len(outcome.results) == len(captures)
    for a in accounts:  # every hold captured, every capture reversed: back where it began
        dp, dd, cp, cc = balances(ctx, a)
        assert (dp, cp, cc - dd) == (0, 0, 10**9)
        assert dd > 0
    assert ledger.post_batch(ctx, reversals).replayed == [True] * len(reversals)
    assert verify_ledger(ctx).ok


def test_a_batch_mixing_successes_and_refusals_keeps_only_the_successes(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 1_000), savings(ctx)
    batch = [
        posting(a, b, 400),
        posting(a, b, 700),
        posting(a, b, 100, linked=True),
        posting(b, a, 10_000),
        posting(a, b, 600),
        posting(a, 10**9, 1),
    ]
    outcome = ledger.post_batch(ctx, batch)
    assert outcome.results == [
        Result.OK,
        Result.EXCEEDS_CREDITS,
        Result.LINKED_EVENT_FAILED,
        Result.EXCEEDS_CREDITS,
        Result.OK,
        Result.CREDIT_ACCOUNT_NOT_FOUND,
    ]
    with ctx.uow() as uow:
        stored = [uow.journal.entry(t.id) is not None for t in batch]
    assert stored == [True, False, False, False, True, False]
    assert balances(ctx, b) == (0, 0, 0, 1_000)


def test_retries_across_transactions(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 10_000), savings(ctx)
    t = posting(a, b, 2_500)
    hold = posting(a, b, 1_000, kind=TransferKind.PENDING)
    post = Transfer(id=new_id(), kind=TransferKind.POST_PENDING, pending_id=hold.id)
    assert ledger.post_batch(ctx, [t, hold]).all_ok
    assert ledger.post_batch(ctx, [post]).all_ok
    outcome = ledger.post_batch(ctx, [t, hold, post])
    assert outcome.results == [Result.OK] * 3 and outcome.replayed == [True] * 3
    changed = Transfer(id=t.id, debit_account_id=a.id, credit_account_id=b.id, amount_minor=2_501)
    other_post = Transfer(id=post.id, kind=TransferKind.POST_PENDING, pending_id=t.id)
    assert ledger.post_batch(ctx, [changed, other_post]).results == [
        Result.EXISTS_WITH_DIFFERENT_AMOUNT,
        Result.EXISTS_WITH_DIFFERENT_PENDING_ID,
    ]
    assert balances(ctx, b) == (0, 0, 0, 3_500)
    assert scalar(bank.engine, "SELECT COUNT(*) FROM transfers") == 4


def test_reversals_are_remembered_across_transactions(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 10_000), savings(ctx)
    t = ledger.transfer(ctx, a.number, b.number, Money(2_500))
    ledger.reverse(ctx, t.entry.id, amount_minor=500)
    with pytest.raises(Exception, match="reversed_transfer_already_reversed"):
        ledger.reverse(ctx, t.entry.id, amount_minor=500)
    assert balances(ctx, b) == (0, 500, 0, 2_500)


def test_a_hold_and_its_capture_in_one_batch(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 10_000), savings(ctx)
    hold = posting(a, b, 1_000, kind=TransferKind.PENDING, timeout_s=60)
    post = Transfer(
        id=new_id(), kind=TransferKind.POST_PENDING, pending_id=hold.id, amount_minor=600
    )
    assert ledger.post_batch(ctx, [hold, post]).all_ok
    with ctx.uow() as uow:
        assert uow.journal.entry(hold.id).pending_status is PendingStatus.POSTED  # type: ignore[union-attr]
    assert balances(ctx, a) == (0, 600, 0, 10_000)
    assert verify_ledger(ctx).ok


# -- expiry ------------------------------------------------------------------------------------
def test_due_pending_transfers_expire(bank: Bank, clock: FixedClock) -> None:
    ctx = bank.ctx
    head_office(ctx)
    a, b = funded_savings(ctx, 100_000), savings(ctx)
    holds = [
        posting(a, b, 100 * (i + 1), kind=TransferKind.PENDING, timeout_s=timeout)
        for i, timeout in enumerate([60, 10, 3600, 0, 60, 120])
    ]
    assert ledger.post_batch(ctx, holds).all_ok
    posted = Transfer(id=new_id(), kind=TransferKind.POST_PENDING, pending_id=holds[4].id)
    assert ledger.post_batch(ctx, [posted]).all_ok
    clock.advance(60)
    with ctx.uow() as uow:
        due, accounts = uow.journal.due_pending(clock.now_us(), 10)
        assert [e.id for e in due] == [holds[0].id, holds[1].id]  # in journal order
        assert set(accounts) == {a.id, b.id}
        assert accounts[a.id].debits_pending == 100 + 200 + 300 + 400 + 600
        first, _ = uow.journal.due_pending(clock.now_us(), 1)
        assert [e.id for e in first] == [holds[0].id]
    assert ledger.expire_due(ctx, limit=1) == 2
    assert balances(ctx, a) == (300 + 400 + 600, 500, 0, 100_000)
    assert balances(ctx, b) == (0, 0, 300 + 400 + 600, 500)
    assert ledger.expire_due(ctx) == 0
    clock.advance(3600)
    assert ledger.expire_due(ctx) == 2
    with ctx.uow() as uow:
        statuses = [uow.journal.entry(h.id).pending_status for h in holds]  # type: ignore[union-attr]
    assert statuses == [
        PendingStatus.EXPIRED,
        PendingStatus.EXPIRED,
        PendingStatus.EXPIRED,
        PendingStatus.PENDING,
        PendingStatus.POSTED,
        PendingStatus.EXPIRED,
    ]
    assert balances(ctx, a) == (400, 500, 0, 100_000)
    refused = ledger.post_batch(
        ctx,
        [
            Transfer(id=new_id(), kind=TransferKind.POST_PENDING, pending_id=holds[0].id),
            Transfer(id=new_id(), kind=TransferKind.VOID_PENDING, pending_id=holds[3].id),
        ],
    )
    assert refused.results == [Result.PENDING_TRANSFER_EXPIRED, Result.OK]
    assert verify_ledger(ctx).ok


# -- text ----------------------------------------------------------------------------------------
def test_unicode_names_and_references(bank: Bank) -> None:
    ctx = bank.ctx
    head_office(ctx)
    branch = banking.add_branch(ctx, "0200", "上海分行（浦东）", BranchKind.BRANCH, HEAD_OFFICE)
    name = "买买提·艾力 Mämmät Äli 🏦"
    person = banking.add_customer(
        ctx, CustomerKind.INDIVIDUAL, name, IdType.RESIDENT_ID, "65010119800101123X", "0200"
    )
    account = banking.open_account(ctx, person.number, "SAV")
    reference = "工资" * 32  # 64 characters, the most a reference holds
    deposit(ctx, account, 10_000)
    other = savings(ctx)
    posted = ledger.transfer(ctx, account.number, other.number, Money(1), reference=reference)
    with ctx.uow() as uow:
        assert uow.branches.get("0200") == branch
        assert uow.customers.by_number(person.number).name == name  # type: ignore[union-attr]
        assert uow.accounts.get(account.id).name == name  # type: ignore[union-attr]
        assert uow.journal.entry(posted.entry.id).reference == reference  # type: ignore[union-attr]
        assert [g.name for g in [uow.accounts.gl_account("0200", GlKind.CASH, "CNY")] if g] == [
            "Cash 0200 CNY"
        ]
    assert gl(ctx, GlKind.CASH, "0200").branch_code == "0200"
