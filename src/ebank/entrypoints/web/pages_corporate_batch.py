"""Batch payments (payroll and other bulk payments) uploaded as a CSV file: the upload
form, and the report of the file's check. A file with any bad line is refused whole and
the report lists each bad line with what is wrong; a good file is entered and waits
for an approver. The format is documented in ``docs/corporate.md``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import corporate
from ebank.application import corporate_payments as cp
from ebank.application.corporate_files import MAX_FILE_BYTES, ControlTotals
from ebank.domain.access import Actor, Role
from ebank.domain.errors import BatchFileRejected, DomainError, InvalidInput
from ebank.entrypoints.web.pages_corporate_base import (
    CSRF,
    ctx_of,
    new_form_key,
    problem_text,
    refusal_text,
)
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor

router = APIRouter(include_in_schema=False)


@router.get("/corporate/payroll")
def upload_form(request: Request, actor: WebActor) -> Response:
    return _form(request, actor, {})


def _form(
    request: Request,
    actor: Actor,
    values: dict[str, str],
    *,
    error: str | None = None,
    report: list[tuple[str, str]] | None = None,
) -> Response:
    overview = corporate.overview(ctx_of(request), actor)
    return render(
        request,
        "corporate/payroll.html",
        {
            "accounts": overview.accounts,
            "values": values,
            "form_key": new_form_key(),
            "error": error,
            "report": report,
            "section": "payroll",
            "may_enter": actor.role is Role.MAKER,
        },
        status=422 if error else 200,
    )


@router.post("/corporate/payroll", dependencies=CSRF)
def upload(
    request: Request,
    actor: WebActor,
    debit: Annotated[str, Form(max_length=19)],
    form_key: Annotated[str, Form(max_length=64)],
    payroll: Annotated[UploadFile, File()],
    stated_count: Annotated[str, Form(max_length=10)] = "",
    stated_total: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    values = {"debit": debit, "stated_count": stated_count, "stated_total": stated_total}
    data = payroll.file.read(MAX_FILE_BYTES + 1)
    name = (payroll.filename or "batch.csv")[:200]
    try:
        totals = _totals(stated_count, stated_total)
        payment_id = cp.submit_batch(
            ctx_of(request),
            actor,
            debit_number=debit,
            data=data,
            file_name=name,
            totals=totals,
            request=cp.request_of(actor, form_key, debit, stated_count, stated_total, data),
            tz=BANK_TIMEZONE,
        )
    except BatchFileRejected as exc:
        report = [
            (_where(request, line), problem_text(request, code, params))
            for line, code, params in exc.problems
        ]
        return _form(request, actor, values, error=error_text(request, exc.code), report=report)
    except DomainError as exc:
        return _form(request, actor, values, error=refusal_text(request, exc))
    return redirect(request, f"/corporate/payments/{payment_id}?done=submitted")


def _where(request: Request, line: int) -> str:
    return gettext(request, "the file") if line == 0 else str(line)


def _totals(count: str, total: str) -> ControlTotals:
    """The control totals the maker typed (both optional)."""
    stated_count = None
    if count.strip():
        if not count.strip().isdigit():
            raise InvalidInput("the number of payments is a whole number")
        stated_count = int(count.strip())
    return ControlTotals(stated_count, total.strip() or None)
