"""The Bank API: accounts, their balances and their transaction history.

Customers reach only their own accounts (anyone else's answers 404, as if it did not
exist); staff reach the accounts of their branch scope, the head office every account.
Freezing and unfreezing are in ``account_controls``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import account_services, history_search
from ebank.application.ports_customers import Direction
from ebank.domain.access import CUSTOMER_ROLES, STAFF_ROLES, Role
from ebank.domain.codes import TxCode
from ebank.domain.errors import InvalidInput
from ebank.domain.transfers import MAX_CHANNEL_LENGTH
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import (
    AccountIn,
    AccountList,
    AccountOut,
    BalanceOut,
    BalancesOut,
    HistoryPageOut,
)

router = APIRouter(tags=["accounts"])

EVERYONE = CUSTOMER_ROLES | STAFF_ROLES
COUNTER = {Role.TELLER, Role.SUPERVISOR}
AccountNumber = Annotated[str, Path(min_length=1, max_length=32)]


@route(
    router,
    "POST",
    "/accounts",
    roles=COUNTER | {Role.CUSTOMER},
    response_model=AccountOut,
    status_code=201,
)
def open_account(body: AccountIn, ctx: CtxDep, actor: ActorDep) -> AccountOut:
    """Open an account. Staff: for a customer within their branch scope, any product (an
    overdraft needs a supervisor). A customer: a savings account for themselves."""
    view = account_services.open_account(
        ctx,
        actor,
        body.customer_number,
        body.product_code,
        body.currency,
        body.branch_code,
        body.overdraft_limit_minor,
    )
    return AccountOut.of(view)


@route(router, "GET", "/accounts", roles=EVERYONE, response_model=AccountList)
def list_accounts(
    ctx: CtxDep,
    actor: ActorDep,
    customer: Annotated[
        str | None, Query(max_length=16, description="Staff: the customer's number")
    ] = None,
) -> AccountList:
    """Accounts with their balances: your own, or (staff) those of one customer."""
    views = account_services.list_accounts(ctx, actor, customer)
    return AccountList(accounts=[AccountOut.of(v) for v in views])


@route(router, "GET", "/accounts/{number}", roles=EVERYONE, response_model=AccountOut)
def get_account(number: AccountNumber, ctx: CtxDep, actor: ActorDep) -> AccountOut:
    """One account with its ledger and available balances."""
    return AccountOut.of(account_services.view_account(ctx, actor, number))


@route(router, "GET", "/accounts/{number}/balance", roles=EVERYONE, response_model=BalanceOut)
def get_balance(number: AccountNumber, ctx: CtxDep, actor: ActorDep) -> BalanceOut:
    """The ledger (posted) and available balances, and what holds reserve."""
    view = account_services.view_account(ctx, actor, number)
    balances = BalancesOut.of(view.balances, view.account.currency)
    return BalanceOut(
        number=view.account.number, status=view.account.status, **balances.model_dump()
    )


@route(router, "POST", "/accounts/{number}/close", roles=COUNTER, response_model=AccountOut)
def close_account(number: AccountNumber, ctx: CtxDep, actor: ActorDep) -> AccountOut:
    """Close an account: refused (``account_not_empty``) while it holds money or holds."""
    return AccountOut.of(account_services.close_account(ctx, actor, number))


@route(
    router,
    "GET",
    "/accounts/{number}/transactions",
    roles=EVERYONE,
    response_model=HistoryPageOut,
)
def transactions(
    number: AccountNumber,
    ctx: CtxDep,
    actor: ActorDep,
    from_: Annotated[
        date | None, Query(alias="from", description="First day, in the bank's time zone")
    ] = None,
    to: Annotated[date | None, Query(description="Last day, inclusive")] = None,
    min_amount_minor: Annotated[int | None, Query(ge=0)] = None,
    max_amount_minor: Annotated[int | None, Query(ge=0)] = None,
    code: Annotated[
        str | None,
        Query(max_length=32, description="Transaction code: a number or a name (cash_deposit)"),
    ] = None,
    channel: Annotated[str | None, Query(min_length=1, max_length=MAX_CHANNEL_LENGTH)] = None,
    direction: Direction | None = None,
    cursor: Annotated[str | None, Query(max_length=history_search.MAX_CURSOR_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=history_search.MAX_LIMIT)] = history_search.DEFAULT_LIMIT,
) -> HistoryPageOut:
    """The account's transactions, newest first, filtered; page with ``cursor``."""
    query = history_search.HistoryQuery(
        first_day=from_,
        last_day=to,
        min_amount_minor=min_amount_minor,
        max_amount_minor=max_amount_minor,
        code=transaction_code(code) if code is not None else None,
        channel=channel,
        direction=direction,
        cursor=cursor,
        limit=limit,
    )
    page = history_search.search_history(ctx, actor, number, query, BANK_TIMEZONE)
    return HistoryPageOut.of(page)


def transaction_code(text: str) -> int:
    """A transaction code given as its number (``1001``) or its name (``cash_deposit``)."""
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        return int(TxCode[text.upper()])
    except KeyError:
        known = ", ".join(c.name.lower() for c in TxCode)
        raise InvalidInput(f"unknown transaction code {text!r}: one of {known}") from None
