"""Attacks through the real API: expired, revoked and copied tokens, replayed one-time
codes, password guessing (lockout, then an admin's unlock), role escalation, and
floods (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from e2e.api.support import add_user, code_now, fixed_clock, next_code, sign_in
from ebank.adapters.clock import FixedClock
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.domain.access import Role
from ebank.entrypoints.api.server import serving_in_thread
from factories import bank_with_branch, individual

API = "/api/v1"


def _login(http: httpx.Client, username: str, password: str, otp: str) -> httpx.Response:
    return http.post(
        f"{API}/auth/login", json={"username": username, "password": password, "otp": otp}
    )


def test_expired_revoked_and_copied_tokens(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    user = add_user(bank, role=Role.OPERATIONS, branch_code="0001")
    r = _login(http, user.username, user.password, next_code(bank, user))
    tokens = r.json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get(f"{API}/me", headers=auth).status_code == 200

    assert http.get(f"{API}/me").json()["result"] == "token_invalid"
    r = http.get(f"{API}/me", headers={"Authorization": "Bearer made-up"})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"

    fixed_clock(bank).advance(bank.settings.access_token_ttl_s)
    r = http.get(f"{API}/me", headers=auth)
    assert r.status_code == 401 and r.json()["result"] == "token_expired"

    r = http.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    renewed = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert http.get(f"{API}/me", headers=renewed).status_code == 200
    # The old refresh token again: a copy is in someone else's hands; the session ends.
    r = http.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and r.json()["result"] == "token_revoked"
    assert http.get(f"{API}/me", headers=renewed).json()["result"] == "token_revoked"
    r = http.post(f"{API}/auth/refresh", json={"refresh_token": "garbage"})
    assert r.json()["result"] == "token_invalid"

    auth = sign_in(http, bank, user)
    assert http.post(f"{API}/auth/logout", headers=auth).status_code == 204
    assert http.get(f"{API}/me", headers=auth).json()["result"] == "token_revoked"

    auth = sign_in(http, bank, user)
    admin = add_user(bank, role=Role.ADMIN, branch_code="0001")
    as_admin = sign_in(http, bank, admin)
    r = http.post(f"{API}/users/{user.user_id}/revoke-sessions", headers=as_admin)
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1
    assert http.get(f"{API}/me", headers=auth).json()["result"] == "token_revoked"


def test_a_replayed_code_is_refused(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    user = add_user(bank, role=Role.AUDITOR, branch_code="0001")
    code = next_code(bank, user)
    assert _login(http, user.username, user.password, code).status_code == 200
    replay = _login(http, user.username, user.password, code)
    assert replay.status_code == 401 and replay.json()["result"] == "authentication_failed"
    fixed_clock(bank).advance(-30)  # an older step than the one used: refused too
    older = _login(http, user.username, user.password, code_now(bank, user))
    assert older.status_code == 401
    fixed_clock(bank).advance(30)


def test_password_guessing_locks_until_an_admin_unlocks(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    victim = add_user(bank, role=Role.SUPERVISOR, branch_code="0100")
    threshold = bank.settings.lockout_threshold
    answers = [
        _login(http, victim.username, f"guess-number-{n}", next_code(bank, victim))
        for n in range(threshold)
    ]
    assert [a.status_code for a in answers] == [401] * (threshold - 1) + [423]
    assert answers[-1].json()["locked_until_us"] > fixed_clock(bank).now_us()
    # Unknown user names answer exactly as wrong passwords do.
    unknown = _login(http, "nobody.here", "guess-number-0", "123456").json()
    wrong = answers[0].json()
    assert {k: v for k, v in unknown.items() if k != "instance"} == {
        k: v for k, v in wrong.items() if k != "instance"
    }
    r = _login(http, victim.username, victim.password, next_code(bank, victim))
    assert r.status_code == 423 and r.json()["result"] == "user_locked"

    admin = add_user(bank, role=Role.ADMIN, branch_code="0001")
    as_admin = sign_in(http, bank, admin)
    listed = http.get(f"{API}/users", headers=as_admin, params={"kind": "staff"}).json()
    assert any(u["username"] == victim.username and u["locked_until_us"] for u in listed["users"])
    r = http.post(f"{API}/users/{victim.user_id}/unlock", headers=as_admin)
    assert r.status_code == 200 and r.json()["locked_until_us"] == 0
    assert sign_in(http, bank, victim)

    auditor = add_user(bank, role=Role.AUDITOR, branch_code="0001")
    entries = http.get(
        f"{API}/audit", headers=sign_in(http, bank, auditor), params={"limit": 200}
    ).json()["entries"]
    outcomes = [(e["action"], e["outcome"]) for e in entries if victim.username in e["target"]]
    assert ("auth.lockout", "locked") in outcomes and ("user.unlock", "ok") in outcomes
    assert outcomes.count(("auth.login", "failed")) == threshold
    assert not any("guess-number" in e["details"] for e in entries)


def test_roles_cannot_be_escalated(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, "0100")
    teller = add_user(bank, role=Role.TELLER, branch_code="0100")
    client = add_user(bank, role=Role.CUSTOMER, customer_id=customer.id)
    as_teller = sign_in(http, bank, teller)
    as_client = sign_in(http, bank, client)
    new_admin = {
        "username": "mallory",
        "password": "Mall0ry-rules!",
        "kind": "staff",
        "role": "admin",
        "display_name": "M",
        "branch_code": "0100",
    }
    for headers, method, path, body in (
        (as_teller, "POST", f"/users/{client.user_id}/unlock", None),
        (as_teller, "POST", f"/users/{client.user_id}/revoke-sessions", None),
        (as_teller, "POST", "/users", new_admin),
        (as_teller, "GET", "/audit", None),
        (as_client, "GET", "/users", None),
        (as_client, "POST", "/users", new_admin),
        (as_client, "GET", "/audit/verify", None),
    ):
        r = http.request(method, f"{API}{path}", headers=headers, json=body)
        assert r.status_code == 403 and r.json()["result"] == "forbidden", (path, r.text)
    r = http.post(f"{API}/auth/login", json={"username": "mallory", "password": "Mall0ry-rules!"})
    assert r.status_code == 401


@pytest.fixture
def strict_bank(database_url: str) -> Iterator[Bank]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        rate_limit_per_address="12/minute",
        rate_limit_per_user="3/minute",
    )
    bank = build(settings, clock=FixedClock(1_794_013_200_000_000))
    yield bank
    bank.close()


def test_floods_are_answered_429_with_retry_after(strict_bank: Bank) -> None:
    bank_with_branch(strict_bank.ctx)
    user = add_user(strict_bank, role=Role.AUDITOR, branch_code="0001")
    with serving_in_thread(strict_bank) as url, httpx.Client(base_url=url) as http:
        auth = sign_in(http, strict_bank, user)  # 1 request from this address
        statuses = [http.get(f"{API}/me", headers=auth).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]  # the user's limit
        limited = http.get(f"{API}/me", headers=auth)
        assert limited.json()["result"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        statuses = [http.get(f"{API}/health").status_code for _ in range(7)]
        assert statuses == [200] * 6 + [429]  # the address's limit: 12 in all
        r = http.get(f"{API}/health")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
