"""A user's credentials after sign-in: enrolling the authenticator app, changing the
password; and their administration: unlocking users, listing them."""

from __future__ import annotations

from dataclasses import dataclass

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.identity import (
    UserView,
    check_password,
    refuse_sign_in,
    services,
    verify_fresh_otp,
)
from ebank.application.ports import UnitOfWork
from ebank.application.ports_identity import UserRecord
from ebank.application.sessions import Tokens, open_session
from ebank.application.visibility import branch_parents
from ebank.domain.access import Actor, Role, UserKind, branch_in_scope, require_role
from ebank.domain.errors import (
    CustomerNotFound,
    OtpInvalid,
    TotpAlreadyEnrolled,
    TotpNotEnrolled,
    UserNotFound,
    WeakPassword,
)

MAX_USERS_PAGE = 200


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the authenticator app needs; shown once, at enrolment."""

    secret: str
    otpauth_uri: str
    qr_svg: str


def _own_user(uow: UnitOfWork, actor: Actor) -> UserRecord:
    user = uow.users.get(actor.user_id, lock=True)
    assert user is not None, "a signed-in actor's user exists"
    return user


def start_enrolment(ctx: Context, actor: Actor) -> Enrolment:
    """A new TOTP secret for the actor, pending until its first code confirms it."""
    sec = services(ctx)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        user = _own_user(uow, actor)
        if user.totp_secret_enc is not None:
            raise TotpAlreadyEnrolled("an authenticator app is already enrolled")
        secret = sec.otp.new_secret()
        uow.users.set_totp(user.user_id, secret_enc=None, pending_enc=sec.secrets.seal(secret))
        audit.record(
            uow,
            actor=actor,
            action="auth.totp_enrol_start",
            target=f"user:{user.username}",
            now_us=now,
        )
        uow.commit()
    uri = sec.otp.provisioning_uri(secret, user.username, sec.policy.issuer)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=sec.otp.qr_svg(uri))


def confirm_enrolment(
    ctx: Context, actor: Actor, code: str, client_address: str = "", user_agent: str = ""
) -> Tokens:
    """Enrol the pending secret once a code from it is right; the enrolment-only session
    ends and a full one begins (password at sign-in, now the second factor)."""
    sec = services(ctx)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        user = _own_user(uow, actor)
        if user.totp_secret_enc is not None:
            raise TotpAlreadyEnrolled("an authenticator app is already enrolled")
        if user.totp_pending_enc is None:
            raise TotpNotEnrolled("start an enrolment first")
        secret = sec.secrets.open(user.totp_pending_enc)
        step = sec.otp.matching_step(secret, code, now)
        if step is None:
            audit.record(
                uow,
                actor=actor,
                action="auth.totp_enrol",
                target=f"user:{user.username}",
                outcome="failed",
                now_us=now,
            )
            uow.commit()
            raise OtpInvalid("the one-time code is not right")
        uow.users.set_totp(user.user_id, secret_enc=user.totp_pending_enc, pending_enc=None)
        uow.users.set_totp_last_step(user.user_id, step)
        uow.sessions.revoke_all(user.user_id, now, "enrolled")
        tokens = open_session(uow, sec, user.user_id, "full", now, client_address, user_agent)
        audit.record(
            uow,
            actor=actor,
            action="auth.totp_enrol",
            target=f"user:{user.username}",
            now_us=now,
        )
        uow.commit()
    return tokens


def change_password(
    ctx: Context, actor: Actor, old_password: str, new_password: str, otp: str
) -> None:
    """Needs the old password and a fresh code; ends every session of the user (the
    caller's too): whoever knew the old password is signed out."""
    sec = services(ctx)
    now = ctx.clock.now_us()
    check_password(new_password, actor.username)
    if new_password == old_password:
        raise WeakPassword("the new password must differ from the old one")
    with ctx.uow() as uow:
        user = _own_user(uow, actor)
        if not sec.passwords.verify(user.password_hash, old_password):
            refuse_sign_in(
                uow, sec, user, "password_change_bad_password", actor.client_address, now
            )
        try:
            verify_fresh_otp(uow, user.user_id, otp, now, security=sec)
        except OtpInvalid:
            refuse_sign_in(uow, sec, user, "password_change_bad_otp", actor.client_address, now)
        uow.users.set_password(user.user_id, sec.passwords.hash(new_password), now)
        ended = uow.sessions.revoke_all(user.user_id, now, "password_change")
        audit.record(
            uow,
            actor=actor,
            action="auth.password_change",
            target=f"user:{user.username}",
            details={"sessions_ended": ended},
            now_us=now,
        )
        uow.commit()


def unlock_user(ctx: Context, actor: Actor | None, user_id: int) -> UserView:
    """An administrator (or the system: ``actor=None``) lifts a lockout and forgets the
    failures and back-off."""
    if actor is not None:
        require_role(actor, frozenset({Role.ADMIN}))
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        user = uow.users.get(user_id, lock=True)
        if user is None:
            raise UserNotFound(f"no user {user_id}")
        uow.users.set_login_state(user_id, failed_attempts=0, lockouts=0, locked_until_us=0)
        audit.record(
            uow,
            actor=actor,
            action="user.unlock",
            target=f"user:{user.username}",
            details={"was_locked_until_us": user.locked_until_us},
            now_us=now,
        )
        unlocked = uow.users.get(user_id)
        assert unlocked is not None
        uow.commit()
    return UserView.of(unlocked)


def me(ctx: Context, actor: Actor) -> UserView:
    with ctx.read() as uow:
        user = uow.users.get(actor.user_id)
    if user is None:
        raise UserNotFound("no such user")
    return UserView.of(user)


def list_users(
    ctx: Context, actor: Actor, *, kind: UserKind | None, after_id: int | None, limit: int
) -> list[UserView]:
    """Users by id: an admin sees every user in their branch scope; tellers and
    supervisors see the customer users of their branch scope."""
    require_role(actor, frozenset({Role.ADMIN, Role.SUPERVISOR, Role.TELLER}))
    assert actor.branch_code is not None
    if actor.role is not Role.ADMIN:
        kind = UserKind.CUSTOMER
    with ctx.read() as uow:
        scope: list[str] | None = None
        if not actor.at_head_office:
            parents = branch_parents(uow)
            scope = [code for code in parents if branch_in_scope(actor.branch_code, code, parents)]
        found = uow.users.search(
            kind=kind,
            branch_codes=scope,
            after_id=after_id,
            limit=max(1, min(limit, MAX_USERS_PAGE)),
        )
    return [UserView.of(u) for u in found]


def customer_id_for(ctx: Context, number: str) -> int:
    """The id of the customer numbered ``number`` (for creating their user)."""
    with ctx.read() as uow:
        customer = uow.customers.by_number(number)
    if customer is None:
        raise CustomerNotFound(f"no customer {number}")
    return customer.id


def user_id_for(ctx: Context, username: str) -> int:
    with ctx.read() as uow:
        user = uow.users.by_username(username)
    if user is None:
        raise UserNotFound(f"no user {username!r}")
    return user.user_id
