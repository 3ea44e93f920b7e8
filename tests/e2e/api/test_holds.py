"""Holds through the API: staff hold funds and capture them in part or void them; a
customer's pending payment; expiry; who may resolve which hold."""

from __future__ import annotations

import httpx

from e2e.api.money_support import (
    available,
    counters,
    fresh_bank,
    keyed,
    payer,
    problem_of,
    staff,
)
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import GlKind
from factories import BRANCH, HEAD_OFFICE, gl


def test_staff_hold_capture_in_part_and_void(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [100_000])
    account = alice.accounts[0]
    _, teller = staff(bank, http, Role.TELLER)
    suspense = gl(bank.ctx, GlKind.SUSPENSE, BRANCH)

    order = {
        "account_number": account.number,
        "amount_minor": 30_000,
        "currency": "CNY",
        "reference": "court order 2026-117",
    }
    r = http.post("/api/v1/holds", json=order, headers=keyed(teller))
    assert r.status_code == 201, r.text
    hold = r.json()
    assert (hold["kind"], hold["pending_status"], hold["expires_at"]) == (
        "pending",
        "pending",
        None,
    )
    assert hold["credit_account"] == suspense.number
    assert available(bank, account) == 70_000

    # The customer cannot touch the bank's hold: as if it did not exist.
    problem_of(
        http.post(f"/api/v1/holds/{hold['id']}/void", headers=keyed(alice.auth)),
        404,
        "transfer_not_found",
    )
    capture = f"/api/v1/holds/{hold['id']}/capture"
    key = keyed(teller)
    r = http.post(capture, json={"amount_minor": 12_000, "reference": "part"}, headers=key)
    assert r.status_code == 201, r.text
    captured = r.json()
    assert (captured["kind"], captured["pending_id"]) == ("post_pending", hold["id"])
    assert captured["amount"]["amount_minor"] == 12_000
    assert counters(bank, account) == (0, 12_000, 0, 100_000)  # the rest is released
    assert counters(bank, suspense)[3] == 12_000
    # A retry with the same key is the same capture; a new capture of it is refused.
    again = http.post(capture, json={"amount_minor": 12_000, "reference": "part"}, headers=key)
    assert again.json() == captured
    problem_of(
        http.post(capture, json={}, headers=keyed(teller)), 409, "pending_transfer_already_posted"
    )

    second = http.post("/api/v1/holds", json=order, headers=keyed(teller)).json()
    r = http.post(f"/api/v1/holds/{second['id']}/void", headers=keyed(teller))
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "void_pending"
    assert available(bank, account) == 88_000
    problem_of(
        http.post(f"/api/v1/holds/{second['id']}/void", json={}, headers=keyed(teller)),
        409,
        "pending_transfer_already_voided",
    )
    problem_of(
        http.post("/api/v1/holds", json={**order, "amount_minor": 88_001}, headers=keyed(teller)),
        422,
        "exceeds_credits",
    )
    problem_of(
        http.post("/api/v1/holds", json=order, headers=teller), 400, "idempotency_key_missing"
    )


def test_a_hold_expires_and_staff_act_only_in_their_branch(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [50_000], branch_code=HEAD_OFFICE)
    account = alice.accounts[0]
    _, branch_teller = staff(bank, http, Role.TELLER, BRANCH)
    _, head_ops = staff(bank, http, Role.OPERATIONS, HEAD_OFFICE)
    order = {"account_number": account.number, "amount_minor": 10_000, "currency": "CNY"}

    problem_of(
        http.post("/api/v1/holds", json=order, headers=keyed(branch_teller)),
        403,
        "outside_branch",
    )
    r = http.post("/api/v1/holds", json={**order, "timeout_s": 60}, headers=keyed(head_ops))
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["expires_at"] is not None
    problem_of(
        http.post(f"/api/v1/holds/{hold['id']}/capture", json={}, headers=keyed(branch_teller)),
        403,
        "outside_branch",
    )
    bank.ctx.clock.advance(60)  # type: ignore[attr-defined]
    problem_of(
        http.post(f"/api/v1/holds/{hold['id']}/capture", json={}, headers=keyed(head_ops)),
        409,
        "pending_transfer_expired",
    )


def test_a_customers_pending_payment(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [100_000, 0])
    source, target = alice.accounts
    order = {
        "account_number": source.number,
        "credit_account": target.number,
        "amount_minor": 25_000,
        "currency": "CNY",
        "timeout_s": 3600,
    }
    problem_of(
        http.post("/api/v1/holds", json={**order, "timeout_s": 0}, headers=keyed(alice.auth)),
        400,
        "invalid_input",
    )
    r = http.post("/api/v1/holds", json=order, headers=keyed(alice.auth))
    assert r.status_code == 201, r.text
    pending = r.json()
    assert available(bank, source) == 75_000
    # Another customer does not see it; its owner captures it.
    bob = payer(bank, http, [0])
    problem_of(
        http.post(f"/api/v1/holds/{pending['id']}/capture", json={}, headers=keyed(bob.auth)),
        404,
        "transfer_not_found",
    )
    r = http.post(f"/api/v1/holds/{pending['id']}/capture", json={}, headers=keyed(alice.auth))
    assert r.status_code == 201, r.text
    assert counters(bank, target)[3] == 25_000
    # Only from their own account.
    problem_of(
        http.post(
            "/api/v1/holds",
            json={**order, "account_number": bob.accounts[0].number},
            headers=keyed(alice.auth),
        ),
        404,
        "account_not_found",
    )
