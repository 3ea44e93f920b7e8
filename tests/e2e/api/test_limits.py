"""Limits through the API: read per role, changed only through maker-checker, and
enforced on payments with the limit's name and what remains."""

from __future__ import annotations

import httpx

from e2e.api.money_support import counters, fresh_bank, keyed, leg, payer, problem_of, staff
from e2e.api.support import sign_in
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.customers import Tier
from factories import BRANCH, HEAD_OFFICE

LIMIT_PATH = "/api/v1/limits/api/standard/CNY"


def api_standard(response: httpx.Response) -> dict[str, object]:
    rows: list[dict[str, object]] = response.json()
    return next(
        r for r in rows if (r["channel"], r["tier"], r["currency"]) == ("api", "standard", "CNY")
    )


def test_limits_are_read_changed_under_dual_control_and_enforced(
    bank: Bank, http: httpx.Client
) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [1_000_000, 0, 0], tier=Tier.STANDARD)
    source, a, b = alice.accounts
    ops_user, ops = staff(bank, http, Role.OPERATIONS, HEAD_OFFICE)
    _, supervisor = staff(bank, http, Role.SUPERVISOR, HEAD_OFFICE)
    _, branch_teller = staff(bank, http, Role.TELLER, BRANCH)

    every = http.get("/api/v1/limits", headers=branch_teller).json()
    assert len(every) == 7 * 4
    mine = http.get("/api/v1/limits", headers=alice.auth).json()
    assert {row["tier"] for row in mine} == {"standard"}
    assert {row["channel"] for row in mine} == {"web", "mobile", "api", "ivr", "sms", "atm", "pos"}

    # A change waits for a checker; the maker cannot approve it; a supervisor does.
    change = {"per_transaction_minor": 100_000, "daily_amount_minor": 150_000, "daily_count": 3}
    problem_of(http.put(LIMIT_PATH, json=change, headers=branch_teller), 403, "forbidden")
    r = http.put(LIMIT_PATH, json=change, headers=ops)
    assert r.status_code == 202, r.text
    approval = r.json()["approval"]
    assert (approval["action"], approval["status"]) == ("limit_change", "pending")
    decide = f"/api/v1/approvals/{approval['id']}/approve"
    problem_of(http.post(decide, json={"reason": "mine"}, headers=ops), 403, "maker_cannot_check")
    assert api_standard(http.get("/api/v1/limits", headers=ops))["per_transaction_minor"] == (
        5_000_000
    )
    r = http.post(decide, json={"reason": "as agreed by the risk committee"}, headers=supervisor)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    now = api_standard(http.get("/api/v1/limits", headers=alice.auth))
    assert (now["per_transaction_minor"], now["daily_amount_minor"], now["daily_count"]) == (
        100_000,
        150_000,
        3,
    )
    assert now["updated_by"] == ops_user.username

    def pay(minor: int) -> httpx.Response:
        return http.post("/api/v1/transfers", json=leg(source, a, minor), headers=keyed(alice.auth))

    refused = problem_of(pay(100_001), 422, "limit_exceeded")
    assert (refused["limit"], refused["remaining"], refused["currency"]) == (
        "per_transaction",
        100_000,
        "CNY",
    )
    assert pay(100_000).status_code == 201
    refused = problem_of(pay(60_000), 422, "limit_exceeded")
    assert (refused["limit"], refused["remaining"]) == ("daily_amount", 50_000)
    # A payment the ledger refuses gives its usage back.
    problem_of(
        http.post("/api/v1/transfers", json=leg(b, a, 10_000), headers=keyed(alice.auth)),
        422,
        "exceeds_credits",
    )
    assert pay(10_000).status_code == 201
    assert pay(10_000).status_code == 201
    refused = problem_of(pay(10_000), 422, "limit_exceeded")
    assert (refused["limit"], refused["remaining"]) == ("daily_count", 0)
    assert counters(bank, source)[1] == 120_000

    # A new business day starts afresh.
    bank.ctx.clock.advance(24 * 3600)  # type: ignore[attr-defined]
    alice_auth = sign_in(http, bank, alice.user)
    r = http.post("/api/v1/transfers", json=leg(source, a, 100_000), headers=keyed(alice_auth))
    assert r.status_code == 201, r.text
