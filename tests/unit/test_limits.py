"""Transaction limits: which limit refuses a payment and what remains of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebank.domain.customers import Tier
from ebank.domain.errors import InvalidInput, LimitExceeded
from ebank.domain.limits import LimitName, LimitUsage, TransactionLimit, release, reserve

LIMIT = TransactionLimit(
    channel="api",
    tier=Tier.STANDARD,
    currency="CNY",
    per_transaction_minor=50_000,
    daily_amount_minor=100_000,
    daily_count=3,
)


def refusal(usage: LimitUsage, amounts: list[int]) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        reserve(LIMIT, usage, "CNY", amounts)
    return caught.value


def test_within_every_limit_counts_the_amount_and_the_legs() -> None:
    assert reserve(LIMIT, LimitUsage(), "CNY", [50_000]) == LimitUsage(50_000, 1)
    assert reserve(LIMIT, LimitUsage(10_000, 1), "CNY", [20_000, 30_000]) == LimitUsage(60_000, 3)


def test_each_limit_names_itself_and_what_remains() -> None:
    per_tx = refusal(LimitUsage(), [50_001])
    assert (per_tx.limit, per_tx.remaining, per_tx.currency) == ("per_transaction", 50_000, "CNY")

    daily = refusal(LimitUsage(70_000, 1), [40_000])
    assert (daily.limit, daily.remaining) == ("daily_amount", 30_000)

    count = refusal(LimitUsage(1_000, 3), [1])
    assert (count.limit, count.remaining) == ("daily_count", 0)


def test_a_batch_counts_its_total_against_the_daily_amount() -> None:
    # Every leg is within the per-transaction limit; together they are not.
    refused = refusal(LimitUsage(), [40_000, 40_000, 40_000])
    assert (refused.limit, refused.remaining) == ("daily_amount", 100_000)
    # Legs count one transaction each against the daily count.
    refused = refusal(LimitUsage(), [1, 1, 1, 1])
    assert refused.limit == "daily_count"


def test_no_configured_limit_refuses_on_the_safe_side() -> None:
    with pytest.raises(LimitExceeded) as caught:
        reserve(None, LimitUsage(), "USD", [1])
    assert caught.value.limit == LimitName.NOT_CONFIGURED
    assert caught.value.currency == "USD"


def test_release_gives_back_and_never_goes_below_zero() -> None:
    assert release(LimitUsage(60_000, 3), [20_000, 30_000]) == LimitUsage(10_000, 1)
    assert release(LimitUsage(5, 1), [100, 100]) == LimitUsage(0, 0)


@pytest.mark.parametrize(
    "fields",
    [
        {"channel": ""},
        {"channel": "x" * 17},
        {"currency": "XXX"},
        {"per_transaction_minor": -1},
        {"daily_count": 1.5},
        {"per_transaction_minor": 200_000},  # above the daily amount
        {"tier": "diamond"},
    ],
)
def test_malformed_limits_are_refused(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "channel": "api",
        "tier": Tier.GOLD,
        "currency": "CNY",
        "per_transaction_minor": 100,
        "daily_amount_minor": 1_000,
        "daily_count": 5,
    }
    values.update(fields)
    with pytest.raises(InvalidInput):
        TransactionLimit(**values)  # type: ignore[arg-type]


@given(
    used=st.integers(0, 100_000),
    count=st.integers(0, 3),
    amounts=st.lists(st.integers(1, 60_000), min_size=1, max_size=5),
)
def test_a_reservation_never_passes_a_limit_and_release_undoes_it(
    used: int, count: int, amounts: list[int]
) -> None:
    usage = LimitUsage(used, count)
    try:
        after = reserve(LIMIT, usage, "CNY", amounts)
    except LimitExceeded as refused:
        assert refused.remaining >= 0
        return
    assert max(amounts) <= LIMIT.per_transaction_minor
    assert after.amount_minor <= LIMIT.daily_amount_minor
    assert after.count <= LIMIT.daily_count
    assert release(after, amounts) == usage
