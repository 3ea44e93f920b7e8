"""Online banking and the back office in the browser: server-rendered pages served by
the same process as the Bank API, calling the same application use cases.

``install(app)`` adds the pages, the static files and the error pages to the API's
FastAPI application. Paths: ``/login``, ``/my/...`` (personal customers),
``/corporate/...`` (companies), ``/office/...`` (branch staff), ``/static/...``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from ebank.domain.errors import DomainError
from ebank.entrypoints.web import (
    pages_callcentre,  # the call centre
    pages_cards,  # cards
    pages_corporate,  # corporate banking
    pages_my,  # personal banking
    pages_office,
    pages_public,
    pages_terminals,  # terminal monitoring
)
from ebank.entrypoints.web.render import error_text, gettext, redirect, render, sign_in_url
from ebank.entrypoints.web.session import CsrfRejected, SignInRequired, end_session

STATIC = Path(__file__).with_name("static")
ROUTERS = (
    pages_public.router,
    pages_office.router,
    pages_my.router,
    pages_cards.router,
    pages_corporate.router,
    pages_terminals.router,
    pages_callcentre.router,
)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    def sign_in(request: Request, exc: SignInRequired) -> Response:
        end_session(request)
        return redirect(request, sign_in_url(request))

    @app.exception_handler(CsrfRejected)
    def csrf(request: Request, exc: CsrfRejected) -> Response:
        message = gettext(request, "The form has expired: please try again.")
        return render(request, "error.html", {"message": message}, status=403)


def is_web_path(path: str) -> bool:
    return not path.startswith("/api")


def error_page(request: Request, error: DomainError) -> Response:
    """A business refusal on a page that did not handle it itself."""
    status = 404 if error.code.endswith("not_found") else 422
    return render(request, "error.html", {"message": error_text(request, error.code)}, status)


def http_error_page(request: Request, status: int) -> Response:
    if status == 404:
        message = gettext(request, "Page not found")
    else:
        message = gettext(request, "Something went wrong")
    return render(request, "error.html", {"message": message}, status=status)


def invalid_form_page(request: Request) -> Response:
    """A form the browser's own checks should have stopped (or a hand-made request)."""
    message = error_text(request, "invalid_input")
    return render(request, "error.html", {"message": message}, status=422)
