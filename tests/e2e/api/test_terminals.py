"""Terminals, merchants and alarms through the real HTTP server, on SQLite and
PostgreSQL: operations register an ATM (loaded from the vault) and a merchant with a
POS terminal; a terminal reports over HTTP and its fault becomes an alarm that an
operator acknowledges; other roles and other branches are refused; bad input is 422."""

from __future__ import annotations

import httpx

from e2e.api.support import add_user, sign_in
from e2e.api.test_branches_customers import audit_trail, problem
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, deposit, savings

ATM = {
    "terminal_id": "ATM00001",
    "branch_code": BRANCH,
    "zone_key_ref": "ZPK-TEST-1",
    "location": "北京分行大堂 Lobby",
    "cassettes": [
        {
            "position": 1,
            "currency": "CNY",
            "denomination_minor": 10000,
            "notes": 50,
            "low_notes": 5,
        },
        {"position": 2, "currency": "CNY", "denomination_minor": 5000, "notes": 40, "low_notes": 4},
    ],
}


def test_terminals_merchants_and_alarms_over_http(bank: Bank, http: httpx.Client) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 1_000_000, BRANCH)
    shop = savings(ctx, branch_code=BRANCH)
    ops = sign_in(http, bank, add_user(bank, role=Role.OPERATIONS, branch_code=BRANCH))
    teller = sign_in(http, bank, add_user(bank, role=Role.TELLER, branch_code=BRANCH))
    admin = sign_in(http, bank, add_user(bank, role=Role.ADMIN, branch_code=HEAD_OFFICE))

    problem(http.get("/api/v1/terminals", headers=teller), 403, "forbidden")
    r = http.post("/api/v1/terminals/atm", json=ATM, headers=ops)
    assert r.status_code == 201, r.text
    atm = r.json()
    assert atm["kind"] == "atm" and atm["cash_minor"] == 700_000 and atm["state"] == "ok"
    assert [c["notes"] for c in atm["cassettes"]] == [50, 40] and atm["last_seen_at"] is None
    problem(http.post("/api/v1/terminals/atm", json=ATM, headers=ops), 409, "terminal_exists")
    bad = {**ATM, "terminal_id": "ATM1"}
    problem(http.post("/api/v1/terminals/atm", json=bad, headers=ops), 422, "invalid_input")
    elsewhere = {**ATM, "terminal_id": "ATM00002", "branch_code": HEAD_OFFICE}
    problem(http.post("/api/v1/terminals/atm", json=elsewhere, headers=ops), 403, "outside_branch")

    merchant = {
        "merchant_id": "104110000000001",
        "name": "Corner Shop",
        "mcc": "5411",
        "branch_code": BRANCH,
        "settlement_account_number": shop.number,
        "fee_rate": "0.006",
    }
    r = http.post("/api/v1/merchants", json=merchant, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["fee_rate"] == "0.006" and r.json()["status"] == "active"
    too_dear = {**merchant, "merchant_id": "M2", "fee_rate": "0.2"}
    problem(http.post("/api/v1/merchants", json=too_dear, headers=admin), 422, "invalid_input")
    pos = {"terminal_id": "POS00001", "merchant_id": "104110000000001", "zone_key_ref": "Z1"}
    r = http.post("/api/v1/terminals/pos", json={**pos, "location": "till 1"}, headers=ops)
    assert r.status_code == 201, r.text
    assert [m["merchant_id"] for m in http.get("/api/v1/merchants", headers=ops).json()] == [
        "104110000000001"
    ]
    listed = http.get("/api/v1/terminals", headers=ops).json()
    assert [t["terminal_id"] for t in listed] == ["ATM00001", "POS00001"]

    # the ATM reports a fault over HTTP: an alarm, acknowledged by an operator
    r = http.post(
        "/api/v1/terminals/ATM00001/status",
        json={"kind": "fault", "detail": "card reader"},
        headers=ops,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["terminal"]["state"] == "fault" and body["terminal"]["last_seen_at"]
    [alarm] = body["alarms_raised"]
    assert (alarm["kind"], alarm["severity"], alarm["status"]) == ("fault", "warning", "open")
    status_bad = {"kind": "on_fire"}
    problem(
        http.post("/api/v1/terminals/ATM00001/status", json=status_bad, headers=ops),
        422,
        "invalid_input",
    )
    assert [a["alarm_id"] for a in http.get("/api/v1/alarms", headers=ops).json()] == [
        alarm["alarm_id"]
    ]
    r = http.post(f"/api/v1/alarms/{alarm['alarm_id']}/acknowledge", headers=ops)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["acknowledged_at"]
    again = http.post(f"/api/v1/alarms/{alarm['alarm_id']}/acknowledge", headers=ops)
    problem(again, 409, "alarm_not_open")
    problem(http.post("/api/v1/alarms/999/acknowledge", headers=ops), 404, "alarm_not_found")
    r = http.post("/api/v1/terminals/ATM00001/status", json={"kind": "recovered"}, headers=ops)
    assert r.json()["terminal"]["state"] == "ok"
    assert http.get("/api/v1/alarms", headers=ops).json() == []
    history = http.get("/api/v1/alarms", params={"active": "false"}, headers=ops).json()
    assert [a["status"] for a in history] == ["cleared"]
    trail = audit_trail(bank, "alarm.acknowledge")
    assert [(target, outcome) for _, target, outcome in trail] == [
        (f"alarm:{alarm['alarm_id']}", "ok"),
        (f"alarm:{alarm['alarm_id']}", "alarm_not_open"),
        ("alarm:999", "alarm_not_found"),
    ]
