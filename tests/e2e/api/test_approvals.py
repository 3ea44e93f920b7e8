"""Maker-checker through the API: staff money actions and account freezes wait for a
second person of a checker role, who runs them as recorded or rejects them."""

from __future__ import annotations

import httpx

from e2e.api.money_support import (
    audited_actions,
    counters,
    fresh_bank,
    keyed,
    leg,
    payer,
    problem_of,
    staff,
)
from ebank.application import banking
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import GlKind
from ebank.domain.branches import BranchKind
from factories import BRANCH, HEAD_OFFICE, gl

BIG = 6_000_000  # above the seeded staff_transfer threshold of 5,000,000


def test_a_staff_transfer_waits_for_a_checker_who_runs_it(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [10_000_000, 0])
    source, target = alice.accounts
    _, teller = staff(bank, http, Role.TELLER)
    _, other_teller = staff(bank, http, Role.TELLER)
    _, supervisor = staff(bank, http, Role.SUPERVISOR)
    order = {
        "debit_account": source.number,
        "credit_account": target.number,
        "amount_minor": BIG,
        "currency": "CNY",
        "reference": "written order 88",
    }

    # Below the threshold it runs at once.
    r = http.post(
        "/api/v1/staff/transfers", json={**order, "amount_minor": 1_000}, headers=keyed(teller)
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done"
    assert r.json()["result"]["amount_minor"] == 1_000

    key = keyed(teller)
    r = http.post("/api/v1/staff/transfers", json=order, headers=key)
    assert r.status_code == 202, r.text
    approval = r.json()["approval"]
    assert approval["status"] == "pending"
    assert approval["amount"]["amount_minor"] == BIG
    # Sending it again does not make a second request.
    assert (
        http.post("/api/v1/staff/transfers", json=order, headers=key).json()["approval"] == approval
    )
    assert [
        a["id"] for a in http.get("/api/v1/approvals", headers=supervisor).json()["approvals"]
    ] == [approval["id"]]
    assert counters(bank, source)[1] == 1_000  # nothing moved yet

    decide = f"/api/v1/approvals/{approval['id']}"
    problem_of(
        http.post(f"{decide}/approve", json={"reason": "ok"}, headers=teller),
        403,
        "maker_cannot_check",
    )
    problem_of(
        http.post(f"{decide}/approve", json={"reason": "ok"}, headers=other_teller),
        403,
        "forbidden",
    )
    problem_of(
        http.post(f"{decide}/approve", json={"reason": ""}, headers=supervisor),
        422,
        "invalid_input",
    )
    r = http.post(f"{decide}/approve", json={"reason": "signature checked"}, headers=supervisor)
    assert r.status_code == 200, r.text
    approved = r.json()
    assert (approved["status"], approved["reason"]) == ("approved", "signature checked")
    assert approved["result"]["transfer_id"] == approval["payload"]["transfer_id"]
    assert counters(bank, source)[1] == 1_000 + BIG
    assert counters(bank, target)[3] == 1_000 + BIG
    problem_of(
        http.post(f"{decide}/reject", json={"reason": "late"}, headers=supervisor),
        409,
        "approval_not_pending",
    )
    assert http.get(decide, headers=teller).json()["status"] == "approved"
    assert http.get("/api/v1/approvals", headers=supervisor).json()["approvals"] == []

    # Cash at the counter: small amounts are paid out at once, from the branch's cash.
    cash = gl(bank.ctx, GlKind.CASH, BRANCH)
    before = counters(bank, cash)
    withdrawal = {"account_number": target.number, "amount_minor": 2_000, "currency": "CNY"}
    r = http.post("/api/v1/staff/cash-withdrawals", json=withdrawal, headers=keyed(teller))
    assert (r.status_code, r.json()["status"]) == (201, "done"), r.text
    assert counters(bank, cash)[3] == before[3] + 2_000
    r = http.post(
        "/api/v1/staff/cash-withdrawals",
        json={**withdrawal, "amount_minor": BIG},
        headers=keyed(teller),
    )
    assert (r.status_code, r.json()["approval"]["action"]) == (202, "cash_withdrawal")
    actions = audited_actions(bank)
    assert {"staff_transfer", "cash_withdrawal", "approval.submit", "approval.approve"} <= set(
        actions
    )


def test_a_rejected_request_changes_nothing_and_a_refused_one_fails(
    bank: Bank, http: httpx.Client
) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [100_000, 0])
    account, other = alice.accounts
    _, teller = staff(bank, http, Role.TELLER)
    _, supervisor = staff(bank, http, Role.SUPERVISOR)
    suspense = gl(bank.ctx, GlKind.SUSPENSE, BRANCH)
    fees = gl(bank.ctx, GlKind.FEE_INCOME, BRANCH)

    adjustment = {
        "account_number": account.number,
        "direction": "credit",
        "amount_minor": 5_000,
        "currency": "CNY",
        "reference": "duplicate charge 2026-10-30",
    }
    r = http.post("/api/v1/staff/adjustments", json=adjustment, headers=keyed(teller))
    assert r.status_code == 202, r.text  # always under dual control
    rejected = r.json()["approval"]
    r = http.post(
        f"/api/v1/approvals/{rejected['id']}/reject",
        json={"reason": "no evidence"},
        headers=supervisor,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["result"]) == ("rejected", None)
    assert counters(bank, account) == (0, 0, 0, 100_000)
    assert counters(bank, suspense) == (0, 0, 0, 0)

    # A fee waiver approved: from the branch's fee income to the customer.
    r = http.post(
        "/api/v1/staff/fee-waivers",
        json={"account_number": account.number, "amount_minor": 1_500, "currency": "CNY"},
        headers=keyed(teller),
    )
    waiver = r.json()["approval"]
    r = http.post(
        f"/api/v1/approvals/{waiver['id']}/approve", json={"reason": "goodwill"}, headers=supervisor
    )
    assert r.json()["status"] == "approved", r.text
    assert counters(bank, fees)[1] == 1_500
    assert counters(bank, account)[3] == 101_500

    # A debit adjustment the ledger refuses when it is approved: failed, named.
    r = http.post(
        "/api/v1/staff/adjustments",
        json={**adjustment, "direction": "debit", "amount_minor": 101_500},
        headers=keyed(teller),
    )
    failing = r.json()["approval"]
    # Meanwhile the customer spends; the approval then finds too little.
    http.post("/api/v1/transfers", json=leg(account, other, 1), headers=keyed(alice.auth))
    r = http.post(
        f"/api/v1/approvals/{failing['id']}/approve", json={"reason": "ok"}, headers=supervisor
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "failed"
    assert r.json()["result"]["result"] == "exceeds_credits"
    assert counters(bank, account)[1] == 1


def test_freeze_under_dual_control_stops_debits_not_credits(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    banking.add_branch(bank.ctx, "0200", "上海分行 Shanghai Branch", BranchKind.BRANCH, HEAD_OFFICE)
    alice = payer(bank, http, [100_000, 100_000])
    account, other = alice.accounts
    _, teller = staff(bank, http, Role.TELLER)
    _, supervisor = staff(bank, http, Role.SUPERVISOR)
    _, shanghai_supervisor = staff(bank, http, Role.SUPERVISOR, "0200")

    problem_of(
        http.post(f"/api/v1/accounts/{account.number}/freeze", json={}, headers=teller),
        422,
        "invalid_input",
    )
    r = http.post(
        f"/api/v1/accounts/{account.number}/freeze",
        json={"reason": "court order 7"},
        headers=teller,
    )
    assert r.status_code == 202, r.text
    freeze = r.json()["approval"]
    assert (freeze["action"], freeze["branch_code"]) == ("account_freeze", BRANCH)
    # A checker of another branch neither sees nor decides it.
    assert http.get("/api/v1/approvals", headers=shanghai_supervisor).json()["approvals"] == []
    problem_of(
        http.post(
            f"/api/v1/approvals/{freeze['id']}/approve",
            json={"reason": "ok"},
            headers=shanghai_supervisor,
        ),
        403,
        "outside_branch",
    )
    r = http.post(
        f"/api/v1/approvals/{freeze['id']}/approve",
        json={"reason": "order seen"},
        headers=supervisor,
    )
    assert r.json()["status"] == "approved", r.text
    assert r.json()["result"] == {
        "account_number": account.number,
        "previous_status": "active",
        "status": "frozen",
    }

    problem_of(
        http.post("/api/v1/transfers", json=leg(account, other, 1_000), headers=keyed(alice.auth)),
        409,
        "debit_account_frozen",
    )
    r = http.post("/api/v1/transfers", json=leg(other, account, 1_000), headers=keyed(alice.auth))
    assert r.status_code == 201, r.text  # credits still arrive

    r = http.post(
        f"/api/v1/accounts/{account.number}/unfreeze",
        json={"reason": "order lifted"},
        headers=teller,
    )
    unfreeze = r.json()["approval"]
    http.post(
        f"/api/v1/approvals/{unfreeze['id']}/approve", json={"reason": "ok"}, headers=supervisor
    )
    r = http.post("/api/v1/transfers", json=leg(account, other, 1_000), headers=keyed(alice.auth))
    assert r.status_code == 201, r.text
    assert {"approval.submit", "approval.approve"} <= set(audited_actions(bank))
