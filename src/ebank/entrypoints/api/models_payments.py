"""Request and response models of payments and their controls: transfers, linked
batches, step-up challenges, holds, limits, approvals and the staff's money actions.

Amounts are integer minor units (``amount_minor``) with an ISO 4217 currency: a float,
or a number sent as a string, is refused. Times are ISO 8601 in the bank's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, Strict

from ebank.application.payments import PaymentOrder, PaymentResult, StepUpProof
from ebank.domain.approvals import Approval, ApprovalStatus
from ebank.domain.customers import Tier
from ebank.domain.limits import TransactionLimit
from ebank.domain.money import MAX_AMOUNT_MINOR
from ebank.domain.step_up import Challenge
from ebank.domain.transfers import (
    MAX_REFERENCE_LENGTH,
    MAX_TIMEOUT_S,
    JournalEntry,
    PendingStatus,
    TransferKind,
)
from ebank.entrypoints.api.models_accounts import ACCOUNT_NUMBER, CURRENCY_CODE, MoneyOut, at

AmountMinor = Annotated[
    int, Strict(), Field(gt=0, le=MAX_AMOUNT_MINOR, description="Integer minor units")
]
Currency = Annotated[str, Field(pattern=CURRENCY_CODE, examples=["CNY"])]
AccountNumber = Annotated[str, Field(pattern=ACCOUNT_NUMBER, examples=["0100000000000011"])]
Reference = Annotated[str, Field(max_length=MAX_REFERENCE_LENGTH)]
MAX_LEGS = 100


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- transfers ----------------------------------------------------------------------------
class StepUpIn(_In):
    """The confirmation of a payment that needs step-up."""

    challenge_id: UUID
    otp: str = Field(pattern=r"^[0-9]{6,8}$", description="The authenticator app's code")

    def proof(self) -> StepUpProof:
        return StepUpProof(self.challenge_id, self.otp)


class TransferLegIn(_In):
    debit_account: AccountNumber = Field(description="One of your own accounts")
    credit_account: AccountNumber | None = Field(
        default=None, description="The payee's account number (or give beneficiary_id)"
    )
    beneficiary_id: Annotated[int, Strict()] | None = Field(
        default=None, gt=0, description="A saved payee (or give credit_account)"
    )
    amount_minor: AmountMinor
    currency: Currency
    reference: Reference = ""

    def order(self) -> PaymentOrder:
        return PaymentOrder(
            debit_number=self.debit_account,
            amount_minor=self.amount_minor,
            currency=self.currency,
            credit_number=self.credit_account,
            beneficiary_id=self.beneficiary_id,
            reference=self.reference,
        )


class TransferIn(TransferLegIn):
    step_up: StepUpIn | None = Field(
        default=None, description="Needed above the step-up threshold or to a new payee"
    )


class BatchIn(_In):
    transfers: list[TransferLegIn] = Field(min_length=1, max_length=MAX_LEGS)
    step_up: StepUpIn | None = None


class ChallengeIn(_In):
    """The payment to confirm: one transfer's fields, or ``transfers`` for a batch."""

    debit_account: AccountNumber | None = None
    credit_account: AccountNumber | None = None
    beneficiary_id: Annotated[int, Strict()] | None = Field(default=None, gt=0)
    amount_minor: AmountMinor | None = None
    currency: Currency | None = None
    transfers: list[TransferLegIn] | None = Field(default=None, min_length=1, max_length=MAX_LEGS)


class ChallengeOut(BaseModel):
    challenge_id: UUID
    summary: str = Field(description="Show this to the customer before they confirm")
    expires_at: datetime

    @classmethod
    def of(cls, c: Challenge) -> Self:
        return cls(challenge_id=c.id, summary=c.summary, expires_at=at(c.expires_at_us))


class TransferOut(BaseModel):
    id: UUID
    kind: TransferKind
    debit_account: str
    credit_account: str
    amount: MoneyOut
    reference: str
    channel: str
    created_at: datetime
    pending_id: UUID | None = Field(default=None, description="The hold a capture or void resolves")
    pending_status: PendingStatus | None = Field(default=None, description="Of a hold")
    expires_at: datetime | None = Field(default=None, description="When a hold lapses")

    @classmethod
    def of(cls, e: JournalEntry, numbers: Mapping[int, str]) -> Self:
        return cls(
            id=e.id,
            kind=e.kind,
            debit_account=numbers.get(e.debit_account_id, ""),
            credit_account=numbers.get(e.credit_account_id, ""),
            amount=MoneyOut.of(e.amount_minor, e.currency),
            reference=e.reference,
            channel=e.channel,
            created_at=at(e.created_at_us),
            pending_id=e.pending_id,
            pending_status=e.pending_status,
            expires_at=at(e.expires_at_us) if e.expires_at_us else None,
        )

    @classmethod
    def first(cls, result: PaymentResult) -> Self:
        return cls.of(result.entries[0], result.numbers)


class BatchOut(BaseModel):
    transfers: list[TransferOut]

    @classmethod
    def of(cls, result: PaymentResult) -> Self:
        return cls(transfers=[TransferOut.of(e, result.numbers) for e in result.entries])


# -- holds --------------------------------------------------------------------------------
class HoldIn(_In):
    account_number: AccountNumber = Field(description="The account whose funds are held")
    amount_minor: AmountMinor
    currency: Currency
    timeout_s: Annotated[int, Strict()] = Field(
        default=0,
        ge=0,
        le=MAX_TIMEOUT_S,
        description="Seconds until the hold lapses; 0: never (staff only)",
    )
    reference: Reference = ""
    credit_account: AccountNumber | None = Field(
        default=None, description="Where a capture pays to; staff default: branch suspense"
    )
    beneficiary_id: Annotated[int, Strict()] | None = Field(default=None, gt=0)
    step_up: StepUpIn | None = None


class CaptureIn(_In):
    amount_minor: AmountMinor | None = Field(default=None, description="Omit to capture all")
    reference: Reference = ""


class VoidIn(_In):
    reference: Reference = ""


# -- limits -------------------------------------------------------------------------------
class LimitOut(BaseModel):
    channel: str
    tier: Tier
    currency: str
    per_transaction_minor: int
    daily_amount_minor: int
    daily_count: int
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, limit: TransactionLimit) -> Self:
        return cls(
            channel=limit.channel,
            tier=limit.tier,
            currency=limit.currency,
            per_transaction_minor=limit.per_transaction_minor,
            daily_amount_minor=limit.daily_amount_minor,
            daily_count=limit.daily_count,
            updated_at=at(limit.updated_at_us),
            updated_by=limit.updated_by,
        )


class LimitIn(_In):
    per_transaction_minor: Annotated[int, Strict()] = Field(ge=0, le=MAX_AMOUNT_MINOR)
    daily_amount_minor: Annotated[int, Strict()] = Field(ge=0, le=MAX_AMOUNT_MINOR)
    daily_count: Annotated[int, Strict()] = Field(ge=0, le=1_000_000)


# -- approvals and the staff's controlled actions -----------------------------------------
class ApprovalOut(BaseModel):
    id: int
    action: str
    status: ApprovalStatus
    branch_code: str
    maker_id: int
    checker_id: int | None
    summary: str
    amount: MoneyOut | None
    payload: dict[str, Any] = Field(description="The action exactly as it will run")
    reason: str | None
    result: dict[str, Any] | None = Field(
        description="What the action did; on failure, the refusal's result code"
    )
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, a: Approval) -> Self:
        amount = (
            MoneyOut.of(a.amount_minor, a.currency)
            if a.amount_minor is not None and a.currency is not None
            else None
        )
        return cls(
            id=a.id,
            action=a.action,
            status=a.status,
            branch_code=a.branch_code,
            maker_id=a.maker_id,
            checker_id=a.checker_id,
            summary=a.summary,
            amount=amount,
            payload=dict(a.payload),
            reason=a.reason,
            result=dict(a.result) if a.result is not None else None,
            created_at=at(a.created_at_us),
            decided_at=at(a.decided_at_us) if a.decided_at_us else None,
        )


class ApprovalList(BaseModel):
    approvals: list[ApprovalOut]


class DecisionIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class ControlledOut(BaseModel):
    """A staff action under dual control: ``done`` (it ran; see ``result``) or
    ``pending_approval`` (see ``approval``: a checker decides it)."""

    status: Literal["done", "pending_approval"]
    result: dict[str, Any] | None = None
    approval: ApprovalOut | None = None


class StaffTransferIn(_In):
    debit_account: AccountNumber
    credit_account: AccountNumber
    amount_minor: AmountMinor
    currency: Currency
    reference: Reference = ""


class AdjustmentIn(_In):
    account_number: AccountNumber
    direction: Literal["credit", "debit"] = Field(
        description="credit: pay into the account from suspense; debit: the reverse"
    )
    amount_minor: AmountMinor
    currency: Currency
    reference: Annotated[str, Field(min_length=1, max_length=MAX_REFERENCE_LENGTH)]


class FeeWaiverIn(_In):
    account_number: AccountNumber
    amount_minor: AmountMinor
    currency: Currency
    reference: Reference = ""


class CashWithdrawalIn(_In):
    account_number: AccountNumber
    amount_minor: AmountMinor
    currency: Currency
    reference: Reference = ""


class StatusChangeIn(_In):
    reason: str = Field(min_length=1, max_length=200)
