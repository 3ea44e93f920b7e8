"""Branches, customers, accounts and serial allocators in SQL (SQLAlchemy Core)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db import tables as t
from ebank.adapters.db.driver import is_unique_violation
from ebank.domain.accounts import Account, AccountStatus, Balances, GlKind, product
from ebank.domain.branches import Branch, BranchKind
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier
from ebank.domain.errors import AccountExists, BranchExists, CustomerExists, DomainError

INSERT_CHUNK = 500
READ_CHUNK = 1000  # keys per IN (...): well inside SQLite's limit on bound parameters

K = TypeVar("K")


def _chunks(keys: Sequence[K]) -> Iterator[Sequence[K]]:
    for i in range(0, len(keys), READ_CHUNK):
        yield keys[i : i + READ_CHUNK]


@contextmanager
def _taken_means(error: type[DomainError], what: str) -> Iterator[None]:
    """A unique key taken by a concurrent insert becomes the domain's "already exists",
    the same answer the use case's own check gives when it sees the row first."""
    try:
        yield
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise error(f"{what} already exists") from exc
        raise


class SqlBranches:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, code: str) -> Branch | None:
        row = self.conn.execute(select(t.branches).where(t.branches.c.code == code)).first()
        return _branch(row) if row else None

    def add(self, branch: Branch, now_us: int) -> None:
        with _taken_means(BranchExists, f"branch {branch.code} (or a head office)"):
            self.conn.execute(
                insert(t.branches).values(
                    code=branch.code,
                    name=branch.name,
                    kind=branch.kind.value,
                    parent_code=branch.parent_code,
                    created_at_us=now_us,
                )
            )

    def all(self) -> list[Branch]:
        rows = self.conn.execute(select(t.branches).order_by(t.branches.c.code))
        return [_branch(r) for r in rows]

    def head_office(self) -> Branch | None:
        row = self.conn.execute(
            select(t.branches).where(t.branches.c.kind == BranchKind.HEAD_OFFICE.value)
        ).first()
        return _branch(row) if row else None


def _branch(row: Row[Any]) -> Branch:
    return Branch(
        code=row.code, name=row.name, kind=BranchKind(row.kind), parent_code=row.parent_code
    )


class SqlCustomers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, customer_id: int) -> Customer | None:
        return self._one(t.customers.c.id == customer_id)

    def by_number(self, number: str) -> Customer | None:
        return self._one(t.customers.c.number == number)

    def by_identity(self, id_type: str, id_number: str) -> Customer | None:
        return self._one(
            (t.customers.c.id_type == id_type) & (t.customers.c.id_number == id_number)
        )

    def _one(self, where: Any) -> Customer | None:
        row = self.conn.execute(select(t.customers).where(where)).first()
        return customer_from_row(row) if row else None

    def many(self, customer_ids: Sequence[int]) -> list[Customer]:
        found: list[Customer] = []
        for chunk in _chunks(sorted(set(customer_ids))):
            found += self._all(t.customers.c.id.in_(chunk))
        return found  # the chunks are in id order, and so is each chunk's result

    def by_identities(self, identities: Sequence[tuple[str, str]]) -> list[Customer]:
        # One id_type at a time, so that each query uses the (id_type, id_number) key.
        numbers: dict[str, set[str]] = defaultdict(set)
        for id_type, id_number in identities:
            numbers[id_type].add(id_number)
        found: list[Customer] = []
        for id_type, wanted in numbers.items():
            for chunk in _chunks(sorted(wanted)):
                found += self._all(
                    (t.customers.c.id_type == id_type) & t.customers.c.id_number.in_(chunk)
                )
        return sorted(found, key=lambda c: c.id)

    def _all(self, where: Any) -> list[Customer]:
        rows = self.conn.execute(select(t.customers).where(where).order_by(t.customers.c.id))
        return [customer_from_row(r) for r in rows]

    def add(self, customer: Customer, now_us: int) -> None:
        self.add_many([customer], now_us)

    def add_many(self, customers: Sequence[Customer], now_us: int) -> None:
        rows = [
            {
                "id": c.id,
                "number": c.number,
                "kind": c.kind.value,
                "name": c.name,
                "tier": c.tier.value,
                "id_type": c.id_type.value,
                "id_number": c.id_number,
                "branch_code": c.branch_code,
                "phone": c.phone,
                "email": c.email or None,
                "created_at_us": now_us,
            }
            for c in customers
        ]
        with _taken_means(CustomerExists, "a customer with that identity"):
            for i in range(0, len(rows), INSERT_CHUNK):
                self.conn.execute(insert(t.customers), rows[i : i + INSERT_CHUNK])


def customer_from_row(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        number=row.number,
        kind=CustomerKind(row.kind),
        name=row.name,
        tier=Tier(row.tier),
        id_type=IdType(row.id_type),
        id_number=row.id_number,
        branch_code=row.branch_code,
        phone=row.phone,
        email=row.email or "",
    )


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, account_id: int) -> Account | None:
        return self._one(t.accounts.c.id == account_id)

    def by_number(self, number: str) -> Account | None:
        return self._one(t.accounts.c.number == number)

    def gl_account(self, branch_code: str, kind: GlKind, currency: str) -> Account | None:
        return self._one(
            (t.accounts.c.branch_code == branch_code)
            & (t.accounts.c.gl_kind == kind.value)
            & (t.accounts.c.currency == currency)
        )

    def lock(self, account_id: int) -> Account | None:
        row = self.conn.execute(
            select(t.accounts).where(t.accounts.c.id == account_id).with_for_update()
        ).first()
        return account_from_row(row) if row else None

    def _one(self, where: Any) -> Account | None:
        row = self.conn.execute(select(t.accounts).where(where)).first()
        return account_from_row(row) if row else None

    def balances(self, account_id: int) -> Balances:
        row = self.conn.execute(_BALANCES.where(t.balances.c.account_id == account_id)).one()
        return balances_from_row(row)

    def balances_many(self, account_ids: Sequence[int]) -> dict[int, Balances]:
        found: dict[int, Balances] = {}
        for chunk in _chunks(sorted(set(account_ids))):
            rows = self.conn.execute(_BALANCES.where(t.balances.c.account_id.in_(chunk)))
            found.update((r.account_id, balances_from_row(r)) for r in rows)
        return found

    def add(self, account: Account) -> None:
        self.add_many([account])

    def add_many(self, accounts: Sequence[Account]) -> None:
        rows = [
            {
                "id": a.id,
                "number": a.number,
                "product_code": a.product_code,
                "currency": a.currency,
                "branch_code": a.branch_code,
                "customer_id": a.customer_id,
                "name": a.name,
                "status": a.status.value,
                "gl_kind": a.gl_kind.value if a.gl_kind else None,
                "overdraft_limit_minor": a.overdraft_limit_minor,
                "debits_must_not_exceed_credits": a.debits_must_not_exceed_credits,
                "credits_must_not_exceed_debits": a.credits_must_not_exceed_debits,
                "opened_at_us": a.opened_at_us,
            }
            for a in accounts
        ]
        with _taken_means(AccountExists, "the account"):
            for i in range(0, len(rows), INSERT_CHUNK):
                self.conn.execute(insert(t.accounts), rows[i : i + INSERT_CHUNK])

    def set_status(self, account_id: int, status: AccountStatus, now_us: int) -> None:
        values: dict[str, Any] = {"status": status.value}
        if status is AccountStatus.CLOSED:
            values["closed_at_us"] = now_us
        self.conn.execute(update(t.accounts).where(t.accounts.c.id == account_id).values(**values))

    def for_customer(self, customer_id: int) -> list[Account]:
        rows = self.conn.execute(
            select(t.accounts)
            .where(t.accounts.c.customer_id == customer_id)
            .order_by(t.accounts.c.id)
        )
        return [account_from_row(r) for r in rows]

    def for_customers(self, customer_ids: Sequence[int]) -> list[Account]:
        found: list[Account] = []
        for chunk in _chunks(sorted(set(customer_ids))):
            rows = self.conn.execute(select(t.accounts).where(t.accounts.c.customer_id.in_(chunk)))
            found += (account_from_row(r) for r in rows)
        return sorted(found, key=lambda a: a.id)


def account_from_row(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        number=row.number,
        product_code=row.product_code,
        currency=row.currency,
        branch_code=row.branch_code,
        customer_id=row.customer_id,
        name=row.name,
        status=AccountStatus(row.status),
        overdraft_limit_minor=row.overdraft_limit_minor,
        debits_must_not_exceed_credits=bool(row.debits_must_not_exceed_credits),
        credits_must_not_exceed_debits=bool(row.credits_must_not_exceed_debits),
        gl_kind=GlKind(row.gl_kind) if row.gl_kind else None,
        opened_at_us=row.opened_at_us,
    )


# An account's balances (the ledger's row) with the product that says its normal side.
_BALANCES = select(t.balances, t.accounts.c.product_code).join_from(
    t.balances, t.accounts, t.accounts.c.id == t.balances.c.account_id
)


def balances_from_row(row: Row[Any]) -> Balances:
    return Balances(
        normal_side=product(row.product_code).normal_side,
        debits_pending=row.debits_pending,
        debits_posted=row.debits_posted,
        credits_pending=row.credits_pending,
        credits_posted=row.credits_posted,
        overdraft_limit_minor=row.overdraft_limit_minor,
    )


class SqlSequences:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_block(self, name: str, size: int) -> int:
        assert size > 0
        row = self.conn.execute(
            update(t.sequences)
            .where(t.sequences.c.name == name)
            .values(value=t.sequences.c.value + size)
            .returning(t.sequences.c.value)
        ).first()
        if row is None:
            raise LookupError(f"no sequence {name!r}: the migrations create every sequence")
        return int(row.value) - size + 1
