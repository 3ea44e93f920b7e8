"""The console twin of the mail/fax gateway: prints what it would send (never in
production) and keeps the last documents for tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SentDocument:
    delivery: str
    destination: str
    subject: str
    filename: str
    pdf: bytes = field(repr=False)


@dataclass
class ConsoleMailFax:
    echo: Callable[[str], None] = print
    sent: list[SentDocument] = field(default_factory=list)
    max_kept: int = 100

    def send(self, delivery: str, destination: str, subject: str, filename: str, pdf: bytes) -> str:
        self.sent.append(SentDocument(delivery, destination, subject, filename, pdf))
        del self.sent[: -self.max_kept]
        reference = f"console-{len(self.sent)}"
        self.echo(
            f"[{delivery}] to {destination}: {subject} ({filename}, {len(pdf)} bytes) {reference}"
        )
        return reference
