"""SQL stores of customer services: beneficiaries."""

from __future__ import annotations

from sqlalchemy import Connection


class SqlBeneficiaries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
