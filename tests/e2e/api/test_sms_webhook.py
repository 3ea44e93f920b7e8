"""SMS banking through the Twilio-style webhook on the real HTTP server: a signed
inbound message is answered through the outbox, an unsigned one is refused, and a
delivery status marks the reply delivered."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.adapters.notify.console import ConsoleNotifier
from ebank.adapters.sms.console import ConsoleSms
from ebank.adapters.twilio_signature import twilio_signature
from ebank.application import sms_banking
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.entrypoints.api.server import serving_in_thread
from factories import bank_with_branch, deposit, individual, savings

TOKEN = "webhook-test-token"
PHONE = "+8613800000003"


@pytest.fixture
def signed_bank(database_url: str, clock: FixedClock) -> Iterator[Bank]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        sms_webhook_token=TOKEN,
        sms_transport="webhook",
    )
    bank = build(settings, clock=clock)
    yield bank
    bank.close()


def post(
    client: httpx.Client, base: str, form: dict[str, str], token: str = TOKEN
) -> httpx.Response:
    url = f"{base}/telephony/sms/twilio"
    signature = twilio_signature(token, url, form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature})


def test_sms_through_the_webhook(signed_bank: Bank) -> None:
    ctx = signed_bank.ctx
    bank_with_branch(ctx)
    me = individual(ctx)
    deposit(ctx, savings(ctx, me), 12_345)
    sms_banking.register(ctx, PHONE, me.number, language="zh_CN")
    outbound = ConsoleSms()
    with serving_in_thread(signed_bank) as base, httpx.Client(timeout=30) as client:
        forged = post(client, base, {"From": PHONE, "Body": "余额"}, token="wrong")
        assert forged.status_code == 403
        answered = post(client, base, {"From": PHONE, "Body": "余额", "MessageSid": "SM1"})
        assert answered.status_code == 200
        assert "<Response>" in answered.text
        assert post(client, base, {"From": "+8613999999999", "Body": "BAL"}).status_code == 200
        assert sms_banking.relay(ctx, outbound, ConsoleNotifier()) == 2
        assert outbound.sent[0][0] == PHONE
        assert "余额123.45 CNY" in outbound.sent[0][1]
        assert outbound.sent[0][2].startswith("reply:")  # the dedupe key is the reference
        assert "not registered" in outbound.sent[1][1]
        status = {"MessageSid": "console-1", "MessageStatus": "delivered"}
        assert post(client, base, status).status_code == 200
    with signed_bank.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT direction, status FROM sms_messages WHERE phone = :p ORDER BY id"),
            {"p": PHONE},
        ).all()
    assert [tuple(r) for r in rows] == [("in", "received"), ("out", "delivered")]
