"""Sessions and their tokens: opening one at sign-in, refreshing (rotating) its tokens,
logging out, listing a user's sessions and ending them.

Tokens are opaque random strings; only their SHA-256 is stored. A refresh token names its
session (``<session id>.<random>``) so that presenting one that was already rotated is
recognised as a copy and ends the whole session (theft detection).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID, uuid4

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_identity import SecurityServices, SessionRecord
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.errors import NotFound, TokenExpired, TokenInvalid, TokenRevoked, UserNotFound

US = 1_000_000


def _services(ctx: Context) -> SecurityServices:
    assert ctx.security is not None, "the bank was built without security services"
    return ctx.security


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in_s: int
    scope: str
    session_id: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_tokens(session_id: UUID) -> tuple[str, str]:
    return secrets.token_urlsafe(32), f"{session_id.hex}.{secrets.token_urlsafe(32)}"


def open_session(
    uow: UnitOfWork,
    sec: SecurityServices,
    user_id: int,
    scope: str,
    now: int,
    client_address: str,
    user_agent: str,
) -> Tokens:
    session_id = uuid4()
    access, refresh = new_tokens(session_id)
    policy = sec.policy
    uow.sessions.add(
        SessionRecord(
            session_id=session_id,
            user_id=user_id,
            scope=scope,
            access_hash=token_hash(access),
            refresh_hash=token_hash(refresh),
            access_expires_at_us=now + policy.access_token_ttl_s * US,
            refresh_expires_at_us=now + policy.refresh_token_ttl_s * US,
            created_at_us=now,
            last_used_at_us=now,
            revoked_at_us=None,
            revoked_reason=None,
            client_address=client_address,
            user_agent=user_agent,
        )
    )
    return Tokens(access, refresh, policy.access_token_ttl_s, scope, str(session_id))


def refresh(ctx: Context, refresh_token: str, client_address: str = "") -> Tokens:
    """New access and refresh tokens for a live session; the old ones stop working. An
    old (already rotated) refresh token ends the session: someone copied it."""
    sec = _services(ctx)
    now = ctx.clock.now_us()
    session_hex, _, _ = refresh_token.partition(".")
    try:
        session_id = UUID(hex=session_hex)
    except ValueError:
        raise TokenInvalid("not a refresh token") from None
    with ctx.uow() as uow:
        session = uow.sessions.get(session_id, lock=True)
        if session is None:
            raise TokenInvalid("not a refresh token")
        if session.revoked_at_us is not None:
            raise TokenRevoked("the session was ended")
        if not hmac.compare_digest(session.refresh_hash, token_hash(refresh_token)):
            uow.sessions.revoke(session_id, now, "refresh_reuse")
            audit.record(
                uow,
                actor=None,
                actor_name=f"user#{session.user_id}",
                action="auth.refresh_reuse",
                target=f"session:{session_id}",
                outcome="revoked",
                client_address=client_address,
                now_us=now,
            )
            uow.commit()
            raise TokenRevoked("a refresh token was used twice: the session is ended")
        if now >= session.refresh_expires_at_us:
            raise TokenExpired("the session has expired")
        user = uow.users.get(session.user_id)
        if user is None or user.status != "active":
            raise TokenRevoked("the user is disabled")
        access, new_refresh = new_tokens(session_id)
        policy = sec.policy
        uow.sessions.rotate(
            session_id,
            access_hash=token_hash(access),
            refresh_hash=token_hash(new_refresh),
            access_expires_at_us=now + policy.access_token_ttl_s * US,
            refresh_expires_at_us=now + policy.refresh_token_ttl_s * US,
            now_us=now,
        )
        uow.commit()
    return Tokens(access, new_refresh, policy.access_token_ttl_s, session.scope, str(session_id))


def logout(ctx: Context, actor: Actor) -> None:
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        uow.sessions.revoke(UUID(actor.session_id), now, "logout")
        audit.record(
            uow, actor=actor, action="auth.logout", target=f"session:{actor.session_id}", now_us=now
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class SessionView:
    session_id: str
    scope: str
    created_at_us: int
    last_used_at_us: int
    expires_at_us: int  # when the session ends unless refreshed before
    client_address: str
    user_agent: str
    current: bool


def list_sessions(ctx: Context, actor: Actor) -> list[SessionView]:
    """The actor's live sessions, newest first."""
    now = ctx.clock.now_us()
    with ctx.read() as uow:
        found = uow.sessions.for_user(actor.user_id, now)
    return [
        SessionView(
            session_id=str(s.session_id),
            scope=s.scope,
            created_at_us=s.created_at_us,
            last_used_at_us=s.last_used_at_us,
            expires_at_us=s.refresh_expires_at_us,
            client_address=s.client_address,
            user_agent=s.user_agent,
            current=str(s.session_id) == actor.session_id,
        )
        for s in found
    ]


def revoke_session(ctx: Context, actor: Actor, session_id: str) -> None:
    """End one of the actor's own sessions; another user's answers as not found."""
    now = ctx.clock.now_us()
    try:
        wanted = UUID(session_id)
    except ValueError:
        raise NotFound("no such session") from None
    with ctx.uow() as uow:
        session = uow.sessions.get(wanted, lock=True)
        if session is None or session.user_id != actor.user_id or session.revoked_at_us:
            raise NotFound("no such session")
        uow.sessions.revoke(wanted, now, "revoked")
        audit.record(
            uow, actor=actor, action="auth.session_revoke", target=f"session:{wanted}", now_us=now
        )
        uow.commit()


def revoke_user_sessions(ctx: Context, actor: Actor, user_id: int) -> int:
    """An administrator ends every session of a user; returns how many."""
    require_role(actor, frozenset({Role.ADMIN}))
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise UserNotFound(f"no user {user_id}")
        ended = uow.sessions.revoke_all(user_id, now, "admin")
        audit.record(
            uow,
            actor=actor,
            action="user.revoke_sessions",
            target=f"user:{user.username}",
            details={"sessions": ended},
            now_us=now,
        )
        uow.commit()
    return ended
