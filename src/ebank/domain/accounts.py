"""Accounts: customer accounts by product, and the internal (GL) accounts of each branch.

An account's balance lives in four counters kept by the ledger engine; this module
holds what an account *is* (number, owner, product, status, limits) and the rules for
changing its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.errors import AccountNotEmpty, AccountStatusConflict, InvalidInput


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"  # no debits (只收不付); credits still arrive
    DORMANT = "dormant"  # no debits until reactivated at a counter (久悬)
    CLOSED = "closed"  # nothing in or out, ever again


class NormalSide(StrEnum):
    """Which side grows the balance: deposits are credit-normal, cash and loans debit."""

    DEBIT = "debit"
    CREDIT = "credit"


class GlKind(StrEnum):
    """Internal accounts every branch has, one per kind and currency."""

    CASH = "cash"  # the vault and tellers' cash
    CLEARING = "clearing"  # inter-branch clearing (网内联行往来); settles to zero
    FEE_INCOME = "fee_income"
    INTEREST_EXPENSE = "interest_expense"
    SUSPENSE = "suspense"  # items awaiting investigation; migration opening balances
    CAPITAL = "capital"  # paid-in capital: head office only, funds the vaults
    # A teller's own cash box (one per teller and currency, not per branch): it takes
    # a float from the branch vault (CASH) when a shift opens and returns it at close.
    TELLER_CASH = "teller_cash"
    ATM_CASH = "atm_cash"  # the cash in one ATM (migration 0005), named by its terminal


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    normal_side: NormalSide
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    for_customers: bool = True
    overdraft_allowed: bool = False


PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in (
        Product("SAV", "Savings deposit", NormalSide.CREDIT, debits_must_not_exceed_credits=True),
        Product(
            "CUR",
            "Current / settlement account",
            NormalSide.CREDIT,
            debits_must_not_exceed_credits=True,
            overdraft_allowed=True,
        ),
        Product("LOAN", "Loan", NormalSide.DEBIT, credits_must_not_exceed_debits=True),
        Product(
            "GL-CASH",
            "Cash",
            NormalSide.DEBIT,
            credits_must_not_exceed_debits=True,
            for_customers=False,
        ),
        Product("GL-CLEARING", "Inter-branch clearing", NormalSide.CREDIT, for_customers=False),
        Product("GL-FEE", "Fee income", NormalSide.CREDIT, for_customers=False),
        Product("GL-INTEXP", "Interest expense", NormalSide.DEBIT, for_customers=False),
        Product("GL-SUSPENSE", "Suspense", NormalSide.CREDIT, for_customers=False),
        Product("GL-CAPITAL", "Paid-in capital", NormalSide.CREDIT, for_customers=False),
    )
}
GL_PRODUCT: dict[GlKind, str] = {
    GlKind.CASH: "GL-CASH",
    GlKind.CLEARING: "GL-CLEARING",
    GlKind.FEE_INCOME: "GL-FEE",
    GlKind.INTEREST_EXPENSE: "GL-INTEXP",
    GlKind.SUSPENSE: "GL-SUSPENSE",
    GlKind.CAPITAL: "GL-CAPITAL",
}


def product(code: str) -> Product:
    try:
        return PRODUCTS[code]
    except KeyError:
        raise InvalidInput(f"unknown product code {code!r}") from None


@dataclass(frozen=True, slots=True)
class Balances:
    """An account's counters, and the balances a person reads from them."""

    normal_side: NormalSide
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    overdraft_limit_minor: int = 0

    @property
    def ledger_minor(self) -> int:
        """The posted balance on the account's normal side."""
        diff = self.credits_posted - self.debits_posted
        return diff if self.normal_side is NormalSide.CREDIT else -diff

    @property
    def available_minor(self) -> int:
        """What can be paid out now: posted balance less holds, plus any overdraft."""
        if self.normal_side is NormalSide.CREDIT:
            return (
                self.credits_posted
                - self.debits_posted
                - self.debits_pending
                + self.overdraft_limit_minor
            )
        return self.debits_posted - self.credits_posted - self.credits_pending

    @property
    def has_pending(self) -> bool:
        return bool(self.debits_pending or self.credits_pending)


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    number: str
    product_code: str
    currency: str
    branch_code: str
    customer_id: int | None
    name: str
    status: AccountStatus
    overdraft_limit_minor: int
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    gl_kind: GlKind | None
    opened_at_us: int

    @property
    def normal_side(self) -> NormalSide:
        return product(self.product_code).normal_side


# Which status changes are allowed, and the action's name for messages.
_TRANSITIONS: dict[tuple[AccountStatus, AccountStatus], str] = {
    (AccountStatus.ACTIVE, AccountStatus.FROZEN): "freeze",
    (AccountStatus.DORMANT, AccountStatus.FROZEN): "freeze",
    (AccountStatus.FROZEN, AccountStatus.ACTIVE): "unfreeze",
    (AccountStatus.ACTIVE, AccountStatus.DORMANT): "mark dormant",
    (AccountStatus.DORMANT, AccountStatus.ACTIVE): "reactivate",
    (AccountStatus.ACTIVE, AccountStatus.CLOSED): "close",
    (AccountStatus.DORMANT, AccountStatus.CLOSED): "close",
}


def check_status_change(account: Account, new: AccountStatus, balances: Balances) -> None:
    """Refuse a status change the rules do not allow; closing needs a zero balance and
    no holds."""
    if (account.status, new) not in _TRANSITIONS:
        raise AccountStatusConflict(
            f"account {account.number} is {account.status}; it cannot become {new}"
        )
    if new is AccountStatus.CLOSED and (
        balances.debits_posted != balances.credits_posted or balances.has_pending
    ):
        raise AccountNotEmpty(
            f"account {account.number} must have a zero balance and no holds to close"
        )


def account_number(branch_code: str, serial: int) -> str:
    """A 19-digit account number: 4-digit branch, 14-digit serial, Luhn check digit."""
    if not is_ascii_digits(branch_code, 4):
        raise InvalidInput("account numbers need a 4-digit branch code")
    if not 0 < serial < 10**14:
        raise InvalidInput("account serial out of range")
    body = f"{branch_code}{serial:014d}"
    return body + str(luhn_check_digit(body))


def is_ascii_digits(text: str, length: int) -> bool:
    """Exactly ``length`` ASCII digits (``str.isdigit`` also accepts other scripts' digits)."""
    return len(text) == length and text.isascii() and text.isdigit()


def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def is_valid_account_number(number: str) -> bool:
    return (
        len(number) == 19
        and is_ascii_digits(number, 19)
        and luhn_check_digit(number[:-1]) == int(number[-1])
    )
