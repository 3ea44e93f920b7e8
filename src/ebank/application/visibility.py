"""What an actor may see: the one place that decides whether a caller reaches an account
or a customer.

A customer reaches only their own things. Anything else, whether it exists or not,
answers as not found, so that a caller cannot learn which account numbers exist (and
another customer's account answers 404, never 403). Staff reach what sits in their
branch subtree, and the head office everything; a member of staff asking outside their
branch is told so (``OutsideBranch``), since staff may know that the thing exists.
"""

from __future__ import annotations

from ebank.application.ports import UnitOfWork
from ebank.domain.access import Actor, branch_in_scope, require_branch
from ebank.domain.accounts import Account
from ebank.domain.customers import Customer
from ebank.domain.errors import AccountNotFound, CustomerNotFound


def branch_parents(uow: UnitOfWork) -> dict[str, str | None]:
    """Branch code -> its parent's code (``None`` for the head office), for
    ``require_branch``."""
    return {branch.code: branch.parent_code for branch in uow.branches.all()}


def check_branch(uow: UnitOfWork, actor: Actor, branch_code: str) -> None:
    """Refuse (``OutsideBranch``) a member of staff acting outside their branch subtree.
    Reads the branch tree only when the answer is not obvious."""
    assert actor.is_staff, "branch scope is a staff rule"
    if actor.at_head_office or actor.branch_code == branch_code:
        return
    require_branch(actor, branch_code, branch_parents(uow))


def branches_in_scope(uow: UnitOfWork, actor: Actor) -> list[str] | None:
    """The branch codes a member of staff reaches (their unit and every unit below it);
    ``None`` for the head office, which reaches every branch."""
    assert actor.is_staff, "branch scope is a staff rule"
    if actor.at_head_office:
        return None
    assert actor.branch_code is not None
    parents = branch_parents(uow)
    return sorted(code for code in parents if branch_in_scope(actor.branch_code, code, parents))


def account_for(uow: UnitOfWork, actor: Actor, number: str) -> Account:
    """The account numbered ``number``, if ``actor`` may see it."""
    account = uow.accounts.by_number(number)
    if actor.is_customer:
        if account is None or not _owns(actor, account.customer_id):
            raise AccountNotFound(f"no account {number}")
        return account
    if account is None:
        raise AccountNotFound(f"no account {number}")
    check_branch(uow, actor, account.branch_code)
    return account


def customer_for(uow: UnitOfWork, actor: Actor, number: str) -> Customer:
    """The customer numbered ``number``, if ``actor`` may see them."""
    customer = uow.customers.by_number(number)
    if actor.is_customer:
        if customer is None or not _owns(actor, customer.id):
            raise CustomerNotFound(f"no customer {number}")
        return customer
    if customer is None:
        raise CustomerNotFound(f"no customer {number}")
    check_branch(uow, actor, customer.branch_code)
    return customer


def own_customer(uow: UnitOfWork, actor: Actor) -> Customer:
    """The customer a customer user acts for."""
    assert actor.is_customer, "only customer users have a customer of their own"
    customer = uow.customers.get(actor.customer_id) if actor.customer_id is not None else None
    if customer is None:
        raise CustomerNotFound("no customer for this user")
    return customer


def _owns(actor: Actor, customer_id: int | None) -> bool:
    return actor.customer_id is not None and customer_id == actor.customer_id
