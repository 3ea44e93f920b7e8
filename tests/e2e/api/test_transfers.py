"""Customers' transfers through the API: to own accounts and saved payees, refusals by
their named result, step-up bound to one payment, linked batches all or nothing."""

from __future__ import annotations

import httpx

from e2e.api.money_support import (
    audited_actions,
    counters,
    entry,
    fresh_bank,
    keyed,
    leg,
    payer,
    problem_of,
    save_payee,
    staff,
)
from e2e.api.support import next_code, sign_in
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import HEAD_OFFICE


def test_a_customer_pays_own_accounts_and_saved_payees(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [1_000_000, 0])
    bob = payer(bank, http, [0])
    source, savings2 = alice.accounts
    payee = bob.accounts[0]
    saved = save_payee(bank, alice.customer, payee)

    r = http.post(
        "/api/v1/transfers",
        json=leg(source, savings2, 120_050, reference="rent"),
        headers=keyed(alice.auth),
    )
    assert r.status_code == 201, r.text
    own = r.json()
    assert own["debit_account"] == source.number
    assert own["credit_account"] == savings2.number
    assert own["amount"] == {
        "amount_minor": 120_050,
        "currency": "CNY",
        "display": "1,200.50 CNY",
    }
    assert (own["kind"], own["channel"], own["reference"]) == ("posting", "api", "rent")

    by_id = {"debit_account": source.number, "beneficiary_id": saved}
    r = http.post(
        "/api/v1/transfers",
        json={**by_id, "amount_minor": 10_000, "currency": "CNY"},
        headers=keyed(alice.auth),
    )
    assert r.status_code == 201, r.text
    assert r.json()["credit_account"] == payee.number
    # The saved payee's number counts as known too.
    r = http.post("/api/v1/transfers", json=leg(source, payee, 5_000), headers=keyed(alice.auth))
    assert r.status_code == 201, r.text
    assert counters(bank, source)[1] == 120_050 + 10_000 + 5_000
    assert counters(bank, payee)[3] == 15_000

    # Who may read a transfer: its owners and staff in scope; anyone else: not found.
    path = f"/api/v1/transfers/{own['id']}"
    assert http.get(path, headers=alice.auth).json() == own
    problem_of(http.get(path, headers=bob.auth), 404, "transfer_not_found")
    _, teller = staff(bank, http, Role.TELLER)
    assert http.get(path, headers=teller).status_code == 200
    _, elsewhere = staff(bank, http, Role.TELLER, HEAD_OFFICE)
    assert http.get(path, headers=elsewhere).status_code == 200  # the head office sees all

    # Refusals, each by its named result.
    problem_of(
        http.post(
            "/api/v1/transfers", json=leg(source, savings2, 10_000_000), headers=keyed(alice.auth)
        ),
        401,  # above the step-up threshold first
        "step_up_required",
    )
    problem_of(
        http.post(
            "/api/v1/transfers", json=leg(source, savings2, 900_000 - 1), headers=keyed(alice.auth)
        ),
        401,
        "step_up_required",
    )
    problem_of(
        http.post(
            "/api/v1/transfers", json=leg(savings2, source, 500_000), headers=keyed(alice.auth)
        ),
        422,
        "exceeds_credits",
    )
    problem_of(  # another customer's account answers as if it did not exist
        http.post("/api/v1/transfers", json=leg(payee, source, 1), headers=keyed(alice.auth)),
        404,
        "account_not_found",
    )
    problem_of(
        http.post("/api/v1/transfers", json=leg(source, savings2, 1), headers=alice.auth),
        400,
        "idempotency_key_missing",
    )
    problem_of(
        http.post("/api/v1/transfers", json=leg(source, savings2, 1.5), headers=keyed(alice.auth)),
        422,
        "invalid_input",
    )
    problem_of(
        http.post("/api/v1/transfers", json=leg(source, savings2, 1), headers=keyed(teller)),
        403,
        "forbidden",
    )
    assert counters(bank, source)[1] == 135_050  # nothing more moved


def test_step_up_binds_a_fresh_code_to_one_payment(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [2_000_000])
    stranger = payer(bank, http, [0]).accounts[0]
    source = alice.accounts[0]
    payment = leg(source, stranger, 30_000)

    # To a payee she has not saved: a challenge comes with the refusal.
    refused = problem_of(
        http.post("/api/v1/transfers", json=payment, headers=keyed(alice.auth)),
        401,
        "step_up_required",
    )
    assert (
        refused["summary"]
        == f"Pay 300.00 CNY from ****{source.number[-4:]} to ****{stranger.number[-4:]}"
    )

    def confirmed(
        challenge_id: str, code: str, body: dict[str, object] = payment
    ) -> httpx.Response:
        return http.post(
            "/api/v1/transfers",
            json={**body, "step_up": {"challenge_id": challenge_id, "otp": code}},
            headers=keyed(alice.auth),
        )

    # A wrong code is refused and spends the challenge.
    problem_of(confirmed(refused["challenge_id"], "000000"), 401, "otp_invalid")
    problem_of(
        confirmed(refused["challenge_id"], next_code(bank, alice.user)), 422, "challenge_invalid"
    )

    # A challenge is for its own payment only.
    r = http.post("/api/v1/transfers/challenges", json=payment, headers=alice.auth)
    assert r.status_code == 201, r.text
    challenge = r.json()
    other = {**payment, "amount_minor": 30_001}
    problem_of(
        confirmed(challenge["challenge_id"], next_code(bank, alice.user), other),
        422,
        "challenge_invalid",
    )

    code = next_code(bank, alice.user)
    done = confirmed(challenge["challenge_id"], code)
    assert done.status_code == 201, done.text
    assert counters(bank, stranger)[3] == 30_000
    # Used once: the same challenge again is refused, and so is the same code.
    problem_of(
        confirmed(challenge["challenge_id"], next_code(bank, alice.user)), 422, "challenge_invalid"
    )
    again = http.post("/api/v1/transfers/challenges", json=payment, headers=alice.auth).json()
    problem_of(confirmed(again["challenge_id"], code), 401, "otp_replayed")

    # A challenge expires.
    late = http.post("/api/v1/transfers/challenges", json=payment, headers=alice.auth).json()
    bank.ctx.clock.advance(bank.settings.step_up_ttl_s)  # type: ignore[attr-defined]
    auth = sign_in(http, bank, alice.user)  # the access token lapsed meanwhile too
    r = http.post(
        "/api/v1/transfers",
        json={
            **payment,
            "step_up": {"challenge_id": late["challenge_id"], "otp": next_code(bank, alice.user)},
        },
        headers=keyed(auth),
    )
    problem_of(r, 422, "challenge_invalid")
    assert counters(bank, stranger)[3] == 30_000  # one payment only
    assert audited_actions(bank).count("payment.step_up") == 1


def test_a_linked_batch_is_all_or_nothing(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    corp = payer(bank, http, [300_000, 0, 0, 0])
    source, a, b, c = corp.accounts
    good = [leg(source, a, 100_000), leg(source, b, 100_000), leg(source, c, 50_000)]
    too_much = [*good[:2], leg(source, c, 100_001)]

    r = http.post("/api/v1/transfers/batch", json={"transfers": too_much}, headers=keyed(corp.auth))
    problem_of(r, 422, "exceeds_credits")
    assert counters(bank, source) == (0, 0, 0, 300_000)  # the first two were undone

    r = http.post("/api/v1/transfers/batch", json={"transfers": good}, headers=keyed(corp.auth))
    assert r.status_code == 201, r.text
    made = r.json()["transfers"]
    assert [t["credit_account"] for t in made] == [a.number, b.number, c.number]
    assert all(entry(bank, t["id"]) is not None for t in made)
    assert counters(bank, source)[1] == 250_000

    problem_of(
        http.post(
            "/api/v1/transfers/batch",
            json={"transfers": [leg(source, a, 1)] * 101},
            headers=keyed(corp.auth),
        ),
        422,
        "invalid_input",
    )
    mixed = [leg(source, a, 1), {**leg(source, b, 1), "currency": "USD"}]
    problem_of(
        http.post("/api/v1/transfers/batch", json={"transfers": mixed}, headers=keyed(corp.auth)),
        400,
        "invalid_input",
    )
