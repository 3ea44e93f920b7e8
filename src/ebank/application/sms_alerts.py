"""Transaction alerts (动账通知): every posting at or above a subscribed number's
threshold writes an outbox message in the unit of work of the posting itself, so that
an alert exists exactly when the posting committed. The relay sends it afterwards."""

from __future__ import annotations

from collections.abc import Sequence

from ebank.application.ports_sms import AlertSubscriber, QueuedSms, SmsStore, posted_movements
from ebank.domain.money import Currency, Money
from ebank.domain.sms_commands import reply
from ebank.domain.transfers import JournalEntry

ALERT_TOPIC = "sms_alert"
REPLY_TOPIC = "sms_reply"


def alert_key(transfer_id: object, phone: str) -> str:
    return f"alert:{transfer_id}:{phone}"


def queue_alerts(store: SmsStore, entries: Sequence[JournalEntry], now_us: int) -> int:
    """Queue the alerts of ``entries`` (one query for the subscribers of the accounts
    they touch; nothing more when there are none). Returns how many were queued."""
    moved = posted_movements(entries)
    if not moved:
        return 0
    touched = {e.debit_account_id for e in moved} | {e.credit_account_id for e in moved}
    subscribers = store.alert_subscribers(sorted(touched))
    if not subscribers:
        return 0
    by_account: dict[int, list[AlertSubscriber]] = {}
    for s in subscribers:
        by_account.setdefault(s.account_id, []).append(s)
    messages: dict[str, QueuedSms] = {}
    for entry in moved:
        for message in _alerts_of(entry, by_account):
            messages.setdefault(message.dedupe_key, message)
    store.queue(list(messages.values()), now_us)
    return len(messages)


def _alerts_of(
    entry: JournalEntry, by_account: dict[int, list[AlertSubscriber]]
) -> list[QueuedSms]:
    amount = Money(entry.amount_minor, Currency.of(entry.currency)).format()
    debits = {s.phone: s for s in by_account.get(entry.debit_account_id, ())}
    credits = {s.phone: s for s in by_account.get(entry.credit_account_id, ())}
    out = []
    for phone in sorted(debits.keys() | credits.keys()):
        sub = debits.get(phone) or credits[phone]
        if entry.amount_minor < sub.threshold_minor:
            continue
        if phone in debits and phone in credits:  # between the customer's own accounts
            body = reply(
                "alert_own",
                sub.language,
                amount=amount,
                last4=debits[phone].account_number[-4:],
                other4=credits[phone].account_number[-4:],
            )
        else:
            key = "alert_debit" if phone in debits else "alert_credit"
            reference = entry.reference[:40] or entry.channel
            body = reply(
                key, sub.language, last4=sub.account_number[-4:], amount=amount, reference=reference
            )
        out.append(QueuedSms(ALERT_TOPIC, phone, body, alert_key(entry.id, phone)))
    return out
