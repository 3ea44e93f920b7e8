"""Request and response models of branches, customers, accounts, history, beneficiaries
and statements. Money is integer minor units with its currency (and a display string),
never a float; times are ISO 8601 in the bank's time zone (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application.history_search import HistoryLine, HistoryPage
from ebank.application.ports_customers import AccountLabel, Beneficiary, Direction
from ebank.application.queries import AccountView
from ebank.application.statements import Statement, StatementLine, code_label, local_time
from ebank.domain.accounts import AccountStatus, Balances
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import MAX_EMAIL_LENGTH, Customer, CustomerKind, IdType, Tier
from ebank.domain.money import Currency, Money

ACCOUNT_NUMBER = r"^[0-9]{19}$"
CURRENCY_CODE = r"^[A-Z]{3}$"


def at(at_us: int) -> datetime:
    return local_time(at_us, BANK_TIMEZONE)


class MoneyOut(BaseModel):
    amount_minor: int = Field(description="Integer minor units (fen for CNY)")
    currency: str
    display: str = Field(description="For people: 1,234.50 CNY")

    @classmethod
    def of(cls, minor: int, currency: str) -> Self:
        return cls(
            amount_minor=minor,
            currency=currency,
            display=Money(minor, Currency.of(currency)).format(),
        )


# -- branches -----------------------------------------------------------------------------
class BranchOut(BaseModel):
    code: str
    name: str
    kind: BranchKind
    parent_code: str | None

    @classmethod
    def of(cls, b: Branch) -> Self:
        return cls(code=b.code, name=b.name, kind=b.kind, parent_code=b.parent_code)


class BranchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{4}$")
    name: str = Field(min_length=1, max_length=100)
    kind: BranchKind
    parent_code: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    currencies: list[str] = Field(
        default=["CNY"],
        min_length=1,
        max_length=10,
        description="Currencies the unit books: it gets internal accounts in each",
    )


# -- customers ----------------------------------------------------------------------------
def masked_id_number(id_number: str) -> str:
    """An identity document number as shown: only its last four characters."""
    return "*" * max(len(id_number) - 4, 0) + id_number[-4:]


class CustomerOut(BaseModel):
    number: str
    kind: CustomerKind
    name: str
    tier: Tier
    id_type: IdType
    id_number_masked: str = Field(description="Only the last four characters are shown")
    branch_code: str
    email: str = Field(default="", description="Where statements are e-mailed; empty: none")

    @classmethod
    def of(cls, c: Customer) -> Self:
        return cls(
            number=c.number,
            kind=c.kind,
            name=c.name,
            tier=c.tier,
            id_type=c.id_type,
            id_number_masked=masked_id_number(c.id_number),
            branch_code=c.branch_code,
            email=c.email,
        )


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CustomerKind
    name: str = Field(min_length=1, max_length=200)
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=40)
    branch_code: str | None = Field(
        default=None, pattern=r"^[0-9]{4}$", description="Default: your own branch"
    )
    tier: Tier = Tier.STANDARD
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=MAX_EMAIL_LENGTH)


class CustomerList(BaseModel):
    customers: list[CustomerOut]


# -- accounts -----------------------------------------------------------------------------
class BalancesOut(BaseModel):
    ledger: MoneyOut = Field(description="The posted balance")
    available: MoneyOut = Field(description="Posted, less holds, plus any overdraft")
    pending_debits: MoneyOut = Field(description="Held for payments not yet completed")
    pending_credits: MoneyOut
    overdraft_limit: MoneyOut

    @classmethod
    def of(cls, b: Balances, currency: str) -> Self:
        return cls(
            ledger=MoneyOut.of(b.ledger_minor, currency),
            available=MoneyOut.of(b.available_minor, currency),
            pending_debits=MoneyOut.of(b.debits_pending, currency),
            pending_credits=MoneyOut.of(b.credits_pending, currency),
            overdraft_limit=MoneyOut.of(b.overdraft_limit_minor, currency),
        )


class AccountOut(BaseModel):
    number: str
    name: str
    product_code: str
    currency: str
    branch_code: str
    status: AccountStatus
    opened_at: datetime
    balances: BalancesOut

    @classmethod
    def of(cls, view: AccountView) -> Self:
        a = view.account
        return cls(
            number=a.number,
            name=a.name,
            product_code=a.product_code,
            currency=a.currency,
            branch_code=a.branch_code,
            status=a.status,
            opened_at=at(a.opened_at_us),
            balances=BalancesOut.of(view.balances, a.currency),
        )


class AccountList(BaseModel):
    accounts: list[AccountOut]


class BalanceOut(BalancesOut):
    number: str
    status: AccountStatus


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_number: str | None = Field(
        default=None, max_length=16, description="Staff: required. Customers: yourself"
    )
    product_code: str = Field(min_length=1, max_length=16, description="SAV, CUR, LOAN")
    currency: str = Field(default="CNY", pattern=CURRENCY_CODE)
    branch_code: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    overdraft_limit_minor: int = Field(default=0, ge=0, le=10**15)


# -- history ------------------------------------------------------------------------------
class CounterpartyOut(BaseModel):
    account_number: str
    name: str
    internal: bool = Field(description="One of the bank's own accounts: cash, fees...")

    @classmethod
    def of(cls, label: AccountLabel | None) -> Self | None:
        if label is None:
            return None
        return cls(account_number=label.number, name=label.name, internal=label.is_internal)


class HistoryEntryOut(BaseModel):
    transfer_id: UUID
    time: datetime
    kind: str = Field(description="posting, pending (a hold), post_pending, void_pending")
    hold_status: str | None = Field(description="For a hold: pending, posted, voided, expired")
    direction: Direction
    amount: MoneyOut
    code: int
    type: str = Field(description="The transaction code's name")
    channel: str
    reference: str
    counterparty: CounterpartyOut | None

    @classmethod
    def of(cls, line: HistoryLine) -> Self:
        e = line.entry
        return cls(
            transfer_id=e.id,
            time=at(e.created_at_us),
            kind=e.kind.value,
            hold_status=e.pending_status.value if e.pending_status else None,
            direction=line.direction,
            amount=MoneyOut.of(e.amount_minor, e.currency),
            code=e.code,
            type=code_label(e.code),
            channel=e.channel,
            reference=e.reference,
            counterparty=CounterpartyOut.of(line.counterparty),
        )


class HistoryPageOut(BaseModel):
    account_number: str
    entries: list[HistoryEntryOut]
    next_cursor: str | None = Field(description="Pass as cursor= for the next, older page")

    @classmethod
    def of(cls, page: HistoryPage) -> Self:
        return cls(
            account_number=page.account.number,
            entries=[HistoryEntryOut.of(line) for line in page.lines],
            next_cursor=page.next_cursor,
        )


# -- beneficiaries ------------------------------------------------------------------------
class BeneficiaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: str = Field(min_length=1, max_length=32)
    account_number: str = Field(pattern=ACCOUNT_NUMBER)
    name: str = Field(min_length=1, max_length=200, description="The account's name, checked")


class BeneficiaryOut(BaseModel):
    id: int
    alias: str
    account_number: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, b: Beneficiary) -> Self:
        return cls(
            id=b.beneficiary_id,
            alias=b.alias,
            account_number=b.account_number,
            name=b.name,
            created_at=at(b.created_at_us),
        )


class BeneficiaryList(BaseModel):
    beneficiaries: list[BeneficiaryOut]


# -- statements ---------------------------------------------------------------------------
class StatementLineOut(BaseModel):
    transfer_id: UUID
    time: datetime
    type: str
    code: int
    channel: str
    reference: str
    direction: Direction
    amount: MoneyOut
    balance: MoneyOut = Field(description="The ledger balance after this entry")
    counterparty: CounterpartyOut | None

    @classmethod
    def of(cls, line: StatementLine, currency: str) -> Self:
        return cls(
            transfer_id=line.transfer_id,
            time=at(line.at_us),
            type=code_label(line.code),
            code=line.code,
            channel=line.channel,
            reference=line.reference,
            direction=line.direction,
            amount=MoneyOut.of(line.amount_minor, currency),
            balance=MoneyOut.of(line.balance_minor, currency),
            counterparty=CounterpartyOut.of(line.counterparty),
        )


class StatementOut(BaseModel):
    account_number: str
    account_name: str
    customer_number: str | None
    product_code: str
    currency: str
    from_date: date
    to_date: date
    opening_balance: MoneyOut
    total_debits: MoneyOut
    total_credits: MoneyOut
    closing_balance: MoneyOut
    entry_count: int
    entries: list[StatementLineOut]
    generated_at: datetime

    @classmethod
    def of(cls, s: Statement) -> Self:
        cur = s.account.currency
        return cls(
            account_number=s.account.number,
            account_name=s.account.name,
            customer_number=s.customer.number if s.customer else None,
            product_code=s.account.product_code,
            currency=cur,
            from_date=s.first_day,
            to_date=s.last_day,
            opening_balance=MoneyOut.of(s.opening_minor, cur),
            total_debits=MoneyOut.of(s.total_debits_minor, cur),
            total_credits=MoneyOut.of(s.total_credits_minor, cur),
            closing_balance=MoneyOut.of(s.closing_minor, cur),
            entry_count=len(s.lines),
            entries=[StatementLineOut.of(line, cur) for line in s.lines],
            generated_at=at(s.generated_at_us),
        )
