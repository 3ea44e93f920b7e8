"""Card pages: a personal customer's cards (``/my/cards``: the temporary loss report, its
lifting with a one-time code, the card's own limits), and issuing a card at the counter
(``/office/cards/issue``). Every action is one use case of ``application.cards``."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import cards
from ebank.application.context import Context
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.cards import CardLimits, CardPolicy
from ebank.domain.errors import CustomerNotFound, DomainError, InvalidInput
from ebank.domain.money import Currency, Money
from ebank.entrypoints.web.render import error_text, gettext, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:
    """Marks ``message`` for extraction (``make messages``); translated when shown."""
    return message


HOLDER_ROLES = frozenset({Role.CUSTOMER})
# What the list page says after an action (``?done=...``), in English (msgids).
NOTICES = {
    "lost": N_("The card is blocked until you lift the loss report."),
    "unblocked": N_("The loss report is lifted: the card works again."),
    "limits": N_("The card's limits are saved."),
}
MASKED = re.compile(r"[0-9]{4} \*{4} \*{4} [0-9]{4}")
Amount = Annotated[str, Form(max_length=24)]


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def _policy(request: Request) -> CardPolicy:
    policy: CardPolicy = request.app.state.bank.card_policy
    return policy


def _my_cards(request: Request, actor: Actor) -> list[cards.CardView]:
    require_role(actor, HOLDER_ROLES)
    if actor.customer_id is None:
        raise CustomerNotFound("no customer for this user")
    return cards.cards_of_customer(_ctx(request), actor, actor.customer_id, policy=_policy(request))


def _major(minor: int, currency: str) -> str:
    """An amount as a person types it: ``10000.00``."""
    return str(Money(minor, Currency.of(currency)).as_decimal())


def _list_page(request: Request, actor: Actor, status: int = 200, **extra: Any) -> Response:
    views = _my_cards(request, actor)
    policy = _policy(request)
    inputs = {
        view.id: {
            "atm_daily": _major(view.limits.atm_daily_minor, view.currency),
            "atm_count": view.limits.atm_daily_count,
            "pos_daily": _major(view.limits.pos_daily_minor, view.currency),
        }
        for view in views
    }
    done = request.query_params.get("done", "")
    context = {
        "cards": views,
        "inputs": inputs,
        "maximum": policy.maximum,
        "notice": gettext(request, NOTICES[done]) if done in NOTICES else None,
        "section": "cards",
        **extra,
    }
    return render(request, "cards/list.html", context, status)


@router.get("/my/cards")
def my_cards(request: Request, actor: WebActor) -> Response:
    return _list_page(request, actor)


@router.post("/my/cards/{card_id}/report-lost", dependencies=[Depends(check_csrf)])
def report_lost(request: Request, actor: WebActor, card_id: int) -> Response:
    require_role(actor, HOLDER_ROLES)
    try:
        cards.report_lost(_ctx(request), actor, card_id, policy=_policy(request))
    except DomainError as exc:
        return _list_page(request, actor, 422, error=error_text(request, exc.code))
    return redirect(request, "/my/cards?done=lost")


@router.post("/my/cards/{card_id}/unblock", dependencies=[Depends(check_csrf)])
def unblock(
    request: Request,
    actor: WebActor,
    card_id: int,
    otp: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    require_role(actor, HOLDER_ROLES)
    try:
        cards.lift_loss_report(_ctx(request), actor, card_id, otp.strip(), policy=_policy(request))
    except DomainError as exc:
        return _list_page(request, actor, 422, error=error_text(request, exc.code))
    return redirect(request, "/my/cards?done=unblocked")


@router.post("/my/cards/{card_id}/limits", dependencies=[Depends(check_csrf)])
def set_limits(
    request: Request,
    actor: WebActor,
    card_id: int,
    atm_daily: Amount,
    atm_count: Annotated[str, Form(max_length=6)],
    pos_daily: Amount,
    currency: Annotated[str, Form(max_length=3)] = "CNY",
) -> Response:
    require_role(actor, HOLDER_ROLES)
    try:
        if not (atm_count.strip().isascii() and atm_count.strip().isdigit()):
            raise InvalidInput("the number of withdrawals is a whole number")
        limits = CardLimits(
            Money.parse(atm_daily, currency).minor,
            int(atm_count.strip()),
            Money.parse(pos_daily, currency).minor,
        )
        cards.set_limits(_ctx(request), actor, card_id, limits, policy=_policy(request))
    except DomainError as exc:
        return _list_page(request, actor, 422, error=error_text(request, exc.code))
    return redirect(request, "/my/cards?done=limits")


# -- the counter -------------------------------------------------------------------------
@router.get("/office/cards/issue")
def issue_form(request: Request, actor: WebActor, issued: str = "") -> Response:
    require_role(actor, cards.ISSUING_ROLES)
    notice = None
    # After issuing, the form comes back (303, so a reload never issues twice) naming
    # the new card by its masked number.
    if MASKED.fullmatch(issued):
        notice = gettext(request, "Card issued: %(card)s") % {"card": issued}
    return render(request, "cards/issue.html", {"notice": notice})


@router.post("/office/cards/issue", dependencies=[Depends(check_csrf)])
def issue(
    request: Request,
    actor: WebActor,
    customer_number: Annotated[str, Form(max_length=32)],
    account_number: Annotated[str, Form(max_length=32)],
) -> Response:
    require_role(actor, cards.ISSUING_ROLES)
    try:
        card = cards.issue_card(
            _ctx(request),
            actor,
            customer_number.strip(),
            account_number.strip(),
            policy=_policy(request),
        )
    except DomainError as exc:
        form = {"customer_number": customer_number, "account_number": account_number}
        return render(
            request, "cards/issue.html", {**form, "error": error_text(request, exc.code)}, 422
        )
    return redirect(request, f"/office/cards/issue?issued={quote(card.masked_pan)}")
