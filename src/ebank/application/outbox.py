"""The outbox relay: sends the notifications written in the outbox (in the same unit of
work as what they tell of) through the ``Notifier`` port, and marks them sent.

Each message is claimed, sent and marked in a unit of work of its own, locked against a
second relay (on PostgreSQL a relay skips rows another one holds; SQLite has one writer
anyway), so a message is marked sent once however many relays run. A crash between the
send and the commit sends it again: the stable ``message_id`` lets a gateway drop the
repeat. A failure counts an attempt and keeps its error; after ``MAX_ATTEMPTS`` the
message waits for an operator.
"""

from __future__ import annotations

import json

from ebank.application.context import Context
from ebank.application.ports_terminals import Notifier, OutboxMessage

MAX_ATTEMPTS = 10
MAX_BATCH = 500


def message_id(message: OutboxMessage) -> str:
    return f"ebank-outbox-{message.message_id}"


def _content(message: OutboxMessage) -> tuple[str, str]:
    try:
        payload = json.loads(message.payload)
        return str(payload.get("subject", message.topic)), str(payload.get("body", ""))
    except (ValueError, AttributeError):
        return message.topic, message.payload


def deliver_pending(ctx: Context, notifier: Notifier, limit: int = 100) -> int:
    """Send up to ``limit`` unsent messages, oldest first; returns how many were sent."""
    limit = max(1, min(limit, MAX_BATCH))
    with ctx.read() as uow:
        waiting = [m.message_id for m in uow.terminals.unsent(limit, MAX_ATTEMPTS)]
    sent = 0
    for waiting_id in waiting:
        with ctx.uow() as uow:
            message = uow.terminals.claim_unsent(waiting_id)
            if message is None:  # sent meanwhile, or held by another relay
                continue
            subject, body = _content(message)
            try:
                notifier.send(message.topic, message.recipient, subject, body, message_id(message))
            except Exception as failure:  # any gateway failure: retried later
                uow.terminals.mark_failed(waiting_id, f"{type(failure).__name__}: {failure}")
            else:
                uow.terminals.mark_sent(waiting_id, ctx.clock.now_us())
                sent += 1
            uow.commit()
    return sent


def pending_count(ctx: Context) -> int:
    with ctx.read() as uow:
        return len(uow.terminals.unsent(MAX_BATCH, MAX_ATTEMPTS))
