"""The Bank API: customers. Tellers and supervisors onboard customers in their branch;
staff find and read customers within their branch scope; a customer reads themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ebank.application import account_services
from ebank.domain.access import CUSTOMER_ROLES, STAFF_ROLES, Role
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import CustomerIn, CustomerList, CustomerOut

router = APIRouter(tags=["customers"])

ONBOARDING = {Role.TELLER, Role.SUPERVISOR}
CustomerNumber = Annotated[str, Path(min_length=1, max_length=16)]


@route(router, "POST", "/customers", roles=ONBOARDING, response_model=CustomerOut, status_code=201)
def onboard(body: CustomerIn, ctx: CtxDep, actor: ActorDep) -> CustomerOut:
    """A new individual or corporate customer of your branch (or a unit below it)."""
    customer = account_services.onboard_customer(
        ctx,
        actor,
        body.kind,
        body.name,
        body.id_type,
        body.id_number,
        body.branch_code,
        body.tier,
        body.phone,
        body.email,
    )
    return CustomerOut.of(customer)


@route(router, "GET", "/customers", roles=STAFF_ROLES, response_model=CustomerList)
def search(
    ctx: CtxDep,
    actor: ActorDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Customer number, ID number, or part of the name"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=account_services.MAX_SEARCH_RESULTS)] = 20,
) -> CustomerList:
    """Find customers within your branch scope (the head office: anywhere)."""
    found = account_services.search_customers(ctx, actor, q, limit)
    return CustomerList(customers=[CustomerOut.of(c) for c in found])


@route(router, "GET", "/customers/me", roles=CUSTOMER_ROLES, response_model=CustomerOut)
def me(ctx: CtxDep, actor: ActorDep) -> CustomerOut:
    """The customer you act for."""
    return CustomerOut.of(account_services.view_customer(ctx, actor, None))


@route(
    router,
    "GET",
    "/customers/{number}",
    roles=CUSTOMER_ROLES | STAFF_ROLES,
    response_model=CustomerOut,
)
def get_customer(number: CustomerNumber, ctx: CtxDep, actor: ActorDep) -> CustomerOut:
    """One customer: staff within their branch scope; a customer only themselves
    (anyone else answers 404)."""
    return CustomerOut.of(account_services.view_customer(ctx, actor, number))
