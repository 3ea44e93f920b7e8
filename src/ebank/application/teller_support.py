"""The teller's counter, its parts: what the counter returns, the accounts it moves
cash between, and the idempotent run of a counter step (see ``teller``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TypeVar
from uuid import UUID

from ebank.application import idempotency
from ebank.application.banking import ACCOUNT_SERIAL
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest, Response
from ebank.application.ledger import post_within
from ebank.application.ports import UnitOfWork
from ebank.application.ports_office import Shift, ShiftStatus
from ebank.application.visibility import account_for
from ebank.domain.access import Actor, Role
from ebank.domain.accounts import (
    Account,
    AccountStatus,
    GlKind,
    account_number,
    product,
)
from ebank.domain.codes import TxCode
from ebank.domain.errors import (
    AccountNotFound,
    InvalidInput,
    NoOpenShift,
    TransferRefused,
)
from ebank.domain.money import Money
from ebank.domain.transfers import Result, Transfer

COUNTER_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR})
COUNTER_CHANNEL = "branch"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CounterReceipt:
    """What the counter did: posted (``transfer_id``), or waiting for a supervisor."""

    kind: str  # "deposit" or "withdrawal"
    account_number: str
    amount_minor: int
    currency: str
    transfer_id: str | None = None
    approval_id: int | None = None

    @property
    def waiting(self) -> bool:
        return self.approval_id is not None


@dataclass(frozen=True, slots=True)
class CashBox:
    """The teller's box as the counter page shows it."""

    shift: Shift | None
    account: Account | None
    balance_minor: int
    recent: list[Shift]


def positive(amount: Money) -> Money:
    if amount.minor <= 0:
        raise InvalidInput("the amount must be positive")
    return amount


def vault_of(uow: UnitOfWork, branch_code: str, currency: str) -> Account:
    vault = uow.accounts.gl_account(branch_code, GlKind.CASH, currency)
    if vault is None:
        raise AccountNotFound(f"branch {branch_code} has no {currency} cash vault")
    return vault


def suspense_of(uow: UnitOfWork, branch_code: str, currency: str) -> Account:
    suspense = uow.accounts.gl_account(branch_code, GlKind.SUSPENSE, currency)
    if suspense is None:
        raise AccountNotFound(f"branch {branch_code} has no {currency} suspense account")
    return suspense


def open_box(uow: UnitOfWork, actor: Actor, currency: str, now: int) -> Account:
    """The teller's cash box in ``currency``, opened on first use in their branch."""
    teller = uow.teller
    box = teller.cash_box(actor.user_id, currency)
    if box is not None:
        return box
    assert actor.branch_code is not None
    cash = product("GL-CASH")
    serial = uow.sequences.next_block(ACCOUNT_SERIAL, 1)
    box = Account(
        id=serial,
        number=account_number(actor.branch_code, serial),
        product_code=cash.code,
        currency=currency,
        branch_code=actor.branch_code,
        customer_id=None,
        name=f"Teller cash {actor.username} {currency}",
        status=AccountStatus.ACTIVE,
        overdraft_limit_minor=0,
        debits_must_not_exceed_credits=cash.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=cash.credits_must_not_exceed_debits,
        gl_kind=GlKind.TELLER_CASH,
        opened_at_us=now,
    )
    teller.add_cash_box(box, actor.user_id)
    return box


def post(uow: UnitOfWork, transfers: list[Transfer], now: int) -> bool:
    """Post ``transfers`` in the caller's unit of work; a refusal raises (and the unit
    of work rolls back). Returns whether they were all posted before (a replay)."""
    outcome = post_within(uow, transfers, now)
    for result in outcome.results:
        if result is not Result.OK:
            raise TransferRefused(result.value)
    return all(outcome.replayed)


def current(uow: UnitOfWork, actor: Actor, currency: str) -> Shift:
    shift = uow.teller.current_shift(actor.user_id, currency)
    if shift is None:
        raise NoOpenShift(f"open your {currency} shift first")
    return shift


def keep(
    ctx: Context,
    idem: IdempotentRequest,
    work: Callable[[UnitOfWork], T],
    encode: Callable[[T], str],
    decode: Callable[[str], T],
) -> T:
    """Run ``work`` once per idempotency key: a resend gets the first answer back."""
    done = idempotency.run_once(ctx, idem, work, lambda value: Response(200, encode(value)))
    return done.result if done.result is not None else decode(done.response.body)


def shift_json(shift: Shift) -> str:
    return json.dumps(asdict(shift))


def shift_from_json(body: str) -> Shift:
    fields = json.loads(body)
    fields["status"] = ShiftStatus(fields["status"])
    return Shift(**fields)


def receipt_json(receipt: CounterReceipt) -> str:
    return json.dumps(asdict(receipt))


def receipt_from_json(body: str) -> CounterReceipt:
    return CounterReceipt(**json.loads(body))


def leg(actor: Actor, idem: IdempotentRequest, index: int) -> UUID:
    return idempotency.transfer_id(actor.user_id, idem.key, index)


def cash_move(
    transfer_id: UUID,
    debit: Account,
    credit: Account,
    amount: Money,
    reference: str,
    code: int = TxCode.TRANSFER,
) -> Transfer:
    return Transfer(
        id=transfer_id,
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount_minor=amount.minor,
        currency=amount.currency.code,
        code=code,
        channel=COUNTER_CHANNEL,
        reference=reference[:64],
    )


def customer_account(uow: UnitOfWork, actor: Actor, number: str) -> Account:
    account = account_for(uow, actor, number.strip())
    if account.gl_kind is not None:
        raise AccountNotFound(f"{number} is an internal account: name a customer account")
    return account
