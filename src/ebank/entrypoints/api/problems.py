"""Errors as RFC 9457 problem details (``application/problem+json``).

Every problem carries the outcome's stable code in ``result`` (a ledger result such as
``exceeds_credits`` or a domain error code such as ``limit_exceeded``); its HTTP status
and title come from the one table in ``ebank.entrypoints.error_codes``.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ebank.domain.errors import DomainError, LimitExceeded, RateLimited, UserLocked
from ebank.entrypoints.error_codes import answer_for

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ebank.example/problems/"


class Problem(BaseModel):
    """RFC 9457 problem details, with the outcome's code in ``result``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str = ""
    result: str = Field(description="The named outcome, e.g. exceeds_credits")
    instance: str | None = None


def problem(
    code: str,
    detail: str = "",
    *,
    status: int | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    answer = answer_for(code)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": answer.text,
        "status": status or answer.http_status,
        "detail": detail or answer.text,
        "result": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_for_error(error: DomainError, instance: str | None = None) -> JSONResponse:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, LimitExceeded):
        extra = {"limit": error.limit, "remaining": error.remaining, "currency": error.currency}
    elif isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_s)
    elif isinstance(error, UserLocked):
        extra = {"locked_until_us": error.until_us}
    if answer_for(error.code).http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(error.code, error.message, instance=instance, headers=headers or None, **extra)


# For the OpenAPI document: every operation may answer with a problem.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A refusal, as RFC 9457 problem details",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
    },
}
