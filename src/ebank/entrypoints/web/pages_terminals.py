"""The back office's terminal monitoring (``/office/terminals``, operations and
administrators): every terminal with its state, when it was last heard from and the
cash left per cassette; the active alarms, each with a button to acknowledge it
(audited by the use case)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ebank.application import monitoring
from ebank.application.context import Context
from ebank.domain.errors import DomainError
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(prefix="/office/terminals", include_in_schema=False)


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def _page(request: Request, actor: WebActor, notice: str = "", error: str = "") -> Response:
    view = monitoring.operations_view(_ctx(request), actor)
    context = {
        "terminals": view.terminals,
        "alarms": view.alarms,
        "notice": notice or None,
        "error": error or None,
    }
    return render(request, "office/terminals.html", context, 422 if error else 200)


@router.get("")
def terminals_page(request: Request, actor: WebActor, acknowledged: int = 0) -> Response:
    notice = gettext(request, "The alarm is acknowledged.") if acknowledged else ""
    return _page(request, actor, notice)


@router.post("/alarms/{alarm_id}/acknowledge", dependencies=[Depends(check_csrf)])
def acknowledge(request: Request, actor: WebActor, alarm_id: int) -> Response:
    try:
        monitoring.acknowledge(_ctx(request), actor, alarm_id)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise
        return _page(request, actor, error=error_text(request, exc.code))
    return redirect(request, "/office/terminals?acknowledged=1")
