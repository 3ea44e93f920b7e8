"""The console twin of the e-mail and SMS gateways, for development: it prints what it
would send instead of sending it. Never chosen in production."""

from __future__ import annotations

import sys
from typing import TextIO


class ConsoleNotifier:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, channel: str, recipient: str, subject: str, body: str, message_id: str) -> None:
        out = self.stream or sys.stdout
        if channel == "sms":
            print(f"[sms to {recipient}] {subject} - {body} ({message_id})", file=out, flush=True)
        else:
            print(
                f"[e-mail to {recipient}] Subject: {subject}\n    {body}\n    ({message_id})",
                file=out,
                flush=True,
            )
