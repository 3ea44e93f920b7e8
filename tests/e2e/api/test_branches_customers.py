"""Branches and customers through the real HTTP server, on SQLite and PostgreSQL: who may
add and read them, the branch scope of staff, a customer's view of themselves, and the
audit trail of every staff action."""

from __future__ import annotations

import json

import httpx

from e2e.api.support import add_user, sign_in
from ebank.application import banking
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.branches import BranchKind
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, individual

OTHER_BRANCH = "0200"


def audit_trail(bank: Bank, action: str) -> list[tuple[str, str, str]]:
    """(actor, target, outcome) of the audit entries of ``action``, oldest first."""
    with bank.ctx.read() as uow:
        found = uow.audit.search(AuditQuery(action=action, limit=100))
    return [(e.actor, e.target, e.outcome) for e in reversed(found)]


def problem(response: httpx.Response, status: int, result: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["result"] == result


def test_branches_are_read_by_everyone_and_added_by_head_office_admins(
    bank: Bank, http: httpx.Client
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    customer = individual(ctx, BRANCH)
    admin = add_user(bank, role=Role.ADMIN, branch_code=HEAD_OFFICE, username="root")
    branch_admin = add_user(bank, role=Role.ADMIN, branch_code=BRANCH)
    teller = add_user(bank, role=Role.TELLER, branch_code=HEAD_OFFICE)
    client = add_user(bank, role=Role.CUSTOMER, customer_id=customer.id)

    problem(http.get("/api/v1/branches"), 401, "token_invalid")
    as_admin = sign_in(http, bank, admin)
    new = {"code": OTHER_BRANCH, "name": "上海分行", "kind": "branch", "parent_code": HEAD_OFFICE}
    r = http.post("/api/v1/branches", json=new, headers=as_admin)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "code": OTHER_BRANCH,
        "name": "上海分行",
        "kind": "branch",
        "parent_code": HEAD_OFFICE,
    }
    problem(http.post("/api/v1/branches", json=new, headers=as_admin), 409, "branch_exists")
    outlet_under_nothing = {**new, "code": "0300", "kind": "outlet", "parent_code": "0999"}
    problem(
        http.post("/api/v1/branches", json=outlet_under_nothing, headers=as_admin),
        404,
        "branch_not_found",
    )
    problem(
        http.post("/api/v1/branches", json={**new, "code": "12"}, headers=as_admin),
        422,
        "invalid_input",
    )
    # Not an admin; an admin, but not at the head office.
    problem(
        http.post(
            "/api/v1/branches", json={**new, "code": "0400"}, headers=sign_in(http, bank, teller)
        ),
        403,
        "forbidden",
    )
    problem(
        http.post(
            "/api/v1/branches",
            json={**new, "code": "0400"},
            headers=sign_in(http, bank, branch_admin),
        ),
        403,
        "outside_branch",
    )

    as_customer = sign_in(http, bank, client)
    codes = [b["code"] for b in http.get("/api/v1/branches", headers=as_customer).json()]
    assert codes == [HEAD_OFFICE, BRANCH, OTHER_BRANCH]
    assert http.get(f"/api/v1/branches/{BRANCH}", headers=as_customer).json()["kind"] == "branch"
    problem(http.get("/api/v1/branches/0999", headers=as_customer), 404, "branch_not_found")

    assert audit_trail(bank, "branch.add") == [
        ("root", f"branch:{OTHER_BRANCH}", "ok"),
        ("root", f"branch:{OTHER_BRANCH}", "branch_exists"),
        ("root", "branch:0300", "branch_not_found"),
        (branch_admin.username, "branch:0400", "outside_branch"),
    ]


def test_customers_are_onboarded_and_read_within_the_branch_scope(
    bank: Bank, http: httpx.Client
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    banking.add_branch(ctx, OTHER_BRANCH, "上海分行", BranchKind.BRANCH, HEAD_OFFICE)
    elsewhere = individual(ctx, OTHER_BRANCH, name="王五")
    teller = add_user(bank, role=Role.TELLER, branch_code=BRANCH, username="teller100")
    other_teller = add_user(bank, role=Role.TELLER, branch_code=OTHER_BRANCH)
    auditor = add_user(bank, role=Role.AUDITOR, branch_code=HEAD_OFFICE)
    as_teller = sign_in(http, bank, teller)

    body = {
        "kind": "individual",
        "name": "Zhang San 张三",
        "id_type": "resident_id",
        "id_number": "110101199001011237",
        "tier": "gold",
        "phone": "+8613800000000",
        "email": "zhang.san@example.com",
    }
    r = http.post("/api/v1/customers", json=body, headers=as_teller)
    assert r.status_code == 201, r.text
    zhang = r.json()
    assert zhang["email"] == "zhang.san@example.com"
    assert zhang["branch_code"] == BRANCH  # the teller's own branch
    assert zhang["tier"] == "gold" and zhang["kind"] == "individual"
    assert zhang["id_number_masked"] == "**************1237"
    assert zhang["number"].startswith("C")
    problem(http.post("/api/v1/customers", json=body, headers=as_teller), 409, "customer_exists")
    problem(
        http.post(
            "/api/v1/customers",
            json={**body, "id_number": "X1", "branch_code": OTHER_BRANCH},
            headers=as_teller,
        ),
        403,
        "outside_branch",
    )
    corporate_with_resident_id = {**body, "kind": "corporate", "id_number": "X2"}
    problem(
        http.post("/api/v1/customers", json=corporate_with_resident_id, headers=as_teller),
        400,
        "invalid_input",
    )
    bad_checksum = {**body, "id_number": "110101199001011234"}
    problem(
        http.post("/api/v1/customers", json=bad_checksum, headers=as_teller),
        422,
        "resident_id_invalid",
    )
    no_address = {**body, "id_number": "110101199001010007", "email": "zhang san@example.com"}
    problem(
        http.post("/api/v1/customers", json=no_address, headers=as_teller), 400, "invalid_input"
    )

    # Search and read: the teller's branch only; the head office everywhere.
    def search(headers: dict[str, str], q: str) -> list[str]:
        r = http.get("/api/v1/customers", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        return [c["number"] for c in r.json()["customers"]]

    assert search(as_teller, "zhang") == [zhang["number"]]
    assert search(as_teller, "王五") == []
    as_auditor = sign_in(http, bank, auditor)
    assert search(as_auditor, "王五") == [elsewhere.number]
    assert search(as_auditor, "110101199001011237") == [zhang["number"]]
    assert http.get(f"/api/v1/customers/{zhang['number']}", headers=as_teller).json() == zhang
    problem(
        http.get(f"/api/v1/customers/{zhang['number']}", headers=sign_in(http, bank, other_teller)),
        403,
        "outside_branch",
    )
    problem(http.get("/api/v1/customers/C9999999999", headers=as_teller), 404, "customer_not_found")

    # A customer sees themselves, and nobody else (not even whether they exist).
    client = add_user(bank, role=Role.CUSTOMER, customer_id=elsewhere.id)
    as_client = sign_in(http, bank, client)
    me = http.get("/api/v1/customers/me", headers=as_client).json()
    assert (me["number"], me["name"]) == (elsewhere.number, "王五")
    assert http.get(f"/api/v1/customers/{elsewhere.number}", headers=as_client).json() == me
    other = http.get(f"/api/v1/customers/{zhang['number']}", headers=as_client)
    missing = http.get("/api/v1/customers/C9999999999", headers=as_client)
    problem(other, 404, "customer_not_found")
    problem(missing, 404, "customer_not_found")
    assert other.json()["title"] == missing.json()["title"]
    problem(http.get("/api/v1/customers", headers=as_client), 403, "forbidden")
    problem(http.post("/api/v1/customers", json=body, headers=as_client), 403, "forbidden")
    problem(http.get("/api/v1/customers/me", headers=as_teller), 403, "forbidden")

    onboarded = audit_trail(bank, "customer.onboard")
    assert onboarded[0] == ("teller100", f"customer:{zhang['number']}", "ok")
    assert [o for _, _, o in onboarded] == [
        "ok",
        "customer_exists",
        "outside_branch",
        "invalid_input",
        "resident_id_invalid",
        "invalid_input",
    ]
    # The address is customer data: the audit trail keeps it masked.
    with bank.ctx.read() as uow:
        found = uow.audit.search(AuditQuery(action="customer.onboard", limit=100))
    (entry,) = [e for e in found if e.outcome == "ok"]
    assert json.loads(entry.details)["email"] == "z***@example.com"
    assert not any("zhang.san@" in e.details or "zhang san@" in e.details for e in found)
    assert len(audit_trail(bank, "customer.search")) == 4
    viewed = audit_trail(bank, "customer.view")
    assert ("teller100", f"customer:{zhang['number']}", "ok") in viewed
    assert all(actor != client.username for actor, _, _ in viewed)  # customers' reads: not
