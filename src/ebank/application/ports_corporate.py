"""Ports of corporate online banking: payments waiting for an approver (single and batch),
corporate users' own limits, and the monthly balance confirmations (电子对账)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ebank.domain.access import Role
from ebank.domain.accounts import Account


class PaymentStatus(StrEnum):
    PENDING = "pending"  # waits for an approver
    POSTED = "posted"  # approved and posted through the ledger
    REJECTED = "rejected"  # an approver said no
    FAILED = "failed"
    CANCELLED = "cancelled"


class PaymentKind(StrEnum):
    SINGLE = "single"  # one transfer entered on a form
    BATCH = "batch"  # a file: payroll and other bulk payments


class ConfirmationStatus(StrEnum):
    PENDING = "pending"  # waits for the company
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"  # waits for the back office
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One leg of a corporate payment: a payee account of the bank and an amount."""

    credit_account_id: int
    account_number: str
    name: str
    amount_minor: int
    reference: str


@dataclass(frozen=True, slots=True)
class NewCorporatePayment:
    customer_id: int
    kind: PaymentKind
    maker_id: int
    debit_account_id: int
    currency: str
    lines: Sequence[PaymentLine]
    file_name: str | None
    created_at_us: int

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


@dataclass(frozen=True, slots=True)
class CorporatePayment:
    payment_id: int
    customer_id: int
    kind: PaymentKind
    status: PaymentStatus
    maker_id: int
    checker_id: int | None
    debit_account_id: int
    currency: str
    total_minor: int
    count: int
    file_name: str | None
    lines: list[PaymentLine]
    reason: str | None
    result: Mapping[str, object] | None
    created_at_us: int
    decided_at_us: int | None


@dataclass(frozen=True, slots=True)
class UserLimits:
    """What one corporate user may enter: per payment and per business day."""

    user_id: int
    currency: str
    per_payment_minor: int
    daily_minor: int


@dataclass(frozen=True, slots=True)
class CompanyUser:
    user_id: int
    username: str
    display_name: str
    role: Role
    status: str


@dataclass(frozen=True, slots=True)
class BalanceConfirmation:
    confirmation_id: int
    customer_id: int
    account_id: int
    period: str  # YYYY-MM
    balance_minor: int
    currency: str
    status: ConfirmationStatus
    responded_by: int | None
    responded_at_us: int | None
    dispute: str | None
    resolution: str | None
    resolved_by: int | None
    resolved_at_us: int | None
    created_at_us: int


@dataclass(frozen=True, slots=True)
class NewConfirmation:
    customer_id: int
    account_id: int
    period: str
    balance_minor: int
    currency: str
    created_at_us: int


class CorporateStore(Protocol):
    # -- payments ------------------------------------------------------------------------
    def add_payment(self, payment: NewCorporatePayment) -> int:
        """Store a pending payment; returns its id."""
        ...

    def payment(self, payment_id: int, *, lock: bool = False) -> CorporatePayment | None:
        """The payment; with ``lock``, locked until the unit of work ends."""
        ...

    def payments(
        self, customer_id: int, statuses: Collection[PaymentStatus] | None, limit: int
    ) -> list[CorporatePayment]:
        """A company's payments, newest first."""
        ...

    def decide_payment(
        self,
        payment_id: int,
        status: PaymentStatus,
        checker_id: int,
        reason: str | None,
        result: Mapping[str, object] | None,
        now_us: int,
    ) -> bool:
        """Move a pending payment to ``status``; False if it was no longer pending."""
        ...

    def maker_entered_since(self, maker_id: int, currency: str, since_us: int) -> int:
        """The total of the maker's pending and posted payments entered since ``since_us``."""
        ...

    def maker_posted_since(self, maker_id: int, currency: str, since_us: int) -> int:
        """The total of the maker's payments posted (approved) since ``since_us``."""
        ...

    def accounts_by_numbers(self, numbers: Sequence[str]) -> dict[str, Account]:
        """Number -> account, for those of ``numbers`` that exist."""
        ...

    # -- users and their limits ------------------------------------------------------------
    def company_users(self, customer_id: int) -> list[CompanyUser]:
        """The users of a company, by user name."""
        ...

    def user_limits(self, user_ids: Sequence[int]) -> list[UserLimits]: ...

    def limits_of(self, user_id: int, currency: str, *, lock: bool = False) -> UserLimits | None:
        """One user's limits in ``currency``; with ``lock``, locked (so that two payments
        of one maker queue on it)."""
        ...

    def put_user_limits(self, limits: UserLimits) -> None:
        """Insert or replace the user's limits in that currency."""
        ...

    # -- balance confirmations ---------------------------------------------------------------
    def add_confirmations(self, new: Sequence[NewConfirmation]) -> None:
        """Store them; one that exists already (same account and period) is left as is."""
        ...

    def confirmations(self, customer_id: int, period: str) -> list[BalanceConfirmation]: ...

    def confirmation(
        self, confirmation_id: int, *, lock: bool = False
    ) -> BalanceConfirmation | None: ...

    def respond(
        self,
        confirmation_id: int,
        status: ConfirmationStatus,
        user_id: int,
        dispute: str | None,
        now_us: int,
    ) -> bool:
        """The company's answer to a pending confirmation; False if not pending."""
        ...

    def resolve(self, confirmation_id: int, user_id: int, note: str, now_us: int) -> bool:
        """The back office's resolution of a dispute; False if not disputed."""
        ...

    def disputes(
        self, branch_codes: Collection[str] | None, limit: int
    ) -> list[BalanceConfirmation]:
        """Open disputes of companies of ``branch_codes`` (None: every branch), oldest
        first."""
        ...
