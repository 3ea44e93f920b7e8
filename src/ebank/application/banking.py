"""Use cases for the bank's structure and its customers' accounts: branches (with their
internal accounts), customers, and opening, freezing, closing accounts."""

from __future__ import annotations

from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import (
    GL_PRODUCT,
    Account,
    AccountStatus,
    GlKind,
    account_number,
    check_status_change,
    product,
)
from ebank.domain.branches import Branch, BranchKind, check_parent
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, customer_number
from ebank.domain.errors import (
    AccountNotFound,
    BranchExists,
    BranchNotFound,
    CustomerExists,
    CustomerNotFound,
    InvalidInput,
)
from ebank.domain.money import DEFAULT_CURRENCY_CODE, Currency

ACCOUNT_SERIAL = "account"
CUSTOMER_SERIAL = "customer"
# The internal accounts each kind of unit gets, in each currency it books.
BRANCH_GL_KINDS = (
    GlKind.CASH,
    GlKind.CLEARING,
    GlKind.FEE_INCOME,
    GlKind.INTEREST_EXPENSE,
    GlKind.SUSPENSE,
)


def add_branch(
    ctx: Context,
    code: str,
    name: str,
    kind: BranchKind,
    parent_code: str | None,
    currencies: tuple[str, ...] = (DEFAULT_CURRENCY_CODE,),
) -> Branch:
    """Add a unit to the branch tree, with its internal (GL) accounts."""
    with ctx.uow() as uow:
        branch = add_branch_in(uow, ctx.clock.now_us(), code, name, kind, parent_code, currencies)
        uow.commit()
    return branch


def add_branch_in(
    uow: UnitOfWork,
    now: int,
    code: str,
    name: str,
    kind: BranchKind,
    parent_code: str | None,
    currencies: tuple[str, ...] = (DEFAULT_CURRENCY_CODE,),
) -> Branch:
    """``add_branch`` inside the caller's unit of work (which commits)."""
    branch = Branch(code=code, name=name, kind=kind, parent_code=parent_code)
    if uow.branches.get(code) is not None:
        raise BranchExists(f"branch {code} already exists")
    parent = None
    if parent_code is not None:
        parent = uow.branches.get(parent_code)
        if parent is None:
            raise BranchNotFound(f"no parent branch {parent_code}")
    check_parent(kind, parent, uow.branches.head_office() is not None)
    uow.branches.add(branch, now)
    kinds = BRANCH_GL_KINDS + ((GlKind.CAPITAL,) if kind is BranchKind.HEAD_OFFICE else ())
    for currency in currencies:
        for gl_kind in kinds:
            open_gl_account(uow, branch, gl_kind, Currency.of(currency).code, now)
    return branch


def open_gl_account(
    uow: UnitOfWork, branch: Branch, kind: GlKind, currency: str, now_us: int
) -> Account:
    prod = product(GL_PRODUCT[kind])
    serial = uow.sequences.next_block(ACCOUNT_SERIAL, 1)
    account = Account(
        id=serial,
        number=account_number(branch.code, serial),
        product_code=prod.code,
        currency=currency,
        branch_code=branch.code,
        customer_id=None,
        name=f"{prod.name} {branch.code} {currency}",
        status=AccountStatus.ACTIVE,
        overdraft_limit_minor=0,
        debits_must_not_exceed_credits=prod.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=prod.credits_must_not_exceed_debits,
        gl_kind=kind,
        opened_at_us=now_us,
    )
    uow.accounts.add(account)
    return account


def add_customer(
    ctx: Context,
    kind: CustomerKind,
    name: str,
    id_type: IdType,
    id_number: str,
    branch_code: str,
    tier: Tier = Tier.STANDARD,
    phone: str = "",
    email: str = "",
) -> Customer:
    with ctx.uow() as uow:
        customer = add_customer_in(
            uow,
            ctx.clock.now_us(),
            kind,
            name,
            id_type,
            id_number,
            branch_code,
            tier,
            phone,
            email,
        )
        uow.commit()
    return customer


def add_customer_in(
    uow: UnitOfWork,
    now: int,
    kind: CustomerKind,
    name: str,
    id_type: IdType,
    id_number: str,
    branch_code: str,
    tier: Tier = Tier.STANDARD,
    phone: str = "",
    email: str = "",
) -> Customer:
    """``add_customer`` inside the caller's unit of work (which commits)."""
    if uow.branches.get(branch_code) is None:
        raise BranchNotFound(f"no branch {branch_code}")
    if uow.customers.by_identity(id_type.value, id_number) is not None:
        raise CustomerExists(f"a customer with {id_type} {id_number} already exists")
    serial = uow.sequences.next_block(CUSTOMER_SERIAL, 1)
    customer = Customer(
        id=serial,
        number=customer_number(serial),
        kind=kind,
        name=name,
        tier=tier,
        id_type=id_type,
        id_number=id_number,
        branch_code=branch_code,
        phone=phone,
        email=email.strip(),
    )
    uow.customers.add(customer, now)
    return customer


def new_customer_account(
    serial: int,
    customer: Customer,
    branch_code: str,
    product_code: str,
    currency: str,
    overdraft_limit_minor: int,
    now_us: int,
) -> Account:
    """The account record for a customer; refuses a product or overdraft that does not
    fit the customer."""
    prod = product(product_code)
    if not prod.for_customers:
        raise InvalidInput(f"product {product_code} is for internal accounts only")
    if overdraft_limit_minor < 0:
        raise InvalidInput("an overdraft limit cannot be negative")
    if overdraft_limit_minor and not (
        prod.overdraft_allowed and customer.kind is CustomerKind.CORPORATE
    ):
        raise InvalidInput("only corporate current accounts may have an overdraft")
    return Account(
        id=serial,
        number=account_number(branch_code, serial),
        product_code=prod.code,
        currency=Currency.of(currency).code,
        branch_code=branch_code,
        customer_id=customer.id,
        name=customer.name,
        status=AccountStatus.ACTIVE,
        overdraft_limit_minor=overdraft_limit_minor,
        debits_must_not_exceed_credits=prod.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=prod.credits_must_not_exceed_debits,
        gl_kind=None,
        opened_at_us=now_us,
    )


def open_account(
    ctx: Context,
    customer_number_: str,
    product_code: str,
    currency: str = DEFAULT_CURRENCY_CODE,
    branch_code: str | None = None,
    overdraft_limit_minor: int = 0,
) -> Account:
    with ctx.uow() as uow:
        account = open_account_in(
            uow,
            ctx.clock.now_us(),
            customer_number_,
            product_code,
            currency,
            branch_code,
            overdraft_limit_minor,
        )
        uow.commit()
    return account


def open_account_in(
    uow: UnitOfWork,
    now: int,
    customer_number_: str,
    product_code: str,
    currency: str = DEFAULT_CURRENCY_CODE,
    branch_code: str | None = None,
    overdraft_limit_minor: int = 0,
) -> Account:
    """``open_account`` inside the caller's unit of work (which commits)."""
    customer = uow.customers.by_number(customer_number_)
    if customer is None:
        raise CustomerNotFound(f"no customer {customer_number_}")
    branch = branch_code or customer.branch_code
    if uow.branches.get(branch) is None:
        raise BranchNotFound(f"no branch {branch}")
    serial = uow.sequences.next_block(ACCOUNT_SERIAL, 1)
    account = new_customer_account(
        serial, customer, branch, product_code, currency, overdraft_limit_minor, now
    )
    uow.accounts.add(account)
    return account


def change_status(ctx: Context, number: str, new: AccountStatus) -> Account:
    """Freeze, unfreeze, mark dormant, reactivate or close an account."""
    with ctx.uow() as uow:
        change_status_in(uow, ctx.clock.now_us(), number, new)
        uow.commit()
        changed = uow.accounts.by_number(number)
    assert changed is not None
    return changed


def change_status_in(uow: UnitOfWork, now: int, number: str, new: AccountStatus) -> Account:
    """``change_status`` inside the caller's unit of work (which commits); returns the
    account as it was before the change."""
    found = uow.accounts.by_number(number)
    if found is None:
        raise AccountNotFound(f"no account {number}")
    account = uow.accounts.lock(found.id)
    assert account is not None
    if account.gl_kind is not None:
        raise InvalidInput("an internal account's status is not changed by hand")
    check_status_change(account, new, uow.accounts.balances(account.id))
    uow.accounts.set_status(account.id, new, now)
    return account
