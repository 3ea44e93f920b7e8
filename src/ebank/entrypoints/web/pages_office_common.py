"""What the back office pages share: the staff-only guard, the stores of the back
office, and the one-time keys that make a money form safe to send twice."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest, check_key, principal_of
from ebank.domain.access import STAFF_ROLES, Actor, require_role

TIMEZONE = BANK_TIMEZONE


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def staff_only(actor: Actor) -> Actor:
    """Every /office page is for staff; what each may do is the use cases' business."""
    require_role(actor, STAFF_ROLES)
    return actor


def new_form_key() -> str:
    """The idempotency key a money form carries, made when the form is rendered."""
    return secrets.token_urlsafe(24)


def form_request(actor: Actor, key: str, action: str, *fields: str) -> IdempotentRequest:
    """The form's submission as the idempotency store knows it: the same key with other
    fields is refused, the same key and fields get the first answer back."""
    digest = hashlib.sha256("\x1f".join((action, *fields)).encode()).hexdigest()
    return IdempotentRequest(principal_of(actor.user_id), check_key(key), digest)
