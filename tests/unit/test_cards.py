"""The card domain: numbers with a Luhn check digit in the bank's BIN range, expiry,
the card's life (loss report, lifting, permanent block, expiry) and its limits."""

from __future__ import annotations

from datetime import date

import pytest

from ebank.domain.cards import (
    CARD_ACTIONS,
    CardLimits,
    CardPolicy,
    CardStatus,
    check_limits,
    expiry_for,
    expiry_label,
    is_bank_pan,
    is_expired,
    luhn_check_digit,
    luhn_valid,
    make_pan,
    mask_pan,
    next_status,
)
from ebank.domain.errors import CardLimitAboveMaximum, CardStatusConflict, InvalidInput


@pytest.mark.parametrize(
    "number",
    ["79927398713", "4111111111111111", "5555555555554444", "6011111111111117", "0"],
)
def test_luhn_accepts_published_valid_numbers(number: str) -> None:
    assert luhn_valid(number) is (number != "0")  # a single digit has no check digit


def test_luhn_refuses_every_single_digit_error_and_non_digits() -> None:
    good = "4111111111111111"
    for position in range(len(good)):
        for digit in "0123456789":
            if digit != good[position]:
                typo = good[:position] + digit + good[position + 1 :]
                assert not luhn_valid(typo), typo
    assert not luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("４１１１")  # full-width digits are not ASCII digits
    assert luhn_check_digit("7992739871") == "3"


def test_a_pan_is_in_the_bin_range_with_sixteen_digits_and_a_check_digit() -> None:
    policy = CardPolicy()
    pan = make_pan(policy, 123)
    assert pan.startswith("621799") and len(pan) == 16 and pan[6:15] == "000000123"
    assert luhn_valid(pan) and is_bank_pan(pan, policy)
    assert not is_bank_pan(make_pan(CardPolicy(bin="622222"), 123), policy)
    with pytest.raises(InvalidInput):
        make_pan(policy, 10**9)
    assert mask_pan(pan[:4], pan[-4:]) == f"6217 **** **** {pan[-4:]}"


def test_the_policy_refuses_a_bad_bin_or_defaults_above_the_maximum() -> None:
    with pytest.raises(InvalidInput):
        CardPolicy(bin="62A799")
    with pytest.raises(InvalidInput):
        CardPolicy(maximum=CardLimits(100, 1, 100), default=CardLimits(200, 1, 100))


def test_expiry_is_the_issue_month_five_years_on_and_good_to_its_last_day() -> None:
    policy = CardPolicy()
    expiry = expiry_for(date(2026, 11, 30), policy)
    assert expiry == "3111" and expiry_label(expiry) == "11/31"
    assert not is_expired(expiry, date(2031, 11, 30))
    assert is_expired(expiry, date(2031, 12, 1))


def test_the_life_of_a_card() -> None:
    status = next_status(CardStatus.INACTIVE, "activate")
    assert status is CardStatus.ACTIVE
    status = next_status(status, "report_lost")
    assert status is CardStatus.TEMPORARILY_BLOCKED
    assert next_status(status, "lift_loss_report") is CardStatus.ACTIVE
    assert next_status(status, "block") is CardStatus.BLOCKED
    assert next_status(CardStatus.ACTIVE, "expire") is CardStatus.EXPIRED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (CardStatus.ACTIVE, "lift_loss_report"),
        (CardStatus.ACTIVE, "activate"),
        (CardStatus.INACTIVE, "report_lost"),
        (CardStatus.TEMPORARILY_BLOCKED, "report_lost"),
        (CardStatus.EXPIRED, "lift_loss_report"),
    ],
)
def test_actions_a_status_forbids_are_refused(status: CardStatus, action: str) -> None:
    with pytest.raises(CardStatusConflict):
        next_status(status, action)


def test_a_blocked_card_never_comes_back() -> None:
    for action in CARD_ACTIONS:
        with pytest.raises(CardStatusConflict):
            next_status(CardStatus.BLOCKED, action)


def test_limits_must_be_within_the_banks_maximum() -> None:
    policy = CardPolicy(maximum=CardLimits(2_000_000, 20, 5_000_000))
    assert check_limits(CardLimits(2_000_000, 20, 0), policy) == CardLimits(2_000_000, 20, 0)
    for too_much in (
        CardLimits(2_000_001, 1, 1),
        CardLimits(1, 21, 1),
        CardLimits(1, 1, 5_000_001),
    ):
        with pytest.raises(CardLimitAboveMaximum):
            check_limits(too_much, policy)
    with pytest.raises(InvalidInput):
        check_limits(CardLimits(-1, 1, 1), policy)
