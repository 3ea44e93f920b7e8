"""Statements through the real HTTP server, on SQLite and PostgreSQL: the JSON totals
reconcile with the balances, the CSV parses, the PDF is a PDF that names the account."""

from __future__ import annotations

import csv
import io

import httpx
import pypdf

from e2e.api.support import add_user, sign_in
from ebank.adapters.clock import FixedClock
from ebank.application import banking, ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.money import Money
from factories import BRANCH, bank_with_branch, deposit, individual

from .test_branches_customers import audit_trail, problem

DAY_S = 86_400


def test_statement_in_json_csv_and_pdf(bank: Bank, http: httpx.Client, clock: FixedClock) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    zhang = individual(ctx, BRANCH, name="张三")
    li = individual(ctx, BRANCH, name="李四")
    mine = banking.open_account(ctx, zhang.number, "SAV")
    theirs = banking.open_account(ctx, li.number, "SAV")
    # 2026-11-07: 1,000.00 in. 11-08: 250.50 out, 20.00 back, a hold of 30.00 of which
    # 12.34 is captured. 11-09: 100.00 cash out.
    deposit(ctx, mine, 100_000)
    clock.advance(DAY_S)
    ledger.transfer(ctx, mine.number, theirs.number, Money(25_050), reference="=rent")
    ledger.transfer(ctx, theirs.number, mine.number, Money(2_000), reference="refund")
    hold = ledger.place_hold(ctx, mine.number, theirs.number, Money(3_000), timeout_s=3600)
    ledger.resolve_hold(ctx, hold.entry.id, capture=True, amount_minor=1_234)
    clock.advance(DAY_S)
    ledger.cash_withdrawal(ctx, BRANCH, mine.number, Money(10_000))
    client = add_user(bank, role=Role.CUSTOMER, customer_id=zhang.id)
    as_zhang = sign_in(http, bank, client)
    url = f"/api/v1/accounts/{mine.number}/statement"

    whole = http.get(url, params={"from": "2026-11-01", "to": "2026-11-09"}, headers=as_zhang)
    assert whole.status_code == 200, whole.text
    s = whole.json()
    balance = http.get(f"/api/v1/accounts/{mine.number}/balance", headers=as_zhang).json()
    assert s["opening_balance"]["amount_minor"] == 0
    assert s["closing_balance"] == balance["ledger"]
    assert s["total_credits"]["amount_minor"] == 102_000
    assert s["total_debits"]["amount_minor"] == 25_050 + 1_234 + 10_000
    assert (
        s["opening_balance"]["amount_minor"]
        + s["total_credits"]["amount_minor"]
        - s["total_debits"]["amount_minor"]
        == s["closing_balance"]["amount_minor"]
    )
    # Only what moved the ledger balance: the capture, not the hold.
    assert [e["amount"]["amount_minor"] for e in s["entries"]] == [
        100_000,
        25_050,
        2_000,
        1_234,
        10_000,
    ]
    assert [e["balance"]["amount_minor"] for e in s["entries"]] == [
        100_000,
        74_950,
        76_950,
        75_716,
        65_716,
    ]
    assert s["entries"][1]["counterparty"]["name"] == "李四"
    assert (s["customer_number"], s["account_name"], s["entry_count"]) == (zhang.number, "张三", 5)

    # A later period opens where the earlier one closed.
    day2 = http.get(url, params={"from": "2026-11-08", "to": "2026-11-08"}, headers=as_zhang).json()
    assert day2["opening_balance"]["amount_minor"] == 100_000
    assert day2["closing_balance"]["amount_minor"] == 75_716
    assert day2["entry_count"] == 3

    # CSV, by format= or by the Accept header.
    r = http.get(
        url, params={"from": "2026-11-08", "to": "2026-11-09", "format": "csv"}, headers=as_zhang
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["row"] for row in rows] == [
        "opening",
        "entry",
        "entry",
        "entry",
        "entry",
        "closing",
    ]
    assert rows[0]["balance"] == "1000.00"
    assert (rows[1]["debit"], rows[1]["credit"], rows[1]["balance"]) == ("250.50", "", "749.50")
    assert rows[1]["reference"] == "'=rent"
    assert rows[-1]["balance"] == "657.16" and rows[-1]["currency"] == "CNY"
    by_accept = http.get(
        url,
        params={"from": "2026-11-08", "to": "2026-11-09"},
        headers={**as_zhang, "Accept": "text/csv"},
    )
    assert by_accept.text == r.text

    # PDF: a real PDF whose text carries the account number and the holder's name.
    r = http.get(
        url,
        params={"from": "2026-11-01", "to": "2026-11-09"},
        headers={**as_zhang, "Accept": "application/pdf"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert mine.number in text
    assert "张三" in text and "657.16" in text

    # Refusals: a period too long or backwards, missing dates, an unknown format.
    problem(
        http.get(url, params={"from": "2025-01-01", "to": "2026-01-02"}, headers=as_zhang),
        400,
        "invalid_input",
    )
    problem(
        http.get(url, params={"from": "2026-11-09", "to": "2026-11-08"}, headers=as_zhang),
        400,
        "invalid_input",
    )
    problem(http.get(url, params={"from": "2026-11-09"}, headers=as_zhang), 422, "invalid_input")
    problem(
        http.get(
            url,
            params={"from": "2026-11-01", "to": "2026-11-02", "format": "xls"},
            headers=as_zhang,
        ),
        422,
        "invalid_input",
    )
    # Staff at the branch may issue it, and that is audited; customers' own are not.
    teller = add_user(bank, role=Role.TELLER, branch_code=BRANCH, username="teller9")
    r = http.get(
        url, params={"from": "2026-11-01", "to": "2026-11-09"}, headers=sign_in(http, bank, teller)
    )
    assert r.json()["closing_balance"] == s["closing_balance"]
    assert audit_trail(bank, "statement.issue") == [("teller9", f"account:{mine.number}", "ok")]
