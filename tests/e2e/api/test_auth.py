"""Sign-in and sessions through the real API: a new customer user enrols an
authenticator app, refreshes, manages sessions, changes the password; an admin
administers users; an auditor reads and verifies the audit trail. Secrets never appear
in responses or in the audit trail."""

from __future__ import annotations

import json

import httpx
import pyotp

from e2e.api.support import add_user, fixed_clock, next_code, sign_in
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import bank_with_branch, individual

API = "/api/v1"
NEW_PASSWORD = "N3w-and-l0nger-pass"
INITIAL_PASSWORD = "Initial-passw0rd"


def _code(bank: Bank, secret: str) -> str:
    clock = fixed_clock(bank)
    clock.advance(30)
    return pyotp.TOTP(secret).at(clock.now_us() // 1_000_000)


def test_a_customer_user_from_creation_to_password_change(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, "0100")
    teller = add_user(bank, role=Role.TELLER, branch_code="0100")
    as_teller = sign_in(http, bank, teller)
    r = http.post(
        f"{API}/users",
        headers=as_teller,
        json={
            "username": "li.na",
            "password": INITIAL_PASSWORD,
            "kind": "customer",
            "role": "customer",
            "display_name": "李娜",
            "customer_number": customer.number,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["totp_enrolled"] is False and "password" not in r.text
    secret, full = _enrol(http, bank, customer.id)
    _second_device(http, bank, secret, full)
    _change_password(http, bank, secret, full)

    # The trail holds every step, intact, and none of the secrets.
    auditor = add_user(bank, role=Role.AUDITOR, branch_code="0001")
    as_auditor = sign_in(http, bank, auditor)
    r = http.get(f"{API}/audit", headers=as_auditor, params={"limit": 200})
    entries = r.json()["entries"]
    actions = {e["action"] for e in entries}
    assert {
        "user.create",
        "auth.login",
        "auth.totp_enrol",
        "auth.session_revoke",
        "auth.password_change",
        "auth.logout",
    } <= actions
    trail = json.dumps(entries)
    for secret_text in (INITIAL_PASSWORD, NEW_PASSWORD, secret, "Wrong-passw0rd"):
        assert secret_text not in trail
    verified = http.get(f"{API}/audit/verify", headers=as_auditor).json()
    assert verified["ok"] and verified["entries"] == verified["head_seq"] >= len(actions)


def _enrol(http: httpx.Client, bank: Bank, customer_id: int) -> tuple[str, dict[str, str]]:
    """First sign-in: password only, a session that may only enrol the second factor."""
    r = http.post(f"{API}/auth/login", json={"username": "li.na", "password": INITIAL_PASSWORD})
    assert r.status_code == 200 and r.json()["scope"] == "enrol"
    enrol = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert http.get(f"{API}/me", headers=enrol).json()["result"] == "totp_not_enrolled"
    r = http.post(f"{API}/auth/totp/enrolment", headers=enrol)
    assert r.status_code == 200, r.text
    enrolment = r.json()
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    assert enrolment["qr_svg"].lstrip().startswith("<svg")
    secret = enrolment["secret"]
    r = http.post(f"{API}/auth/totp/enrolment/confirm", headers=enrol, json={"otp": "000000"})
    assert r.status_code == 401 and r.json()["result"] == "otp_invalid"
    r = http.post(
        f"{API}/auth/totp/enrolment/confirm", headers=enrol, json={"otp": _code(bank, secret)}
    )
    assert r.status_code == 200 and r.json()["scope"] == "full", r.text
    full = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = http.get(f"{API}/me", headers=full).json()
    assert me["username"] == "li.na" and me["totp_enrolled"] and me["customer_id"] == customer_id
    assert http.get(f"{API}/me", headers=enrol).json()["result"] == "token_revoked"

    return secret, full


def _second_device(http: httpx.Client, bank: Bank, secret: str, full: dict[str, str]) -> None:
    """A second device signs in; the first lists both and ends the second."""
    r = http.post(
        f"{API}/auth/login",
        json={"username": "li.na", "password": INITIAL_PASSWORD, "otp": _code(bank, secret)},
    )
    phone = r.json()
    listed = http.get(f"{API}/auth/sessions", headers=full).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    r = http.delete(f"{API}/auth/sessions/{phone['session_id']}", headers=full)
    assert r.status_code == 204
    phone_auth = {"Authorization": f"Bearer {phone['access_token']}"}
    assert http.get(f"{API}/me", headers=phone_auth).status_code == 401
    r = http.post(f"{API}/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert r.json()["result"] == "token_revoked"


def _change_password(http: httpx.Client, bank: Bank, secret: str, full: dict[str, str]) -> None:
    """Needs the old password and a fresh code, and signs out everywhere."""
    r = http.post(
        f"{API}/auth/password",
        headers=full,
        json={
            "old_password": "Wrong-passw0rd",
            "new_password": NEW_PASSWORD,
            "otp": _code(bank, secret),
        },
    )
    assert r.status_code == 401
    r = http.post(
        f"{API}/auth/password",
        headers=full,
        json={
            "old_password": INITIAL_PASSWORD,
            "new_password": NEW_PASSWORD,
            "otp": _code(bank, secret),
        },
    )
    assert r.status_code == 204, r.text
    assert http.get(f"{API}/me", headers=full).json()["result"] == "token_revoked"
    r = http.post(
        f"{API}/auth/login",
        json={"username": "li.na", "password": INITIAL_PASSWORD, "otp": _code(bank, secret)},
    )
    assert r.status_code == 401
    r = http.post(
        f"{API}/auth/login",
        json={"username": "li.na", "password": NEW_PASSWORD, "otp": _code(bank, secret)},
    )
    assert r.status_code == 200
    r = http.post(
        f"{API}/auth/logout", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert r.status_code == 204


def test_refresh_rotates_and_the_audit_viewer_pages(http: httpx.Client, bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    admin = add_user(bank, role=Role.ADMIN, branch_code="0001")
    r = http.post(
        f"{API}/auth/login",
        json={
            "username": admin.username,
            "password": admin.password,
            "otp": next_code(bank, admin),
        },
    )
    first = r.json()
    r = http.post(f"{API}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    second = r.json()
    assert r.status_code == 200 and second["access_token"] != first["access_token"]
    old = {"Authorization": f"Bearer {first['access_token']}"}
    assert http.get(f"{API}/me", headers=old).status_code == 401
    as_admin = {"Authorization": f"Bearer {second['access_token']}"}
    for n in range(3):
        staff = {
            "username": f"teller.{n}",
            "password": "Teller-passw0rd",
            "kind": "staff",
            "role": "teller",
            "display_name": f"Teller {n}",
            "branch_code": "0100",
        }
        assert http.post(f"{API}/users", headers=as_admin, json=staff).status_code == 201
    users = http.get(f"{API}/users", headers=as_admin, params={"kind": "staff"}).json()
    assert {"teller.0", "teller.1", "teller.2"} <= {u["username"] for u in users["users"]}

    page = http.get(
        f"{API}/audit", headers=as_admin, params={"action": "user.create", "limit": 2}
    ).json()
    assert len(page["entries"]) == 2 and page["next_before_seq"]
    rest = http.get(
        f"{API}/audit",
        headers=as_admin,
        params={"action": "user.create", "limit": 2, "before_seq": page["next_before_seq"]},
    ).json()
    seqs = [e["seq"] for e in page["entries"] + rest["entries"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4  # admin + 3 tellers
    mine = http.get(f"{API}/audit", headers=as_admin, params={"actor_id": admin.user_id}).json()
    assert {e["action"] for e in mine["entries"]} == {"user.create"}
    now_s = fixed_clock(bank).now_us() // 1_000_000
    window = {"since": f"{_iso(now_s - 1)}", "until": f"{_iso(now_s + 1)}", "limit": 200}
    recent = http.get(f"{API}/audit", headers=as_admin, params=window).json()["entries"]
    assert recent and all(abs(e["at_us"] // 1_000_000 - now_s) <= 1 for e in recent)
    naive = http.get(f"{API}/audit", headers=as_admin, params={"since": "2026-11-02T09:00:00"})
    assert naive.status_code == 400


def _iso(epoch_s: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch_s, UTC).isoformat()
