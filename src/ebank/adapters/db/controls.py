"""SQL stores of the controls: idempotency keys, limits and usage, approvals, step-up
challenges."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlIdempotency:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlLimits:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlApprovals:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlChallenges:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
