"""Corporate payments with maker-checker: a maker enters a payment (one transfer, or a
batch file such as payroll), it waits; an approver of the same company (never the maker)
approves it, and it is posted through the ledger as one linked batch (all or nothing),
counted against the bank's ``web`` limits of the company's tier and the maker's own
limits; or the approver rejects it. Every step, refusals included, is audited.

Idempotent: entering a payment runs once per idempotency key (a double submit of the
form enters it once); the ledger ids of a payment's transfers derive from the payment's
id, so an approval that is retried never posts twice.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from uuid import UUID

from ebank.application import audit, idempotency, limits
from ebank.application.account_services import record_refusal
from ebank.application.context import Context
from ebank.application.corporate_files import (
    ControlTotals,
    check_lines,
    read_file,
    refuse_if_any,
)
from ebank.application.history_search import day_start_us
from ebank.application.idempotency import Done, IdempotentRequest, Response
from ebank.application.ledger import post_within
from ebank.application.payments import refusal
from ebank.application.ports import ConcurrencyConflict, UnitOfWork
from ebank.application.ports_corporate import (
    CorporatePayment,
    NewCorporatePayment,
    PaymentKind,
    PaymentLine,
    PaymentStatus,
)
from ebank.application.visibility import account_for, own_customer
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import Account, AccountStatus
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer
from ebank.domain.errors import (
    AccountNotFound,
    AccountStatusConflict,
    CorporatePaymentNotFound,
    CorporatePaymentNotPending,
    DomainError,
    InvalidInput,
    LimitExceeded,
    MakerCannotCheck,
)
from ebank.domain.money import Currency, format_minor
from ebank.domain.transfers import Transfer

WEB_CHANNEL = "web"
CORPORATE_ROLES = frozenset({Role.MAKER, Role.APPROVER, Role.VIEWER})
MAKERS = frozenset({Role.MAKER})
APPROVERS = frozenset({Role.APPROVER})
MAX_ATTEMPTS = 8
MAX_LIST = 200
MAX_REASON_LENGTH = 500
# The namespace of the ledger ids of corporate payments' transfers (uuid5).
PAYMENT_TRANSFER_NAMESPACE = UUID("3b8f0f5e-6a3c-5c1d-8e2a-7d4b9c1e0f21")


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment: CorporatePayment
    debit_number: str
    debit_name: str
    maker: str
    checker: str | None


def request_of(actor: Actor, key: str, *parts: str | bytes) -> IdempotentRequest:
    """The idempotent request of a form: the user, the form's key and a hash of what it
    asks (the fields, the file's bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return IdempotentRequest(
        idempotency.principal_of(actor.user_id), idempotency.check_key(key), digest.hexdigest()
    )


# -- entering payments ------------------------------------------------------------------
def submit_batch(
    ctx: Context,
    actor: Actor,
    *,
    debit_number: str,
    data: bytes,
    file_name: str,
    totals: ControlTotals,
    request: IdempotentRequest,
    tz: tzinfo,
) -> int:
    """Enter a batch file for approval; ``BatchFileRejected`` lists every bad line (and
    nothing is entered). Returns the payment's id."""

    def lines_of(uow: UnitOfWork, debit: Account) -> list[PaymentLine]:
        read, problems = read_file(data, debit.currency)
        payees = uow.corporate.accounts_by_numbers([ln.account_number for ln in read])
        good, more = check_lines(read, payees, debit, totals)
        refuse_if_any(problems + more)
        return good

    return _submit(
        ctx, actor, debit_number, PaymentKind.BATCH, lines_of, file_name[:200], request, tz
    )


def submit_single(
    ctx: Context,
    actor: Actor,
    *,
    debit_number: str,
    payee_number: str,
    payee_name: str,
    amount_text: str,
    reference: str,
    request: IdempotentRequest,
    tz: tzinfo,
) -> int:
    """Enter one transfer for approval, checked as one line of a file would be."""

    def lines_of(uow: UnitOfWork, debit: Account) -> list[PaymentLine]:
        fields = [payee_number.strip(), payee_name.strip(), amount_text.strip(), reference.strip()]
        csv_line = ",".join(_quoted(f) for f in fields).encode()
        read, problems = read_file(csv_line, debit.currency)
        payees = uow.corporate.accounts_by_numbers([ln.account_number for ln in read])
        good, more = check_lines(read, payees, debit, ControlTotals())
        refuse_if_any(problems + more)
        return good

    return _submit(ctx, actor, debit_number, PaymentKind.SINGLE, lines_of, None, request, tz)


def _quoted(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def _submit(
    ctx: Context,
    actor: Actor,
    debit_number: str,
    kind: PaymentKind,
    lines_of: Callable[[UnitOfWork, Account], list[PaymentLine]],
    file_name: str | None,
    request: IdempotentRequest,
    tz: tzinfo,
) -> int:
    action = "corporate.payment.submit"

    def work(uow: UnitOfWork) -> int:
        require_role(actor, MAKERS)
        now = ctx.clock.now_us()
        own_customer(uow, actor)
        debit = _paying_account(uow, actor, debit_number)
        lines = lines_of(uow, debit)
        total = sum(ln.amount_minor for ln in lines)
        since = day_start_us(ctx.clock.today(), tz)
        used = uow.corporate.maker_entered_since(actor.user_id, debit.currency, since)
        check_user_limits(uow, actor.user_id, debit.currency, total, used)
        assert actor.customer_id is not None
        payment_id = uow.corporate.add_payment(
            NewCorporatePayment(
                actor.customer_id,
                kind,
                actor.user_id,
                debit.id,
                debit.currency,
                lines,
                file_name,
                now,
            )
        )
        details = {
            "kind": kind.value,
            "count": len(lines),
            "total_minor": total,
            "currency": debit.currency,
            "account": debit.number,
            "file": file_name,
        }
        audit.record(
            uow,
            actor=actor,
            action=action,
            target=f"corporate_payment:{payment_id}",
            details=details,
            now_us=now,
        )
        return payment_id

    def respond(payment_id: int) -> Response:
        return Response(201, json.dumps({"payment_id": payment_id}))

    try:
        done: Done[int] = idempotency.run_once(ctx, request, work, respond)
    except DomainError as refused:
        record_refusal(ctx, actor, action, f"account:{debit_number}", refused)
        raise
    if done.result is not None:
        return done.result
    return int(json.loads(done.response.body)["payment_id"])


def _paying_account(uow: UnitOfWork, actor: Actor, number: str) -> Account:
    account = account_for(uow, actor, number.strip())
    if account.gl_kind is not None:
        raise AccountNotFound(f"no account {number}")
    if account.status is not AccountStatus.ACTIVE:
        raise AccountStatusConflict(f"account {number} is {account.status}")
    return account


def check_user_limits(
    uow: UnitOfWork, user_id: int, currency: str, total_minor: int, used_minor: int
) -> None:
    """Refuse a payment beyond the maker's own limits (none set: refused, on the safe
    side, until the bank sets them). Locks the limits row: two payments of one maker
    queue on it."""
    own = uow.corporate.limits_of(user_id, currency, lock=True)
    cur = Currency.of(currency)
    if own is None:
        raise LimitExceeded(
            "user_not_configured", 0, currency, f"no {currency} payment limits are set for you"
        )
    if total_minor > own.per_payment_minor:
        raise LimitExceeded(
            "user_per_payment",
            own.per_payment_minor,
            currency,
            f"one payment may be at most {format_minor(own.per_payment_minor, cur)} {currency}",
        )
    if used_minor + total_minor > own.daily_minor:
        remaining = max(0, own.daily_minor - used_minor)
        raise LimitExceeded(
            "user_daily",
            remaining,
            currency,
            f"your daily limit would be exceeded: {format_minor(remaining, cur)} remains",
        )


# -- approving and rejecting --------------------------------------------------------------
def transfer_id(payment_id: int, index: int) -> UUID:
    return uuid.uuid5(PAYMENT_TRANSFER_NAMESPACE, f"{payment_id}\x1f{index}")


def transfers_of(payment: CorporatePayment) -> list[Transfer]:
    """The linked transfers that post ``payment``: all of them or none."""
    n = len(payment.lines)
    code = TxCode.BATCH_PAYMENT if payment.kind is PaymentKind.BATCH else TxCode.TRANSFER
    return [
        Transfer(
            id=transfer_id(payment.payment_id, i),
            debit_account_id=payment.debit_account_id,
            credit_account_id=line.credit_account_id,
            amount_minor=line.amount_minor,
            currency=payment.currency,
            code=code,
            channel=WEB_CHANNEL,
            reference=line.reference or f"CP{payment.payment_id}",
            linked=i < n - 1,
        )
        for i, line in enumerate(payment.lines)
    ]


def approve_payment(ctx: Context, actor: Actor, payment_id: int, tz: tzinfo) -> CorporatePayment:
    """Approve and post a pending payment of the approver's company."""
    action = "corporate.payment.approve"
    try:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return _approve(ctx, actor, payment_id, tz)
            except ConcurrencyConflict:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
    except DomainError as refused:
        record_refusal(ctx, actor, action, f"corporate_payment:{payment_id}", refused)
        raise
    raise AssertionError("unreachable")


def _approve(ctx: Context, actor: Actor, payment_id: int, tz: tzinfo) -> CorporatePayment:
    require_role(actor, APPROVERS)
    with ctx.uow() as uow:
        payment = _own_payment(uow, actor, payment_id, lock=True)
        if payment.status is PaymentStatus.POSTED and payment.checker_id == actor.user_id:
            return payment  # the same approval sent twice: it was done the first time
        _check_decidable(payment, actor)
        customer = own_customer(uow, actor)
        now = ctx.clock.now_us()
        since = day_start_us(ctx.clock.today(), tz)
        used = uow.corporate.maker_posted_since(payment.maker_id, payment.currency, since)
        check_user_limits(uow, payment.maker_id, payment.currency, payment.total_minor, used)
        transfers = transfers_of(payment)
        refused = refusal(post_within(uow, transfers, now))
        if refused is not None:
            raise refused
        _count_bank_limits(ctx, uow, customer, payment)
        result = {"transfers": len(transfers), "first_transfer_id": str(transfers[0].id)}
        decided = uow.corporate.decide_payment(
            payment_id, PaymentStatus.POSTED, actor.user_id, None, result, now
        )
        assert decided, "the payment row is locked and was pending"
        audit.record(
            uow,
            actor=actor,
            action="corporate.payment.approve",
            target=f"corporate_payment:{payment_id}",
            details={
                "count": payment.count,
                "total_minor": payment.total_minor,
                "currency": payment.currency,
                "maker_id": payment.maker_id,
            },
            now_us=now,
        )
        posted = uow.corporate.payment(payment_id)
        uow.commit()
    assert posted is not None
    return posted


def _count_bank_limits(
    ctx: Context, uow: UnitOfWork, customer: Customer, payment: CorporatePayment
) -> None:
    limits.count_in(
        uow,
        ctx.clock.today(),
        customer,
        WEB_CHANNEL,
        payment.currency,
        [line.amount_minor for line in payment.lines],
    )


def reject_payment(ctx: Context, actor: Actor, payment_id: int, reason: str) -> CorporatePayment:
    """An approver of the company refuses a pending payment (never its maker)."""
    action = "corporate.payment.reject"
    reason = reason.strip()
    try:
        require_role(actor, APPROVERS)
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput(f"a reason has at most {MAX_REASON_LENGTH} characters")
        with ctx.uow() as uow:
            payment = _own_payment(uow, actor, payment_id, lock=True)
            _check_decidable(payment, actor)
            now = ctx.clock.now_us()
            uow.corporate.decide_payment(
                payment_id, PaymentStatus.REJECTED, actor.user_id, reason or None, None, now
            )
            audit.record(
                uow,
                actor=actor,
                action=action,
                target=f"corporate_payment:{payment_id}",
                details={"reason": reason},
                now_us=now,
            )
            rejected = uow.corporate.payment(payment_id)
            uow.commit()
    except DomainError as refused:
        record_refusal(ctx, actor, action, f"corporate_payment:{payment_id}", refused)
        raise
    assert rejected is not None
    return rejected


def _own_payment(
    uow: UnitOfWork, actor: Actor, payment_id: int, *, lock: bool = False
) -> CorporatePayment:
    """A payment of the actor's company; any other answers as not found."""
    payment = uow.corporate.payment(payment_id, lock=lock)
    if payment is None or actor.customer_id is None or payment.customer_id != actor.customer_id:
        raise CorporatePaymentNotFound(f"no payment {payment_id}")
    return payment


def _check_decidable(payment: CorporatePayment, actor: Actor) -> None:
    if payment.status is not PaymentStatus.PENDING:
        raise CorporatePaymentNotPending(f"payment {payment.payment_id} is {payment.status}")
    if payment.maker_id == actor.user_id:
        raise MakerCannotCheck("the maker of a payment never approves or rejects it")


# -- reading --------------------------------------------------------------------------------
def list_payments(
    ctx: Context, actor: Actor, statuses: frozenset[PaymentStatus] | None = None, limit: int = 50
) -> list[PaymentView]:
    """The company's payments, newest first."""
    require_role(actor, CORPORATE_ROLES)
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be 1 to {MAX_LIST}")
    with ctx.read() as uow:
        customer = own_customer(uow, actor)
        found = uow.corporate.payments(customer.id, statuses, limit)
        return [payment_view_of(uow, p) for p in found]


def view_payment(ctx: Context, actor: Actor, payment_id: int) -> PaymentView:
    require_role(actor, CORPORATE_ROLES)
    with ctx.read() as uow:
        return payment_view_of(uow, _own_payment(uow, actor, payment_id))


def payment_view_of(uow: UnitOfWork, payment: CorporatePayment) -> PaymentView:
    debit = uow.accounts.get(payment.debit_account_id)
    assert debit is not None
    maker = uow.users.get(payment.maker_id)
    checker = uow.users.get(payment.checker_id) if payment.checker_id else None
    return PaymentView(
        payment,
        debit.number,
        debit.name,
        maker.username if maker else "",
        checker.username if checker else None,
    )
