"""Cards in a data migration: each row of cards.csv checked (a card number with a right
Luhn digit, not yet in the bank; its customer and accounts in the same migration; limits
within the bank's maximum; the PIN block readable under the migration zone key), then
loaded with the other records, and counted back for the reconciliation report.

The old system's PIN block goes straight to the HSM port, which answers with the
verification value the bank keeps: the PIN itself is never seen here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ebank.application import identity
from ebank.application.context import Context
from ebank.application.migration.checks import _Plan
from ebank.application.migration.records import (
    READ_CHUNK,
    AccountRecord,
    CardLine,
    CardRecord,
    ImportBatch,
    Issue,
)
from ebank.application.ports import UnitOfWork
from ebank.application.ports_cards import CardAccountLink, NewCard
from ebank.application.ports_hsm import PinSecurity
from ebank.domain.cards import (
    CARD_ACCOUNT_TYPES,
    CardAccountType,
    CardLimits,
    CardPolicy,
    CardStatus,
    check_limits,
    luhn_valid,
)
from ebank.domain.errors import InvalidInput, PinBlockInvalid
from ebank.domain.money import Currency, Money

_TYPE_COLUMNS = {
    CardAccountType.SAVINGS: "savings_account",
    CardAccountType.CHECKING: "checking_account",
}


@dataclass(frozen=True, slots=True)
class _PlannedCard:
    row: CardRecord
    pan_hash: str
    pan_enc: str
    status: CardStatus
    limits: CardLimits
    currency: str
    links: tuple[tuple[CardAccountType, str], ...]  # (type, legacy account number)
    pin_verification: str | None


@dataclass(frozen=True, slots=True)
class CardCheck:
    """What checking cards needs from outside the files."""

    hsm: PinSecurity
    zone_key_ref: str  # the zone PIN key the old system's PIN blocks are under
    policy: CardPolicy


def _check_cards(
    ctx: Context, uow: UnitOfWork, batch: ImportBatch, check: CardCheck
) -> tuple[list[_PlannedCard], list[Issue]]:
    """Every card row checked against the rows of the other two files and the bank."""
    box = identity.services(ctx).secrets
    customers = {r.legacy_id for r in batch.customers}
    accounts = {r.legacy_account_no: r for r in batch.accounts}
    planned: list[_PlannedCard] = []
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for row in batch.cards:
        found: list[str] = []
        pan_ok = row.pan.isascii() and 13 <= len(row.pan) <= 19 and luhn_valid(row.pan)
        if not pan_ok:
            found.append(f"pan {row.masked} is not a card number (13 to 19 digits, Luhn)")
        elif row.pan in seen:
            found.append(f"pan {row.masked} repeated (first on line {seen[row.pan]})")
        seen.setdefault(row.pan, row.line)
        pan_hash = box.keyed_hash(row.pan) if pan_ok else ""
        if pan_ok and uow.cards.by_pan_hash(pan_hash) is not None:
            found.append(f"a card {row.masked} is already in the bank")
        status = _status(row, found)
        _check_expiry(row.expiry, found)
        if batch.customers_readable and row.customer_legacy_id not in customers:
            found.append(
                f"customer_legacy_id {row.customer_legacy_id!r} is not in {batch.customers_file}"
            )
        links, currency = _links(row, accounts, batch, found)
        limits = _limits(row, currency, check.policy, found)
        verification = _pin_verification(row, check, found) if pan_ok else None
        issues.extend(Issue(row.file, row.line, m) for m in found)
        if not found and status is not None and limits is not None:
            sealed = box.seal(row.pan)
            planned.append(
                _PlannedCard(row, pan_hash, sealed, status, limits, currency, links, verification)
            )
    return planned, issues


def _status(row: CardRecord, found: list[str]) -> CardStatus | None:
    for status in CardStatus:
        if status.value == row.status.lower():
            return status
    found.append(f"status {row.status!r} is not one of {', '.join(s.value for s in CardStatus)}")
    return None


def _check_expiry(expiry: str, found: list[str]) -> None:
    if not (
        len(expiry) == 4 and expiry.isascii() and expiry.isdigit() and 1 <= int(expiry[2:]) <= 12
    ):
        found.append(f"expiry {expiry!r} is not YYMM (year and month, such as 3012)")


def _links(
    row: CardRecord, accounts: dict[str, AccountRecord], batch: ImportBatch, found: list[str]
) -> tuple[tuple[tuple[CardAccountType, str], ...], str]:
    """The card's accounts by type, and their currency (CNY if none could be read)."""
    links: list[tuple[CardAccountType, str]] = []
    currencies: set[str] = set()
    for account_type, column in _TYPE_COLUMNS.items():
        legacy_no = getattr(row, column)
        if not legacy_no:
            continue
        account = accounts.get(legacy_no)
        if account is None:
            if batch.accounts_readable:
                found.append(f"{column} {legacy_no!r} is not in {batch.accounts_file}")
            continue
        product = account.product_code.upper()
        if CARD_ACCOUNT_TYPES.get(product) is not account_type:
            found.append(f"{column} {legacy_no!r} is a {product} account, not {account_type.value}")
        elif account.customer_legacy_id != row.customer_legacy_id:
            found.append(f"{column} {legacy_no!r} belongs to another customer")
        currencies.add(account.currency.upper())
        links.append((account_type, legacy_no))
    if not row.savings_account and not row.checking_account:
        found.append("a card reaches at least one account: savings_account or checking_account")
    if len(currencies) > 1:
        found.append("the card's accounts are in different currencies")
    return tuple(links), (currencies.pop() if len(currencies) == 1 else "CNY")


def _limits(
    row: CardRecord, currency: str, policy: CardPolicy, found: list[str]
) -> CardLimits | None:
    default = policy.default
    try:
        cur = Currency.of(currency)
        limits = CardLimits(
            Money.parse(row.atm_daily_limit, cur).minor
            if row.atm_daily_limit
            else default.atm_daily_minor,
            int(row.atm_daily_count) if row.atm_daily_count else default.atm_daily_count,
            Money.parse(row.pos_daily_limit, cur).minor
            if row.pos_daily_limit
            else default.pos_daily_minor,
        )
        return check_limits(limits, policy)
    except InvalidInput as exc:  # the maximum, a negative or malformed amount
        found.append(f"limits: {exc.message}")
    except ValueError:
        found.append(f"atm_daily_count {row.atm_daily_count!r} is not a whole number")
    return None


def _pin_verification(row: CardRecord, check: CardCheck, found: list[str]) -> str | None:
    if not row.pin_block:
        return None  # no PIN yet: set at the counter before the card works at a terminal
    try:
        block = bytes.fromhex(row.pin_block)
    except ValueError:
        block = b""
    if len(block) != 8:
        found.append("pin_block is not 16 hexadecimal digits")
        return None
    try:
        return check.hsm.pin_verification_from_block(check.zone_key_ref, block, row.pan)
    except PinBlockInvalid:
        found.append(
            f"pin_block is not a format 0 PIN block of card {row.masked}"
            f" under the migration zone key {check.zone_key_ref}"
        )
        return None


def _add_cards(uow: UnitOfWork, plan: _Plan, cards: list[_PlannedCard], now: int) -> None:
    customers = {row.legacy_id: c for row, c in plan.customers}
    accounts = {p.row.legacy_account_no: p.account for p in plan.accounts}
    for card in cards:
        uow.cards.add(
            NewCard(
                pan_hash=card.pan_hash,
                pan_enc=card.pan_enc,
                pan_last4=card.row.pan[-4:],
                customer_id=customers[card.row.customer_legacy_id].id,
                expiry=card.row.expiry,
                status=card.status,
                limits=card.limits,
                currency=card.currency,
                accounts=tuple(CardAccountLink(t, accounts[no].id) for t, no in card.links),
                created_at_us=now,
                pan_prefix=card.row.pan[:6],
                pin_verification=card.pin_verification,
            )
        )


def _reconcile_cards(uow: UnitOfWork, plan: _Plan, cards: list[_PlannedCard]) -> list[CardLine]:
    """Per branch (the customer's) and status: cards and cards with a PIN, read from the
    file beside those now in the database for the imported customers."""
    branch_of = {row.legacy_id: c.branch_code for row, c in plan.customers}
    branch_by_id = {c.id: c.branch_code for _, c in plan.customers}
    read: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for card in cards:
        counts = read[(branch_of[card.row.customer_legacy_id], card.status.value)]
        counts[0] += 1
        counts[1] += card.pin_verification is not None
    posted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    holder_ids = {card.row.customer_legacy_id for card in cards}
    holders = sorted(c.id for row, c in plan.customers if row.legacy_id in holder_ids)
    for start in range(0, len(holders), READ_CHUNK):
        for record in uow.cards.for_customers(holders[start : start + READ_CHUNK]):
            counts = posted[(branch_by_id[record.customer_id], record.status.value)]
            counts[0] += 1
            counts[1] += record.pin_verification is not None
    lines = []
    for key in sorted(set(read) | set(posted)):
        (r, r_pin), (p, p_pin) = read.get(key, [0, 0]), posted.get(key, [0, 0])
        lines.append(CardLine(key[0], key[1], r, p, r_pin, p_pin))
    return lines
