"""The bank's background jobs inside ``ebank serve``: every period, the terminal alarm
check, inbound SMS and delivery receipts (on SMPP), the outbox relay (SMS through the
configured SMS transport, e-mail through the console twin until a mail gateway exists),
the call centre's service-level check, and queued statements. Database work runs off
the event loop; a failing round is logged and the next one runs as usual, so one bad
round never stops monitoring."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.mailfax_console import ConsoleMailFax
from ebank.adapters.notify.console import ConsoleNotifier
from ebank.application import callcentre, document_jobs, sms_banking
from ebank.application.monitoring import check_alarms
from ebank.application.ports_sms import SmsTransport
from ebank.application.ports_terminals import Notifier
from ebank.bootstrap import Bank, sms_transport
from ebank.config import MonitoringSettings
from ebank.entrypoints.telephony.sms_webhook import explain_error

log = structlog.get_logger("ebank.background")


def run_round(
    bank: Bank, settings: MonitoringSettings, notifier: Notifier, sms: SmsTransport
) -> tuple[int, int]:
    """One round: (alarms raised, messages sent). Also flags tickets past their service
    levels and sends queued statements (the console mail/fax twin until a gateway
    exists)."""
    ctx = bank.ctx
    raised = check_alarms(ctx, policy=settings.policy())
    sms.poll(sms_banking.SmsBanking(ctx, sms.name, explain_error))
    sent = sms_banking.relay(ctx, sms, notifier, settings.relay_batch)
    callcentre.check_slas(ctx, ctx.clock.now_us())
    document_jobs.run_pending(ctx, ConsoleMailFax(echo=log.info), tz=BANK_TIMEZONE)
    return len(raised), sent


async def run_background_jobs(
    bank: Bank,
    stop: asyncio.Event,
    *,
    settings: MonitoringSettings | None = None,
    notifier: Notifier | None = None,
) -> None:
    """Run the rounds every ``settings.period_s`` until ``stop`` is set."""
    settings = settings or bank.settings.monitor
    # E-mail: only the console twin exists so far; it prints instead of sending.
    notifier = notifier or ConsoleNotifier()
    sms = sms_transport(bank)
    try:
        await _rounds(bank, stop, settings, notifier, sms)
    finally:
        sms.close()


async def _rounds(
    bank: Bank,
    stop: asyncio.Event,
    settings: MonitoringSettings,
    notifier: Notifier,
    sms: SmsTransport,
) -> None:
    while not stop.is_set():
        try:
            raised, sent = await asyncio.to_thread(run_round, bank, settings, notifier, sms)
            if raised or sent:
                log.info("background round", alarms_raised=raised, notifications_sent=sent)
        except Exception:  # logged; the next round runs regardless
            log.exception("background round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.period_s)
