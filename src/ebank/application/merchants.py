"""POS merchants: registered with their category code, branch, settlement account and
fee rate; their POS purchases are paid to the settlement account, less the fee, by the
end-of-day run (``pos_settlement``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ebank.application.account_services import Audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_terminals import MerchantRecord
from ebank.application.terminals import TERMINAL_ROLES, run_as
from ebank.application.visibility import branches_in_scope, check_branch
from ebank.domain.access import Actor, require_role
from ebank.domain.accounts import AccountStatus
from ebank.domain.errors import AccountNotFound, BranchNotFound, InvalidInput
from ebank.domain.terminals import (
    MAX_NAME,
    MerchantStatus,
    check_fee_rate,
    check_mcc,
    check_merchant_id,
    check_text,
)

MAX_MERCHANTS_LISTED = 2000


@dataclass(frozen=True, slots=True)
class MerchantView:
    merchant_id: str
    name: str
    mcc: str
    branch_code: str
    settlement_account_number: str
    fee_rate: Decimal
    status: MerchantStatus


def _view(uow: UnitOfWork, merchant: MerchantRecord) -> MerchantView:
    account = uow.accounts.get(merchant.settlement_account_id)
    assert account is not None, "a merchant settles to an existing account (foreign key)"
    return MerchantView(
        merchant_id=merchant.merchant_id,
        name=merchant.name,
        mcc=merchant.mcc,
        branch_code=merchant.branch_code,
        settlement_account_number=account.number,
        fee_rate=merchant.fee_rate,
        status=merchant.status,
    )


def add_merchant(
    ctx: Context,
    actor: Actor | None,
    merchant_id: str,
    name: str,
    mcc: str,
    branch_code: str,
    settlement_account_number: str,
    fee_rate: Decimal,
) -> MerchantView:
    """Register a merchant, settled to a customer account of the bank in its currency."""
    check_merchant_id(merchant_id)
    check_mcc(mcc)
    check_fee_rate(fee_rate)
    title = check_text(name, "merchant name", MAX_NAME)

    def work(uow: UnitOfWork, now: int) -> Audited[MerchantView]:
        if uow.branches.get(branch_code) is None:
            raise BranchNotFound(f"no branch {branch_code}")
        if actor is not None:
            check_branch(uow, actor, branch_code)
        account = uow.accounts.by_number(settlement_account_number.strip())
        if account is None:
            raise AccountNotFound(f"no account {settlement_account_number}")
        if account.gl_kind is not None or account.status is AccountStatus.CLOSED:
            raise InvalidInput("a merchant settles to an open customer account")
        record = MerchantRecord(
            merchant_id=merchant_id,
            name=title,
            mcc=mcc,
            branch_code=branch_code,
            settlement_account_id=account.id,
            fee_rate=fee_rate,
            status=MerchantStatus.ACTIVE,
            created_at_us=now,
        )
        uow.terminals.add_merchant(record)
        details = {
            "name": title,
            "mcc": mcc,
            "branch": branch_code,
            "settlement_account": account.number,
            "fee_rate": str(fee_rate),
        }
        return Audited(_view(uow, record), f"merchant:{merchant_id}", details)

    return run_as(ctx, actor, "merchant.add", work, f"merchant:{merchant_id}")


def list_merchants(ctx: Context, actor: Actor | None) -> list[MerchantView]:
    """Every merchant (staff: those of their branch subtree), by id."""
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)
    with ctx.read() as uow:
        records = uow.terminals.merchants(MAX_MERCHANTS_LISTED)
        if actor is not None:
            scope = branches_in_scope(uow, actor)
            if scope is not None:
                records = [m for m in records if m.branch_code in scope]
        return [_view(uow, m) for m in records]
