"""The console twin of the SMS transports, for development: prints what it would send
and keeps it, so that a person (or a test) can read it. Never chosen in production."""

from __future__ import annotations

import sys
from typing import TextIO

from ebank.application.ports_sms import SmsInbox


class ConsoleSms:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.sent: list[tuple[str, str, str]] = []  # (phone, body, reference)

    def send(self, phone: str, body: str, reference: str) -> str:
        self.sent.append((phone, body, reference))
        print(f"[sms to {phone}] {body} ({reference})", file=self.stream or sys.stdout, flush=True)
        return f"console-{len(self.sent)}"

    def poll(self, inbox: SmsInbox) -> int:
        return 0

    def close(self) -> None:
        return None
