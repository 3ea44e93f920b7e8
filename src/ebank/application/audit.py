"""The audit trail: every staff action and every security event, one hash-chained entry
each, written in the caller's unit of work; its verification and its viewer.

Nothing secret is ever written: details keys that name a secret (password, PIN, one-time
code, token, CVV...) are replaced by ``[redacted]``, and digit runs that look like a card
number are masked to their first six and last four digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_identity import AuditQuery
from ebank.domain.access import Actor
from ebank.domain.audit import (
    AuditEntry,
    AuditHead,
    ChainProblem,
    canonical_details,
    chain_hash,
    verify_chain,
)

REDACTED = "[redacted]"
# A details key naming a secret, by any of its words (``new_password``, ``pin-block``).
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "pin",
        "pinblock",
        "otp",
        "totp",
        "code",
        "passcode",
        "secret",
        "token",
        "cvv",
        "cvv2",
        "cvc",
        "cvn",
        "pan",
        "track",
        "track2",
        "cardnumber",
    }
)
# Keys whose word "code" is not a secret: branch_code, currency_code, ...
_HARMLESS_CODES = frozenset({"branch", "currency", "product", "result", "error", "country"})
# A card number: 13 to 19 digits (optionally grouped by spaces or dashes), first digit
# 2-6 (the payment-card industries), Luhn check digit right; the bank's account numbers
# start with their branch code, 0 in every branch in use.
_CARD_LIKE = re.compile(r"(?<!\d)[2-6](?:[ -]?\d){12,18}(?!\d)")
MAX_DETAIL_CHARS = 500
MAX_DETAILS = 40
VERIFY_PAGE = 2000


def record(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
    actor_name: str = "",
    client_address: str = "",
    now_us: int,
) -> None:
    """Append one chained entry to the audit trail in ``uow`` (committed with it).

    ``actor=None`` is the system (CLI, batch), or an unauthenticated caller named by
    ``actor_name`` (a failed sign-in). ``now_us`` comes from the bank's clock.

    On PostgreSQL this locks the trail's head row until the unit of work ends: call it
    last, just before ``commit``, so that writers queue briefly and always take their
    locks (accounts, then the head) in one order.
    """
    head = uow.audit.head(lock=True)
    entry = AuditEntry(
        seq=head.seq + 1,
        at_us=now_us,
        actor_id=actor.user_id if actor else None,
        actor=(actor.username if actor else actor_name or "system")[:64],
        action=action[:64],
        target=mask_card_numbers(target)[:128],
        outcome=outcome[:32],
        details=canonical_details(scrub(details or {})),
        client_address=(client_address or (actor.client_address if actor else ""))[:64],
        prev_hash=head.hash,
        hash="",
    )
    uow.audit.append(_sealed(entry))


def _sealed(entry: AuditEntry) -> AuditEntry:
    return AuditEntry(
        seq=entry.seq,
        at_us=entry.at_us,
        actor_id=entry.actor_id,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome,
        details=entry.details,
        client_address=entry.client_address,
        prev_hash=entry.prev_hash,
        hash=chain_hash(entry.prev_hash, entry),
    )


def is_secret_key(key: str) -> bool:
    words = [
        w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()) if w
    ]
    if "code" in words and any(w in _HARMLESS_CODES for w in words):
        return False
    return any(w in _SECRET_WORDS for w in words) or key.lower().replace("_", "") in _SECRET_WORDS


def mask_card_numbers(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not _luhn_valid(digits):
            return match.group(0)
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]

    return _CARD_LIKE.sub(mask, text)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def scrub(details: Mapping[str, object]) -> dict[str, object]:
    """``details`` fit for the audit trail: secrets redacted, card numbers masked, sizes
    bounded, values reduced to JSON scalars and lists of them."""
    clean: dict[str, object] = {}
    for key, value in list(details.items())[:MAX_DETAILS]:
        name = str(key)[:64]
        clean[name] = REDACTED if is_secret_key(name) else _scrub_value(value, depth=0)
    return clean


def _scrub_value(value: object, depth: int) -> object:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Mapping) and depth < 2:
        return {
            str(k)[:64]: REDACTED if is_secret_key(str(k)) else _scrub_value(v, depth + 1)
            for k, v in list(value.items())[:MAX_DETAILS]
        }
    if isinstance(value, list | tuple | set | frozenset) and depth < 2:
        return [_scrub_value(v, depth + 1) for v in list(value)[:MAX_DETAILS]]
    return mask_card_numbers(str(value))[:MAX_DETAIL_CHARS]


# -- verification -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AuditReport:
    entries: int
    head: AuditHead
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(ctx: Context) -> AuditReport:
    """Walk the whole trail and check every link, every hash and the head."""
    with ctx.read() as uow:
        head = uow.audit.head(lock=False)
        counted = [0]

        def walk() -> Iterator[AuditEntry]:
            after = 0
            while True:
                page = uow.audit.entries(after, VERIFY_PAGE)
                yield from page
                counted[0] += len(page)
                if len(page) < VERIFY_PAGE:
                    return
                after = page[-1].seq

        problems = verify_chain(walk(), head)
    return AuditReport(entries=counted[0], head=head, problems=problems)


# -- the viewer ---------------------------------------------------------------------------
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: int | None  # pass as before_seq for the next (older) page


def search(ctx: Context, query: AuditQuery) -> AuditPage:
    """Entries newest first, filtered; pages through ``before_seq``."""
    limit = max(1, min(query.limit, MAX_PAGE))
    bounded = AuditQuery(
        actor_id=query.actor_id,
        action=query.action,
        from_us=query.from_us,
        to_us=query.to_us,
        before_seq=query.before_seq,
        limit=limit + 1,
    )
    with ctx.read() as uow:
        found = uow.audit.search(bounded)
    more = len(found) > limit
    page = found[:limit]
    return AuditPage(entries=page, next_cursor=page[-1].seq if more and page else None)
