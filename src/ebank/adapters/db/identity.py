"""SQL stores of identity: users, sessions and the hash-chained audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db import tables as t
from ebank.adapters.db import tables_access as ta
from ebank.adapters.db.driver import is_unique_violation
from ebank.application.ports_identity import AuditQuery, NewUser, SessionRecord, UserRecord
from ebank.domain.access import Role, UserKind
from ebank.domain.audit import AuditEntry, AuditHead
from ebank.domain.errors import UserExists

AUDIT_HEAD_ID = 1


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, user: NewUser) -> int:
        values = {
            "username": user.username,
            "kind": user.kind.value,
            "role": user.role.value,
            "customer_id": user.customer_id,
            "branch_code": user.branch_code,
            "display_name": user.display_name,
            "language": user.language,
            "status": "active",
            "password_hash": user.password_hash,
            "password_changed_at_us": user.created_at_us,
            "totp_secret_enc": user.totp_secret_enc,
            "created_at_us": user.created_at_us,
        }
        try:
            # A savepoint: a taken name must not spoil the caller's transaction.
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(ta.users).values(**values).returning(ta.users.c.id)
                )
                user_id: int = result.scalar_one()
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise UserExists(f"user name {user.username!r} is taken") from exc
            raise
        return user_id

    def get(self, user_id: int, *, lock: bool = False) -> UserRecord | None:
        query = select(ta.users).where(ta.users.c.id == user_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return _user(row) if row else None

    def by_username(self, username: str, *, lock: bool = False) -> UserRecord | None:
        query = select(ta.users).where(ta.users.c.username == username)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return _user(row) if row else None

    def set_login_state(
        self, user_id: int, *, failed_attempts: int, lockouts: int, locked_until_us: int
    ) -> None:
        self._update(
            user_id,
            failed_attempts=failed_attempts,
            lockouts=lockouts,
            locked_until_us=locked_until_us,
        )

    def set_password(self, user_id: int, password_hash: str, now_us: int) -> None:
        self._update(user_id, password_hash=password_hash, password_changed_at_us=now_us)

    def set_totp(self, user_id: int, *, secret_enc: str | None, pending_enc: str | None) -> None:
        self._update(user_id, totp_secret_enc=secret_enc, totp_pending_enc=pending_enc)

    def set_totp_last_step(self, user_id: int, step: int) -> None:
        self._update(user_id, totp_last_step=step)

    def search(
        self,
        *,
        kind: UserKind | None,
        branch_codes: Sequence[str] | None,
        after_id: int | None,
        limit: int,
    ) -> list[UserRecord]:
        u = ta.users
        query = select(u).order_by(u.c.id).limit(limit)
        if kind is not None:
            query = query.where(u.c.kind == kind.value)
        if after_id is not None:
            query = query.where(u.c.id > after_id)
        if branch_codes is not None:
            of_branch = exists().where(
                and_(
                    t.customers.c.id == u.c.customer_id, t.customers.c.branch_code.in_(branch_codes)
                )
            )
            query = query.where(or_(u.c.branch_code.in_(branch_codes), of_branch))
        return [_user(r) for r in self.conn.execute(query)]

    def _update(self, user_id: int, **values: Any) -> None:
        self.conn.execute(update(ta.users).where(ta.users.c.id == user_id).values(**values))


def _user(row: Row[Any]) -> UserRecord:
    return UserRecord(
        user_id=row.id,
        username=row.username,
        kind=UserKind(row.kind),
        role=Role(row.role),
        display_name=row.display_name,
        customer_id=row.customer_id,
        branch_code=row.branch_code,
        language=row.language,
        status=row.status,
        password_hash=row.password_hash,
        password_changed_at_us=row.password_changed_at_us,
        totp_secret_enc=row.totp_secret_enc,
        totp_pending_enc=row.totp_pending_enc,
        totp_last_step=row.totp_last_step,
        failed_attempts=row.failed_attempts,
        lockouts=row.lockouts,
        locked_until_us=row.locked_until_us,
        created_at_us=row.created_at_us,
    )


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, session: SessionRecord) -> None:
        self.conn.execute(
            insert(ta.sessions).values(
                id=session.session_id,
                user_id=session.user_id,
                scope=session.scope,
                access_hash=session.access_hash,
                refresh_hash=session.refresh_hash,
                access_expires_at_us=session.access_expires_at_us,
                refresh_expires_at_us=session.refresh_expires_at_us,
                created_at_us=session.created_at_us,
                last_used_at_us=session.last_used_at_us,
                client_address=session.client_address[:64],
                user_agent=session.user_agent[:200],
            )
        )

    def get(self, session_id: UUID, *, lock: bool = False) -> SessionRecord | None:
        query = select(ta.sessions).where(ta.sessions.c.id == session_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return _session(row) if row else None

    def by_access_hash(self, access_hash: str) -> SessionRecord | None:
        query = select(ta.sessions).where(ta.sessions.c.access_hash == access_hash)
        row = self.conn.execute(query).first()
        return _session(row) if row else None

    def rotate(
        self,
        session_id: UUID,
        *,
        access_hash: str,
        refresh_hash: str,
        access_expires_at_us: int,
        refresh_expires_at_us: int,
        now_us: int,
    ) -> None:
        self.conn.execute(
            update(ta.sessions)
            .where(ta.sessions.c.id == session_id)
            .values(
                access_hash=access_hash,
                refresh_hash=refresh_hash,
                access_expires_at_us=access_expires_at_us,
                refresh_expires_at_us=refresh_expires_at_us,
                last_used_at_us=now_us,
            )
        )

    def revoke(self, session_id: UUID, now_us: int, reason: str) -> bool:
        s = ta.sessions
        result = self.conn.execute(
            update(s)
            .where(s.c.id == session_id, s.c.revoked_at_us.is_(None))
            .values(revoked_at_us=now_us, revoked_reason=reason[:32])
        )
        return result.rowcount > 0

    def revoke_all(self, user_id: int, now_us: int, reason: str) -> int:
        s = ta.sessions
        result = self.conn.execute(
            update(s)
            .where(s.c.user_id == user_id, s.c.revoked_at_us.is_(None))
            .values(revoked_at_us=now_us, revoked_reason=reason[:32])
        )
        return int(result.rowcount)

    def for_user(self, user_id: int, now_us: int) -> list[SessionRecord]:
        s = ta.sessions
        rows = self.conn.execute(
            select(s)
            .where(
                s.c.user_id == user_id,
                s.c.revoked_at_us.is_(None),
                s.c.refresh_expires_at_us > now_us,
            )
            .order_by(s.c.created_at_us.desc(), s.c.id)
        )
        return [_session(r) for r in rows]


def _session(row: Row[Any]) -> SessionRecord:
    return SessionRecord(
        session_id=row.id,
        user_id=row.user_id,
        scope=row.scope,
        access_hash=row.access_hash,
        refresh_hash=row.refresh_hash,
        access_expires_at_us=row.access_expires_at_us,
        refresh_expires_at_us=row.refresh_expires_at_us,
        created_at_us=row.created_at_us,
        last_used_at_us=row.last_used_at_us,
        revoked_at_us=row.revoked_at_us,
        revoked_reason=row.revoked_reason,
        client_address=row.client_address,
        user_agent=row.user_agent,
    )


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self, *, lock: bool) -> AuditHead:
        # On PostgreSQL the row lock serialises writers, so the chain never forks; SQLite
        # has one writer at a time anyway (BEGIN IMMEDIATE).
        query = select(ta.audit_head.c.seq, ta.audit_head.c.hash).where(
            ta.audit_head.c.id == AUDIT_HEAD_ID
        )
        row = self.conn.execute(query.with_for_update() if lock else query).one()
        return AuditHead(seq=row.seq, hash=row.hash)

    def append(self, entry: AuditEntry) -> None:
        self.conn.execute(
            insert(ta.audit_log).values(
                seq=entry.seq,
                at_us=entry.at_us,
                actor_id=entry.actor_id,
                actor=entry.actor,
                action=entry.action,
                target=entry.target,
                outcome=entry.outcome,
                details=entry.details,
                client_address=entry.client_address,
                prev_hash=entry.prev_hash,
                hash=entry.hash,
            )
        )
        self.conn.execute(
            update(ta.audit_head)
            .where(ta.audit_head.c.id == AUDIT_HEAD_ID)
            .values(seq=entry.seq, hash=entry.hash)
        )

    def entries(self, after_seq: int, limit: int) -> list[AuditEntry]:
        a = ta.audit_log
        rows = self.conn.execute(
            select(a).where(a.c.seq > after_seq).order_by(a.c.seq).limit(limit)
        )
        return [_entry(r) for r in rows]

    def search(self, query: AuditQuery) -> list[AuditEntry]:
        a = ta.audit_log
        sql = select(a).order_by(a.c.seq.desc()).limit(query.limit)
        if query.actor_id is not None:
            sql = sql.where(a.c.actor_id == query.actor_id)
        if query.action is not None:
            sql = sql.where(a.c.action == query.action)
        if query.from_us is not None:
            sql = sql.where(a.c.at_us >= query.from_us)
        if query.to_us is not None:
            sql = sql.where(a.c.at_us < query.to_us)
        if query.before_seq is not None:
            sql = sql.where(a.c.seq < query.before_seq)
        return [_entry(r) for r in self.conn.execute(sql)]


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at_us=row.at_us,
        actor_id=row.actor_id,
        actor=row.actor,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        details=row.details,
        client_address=row.client_address,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
