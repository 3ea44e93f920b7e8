"""The Bank API: a customer's saved payees (beneficiaries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ebank.application import customer_services
from ebank.domain.access import CUSTOMER_ROLES, PAYING_CUSTOMER_ROLES
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import BeneficiaryIn, BeneficiaryList, BeneficiaryOut

router = APIRouter(tags=["beneficiaries"])


@route(router, "GET", "/beneficiaries", roles=CUSTOMER_ROLES, response_model=BeneficiaryList)
def list_beneficiaries(ctx: CtxDep, actor: ActorDep) -> BeneficiaryList:
    """Your saved payees, by alias."""
    found = customer_services.list_beneficiaries(ctx, actor)
    return BeneficiaryList(beneficiaries=[BeneficiaryOut.of(b) for b in found])


@route(
    router,
    "POST",
    "/beneficiaries",
    roles=PAYING_CUSTOMER_ROLES,
    response_model=BeneficiaryOut,
    status_code=201,
)
def add_beneficiary(body: BeneficiaryIn, ctx: CtxDep, actor: ActorDep) -> BeneficiaryOut:
    """Save a payee. The account number and the name must match an open account of the
    bank (``beneficiary_mismatch`` otherwise, without saying which is wrong)."""
    saved = customer_services.add_beneficiary(
        ctx, actor, body.alias, body.account_number, body.name
    )
    return BeneficiaryOut.of(saved)


@route(
    router,
    "DELETE",
    "/beneficiaries/{beneficiary_id}",
    roles=PAYING_CUSTOMER_ROLES,
    status_code=204,
    response_class=Response,
)
def remove_beneficiary(
    beneficiary_id: Annotated[int, Path(ge=1)], ctx: CtxDep, actor: ActorDep
) -> Response:
    """Forget a saved payee."""
    customer_services.remove_beneficiary(ctx, actor, beneficiary_id)
    return Response(status_code=204)
