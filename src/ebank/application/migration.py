"""Data migration (帐务数据移植): customers, accounts and opening balances from another
system, all or nothing, proved by a reconciliation report.

Every row is checked first and every problem is reported with its file and line. Only a
clean file set is imported, in one unit of work: customers, accounts, then the opening
balances as transfers against each branch's suspense account, posted in chunks. The
"posted" side of the report is then read back from the database inside the same
transaction, and the import commits only when it agrees with the "read" side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TypeVar

from ebank.application.banking import ACCOUNT_SERIAL, CUSTOMER_SERIAL, new_customer_account
from ebank.application.context import Context
from ebank.application.ledger import MAX_BATCH_SIZE, post_within
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import Account, AccountStatus, GlKind, NormalSide, product
from ebank.domain.codes import TxCode
from ebank.domain.customers import (
    Customer,
    CustomerKind,
    IdType,
    Tier,
    check_customer_fields,
    customer_number,
)
from ebank.domain.errors import InvalidInput
from ebank.domain.money import Currency, Money, format_minor
from ebank.domain.transfers import JournalEntry, Result, Transfer

MIGRATION_CHANNEL = "migration"
POST_CHUNK = 5000  # opening-balance transfers per call of the ledger engine
MAX_ROWS = 1_000_000  # per file; a larger migration is split by branch
MAX_LEGACY_ID_LENGTH = 40  # fits "opening balance <id>" in a transfer reference
MAX_PHONE_LENGTH = 32
IMPORT_PRODUCTS = ("SAV", "CUR", "LOAN")
IMPORT_STATUSES = (AccountStatus.ACTIVE, AccountStatus.FROZEN, AccountStatus.DORMANT)
READ_BACK_TICK = 1000  # customers read back between progress reports
E = TypeVar("E", bound=StrEnum)
# Told (stage, done, total) as a long import goes: "checking", "posting", "reading back".
Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True, slots=True, order=True)
class Issue:
    """One problem, where it is: ``line`` 0 means the file as a whole."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A row of customers.csv as text (stripped); checked by ``import_legacy``."""

    file: str
    line: int
    legacy_id: str
    kind: str
    name: str
    tier: str
    id_type: str
    id_number: str
    branch_code: str
    phone: str


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A row of accounts.csv as text (stripped); checked by ``import_legacy``."""

    file: str
    line: int
    legacy_account_no: str
    customer_legacy_id: str
    branch_code: str
    product_code: str
    currency: str
    opening_balance: str
    overdraft_limit: str
    status: str


@dataclass(slots=True)
class ImportBatch:
    """What the files held, and the problems found while reading them. A file that could
    not be read at all (``*_readable`` False) is not cross-checked against the other."""

    customers_file: str
    accounts_file: str
    customers: list[CustomerRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    customers_readable: bool = True


class ImportRejected(InvalidInput):
    """The import found problems and imported nothing; ``issues`` lists every one."""

    code = "import_rejected"

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) found; nothing was imported")
        self.issues = list(issues)


@dataclass(slots=True)
class Totals:
    """Accounts and opening balances of one branch and currency, in minor units.
    Deposits are credit balances (an overdrawn current account counts negative), loans
    are amounts owed; suspense is the suspense account's credit-side movement."""

    accounts: int = 0
    frozen: int = 0
    dormant: int = 0
    deposits_minor: int = 0
    loans_minor: int = 0
    transfers: int = 0
    transfers_minor: int = 0
    suspense_minor: int = 0


@dataclass(frozen=True, slots=True)
class CustomerLine:
    branch_code: str
    read: int
    posted: int

    @property
    def matches(self) -> bool:
        return self.read == self.posted


@dataclass(frozen=True, slots=True)
class AccountLine:
    branch_code: str
    currency: str
    read: Totals
    posted: Totals

    @property
    def matches(self) -> bool:
        return self.read == self.posted


@dataclass(frozen=True, slots=True)
class ImportReport:
    customers: list[CustomerLine]
    accounts: list[AccountLine]

    @property
    def balanced(self) -> bool:
        return all(c.matches for c in self.customers) and all(a.matches for a in self.accounts)

    def currency_totals(self) -> dict[str, tuple[Totals, Totals]]:
        """Per currency: (read, posted) summed over the branches."""
        out: dict[str, tuple[Totals, Totals]] = {}
        for line in self.accounts:
            read, posted = out.setdefault(line.currency, (Totals(), Totals()))
            _add(read, line.read)
            _add(posted, line.posted)
        return out


@dataclass(frozen=True, slots=True)
class MappingRow:
    """Legacy identifiers and the new numbers; a customer without accounts has a row with
    the account fields empty."""

    customer_legacy_id: str
    customer_number: str
    legacy_account_no: str = ""
    account_number: str = ""
    branch_code: str = ""
    product_code: str = ""
    currency: str = ""
    opening_balance: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class ImportResult:
    report: ImportReport
    mapping: list[MappingRow]
    dry_run: bool
    customers: int
    accounts: int
    transfers: int


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


def import_legacy(
    ctx: Context,
    batch: ImportBatch,
    *,
    dry_run: bool = False,
    chunk_size: int = POST_CHUNK,
    progress: Progress = _quiet,
) -> ImportResult:
    """Import ``batch`` all or nothing. Raises ``ImportRejected`` listing every problem
    (and imports nothing) when any row is bad, the ledger refuses any opening balance,
    or what was posted does not reconcile with what was read. ``dry_run`` does all of it
    and then rolls back."""
    assert 0 < chunk_size <= min(POST_CHUNK, MAX_BATCH_SIZE)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        progress("checking", 0, len(batch.customers) + len(batch.accounts))
        plan = _check(uow, batch, now)
        plan.openings = [(p, _opening(ctx, p)) for p in plan.accounts if p.balance_minor]
        uow.customers.add_many([c for _, c in plan.customers], now)
        uow.accounts.add_many([p.account for p in plan.accounts])
        _post(uow, plan, now, chunk_size, progress)
        for p in plan.accounts:
            if p.status is not AccountStatus.ACTIVE:
                uow.accounts.set_status(p.account.id, p.status, now)
        report = ImportReport(*_reconcile(plan, _read_back(uow, plan, chunk_size, progress)))
        if not report.balanced:
            raise ImportRejected(_mismatches(batch, report))
        if not dry_run:
            uow.commit()
    return ImportResult(
        report=report,
        mapping=_mapping(plan),
        dry_run=dry_run,
        customers=len(plan.customers),
        accounts=len(plan.accounts),
        transfers=len(plan.openings),
    )


# -- checking ------------------------------------------------------------------------
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
            existing = uow.customers.by_identity(*identity) if bank_has_customers else None
            if existing is not None:
                found.append(
                    f"a customer with {identity[0]} {identity[1]} is already in the"
                    f" bank ({existing.number})"
                )
        issues.extend(Issue(row.file, row.line, m) for m in found)
        if row.legacy_id not in out:
            out[row.legacy_id] = (row, None if found else customer)
    return out


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


# -- posting -------------------------------------------------------------------------
def _opening(ctx: Context, p: _Planned) -> Transfer:
    """A deposit's credit balance comes out of suspense; a loan (or an overdrawn current
    account) is debited, with suspense credited."""
    into_account = p.account.normal_side is NormalSide.CREDIT and p.balance_minor > 0
    debit, credit = (p.suspense, p.account) if into_account else (p.account, p.suspense)
    return Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount_minor=abs(p.balance_minor),
        currency=p.account.currency,
        code=TxCode.OPENING_BALANCE,
        channel=MIGRATION_CHANNEL,
        reference=f"opening balance {p.row.legacy_account_no}",
    )


def _post(uow: UnitOfWork, plan: _Plan, now: int, chunk_size: int, progress: Progress) -> None:
    refused: list[Issue] = []
    total = len(plan.openings)
    for start in range(0, total, chunk_size):
        progress("posting", start, total)
        chunk = plan.openings[start : start + chunk_size]
        outcome = post_within(uow, [t for _, t in chunk], now)
        for (p, _), result in zip(chunk, outcome.results, strict=True):
            if result is not Result.OK:
                refused.append(
                    Issue(
                        p.row.file,
                        p.row.line,
                        f"the ledger refused the opening balance: {result.value}",
                    )
                )
    progress("posting", total, total)
    if refused:
        raise ImportRejected(refused)


# -- reconciliation ------------------------------------------------------------------
_Posted = tuple[dict[str, int], dict[tuple[str, str], Totals]]


def _read_back(
    uow: UnitOfWork,
    plan: _Plan,
    chunk_size: int,
    progress: Progress,
) -> _Posted:
    """What the database now holds for the imported customers, their accounts and the
    opening-balance transfers, read back inside the import's transaction."""
    customers: dict[str, int] = defaultdict(int)
    stored: dict[int, Account] = {}
    for n, (_, c) in enumerate(plan.customers):
        if n % READ_BACK_TICK == 0:
            progress("reading back", n, len(plan.customers))
        again = uow.customers.get(c.id)
        if again is not None:
            customers[again.branch_code] += 1
            stored.update((a.id, a) for a in uow.accounts.for_customer(c.id))
    progress("reading back", len(plan.customers), len(plan.customers))
    counters: dict[int, tuple[int, int]] = {}
    entries: list[JournalEntry] = []
    transfers = [t for _, t in plan.openings]
    for start in range(0, len(transfers), chunk_size):
        chunk = transfers[start : start + chunk_size]
        loaded = uow.journal.load(chunk)  # the stored entries and their accounts' counters
        entries.extend(loaded.existing[t.id] for t in chunk if t.id in loaded.existing)
        counters.update(
            (a.id, (a.debits_posted, a.credits_posted)) for a in loaded.accounts.values()
        )
    totals: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for a in stored.values():
        if a.id not in counters:  # no opening balance: nothing loaded it above
            b = uow.accounts.balances(a.id)
            counters[a.id] = (b.debits_posted, b.credits_posted)
        debits, credits = counters[a.id]
        _count_account(
            totals[(a.branch_code, a.currency)], a.normal_side, a.status, credits - debits
        )
    suspense = {p.suspense.id for p in plan.accounts}
    for e in entries:
        _count_entry(totals, e, stored, suspense)
    return customers, totals


def _count_account(t: Totals, side: NormalSide, status: AccountStatus, credit_balance: int) -> None:
    t.accounts += 1
    t.frozen += status is AccountStatus.FROZEN
    t.dormant += status is AccountStatus.DORMANT
    if side is NormalSide.CREDIT:
        t.deposits_minor += credit_balance
    else:
        t.loans_minor -= credit_balance


def _count_entry(
    totals: dict[tuple[str, str], Totals],
    e: JournalEntry,
    stored: dict[int, Account],
    suspense: set[int],
) -> None:
    if e.code != TxCode.OPENING_BALANCE or e.channel != MIGRATION_CHANNEL:
        return
    if e.credit_account_id in stored and e.debit_account_id in suspense:
        own, movement = stored[e.credit_account_id], -e.amount_minor
    elif e.debit_account_id in stored and e.credit_account_id in suspense:
        own, movement = stored[e.debit_account_id], e.amount_minor
    else:
        return
    t = totals[(own.branch_code, e.currency)]
    t.transfers += 1
    t.transfers_minor += e.amount_minor
    t.suspense_minor += movement


def _reconcile(plan: _Plan, posted: _Posted) -> tuple[list[CustomerLine], list[AccountLine]]:
    """The read side (from the checked rows) beside the posted side (from the database)."""
    read_customers: dict[str, int] = defaultdict(int)
    for row, _ in plan.customers:
        read_customers[row.branch_code] += 1
    read: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for p in plan.accounts:
        t = read[(p.row.branch_code, p.account.currency)]
        side = product(p.row.product_code.upper()).normal_side
        credit_balance = p.balance_minor if side is NormalSide.CREDIT else -p.balance_minor
        _count_account(t, side, p.status, credit_balance)
        if p.balance_minor:
            t.transfers += 1
            t.transfers_minor += abs(p.balance_minor)
            t.suspense_minor -= credit_balance
    posted_customers, posted_accounts = posted
    customer_lines = [
        CustomerLine(b, read_customers.get(b, 0), posted_customers.get(b, 0))
        for b in sorted(set(read_customers) | set(posted_customers))
    ]
    account_lines = [
        AccountLine(b, c, read.get((b, c), Totals()), posted_accounts.get((b, c), Totals()))
        for b, c in sorted(set(read) | set(posted_accounts))
    ]
    return customer_lines, account_lines


def _mismatches(batch: ImportBatch, report: ImportReport) -> list[Issue]:
    where = f"{batch.customers_file} + {batch.accounts_file}"
    out = [
        Issue(where, 0, f"branch {c.branch_code}: {c.read} customers read, {c.posted} posted")
        for c in report.customers
        if not c.matches
    ]
    out += [
        Issue(where, 0, f"branch {a.branch_code} {a.currency}: read {a.read}, posted {a.posted}")
        for a in report.accounts
        if not a.matches
    ]
    return out


def _add(into: Totals, more: Totals) -> None:
    for f in fields(Totals):
        setattr(into, f.name, getattr(into, f.name) + getattr(more, f.name))


def _mapping(plan: _Plan) -> list[MappingRow]:
    owned: dict[int | None, list[_Planned]] = defaultdict(list)
    for p in plan.accounts:
        owned[p.account.customer_id].append(p)
    rows: list[MappingRow] = []
    for row, c in plan.customers:
        rows += [
            MappingRow(
                customer_legacy_id=row.legacy_id,
                customer_number=c.number,
                legacy_account_no=p.row.legacy_account_no,
                account_number=p.account.number,
                branch_code=p.account.branch_code,
                product_code=p.account.product_code,
                currency=p.account.currency,
                status=p.status.value,
                opening_balance=format_minor(
                    p.balance_minor, Currency.of(p.account.currency), grouping=False
                ),
            )
            for p in owned.get(c.id, [])
        ] or [MappingRow(row.legacy_id, c.number)]
    return rows
