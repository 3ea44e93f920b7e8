"""Helpers of the payments and controls API tests: a bank with customers, funded
accounts and signed-in users, and idempotency keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from e2e.api.support import TestUser, add_user, sign_in
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import Account
from ebank.domain.customers import Customer, Tier
from ebank.domain.transfers import JournalEntry
from factories import BRANCH, bank_with_branch, deposit, individual, savings


@dataclass(frozen=True)
class Payer:
    """A customer with signed-in user and accounts."""

    customer: Customer
    user: TestUser
    auth: dict[str, str]
    accounts: list[Account]


def payer(
    bank: Bank,
    http: httpx.Client,
    funds_minor: list[int],
    *,
    tier: Tier = Tier.STANDARD,
    branch_code: str = BRANCH,
) -> Payer:
    """A customer of ``branch_code`` with one savings account per entry of
    ``funds_minor`` (deposited in cash), a user, and a session."""
    customer = individual(bank.ctx, branch_code, tier=tier)
    accounts = []
    for minor in funds_minor:
        account = savings(bank.ctx, customer)
        if minor:
            deposit(bank.ctx, account, minor)
        accounts.append(account)
    user = add_user(bank, role=Role.CUSTOMER, customer_id=customer.id)
    return Payer(customer, user, sign_in(http, bank, user), accounts)


def staff(
    bank: Bank, http: httpx.Client, role: Role, branch_code: str = BRANCH
) -> tuple[TestUser, dict[str, str]]:
    user = add_user(bank, role=role, branch_code=branch_code)
    return user, sign_in(http, bank, user)


def fresh_bank(bank: Bank) -> None:
    """A head office (0001) and a branch (0100) under it."""
    bank_with_branch(bank.ctx)


def keyed(auth: dict[str, str], key: str | None = None) -> dict[str, str]:
    """``auth`` with an Idempotency-Key (a new one unless given)."""
    return {**auth, "Idempotency-Key": key or str(uuid.uuid4())}


def counters(bank: Bank, account: Account) -> tuple[int, int, int, int]:
    """(debits_pending, debits_posted, credits_pending, credits_posted)."""
    with bank.ctx.read() as uow:
        b = uow.accounts.balances(account.id)
    return (b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted)


def available(bank: Bank, account: Account) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account.id).available_minor


def entry(bank: Bank, transfer_id: str) -> JournalEntry | None:
    with bank.ctx.read() as uow:
        return uow.journal.entry(uuid.UUID(transfer_id))


def save_payee(bank: Bank, customer: Customer, account: Account, alias: str = "payee") -> int:
    """A saved beneficiary of ``customer``; returns its id."""
    with bank.ctx.uow() as uow:
        saved = uow.beneficiaries.add(
            customer.id, alias, account.number, account.name, bank.ctx.clock.now_us()
        )
        uow.commit()
    return saved.beneficiary_id


def leg(debit: Account, credit: Account, minor: int, **extra: Any) -> dict[str, Any]:
    return {
        "debit_account": debit.number,
        "credit_account": credit.number,
        "amount_minor": minor,
        "currency": "CNY",
        **extra,
    }


def problem_of(response: httpx.Response, status: int, result: str) -> dict[str, Any]:
    """The problem details of ``response``, checked to be ``result`` with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["result"] == result, body
    return body


def audited_actions(bank: Bank) -> list[str]:
    from sqlalchemy import text

    with bank.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY seq"))]
