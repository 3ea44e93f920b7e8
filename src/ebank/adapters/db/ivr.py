"""The SQL store of telephone banking: IVR calls, telephone PINs, statement jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from ebank.adapters.db.tables_phone import document_jobs, ivr_sessions, phone_pins
from ebank.application.ports_documents import DocumentJob, NewDocumentJob
from ebank.application.ports_ivr import PhonePin, StoredCall


class SqlIvrStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def call(self, call_id: str, *, lock: bool = False) -> StoredCall | None:
        query = select(ivr_sessions).where(ivr_sessions.c.call_id == call_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        return StoredCall(
            call_id=row.call_id,
            language=row.language,
            state=row.state,
            customer_id=row.customer_id,
            data=row.data,
            caller=row.caller,
            created_at_us=row.created_at_us,
            updated_at_us=row.updated_at_us,
            ended_at_us=row.ended_at_us,
        )

    def save_call(self, call: StoredCall) -> None:
        values: dict[str, Any] = {
            "language": call.language,
            "state": call.state,
            "customer_id": call.customer_id,
            "data": call.data,
            "caller": call.caller,
            "updated_at_us": call.updated_at_us,
            "ended_at_us": call.ended_at_us,
        }
        changed = self.conn.execute(
            update(ivr_sessions).where(ivr_sessions.c.call_id == call.call_id).values(values)
        ).rowcount
        if not changed:
            self.conn.execute(
                insert(ivr_sessions).values(
                    call_id=call.call_id, created_at_us=call.created_at_us, **values
                )
            )

    def phone_pin(self, customer_id: int, *, lock: bool = False) -> PhonePin | None:
        query = select(phone_pins).where(phone_pins.c.customer_id == customer_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        return PhonePin(
            customer_id=row.customer_id,
            verification=row.verification,
            failed_attempts=row.failed_attempts,
            lockouts=row.lockouts,
            locked_until_us=row.locked_until_us,
        )

    def save_phone_pin(self, pin: PhonePin, now_us: int) -> None:
        values: dict[str, Any] = {
            "verification": pin.verification,
            "failed_attempts": pin.failed_attempts,
            "lockouts": pin.lockouts,
            "locked_until_us": pin.locked_until_us,
            "updated_at_us": now_us,
        }
        changed = self.conn.execute(
            update(phone_pins).where(phone_pins.c.customer_id == pin.customer_id).values(values)
        ).rowcount
        if not changed:
            self.conn.execute(insert(phone_pins).values(customer_id=pin.customer_id, **values))

    def add_job(self, job: NewDocumentJob, now_us: int) -> int:
        return int(
            self.conn.execute(
                insert(document_jobs)
                .values(
                    kind=job.kind,
                    customer_id=job.customer_id,
                    account_id=job.account_id,
                    period_from=job.period_from,
                    period_to=job.period_to,
                    delivery=job.delivery,
                    destination=job.destination,
                    status="queued",
                    created_at_us=now_us,
                )
                .returning(document_jobs.c.id)
            ).scalar_one()
        )

    def queued_jobs(self, limit: int) -> list[DocumentJob]:
        query = (
            select(document_jobs)
            .where(document_jobs.c.status == "queued")
            .order_by(document_jobs.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_job(row) for row in self.conn.execute(query)]

    def job(self, job_id: int) -> DocumentJob | None:
        row = self.conn.execute(select(document_jobs).where(document_jobs.c.id == job_id)).first()
        return _job(row) if row else None

    def finish_job(self, job_id: int, status: str, error: str | None, now_us: int) -> None:
        self.conn.execute(
            update(document_jobs)
            .where(document_jobs.c.id == job_id)
            .values(
                status=status,
                attempts=document_jobs.c.attempts + 1,
                error=error[:500] if error else None,
                done_at_us=now_us if status != "queued" else None,
            )
        )


def _job(row: Row[Any]) -> DocumentJob:
    return DocumentJob(
        id=row.id,
        kind=row.kind,
        customer_id=row.customer_id,
        account_id=row.account_id,
        period_from=row.period_from,
        period_to=row.period_to,
        delivery=row.delivery,
        destination=row.destination,
        status=row.status,
        attempts=row.attempts,
        created_at_us=row.created_at_us,
    )
