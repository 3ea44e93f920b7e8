"""Use cases for the bank's structure and accounts, on the in-memory fakes."""

from __future__ import annotations

import pytest

from ebank.application import banking, ledger
from ebank.application.context import Context
from ebank.domain.accounts import (
    AccountStatus,
    GlKind,
    NormalSide,
    is_valid_account_number,
)
from ebank.domain.branches import BranchKind
from ebank.domain.customers import CustomerKind, IdType, Tier
from ebank.domain.errors import (
    AccountNotEmpty,
    AccountNotFound,
    AccountStatusConflict,
    BranchExists,
    BranchNotFound,
    CustomerExists,
    CustomerNotFound,
    InvalidBranchTree,
    InvalidInput,
    TransferRefused,
    UnknownCurrency,
)
from ebank.domain.money import Money
from factories import (
    BRANCH,
    HEAD_OFFICE,
    bank_with_branch,
    corporate,
    current,
    deposit,
    funded_savings,
    gl,
    head_office,
    individual,
    savings,
)

from .fakes import FakeStore, fake_context


@pytest.fixture
def fake() -> tuple[Context, FakeStore]:
    ctx, store, _ = fake_context()
    return ctx, store


@pytest.fixture
def ctx(fake: tuple[Context, FakeStore]) -> Context:
    return fake[0]


@pytest.fixture
def store(fake: tuple[Context, FakeStore]) -> FakeStore:
    return fake[1]


# -- branches -------------------------------------------------------------------------------
def test_the_head_office_gets_its_internal_accounts(ctx: Context, store: FakeStore) -> None:
    branch = head_office(ctx)
    assert branch.kind is BranchKind.HEAD_OFFICE
    accounts = list(store.state.accounts.values())
    # Tellers' cash boxes are per teller, opened at their first shift, not per branch.
    assert sorted(a.gl_kind for a in accounts if a.gl_kind) == sorted(
        set(GlKind) - {GlKind.TELLER_CASH, GlKind.ATM_CASH}
    )
    for a in accounts:
        assert a.branch_code == HEAD_OFFICE
        assert a.customer_id is None
        assert a.currency == "CNY"
        assert a.status is AccountStatus.ACTIVE
        assert is_valid_account_number(a.number)
        assert a.number.startswith(HEAD_OFFICE)
    cash = gl(ctx, GlKind.CASH)
    assert cash.product_code == "GL-CASH"
    assert cash.normal_side is NormalSide.DEBIT
    assert cash.credits_must_not_exceed_debits
    assert not cash.debits_must_not_exceed_credits


def test_a_branch_gets_the_same_accounts_but_capital(ctx: Context, store: FakeStore) -> None:
    bank_with_branch(ctx, currencies=("CNY", "usd"))
    mine = [a for a in store.state.accounts.values() if a.branch_code == BRANCH]
    assert len(mine) == 2 * len(banking.BRANCH_GL_KINDS)
    assert {(a.gl_kind, a.currency) for a in mine} == {
        (k, c) for k in banking.BRANCH_GL_KINDS for c in ("CNY", "USD")
    }
    assert GlKind.CAPITAL not in {a.gl_kind for a in mine}
    assert gl(ctx, GlKind.CASH, BRANCH, "USD").currency == "USD"
    # 12 head-office accounts, then 10 branch accounts: serials without gaps
    assert sorted(store.state.accounts) == list(range(1, 23))


def test_a_branch_tree(ctx: Context, store: FakeStore) -> None:
    bank_with_branch(ctx)
    banking.add_branch(ctx, "0110", "海淀支行", BranchKind.SUB_BRANCH, BRANCH)
    banking.add_branch(ctx, "0111", "中关村网点", BranchKind.OUTLET, "0110")
    banking.add_branch(ctx, "0002", "营业部", BranchKind.OUTLET, HEAD_OFFICE)
    with ctx.uow() as uow:
        assert [b.code for b in uow.branches.all()] == ["0001", "0002", "0100", "0110", "0111"]
        assert uow.branches.get("0111").parent_code == "0110"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "kind", "parent", "error"),
    [
        ("0200", BranchKind.HEAD_OFFICE, None, InvalidBranchTree),  # a second head office
        ("0001", BranchKind.BRANCH, HEAD_OFFICE, BranchExists),
        ("0200", BranchKind.BRANCH, "0999", BranchNotFound),
        ("0200", BranchKind.BRANCH, None, InvalidBranchTree),
        ("0200", BranchKind.BRANCH, BRANCH, InvalidBranchTree),  # a branch under a branch
        ("0200", BranchKind.HEAD_OFFICE, HEAD_OFFICE, InvalidBranchTree),
        ("20", BranchKind.BRANCH, HEAD_OFFICE, InvalidInput),
    ],
)
def test_branch_refusals_change_nothing(
    ctx: Context,
    store: FakeStore,
    code: str,
    kind: BranchKind,
    parent: str | None,
    error: type[Exception],
) -> None:
    bank_with_branch(ctx)
    before = (dict(store.state.branches), len(store.state.accounts))
    with pytest.raises(error):
        banking.add_branch(ctx, code, "x", kind, parent)
    assert (store.state.branches, len(store.state.accounts)) == before


def test_a_branch_with_an_unknown_currency_leaves_nothing_behind(
    ctx: Context, store: FakeStore
) -> None:
    head_office(ctx)
    before = len(store.state.accounts)
    with pytest.raises(UnknownCurrency):
        banking.add_branch(ctx, BRANCH, "b", BranchKind.BRANCH, HEAD_OFFICE, ("CNY", "XXX"))
    assert BRANCH not in store.state.branches
    assert len(store.state.accounts) == before
    assert store.state.sequences["account"] == before


def test_the_first_unit_must_be_the_head_office(ctx: Context) -> None:
    with pytest.raises(BranchNotFound):
        banking.add_branch(ctx, BRANCH, "b", BranchKind.BRANCH, HEAD_OFFICE)


# -- customers -----------------------------------------------------------------------------
def test_customers_get_numbers_in_order(ctx: Context) -> None:
    head_office(ctx)
    first = individual(ctx, name="李四", tier=Tier.GOLD)
    second = corporate(ctx)
    assert (first.number, second.number) == ("C0000000001", "C0000000002")
    assert first.tier is Tier.GOLD
    with ctx.uow() as uow:
        assert uow.customers.by_number("C0000000002") == second
        assert uow.customers.get(first.id) == first


def test_a_duplicate_identity_is_refused(ctx: Context, store: FakeStore) -> None:
    head_office(ctx)
    banking.add_customer(
        ctx, CustomerKind.INDIVIDUAL, "王五", IdType.RESIDENT_ID, "110101199003070011", HEAD_OFFICE
    )
    with pytest.raises(CustomerExists):
        banking.add_customer(
            ctx,
            CustomerKind.INDIVIDUAL,
            "王五 again",
            IdType.RESIDENT_ID,
            "110101199003070011",
            HEAD_OFFICE,
        )
    # the same number on another kind of document is another identity
    banking.add_customer(
        ctx, CustomerKind.INDIVIDUAL, "Wang Wu", IdType.PASSPORT, "110101199003070011", HEAD_OFFICE
    )
    assert len(store.state.customers) == 2
    assert store.state.sequences["customer"] == 2


@pytest.mark.parametrize(
    ("kind", "name", "id_type", "id_number", "branch", "error"),
    [
        (CustomerKind.INDIVIDUAL, "x", IdType.RESIDENT_ID, "1", "0999", BranchNotFound),
        (CustomerKind.INDIVIDUAL, " ", IdType.RESIDENT_ID, "1", HEAD_OFFICE, InvalidInput),
        (CustomerKind.INDIVIDUAL, "x" * 201, IdType.RESIDENT_ID, "1", HEAD_OFFICE, InvalidInput),
        (CustomerKind.INDIVIDUAL, "x", IdType.RESIDENT_ID, "", HEAD_OFFICE, InvalidInput),
        (CustomerKind.INDIVIDUAL, "x", IdType.RESIDENT_ID, "1" * 41, HEAD_OFFICE, InvalidInput),
        (CustomerKind.INDIVIDUAL, "x", IdType.BUSINESS_LICENCE, "1", HEAD_OFFICE, InvalidInput),
        (CustomerKind.CORPORATE, "x", IdType.RESIDENT_ID, "1", HEAD_OFFICE, InvalidInput),
        (CustomerKind.CORPORATE, "x", IdType.PASSPORT, "1", HEAD_OFFICE, InvalidInput),
    ],
)
def test_customer_refusals(
    ctx: Context,
    store: FakeStore,
    kind: CustomerKind,
    name: str,
    id_type: IdType,
    id_number: str,
    branch: str,
    error: type[Exception],
) -> None:
    head_office(ctx)
    with pytest.raises(error):
        banking.add_customer(ctx, kind, name, id_type, id_number, branch)
    assert store.state.customers == {}
    assert store.state.sequences["customer"] == 0


# -- opening accounts ------------------------------------------------------------------------
def test_open_a_savings_account(ctx: Context) -> None:
    bank_with_branch(ctx)
    customer = individual(ctx, BRANCH, name="赵六")
    account = banking.open_account(ctx, customer.number, "SAV")
    assert account.branch_code == BRANCH  # the customer's own branch by default
    assert account.number.startswith(BRANCH) and is_valid_account_number(account.number)
    assert account.customer_id == customer.id
    assert account.name == "赵六"
    assert account.debits_must_not_exceed_credits
    assert account.overdraft_limit_minor == 0
    assert account.normal_side is NormalSide.CREDIT
    elsewhere = banking.open_account(ctx, customer.number, "SAV", "usd", HEAD_OFFICE)
    assert (elsewhere.branch_code, elsewhere.currency) == (HEAD_OFFICE, "USD")
    with ctx.uow() as uow:
        assert uow.accounts.for_customer(customer.id) == [account, elsewhere]


def test_a_corporate_current_account_may_have_an_overdraft(ctx: Context) -> None:
    head_office(ctx)
    account = current(ctx, overdraft_minor=50_000)
    assert account.overdraft_limit_minor == 50_000
    assert account.product_code == "CUR"


@pytest.mark.parametrize(
    ("who", "product_code", "overdraft", "error", "why"),
    [
        ("individual", "CUR", 100, InvalidInput, "only corporate current accounts"),
        ("corporate", "SAV", 100, InvalidInput, "only corporate current accounts"),
        ("corporate", "LOAN", 100, InvalidInput, "only corporate current accounts"),
        ("corporate", "CUR", -1, InvalidInput, "cannot be negative"),
        ("individual", "GL-CASH", 0, InvalidInput, "internal accounts only"),
        ("individual", "NOPE", 0, InvalidInput, "unknown product"),
    ],
)
def test_open_account_refusals(
    ctx: Context,
    store: FakeStore,
    who: str,
    product_code: str,
    overdraft: int,
    error: type[Exception],
    why: str,
) -> None:
    head_office(ctx)
    customer = individual(ctx) if who == "individual" else corporate(ctx)
    before = len(store.state.accounts)
    with pytest.raises(error, match=why):
        banking.open_account(ctx, customer.number, product_code, overdraft_limit_minor=overdraft)
    assert len(store.state.accounts) == before
    assert store.state.sequences["account"] == before


def test_open_account_for_unknown_things(ctx: Context) -> None:
    head_office(ctx)
    customer = individual(ctx)
    with pytest.raises(CustomerNotFound):
        banking.open_account(ctx, "C9999999999", "SAV")
    with pytest.raises(BranchNotFound):
        banking.open_account(ctx, customer.number, "SAV", branch_code="0999")
    with pytest.raises(UnknownCurrency):
        banking.open_account(ctx, customer.number, "SAV", "XXX")


# -- status changes ------------------------------------------------------------------------
def test_freeze_stops_debits_but_not_credits(ctx: Context) -> None:
    head_office(ctx)
    account = funded_savings(ctx, 10_000)
    other = savings(ctx)
    frozen = banking.change_status(ctx, account.number, AccountStatus.FROZEN)
    assert frozen.status is AccountStatus.FROZEN
    with pytest.raises(TransferRefused) as refused:
        ledger.transfer(ctx, account.number, other.number, Money(100))
    assert refused.value.result == "debit_account_frozen"
    deposit(ctx, account, 500)
    assert (
        banking.change_status(ctx, account.number, AccountStatus.ACTIVE).status
        is AccountStatus.ACTIVE
    )
    ledger.transfer(ctx, account.number, other.number, Money(10_500))


def test_dormant_accounts_are_reactivated(ctx: Context) -> None:
    head_office(ctx)
    account = funded_savings(ctx, 1000)
    other = savings(ctx)
    banking.change_status(ctx, account.number, AccountStatus.DORMANT)
    with pytest.raises(TransferRefused, match="debit_account_dormant"):
        ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(100))
    banking.change_status(ctx, account.number, AccountStatus.FROZEN)
    with pytest.raises(AccountStatusConflict):
        banking.change_status(ctx, account.number, AccountStatus.DORMANT)
    banking.change_status(ctx, account.number, AccountStatus.ACTIVE)
    ledger.transfer(ctx, account.number, other.number, Money(1000))


def test_closing_needs_a_zero_balance(ctx: Context, store: FakeStore) -> None:
    head_office(ctx)
    account = funded_savings(ctx, 1000)
    with pytest.raises(AccountNotEmpty):
        banking.change_status(ctx, account.number, AccountStatus.CLOSED)
    assert store.state.accounts[account.id].status is AccountStatus.ACTIVE
    ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(1000))
    closed = banking.change_status(ctx, account.number, AccountStatus.CLOSED)
    assert closed.status is AccountStatus.CLOSED
    assert store.state.closed_at_us[account.id] == ctx.clock.now_us()
    with pytest.raises(TransferRefused, match="credit_account_closed"):
        deposit(ctx, account, 1)
    for status in (
        AccountStatus.ACTIVE,
        AccountStatus.FROZEN,
        AccountStatus.DORMANT,
        AccountStatus.CLOSED,
    ):
        with pytest.raises(AccountStatusConflict):
            banking.change_status(ctx, account.number, status)


def test_closing_needs_no_holds(ctx: Context) -> None:
    head_office(ctx)
    account, shop = funded_savings(ctx, 1000), savings(ctx)
    hold = ledger.place_hold(ctx, account.number, shop.number, Money(1000), timeout_s=60)
    with pytest.raises(AccountNotEmpty):
        banking.change_status(ctx, shop.number, AccountStatus.CLOSED)  # a pending credit
    ledger.resolve_hold(ctx, hold.entry.id, capture=False)
    ledger.cash_withdrawal(ctx, HEAD_OFFICE, account.number, Money(1000))
    banking.change_status(ctx, account.number, AccountStatus.CLOSED)
    banking.change_status(ctx, shop.number, AccountStatus.CLOSED)


def test_an_overdrawn_account_cannot_close(ctx: Context) -> None:
    head_office(ctx)
    account = current(ctx, overdraft_minor=1000)
    deposit(ctx, account, 5000)  # the vault needs the cash it pays out
    other = savings(ctx)
    ledger.transfer(ctx, account.number, other.number, Money(5500))
    with pytest.raises(AccountNotEmpty):
        banking.change_status(ctx, account.number, AccountStatus.CLOSED)


def test_status_change_refusals(ctx: Context) -> None:
    head_office(ctx)
    account = savings(ctx)
    with pytest.raises(AccountNotFound):
        banking.change_status(ctx, "0001000000000000999", AccountStatus.FROZEN)
    with pytest.raises(AccountStatusConflict):
        banking.change_status(ctx, account.number, AccountStatus.ACTIVE)
    with pytest.raises(InvalidInput, match="internal account"):
        banking.change_status(ctx, gl(ctx, GlKind.SUSPENSE).number, AccountStatus.FROZEN)
