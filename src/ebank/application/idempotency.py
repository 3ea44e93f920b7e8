"""Idempotency keys: a request that moves money is done once, however often it is sent.

Every such request carries a key chosen by the client. The first request with a key
runs, and its response is kept with a hash of the request, in the same database
transaction as what it did; the same key and the same request later get that response
again, and nothing is done twice. The same key with a different request is refused
(``IdempotencyKeyReused``).

Two identical requests racing (a retry after a cut connection while the first still
runs) are caught twice over: the ledger transfer ids are derived from the user, the key
and the leg's position (``transfer_id``), so the ledger posts them once and answers the
second with a replay; and the second request's response finds the first one's kept
response when it tries to keep its own, and returns that instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from ebank.application.context import Context
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_controls import StoredResponse
from ebank.domain.errors import DomainError, IdempotencyKeyMissing, IdempotencyKeyReused

MAX_KEY_LENGTH = 128
MAX_ATTEMPTS = 8
# The namespace of ledger transfer ids derived from idempotency keys (uuid5).
TRANSFER_ID_NAMESPACE = UUID("6f1d9a52-3c1b-5d7e-9a4f-0b8e2c7d1a33")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """Who asked (``principal``), their key, and a hash of what they asked."""

    principal: str
    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Response:
    """A response to keep: a status and a JSON body, as the entry point renders them."""

    status_code: int
    body: str


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """What a request came to: ``result`` when it ran now (None when ``response`` is the
    kept response of an earlier request with the same key)."""

    response: Response
    result: T | None

    @property
    def replayed(self) -> bool:
        return self.result is None


def principal_of(user_id: int) -> str:
    return f"user:{user_id}"


def check_key(key: str | None) -> str:
    """A usable key: 1 to 128 printable ASCII characters."""
    if key is None or not key.strip():
        raise IdempotencyKeyMissing("send an Idempotency-Key header with this request")
    if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise IdempotencyKeyMissing(
            f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters"
        )
    return key


def transfer_id(user_id: int, key: str, index: int) -> UUID:
    """The ledger id of leg ``index`` of the request ``key`` of ``user_id``: the same
    request always posts under the same ids, so the ledger never posts it twice."""
    return uuid.uuid5(TRANSFER_ID_NAMESPACE, f"{user_id}\x1f{key}\x1f{index}")


def kept_response(uow: UnitOfWork, request: IdempotentRequest) -> Response | None:
    """The response kept for ``request``'s key; ``IdempotencyKeyReused`` if the key was
    used for a different request."""
    stored = uow.idempotency.get(request.principal, request.key)
    if stored is None:
        return None
    if stored.request_hash != request.request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
    return Response(stored.status_code, stored.body)


def find(ctx: Context, request: IdempotentRequest) -> Response | None:
    """The kept response for ``request``, if any (a quick look before doing any work)."""
    with ctx.read() as uow:
        return kept_response(uow, request)


def run_once(
    ctx: Context,
    request: IdempotentRequest | None,
    work: Callable[[UnitOfWork], T],
    respond: Callable[[T], Response],
) -> Done[T]:
    """Run ``work`` in a unit of work and keep ``respond(result)`` under the request's
    key in that same transaction, unless a response is kept already. (``request`` None:
    an action that may be sent without a key; then nothing is kept.)

    ``work`` raising a ``DomainError`` keeps nothing (the client may correct the request
    and send it again with the key), unless a racing twin has meanwhile kept its
    response: then that is the answer.
    """
    for attempt in range(MAX_ATTEMPTS):
        try:
            with ctx.uow() as uow:
                kept = kept_response(uow, request) if request is not None else None
                if kept is not None:
                    return Done(kept, None)
                result = work(uow)
                response = respond(result)
                if request is not None:
                    uow.idempotency.add(
                        request.principal,
                        request.key,
                        StoredResponse(
                            request.request_hash,
                            response.status_code,
                            response.body,
                            ctx.clock.now_us(),
                        ),
                    )
                uow.commit()
                return Done(response, result)
        except ConcurrencyConflict:
            if attempt == MAX_ATTEMPTS - 1:
                raise
        except DomainError:
            kept = find(ctx, request) if request is not None else None
            if kept is not None:
                return Done(kept, None)
            raise
    raise AssertionError("unreachable")
