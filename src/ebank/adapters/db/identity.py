"""SQL stores of identity: users, sessions and the hash-chained audit log."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
