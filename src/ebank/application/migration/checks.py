"""Checking the rows of a migration: every row is checked and every problem reported
with its file and line; a clean file set is built into domain objects (the plan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from ebank.application.banking import ACCOUNT_SERIAL, CUSTOMER_SERIAL, new_customer_account
from ebank.application.migration.records import (
    IMPORT_PRODUCTS,
    IMPORT_STATUSES,
    MAX_LEGACY_ID_LENGTH,
    READ_CHUNK,
    AccountRecord,
    CustomerRecord,
    ImportBatch,
    ImportRejected,
    Issue,
)
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import Account, AccountStatus, GlKind
from ebank.domain.customers import (
    MAX_PHONE_LENGTH,
    Customer,
    CustomerKind,
    IdType,
    Tier,
    check_customer_fields,
    customer_number,
)
from ebank.domain.errors import InvalidInput
from ebank.domain.money import Currency, Money, format_minor
from ebank.domain.transfers import Transfer

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class _Planned:
    row: AccountRecord
    account: Account
    balance_minor: int
    status: AccountStatus
    suspense: Account


@dataclass(slots=True)
class _Plan:
    customers: list[tuple[CustomerRecord, Customer]] = field(default_factory=list)
    accounts: list[_Planned] = field(default_factory=list)
    openings: list[tuple[_Planned, Transfer]] = field(default_factory=list)


def _check(uow: UnitOfWork, batch: ImportBatch, now: int) -> _Plan:
    """Every row checked and built into domain objects with their final serials (the
    serial blocks are taken in this transaction, so a rejection gives them back)."""
    issues = list(batch.issues)
    if batch.customers_readable and not batch.customers:
        issues.append(Issue(batch.customers_file, 0, "no customer rows"))
    branches = {b.code for b in uow.branches.all()}
    customers = _check_customers(uow, batch, branches, issues)
    plan = _Plan(customers=[(r, c) for r, c in customers.values() if c is not None])
    first = uow.sequences.next_block(ACCOUNT_SERIAL, len(batch.accounts)) if batch.accounts else 0
    suspense: dict[tuple[str, str], Account | None] = {}
    seen: dict[str, int] = {}
    for i, row in enumerate(batch.accounts):
        found: list[str] = []
        if row.legacy_account_no in seen:
            found.append(
                f"duplicate legacy_account_no {row.legacy_account_no!r}"
                f" (first on line {seen[row.legacy_account_no]})"
            )
        seen.setdefault(row.legacy_account_no, row.line)
        owner = customers.get(row.customer_legacy_id)
        if owner is None and batch.customers_readable:
            found.append(
                f"customer_legacy_id {row.customer_legacy_id!r} is not in {batch.customers_file}"
            )
        planned = _check_account(
            uow, row, first + i, owner[1] if owner else None, branches, suspense, now, found
        )
        issues.extend(Issue(row.file, row.line, m) for m in found)
        if planned is not None and not found:
            plan.accounts.append(planned)
    if issues:
        raise ImportRejected(_ordered(batch, issues))
    return plan


def _check_customers(
    uow: UnitOfWork,
    batch: ImportBatch,
    branches: set[str],
    issues: list[Issue],
) -> dict[str, tuple[CustomerRecord, Customer | None]]:
    """Legacy id -> (row, customer); the customer is None when its row has problems."""
    first = (
        uow.sequences.next_block(CUSTOMER_SERIAL, len(batch.customers)) if batch.customers else 0
    )
    # Every customer's id comes from this serial: a block starting at 1 means the bank
    # has no customers yet, and no identity can clash with one (the first migration).
    bank_has_customers = first > 1
    taken = _taken_identities(uow, batch) if bank_has_customers else {}
    out: dict[str, tuple[CustomerRecord, Customer | None]] = {}
    identities: dict[tuple[str, str], int] = {}
    for i, row in enumerate(batch.customers):
        found: list[str] = []
        customer = _build_customer(row, first + i, branches, found)
        if row.legacy_id in out:
            found.append(
                f"duplicate legacy_id {row.legacy_id!r}"
                f" (first on line {out[row.legacy_id][0].line})"
            )
        identity = (row.id_type.lower(), row.id_number)
        if identity in identities:
            found.append(
                f"duplicate customer identity {identity[0]} {identity[1]}"
                f" (also on line {identities[identity]})"
            )
        elif row.id_number:
            identities[identity] = row.line
            existing = taken.get(identity)
            if existing is not None:
                found.append(
                    f"a customer with {identity[0]} {identity[1]} is already in the"
                    f" bank ({existing.number})"
                )
        issues.extend(Issue(row.file, row.line, m) for m in found)
        if row.legacy_id not in out:
            out[row.legacy_id] = (row, None if found else customer)
    return out


def _taken_identities(uow: UnitOfWork, batch: ImportBatch) -> dict[tuple[str, str], Customer]:
    """The bank's customers who already hold an identity some row gives."""
    wanted = list({(r.id_type.lower(), r.id_number) for r in batch.customers if r.id_number})
    taken: dict[tuple[str, str], Customer] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        for c in uow.customers.by_identities(wanted[start : start + READ_CHUNK]):
            taken[(c.id_type.value, c.id_number)] = c
    return taken


def _build_customer(
    row: CustomerRecord, serial: int, branches: set[str], found: list[str]
) -> Customer | None:
    _check_legacy_id("legacy_id", row.legacy_id, found)
    kind = _choice(CustomerKind, row.kind, "kind", found)
    tier = _choice(Tier, row.tier or Tier.STANDARD.value, "tier", found)
    id_type = _choice(IdType, row.id_type, "id_type", found)
    if row.branch_code not in branches:
        found.append(f"unknown branch {row.branch_code!r}")
    if len(row.phone) > MAX_PHONE_LENGTH:
        found.append(f"phone longer than {MAX_PHONE_LENGTH} characters")
    if kind is not None and id_type is not None:
        try:
            check_customer_fields(kind, row.name, id_type, row.id_number)
        except InvalidInput as exc:
            found.append(exc.message)
    if found or kind is None or tier is None or id_type is None:
        return None
    return Customer(
        id=serial,
        number=customer_number(serial),
        kind=kind,
        name=row.name,
        tier=tier,
        id_type=id_type,
        id_number=row.id_number,
        branch_code=row.branch_code,
        phone=row.phone,
    )


def _check_account(
    uow: UnitOfWork,
    row: AccountRecord,
    serial: int,
    owner: Customer | None,
    branches: set[str],
    suspense: dict[tuple[str, str], Account | None],
    now: int,
    found: list[str],
) -> _Planned | None:
    _check_legacy_id("legacy_account_no", row.legacy_account_no, found)
    code = row.product_code.upper()
    if code not in IMPORT_PRODUCTS:
        found.append(
            f"unknown product_code {row.product_code!r}: expected {', '.join(IMPORT_PRODUCTS)}"
        )
    status = _choice(
        AccountStatus, row.status or AccountStatus.ACTIVE.value, "status", found, IMPORT_STATUSES
    )
    cur = _currency(row.currency, found)
    gl: Account | None = None
    if row.branch_code not in branches:
        found.append(f"unknown branch {row.branch_code!r}")
    elif cur is not None:
        key = (row.branch_code, cur.code)
        if key not in suspense:
            suspense[key] = uow.accounts.gl_account(row.branch_code, GlKind.SUSPENSE, cur.code)
        gl = suspense[key]
        if gl is None:
            found.append(
                f"branch {row.branch_code} has no {cur.code} suspense account:"
                f" add {cur.code} to the branch first"
            )
    if cur is None:
        return None
    balance = _amount(row.opening_balance, cur, "opening_balance", found)
    limit = _amount(row.overdraft_limit or "0", cur, "overdraft_limit", found)
    if balance is not None and code in IMPORT_PRODUCTS:
        _check_sign(code, balance, limit, cur, found)
    if found or owner is None or gl is None or status is None or balance is None or limit is None:
        return None
    try:
        account = new_customer_account(serial, owner, row.branch_code, code, cur.code, limit, now)
    except InvalidInput as exc:
        found.append(exc.message)
        return None
    return _Planned(row, account, balance, status, gl)


def _check_sign(
    code: str, balance: int, limit: int | None, cur: Currency, found: list[str]
) -> None:
    if balance >= 0:
        return
    if code == "LOAN":
        found.append("a loan's opening_balance is the amount owed and cannot be negative")
    elif code == "SAV" or not limit:
        found.append(
            f"opening_balance of a {code} deposit cannot be negative"
            + (" without an overdraft_limit" if code == "CUR" else "")
        )
    elif -balance > limit:
        found.append(
            f"opening_balance {format_minor(balance, cur, False)} is beyond the"
            f" overdraft_limit {format_minor(limit, cur, False)}"
        )


def _check_legacy_id(column: str, value: str, found: list[str]) -> None:
    if not value:
        found.append(f"{column} is empty")
    elif len(value) > MAX_LEGACY_ID_LENGTH:
        found.append(f"{column} longer than {MAX_LEGACY_ID_LENGTH} characters")


def _choice(
    kind: type[E], text: str, column: str, found: list[str], allowed: Sequence[E] | None = None
) -> E | None:
    choices = list(allowed if allowed is not None else kind)
    for choice in choices:
        if choice.value == text.lower():
            return choice
    found.append(f"{column} {text!r} is not one of {', '.join(c.value for c in choices)}")
    return None


def _currency(text: str, found: list[str]) -> Currency | None:
    try:
        return Currency.of(text)
    except InvalidInput:
        found.append(f"unknown currency {text!r}: expected an ISO 4217 code such as CNY")
        return None


def _amount(text: str, cur: Currency, column: str, found: list[str]) -> int | None:
    try:
        return Money.parse(text, cur).minor
    except InvalidInput as exc:
        found.append(f"{column}: {exc.message}")
        return None


def _ordered(batch: ImportBatch, issues: list[Issue]) -> list[Issue]:
    """Customers' file first, then accounts', each by line."""
    rank = {batch.customers_file: 0, batch.accounts_file: 1}
    return sorted(issues, key=lambda i: (rank.get(i.file, 2), i.file, i.line))
