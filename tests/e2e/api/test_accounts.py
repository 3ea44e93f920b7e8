"""Accounts through the real HTTP server, on SQLite and PostgreSQL: opening, balances,
closing only at zero, filtered and paged history, and who reaches which account (another
customer's answers 404 exactly as a missing one; a teller outside their branch is
refused)."""

from __future__ import annotations

import httpx

from e2e.api.support import add_user, sign_in
from ebank.adapters.clock import FixedClock
from ebank.application import banking, ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.branches import BranchKind
from ebank.domain.money import Money
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, corporate, deposit, individual

from .test_branches_customers import audit_trail, problem

OTHER_BRANCH = "0200"
DAY_S = 86_400


def test_open_read_and_close_an_account(bank: Bank, http: httpx.Client) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    alice = individual(ctx, BRANCH, name="Alice")
    company = corporate(ctx, BRANCH)
    teller = add_user(bank, role=Role.TELLER, branch_code=BRANCH, username="teller1")
    supervisor = add_user(bank, role=Role.SUPERVISOR, branch_code=BRANCH)
    as_teller = sign_in(http, bank, teller)

    r = http.post(
        "/api/v1/accounts",
        json={"customer_number": alice.number, "product_code": "SAV"},
        headers=as_teller,
    )
    assert r.status_code == 201, r.text
    opened = r.json()
    number = opened["number"]
    assert number.startswith(BRANCH) and len(number) == 19
    assert (opened["status"], opened["currency"], opened["product_code"]) == (
        "active",
        "CNY",
        "SAV",
    )
    assert opened["balances"]["ledger"] == {
        "amount_minor": 0,
        "currency": "CNY",
        "display": "0.00 CNY",
    }
    assert opened["opened_at"].endswith("+08:00")
    # An overdraft needs a supervisor.
    current = {
        "customer_number": company.number,
        "product_code": "CUR",
        "overdraft_limit_minor": 500_000,
    }
    problem(http.post("/api/v1/accounts", json=current, headers=as_teller), 403, "forbidden")
    r = http.post("/api/v1/accounts", json=current, headers=sign_in(http, bank, supervisor))
    assert r.status_code == 201, r.text
    assert r.json()["balances"]["available"]["amount_minor"] == 500_000
    problem(
        http.post("/api/v1/accounts", json={"product_code": "SAV"}, headers=as_teller),
        400,
        "invalid_input",
    )
    problem(
        http.post(
            "/api/v1/accounts",
            json={"customer_number": alice.number, "product_code": "GL-CASH"},
            headers=as_teller,
        ),
        400,
        "invalid_input",
    )

    # Money in, some of it held: ledger and available balances differ.
    deposit(ctx, banking_account(bank, number), 123_456)
    hold = ledger.place_hold(
        ctx, number, opened_number_of_cash(bank), Money.parse("200.00"), timeout_s=600
    )
    balance = http.get(f"/api/v1/accounts/{number}/balance", headers=as_teller).json()
    assert balance["ledger"]["amount_minor"] == 123_456
    assert balance["ledger"]["display"] == "1,234.56 CNY"
    assert balance["available"]["amount_minor"] == 103_456
    assert balance["pending_debits"]["amount_minor"] == 20_000
    assert balance["status"] == "active"

    # The customer sees it among their accounts, and opens a savings account online.
    client = add_user(bank, role=Role.CUSTOMER, customer_id=alice.id)
    as_alice = sign_in(http, bank, client)
    listed = http.get("/api/v1/accounts", headers=as_alice).json()["accounts"]
    assert [a["number"] for a in listed] == [number]
    assert listed[0]["balances"]["available"]["amount_minor"] == 103_456
    r = http.post(
        "/api/v1/accounts", json={"product_code": "SAV", "currency": "USD"}, headers=as_alice
    )
    assert r.status_code == 201, r.text
    assert r.json()["currency"] == "USD" and r.json()["branch_code"] == BRANCH
    problem(
        http.post("/api/v1/accounts", json={"product_code": "CUR"}, headers=as_alice),
        403,
        "forbidden",
    )
    staff_list = http.get("/api/v1/accounts", params={"customer": alice.number}, headers=as_teller)
    assert len(staff_list.json()["accounts"]) == 2
    problem(http.get("/api/v1/accounts", headers=as_teller), 400, "invalid_input")

    # Closing: refused with money or a hold in it; done at zero. Customers do not close.
    problem(http.post(f"/api/v1/accounts/{number}/close", headers=as_alice), 403, "forbidden")
    problem(
        http.post(f"/api/v1/accounts/{number}/close", headers=as_teller), 409, "account_not_empty"
    )
    ledger.resolve_hold(ctx, hold.entry.id, capture=False)
    problem(
        http.post(f"/api/v1/accounts/{number}/close", headers=as_teller), 409, "account_not_empty"
    )
    ledger.cash_withdrawal(ctx, BRANCH, number, Money(123_456))
    r = http.post(f"/api/v1/accounts/{number}/close", headers=as_teller)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    assert http.get(f"/api/v1/accounts/{number}", headers=as_alice).json()["status"] == "closed"
    problem(
        http.post(f"/api/v1/accounts/{number}/close", headers=as_teller),
        409,
        "account_status_conflict",
    )
    assert [(a, o) for a, _, o in audit_trail(bank, "account.close")] == [
        ("teller1", "account_not_empty"),
        ("teller1", "account_not_empty"),
        ("teller1", "ok"),
        ("teller1", "account_status_conflict"),
    ]
    assert ("teller1", f"account:{number}", "ok") in audit_trail(bank, "account.open")


def banking_account(bank: Bank, number: str):
    with bank.ctx.read() as uow:
        return uow.accounts.by_number(number)


def opened_number_of_cash(bank: Bank) -> str:
    """The branch cash account: where a hold's money would go."""
    with bank.ctx.read() as uow:
        cash = uow.accounts.gl_account(BRANCH, banking.GlKind.CASH, "CNY")
    assert cash is not None
    return cash.number


def test_who_reaches_which_account(bank: Bank, http: httpx.Client) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    banking.add_branch(ctx, OTHER_BRANCH, "上海分行", BranchKind.BRANCH, HEAD_OFFICE)
    alice = individual(ctx, BRANCH, name="Alice")
    bob = individual(ctx, OTHER_BRANCH, name="Bob")
    alices = banking.open_account(ctx, alice.number, "SAV")
    bobs = banking.open_account(ctx, bob.number, "SAV")
    as_alice = sign_in(http, bank, add_user(bank, role=Role.CUSTOMER, customer_id=alice.id))
    missing = "0100" + "9" * 15

    # Every read of another customer's account is a 404, the same as a missing account.
    for path in ("", "/balance", "/transactions", "/statement?from=2026-11-01&to=2026-11-07"):
        assert (
            http.get(f"/api/v1/accounts/{alices.number}{path}", headers=as_alice).status_code == 200
        )
        theirs = http.get(f"/api/v1/accounts/{bobs.number}{path}", headers=as_alice)
        nobodys = http.get(f"/api/v1/accounts/{missing}{path}", headers=as_alice)
        problem(theirs, 404, "account_not_found")
        problem(nobodys, 404, "account_not_found")
        strip = {"instance", "detail"}
        assert {k: v for k, v in theirs.json().items() if k not in strip} == {
            k: v for k, v in nobodys.json().items() if k not in strip
        }
    problem(
        http.get("/api/v1/accounts", params={"customer": bob.number}, headers=as_alice),
        404,
        "customer_not_found",
    )

    # Staff: their branch subtree; the head office everywhere.
    teller = add_user(bank, role=Role.TELLER, branch_code=BRANCH, username="t100")
    as_teller = sign_in(http, bank, teller)
    assert http.get(f"/api/v1/accounts/{alices.number}", headers=as_teller).status_code == 200
    for path in ("", "/balance", "/transactions"):
        problem(
            http.get(f"/api/v1/accounts/{bobs.number}{path}", headers=as_teller),
            403,
            "outside_branch",
        )
    problem(
        http.post(f"/api/v1/accounts/{bobs.number}/close", headers=as_teller), 403, "outside_branch"
    )
    problem(
        http.post(
            "/api/v1/accounts",
            json={"customer_number": bob.number, "product_code": "SAV"},
            headers=as_teller,
        ),
        403,
        "outside_branch",
    )
    auditor = add_user(bank, role=Role.AUDITOR, branch_code=HEAD_OFFICE)
    as_auditor = sign_in(http, bank, auditor)
    assert (
        http.get(f"/api/v1/accounts/{bobs.number}", headers=as_auditor).json()["number"]
        == bobs.number
    )
    problem(
        http.post(f"/api/v1/accounts/{bobs.number}/close", headers=as_auditor), 403, "forbidden"
    )
    refused = [(a, t, o) for a, t, o in audit_trail(bank, "account.view") if o != "ok"]
    assert refused == [("t100", f"account:{bobs.number}", "outside_branch")] * 2


def test_history_filters_and_cursor_paging(
    bank: Bank, http: httpx.Client, clock: FixedClock
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    alice = individual(ctx, BRANCH, name="Alice")
    bob = individual(ctx, BRANCH, name="Bob")
    mine = banking.open_account(ctx, alice.number, "SAV")
    theirs = banking.open_account(ctx, bob.number, "SAV")
    # Day 1 (2026-11-07 in Shanghai): a deposit; day 2: payments out and in; day 3: cash out.
    deposit(ctx, mine, 100_000)
    clock.advance(DAY_S)
    for n in range(1, 6):
        ledger.transfer(
            ctx, mine.number, theirs.number, Money(n * 100), channel="api", reference=f"out {n}"
        )
    ledger.transfer(ctx, theirs.number, mine.number, Money(1_200), channel="api", reference="back")
    clock.advance(DAY_S)
    ledger.cash_withdrawal(ctx, BRANCH, mine.number, Money(10_000))
    as_alice = sign_in(http, bank, add_user(bank, role=Role.CUSTOMER, customer_id=alice.id))
    url = f"/api/v1/accounts/{mine.number}/transactions"

    def amounts(**params: object) -> list[int]:
        r = http.get(url, params=params, headers=as_alice)
        assert r.status_code == 200, r.text
        return [e["amount"]["amount_minor"] for e in r.json()["entries"]]

    everything = amounts()
    assert everything == [10_000, 1_200, 500, 400, 300, 200, 100, 100_000]
    first = http.get(url, headers=as_alice).json()["entries"][1]
    assert first["direction"] == "credit" and first["type"] == "transfer"
    assert first["counterparty"] == {
        "account_number": theirs.number,
        "name": "Bob",
        "internal": False,
    }
    assert first["reference"] == "back" and first["channel"] == "api"
    assert first["time"].startswith("2026-11-08T09:00:00") and first["time"].endswith("+08:00")
    assert amounts(**{"from": "2026-11-08", "to": "2026-11-08"}) == [1_200, 500, 400, 300, 200, 100]
    assert amounts(**{"from": "2026-11-09"}) == [10_000]
    assert amounts(to="2026-11-07") == [100_000]
    assert amounts(min_amount_minor=300, max_amount_minor=1_200) == [1_200, 500, 400, 300]
    assert amounts(code="cash_deposit") == [100_000]
    assert amounts(code="1002") == [10_000]
    assert amounts(channel="api", direction="debit") == [500, 400, 300, 200, 100]
    assert amounts(direction="credit", **{"from": "2026-11-08"}) == [1_200]
    deposit_entry = http.get(url, params={"code": "cash_deposit"}, headers=as_alice).json()[
        "entries"
    ][0]
    assert deposit_entry["counterparty"]["internal"] is True

    # Paging by cursor: three at a time, newest first, nothing twice, nothing missed.
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = http.get(url, params=params, headers=as_alice).json()
        seen += [e["amount"]["amount_minor"] for e in page["entries"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (everything, 3)
    filtered = http.get(url, params={"limit": 2, "channel": "api"}, headers=as_alice).json()
    more = http.get(
        url,
        params={"limit": 2, "channel": "api", "cursor": filtered["next_cursor"]},
        headers=as_alice,
    )
    assert [e["amount"]["amount_minor"] for e in more.json()["entries"]] == [400, 300]

    problem(
        http.get(url, params={"cursor": "not-a-cursor"}, headers=as_alice), 400, "invalid_input"
    )
    problem(http.get(url, params={"limit": 201}, headers=as_alice), 422, "invalid_input")
    problem(http.get(url, params={"limit": 0}, headers=as_alice), 422, "invalid_input")
    problem(http.get(url, params={"code": "lottery"}, headers=as_alice), 400, "invalid_input")
    problem(
        http.get(url, params={"from": "2026-11-09", "to": "2026-11-08"}, headers=as_alice),
        400,
        "invalid_input",
    )
    problem(
        http.get(url, params={"min_amount_minor": 5, "max_amount_minor": 4}, headers=as_alice),
        400,
        "invalid_input",
    )
    problem(http.get(url, params={"from": "yesterday"}, headers=as_alice), 422, "invalid_input")
