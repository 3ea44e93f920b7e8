"""Personal online banking (``/my``): the dashboard of accounts with a 90-day balance
chart per account, and an account's history with filters, pages and CSV/PDF export.

Transfers are in ``pages_my_transfers``, payees, statements and security in
``pages_my_settings``, messages to the call centre in ``pages_my_messages``. Every page
calls the application's use cases, as the Bank API does; no business rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import account_services, history_search, statements
from ebank.application.context import Context
from ebank.application.ports_customers import Direction
from ebank.application.queries import AccountView
from ebank.domain.access import Actor
from ebank.domain.codes import TxCode
from ebank.domain.errors import DomainError, InvalidInput
from ebank.domain.money import Money
from ebank.entrypoints.web import (
    i18n,
    pages_my_messages,
    pages_my_settings,
    pages_my_transfers,
    pages_office_tickets,
)
from ebank.entrypoints.web.pages_my_base import ctx_of, customer
from ebank.entrypoints.web.pages_my_chart import CHART_DAYS, balance_svg, daily_closing
from ebank.entrypoints.web.render import error_text, gettext, language, redirect, render
from ebank.entrypoints.web.session import WebActor

router = APIRouter(include_in_schema=False)
# The other personal pages, served under this one router (the site installs it).
router.include_router(pages_my_transfers.router)
router.include_router(pages_my_settings.router)
router.include_router(pages_my_messages.router)
router.include_router(pages_office_tickets.router)  # staff answer customers' messages
CHANNELS = ("web", "api", "branch", "atm", "pos", "batch", "ivr")
HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class AccountCard:
    view: AccountView
    chart: object | None  # the SVG markup, or None when the history is too long to draw
    summary: str


def _chart(request: Request, actor: Actor, view: AccountView, index: int) -> AccountCard:
    ctx = ctx_of(request)
    fmt = i18n.Formatter(language(request))
    last = ctx.clock.today()
    first = last - timedelta(days=CHART_DAYS - 1)
    number = view.account.number
    try:
        built = statements.statement(ctx, actor, number, first, last, BANK_TIMEZONE)
    except InvalidInput:
        return AccountCard(view, None, "")
    series = daily_closing(built, BANK_TIMEZONE)
    cur = view.account.currency
    low, high = fmt.money(series.lowest, cur), fmt.money(series.highest, cur)
    start, end = fmt.money(series.closing_minor[0], cur), fmt.money(series.closing_minor[-1], cur)
    summary = gettext(
        request,
        "From %(first)s to %(last)s the balance went from %(start)s to %(end)s;"
        " lowest %(low)s, highest %(high)s.",
    ) % {
        "first": fmt.date(first),
        "last": fmt.date(last),
        "start": start,
        "end": end,
        "low": low,
        "high": high,
    }
    title = gettext(request, "Balance over the last 90 days") + f" · {number}"
    middle = series.day(len(series.closing_minor) // 2)
    svg = balance_svg(
        series,
        chart_id=f"chart-{index}",
        title=title,
        description=summary,
        money=[low, high],
        dates=[fmt.date(first, "short"), fmt.date(middle, "short"), fmt.date(last, "short")],
    )
    return AccountCard(view, svg, summary)


@router.get("/my")
def dashboard(request: Request, actor: WebActor) -> Response:
    views = account_services.list_accounts(ctx_of(request), customer(actor), None)
    cards = [_chart(request, actor, v, i) for i, v in enumerate(views)]
    return render(request, "my/dashboard.html", {"cards": cards})


@router.get("/my/history")
def history_start(
    request: Request, actor: WebActor, account: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    """The history menu entry and account picker: the chosen (or first) account's
    history, or the dashboard when there is none."""
    views = account_services.list_accounts(ctx_of(request), customer(actor), None)
    numbers = [v.account.number for v in views]
    if not numbers:
        return redirect(request, "/my")
    chosen = account if account in numbers else numbers[0]
    return redirect(request, f"/my/accounts/{chosen}/history")


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("a date is year-month-day") from None


def _amount(text: str | None, currency: str) -> int | None:
    if not text or not text.strip():
        return None
    return Money.parse(text.strip(), currency).minor


@dataclass(frozen=True, slots=True)
class HistoryForm:
    """The filters as typed (shown again in the form)."""

    first: str = ""
    last: str = ""
    min_amount: str = ""
    max_amount: str = ""
    code: str = ""
    channel: str = ""
    direction: str = ""

    def query(self, currency: str, cursor: str | None, limit: int) -> history_search.HistoryQuery:
        code = int(TxCode[self.code.upper()]) if self.code.upper() in TxCode.__members__ else None
        return history_search.HistoryQuery(
            first_day=_day(self.first),
            last_day=_day(self.last),
            min_amount_minor=_amount(self.min_amount, currency),
            max_amount_minor=_amount(self.max_amount, currency),
            code=code,
            channel=self.channel if self.channel in CHANNELS else None,
            direction=Direction(self.direction) if self.direction in ("debit", "credit") else None,
            cursor=cursor or None,
            limit=limit,
        )


Text = Annotated[str, Query(max_length=40)]


@router.get("/my/accounts/{number}/history")
def history(
    request: Request,
    actor: WebActor,
    number: str,
    first: Text = "",
    last: Text = "",
    min_amount: Text = "",
    max_amount: Text = "",
    code: Text = "",
    channel: Text = "",
    direction: Text = "",
    cursor: Annotated[str, Query(max_length=history_search.MAX_CURSOR_LENGTH)] = "",
) -> Response:
    ctx = ctx_of(request)
    views = account_services.list_accounts(ctx, customer(actor), None)
    view = next((v for v in views if v.account.number == number), None)
    if view is None:
        return redirect(request, "/my")
    form = HistoryForm(first, last, min_amount, max_amount, code, channel, direction)
    context: dict[str, object] = {
        "view": view,
        "views": views,
        "form": form,
        "codes": [c.name.lower() for c in TxCode],
        "code_names": {int(c): c.name.lower() for c in TxCode},
        "channels": CHANNELS,
        "page": None,
        "cursor": cursor,
    }
    try:
        query = form.query(view.account.currency, cursor, HISTORY_PAGE_SIZE)
        context["page"] = history_search.search_history(ctx, actor, number, query, BANK_TIMEZONE)
    except DomainError as exc:
        context["error"] = error_text(request, exc.code)
        return render(request, "my/history.html", context, status=422)
    return render(request, "my/history.html", context)


@router.get("/my/accounts/{number}/export")
def export(
    request: Request,
    actor: WebActor,
    number: str,
    form: Annotated[str, Query(pattern="^(csv|pdf)$")],
    first: Text = "",
    last: Text = "",
) -> Response:
    """The account's statement for the chosen days (default: the last 90) as CSV or PDF."""
    ctx = ctx_of(request)
    today = ctx.clock.today()
    try:
        last_day = _day(last) or today
        first_day = _day(first) or last_day - timedelta(days=CHART_DAYS - 1)
        built = statements.statement(
            ctx, customer(actor), number, first_day, last_day, BANK_TIMEZONE
        )
    except DomainError as exc:
        message = error_text(request, exc.code)
        status = 404 if exc.code.endswith("not_found") else 422
        return render(request, "error.html", {"message": message}, status)
    return statement_file(ctx, built, form)


def statement_file(ctx: Context, built: statements.Statement, form: str) -> Response:
    name = f"statement-{built.account.number}-{built.first_day}-{built.last_day}.{form}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if form == "csv":
        body = statements.statement_csv(built, BANK_TIMEZONE).encode()
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    pdf = statements.statement_pdf(ctx, built, BANK_TIMEZONE)
    return Response(pdf, media_type="application/pdf", headers=headers)
