"""The HTTP side of idempotency: the ``Idempotency-Key`` header, the request's hash, and
the kept response sent again (marked ``Idempotent-Replayed: true``).

The hash covers the method, the path and the validated body in canonical JSON, so that
key order and white space do not make two sends of one request differ. The step-up
confirmation is left out of it: it proves who asks, it is not part of what is asked
(a retry after a cut connection may carry a fresh code).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ebank.application.idempotency import (
    Done,
    IdempotentRequest,
    check_key,
    principal_of,
)
from ebank.application.idempotency import Response as KeptResponse
from ebank.domain.access import Actor
from ebank.domain.errors import StepUpChallenge
from ebank.entrypoints.api.problems import PROBLEM_MEDIA_TYPE, problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
UNHASHED_FIELDS = frozenset({"step_up"})

T = TypeVar("T")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            "Required: a unique key per request (a UUID, say). Sending the same request "
            "again with the same key returns the first response and moves no money twice."
        ),
    ),
]


def request_hash(method: str, path: str, body: BaseModel | None) -> str:
    content = {} if body is None else body.model_dump(mode="json", exclude=set(UNHASHED_FIELDS))
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_request(
    actor: Actor, key: str | None, request: Request, body: BaseModel | None
) -> IdempotentRequest:
    """The request as the idempotency store knows it; ``IdempotencyKeyMissing`` if the
    header is missing or malformed."""
    return IdempotentRequest(
        principal=principal_of(actor.user_id),
        key=check_key(key),
        request_hash=request_hash(request.method, request.url.path, body),
    )


def keep(status_code: int, render: Callable[[T], BaseModel]) -> Callable[[T], KeptResponse]:
    """How a use case's result becomes the response kept under the key."""

    def respond(result: T) -> KeptResponse:
        return KeptResponse(status_code, render(result).model_dump_json())

    return respond


def send(done: Done[Any]) -> Response:
    """The response of ``done``; a replay is marked as one."""
    kept = done.response
    headers = {REPLAYED_HEADER: "true"} if done.replayed else None
    media_type = PROBLEM_MEDIA_TYPE if kept.status_code >= 400 else "application/json"
    return Response(
        content=kept.body.encode(),
        status_code=kept.status_code,
        media_type=media_type,
        headers=headers,
    )


def step_up_problem(challenge: StepUpChallenge, request: Request) -> JSONResponse:
    """``step_up_required`` with the new challenge the client confirms."""
    return problem(
        challenge.code,
        challenge.message,
        instance=request.url.path,
        challenge_id=challenge.challenge_id,
        summary=challenge.summary,
        expires_at_us=challenge.expires_at_us,
    )


def optional_request(
    actor: Actor, key: str | None, request: Request, body: BaseModel | None
) -> IdempotentRequest | None:
    """For an action that may be sent without a key: honoured when given."""
    return None if key is None else idempotent_request(actor, key, request, body)
