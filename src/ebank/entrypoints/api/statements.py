"""The Bank API: account statements as JSON, CSV or PDF.

The form is chosen by ``format=`` or, failing that, by the Accept header
(``text/csv``, ``application/pdf``); JSON otherwise.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import statements
from ebank.domain.access import CUSTOMER_ROLES, STAFF_ROLES
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import StatementOut

router = APIRouter(tags=["statements"])

PDF_MEDIA_TYPE = "application/pdf"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class StatementFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


def chosen_format(asked: StatementFormat | None, accept: str) -> StatementFormat:
    if asked is not None:
        return asked
    accepted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if PDF_MEDIA_TYPE in accepted:
        return StatementFormat.PDF
    if "text/csv" in accepted:
        return StatementFormat.CSV
    return StatementFormat.JSON


@route(
    router,
    "GET",
    "/accounts/{number}/statement",
    roles=CUSTOMER_ROLES | STAFF_ROLES,
    response_model=StatementOut,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "The statement as JSON, CSV or PDF",
        }
    },
)
def statement(
    number: Annotated[str, Path(min_length=1, max_length=32)],
    ctx: CtxDep,
    actor: ActorDep,
    from_: Annotated[date, Query(alias="from", description="First day, inclusive")],
    to: Annotated[date, Query(description="Last day, inclusive; at most 366 days")],
    format_: Annotated[
        StatementFormat | None, Query(alias="format", description="json, csv or pdf")
    ] = None,
    accept: Annotated[str, Header(max_length=500)] = "application/json",
) -> StatementOut | Response:
    """The statement of an account for whole days in the bank's time zone: the opening
    balance, every posted entry with the running balance, the totals and the closing
    balance. Open holds are not on it (they are in the transactions)."""
    built = statements.statement(ctx, actor, number, from_, to, BANK_TIMEZONE)
    form = chosen_format(format_, accept)
    name = f"statement-{number}-{from_.isoformat()}-{to.isoformat()}"
    if form is StatementFormat.CSV:
        return Response(
            statements.statement_csv(built, BANK_TIMEZONE).encode(),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if form is StatementFormat.PDF:
        return Response(
            statements.statement_pdf(ctx, built, BANK_TIMEZONE),
            media_type=PDF_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return StatementOut.of(built)
