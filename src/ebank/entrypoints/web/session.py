"""Web sessions: the same sessions and tokens as the API, carried in cookies.

After sign-in the access and refresh tokens travel in ``HttpOnly``, ``SameSite=Lax``
cookies (``Secure`` outside development); an expired access token is refreshed on the
next page, transparently. Every form carries a CSRF token that must equal the
``ebank_csrf`` cookie (double submit; the cookie is ``SameSite=Strict``, so another site
cannot make the browser send it), checked before any state changes.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from ebank.application import identity, sessions
from ebank.application.context import Context
from ebank.domain.access import Actor
from ebank.domain.errors import DomainError, TokenExpired, TokenInvalid

ACCESS_COOKIE = "ebank_session"
REFRESH_COOKIE = "ebank_refresh"
CSRF_COOKIE = "ebank_csrf"
CSRF_FIELD = "csrf_token"
LANGUAGE_COOKIE = "ebank_lang"


class SignInRequired(Exception):
    """No valid session: the visitor is sent to the sign-in page."""


class CsrfRejected(Exception):
    """A form without the right CSRF token: nothing is done."""


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def _secure(request: Request) -> bool:
    return bool(request.app.state.bank.settings.environment == "prod")


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token (made on first use, set as a cookie by ``finish``)."""
    token = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not token or len(token) < 32:
        token = secrets.token_urlsafe(32)
    request.state.csrf = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a form whose CSRF field does not match the cookie."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not secrets.compare_digest(sent, cookie):
        raise CsrfRejected


def web_actor(request: Request) -> Actor:
    """The signed-in visitor; refreshes an expired access token once."""
    return _actor(request, allow_enrol=False)


def enrolling_actor(request: Request) -> Actor:
    """The visitor signed in with a password only, who must enrol a second factor."""
    return _actor(request, allow_enrol=True)


def _actor(request: Request, *, allow_enrol: bool) -> Actor:
    ctx = _ctx(request)
    address = client_address(request)
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            actor = identity.actor_for_token(ctx, access, address, allow_enrol=allow_enrol)
        except TokenExpired:
            pass
        except TokenInvalid as exc:
            raise SignInRequired from exc
        else:
            request.state.actor = actor
            return actor
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        raise SignInRequired
    try:
        tokens = sessions.refresh(ctx, refresh, address)
        actor = identity.actor_for_token(ctx, tokens.access_token, address, allow_enrol=allow_enrol)
    except DomainError as exc:
        raise SignInRequired from exc
    request.state.new_tokens = tokens
    request.state.actor = actor
    return actor


WebActor = Annotated[Actor, Depends(web_actor)]
EnrollingActor = Annotated[Actor, Depends(enrolling_actor)]


def start_session(request: Request, tokens: sessions.Tokens) -> None:
    """Set the cookies of a new session on the next response (see ``finish``)."""
    request.state.new_tokens = tokens


def end_session(request: Request) -> None:
    request.state.end_session = True


def finish(request: Request, response: Response) -> Response:
    """Apply what this request decided about cookies, and the security headers."""
    secure = _secure(request)
    tokens = getattr(request.state, "new_tokens", None)
    if tokens is not None:
        refresh_s = request.app.state.bank.settings.refresh_token_ttl_s
        for name, value in (
            (ACCESS_COOKIE, tokens.access_token),
            (REFRESH_COOKIE, tokens.refresh_token),
        ):
            response.set_cookie(
                name, value, max_age=refresh_s, httponly=True, secure=secure, samesite="lax"
            )
    if getattr(request.state, "end_session", False):
        response.delete_cookie(ACCESS_COOKIE)
        response.delete_cookie(REFRESH_COOKIE)
    csrf = getattr(request.state, "csrf", None)
    if csrf and csrf != request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, secure=secure, samesite="strict")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
