"""Idempotency-Key: the same request again gets the first response and moves nothing
twice; the same key for another request is refused; identical requests racing over
HTTP post once."""

from __future__ import annotations

import threading

import httpx

from e2e.api.money_support import counters, fresh_bank, keyed, leg, payer, problem_of
from e2e.api.support import next_code
from ebank.bootstrap import Bank
from factories import deposit


def test_the_same_request_again_is_answered_from_the_first(bank: Bank, http: httpx.Client) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [100_000, 0])
    source, target = alice.accounts
    headers = keyed(alice.auth, "pay-rent-2026-11")

    first = http.post("/api/v1/transfers", json=leg(source, target, 40_000), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # Key order and spacing do not make another request.
    again = http.post(
        "/api/v1/transfers",
        content=(
            f'{{"currency": "CNY", "amount_minor": 40000,   "credit_account": "{target.number}",'
            f' "debit_account": "{source.number}"}}'
        ),
        headers={**headers, "content-type": "application/json"},
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert counters(bank, source)[1] == 40_000  # once

    # The same key for a different request, or another endpoint: refused.
    problem_of(
        http.post("/api/v1/transfers", json=leg(source, target, 40_001), headers=headers),
        422,
        "idempotency_key_reused",
    )
    problem_of(
        http.post(
            "/api/v1/transfers/batch",
            json={"transfers": [leg(source, target, 40_000)]},
            headers=headers,
        ),
        422,
        "idempotency_key_reused",
    )
    # Keys are per user: another customer's identical key is their own.
    bob = payer(bank, http, [10_000, 0])
    r = http.post(
        "/api/v1/transfers",
        json=leg(bob.accounts[0], bob.accounts[1], 1_000),
        headers=keyed(bob.auth, "pay-rent-2026-11"),
    )
    assert r.status_code == 201, r.text
    assert counters(bank, source)[1] == 40_000
    problem_of(
        http.post(
            "/api/v1/transfers", json=leg(source, target, 1), headers=keyed(alice.auth, "x" * 129)
        ),
        400,
        "idempotency_key_missing",
    )


def test_a_refused_request_is_not_kept_and_may_be_sent_again(
    bank: Bank, http: httpx.Client
) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [10_000, 0])
    source, target = alice.accounts
    headers = keyed(alice.auth)
    problem_of(
        http.post("/api/v1/transfers", json=leg(source, target, 20_000), headers=headers),
        422,
        "exceeds_credits",
    )
    deposit(bank.ctx, source, 10_000)
    r = http.post("/api/v1/transfers", json=leg(source, target, 20_000), headers=headers)
    assert r.status_code == 201, r.text
    assert counters(bank, target)[3] == 20_000


def test_a_step_up_payment_keeps_its_key_across_the_challenge(
    bank: Bank, http: httpx.Client
) -> None:
    """The first send is answered with a challenge (nothing kept); the confirmed send
    with the same key pays; sending that again (a retry) is answered from the first."""
    fresh_bank(bank)
    alice = payer(bank, http, [10_000_000])
    stranger = payer(bank, http, [0]).accounts[0]
    payment = leg(alice.accounts[0], stranger, 600_000)
    headers = keyed(alice.auth)
    challenge = problem_of(
        http.post("/api/v1/transfers", json=payment, headers=headers), 401, "step_up_required"
    )
    confirmed = {
        **payment,
        "step_up": {"challenge_id": challenge["challenge_id"], "otp": next_code(bank, alice.user)},
    }
    first = http.post("/api/v1/transfers", json=confirmed, headers=headers)
    assert first.status_code == 201, first.text
    retry = http.post("/api/v1/transfers", json=confirmed, headers=headers)
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["idempotent-replayed"] == "true"
    assert counters(bank, stranger)[3] == 600_000


def test_identical_requests_racing_over_http_post_once(
    bank: Bank, http: httpx.Client, api_url: str
) -> None:
    fresh_bank(bank)
    alice = payer(bank, http, [100_000, 0])
    source, target = alice.accounts
    headers = keyed(alice.auth)
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def send() -> None:
        with httpx.Client(base_url=api_url, timeout=60) as client:
            start.wait()
            answers.append(
                client.post("/api/v1/transfers", json=leg(source, target, 7_000), headers=headers)
            )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    assert counters(bank, source)[1] == 7_000
    assert counters(bank, target)[3] == 7_000
