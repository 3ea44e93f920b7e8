"""Transfers in personal online banking (``/my/transfers``): the form, a confirmation
page that shows what will happen (and, when the bank asks for step-up, the challenge's
summary and a field for the one-time code bound to it), then the result.

The confirmation page makes an idempotency key and carries it in a hidden field, so a
double submit of the confirmation posts once: the second send gets the first one's
kept response and lands on the same result page. Postings go through channel ``web``,
so the web limits of the customer's tier apply.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ebank.application import account_services, customer_services, idempotency, payments
from ebank.application.idempotency import IdempotentRequest, principal_of
from ebank.application.payments import PaymentOrder, PaymentResult, StepUpProof
from ebank.domain.access import Actor
from ebank.domain.errors import (
    ChallengeInvalid,
    DomainError,
    InvalidInput,
    LimitExceeded,
    OtpInvalid,
    StepUpChallenge,
)
from ebank.domain.limits import LimitName
from ebank.domain.money import Currency, Money, format_minor
from ebank.domain.step_up import StepUpPolicy
from ebank.entrypoints.web import i18n
from ebank.entrypoints.web.pages_my_base import ctx_of, customer
from ebank.entrypoints.web.render import error_text, gettext, language, redirect, render
from ebank.entrypoints.web.session import WebActor, check_csrf

router = APIRouter(include_in_schema=False)
WEB_CHANNEL = "web"
Field = Annotated[str, Form(max_length=140)]


def policy_of(request: Request) -> StepUpPolicy:
    settings = request.app.state.bank.settings
    return StepUpPolicy(settings.step_up_threshold_minor, settings.step_up_ttl_s)


@dataclass(frozen=True, slots=True)
class TransferForm:
    """What the customer typed (shown again when something is refused)."""

    debit: str = ""
    to: str = ""  # "acct:<number>" (own account), "payee:<id>" or "" (the number below)
    to_number: str = ""
    amount: str = ""
    reference: str = ""


def _form_page(
    request: Request, actor: Actor, form: TransferForm, error: str = "", status: int = 200
) -> Response:
    ctx = ctx_of(request)
    views = account_services.list_accounts(ctx, customer(actor), None)
    payees = customer_services.list_beneficiaries(ctx, actor)
    context = {"form": form, "views": views, "payees": payees, "error": error or None}
    return render(request, "my/transfer.html", context, status)


def _order(request: Request, actor: Actor, form: TransferForm) -> PaymentOrder:
    """The order the form describes; the amount in the debit account's currency."""
    views = account_services.list_accounts(ctx_of(request), actor, None)
    debit = next((v.account for v in views if v.account.number == form.debit), None)
    if debit is None:
        raise InvalidInput("choose one of your accounts to pay from")
    amount = Money.parse(form.amount, debit.currency).minor
    credit_number: str | None = None
    beneficiary_id: int | None = None
    if form.to.startswith("acct:"):
        credit_number = form.to.removeprefix("acct:")
    elif form.to.startswith("payee:") and form.to.removeprefix("payee:").isdigit():
        beneficiary_id = int(form.to.removeprefix("payee:"))
    else:
        credit_number = form.to_number.strip().replace(" ", "")
    return PaymentOrder(
        debit_number=debit.number,
        amount_minor=amount,
        currency=debit.currency,
        credit_number=credit_number or None,
        beneficiary_id=beneficiary_id,
        reference=form.reference.strip()[:140],
    )


def request_of(actor: Actor, key: str, order: PaymentOrder) -> IdempotentRequest:
    """The idempotent request of one web transfer: the hash covers what is paid."""
    fields = (order.debit_number, order.credit_number, order.beneficiary_id)
    paid = (order.amount_minor, order.currency, order.reference)
    canonical = json.dumps(["web-transfer", *fields, *paid], ensure_ascii=False)
    return IdempotentRequest(
        principal=principal_of(actor.user_id),
        key=idempotency.check_key(key),
        request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def limit_text(request: Request, exc: LimitExceeded) -> str:
    """Which limit refused the transfer and what remains of it, in words."""
    fmt = i18n.Formatter(language(request))
    names = {
        LimitName.PER_TRANSACTION.value: gettext(request, "the limit per transfer"),
        LimitName.DAILY_AMOUNT.value: gettext(request, "the daily amount limit"),
        LimitName.DAILY_COUNT.value: gettext(request, "the daily number of transfers"),
    }
    if exc.limit not in names:
        return gettext(request, "Online transfers in this currency are not available.")
    if exc.limit == LimitName.DAILY_COUNT.value:
        remaining = fmt.number(exc.remaining)
    else:
        remaining = fmt.money(exc.remaining, exc.currency)
    return gettext(request, "Over %(limit)s of online banking: %(remaining)s remains.") % {
        "limit": names[exc.limit],
        "remaining": remaining,
    }


def _confirm_page(
    request: Request,
    actor: Actor,
    order: PaymentOrder,
    key: str,
    challenge: StepUpChallenge | None,
    error: str = "",
) -> Response:
    payment = payments.preview(ctx_of(request), actor, [order], policy_of(request))
    context = {
        "order": order,
        "payee": payment.credits[0],
        "debit": payment.debits[0],
        "key": key,
        "challenge": challenge,
        "error": error or None,
    }
    return render(request, "my/transfer_confirm.html", context, 422 if error else 200)


def _challenge(request: Request, actor: Actor, order: PaymentOrder) -> StepUpChallenge:
    made = payments.create_challenge(ctx_of(request), actor, [order], policy_of(request))
    return StepUpChallenge(str(made.id), made.summary, made.expires_at_us)


@router.get("/my/transfers")
def transfer_form(request: Request, actor: WebActor, to: str = "") -> Response:
    debit = request.query_params.get("from", "")[:32]
    return _form_page(request, actor, TransferForm(debit=debit, to=to[:40]))


@router.post("/my/transfers/confirm", dependencies=[Depends(check_csrf)])
def confirm(
    request: Request,
    actor: WebActor,
    debit: Field = "",
    to: Field = "",
    to_number: Field = "",
    amount: Field = "",
    reference: Field = "",
) -> Response:
    form = TransferForm(debit, to, to_number, amount, reference)
    try:
        order = _order(request, customer(actor), form)
        payment = payments.preview(ctx_of(request), actor, [order], policy_of(request))
        challenge = _challenge(request, actor, order) if payment.needs_step_up else None
        return _confirm_page(request, actor, order, str(uuid.uuid4()), challenge)
    except DomainError as exc:
        return _form_page(request, actor, form, error_text(request, exc.code), 422)


@router.post("/my/transfers/send", dependencies=[Depends(check_csrf)])
def send(
    request: Request,
    actor: WebActor,
    debit_number: Field,
    amount_minor: Annotated[int, Form(ge=1)],
    currency: Annotated[str, Form(max_length=3)],
    key: Annotated[str, Form(max_length=128)],
    credit_number: Field = "",
    beneficiary_id: Annotated[int | None, Form()] = None,
    reference: Field = "",
    challenge_id: Annotated[str, Form(max_length=40)] = "",
    otp: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    order = PaymentOrder(
        debit_number, amount_minor, currency, credit_number or None, beneficiary_id, reference
    )
    ctx = ctx_of(request)
    form = TransferForm(debit_number)
    try:
        typed = format_minor(amount_minor, Currency.of(currency), grouping=False)
        form = TransferForm(debit_number, amount=typed)
        idem = request_of(customer(actor), key, order)
        proof = StepUpProof(UUID(challenge_id), otp.strip()) if challenge_id else None
        done = payments.pay(
            ctx,
            actor,
            [order],
            idem,
            _keep,
            policy=policy_of(request),
            step_up=proof,
            channel=WEB_CHANNEL,
        )
    except StepUpChallenge as challenge:
        return _confirm_page(request, actor, order, key, challenge)
    except (OtpInvalid, ChallengeInvalid) as exc:
        # The code spent the challenge: a new one, for the customer to try again.
        fresh = _challenge(request, actor, order)
        return _confirm_page(request, actor, order, key, fresh, error_text(request, exc.code))
    except LimitExceeded as exc:
        return _form_page(request, actor, form, limit_text(request, exc), 422)
    except (DomainError, ValueError) as exc:
        code = exc.code if isinstance(exc, DomainError) else "invalid_input"
        return _form_page(request, actor, form, error_text(request, code), 422)
    transfer_id = json.loads(done.response.body)["transfer_id"]
    return redirect(request, f"/my/transfers/done/{transfer_id}")


def _keep(result: PaymentResult) -> idempotency.Response:
    return idempotency.Response(201, json.dumps({"transfer_id": str(result.entries[0].id)}))


@router.get("/my/transfers/done/{transfer_id}")
def done(request: Request, actor: WebActor, transfer_id: UUID) -> Response:
    result = payments.transfer_view(ctx_of(request), customer(actor), transfer_id)
    entry = result.entries[0]
    context = {
        "entry": entry,
        "debit": result.numbers.get(entry.debit_account_id, ""),
        "credit": result.numbers.get(entry.credit_account_id, ""),
    }
    return render(request, "my/transfer_done.html", context)
