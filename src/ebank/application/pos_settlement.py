"""End-of-day POS settlement, for an explicit business date: each merchant is paid the
day's approved POS purchases, net of the reversals posted that day, from its branch's
clearing account (where the switch credited the purchases) to its settlement account,
less the fee (net x fee rate, rounded half-up to the minor unit) to the branch's fee
income. The two legs are linked: both post or neither.

Idempotent: the transfer ids are derived from the merchant and the date, so a second
run finds the first run's transfers and pays nothing again (it reports them as already
settled). A reversal posted after its purchase's day was settled counts on the day it
is posted; a day whose reversals exceed its sales pays nothing and says so.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.ledger import post_batch
from ebank.application.ports_terminals import MerchantRecord, PosMovement
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import GlKind
from ebank.domain.codes import TxCode
from ebank.domain.errors import TransferRefused
from ebank.domain.terminals import fee_minor
from ebank.domain.transfers import Result, Transfer

SETTLEMENT_NAMESPACE = uuid.UUID("8c1f4f0e-4b7a-5d39-9e61-2f0b1c6a7d52")
SETTLEMENT_CHANNEL = "pos"
BANK_TIMEZONE = "Asia/Shanghai"
MAX_MERCHANTS = 100_000


@dataclass(frozen=True, slots=True)
class MerchantSettlement:
    merchant_id: str
    name: str
    currency: str
    sales_count: int
    sales_minor: int
    reversals_count: int
    reversals_minor: int
    net_minor: int
    fee_minor: int
    paid_minor: int
    # settled | already_settled | nothing_to_pay | negative_day | currency_mismatch
    status: str


def settlement_ids(merchant_id: str, business_date: date) -> tuple[UUID, UUID]:
    """The ids of a merchant's payment and fee for a day: the same on every run."""
    name = f"pos-settlement/{merchant_id}/{business_date.isoformat()}"
    return uuid.uuid5(SETTLEMENT_NAMESPACE, f"{name}/pay"), uuid.uuid5(
        SETTLEMENT_NAMESPACE, f"{name}/fee"
    )


def day_bounds_us(business_date: date, timezone: str = BANK_TIMEZONE) -> tuple[int, int]:
    """[start, end) of the business date in the bank's time zone, in epoch microseconds."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(business_date, time(0), zone)
    end = datetime.combine(business_date + timedelta(days=1), time(0), zone)
    return int(start.timestamp()) * 1_000_000, int(end.timestamp()) * 1_000_000


def _by_merchant(moves: list[PosMovement]) -> dict[str, list[PosMovement]]:
    grouped: dict[str, list[PosMovement]] = defaultdict(list)
    for move in moves:
        grouped[move.merchant_id].append(move)
    return grouped


def _legs(
    ctx: Context, merchant: MerchantRecord, currency: str, business_date: date, net: int, fee: int
) -> list[Transfer]:
    with ctx.read() as uow:
        clearing = uow.accounts.gl_account(merchant.branch_code, GlKind.CLEARING, currency)
        income = uow.accounts.gl_account(merchant.branch_code, GlKind.FEE_INCOME, currency)
    assert clearing is not None and income is not None, "every branch has its GL accounts"
    pay_id, fee_id = settlement_ids(merchant.merchant_id, business_date)
    reference = f"POS settlement {merchant.merchant_id} {business_date.isoformat()}"
    legs = [
        Transfer(
            id=pay_id,
            debit_account_id=clearing.id,
            credit_account_id=merchant.settlement_account_id,
            amount_minor=net - fee,
            currency=currency,
            code=TxCode.POS_SETTLEMENT,
            channel=SETTLEMENT_CHANNEL,
            reference=reference,
            linked=fee > 0,
        )
    ]
    if fee > 0:
        legs.append(
            Transfer(
                id=fee_id,
                debit_account_id=clearing.id,
                credit_account_id=income.id,
                amount_minor=fee,
                currency=currency,
                code=TxCode.POS_MERCHANT_FEE,
                channel=SETTLEMENT_CHANNEL,
                reference=reference,
            )
        )
    return legs


def _settle_one(
    ctx: Context,
    merchant: MerchantRecord,
    business_date: date,
    sales: list[PosMovement],
    reversals: list[PosMovement],
) -> MerchantSettlement:
    with ctx.read() as uow:
        account = uow.accounts.get(merchant.settlement_account_id)
        pay_id, _ = settlement_ids(merchant.merchant_id, business_date)
        earlier = uow.journal.entry(pay_id)
    assert account is not None, "a merchant settles to an existing account"
    currency = account.currency
    sales_minor = sum(m.amount_minor for m in sales)
    reversals_minor = sum(m.amount_minor for m in reversals)
    net = sales_minor - reversals_minor
    fee = fee_minor(net, merchant.fee_rate) if net > 0 else 0

    def report(paid: int, status: str) -> MerchantSettlement:
        return MerchantSettlement(
            merchant.merchant_id,
            merchant.name,
            currency,
            len(sales),
            sales_minor,
            len(reversals),
            reversals_minor,
            net,
            fee,
            paid,
            status,
        )

    if any(m.currency != currency for m in (*sales, *reversals)):
        return report(0, "currency_mismatch")
    if earlier is not None:
        return report(earlier.amount_minor, "already_settled")
    if net <= 0:
        return report(0, "negative_day" if net < 0 else "nothing_to_pay")
    outcome = post_batch(ctx, _legs(ctx, merchant, currency, business_date, net, fee))
    failed = [r for r in outcome.results if r is not Result.OK]
    if failed:
        raise TransferRefused(failed[0].value)
    return report(net - fee, "already_settled" if all(outcome.replayed) else "settled")


def settle_pos(
    ctx: Context, actor: Actor | None, business_date: date, *, timezone: str = BANK_TIMEZONE
) -> list[MerchantSettlement]:
    """Settle every merchant's POS sales of ``business_date``; a report per merchant
    that sold or had a reversal that day, by merchant id."""
    if actor is not None:
        require_role(actor, frozenset({Role.OPERATIONS, Role.ADMIN}))
    start, end = day_bounds_us(business_date, timezone)
    with ctx.read() as uow:
        sales = _by_merchant(uow.terminals.pos_sales(start, end))
        reversals = _by_merchant(uow.terminals.pos_reversals(start, end))
        known = {m.merchant_id: m for m in uow.terminals.merchants(MAX_MERCHANTS)}
    reports = [
        _settle_one(ctx, known[mid], business_date, sales.get(mid, []), reversals.get(mid, []))
        for mid in sorted(set(sales) | set(reversals))
        if mid in known
    ]
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        audit.record(
            uow,
            actor=actor,
            action="pos.settle",
            target=f"date:{business_date.isoformat()}",
            details={
                "merchants": len(reports),
                "settled": sum(1 for r in reports if r.status == "settled"),
                "paid_minor": sum(r.paid_minor for r in reports if r.status == "settled"),
            },
            now_us=now,
        )
        uow.commit()
    return reports
