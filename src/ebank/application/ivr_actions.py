"""What the telephone banking menu's actions do: each one calls the bank's use cases as
the identified caller and tells the state machine how it went (an ``Outcome``).

The caller acts as a customer without a user of their own: an ``Actor`` for the call
(user id 0, named ``ivr:<customer number>``), so that the same rules, limits and audit
trail apply as in every other channel, with ``channel="ivr"``.
"""

from __future__ import annotations

import hashlib
import hmac
from calendar import monthrange
from collections.abc import Callable
from datetime import date, timedelta

from ebank.application import cards, payments, phone_pins, tickets
from ebank.application.card_pins import card_by_pan
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest, Response
from ebank.application.ports_documents import NewDocumentJob
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import Account, AccountStatus
from ebank.domain.cards import CardAccountType, CardStatus
from ebank.domain.errors import DomainError
from ebank.domain.ivr_model import Action, ActionKind, Outcome, Prompt, Session
from ebank.domain.step_up import StepUpPolicy

IVR_CHANNEL = "ivr"
MAX_READ_OUT = 5  # accounts or transactions read out at once (one key each)
MAX_LISTED = 9  # keys 1..9


def caller_actor(ctx: Context, session: Session, call_id: str) -> Actor:
    with ctx.read() as uow:
        customer = uow.customers.get(session.customer_id)
    assert customer is not None, "an identified caller"
    return Actor(
        user_id=0,
        username=f"ivr:{customer.number}"[:64],
        kind=UserKind.CUSTOMER,
        role=Role.CUSTOMER,
        customer_id=customer.id,
        session_id=call_id,
    )


def _last4(number: str) -> str:
    return number[-4:]


def identify(ctx: Context, number: str) -> Outcome:
    """A card number or an account number of an individual customer."""
    card = card_by_pan(ctx, number)
    with ctx.read() as uow:
        account: Account | None = None
        if card is not None and card.accounts:
            # A debit card's own account is its savings (活期) account, if it has one.
            link = next(
                (k for k in card.accounts if k.account_type is CardAccountType.SAVINGS),
                card.accounts[0],
            )
            account = uow.accounts.get(link.account_id)
        elif card is None:
            account = uow.accounts.by_number(number)
        if account is None or account.customer_id is None or account.gl_kind is not None:
            return Outcome(ok=False, reason="not_found")
    return Outcome(
        ok=True,
        customer_id=account.customer_id,
        account_id=account.id,
        account_label=_last4(account.number),
        currency=account.currency,
    )


def verify_pin(ctx: Context, session: Session, pin: str) -> Outcome:
    result = phone_pins.check_phone_pin(ctx, session.customer_id, pin)
    return Outcome(ok=result is phone_pins.PinCheck.OK, reason=result.value)


def verify_identity(ctx: Context, session: Session, identity: str) -> Outcome:
    with ctx.read() as uow:
        customer = uow.customers.get(session.customer_id)
    assert customer is not None
    same = hmac.compare_digest(customer.id_number.upper().encode(), identity.upper().encode())
    return Outcome(ok=same, reason="" if same else "identity_wrong")


def _own_accounts(ctx: Context, customer_id: int) -> list[Account]:
    with ctx.read() as uow:
        return [
            a
            for a in uow.accounts.for_customer(customer_id)
            if a.status is not AccountStatus.CLOSED and a.gl_kind is None
        ]


def balance(ctx: Context, session: Session) -> Outcome:
    accounts = _own_accounts(ctx, session.customer_id)
    # The account the caller named first, then the others.
    accounts.sort(key=lambda a: (a.id != session.account_id, a.id))
    with ctx.read() as uow:
        found = uow.accounts.balances_many([a.id for a in accounts[:MAX_READ_OUT]])
    say = tuple(
        Prompt.of(
            "balance",
            last4=_last4(a.number),
            amount_minor=str(found[a.id].available_minor),
            currency=a.currency,
        )
        for a in accounts[:MAX_READ_OUT]
    )
    return Outcome(ok=True, say=say)


def history(ctx: Context, session: Session) -> Outcome:
    """The last five posted movements of the account the caller named."""
    with ctx.read() as uow:
        entries = uow.journal.history(session.account_id, None, MAX_READ_OUT * 4)
    moved = [e for e in entries if e.is_posted_movement][:MAX_READ_OUT]
    if not moved:
        return Outcome(ok=True, say=(Prompt("no_transactions"),))
    say = tuple(
        Prompt.of(
            "transaction_in" if e.credit_account_id == session.account_id else "transaction_out",
            at_us=str(e.created_at_us),
            amount_minor=str(e.amount_minor),
            currency=e.currency,
        )
        for e in moved
    )
    return Outcome(ok=True, say=say)


def list_targets(ctx: Context, session: Session) -> Outcome:
    targets = [
        a
        for a in _own_accounts(ctx, session.customer_id)
        if a.id != session.account_id and a.currency == session.currency
    ][:MAX_LISTED]
    choices = tuple((a.id, _last4(a.number)) for a in targets)
    say = tuple(
        Prompt.of("choose_account", last4=label, key=str(i))
        for i, (_, label) in enumerate(choices, start=1)
    )
    return Outcome(ok=True, choices=choices, say=say)


def transfer(ctx: Context, session: Session, call_id: str, policy: StepUpPolicy) -> Outcome:
    """The confirmed transfer, through payments with the ``ivr`` channel's limits. The
    IVR never asks for a one-time code: what would need one is over its limit."""
    if session.amount_minor > policy.threshold_minor:
        return Outcome(ok=False, reason="limit_exceeded")
    actor = caller_actor(ctx, session, call_id)
    with ctx.read() as uow:
        debit = uow.accounts.get(session.account_id)
        credit = uow.accounts.get(session.chosen)
    assert debit is not None and credit is not None
    order = payments.PaymentOrder(
        debit_number=debit.number,
        amount_minor=session.amount_minor,
        currency=session.currency,
        credit_number=credit.number,
        reference="telephone banking",
    )
    key = f"ivr:{call_id}:{len(session.done)}"
    digest = hashlib.sha256(f"{debit.number}|{credit.number}|{order.amount_minor}".encode())
    request = IdempotentRequest(f"ivr:{session.customer_id}", key, digest.hexdigest())
    try:
        payments.pay(
            ctx,
            actor,
            [order],
            request,
            lambda _: Response(200, "{}"),
            policy=policy,
            channel=IVR_CHANNEL,
        )
    except DomainError as refused:
        return Outcome(ok=False, reason=refused.code)
    return Outcome(ok=True)


def list_cards(ctx: Context, session: Session) -> Outcome:
    with ctx.read() as uow:
        held = uow.cards.for_customer(session.customer_id)
    usable = (CardStatus.ACTIVE, CardStatus.INACTIVE)
    found = [c for c in held if cards.effective_status(c, ctx) in usable][:MAX_LISTED]
    choices = tuple((c.card_id, c.pan_last4) for c in found)
    say = tuple(
        Prompt.of("choose_card", last4=label, key=str(i))
        for i, (_, label) in enumerate(choices, start=1)
    )
    return Outcome(ok=True, choices=choices, say=say)


def report_lost(ctx: Context, session: Session, call_id: str) -> Outcome:
    try:
        cards.report_lost(ctx, caller_actor(ctx, session, call_id), session.chosen)
    except DomainError as refused:
        return Outcome(ok=False, reason=refused.code)
    return Outcome(ok=True)


def new_pin(ctx: Context, session: Session, pin: str) -> Outcome:
    with ctx.read() as uow:
        customer = uow.customers.get(session.customer_id)
    assert customer is not None
    return Outcome(ok=True, token=phone_pins.verification_of(ctx, customer, pin))


def change_pin(ctx: Context, session: Session, repeated: str) -> Outcome:
    return Outcome(
        ok=phone_pins.change_phone_pin(ctx, session.customer_id, session.token, repeated)
    )


def statement_period(today: date, period: str) -> tuple[date, date]:
    """``this_month``: the first of this month to today; ``last_month``: all of it."""
    if period == "this_month":
        return today.replace(day=1), today
    last_day = today.replace(day=1) - timedelta(days=1)
    return last_day.replace(day=1), last_day.replace(
        day=monthrange(last_day.year, last_day.month)[1]
    )


def queue_statement(ctx: Context, session: Session, fax: str) -> Outcome:
    """A statement job for the caller's account: to ``fax``, or ("") to the customer's
    e-mail address on file (``no_email`` when the bank holds none)."""
    first, last = statement_period(ctx.clock.today(), session.period)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        customer = uow.customers.get(session.customer_id)
        assert customer is not None
        if not fax and not customer.email:
            return Outcome(ok=False, reason="no_email")
        job = NewDocumentJob(
            kind="statement",
            customer_id=customer.id,
            account_id=session.account_id,
            period_from=first.isoformat(),
            period_to=last.isoformat(),
            delivery="fax" if fax else "email",
            destination=fax or customer.email,
        )
        uow.ivr.add_job(job, now)
        uow.commit()
    return Outcome(ok=True)


def agent(ctx: Context, session: Session) -> Outcome:
    """Open a call-centre ticket carrying what the caller did on this call."""
    if not session.customer_id:
        return Outcome(ok=True)
    done = ", ".join(session.done) or "nothing yet"
    tickets.create_ticket_for_customer(
        ctx,
        session.customer_id,
        kind="inquiry",
        category="service",
        subject="Telephone banking: the caller asked for an agent",
        body="Transferred from the telephone banking menu.",
        channel=IVR_CHANNEL,
        context=f"Earlier on this call: {done}.",
    )
    return Outcome(ok=True)


def perform(
    ctx: Context, session: Session, action: Action, call_id: str, policy: StepUpPolicy
) -> Outcome:
    """Run ``action`` for the call and report how it went."""
    by_kind: dict[ActionKind, Callable[[], Outcome]] = {
        ActionKind.IDENTIFY: lambda: identify(ctx, action.value),
        ActionKind.VERIFY_PIN: lambda: verify_pin(ctx, session, action.value),
        ActionKind.VERIFY_IDENTITY: lambda: verify_identity(ctx, session, action.value),
        ActionKind.BALANCE: lambda: balance(ctx, session),
        ActionKind.HISTORY: lambda: history(ctx, session),
        ActionKind.LIST_TARGETS: lambda: list_targets(ctx, session),
        ActionKind.TRANSFER: lambda: transfer(ctx, session, call_id, policy),
        ActionKind.LIST_CARDS: lambda: list_cards(ctx, session),
        ActionKind.REPORT_LOST: lambda: report_lost(ctx, session, call_id),
        ActionKind.NEW_PIN: lambda: new_pin(ctx, session, action.value),
        ActionKind.CHANGE_PIN: lambda: change_pin(ctx, session, action.value),
        ActionKind.QUEUE_STATEMENT: lambda: queue_statement(ctx, session, action.value),
        ActionKind.AGENT: lambda: agent(ctx, session),
    }
    return by_kind[action.kind]()
