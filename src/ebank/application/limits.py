"""Transaction limits: reading them, changing them (under dual control), and counting a
customer's usage in the same transaction as the payment it allows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ebank.application.approvals import ApprovalOutcome, submit_or_run_in
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.domain import limits as rules
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.approvals import ControlledAction
from ebank.domain.customers import Customer, Tier
from ebank.domain.errors import BranchNotFound, CustomerNotFound, InvalidInput
from ebank.domain.limits import LimitUsage, TransactionLimit

# Who may ask for a change of limits (a checker of the rule approves it).
LIMIT_MAKERS = frozenset({Role.OPERATIONS, Role.SUPERVISOR, Role.ADMIN})


def count_in(
    uow: UnitOfWork,
    today: date,
    customer: Customer,
    channel: str,
    currency: str,
    amounts_minor: Sequence[int],
) -> None:
    """Count a payment against the customer's limits on ``today``, in the unit of work
    that posts it, or raise ``LimitExceeded``. The usage row is locked until the unit of
    work ends, so two payments of one customer cannot both pass the last of a limit; a
    payment that is refused or rolled back counts nothing."""
    limit = uow.limits.get(channel, customer.tier, currency)
    usage = uow.limits.usage_for_update(customer.id, channel, today, currency)
    after = rules.reserve(limit, usage, currency, amounts_minor)
    uow.limits.set_usage(customer.id, channel, today, currency, after)


def usage_today(ctx: Context, customer_id: int, channel: str, currency: str) -> LimitUsage:
    """What the customer has used today. Nothing is committed: the row the lookup may
    create is rolled back."""
    with ctx.uow() as uow:
        return uow.limits.usage_for_update(customer_id, channel, ctx.clock.today(), currency)


def list_limits(ctx: Context, actor: Actor) -> list[TransactionLimit]:
    """Every limit, for staff; a customer sees those of their own tier."""
    with ctx.read() as uow:
        every = uow.limits.all()
        if actor.is_staff:
            return every
        customer = uow.customers.get(actor.customer_id) if actor.customer_id else None
        if customer is None:
            raise CustomerNotFound("no customer for this user")
        return [limit for limit in every if limit.tier is customer.tier]


def request_change(
    uow: UnitOfWork, now_us: int, actor: Actor, change: TransactionLimit
) -> ApprovalOutcome:
    """Ask for a limit to be set (created or changed): limits are the bank's, so the
    request sits at the head office and is made by head-office staff."""
    require_role(actor, LIMIT_MAKERS)
    head = uow.branches.head_office()
    if head is None:
        raise BranchNotFound("the bank has no head office")
    current = uow.limits.get(change.channel, change.tier, change.currency)
    was = (
        "new"
        if current is None
        else f"{current.per_transaction_minor}/{current.daily_amount_minor}/{current.daily_count}"
    )
    summary = (
        f"Limit {change.channel}/{change.tier}/{change.currency}: {was} -> "
        f"{change.per_transaction_minor}/{change.daily_amount_minor}/{change.daily_count}"
    )
    payload = {
        "channel": change.channel,
        "tier": change.tier.value,
        "currency": change.currency,
        "per_transaction_minor": change.per_transaction_minor,
        "daily_amount_minor": change.daily_amount_minor,
        "daily_count": change.daily_count,
        "requested_by": actor.username,
    }
    return submit_or_run_in(
        uow,
        now_us,
        actor,
        ControlledAction.LIMIT_CHANGE.value,
        payload,
        amount_minor=None,
        currency=None,
        branch_code=head.code,
        summary=summary,
    )


def run_change(uow: UnitOfWork, payload: Mapping[str, Any], now_us: int) -> dict[str, object]:
    """Set the limit as recorded in ``payload`` (the executor of ``limit_change``)."""
    try:
        limit = TransactionLimit(
            channel=str(payload["channel"]),
            tier=Tier(payload["tier"]),
            currency=str(payload["currency"]),
            per_transaction_minor=int(payload["per_transaction_minor"]),
            daily_amount_minor=int(payload["daily_amount_minor"]),
            daily_count=int(payload["daily_count"]),
            updated_at_us=now_us,
            updated_by=str(payload.get("requested_by", "")),
        )
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"a malformed limit change: {exc}") from None
    uow.limits.put(limit)
    return {
        "channel": limit.channel,
        "tier": limit.tier.value,
        "currency": limit.currency,
        "per_transaction_minor": limit.per_transaction_minor,
        "daily_amount_minor": limit.daily_amount_minor,
        "daily_count": limit.daily_count,
    }
