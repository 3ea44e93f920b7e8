"""What the corporate pages share: the bank's context, the idempotency key of a money
form, and refusals (limits, bad lines of a batch file) as the visitor reads them."""

from __future__ import annotations

import secrets

from fastapi import Depends, Request

from ebank.application.context import Context
from ebank.domain.errors import BatchFileRejected, DomainError, LimitExceeded
from ebank.entrypoints.web.render import error_text, gettext
from ebank.entrypoints.web.session import check_csrf

CSRF = [Depends(check_csrf)]

# What is wrong with a line of a batch file (codes of ``application.corporate_files``).
PROBLEM_TEXTS = {
    "file_too_large": "the file is larger than %(max)s kB",
    "not_utf8": "the file is not UTF-8 text",
    "too_many_lines": "the file has more than %(max)s payments",
    "empty_file": "the file has no payments",
    "field_count": "expected 3 or 4 fields, found %(found)s",
    "account_number_invalid": "not a valid account number (19 digits, check digit)",
    "name_missing": "the payee's name is missing",
    "name_too_long": "the payee's name is longer than %(max)s characters",
    "amount_invalid": "the amount is not a decimal with at most %(places)s decimals",
    "amount_not_positive": "the amount must be more than zero",
    "reference_too_long": "the reference is longer than %(max)s characters",
    "duplicate": "the same payee account as line %(line)s",
    "payee_mismatch": "the account number and name do not match an open account",
    "own_account": "the paying account cannot pay itself",
    "currency_mismatch": "the payee's account is in another currency",
    "total_too_large": "the total is too large",
    "count_mismatch": "the file has %(found)s payments, not %(stated)s as stated",
    "stated_total_invalid": "the stated total is not a decimal with at most %(places)s decimals",
    "total_mismatch": "the payments add up to %(found)s, not %(stated)s as stated",
}

LIMIT_TEXTS = {
    "user_not_configured": "no payment limits are set for this user: ask the bank",
    "user_per_payment": "more than this user may enter in one payment",
    "user_daily": "more than this user may enter today",
    "per_transaction": "more than the bank allows for one online transfer",
    "daily_amount": "more than the bank allows online today",
    "daily_count": "more online transfers than the bank allows today",
    "not_configured": "the bank has set no online limit for this",
}


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.bank.ctx
    return ctx


def new_form_key() -> str:
    """The idempotency key a form that enters a payment carries, made when it is shown."""
    return secrets.token_urlsafe(24)


def problem_text(request: Request, code: str, params: dict[str, str]) -> str:
    template = PROBLEM_TEXTS.get(code)
    if template is None:
        return code
    return gettext(request, template) % params


def refusal_text(request: Request, exc: DomainError) -> str:
    """A refusal as the visitor reads it: a limit says which one, a bad single payment
    what is wrong with it."""
    text = error_text(request, exc.code)
    if isinstance(exc, LimitExceeded) and exc.limit in LIMIT_TEXTS:
        detail = gettext(request, LIMIT_TEXTS[exc.limit])
        return gettext(request, "%(outcome)s: %(detail)s") % {"outcome": text, "detail": detail}
    if isinstance(exc, BatchFileRejected):
        return "; ".join(problem_text(request, code, p) for _, code, p in exc.problems)
    return text
