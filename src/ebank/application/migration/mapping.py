"""The mapping a migration hands back: legacy identifiers beside the new numbers."""

from __future__ import annotations

from collections import defaultdict

from ebank.application.migration.checks import _Plan, _Planned
from ebank.application.migration.records import MappingRow
from ebank.domain.money import Currency, format_minor


def _mapping(plan: _Plan) -> list[MappingRow]:
    owned: dict[int | None, list[_Planned]] = defaultdict(list)
    for p in plan.accounts:
        owned[p.account.customer_id].append(p)
    rows: list[MappingRow] = []
    for row, c in plan.customers:
        rows += [
            MappingRow(
                customer_legacy_id=row.legacy_id,
                customer_number=c.number,
                legacy_account_no=p.row.legacy_account_no,
                account_number=p.account.number,
                branch_code=p.account.branch_code,
                product_code=p.account.product_code,
                currency=p.account.currency,
                status=p.status.value,
                opening_balance=format_minor(
                    p.balance_minor, Currency.of(p.account.currency), grouping=False
                ),
            )
            for p in owned.get(c.id, [])
        ] or [MappingRow(row.legacy_id, c.number)]
    return rows
