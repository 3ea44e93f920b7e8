"""The worker of queued documents: statements the telephone banking menu asked for,
built as PDF and handed to the mail/fax gateway.

``run_pending`` takes up to ``limit`` queued jobs; each is built and sent, then marked
``done``. A gateway failure leaves the job queued for the next run, up to
``MAX_ATTEMPTS`` tries, then ``failed``; a business refusal (the account closed since)
fails it at once. The statement is built as the customer would see it, so the same
rules apply as on the web.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from ebank.application import statements
from ebank.application.context import Context
from ebank.application.ports_documents import DeliveryFailed, DocumentJob, MailFaxGateway
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.errors import DomainError

MAX_ATTEMPTS = 5
MAX_BATCH = 100


@dataclass(frozen=True, slots=True)
class RunReport:
    sent: int
    retried: int
    failed: int


def _holder(ctx: Context, job: DocumentJob) -> Actor:
    with ctx.read() as uow:
        customer = uow.customers.get(job.customer_id)
    assert customer is not None, "a job names an existing customer (foreign key)"
    return Actor(
        user_id=0,
        username=f"documents:{customer.number}"[:64],
        kind=UserKind.CUSTOMER,
        role=Role.CUSTOMER,
        customer_id=customer.id,
    )


def _build(ctx: Context, job: DocumentJob, tz: tzinfo) -> tuple[str, bytes]:
    with ctx.read() as uow:
        account = uow.accounts.get(job.account_id)
    assert account is not None, "a job names an existing account (foreign key)"
    built = statements.statement(
        ctx,
        _holder(ctx, job),
        account.number,
        date.fromisoformat(job.period_from),
        date.fromisoformat(job.period_to),
        tz,
    )
    filename = f"statement-{account.number[-4:]}-{job.period_from}-{job.period_to}.pdf"
    return filename, statements.statement_pdf(ctx, built, tz)


def _finish(ctx: Context, job_id: int, status: str, error: str | None) -> None:
    with ctx.uow() as uow:
        uow.ivr.finish_job(job_id, status, error, ctx.clock.now_us())
        uow.commit()


def run_pending(
    ctx: Context, gateway: MailFaxGateway, *, tz: tzinfo, limit: int = MAX_BATCH
) -> RunReport:
    """Build and send up to ``limit`` queued statement jobs."""
    with ctx.read() as uow:
        jobs = uow.ivr.queued_jobs(min(limit, MAX_BATCH))
    sent = retried = failed = 0
    for job in jobs:
        try:
            filename, pdf = _build(ctx, job, tz)
        except DomainError as refused:
            _finish(ctx, job.id, "failed", refused.code)
            failed += 1
            continue
        try:
            gateway.send(job.delivery, job.destination, "Account statement", filename, pdf)
        except DeliveryFailed as trouble:
            last_try = job.attempts + 1 >= MAX_ATTEMPTS
            _finish(ctx, job.id, "failed" if last_try else "queued", str(trouble))
            failed += last_try
            retried += not last_try
            continue
        _finish(ctx, job.id, "done", None)
        sent += 1
    return RunReport(sent, retried, failed)
