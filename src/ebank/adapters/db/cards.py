"""The SQL store of cards (SQLAlchemy Core, the same SQL on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from ebank.adapters.db.driver import is_unique_violation
from ebank.adapters.db.tables_channels import card_accounts, cards
from ebank.application.ports import ConcurrencyConflict
from ebank.application.ports_cards import CardAccountLink, CardRecord, NewCard
from ebank.domain.cards import CardAccountType, CardLimits, CardStatus


class SqlCards:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, card: NewCard) -> int:
        values = {
            "pan_hash": card.pan_hash,
            "pan_enc": card.pan_enc,
            "pan_last4": card.pan_last4,
            "pan_prefix": card.pan_prefix,
            "pin_verification": card.pin_verification,
            "customer_id": card.customer_id,
            "expiry": card.expiry,
            "status": card.status.value,
            "atm_daily_limit_minor": card.limits.atm_daily_minor,
            "atm_daily_count": card.limits.atm_daily_count,
            "pos_limit_minor": card.limits.pos_daily_minor,
            "currency": card.currency,
            "created_at_us": card.created_at_us,
            "updated_at_us": card.created_at_us,
        }
        try:
            with self.conn.begin_nested():
                card_id = int(
                    self.conn.execute(
                        insert(cards).values(values).returning(cards.c.id)
                    ).scalar_one()
                )
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise ConcurrencyConflict("that card number is taken") from exc
            raise
        if card.accounts:
            self.conn.execute(
                insert(card_accounts),
                [
                    {
                        "card_id": card_id,
                        "account_type": link.account_type.value,
                        "account_id": link.account_id,
                    }
                    for link in card.accounts
                ],
            )
        return card_id

    def get(self, card_id: int, *, lock: bool = False) -> CardRecord | None:
        query = select(cards).where(cards.c.id == card_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return self._records([row])[0] if row else None

    def by_pan_hash(self, pan_hash: str) -> CardRecord | None:
        row = self.conn.execute(select(cards).where(cards.c.pan_hash == pan_hash)).first()
        return self._records([row])[0] if row else None

    def for_customer(self, customer_id: int) -> list[CardRecord]:
        rows = self.conn.execute(
            select(cards).where(cards.c.customer_id == customer_id).order_by(cards.c.id)
        ).all()
        return self._records(rows)

    def for_customers(self, customer_ids: list[int]) -> list[CardRecord]:
        if not customer_ids:
            return []
        rows = self.conn.execute(
            select(cards).where(cards.c.customer_id.in_(customer_ids)).order_by(cards.c.id)
        ).all()
        return self._records(rows)

    def set_status(self, card_id: int, status: CardStatus, reason: str | None, now_us: int) -> None:
        self.conn.execute(
            update(cards)
            .where(cards.c.id == card_id)
            .values(status=status.value, blocked_reason=reason, updated_at_us=now_us)
        )

    def set_limits(self, card_id: int, limits: CardLimits, now_us: int) -> None:
        self.conn.execute(
            update(cards)
            .where(cards.c.id == card_id)
            .values(
                atm_daily_limit_minor=limits.atm_daily_minor,
                atm_daily_count=limits.atm_daily_count,
                pos_limit_minor=limits.pos_daily_minor,
                updated_at_us=now_us,
            )
        )

    def set_pin_verification(self, card_id: int, verification: str, now_us: int) -> None:
        self.conn.execute(
            update(cards)
            .where(cards.c.id == card_id)
            .values(pin_verification=verification, pin_tries=0, updated_at_us=now_us)
        )

    def count_wrong_pin(self, card_id: int, now_us: int) -> int:
        # One statement: the count goes up in the database, whatever a reader saw.
        return int(
            self.conn.execute(
                update(cards)
                .where(cards.c.id == card_id)
                .values(pin_tries=cards.c.pin_tries + 1, updated_at_us=now_us)
                .returning(cards.c.pin_tries)
            ).scalar_one()
        )

    def reset_pin_tries(self, card_id: int, now_us: int) -> None:
        self.conn.execute(
            update(cards).where(cards.c.id == card_id).values(pin_tries=0, updated_at_us=now_us)
        )

    def _records(self, rows: Sequence[Row[Any]]) -> list[CardRecord]:
        links = self._links(row.id for row in rows)
        return [_card(row, links.get(int(row.id), ())) for row in rows]

    def _links(self, card_ids: Iterable[int]) -> dict[int, tuple[CardAccountLink, ...]]:
        ids = list(card_ids)
        if not ids:
            return {}
        found: dict[int, list[CardAccountLink]] = {}
        rows = self.conn.execute(
            select(card_accounts)
            .where(card_accounts.c.card_id.in_(ids))
            .order_by(card_accounts.c.card_id, card_accounts.c.account_type)
        )
        for r in rows:
            link = CardAccountLink(CardAccountType(r.account_type), int(r.account_id))
            found.setdefault(int(r.card_id), []).append(link)
        return {card_id: tuple(items) for card_id, items in found.items()}


def _card(row: Row[Any], links: tuple[CardAccountLink, ...]) -> CardRecord:
    return CardRecord(
        card_id=int(row.id),
        pan_hash=row.pan_hash,
        pan_enc=row.pan_enc,
        pan_last4=row.pan_last4,
        customer_id=int(row.customer_id),
        expiry=row.expiry,
        status=CardStatus(row.status),
        limits=CardLimits(
            int(row.atm_daily_limit_minor), int(row.atm_daily_count), int(row.pos_limit_minor)
        ),
        currency=row.currency,
        blocked_reason=row.blocked_reason,
        accounts=links,
        created_at_us=int(row.created_at_us),
        updated_at_us=int(row.updated_at_us),
        pan_prefix=row.pan_prefix,
        pin_verification=row.pin_verification,
        pin_tries=int(row.pin_tries),
    )
