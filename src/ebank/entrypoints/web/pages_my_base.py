"""What every personal banking page module shares: the bank's context and the check
that the signed-in visitor is a personal customer."""

from __future__ import annotations

from fastapi import Request

from ebank.application.context import Context
from ebank.domain.access import CUSTOMER_ROLES, Actor, require_role


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def customer(actor: Actor) -> Actor:
    """The personal pages are for customers: anyone else is refused (an error page)."""
    require_role(actor, CUSTOMER_ROLES)
    return actor
