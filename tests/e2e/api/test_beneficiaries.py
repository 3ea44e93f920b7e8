"""Saved payees through the real HTTP server, on SQLite and PostgreSQL: saved only when
the account number and name match an open account, kept per customer, audited."""

from __future__ import annotations

import httpx

from e2e.api.support import add_user, sign_in
from ebank.application import banking
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import AccountStatus, GlKind
from factories import BRANCH, bank_with_branch, corporate, gl, individual

from .test_branches_customers import audit_trail, problem


def test_customers_save_list_and_forget_payees(bank: Bank, http: httpx.Client) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    alice = individual(ctx, BRANCH, name="Alice")
    landlord = individual(ctx, BRANCH, name="Li Si 李四")
    payee = banking.open_account(ctx, landlord.number, "SAV")
    closed = banking.open_account(ctx, landlord.number, "SAV")
    banking.change_status(ctx, closed.number, AccountStatus.CLOSED)
    company = corporate(ctx, BRANCH)
    client = add_user(bank, role=Role.CUSTOMER, customer_id=alice.id, username="alice")
    as_alice = sign_in(http, bank, client)

    # The name is checked loosely (case, spaces, full-width letters), the number exactly.
    body = {"alias": "rent", "account_number": payee.number, "name": "  ｌｉ  SI 李四 "}
    r = http.post("/api/v1/beneficiaries", json=body, headers=as_alice)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["alias"] == "rent" and saved["account_number"] == payee.number
    assert saved["name"] == "Li Si 李四"  # the account's own name is kept
    assert saved["created_at"].endswith("+08:00")
    problem(
        http.post("/api/v1/beneficiaries", json=body, headers=as_alice), 409, "beneficiary_exists"
    )
    problem(
        http.post("/api/v1/beneficiaries", json={**body, "alias": "other"}, headers=as_alice),
        409,
        "beneficiary_exists",
    )

    # Wrong name, no such account, a closed one, an internal one: one answer for all.
    mismatches = [
        {**body, "alias": "a", "name": "Wang Wu"},
        {**body, "alias": "b", "account_number": "0100" + "9" * 14 + "5"},
        {**body, "alias": "c", "account_number": closed.number},
        {
            **body,
            "alias": "d",
            "account_number": gl(ctx, GlKind.CASH, BRANCH).number,
            "name": "Cash",
        },
        {
            **body,
            "alias": "e",
            "account_number": payee.number[:-1] + str((int(payee.number[-1]) + 1) % 10),
        },
    ]
    answers = set()
    for wrong in mismatches:
        r = http.post("/api/v1/beneficiaries", json=wrong, headers=as_alice)
        problem(r, 422, "beneficiary_mismatch")
        answers.add(r.json()["detail"])
    assert len(answers) == 1
    problem(
        http.post(
            "/api/v1/beneficiaries", json={**body, "account_number": "123"}, headers=as_alice
        ),
        422,
        "invalid_input",
    )

    listed = http.get("/api/v1/beneficiaries", headers=as_alice).json()["beneficiaries"]
    assert listed == [saved]
    # Another customer neither sees nor removes Alice's payees; a viewer only reads.
    other = add_user(bank, role=Role.CUSTOMER, customer_id=landlord.id)
    as_other = sign_in(http, bank, other)
    assert http.get("/api/v1/beneficiaries", headers=as_other).json() == {"beneficiaries": []}
    problem(
        http.delete(f"/api/v1/beneficiaries/{saved['id']}", headers=as_other),
        404,
        "beneficiary_not_found",
    )
    viewer = add_user(bank, role=Role.VIEWER, customer_id=company.id)
    as_viewer = sign_in(http, bank, viewer)
    assert http.get("/api/v1/beneficiaries", headers=as_viewer).status_code == 200
    problem(http.post("/api/v1/beneficiaries", json=body, headers=as_viewer), 403, "forbidden")
    teller = add_user(bank, role=Role.TELLER, branch_code=BRANCH)
    problem(
        http.get("/api/v1/beneficiaries", headers=sign_in(http, bank, teller)), 403, "forbidden"
    )

    r = http.delete(f"/api/v1/beneficiaries/{saved['id']}", headers=as_alice)
    assert r.status_code == 204 and r.content == b""
    problem(
        http.delete(f"/api/v1/beneficiaries/{saved['id']}", headers=as_alice),
        404,
        "beneficiary_not_found",
    )
    assert http.get("/api/v1/beneficiaries", headers=as_alice).json() == {"beneficiaries": []}

    assert audit_trail(bank, "beneficiary.add") == [("alice", f"customer:{alice.number}", "ok")]
    assert audit_trail(bank, "beneficiary.remove") == [("alice", f"customer:{alice.number}", "ok")]
