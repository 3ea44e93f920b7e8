"""Transaction limits: per channel, customer tier and currency, the most one transaction
may move, the most a customer may move in a business day, and how many transactions a
day. Usage is counted per customer, channel, business date and currency.

Pure rules only: the store reserves usage (under a row lock) before a payment is posted
and gives it back when the ledger refuses or replays the payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ebank.domain.customers import Tier
from ebank.domain.errors import InvalidInput, LimitExceeded
from ebank.domain.money import MAX_AMOUNT_MINOR, Currency, format_minor, is_currency_code
from ebank.domain.transfers import MAX_CHANNEL_LENGTH

# A daily count above this is surely a typing mistake (and fits the INTEGER column).
MAX_DAILY_COUNT = 1_000_000


class LimitName(StrEnum):
    """Which limit refused a payment (the ``limit`` of ``LimitExceeded``)."""

    PER_TRANSACTION = "per_transaction"
    DAILY_AMOUNT = "daily_amount"
    DAILY_COUNT = "daily_count"
    # No limit is configured for the channel, tier and currency: refused, on the safe
    # side, until the bank sets one.
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True, slots=True)
class TransactionLimit:
    channel: str
    tier: Tier
    currency: str
    per_transaction_minor: int
    daily_amount_minor: int
    daily_count: int
    updated_at_us: int = 0
    updated_by: str = ""

    def __post_init__(self) -> None:
        check_limit_fields(
            self.channel,
            self.tier,
            self.currency,
            self.per_transaction_minor,
            self.daily_amount_minor,
            self.daily_count,
        )

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.channel, self.tier.value, self.currency)


def check_limit_fields(
    channel: str,
    tier: Tier,
    currency: str,
    per_transaction_minor: int,
    daily_amount_minor: int,
    daily_count: int,
) -> None:
    if not channel or len(channel) > MAX_CHANNEL_LENGTH or not channel.isascii():
        raise InvalidInput(f"channel must be 1 to {MAX_CHANNEL_LENGTH} ASCII characters")
    if not isinstance(tier, Tier):
        raise InvalidInput(f"unknown customer tier {tier!r}")
    if not is_currency_code(currency):
        raise InvalidInput(f"unknown currency {currency!r}")
    for name, value, top in (
        ("per-transaction amount", per_transaction_minor, MAX_AMOUNT_MINOR),
        ("daily amount", daily_amount_minor, MAX_AMOUNT_MINOR),
        ("daily count", daily_count, MAX_DAILY_COUNT),
    ):
        if type(value) is not int or not 0 <= value <= top:
            raise InvalidInput(f"the {name} must be a whole number from 0 to {top}")
    if per_transaction_minor > daily_amount_minor:
        raise InvalidInput("the per-transaction amount cannot exceed the daily amount")


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """What a customer has used of a channel's limits on one business date."""

    amount_minor: int = 0
    count: int = 0


def reserve(
    limit: TransactionLimit | None,
    usage: LimitUsage,
    currency: str,
    amounts_minor: Sequence[int],
) -> LimitUsage:
    """The usage after also counting ``amounts_minor`` (the legs of one request), or
    ``LimitExceeded`` naming the first limit they break and what remains of it.

    Each leg is one transaction for the per-transaction amount and the daily count; the
    request's total counts against the daily amount.
    """
    assert amounts_minor, "a payment has at least one leg"
    if limit is None:
        raise LimitExceeded(
            LimitName.NOT_CONFIGURED.value,
            0,
            currency,
            f"no transaction limit is set for this channel and {currency}",
        )
    largest = max(amounts_minor)
    if largest > limit.per_transaction_minor:
        raise LimitExceeded(
            LimitName.PER_TRANSACTION.value,
            limit.per_transaction_minor,
            currency,
            f"one transaction may move at most {_amount(limit.per_transaction_minor, currency)}",
        )
    total = sum(amounts_minor)
    if usage.amount_minor + total > limit.daily_amount_minor:
        remaining = max(0, limit.daily_amount_minor - usage.amount_minor)
        raise LimitExceeded(
            LimitName.DAILY_AMOUNT.value,
            remaining,
            currency,
            f"the daily amount would be exceeded: {_amount(remaining, currency)} remains today",
        )
    if usage.count + len(amounts_minor) > limit.daily_count:
        remaining = max(0, limit.daily_count - usage.count)
        raise LimitExceeded(
            LimitName.DAILY_COUNT.value,
            remaining,
            currency,
            f"the daily number of transactions would be exceeded: {remaining} remain today",
        )
    return LimitUsage(usage.amount_minor + total, usage.count + len(amounts_minor))


def release(usage: LimitUsage, amounts_minor: Sequence[int]) -> LimitUsage:
    """Give back a reservation (the ledger refused or replayed the payment). Never below
    zero: a reservation made on another business date is not taken from this one."""
    return LimitUsage(
        max(0, usage.amount_minor - sum(amounts_minor)),
        max(0, usage.count - len(amounts_minor)),
    )


def _amount(minor: int, currency: str) -> str:
    return f"{format_minor(minor, Currency.of(currency))} {currency}"
