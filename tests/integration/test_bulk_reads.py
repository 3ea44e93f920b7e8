"""The repositories' bulk reads on SQLite and PostgreSQL: more keys than one IN (...) takes,
keys that match nothing, repeated keys, and the same answers as the one-at-a-time reads."""

from __future__ import annotations

import pytest

from ebank.adapters.clock import FixedClock
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, AccountStatus, GlKind, account_number
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, customer_number
from factories import HEAD_OFFICE, deposit, gl, head_office

N = 1500  # customers, each with two accounts: more than one chunk of 1,000 keys


@pytest.fixture
def many(bank: Bank, clock: FixedClock) -> tuple[list[Customer], list[Account]]:
    """``N`` customers (passports and resident ids) with two accounts each, two funded."""
    ctx = bank.ctx
    head_office(ctx)
    with ctx.uow() as uow:
        first = uow.sequences.next_block("customer", N)
        customers = [
            Customer(
                id=first + i,
                number=customer_number(first + i),
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{i}",
                tier=Tier.STANDARD,
                id_type=IdType.PASSPORT if i % 2 else IdType.OTHER,
                id_number=f"E{i:08d}",
                branch_code=HEAD_OFFICE,
            )
            for i in range(N)
        ]
        uow.customers.add_many(customers, clock.now_us())
        serial = uow.sequences.next_block("account", 2 * N)
        accounts = [
            Account(
                id=serial + j,
                number=account_number(HEAD_OFFICE, serial + j),
                product_code="SAV",
                currency="CNY",
                branch_code=HEAD_OFFICE,
                customer_id=customers[j % N].id,  # a customer's two accounts are N apart
                name=f"户{j}",
                status=AccountStatus.ACTIVE,
                overdraft_limit_minor=0,
                debits_must_not_exceed_credits=True,
                credits_must_not_exceed_debits=False,
                gl_kind=None,
                opened_at_us=clock.now_us(),
            )
            for j in range(2 * N)
        ]
        uow.accounts.add_many(accounts)
        uow.commit()
    deposit(ctx, accounts[7], 12_345)
    deposit(ctx, accounts[N + 1200], 678)
    return customers, accounts


def test_many_customers_by_id(bank: Bank, many: tuple[list[Customer], list[Account]]) -> None:
    customers, _ = many
    ids = [c.id for c in reversed(customers)] + [customers[3].id, 10**9]
    with bank.ctx.uow() as uow:
        assert uow.customers.many(ids) == customers  # by id, once each, unknown ids left out
        assert uow.customers.many(ids[:2]) == [customers[-2], customers[-1]]
        assert uow.customers.many([]) == []
        assert uow.customers.many([10**9]) == []


def test_customers_by_identities(bank: Bank, many: tuple[list[Customer], list[Account]]) -> None:
    customers, _ = many
    pairs = [(c.id_type.value, c.id_number) for c in customers]
    wrong_type = [("business_licence", c.id_number) for c in customers[:5]]
    unknown = [("passport", "nobody"), ("no_such_type", "E00000001")]
    with bank.ctx.uow() as uow:
        assert uow.customers.by_identities(pairs + wrong_type + unknown + pairs[:3]) == customers
        assert uow.customers.by_identities([pairs[1200], pairs[5]]) == [
            customers[5],
            customers[1200],
        ]
        assert uow.customers.by_identities(wrong_type + unknown) == []
        assert uow.customers.by_identities([]) == []
        for c in customers[::97]:
            assert uow.customers.by_identities([(c.id_type.value, c.id_number)]) == [
                uow.customers.by_identity(c.id_type.value, c.id_number)
            ]


def test_accounts_for_customers(bank: Bank, many: tuple[list[Customer], list[Account]]) -> None:
    customers, accounts = many
    ids = [c.id for c in customers]
    with bank.ctx.uow() as uow:
        # Every account of every customer, by id, and none of the branch's GL accounts.
        assert uow.accounts.for_customers([*ids, 10**9]) == accounts
        assert uow.accounts.for_customers([ids[1100], ids[2], ids[2]]) == [
            accounts[2],
            accounts[1100],
            accounts[N + 2],
            accounts[N + 1100],
        ]
        assert uow.accounts.for_customers([]) == []
        for i in ids[::101]:
            assert uow.accounts.for_customers([i]) == uow.accounts.for_customer(i)


def test_balances_of_many_accounts(bank: Bank, many: tuple[list[Customer], list[Account]]) -> None:
    _, accounts = many
    cash = gl(bank.ctx, GlKind.CASH)
    ids = [*(a.id for a in accounts), cash.id, 10**9]
    with bank.ctx.uow() as uow:
        found = uow.accounts.balances_many(ids)
        assert set(found) == set(ids) - {10**9}
        assert found == {i: uow.accounts.balances(i) for i in found}
        assert found[accounts[7].id].ledger_minor == 12_345
        assert found[accounts[N + 1200].id].ledger_minor == 678
        assert found[cash.id].ledger_minor == 12_345 + 678  # a debit-normal GL account
        assert found[accounts[8].id].ledger_minor == 0
        assert uow.accounts.balances_many([]) == {}
