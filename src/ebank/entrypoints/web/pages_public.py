"""The public pages: sign-in and sign-out, the language switch, the front door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import credentials, identity, sessions
from ebank.application.context import Context
from ebank.domain.access import CUSTOMER_ROLES, Actor, Role
from ebank.domain.errors import DomainError, TotpAlreadyEnrolled
from ebank.entrypoints.web import i18n
from ebank.entrypoints.web.render import error_text, redirect, render
from ebank.entrypoints.web.session import (
    LANGUAGE_COOKIE,
    EnrollingActor,
    SignInRequired,
    check_csrf,
    client_address,
    end_session,
    start_session,
    web_actor,
)

router = APIRouter(include_in_schema=False)
CORPORATE_ROLES = frozenset({Role.MAKER, Role.APPROVER, Role.VIEWER})


def home_of(actor: Actor) -> str:
    """Where a user lands after signing in."""
    if actor.role in CORPORATE_ROLES:
        return "/corporate"
    if actor.role in CUSTOMER_ROLES:
        return "/my"
    return "/office"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never another site's address)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


@router.get("/")
def front_door(request: Request) -> Response:
    try:
        actor = web_actor(request)
    except SignInRequired:
        return redirect(request, "/login")
    return redirect(request, home_of(actor))


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or ""})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    otp: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    try:
        tokens = identity.login(
            ctx,
            username.strip(),
            password,
            otp.strip(),
            client_address(request),
            request.headers.get("user-agent", "")[:200],
        )
        actor = identity.actor_for_token(
            ctx, tokens.access_token, client_address(request), allow_enrol=True
        )
    except DomainError as exc:
        return render(
            request,
            "login.html",
            {"error": error_text(request, exc.code), "username": username, "next": next},
            status=401 if exc.code != "user_locked" else 423,
        )
    start_session(request, tokens)
    if tokens.scope != identity.SCOPE_FULL:
        return redirect(request, "/enrol")
    return redirect(request, _safe_next(next) or home_of(actor))


@router.get("/enrol")
def enrol_page(request: Request, actor: EnrollingActor) -> Response:
    """First sign-in without a second factor: set up the authenticator app."""
    try:
        enrolment = credentials.start_enrolment(_ctx(request), actor)
    except TotpAlreadyEnrolled:
        return redirect(request, home_of(actor))
    return render(request, "enrol.html", {"enrolment": enrolment})


@router.post("/enrol", dependencies=[Depends(check_csrf)])
def enrol(
    request: Request,
    actor: EnrollingActor,
    otp: Annotated[str, Form(max_length=10)],
) -> Response:
    ctx = _ctx(request)
    try:
        tokens = credentials.confirm_enrolment(
            ctx,
            actor,
            otp.strip(),
            client_address(request),
            request.headers.get("user-agent", "")[:200],
        )
    except DomainError as exc:
        return render(
            request, "enrol.html", {"error": error_text(request, exc.code), "retry": True}, 422
        )
    start_session(request, tokens)
    return redirect(request, home_of(actor))


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    try:
        actor = web_actor(request)
    except SignInRequired:
        actor = None
    if actor is not None:
        sessions.logout(_ctx(request), actor)
    end_session(request)
    return redirect(request, "/login")


@router.get("/lang/{code}")
def choose_language(request: Request, code: str, back: str = "/") -> Response:
    response = redirect(request, _safe_next(back) or "/")
    if code in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response
