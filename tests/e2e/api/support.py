"""Helpers for the API tests: users with an enrolled second factor, fresh one-time codes
on the fixed clock, and signing in.

    from e2e.api.support import add_user, next_code, sign_in

The tests' clock is a ``FixedClock``: one-time codes and token expiry follow
``bank.ctx.clock``, never the wall clock. ``next_code`` moves the clock on by one TOTP
step before it computes a code, so a code is never a replay of an earlier one. Mind
that the access tokens expire with that clock: after ten codes (300 s, the default
``access_token_ttl_s``) a token from before is expired; sign in again (or refresh).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx
import pyotp

from ebank.adapters.clock import FixedClock
from ebank.application import identity
from ebank.bootstrap import Bank
from ebank.domain.access import CUSTOMER_ROLES, Role, UserKind

TEST_PASSWORD = "Tr0ub4dor&3-horse"
TOTP_STEP_S = 30
_numbers = itertools.count(1)


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    user_id: int
    username: str
    password: str
    totp_secret: str


def add_user(
    bank: Bank,
    *,
    role: Role,
    customer_id: int | None = None,
    branch_code: str | None = None,
    username: str | None = None,
) -> TestUser:
    """A user with ``role`` and an enrolled authenticator app. Customer roles need
    ``customer_id``; staff roles need ``branch_code``."""
    kind = UserKind.CUSTOMER if role in CUSTOMER_ROLES else UserKind.STAFF
    name = username or f"{role.value}{next(_numbers)}"
    secret = pyotp.random_base32()
    view = identity.create_user(
        bank.ctx,
        username=name,
        password=TEST_PASSWORD,
        kind=kind,
        role=role,
        display_name=f"Test {role.value} {name}",
        customer_id=customer_id,
        branch_code=branch_code,
        totp_secret=secret,
    )
    return TestUser(view.user_id, name, TEST_PASSWORD, secret)


def fixed_clock(bank: Bank) -> FixedClock:
    clock = bank.ctx.clock
    assert isinstance(clock, FixedClock), "the API tests run on a fixed clock"
    return clock


def code_now(bank: Bank, user: TestUser) -> str:
    """The code of the clock's present step, without moving the clock (for replays)."""
    now_s = fixed_clock(bank).now_us() // 1_000_000
    return pyotp.TOTP(user.totp_secret, interval=TOTP_STEP_S).at(now_s)


def next_code(bank: Bank, user: TestUser) -> str:
    """Moves the bank's clock on by one TOTP step and returns that step's code."""
    fixed_clock(bank).advance(TOTP_STEP_S)
    return code_now(bank, user)


def sign_in(http: httpx.Client, bank: Bank, user: TestUser) -> dict[str, str]:
    """Signs ``user`` in through ``POST /api/v1/auth/login``; returns the header to send."""
    r = http.post(
        "/api/v1/auth/login",
        json={"username": user.username, "password": user.password, "otp": next_code(bank, user)},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
