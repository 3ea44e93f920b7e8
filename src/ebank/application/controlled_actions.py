"""The staff actions under dual control: how each is asked for, and how it runs.

A staff member asks (``staff_transfer``, ``manual_adjustment``, ``fee_waiver``,
``cash_withdrawal``, ``change_status``; limit changes live in ``limits.py``): the request is checked
(roles, branch scope, accounts) and recorded as a payload of plain values, ledger
transfer ids included, and handed to ``approvals.submit_or_run_in``. The executor runs
the payload later (or at once) inside the approving unit of work. Executors check before
they write, so a refusal leaves nothing behind; the ledger itself refuses what no longer
holds when the action runs (a frozen account, insufficient funds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ebank.application import banking, limits
from ebank.application.approvals import ApprovalOutcome, Executor, submit_or_run_in
from ebank.application.ledger import post_within
from ebank.application.ports import UnitOfWork
from ebank.application.visibility import account_for
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import Account, AccountStatus, GlKind
from ebank.domain.approvals import ControlledAction
from ebank.domain.codes import TxCode
from ebank.domain.errors import AccountNotFound, InvalidInput, TransferRefused
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import Result, Transfer

API_CHANNEL = "api"
# Who may ask for each action (the checker roles come from the dual-control rules).
MONEY_MAKERS = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS})
STATUS_MAKERS = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class StaffMove:
    """A staff member's order to move money between two named accounts."""

    debit_number: str
    credit_number: str
    amount: Money
    reference: str


def _money(amount_minor: int, currency: str) -> Money:
    money = Money(amount_minor, Currency.of(currency))
    if money.minor <= 0:
        raise InvalidInput("the amount must be positive")
    return money


def _customer_account(uow: UnitOfWork, actor: Actor, number: str) -> Account:
    account = account_for(uow, actor, number)
    if account.gl_kind is not None:
        raise AccountNotFound(f"{number} is an internal account: name a customer account")
    return account


def _gl(uow: UnitOfWork, branch_code: str, kind: GlKind, currency: str) -> Account:
    gl = uow.accounts.gl_account(branch_code, kind, currency)
    if gl is None:
        raise AccountNotFound(f"branch {branch_code} has no {kind} account in {currency}")
    return gl


def _move_payload(
    transfer_id: UUID, debit: Account, credit: Account, amount: Money, code: int, reference: str
) -> dict[str, Any]:
    return {
        "transfer_id": str(transfer_id),
        "debit_number": debit.number,
        "credit_number": credit.number,
        "amount_minor": amount.minor,
        "currency": amount.currency.code,
        "code": code,
        "reference": reference,
    }


def _submit_move(
    uow: UnitOfWork,
    now_us: int,
    actor: Actor,
    action: ControlledAction,
    payload: dict[str, Any],
    branch_code: str,
    summary: str,
) -> ApprovalOutcome:
    return submit_or_run_in(
        uow,
        now_us,
        actor,
        action.value,
        payload,
        amount_minor=int(payload["amount_minor"]),
        currency=str(payload["currency"]),
        branch_code=branch_code,
        summary=summary,
    )


# -- asking -------------------------------------------------------------------------------
def staff_transfer(
    uow: UnitOfWork, now_us: int, actor: Actor, order: StaffMove, transfer_id: UUID
) -> ApprovalOutcome:
    """A teller moves money between two customer accounts of their branch scope (on a
    customer's written order)."""
    require_role(actor, MONEY_MAKERS)
    debit = _customer_account(uow, actor, order.debit_number)
    credit = _customer_account(uow, actor, order.credit_number)
    payload = _move_payload(
        transfer_id, debit, credit, order.amount, TxCode.TRANSFER, order.reference
    )
    summary = f"Transfer {order.amount} from {debit.number} to {credit.number}"
    return _submit_move(
        uow, now_us, actor, ControlledAction.STAFF_TRANSFER, payload, debit.branch_code, summary
    )


def manual_adjustment(
    uow: UnitOfWork,
    now_us: int,
    actor: Actor,
    account_number: str,
    amount: Money,
    *,
    credit_customer: bool,
    reference: str,
    transfer_id: UUID,
) -> ApprovalOutcome:
    """Correct a customer account against the branch's suspense account: credit it
    (``credit_customer``) or debit it."""
    require_role(actor, MONEY_MAKERS)
    if not reference.strip():
        raise InvalidInput("a manual adjustment needs a reference saying why")
    account = _customer_account(uow, actor, account_number)
    suspense = _gl(uow, account.branch_code, GlKind.SUSPENSE, amount.currency.code)
    debit, credit = (suspense, account) if credit_customer else (account, suspense)
    payload = _move_payload(transfer_id, debit, credit, amount, TxCode.TRANSFER, reference)
    payload["account_number"] = account.number
    side = "Credit" if credit_customer else "Debit"
    summary = f"{side} {account.number} {amount} against suspense: {reference}"
    return _submit_move(
        uow,
        now_us,
        actor,
        ControlledAction.MANUAL_ADJUSTMENT,
        payload,
        account.branch_code,
        summary,
    )


def fee_waiver(
    uow: UnitOfWork,
    now_us: int,
    actor: Actor,
    account_number: str,
    amount: Money,
    *,
    reference: str,
    transfer_id: UUID,
) -> ApprovalOutcome:
    """Refund a fee to a customer account from the branch's fee income."""
    require_role(actor, MONEY_MAKERS)
    account = _customer_account(uow, actor, account_number)
    fees = _gl(uow, account.branch_code, GlKind.FEE_INCOME, amount.currency.code)
    payload = _move_payload(
        transfer_id, fees, account, amount, TxCode.FEE, reference or "fee waived"
    )
    payload["account_number"] = account.number
    summary = f"Refund fee {amount} to {account.number}"
    return _submit_move(
        uow, now_us, actor, ControlledAction.FEE_WAIVER, payload, account.branch_code, summary
    )


def cash_withdrawal(
    uow: UnitOfWork,
    now_us: int,
    actor: Actor,
    account_number: str,
    amount: Money,
    *,
    reference: str,
    transfer_id: UUID,
) -> ApprovalOutcome:
    """Cash paid out at the teller's counter: debit the account, credit the cash of the
    teller's branch. Large amounts wait for a supervisor before the cash leaves."""
    require_role(actor, MONEY_MAKERS)
    assert actor.branch_code is not None
    account = _customer_account(uow, actor, account_number)
    cash = _gl(uow, actor.branch_code, GlKind.CASH, amount.currency.code)
    payload = _move_payload(
        transfer_id,
        account,
        cash,
        amount,
        TxCode.CASH_WITHDRAWAL,
        reference or f"cash withdrawal at {actor.branch_code}",
    )
    payload["account_number"] = account.number
    summary = f"Pay out {amount} in cash from {account.number} at {actor.branch_code}"
    return _submit_move(
        uow,
        now_us,
        actor,
        ControlledAction.CASH_WITHDRAWAL,
        payload,
        actor.branch_code,
        summary,
    )


def change_status(
    uow: UnitOfWork, now_us: int, actor: Actor, account_number: str, *, freeze: bool, reason: str
) -> ApprovalOutcome:
    """Freeze (只收不付: credits still arrive) or unfreeze an account, for a stated reason."""
    require_role(actor, STATUS_MAKERS)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("a reason of 1 to 200 characters is required")
    account = _customer_account(uow, actor, account_number)
    action = ControlledAction.ACCOUNT_FREEZE if freeze else ControlledAction.ACCOUNT_UNFREEZE
    verb = "Freeze" if freeze else "Unfreeze"
    return submit_or_run_in(
        uow,
        now_us,
        actor,
        action.value,
        {"account_number": account.number, "reason": reason},
        amount_minor=None,
        currency=None,
        branch_code=account.branch_code,
        summary=f"{verb} {account.number}: {reason}",
    )


# -- running ------------------------------------------------------------------------------
def _run_move(uow: UnitOfWork, payload: Mapping[str, Any], now_us: int) -> dict[str, object]:
    accounts = []
    for key in ("debit_number", "credit_number"):
        found = uow.accounts.by_number(str(payload[key]))
        if found is None:
            raise AccountNotFound(f"no account {payload[key]}")
        accounts.append(found)
    transfer = Transfer(
        id=UUID(str(payload["transfer_id"])),
        debit_account_id=accounts[0].id,
        credit_account_id=accounts[1].id,
        amount_minor=int(payload["amount_minor"]),
        currency=str(payload["currency"]),
        code=int(payload["code"]),
        channel=str(payload.get("channel", API_CHANNEL)),  # the counter records "branch"
        reference=str(payload["reference"]),
    )
    outcome = post_within(uow, [transfer], now_us)
    if outcome.results[0] is not Result.OK:
        raise TransferRefused(outcome.results[0].value)
    return {
        "transfer_id": str(transfer.id),
        "debit_number": accounts[0].number,
        "credit_number": accounts[1].number,
        "amount_minor": transfer.amount_minor,
        "currency": transfer.currency,
        "replayed": outcome.replayed[0],
    }


def _run_status(new: AccountStatus) -> Executor:
    def run(uow: UnitOfWork, payload: Mapping[str, Any], now_us: int) -> dict[str, object]:
        number = str(payload["account_number"])
        before = banking.change_status_in(uow, now_us, number, new)
        return {
            "account_number": number,
            "previous_status": before.status.value,
            "status": new.value,
        }

    return run


EXECUTORS: dict[str, Executor] = {
    ControlledAction.STAFF_TRANSFER: _run_move,
    ControlledAction.MANUAL_ADJUSTMENT: _run_move,
    ControlledAction.FEE_WAIVER: _run_move,
    ControlledAction.CASH_WITHDRAWAL: _run_move,
    ControlledAction.ACCOUNT_FREEZE: _run_status(AccountStatus.FROZEN),
    ControlledAction.ACCOUNT_UNFREEZE: _run_status(AccountStatus.ACTIVE),
    ControlledAction.LIMIT_CHANGE: limits.run_change,
}
