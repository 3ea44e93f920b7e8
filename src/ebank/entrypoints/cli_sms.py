"""``ebank sms``: register numbers for SMS banking and alerts, run the relay that sends
alerts and replies, and listen to the SMS centre (SMPP) for inbound messages."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from ebank.adapters.notify.console import ConsoleNotifier
from ebank.application import sms_banking
from ebank.bootstrap import sms_transport
from ebank.domain.money import Money
from ebank.entrypoints.cli_common import bank_refusing
from ebank.entrypoints.telephony.sms_webhook import explain_error

sms_app = typer.Typer(help="SMS banking: numbers, alerts, the relay.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@sms_app.command("register")
def sms_register(
    phone: str,
    customer: str,
    language: Annotated[str, typer.Option(help="zh_CN or en")] = "zh_CN",
    alert_threshold: Annotated[
        str | None, typer.Option(help="send an alert for postings at or above (e.g. 500.00)")
    ] = None,
) -> None:
    """Register PHONE for SMS banking of CUSTOMER (number), with an alert threshold."""
    with bank_refusing() as bank:
        threshold = Money.parse(alert_threshold).minor if alert_threshold is not None else None
        sub = sms_banking.register(
            bank.ctx, phone, customer, language=language, alert_threshold_minor=threshold
        )
    alerts = "no alerts" if sub.alert_threshold_minor is None else "alerts on"
    out.print(f"{sub.phone} registered for customer {customer} ({sub.language}, {alerts})")


@sms_app.command("relay")
def sms_relay(
    loop: Annotated[bool, typer.Option(help="keep running, polling every second")] = False,
) -> None:
    """Send waiting alerts and replies through the configured transport (and, on SMPP,
    hand inbound messages and delivery receipts to SMS banking)."""
    with bank_refusing() as bank:
        transport = sms_transport(bank)
        inbox = sms_banking.SmsBanking(bank.ctx, transport.name, explain_error)
        try:
            while True:
                received = transport.poll(inbox)
                sent = sms_banking.relay(bank.ctx, transport, ConsoleNotifier())
                if not loop:
                    out.print(f"{received} received, {sent} sent")
                    return
                time.sleep(1.0)
        finally:
            transport.close()
