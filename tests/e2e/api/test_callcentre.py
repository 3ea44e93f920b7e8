"""The call centre through the real HTTP server, on SQLite and PostgreSQL: an agent
enters a ticket for a caller, works it (assign, priority, status, note, answer), blocks
the caller's card after an identity check (a wrong identity number is refused and
audited; the card is not blocked), and reads the reports as JSON and CSV; a teller may
not work the queue; an auditor reads the reports."""

from __future__ import annotations

import csv
import io

import httpx

from e2e.api.support import add_user, sign_in
from e2e.api.test_branches_customers import audit_trail, problem
from ebank.application import cards
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import BRANCH, bank_with_branch, individual, savings


def test_an_agent_works_a_ticket_and_blocks_a_card_over_http(
    bank: Bank, http: httpx.Client
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    person = individual(ctx, BRANCH)
    account = savings(ctx, person, branch_code=BRANCH)
    card = cards.issue_card(ctx, None, person.number, account.number)
    ops_user = add_user(bank, role=Role.OPERATIONS, branch_code=BRANCH)
    ops = sign_in(http, bank, ops_user)
    boss = sign_in(http, bank, add_user(bank, role=Role.SUPERVISOR, branch_code=BRANCH))
    teller = sign_in(http, bank, add_user(bank, role=Role.TELLER, branch_code=BRANCH))
    auditor = sign_in(http, bank, add_user(bank, role=Role.AUDITOR, branch_code=BRANCH))

    entry = {
        "customer_id": person.id,
        "kind": "complaint",
        "category": "cards",
        "subject": "Card swallowed",
        "body": "The ATM kept my card.",
        "channel": "phone",
    }
    r = http.post("/api/v1/tickets", json=entry, headers=ops)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["priority"], made["channel"]) == ("open", "high", "phone")
    assert made["acknowledge_due_at"] is not None and made["breached"] is None
    problem(http.get("/api/v1/tickets", headers=teller), 403, "forbidden")
    problem(
        http.post("/api/v1/tickets", json={**entry, "kind": "rant"}, headers=ops),
        422,
        "invalid_input",
    )

    tid = made["id"]
    r = http.post(
        f"/api/v1/tickets/{tid}/assign", json={"agent_id": ops_user.user_id}, headers=boss
    )
    assert r.status_code == 200 and r.json()["assigned_to"] == ops_user.user_id, r.text
    r = http.get("/api/v1/tickets", params={"priority": "high"}, headers=ops)
    assert [t["id"] for t in r.json()] == [tid]
    r = http.post(f"/api/v1/tickets/{tid}/priority", json={"priority": "urgent"}, headers=boss)
    assert r.json()["priority"] == "urgent"
    assert http.get("/api/v1/tickets", params={"priority": "high"}, headers=ops).json() == []
    r = http.post(f"/api/v1/tickets/{tid}/status", json={"status": "acknowledged"}, headers=ops)
    assert r.json()["status"] == "acknowledged"

    # The caller gives a wrong identity number: refused, audited, the card still works.
    block = f"/api/v1/callcentre/customers/{person.id}/cards/{card.id}/report-lost"
    wrong = {"check": "identity_number", "identity_number": "110101199001019999", "ticket_id": tid}
    problem(http.post(block, json=wrong, headers=ops), 422, "identity_check_failed")
    right = {**wrong, "identity_number": person.id_number}
    r = http.post(block, json=right, headers=ops)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "temporarily_blocked" and "*" in r.json()["masked_pan"]
    trail = audit_trail(bank, "callcentre.identity_check")
    assert [outcome for _, _, outcome in trail] == ["identity_check_failed", "ok"]
    assert all(person.id_number not in str(e) for e in trail)

    r = http.post(
        f"/api/v1/tickets/{tid}/answer", json={"text": "Card blocked; new one sent."}, headers=ops
    )
    assert r.json()["status"] == "answered"
    notes = http.get(f"/api/v1/tickets/{tid}", headers=ops).json()["notes"]
    assert [n["kind"] for n in notes] == ["status", "note", "answer", "status"]
    assert "identity check: identity_number" in notes[1]["text"]

    day = made["created_at"][:10]
    period = {"from": day, "to": day}
    problem(
        http.get("/api/v1/tickets/reports/volume", params=period, headers=teller), 403, "forbidden"
    )
    r = http.get("/api/v1/tickets/reports/volume", params=period, headers=auditor)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1
    assert r.json()["rows"] == [
        {"channel": "phone", "category": "cards", "kind": "complaint", "tickets": 1}
    ]
    r = http.get(
        "/api/v1/tickets/reports/volume", params={**period, "format": "csv"}, headers=auditor
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["channel", "category", "kind", "tickets"],
        ["phone", "cards", "complaint", "1"],
    ]
    r = http.get(
        "/api/v1/tickets/reports/breaches", params=period, headers={**auditor, "Accept": "text/csv"}
    )
    assert r.text.splitlines()[0].startswith("ticket,kind,category")
    assert len(r.text.splitlines()) == 1  # nothing breached
