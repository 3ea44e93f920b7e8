"""What the SMS commands do: balance, mini statement, and the transfer that waits for
the one-time code sent back to the phone (only its hash is kept)."""

from __future__ import annotations

from ebank.application import payments
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest, Response
from ebank.application.ports import UnitOfWork
from ebank.application.ports_sms import PendingSmsTransfer, SmsSubscription
from ebank.domain.access import Actor
from ebank.domain.accounts import Account, AccountStatus
from ebank.domain.money import Currency, Money
from ebank.domain.sms_commands import Command, code_hash, code_matches, reply
from ebank.domain.step_up import StepUpPolicy

CODE_TTL_S = 300
MAX_CODE_ATTEMPTS = 3
MINI_LINES = 5
# The code sent back to the phone is this channel's confirmation; the SMS limits
# (seeded in transaction_limits) bound the amount.
_SMS_STEP_UP = StepUpPolicy(threshold_minor=10**15, ttl_s=CODE_TTL_S)


def _accounts(uow: UnitOfWork, customer_id: int) -> list[Account]:
    return [
        a
        for a in uow.accounts.for_customer(customer_id)
        if a.gl_kind is None and a.status is AccountStatus.ACTIVE
    ]


def _money(minor: int, currency: str) -> str:
    return Money(minor, Currency.of(currency)).format()


def balance(ctx: Context, subscription: SmsSubscription) -> str:
    with ctx.read() as uow:
        held = _accounts(uow, subscription.customer_id)
        balances = uow.accounts.balances_many([a.id for a in held])
    if not held:
        return reply("no_accounts", subscription.language)
    return " ".join(
        reply(
            "balance",
            subscription.language,
            last4=a.number[-4:],
            amount=_money(balances[a.id].available_minor, a.currency),
        )
        for a in held[:3]
    )


def mini_statement(ctx: Context, subscription: SmsSubscription) -> str:
    with ctx.read() as uow:
        held = _accounts(uow, subscription.customer_id)
        if not held:
            return reply("no_accounts", subscription.language)
        account = held[0]
        entries = uow.journal.history(account.id, None, MINI_LINES)
    last4 = account.number[-4:]
    moves = [e for e in entries if e.is_posted_movement]
    if not moves:
        return reply("mini_none", subscription.language, last4=last4)
    lines = [
        ("-" if e.debit_account_id == account.id else "+") + _money(e.amount_minor, e.currency)
        for e in moves
    ]
    return reply("mini_header", subscription.language, last4=last4) + " " + "; ".join(lines)


def start_transfer(ctx: Context, subscription: SmsSubscription, command: Command, code: str) -> str:
    """Keep the transfer waiting for ``code`` and answer with the code to send back."""
    language = subscription.language
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        payees = uow.beneficiaries.for_customer(subscription.customer_id)
        payee = next((b for b in payees if b.alias.casefold() == command.alias.casefold()), None)
        credit = uow.accounts.by_number(payee.account_number) if payee else None
        held = _accounts(uow, subscription.customer_id)
        if payee is None or credit is None:
            return reply("unknown_payee", language, alias=command.alias)
        if not held:
            return reply("no_accounts", language)
        debit = next((a for a in held if a.currency == credit.currency), held[0])
        amount = Money.parse(command.amount, debit.currency)
        pending_id = ctx.ids.new_id()
        uow.sms.add_pending(
            PendingSmsTransfer(
                id=pending_id,
                phone=subscription.phone,
                customer_id=subscription.customer_id,
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount_minor=amount.minor,
                currency=amount.currency.code,
                code_hash=code_hash(str(pending_id), code),
                attempts=0,
                created_at_us=now,
                expires_at_us=now + CODE_TTL_S * 1_000_000,
                used_at_us=None,
            )
        )
        uow.commit()
    return reply(
        "confirm_transfer",
        language,
        code=code,
        amount=amount.format(),
        alias=payee.alias,
        last4=debit.number[-4:],
        minutes=CODE_TTL_S // 60,
    )


def _checked_pending(ctx: Context, phone: str, code: str) -> PendingSmsTransfer | None:
    """The newest open transfer of ``phone`` if ``code`` confirms it (then used up)."""
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        waiting = uow.sms.open_pending(phone, lock=True)
        if not waiting:
            return None
        pending = waiting[0]
        if now >= pending.expires_at_us or pending.attempts >= MAX_CODE_ATTEMPTS:
            uow.sms.use_pending(pending.id, now)  # dead: never confirmable again
            uow.commit()
            return None
        if not code_matches(str(pending.id), code, pending.code_hash):
            uow.sms.count_attempt(pending.id)
            uow.commit()
            return None
        uow.sms.use_pending(pending.id, now)
        uow.commit()
    return pending


def confirm_transfer(ctx: Context, subscription: SmsSubscription, actor: Actor, code: str) -> str:
    language = subscription.language
    pending = _checked_pending(ctx, subscription.phone, code)
    if pending is None:
        return reply("code_invalid", language)
    with ctx.read() as uow:
        debit = uow.accounts.get(pending.debit_account_id)
        credit = uow.accounts.get(pending.credit_account_id)
        payees = uow.beneficiaries.for_customer(subscription.customer_id)
    assert debit is not None and credit is not None
    alias = next((b.alias for b in payees if b.account_number == credit.number), credit.number)
    order = payments.PaymentOrder(
        debit_number=debit.number,
        amount_minor=pending.amount_minor,
        currency=pending.currency,
        credit_number=credit.number,
        reference=f"SMS transfer to {alias}"[:60],
    )
    request = IdempotentRequest(f"sms:{subscription.phone}", str(pending.id), pending.code_hash)
    payments.pay(
        ctx,
        actor,
        [order],
        request,
        lambda _: Response(200, "{}"),
        policy=_SMS_STEP_UP,
        channel="sms",
    )
    return reply(
        "transfer_done",
        language,
        amount=_money(pending.amount_minor, pending.currency),
        alias=alias,
    )
