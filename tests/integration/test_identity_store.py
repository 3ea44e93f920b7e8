"""Identity's SQL stores and use cases on SQLite and PostgreSQL: users, sessions, the
audit chain under concurrent writers, the database's append-only guard, sign-in with
lockout and back-off."""

from __future__ import annotations

import threading
import uuid

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ebank.adapters.clock import FixedClock
from ebank.application import audit, credentials, identity, sessions
from ebank.application.ports_identity import AuditQuery, NewUser, SessionRecord
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.audit import GENESIS_HASH
from ebank.domain.errors import (
    AuthenticationFailed,
    Forbidden,
    OtpInvalid,
    OtpReplayed,
    OutsideBranch,
    TokenExpired,
    TokenRevoked,
    TotpNotEnrolled,
    UserExists,
    UserLocked,
)
from factories import bank_with_branch, individual

PASSWORD = "Tr0ub4dor&3-horse"


def _staff(bank: Bank, username: str, role: Role, branch: str, secret: str | None = None) -> int:
    return identity.create_user(
        bank.ctx,
        username=username,
        password=PASSWORD,
        kind=UserKind.STAFF,
        role=role,
        display_name=username,
        branch_code=branch,
        totp_secret=secret,
    ).user_id


def test_user_and_session_stores(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, branch.code)
    with bank.ctx.uow() as uow:
        new = NewUser(
            "li.ming",
            UserKind.CUSTOMER,
            Role.CUSTOMER,
            "李明",
            customer.id,
            None,
            "zh-CN",
            "$argon2id$x",
            None,
            5,
        )
        user_id = uow.users.add(new)
        with pytest.raises(UserExists):
            uow.users.add(new)
        uow.users.set_login_state(user_id, failed_attempts=2, lockouts=1, locked_until_us=9)
        uow.users.set_totp_last_step(user_id, 77)
        session_id = uuid.uuid4()
        uow.sessions.add(
            SessionRecord(
                session_id,
                user_id,
                "full",
                "a" * 64,
                "r" * 64,
                100,
                1000,
                5,
                5,
                None,
                None,
                "127.0.0.1",
                "pytest",
            )
        )
        uow.commit()
    with bank.ctx.uow() as uow:
        user = uow.users.by_username("li.ming", lock=True)
        assert user is not None and user.user_id == user_id
        assert (user.failed_attempts, user.lockouts, user.locked_until_us) == (2, 1, 9)
        assert user.totp_last_step == 77 and user.display_name == "李明"
        assert [
            u.user_id
            for u in uow.users.search(
                kind=None, branch_codes=[branch.code], after_id=None, limit=10
            )
        ] == [user_id]
        assert uow.users.search(kind=None, branch_codes=["0001"], after_id=None, limit=10) == []
        found = uow.sessions.by_access_hash("a" * 64)
        assert found is not None and found.session_id == session_id
        uow.sessions.rotate(
            session_id,
            access_hash="b" * 64,
            refresh_hash="s" * 64,
            access_expires_at_us=200,
            refresh_expires_at_us=2000,
            now_us=50,
        )
        assert uow.sessions.by_access_hash("a" * 64) is None
        assert [s.session_id for s in uow.sessions.for_user(user_id, 60)] == [session_id]
        assert uow.sessions.for_user(user_id, 2000) == []  # refresh expired
        assert uow.sessions.revoke(session_id, 70, "logout")
        assert not uow.sessions.revoke(session_id, 71, "logout")
        assert uow.sessions.revoke_all(user_id, 72, "admin") == 0
        uow.commit()


def test_the_audit_log_is_append_only_in_the_database(bank: Bank) -> None:
    with bank.ctx.uow() as uow:
        audit.record(uow, actor=None, action="test.event", target="x", now_us=1)
        uow.commit()
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), bank.engine.begin() as conn:
            conn.execute(text(statement))
    assert audit.verify(bank.ctx).ok


def test_concurrent_writers_keep_one_chain(bank: Bank) -> None:
    writers, each = 4, 10

    def write(n: int) -> None:
        for i in range(each):
            with bank.ctx.uow() as uow:
                audit.record(
                    uow, actor=None, action="test.concurrent", target=f"w{n}:{i}", now_us=1
                )
                uow.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify(bank.ctx)
    assert report.ok, report.problems
    assert report.entries == report.head.seq == writers * each
    assert report.head.hash != GENESIS_HASH


def test_lockout_backs_off_and_unlock_forgets(bank: Bank, clock: FixedClock) -> None:
    bank_with_branch(bank.ctx)
    secret = pyotp.random_base32()
    user_id = _staff(bank, "teller.wang", Role.TELLER, "0100", secret)
    policy = identity.services(bank.ctx).policy

    def attempt(password: str) -> None:
        clock.advance(30)
        code = pyotp.TOTP(secret).at(clock.now_us() // 1_000_000)
        identity.login(bank.ctx, "teller.wang", password, code)

    for _ in range(policy.lockout_threshold - 1):
        with pytest.raises(AuthenticationFailed):
            attempt("wrong-password-1")
    with pytest.raises(UserLocked) as locked:
        attempt("wrong-password-1")
    first_until = locked.value.until_us
    assert first_until == clock.now_us() + policy.lockout_base_s * 1_000_000
    with pytest.raises(UserLocked):
        attempt(PASSWORD)  # even the right password, while locked
    clock.set(first_until)
    for _ in range(policy.lockout_threshold):
        with pytest.raises((AuthenticationFailed, UserLocked)):
            attempt("wrong-password-2")
    with bank.ctx.read() as uow:
        user = uow.users.get(user_id)
        assert user is not None and user.lockouts == 2
        assert user.locked_until_us == clock.now_us() + 2 * policy.lockout_base_s * 1_000_000
    credentials.unlock_user(bank.ctx, None, user_id)
    attempt(PASSWORD)
    actions = [e.action for e in audit.search(bank.ctx, _all()).entries]
    assert actions.count("auth.lockout") == 2 and "user.unlock" in actions


def _all() -> AuditQuery:
    return AuditQuery(limit=200)


def test_tokens_refresh_replay_and_expiry(bank: Bank, clock: FixedClock) -> None:
    bank_with_branch(bank.ctx)
    secret = pyotp.random_base32()
    _staff(bank, "ops.zhao", Role.OPERATIONS, "0001", secret)
    clock.advance(30)
    code = pyotp.TOTP(secret).at(clock.now_us() // 1_000_000)
    tokens = identity.login(bank.ctx, "ops.zhao", PASSWORD, code, "10.0.0.1")
    actor = identity.actor_for_token(bank.ctx, tokens.access_token, "10.0.0.1")
    assert actor.role is Role.OPERATIONS and actor.at_head_office
    with pytest.raises(AuthenticationFailed):  # the same code again: a replay
        identity.login(bank.ctx, "ops.zhao", PASSWORD, code)
    with bank.ctx.uow() as uow, pytest.raises(OtpReplayed):
        identity.verify_fresh_otp(
            uow, actor.user_id, code, clock.now_us(), security=bank.ctx.security
        )
    with bank.ctx.uow() as uow, pytest.raises(OtpInvalid):
        identity.verify_fresh_otp(
            uow, actor.user_id, "000000", clock.now_us(), security=bank.ctx.security
        )
    clock.advance(bank.settings.access_token_ttl_s)
    with pytest.raises(TokenExpired):
        identity.actor_for_token(bank.ctx, tokens.access_token, "")
    renewed = sessions.refresh(bank.ctx, tokens.refresh_token)
    identity.actor_for_token(bank.ctx, renewed.access_token, "")
    with pytest.raises(TokenRevoked):  # the old refresh token: someone copied it
        sessions.refresh(bank.ctx, tokens.refresh_token)
    with pytest.raises(TokenRevoked):  # ... and the whole session is ended
        identity.actor_for_token(bank.ctx, renewed.access_token, "")


def test_enrolment_session_and_who_may_create_users(bank: Bank, clock: FixedClock) -> None:
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, "0100")
    _staff(bank, "teller.li", Role.TELLER, "0100", pyotp.random_base32())
    outsider = individual(bank.ctx, "0001")
    teller = _actor(bank, "teller.li")
    made = identity.create_user(
        bank.ctx,
        username="cust.zhang",
        password=PASSWORD,
        kind=UserKind.CUSTOMER,
        role=Role.CUSTOMER,
        display_name="张",
        customer_id=customer.id,
        actor=teller,
    )
    assert not made.totp_enrolled
    with pytest.raises(Forbidden):
        identity.create_user(
            bank.ctx,
            username="boss",
            password=PASSWORD,
            kind=UserKind.STAFF,
            role=Role.ADMIN,
            display_name="x",
            branch_code="0100",
            actor=teller,
        )
    with pytest.raises(OutsideBranch):
        identity.create_user(
            bank.ctx,
            username="cust.out",
            password=PASSWORD,
            kind=UserKind.CUSTOMER,
            role=Role.CUSTOMER,
            display_name="x",
            customer_id=outsider.id,
            actor=teller,
        )
    tokens = identity.login(bank.ctx, "cust.zhang", PASSWORD, "")
    assert tokens.scope == "enrol"
    with pytest.raises(TotpNotEnrolled):
        identity.actor_for_token(bank.ctx, tokens.access_token, "")
    actor = identity.actor_for_token(bank.ctx, tokens.access_token, "", allow_enrol=True)
    enrolment = credentials.start_enrolment(bank.ctx, actor)
    clock.advance(30)
    code = pyotp.TOTP(enrolment.secret).at(clock.now_us() // 1_000_000)
    full = credentials.confirm_enrolment(bank.ctx, actor, code)
    assert full.scope == "full"
    assert identity.actor_for_token(bank.ctx, full.access_token, "").username == "cust.zhang"
    with pytest.raises(TokenRevoked):
        identity.actor_for_token(bank.ctx, tokens.access_token, "", allow_enrol=True)


def _actor(bank: Bank, username: str) -> Actor:
    with bank.ctx.read() as uow:
        user = uow.users.by_username(username)
        assert user is not None
    return Actor(user.user_id, user.username, user.kind, user.role, branch_code=user.branch_code)
