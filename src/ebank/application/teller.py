"""The teller's counter: a shift with the teller's own cash box, cash paid in and out
against it, and the count at the end of the shift.

A shift opens with a float: cash moved from the branch vault (the branch's ``cash``
account) into the teller's box (their own ``teller_cash`` account, opened on first
use). Deposits and withdrawals at the counter move money between the box and the
customer's account (channel ``branch``); a withdrawal above the dual-control threshold
waits for a supervisor, like any cash paid out by staff. At the end of the shift the
teller counts the box: the ledger says what it should hold, a difference is recorded
(and posted against the branch's suspense account, for investigation), and the counted
cash goes back to the vault, so the box ends every shift empty.

Every step is one unit of work with its audit entry; the money-moving steps take an
``IdempotentRequest`` so a form sent twice moves nothing twice.
"""

from __future__ import annotations

from ebank.application import audit
from ebank.application.approvals import submit_or_run_in
from ebank.application.context import Context
from ebank.application.idempotency import IdempotentRequest
from ebank.application.ports import UnitOfWork
from ebank.application.ports_office import Shift, ShiftClose, ShiftStatus
from ebank.application.teller_support import (
    COUNTER_CHANNEL,
    COUNTER_ROLES,
    CashBox,
    CounterReceipt,
    cash_move,
    current,
    customer_account,
    keep,
    leg,
    open_box,
    positive,
    post,
    receipt_from_json,
    receipt_json,
    shift_from_json,
    shift_json,
    suspense_of,
    vault_of,
)
from ebank.domain.access import Actor, require_role
from ebank.domain.accounts import (
    Account,
)
from ebank.domain.approvals import ControlledAction
from ebank.domain.codes import TxCode
from ebank.domain.errors import (
    InvalidInput,
    ShiftAlreadyOpen,
    TellerCashShort,
)
from ebank.domain.money import Money
from ebank.domain.transfers import Transfer

MAX_NOTE_LENGTH = 500


# -- the use cases ---------------------------------------------------------------------
def cash_box(ctx: Context, actor: Actor, currency: str) -> CashBox:
    """The teller's open shift (if any), their box and its balance, and recent shifts."""
    require_role(actor, COUNTER_ROLES)
    with ctx.read() as uow:
        teller = uow.teller
        box = teller.cash_box(actor.user_id, currency)
        balance = uow.accounts.balances(box.id).ledger_minor if box is not None else 0
        open_shift = next(
            (s for s in teller.recent_shifts(actor.user_id, 1) if s.status is ShiftStatus.OPEN),
            None,
        )
        return CashBox(open_shift, box, balance, teller.recent_shifts(actor.user_id, 5))


def open_shift(ctx: Context, actor: Actor, float_amount: Money, idem: IdempotentRequest) -> Shift:
    """Open the teller's shift: the float moves from the branch vault into their box."""
    require_role(actor, COUNTER_ROLES)
    assert actor.branch_code is not None
    currency = float_amount.currency.code
    if float_amount.minor < 0:
        raise InvalidInput("the float cannot be negative")

    def work(uow: UnitOfWork) -> Shift:
        now = ctx.clock.now_us()
        teller = uow.teller
        if teller.current_shift(actor.user_id, currency) is not None:
            raise ShiftAlreadyOpen(f"your {currency} shift is already open")
        box = open_box(uow, actor, currency, now)
        if float_amount.minor:
            vault = vault_of(uow, box.branch_code, currency)
            post(
                uow,
                [
                    cash_move(
                        leg(actor, idem, 0), box, vault, float_amount, f"float to {actor.username}"
                    )
                ],
                now,
            )
        shift = teller.open_shift(actor.user_id, box.branch_code, box.id, currency, now)
        audit.record(
            uow,
            actor=actor,
            action="teller.shift_open",
            target=f"shift:{shift.id}",
            details={"box": box.number, "float_minor": float_amount.minor, "currency": currency},
            now_us=now,
        )
        return shift

    return keep(ctx, idem, work, shift_json, shift_from_json)


def cash_deposit(
    ctx: Context,
    actor: Actor,
    account_number: str,
    amount: Money,
    idem: IdempotentRequest,
) -> CounterReceipt:
    """Cash paid in at the counter: from the teller's box into the customer's account."""
    require_role(actor, COUNTER_ROLES)
    positive(amount)

    def work(uow: UnitOfWork) -> CounterReceipt:
        now = ctx.clock.now_us()
        shift = current(uow, actor, amount.currency.code)
        account = customer_account(uow, actor, account_number)
        box = uow.accounts.get(shift.box_account_id)
        assert box is not None
        transfer_id = leg(actor, idem, 0)
        move = cash_move(
            transfer_id,
            box,
            account,
            amount,
            f"cash deposit at {box.branch_code}",
            TxCode.CASH_DEPOSIT,
        )
        post(uow, [move], now)
        receipt = CounterReceipt(
            "deposit",
            account.number,
            amount.minor,
            amount.currency.code,
            transfer_id=str(transfer_id),
        )
        audit.record(
            uow,
            actor=actor,
            action="teller.cash_deposit",
            target=f"account_number:{account.number}",
            details={
                "amount_minor": amount.minor,
                "currency": amount.currency.code,
                "shift": shift.id,
                "transfer_id": str(transfer_id),
            },
            now_us=now,
        )
        return receipt

    return keep(ctx, idem, work, receipt_json, receipt_from_json)


def cash_withdrawal(
    ctx: Context,
    actor: Actor,
    account_number: str,
    amount: Money,
    idem: IdempotentRequest,
) -> CounterReceipt:
    """Cash paid out at the counter: from the customer's account into the teller's box
    (the cash leaves it across the counter). Above the dual-control threshold it waits
    for a supervisor: hand the cash over only once approved."""
    require_role(actor, COUNTER_ROLES)
    positive(amount)

    def work(uow: UnitOfWork) -> CounterReceipt:
        now = ctx.clock.now_us()
        shift = current(uow, actor, amount.currency.code)
        account = customer_account(uow, actor, account_number)
        box = uow.accounts.get(shift.box_account_id)
        assert box is not None
        if uow.accounts.balances(box.id).ledger_minor < amount.minor:
            raise TellerCashShort(f"your box holds less than {amount}")
        transfer_id = leg(actor, idem, 0)
        payload = {
            "transfer_id": str(transfer_id),
            "debit_number": account.number,
            "credit_number": box.number,
            "amount_minor": amount.minor,
            "currency": amount.currency.code,
            "code": int(TxCode.CASH_WITHDRAWAL),
            "reference": f"cash withdrawal at {box.branch_code}",
            "channel": COUNTER_CHANNEL,
            "account_number": account.number,
        }
        outcome = submit_or_run_in(
            uow,
            now,
            actor,
            ControlledAction.CASH_WITHDRAWAL.value,
            payload,
            amount_minor=amount.minor,
            currency=amount.currency.code,
            branch_code=account.branch_code,
            summary=f"Pay out {amount} in cash from {account.number} at {box.branch_code}",
        )
        approval_id = outcome.approval.id if outcome.approval is not None else None
        return CounterReceipt(
            "withdrawal",
            account.number,
            amount.minor,
            amount.currency.code,
            transfer_id=None if approval_id else str(transfer_id),
            approval_id=approval_id,
        )

    return keep(ctx, idem, work, receipt_json, receipt_from_json)


def close_shift(
    ctx: Context,
    actor: Actor,
    counted: Money,
    idem: IdempotentRequest,
    note: str = "",
) -> Shift:
    """End the shift: compare the count with the ledger, record any difference (posted
    against the branch's suspense account), and return the counted cash to the vault."""
    require_role(actor, COUNTER_ROLES)
    if counted.minor < 0:
        raise InvalidInput("the count cannot be negative")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"a note has at most {MAX_NOTE_LENGTH} characters")

    def work(uow: UnitOfWork) -> Shift:
        now = ctx.clock.now_us()
        currency = counted.currency.code
        shift = current(uow, actor, currency)
        box = uow.accounts.lock(shift.box_account_id)
        assert box is not None
        expected = uow.accounts.balances(box.id).ledger_minor
        difference = counted.minor - expected
        post(uow, _closing_moves(uow, actor, idem, box, counted, difference), now)
        status = ShiftStatus.BALANCED if difference == 0 else ShiftStatus.DIFFERENCE
        close = ShiftClose(expected, counted.minor, difference, status, note, now)
        uow.teller.close_shift(shift.id, close)
        audit.record(
            uow,
            actor=actor,
            action="teller.shift_close",
            target=f"shift:{shift.id}",
            outcome=status.value,
            details={
                "expected_minor": expected,
                "counted_minor": counted.minor,
                "difference_minor": difference,
                "currency": currency,
            },
            now_us=now,
        )
        return Shift(
            shift.id,
            shift.user_id,
            shift.branch_code,
            shift.box_account_id,
            currency,
            status,
            shift.opened_at_us,
            now,
            expected,
            counted.minor,
            difference,
            note or None,
        )

    return keep(ctx, idem, work, shift_json, shift_from_json)


def _closing_moves(
    uow: UnitOfWork,
    actor: Actor,
    idem: IdempotentRequest,
    box: Account,
    counted: Money,
    difference: int,
) -> list[Transfer]:
    """The difference against suspense (so the box holds what was counted), then the
    counted cash back to the vault (so the box is empty)."""
    currency = counted.currency
    moves = []
    if difference:
        suspense = suspense_of(uow, box.branch_code, currency.code)
        gap = Money(abs(difference), currency)
        debit, credit = (box, suspense) if difference > 0 else (suspense, box)
        moves.append(
            cash_move(leg(actor, idem, 0), debit, credit, gap, f"cash difference {actor.username}")
        )
    if counted.minor:
        vault = vault_of(uow, box.branch_code, currency.code)
        moves.append(
            cash_move(
                leg(actor, idem, 1), vault, box, counted, f"cash return from {actor.username}"
            )
        )
    return moves
