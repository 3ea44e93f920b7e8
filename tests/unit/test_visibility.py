"""Who sees which account and customer: customers their own only (anything else is not
found), staff their branch subtree, the head office everything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ebank.application import banking
from ebank.application.context import Context
from ebank.application.visibility import (
    account_for,
    branch_parents,
    branches_in_scope,
    check_branch,
    customer_for,
    own_customer,
)
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import Account, GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.customers import Customer
from ebank.domain.errors import AccountNotFound, CustomerNotFound, OutsideBranch
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, individual, savings

from .fakes import fake_context

SUB_BRANCH = "0110"
OTHER_BRANCH = "0200"


@dataclass
class World:
    ctx: Context
    alice: Customer  # at the sub-branch, below BRANCH
    bob: Customer  # at OTHER_BRANCH
    alice_account: Account
    bob_account: Account


@pytest.fixture
def world() -> World:
    ctx, _, _ = fake_context()
    bank_with_branch(ctx)
    banking.add_branch(ctx, SUB_BRANCH, "海淀支行", BranchKind.SUB_BRANCH, BRANCH)
    banking.add_branch(ctx, OTHER_BRANCH, "上海分行", BranchKind.BRANCH, HEAD_OFFICE)
    alice = individual(ctx, SUB_BRANCH, name="Alice")
    bob = individual(ctx, OTHER_BRANCH, name="Bob")
    return World(
        ctx,
        alice,
        bob,
        savings(ctx, alice, branch_code=SUB_BRANCH),
        savings(ctx, bob, branch_code=OTHER_BRANCH),
    )


def customer_user(customer: Customer | None, role: Role = Role.CUSTOMER) -> Actor:
    return Actor(
        user_id=1,
        username="c",
        kind=UserKind.CUSTOMER,
        role=role,
        customer_id=customer.id if customer else None,
    )


def staff(branch: str, role: Role = Role.TELLER) -> Actor:
    return Actor(
        user_id=2,
        username="s",
        kind=UserKind.STAFF,
        role=role,
        branch_code=branch,
        at_head_office=branch == HEAD_OFFICE,
    )


def test_branch_parents_maps_the_whole_tree(world: World) -> None:
    with world.ctx.read() as uow:
        assert branch_parents(uow) == {
            HEAD_OFFICE: None,
            BRANCH: HEAD_OFFICE,
            SUB_BRANCH: BRANCH,
            OTHER_BRANCH: HEAD_OFFICE,
        }


def test_a_customer_sees_only_their_own_account_and_self(world: World) -> None:
    alice = customer_user(world.alice, Role.VIEWER)
    with world.ctx.read() as uow:
        assert account_for(uow, alice, world.alice_account.number) == world.alice_account
        assert customer_for(uow, alice, world.alice.number) == world.alice
        assert own_customer(uow, alice) == world.alice


@pytest.mark.parametrize("whose", ["other customer's", "missing", "internal"])
def test_anything_not_a_customers_own_is_not_found(world: World, whose: str) -> None:
    with world.ctx.read() as uow:
        gl = uow.accounts.gl_account(SUB_BRANCH, GlKind.CASH, "CNY")
        assert gl is not None
        number = {
            "other customer's": world.bob_account.number,
            "missing": "0200" + "9" * 15,
            "internal": gl.number,
        }[whose]
        with pytest.raises(AccountNotFound) as refused:
            account_for(uow, customer_user(world.alice), number)
        # The answer is the same whether the account exists or not: nothing is revealed.
        assert refused.value.message == f"no account {number}"
        with pytest.raises(CustomerNotFound):
            customer_for(uow, customer_user(world.alice), world.bob.number)


def test_a_customer_user_without_a_customer_sees_nothing(world: World) -> None:
    nobody = customer_user(None)
    with world.ctx.read() as uow:
        with pytest.raises(AccountNotFound):
            account_for(uow, nobody, world.alice_account.number)
        with pytest.raises(CustomerNotFound):
            customer_for(uow, nobody, world.alice.number)
        with pytest.raises(CustomerNotFound):
            own_customer(uow, nobody)


def test_staff_see_their_branch_subtree_only(world: World) -> None:
    with world.ctx.read() as uow:
        # A branch teller reaches the sub-branch below it...
        parent_teller = staff(BRANCH)
        assert account_for(uow, parent_teller, world.alice_account.number) == world.alice_account
        assert customer_for(uow, parent_teller, world.alice.number) == world.alice
        # ...but not a sibling branch, and is told why.
        with pytest.raises(OutsideBranch):
            account_for(uow, parent_teller, world.bob_account.number)
        with pytest.raises(OutsideBranch):
            customer_for(uow, parent_teller, world.bob.number)
        # The sub-branch does not reach up to its parent.
        with pytest.raises(OutsideBranch):
            check_branch(uow, staff(SUB_BRANCH), BRANCH)
        check_branch(uow, staff(SUB_BRANCH), SUB_BRANCH)
        # Missing things are not found for staff either.
        with pytest.raises(AccountNotFound):
            account_for(uow, parent_teller, "0100" + "9" * 15)
        with pytest.raises(CustomerNotFound):
            customer_for(uow, parent_teller, "C9999999999")


def test_head_office_staff_see_every_branch(world: World) -> None:
    auditor = staff(HEAD_OFFICE, Role.AUDITOR)
    with world.ctx.read() as uow:
        assert account_for(uow, auditor, world.bob_account.number) == world.bob_account
        assert account_for(uow, auditor, world.alice_account.number) == world.alice_account
        assert customer_for(uow, auditor, world.bob.number) == world.bob
        check_branch(uow, auditor, OTHER_BRANCH)


def test_the_scope_of_staff_is_their_subtree(world: World) -> None:
    with world.ctx.read() as uow:
        assert branches_in_scope(uow, staff(BRANCH)) == [BRANCH, SUB_BRANCH]
        assert branches_in_scope(uow, staff(SUB_BRANCH)) == [SUB_BRANCH]
        assert branches_in_scope(uow, staff(OTHER_BRANCH)) == [OTHER_BRANCH]
        assert branches_in_scope(uow, staff(HEAD_OFFICE)) is None
