"""Rendering pages: one Jinja environment per language, the visitor's language chosen
per request, every page given the same helpers (translation, formatting, CSRF token,
the signed-in actor)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ebank.entrypoints.error_codes import answer_for
from ebank.entrypoints.web import i18n
from ebank.entrypoints.web.session import LANGUAGE_COOKIE, csrf_token, finish

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def language(request: Request) -> str:
    chosen = getattr(request.state, "language", None)
    if chosen is None:
        chosen = i18n.choose_language(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
        request.state.language = chosen
    return str(chosen)


def gettext(request: Request, message: str) -> str:
    """``message`` in the visitor's language (for Python code that builds messages)."""
    return str(i18n.translations(language(request)).gettext(message))


def error_text(request: Request, code: str) -> str:
    """The visitor-facing text of an outcome code, from the one table, translated."""
    return gettext(request, answer_for(code).text)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    lang = language(request)
    page = environment(lang).get_template(template)
    html = page.render(
        request=request,
        lang=lang,
        html_lang=i18n.HTML_LANG[lang],
        languages=i18n.LANGUAGE_NAMES,
        fmt=i18n.Formatter(lang),
        csrf_token=csrf_token(request),
        actor=getattr(request.state, "actor", None),
        error_text=lambda code: error_text(request, code),
        **(context or {}),
    )
    return finish(request, HTMLResponse(html, status_code=status))


def redirect(request: Request, url: str) -> Response:
    """See other (303): after a form, the browser fetches ``url`` with GET."""
    return finish(request, RedirectResponse(url, status_code=303))


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"
