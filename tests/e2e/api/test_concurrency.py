"""Sixteen clients pay each other at once through HTTP; some requests are cut off after
they are sent and retried with the same Idempotency-Key, some are sent twice at once.
Afterwards every acknowledged transfer is in the journal exactly once, nothing else is,
the money is all there, and the ledger verifies."""

from __future__ import annotations

import random
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from e2e.api.money_support import Payer, fresh_bank, payer
from ebank.adapters.clock import FixedClock
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.entrypoints.api.server import serving_in_thread

CLIENTS = 16
PAYMENTS_PER_CLIENT = 12
FUNDS_MINOR = 1_000_000


@pytest.fixture
def busy_bank(database_url: str, clock: FixedClock) -> Iterator[Bank]:
    """A bank whose rate limits let 16 clients on one address through."""
    settings = Settings(
        database_url=database_url,
        environment="test",
        db_pool_size=CLIENTS + 4,
        rate_limit_per_address="100000/minute",
        rate_limit_per_user="100000/minute",
        access_token_ttl_s=3600,
    )
    bank = build(settings, clock=clock)
    yield bank
    bank.close()


@dataclass
class Tally:
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> transfer id
    refused: dict[str, str] = field(default_factory=dict)  # key -> result
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cut_off(base_url: str, auth: dict[str, str], key: str, body: bytes) -> None:
    """Send a whole request, then close the connection without reading the answer."""
    parts = urlsplit(base_url)
    head = (
        f"POST /api/v1/transfers HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: {auth['Authorization']}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(head + body)


def _client(base_url: str, me: Payer, payees: list[Payer], seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base_url, timeout=60, headers=me.auth) as http:
        for _ in range(PAYMENTS_PER_CLIENT):
            payee = rng.choice(payees)
            body = {
                "debit_account": me.accounts[0].number,
                "credit_account": payee.accounts[0].number,
                "amount_minor": rng.randrange(1, 20_000),
                "currency": "CNY",
                "reference": "concurrency",
            }
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            trick = rng.random()
            if trick < 0.25:
                _cut_off(base_url, me.auth, key, httpx.Request("POST", "/", json=body).content)
            elif trick < 0.4:
                threading.Thread(
                    target=httpx.post,
                    args=(f"{base_url}/api/v1/transfers",),
                    kwargs={"json": body, "headers": {**me.auth, "Idempotency-Key": key}},
                    daemon=True,
                ).start()
            r = http.post("/api/v1/transfers", json=body, headers={"Idempotency-Key": key})
            again = http.post("/api/v1/transfers", json=body, headers={"Idempotency-Key": key})
            assert again.status_code == r.status_code
            assert again.json() == r.json()
            with tally.lock:
                if r.status_code == 201:
                    tally.acknowledged[key] = r.json()["id"]
                else:
                    assert r.status_code < 500, r.text
                    tally.refused[key] = r.json()["result"]


def test_sixteen_clients_with_retries_post_each_transfer_once(busy_bank: Bank) -> None:
    bank = busy_bank
    fresh_bank(bank)
    with serving_in_thread(bank) as base_url, httpx.Client(base_url=base_url) as http:
        payers = [payer(bank, http, [FUNDS_MINOR]) for _ in range(CLIENTS)]
        for me in payers:
            for other in payers:
                if other is not me:
                    r = http.post(
                        "/api/v1/beneficiaries",
                        headers=me.auth,
                        json={
                            "alias": f"p{other.customer.id}",
                            "account_number": other.accounts[0].number,
                            "name": other.accounts[0].name,
                        },
                    )
                    assert r.status_code == 201, r.text
        tally = Tally()
        threads = [
            threading.Thread(
                target=_client,
                args=(base_url, me, [p for p in payers if p is not me], seed, tally),
            )
            for seed, me in enumerate(payers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert len(tally.acknowledged) + len(tally.refused) == CLIENTS * PAYMENTS_PER_CLIENT
    assert len(tally.acknowledged) > CLIENTS * PAYMENTS_PER_CLIENT // 2
    with bank.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, COUNT(*) FROM transfers WHERE channel = 'api' GROUP BY id")
        ).all()
        total = conn.execute(
            text(
                "SELECT SUM(b.credits_posted - b.debits_posted) FROM accounts a"
                " JOIN balances b ON b.account_id = a.id WHERE a.customer_id IS NOT NULL"
            )
        ).scalar_one()
    in_journal = {str(uuid.UUID(str(r[0]))): r[1] for r in rows}
    assert set(in_journal) == set(tally.acknowledged.values())
    assert all(n == 1 for n in in_journal.values())
    assert total == CLIENTS * FUNDS_MINOR
    report = verify_ledger(bank.ctx)
    assert report.ok, report
