"""The Bank API: branches. Anyone signed in reads the branch tree; an administrator of
the head office adds to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ebank.application import account_services
from ebank.domain.access import CUSTOMER_ROLES, STAFF_ROLES, Role
from ebank.entrypoints.api.deps import ActorDep, CtxDep, route
from ebank.entrypoints.api.models_accounts import BranchIn, BranchOut

router = APIRouter(tags=["branches"])

EVERYONE = CUSTOMER_ROLES | STAFF_ROLES
BranchCode = Annotated[str, Path(pattern=r"^[0-9]{4}$")]


@route(router, "GET", "/branches", roles=EVERYONE, response_model=list[BranchOut])
def list_branches(ctx: CtxDep, actor: ActorDep) -> list[BranchOut]:
    """The branch tree: head office, branches, sub-branches and outlets, by code."""
    return [BranchOut.of(b) for b in account_services.list_branches(ctx)]


@route(router, "GET", "/branches/{code}", roles=EVERYONE, response_model=BranchOut)
def get_branch(code: BranchCode, ctx: CtxDep, actor: ActorDep) -> BranchOut:
    """One unit of the branch tree."""
    return BranchOut.of(account_services.get_branch(ctx, code))


@route(router, "POST", "/branches", roles={Role.ADMIN}, response_model=BranchOut, status_code=201)
def add_branch(body: BranchIn, ctx: CtxDep, actor: ActorDep) -> BranchOut:
    """Add a unit to the branch tree, with its internal accounts in each currency. Only
    an administrator of the head office."""
    branch = account_services.add_branch(
        ctx,
        actor,
        body.code,
        body.name,
        body.kind,
        body.parent_code,
        tuple(body.currencies),
    )
    return BranchOut.of(branch)
