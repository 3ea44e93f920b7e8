"""Use cases of identity: users, sign-in with a second factor, sessions and tokens.

Tokens are opaque random strings; only their SHA-256 is stored. A refresh token names its
session (``<session id>.<random>``) so that presenting one that was already rotated is
recognised as theft and ends the whole session. Every sign-in failure, lockout and
success is audited, and the failure's entry is committed although the request fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_identity import (
    NewUser,
    SecurityServices,
    UserRecord,
)
from ebank.application.sessions import Tokens, open_session, token_hash
from ebank.application.visibility import check_branch
from ebank.domain.access import CUSTOMER_ROLES, STAFF_ROLES, Actor, Role, UserKind, require_role
from ebank.domain.branches import BranchKind
from ebank.domain.errors import (
    AuthenticationFailed,
    BranchNotFound,
    CustomerNotFound,
    InvalidInput,
    OtpInvalid,
    OtpReplayed,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    TotpNotEnrolled,
    UserLocked,
    WeakPassword,
)

SCOPE_FULL = "full"
SCOPE_ENROL = "enrol"  # signed in with the password only: may only enrol a second factor
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{2,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 128
US = 1_000_000


def services(ctx: Context) -> SecurityServices:
    assert ctx.security is not None, "the bank was built without security services"
    return ctx.security


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as anyone may be shown: no hashes, no secrets."""

    user_id: int
    username: str
    kind: UserKind
    role: Role
    display_name: str
    customer_id: int | None
    branch_code: str | None
    language: str
    status: str
    totp_enrolled: bool
    locked_until_us: int
    created_at_us: int

    @classmethod
    def of(cls, user: UserRecord) -> UserView:
        return cls(
            user_id=user.user_id,
            username=user.username,
            kind=user.kind,
            role=user.role,
            display_name=user.display_name,
            customer_id=user.customer_id,
            branch_code=user.branch_code,
            language=user.language,
            status=user.status,
            totp_enrolled=user.totp_secret_enc is not None,
            locked_until_us=user.locked_until_us,
            created_at_us=user.created_at_us,
        )


# -- users ---------------------------------------------------------------------------------
def check_password(password: str, username: str) -> None:
    """Refuse passwords that are short, one kind of character, or the user name."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPassword(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    kinds = sum(
        (
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if kinds < 2 or len(set(password)) < 5:
        raise WeakPassword("mix letters with digits or symbols")
    if username.lower() in password.lower():
        raise WeakPassword("a password must not contain the user name")


def create_user(
    ctx: Context,
    *,
    username: str,
    password: str,
    kind: UserKind,
    role: Role,
    display_name: str,
    customer_id: int | None = None,
    branch_code: str | None = None,
    language: str = "zh-CN",
    totp_secret: str | None = None,
    actor: Actor | None = None,
) -> UserView:
    """A new user; ``actor=None`` is the system. Only admin creates staff; tellers,
    supervisors and admins create customer users of customers in their branch scope."""
    sec = services(ctx)
    _check_new_user(username, kind, role, customer_id, branch_code)
    check_password(password, username)
    if totp_secret is not None and not sec.otp.is_valid_secret(totp_secret):
        raise InvalidInput("a TOTP secret is base32 of at least 112 bits")
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        scope_branch = _home_branch(uow, kind, customer_id, branch_code)
        if actor is not None:
            require_role(actor, frozenset({Role.ADMIN}) if kind is UserKind.STAFF else _MAKERS)
            if actor.is_staff:
                check_branch(uow, actor, scope_branch)
        new = NewUser(
            username=username,
            kind=kind,
            role=role,
            display_name=display_name.strip()[:200] or username,
            customer_id=customer_id,
            branch_code=branch_code if kind is UserKind.STAFF else None,
            language=language,
            password_hash=sec.passwords.hash(password),
            totp_secret_enc=sec.secrets.seal(totp_secret) if totp_secret else None,
            created_at_us=now,
        )
        user_id = uow.users.add(new)
        audit.record(
            uow,
            actor=actor,
            action="user.create",
            target=f"user:{username}",
            details={
                "kind": kind.value,
                "role": role.value,
                "branch": scope_branch,
                "totp_enrolled": totp_secret is not None,
            },
            now_us=now,
        )
        user = uow.users.get(user_id)
        assert user is not None
        uow.commit()
    return UserView.of(user)


def existing_usernames(ctx: Context, usernames: Sequence[str]) -> set[str]:
    """Which of ``usernames`` exist."""
    with ctx.read() as uow:
        return {name for name in usernames if uow.users.by_username(name) is not None}


_MAKERS = frozenset({Role.TELLER, Role.SUPERVISOR, Role.ADMIN})


def _check_new_user(
    username: str, kind: UserKind, role: Role, customer_id: int | None, branch_code: str | None
) -> None:
    if not USERNAME.fullmatch(username):
        raise InvalidInput("a user name has 3 to 64 letters, digits or . _ @ -")
    allowed = STAFF_ROLES if kind is UserKind.STAFF else CUSTOMER_ROLES
    if role not in allowed:
        raise InvalidInput(f"role {role.value} is not a {kind.value} role")
    if kind is UserKind.STAFF and (branch_code is None or customer_id is not None):
        raise InvalidInput("a member of staff belongs to a branch, not a customer")
    if kind is UserKind.CUSTOMER and customer_id is None:
        raise InvalidInput("a customer user needs the customer")


def _home_branch(
    uow: UnitOfWork, kind: UserKind, customer_id: int | None, branch_code: str | None
) -> str:
    """The branch that a new user belongs to: the staff member's, or the customer's."""
    if kind is UserKind.STAFF:
        assert branch_code is not None
        if uow.branches.get(branch_code) is None:
            raise BranchNotFound(f"no branch {branch_code}")
        return branch_code
    assert customer_id is not None
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(f"no customer {customer_id}")
    return customer.branch_code


# -- sign-in -------------------------------------------------------------------------------
def login(
    ctx: Context,
    username: str,
    password: str,
    otp: str,
    client_address: str = "",
    user_agent: str = "",
) -> Tokens:
    """Tokens for the user if the password and the current one-time code are right.

    A user without a second factor gets a session that may only enrol one. Wrong
    username, password or code all answer ``AuthenticationFailed``; after
    ``lockout_threshold`` failures in a row the user is locked (``UserLocked``).
    """
    sec = services(ctx)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        user = uow.users.by_username(username, lock=True) if USERNAME.fullmatch(username) else None
        if user is None or user.status != "active":
            sec.passwords.verify_dummy(password)  # the same time as a known user's
            reason = "unknown_user" if user is None else "disabled"
            # Not a possible user name: perhaps a password typed into the wrong field.
            named = username if USERNAME.fullmatch(username) else "(not a user name)"
            audit.record(
                uow,
                actor=None,
                actor_name=named,
                action="auth.login",
                target=f"user:{named}",
                outcome="failed",
                details={"reason": reason},
                client_address=client_address,
                now_us=now,
            )
            uow.commit()
            raise AuthenticationFailed()
        if user.locked_until_us > now:
            _audit_login(uow, user, "locked", client_address, now)
            uow.commit()
            raise UserLocked(user.locked_until_us)
        if not sec.passwords.verify(user.password_hash, password):
            refuse_sign_in(uow, sec, user, "bad_password", client_address, now)
        scope = SCOPE_ENROL
        if user.totp_secret_enc is not None:
            scope = SCOPE_FULL
            step = sec.otp.matching_step(sec.secrets.open(user.totp_secret_enc), otp, now)
            if step is None:
                refuse_sign_in(uow, sec, user, "bad_otp", client_address, now)
            elif step <= user.totp_last_step:
                # Said as a plain failure: a replay must not confirm the password.
                refuse_sign_in(uow, sec, user, "otp_replayed", client_address, now)
            else:
                uow.users.set_totp_last_step(user.user_id, step)
        if user.failed_attempts or user.lockouts:
            uow.users.set_login_state(
                user.user_id, failed_attempts=0, lockouts=0, locked_until_us=0
            )
        if sec.passwords.needs_rehash(user.password_hash):
            uow.users.set_password(
                user.user_id, sec.passwords.hash(password), user.password_changed_at_us
            )
        tokens = open_session(uow, sec, user.user_id, scope, now, client_address, user_agent)
        _audit_login(uow, user, "ok", client_address, now, scope=scope)
        uow.commit()
    return tokens


def _audit_login(
    uow: UnitOfWork, user: UserRecord, outcome: str, address: str, now: int, **details: object
) -> None:
    audit.record(
        uow,
        actor=None,
        actor_name=user.username,
        action="auth.login",
        target=f"user:{user.username}",
        outcome=outcome,
        details=details,
        client_address=address,
        now_us=now,
    )


def refuse_sign_in(
    uow: UnitOfWork, sec: SecurityServices, user: UserRecord, reason: str, address: str, now: int
) -> NoReturn:
    """Count a failed sign-in, lock the user at the threshold, commit, and refuse."""
    policy = sec.policy
    failed, lockouts, until = user.failed_attempts + 1, user.lockouts, user.locked_until_us
    if failed >= policy.lockout_threshold:
        until = now + policy.lockout_s(user.lockouts) * US
        failed, lockouts = 0, user.lockouts + 1
    uow.users.set_login_state(
        user.user_id, failed_attempts=failed, lockouts=lockouts, locked_until_us=until
    )
    _audit_login(uow, user, "failed", address, now, reason=reason)
    if lockouts > user.lockouts:
        audit.record(
            uow,
            actor=None,
            actor_name=user.username,
            action="auth.lockout",
            target=f"user:{user.username}",
            outcome="locked",
            details={"until_us": until, "lockouts": lockouts},
            client_address=address,
            now_us=now,
        )
        uow.commit()
        raise UserLocked(until)
    uow.commit()
    raise AuthenticationFailed()


def actor_for_token(
    ctx: Context, access_token: str, client_address: str, *, allow_enrol: bool = False
) -> Actor:
    """The actor a valid access token speaks for; ``TokenInvalid`` (or its subclasses
    ``TokenExpired``, ``TokenRevoked``) otherwise. A session that may only enrol a
    second factor is refused (``TotpNotEnrolled``) unless ``allow_enrol``."""
    now = ctx.clock.now_us()
    with ctx.read() as uow:
        session = uow.sessions.by_access_hash(token_hash(access_token))
        if session is None:
            raise TokenInvalid("unknown access token")
        if session.revoked_at_us is not None:
            raise TokenRevoked("the session was ended")
        if now >= session.access_expires_at_us:
            raise TokenExpired("the access token has expired: refresh it")
        user = uow.users.get(session.user_id)
        if user is None or user.status != "active":
            raise TokenRevoked("the user is disabled")
        if session.scope != SCOPE_FULL and not allow_enrol:
            raise TotpNotEnrolled("enrol an authenticator app first")
        branch = uow.branches.get(user.branch_code) if user.branch_code else None
    return Actor(
        user_id=user.user_id,
        username=user.username,
        kind=user.kind,
        role=user.role,
        customer_id=user.customer_id,
        branch_code=user.branch_code,
        at_head_office=branch is not None and branch.kind is BranchKind.HEAD_OFFICE,
        session_id=str(session.session_id),
        client_address=client_address,
    )


def verify_fresh_otp(
    uow: UnitOfWork,
    user_id: int,
    code: str,
    now_us: int,
    *,
    security: SecurityServices | None,
) -> None:
    """Accept ``code`` once: ``OtpInvalid`` if wrong, ``OtpReplayed`` if its time step
    (or a later one) was already used; records the step in ``uow``."""
    sec = security
    assert sec is not None, "the bank was built without security services"
    user = uow.users.get(user_id, lock=True)
    if user is None or user.totp_secret_enc is None:
        raise TotpNotEnrolled("no authenticator app is enrolled")
    step = sec.otp.matching_step(sec.secrets.open(user.totp_secret_enc), code, now_us)
    if step is None:
        raise OtpInvalid("the one-time code is not right")
    if step <= user.totp_last_step:
        raise OtpReplayed("that one-time code was already used: wait for the next")
    uow.users.set_totp_last_step(user_id, step)
