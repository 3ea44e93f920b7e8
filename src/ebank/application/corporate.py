"""Corporate online banking: the company's overview (accounts, what waits for approval)
and its users with their own payment limits, which the bank's staff set.

A company's users are users whose ``customer_id`` is the company, each a maker, an
approver or a viewer; staff create them with the ordinary user use cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.corporate_payments import (
    CORPORATE_ROLES,
    PaymentView,
    payment_view_of,
)
from ebank.application.ports import UnitOfWork
from ebank.application.ports_corporate import CompanyUser, PaymentStatus, UserLimits
from ebank.application.queries import AccountView
from ebank.application.visibility import customer_for, own_customer
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.customers import Customer, CustomerKind
from ebank.domain.errors import CustomerNotFound, InvalidInput, UserNotFound
from ebank.domain.money import MAX_AMOUNT_MINOR, is_currency_code

MAX_PENDING_SHOWN = 50
# Staff who set corporate users' limits.
LIMIT_SETTERS = frozenset({Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})
# Staff who may look at a company's users.
USER_READERS = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Overview:
    customer: Customer
    accounts: list[AccountView]
    pending: list[PaymentView]


@dataclass(frozen=True, slots=True)
class UserWithLimits:
    user: CompanyUser
    limits: list[UserLimits]


def overview(ctx: Context, actor: Actor) -> Overview:
    """The company's accounts with their ledger and available balances, and the payments
    waiting for an approver."""
    require_role(actor, CORPORATE_ROLES)
    with ctx.read() as uow:
        customer = own_customer(uow, actor)
        accounts = uow.accounts.for_customer(customer.id)
        balances = uow.accounts.balances_many([a.id for a in accounts])
        pending = uow.corporate.payments(
            customer.id, frozenset({PaymentStatus.PENDING}), MAX_PENDING_SHOWN
        )
        return Overview(
            customer,
            [AccountView(a, balances[a.id]) for a in accounts],
            [payment_view_of(uow, p) for p in pending],
        )


def _users_of(uow: UnitOfWork, customer_id: int) -> list[UserWithLimits]:
    users = uow.corporate.company_users(customer_id)
    limits = uow.corporate.user_limits([u.user_id for u in users])
    return [UserWithLimits(u, [x for x in limits if x.user_id == u.user_id]) for u in users]


def company_users(ctx: Context, actor: Actor) -> list[UserWithLimits]:
    """The users of the actor's company and their limits."""
    require_role(actor, CORPORATE_ROLES)
    with ctx.read() as uow:
        return _users_of(uow, own_customer(uow, actor).id)


def company_users_for_staff(
    ctx: Context, actor: Actor, customer_number: str
) -> tuple[Customer, list[UserWithLimits]]:
    """A corporate customer within the staff member's branch scope, and its users."""

    def work(uow: UnitOfWork, now: int) -> Audited[tuple[Customer, list[UserWithLimits]]]:
        require_role(actor, USER_READERS)
        customer = _corporate_customer(uow, actor, customer_number)
        return Audited((customer, _users_of(uow, customer.id)), f"customer:{customer.number}")

    return run_audited(
        ctx,
        actor,
        "corporate.users.view",
        work,
        changes=False,
        refused_target=f"customer:{customer_number}",
    )


def set_user_limits(
    ctx: Context,
    actor: Actor,
    customer_number: str,
    user_id: int,
    currency: str,
    per_payment_minor: int,
    daily_minor: int,
) -> UserLimits:
    """Staff set what one corporate user may enter per payment and per business day."""
    if not is_currency_code(currency):
        raise InvalidInput(f"unknown currency {currency!r}")
    for value in (per_payment_minor, daily_minor):
        if type(value) is not int or not 0 <= value <= MAX_AMOUNT_MINOR:
            raise InvalidInput("a limit is a whole number of minor units, zero or more")
    if per_payment_minor > daily_minor:
        raise InvalidInput("the per-payment limit cannot exceed the daily limit")

    def work(uow: UnitOfWork, now: int) -> Audited[UserLimits]:
        require_role(actor, LIMIT_SETTERS)
        customer = _corporate_customer(uow, actor, customer_number)
        user = next(
            (u for u in uow.corporate.company_users(customer.id) if u.user_id == user_id), None
        )
        if user is None:
            raise UserNotFound(f"no user {user_id} of customer {customer_number}")
        limits = UserLimits(user_id, currency, per_payment_minor, daily_minor)
        uow.corporate.put_user_limits(limits)
        details = {
            "user": user.username,
            "currency": currency,
            "per_payment_minor": per_payment_minor,
            "daily_minor": daily_minor,
        }
        return Audited(limits, f"customer:{customer.number}", details)

    return run_audited(
        ctx,
        actor,
        "corporate.limits.set",
        work,
        changes=True,
        refused_target=f"customer:{customer_number}",
    )


def _corporate_customer(uow: UnitOfWork, actor: Actor, number: str) -> Customer:
    customer = customer_for(uow, actor, number.strip())
    if customer.kind is not CustomerKind.CORPORATE:
        raise CustomerNotFound(f"no corporate customer {number}")
    return customer
