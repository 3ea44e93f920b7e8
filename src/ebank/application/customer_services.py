"""Customer services: a customer's saved payees (beneficiaries).

A payee is saved only when its account number and name match an open customer account
of the bank (户名校验), and the refusal never says which of the two was wrong, so the
form cannot be used to find out who holds an account. Adding and removing a payee are
security events (a saved payee is paid without a step-up code below the threshold): both
are audited.
"""

from __future__ import annotations

import unicodedata

from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_customers import Beneficiary
from ebank.application.visibility import own_customer
from ebank.domain.access import CUSTOMER_ROLES, PAYING_CUSTOMER_ROLES, Actor, require_role
from ebank.domain.accounts import AccountStatus, is_valid_account_number
from ebank.domain.errors import BeneficiaryMismatch, BeneficiaryNotFound, InvalidInput

MAX_BENEFICIARIES = 100  # per customer
MAX_ALIAS_LENGTH = 32
MAX_NAME_LENGTH = 200


def list_beneficiaries(ctx: Context, actor: Actor) -> list[Beneficiary]:
    require_role(actor, CUSTOMER_ROLES)
    with ctx.read() as uow:
        return uow.beneficiaries.for_customer(own_customer(uow, actor).id)


def add_beneficiary(
    ctx: Context, actor: Actor, alias: str, account_number: str, name: str
) -> Beneficiary:
    require_role(actor, PAYING_CUSTOMER_ROLES)
    alias = alias.strip()
    if not 1 <= len(alias) <= MAX_ALIAS_LENGTH:
        raise InvalidInput(f"a payee's alias must be 1 to {MAX_ALIAS_LENGTH} characters")
    if not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"a payee's name must be 1 to {MAX_NAME_LENGTH} characters")
    if not is_valid_account_number(account_number):
        raise BeneficiaryMismatch("the account number and name do not match an open account")

    def work(uow: UnitOfWork, now: int) -> Audited[Beneficiary]:
        customer = own_customer(uow, actor)
        payee = uow.accounts.by_number(account_number)
        if (
            payee is None
            or payee.gl_kind is not None
            or payee.status is AccountStatus.CLOSED
            or _comparable(payee.name) != _comparable(name)
        ):
            raise BeneficiaryMismatch("the account number and name do not match an open account")
        if uow.beneficiaries.count(customer.id) >= MAX_BENEFICIARIES:
            raise InvalidInput(f"at most {MAX_BENEFICIARIES} payees: remove one first")
        saved = uow.beneficiaries.add(customer.id, alias, account_number, payee.name, now)
        details = {"alias": alias, "account": account_number}
        return Audited(saved, f"customer:{customer.number}", details)

    return run_audited(ctx, actor, "beneficiary.add", work, changes=True)


def remove_beneficiary(ctx: Context, actor: Actor, beneficiary_id: int) -> None:
    require_role(actor, PAYING_CUSTOMER_ROLES)

    def work(uow: UnitOfWork, now: int) -> Audited[None]:
        customer = own_customer(uow, actor)
        found = uow.beneficiaries.get(customer.id, beneficiary_id)
        if found is None or not uow.beneficiaries.remove(customer.id, beneficiary_id):
            raise BeneficiaryNotFound(f"no payee {beneficiary_id}")
        details = {"alias": found.alias, "account": found.account_number}
        return Audited(None, f"customer:{customer.number}", details)

    run_audited(ctx, actor, "beneficiary.remove", work, changes=True)


def _comparable(name: str) -> str:
    """A name as compared: compatibility-normalised (full-width letters as half-width),
    case and runs of spaces ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
