"""SMS banking: commands from registered numbers (BAL, MINI, TRF, LOST, HELP and the
Chinese 余额, 明细, 转账, 挂失, 帮助), numbers' registration, and the relay that sends
alerts and replies through the SMS transport.

An inbound message is recorded (a one-time code masked) and checked (known number,
rate limit) in one unit of work; the command then runs as the customer's own use cases
(payments, cards, tickets); the reply is written to the outbox and sent by the relay.
Rate limit: persistent, over ``sms_messages``: at most ``RATE_LIMIT`` messages from
one number in ``RATE_WINDOW_S`` seconds; the first one over gets one "too many" reply,
the rest nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ebank.application import audit, cards, sms_actions, tickets
from ebank.application.context import Context
from ebank.application.outbox import deliver_pending
from ebank.application.ports_sms import QueuedSms, SmsSubscription, SmsTransport
from ebank.application.ports_terminals import Notifier
from ebank.application.sms_alerts import REPLY_TOPIC
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.errors import CustomerNotFound, DomainError, InvalidInput
from ebank.domain.sms_commands import LANGUAGES, Command, Verb, language_of, parse, reply

RATE_LIMIT = 10
RATE_WINDOW_S = 600
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_CODE_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")

# (error, language) -> the short text a person reads; given by the entry point (the
# one error table lives there).
Explain = Callable[[DomainError, str], str]


def _default_explain(error: DomainError, language: str) -> str:
    return error.code


def mask_codes(text: str) -> str:
    """``text`` with any one-time code (six digits in a row) masked, for storage."""
    return _CODE_IN_TEXT.sub("******", text)


def sms_actor(subscription: SmsSubscription) -> Actor:
    """The customer, identified by their registered number (no user session)."""
    return Actor(
        user_id=0,
        username=f"sms:{subscription.phone[-4:]}",
        kind=UserKind.CUSTOMER,
        role=Role.CUSTOMER,
        customer_id=subscription.customer_id,
    )


def register(
    ctx: Context,
    phone: str,
    customer_number: str,
    *,
    language: str = "zh_CN",
    alert_threshold_minor: int | None = None,
    registered_by: str = "cli",
) -> SmsSubscription:
    """Register (or re-register) ``phone`` for SMS banking of a customer."""
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise InvalidInput("a phone number is 6 to 15 digits, optionally after a +")
    if language not in LANGUAGES:
        raise InvalidInput(f"language is one of {', '.join(LANGUAGES)}")
    if alert_threshold_minor is not None and alert_threshold_minor < 0:
        raise InvalidInput("the alert threshold is not negative")
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        customer = uow.customers.by_number(customer_number)
        if customer is None:
            raise CustomerNotFound(f"no customer {customer_number}")
        before = uow.sms.subscription(phone)
        subscription = SmsSubscription(
            phone=phone,
            customer_id=customer.id,
            language=language,
            alert_threshold_minor=alert_threshold_minor,
            status="active",
            created_at_us=before.created_at_us if before else now,
            updated_at_us=now,
        )
        uow.sms.save_subscription(subscription)
        audit.record(
            uow,
            actor=None,
            actor_name=registered_by,
            action="sms.register",
            target=f"customer:{customer.id}",
            details={
                "phone_last4": phone[-4:],
                "language": language,
                "alert_threshold_minor": alert_threshold_minor,
            },
            now_us=now,
        )
        uow.commit()
    return subscription


@dataclass
class SmsBanking:
    """What a transport hands inbound messages and delivery receipts to."""

    ctx: Context
    transport_name: str
    explain: Explain = _default_explain

    def inbound(self, phone: str, text: str, external_id: str = "") -> None:
        handle_inbound(
            self.ctx,
            phone,
            text,
            transport=self.transport_name,
            external_id=external_id,
            explain=self.explain,
        )

    def receipt(self, external_id: str, delivered: bool) -> None:
        status = "delivered" if delivered else "failed"
        with self.ctx.uow() as uow:
            uow.sms.set_status_by_external_id(external_id, status, self.ctx.clock.now_us())
            uow.commit()


def handle_inbound(
    ctx: Context,
    phone: str,
    text: str,
    *,
    transport: str,
    external_id: str = "",
    explain: Explain = _default_explain,
) -> str | None:
    """Answer one inbound message; returns the reply queued (``None``: none)."""
    phone = phone.strip()[:20]
    command = parse(text)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        earlier = uow.sms.inbound_since(phone, now - RATE_WINDOW_S * 1_000_000)
        stored = "******" if command and command.verb is Verb.CODE else mask_codes(text)
        inbound_id = uow.sms.record(
            "in", phone, stored[:500], transport, "received", now, external_id=external_id or None
        )
        subscription = uow.sms.subscription(phone)
        uow.commit()
    if earlier > RATE_LIMIT:
        return None
    language = subscription.language if subscription else "zh_CN"
    if earlier == RATE_LIMIT:
        answer = reply("rate_limited", language)
    elif subscription is None or subscription.status != "active":
        answer = reply("unknown_sender", "zh_CN") + " " + reply("unknown_sender", "en")
    elif command is None:
        answer = reply("malformed", language)
    else:
        answer = _run(ctx, subscription, command, explain)
    with ctx.uow() as uow:
        uow.sms.queue(
            [QueuedSms(REPLY_TOPIC, phone, answer, f"reply:{inbound_id}")], ctx.clock.now_us()
        )
        uow.commit()
    return answer


def _run(ctx: Context, subscription: SmsSubscription, command: Command, explain: Explain) -> str:
    language = language_of(subscription.language)
    actor = sms_actor(subscription)
    try:
        if command.verb is Verb.BALANCE:
            return sms_actions.balance(ctx, subscription)
        if command.verb is Verb.MINI:
            return sms_actions.mini_statement(ctx, subscription)
        if command.verb is Verb.TRANSFER:
            return sms_actions.start_transfer(ctx, subscription, command, _new_code())
        if command.verb is Verb.CODE:
            return sms_actions.confirm_transfer(ctx, subscription, actor, command.code)
        if command.verb is Verb.LOST:
            return _report_lost(ctx, subscription, actor, command.last4)
        return _help(ctx, subscription)
    except DomainError as error:
        return reply("transfer_refused", language, reason=explain(error, language))


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _report_lost(ctx: Context, subscription: SmsSubscription, actor: Actor, last4: str) -> str:
    with ctx.read() as uow:
        held = uow.cards.for_customer(subscription.customer_id)
    matching = [c for c in held if c.pan_last4 == last4 and c.status.value == "active"]
    if not matching:
        return reply("card_unknown", subscription.language, last4=last4)
    for card in matching:
        cards.report_lost(ctx, actor, card.card_id)
    return reply("card_lost", subscription.language, last4=last4)


def _help(ctx: Context, subscription: SmsSubscription) -> str:
    ticket = tickets.create_ticket_for_customer(
        ctx,
        subscription.customer_id,
        kind="inquiry",
        category="service",
        subject="SMS HELP",
        body="The customer sent HELP by SMS and asks for help.",
        channel="sms",
        context=f"SMS from the number ending {subscription.phone[-4:]}",
    )
    return reply("help", subscription.language, ticket=ticket.id)


class SmsNotifier:
    """The relay's notifier: ``sms`` and ``sms_*`` topics (operators' alarm texts,
    customers' alerts and replies) go out through the SMS transport (the
    dedupe key, carried as the subject, is the message reference), anything else
    through ``fallback``. What was sent is recorded after the round (``record_sent``:
    the relay holds the outbox row meanwhile), with the operator's message id, so
    that its delivery receipt finds it."""

    def __init__(self, transport: SmsTransport, fallback: Notifier) -> None:
        self.transport = transport
        self.fallback = fallback
        self.sent: list[tuple[str, str, str]] = []  # (phone, masked body, external id)

    def send(self, channel: str, recipient: str, subject: str, body: str, message_id: str) -> None:
        if channel != "sms" and not channel.startswith("sms_"):
            self.fallback.send(channel, recipient, subject, body, message_id)
            return
        external_id = self.transport.send(recipient, body, subject or message_id)
        self.sent.append((recipient, mask_codes(body)[:500], external_id))

    def record_sent(self, ctx: Context) -> None:
        if not self.sent:
            return
        with ctx.uow() as uow:
            for phone, body, external_id in self.sent:
                uow.sms.record(
                    "out",
                    phone,
                    body,
                    self.transport.name,
                    "submitted",
                    ctx.clock.now_us(),
                    external_id=external_id,
                )
            uow.commit()
        self.sent.clear()


def relay(ctx: Context, transport: SmsTransport, fallback: Notifier, limit: int = 100) -> int:
    """One round of the outbox relay with SMS going out through ``transport``."""
    notifier = SmsNotifier(transport, fallback)
    try:
        return deliver_pending(ctx, notifier, limit)
    finally:
        notifier.record_sent(ctx)
