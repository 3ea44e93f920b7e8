"""The Bank API: a FastAPI application under ``/api/v1``.

Thin translators only: each endpoint validates its input with pydantic, calls one
application use case as the signed-in actor, and renders the result; every refusal
leaves as RFC 9457 problem details through ``problems.py``.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ebank import __version__
from ebank.bootstrap import Bank
from ebank.domain.errors import DomainError
from ebank.entrypoints import web
from ebank.entrypoints.api import (
    account_controls,
    accounts,
    approvals,
    audit,
    auth,
    beneficiaries,
    branches,
    customers,
    holds,
    limits,
    ratelimit,
    staff_actions,
    statements,
    terminals,
    tickets,
    transfers,
)
from ebank.entrypoints.api.problems import problem, problem_for_error
from ebank.entrypoints.telephony import sms_webhook, twiml, voicexml

log = structlog.get_logger("ebank.api")

API_PREFIX = "/api/v1"
ROUTERS = (
    auth.router,
    branches.router,
    customers.router,
    accounts.router,
    account_controls.router,
    beneficiaries.router,
    statements.router,
    transfers.router,
    holds.router,
    approvals.router,
    limits.router,
    staff_actions.router,
    audit.router,
    terminals.router,
    tickets.router,
)


def create_app(bank: Bank) -> FastAPI:
    app = FastAPI(
        title="ebank Bank API",
        version=__version__,
        summary="Accounts, payments and the bank's back office over REST/JSON",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.bank = bank
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["operations"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(sms_webhook.router)  # SMS banking's provider webhook
    app.include_router(twiml.router)  # telephone banking: Twilio voice webhooks
    app.include_router(voicexml.router)  # telephone banking: VoiceXML for PBXs
    web.install(app)
    ratelimit.install(app, bank.settings)
    app.add_middleware(BodySizeLimit, max_bytes=bank.settings.max_request_bytes)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError) -> Response:
        if web.is_web_path(request.url.path):
            return web.error_page(request, exc)
        return problem_for_error(exc, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if web.is_web_path(request.url.path):
            return web.invalid_form_page(request)
        # Never echo the input back: it may be a password or a one-time code.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(
            "invalid_input",
            "the request does not match the schema",
            status=422,
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web.is_web_path(request.url.path):
            return web.http_error_page(request, exc.status_code)
        code = {404: "not_found", 405: "invalid_input", 413: "invalid_input"}.get(
            exc.status_code, "invalid_input"
        )
        return problem(
            code,
            str(exc.detail),
            status=exc.status_code,
            instance=request.url.path,
            headers=dict(exc.headers or {}) or None,
        )

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem("system_error", "system error", status=500, instance=request.url.path)


class BodySizeLimit:
    """Refuse request bodies above ``max_bytes`` with 413, before they are read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await _too_large(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = problem("invalid_input", "the request body is too large", status=413)
    await response(scope, receive, send)
