"""Money: exact parsing, refusals, arithmetic and formatting, with no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ebank.domain.errors import InvalidAmount, InvalidInput, UnknownCurrency
from ebank.domain.money import (
    CNY,
    ISO_4217_EXPONENTS,
    MAX_AMOUNT_MINOR,
    Currency,
    Money,
    format_minor,
    is_currency_code,
)

JPY = Currency.of("JPY")
KWD = Currency.of("KWD")
USD = Currency.of("USD")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("0", "CNY", 0),
        ("1", "CNY", 100),
        ("1.5", "CNY", 150),
        ("1234.50", "CNY", 123_450),
        ("0.01", "CNY", 1),
        (" 12.34 ", "CNY", 1234),
        ("+7.00", "CNY", 700),
        ("-7.25", "CNY", -725),
        ("00012.30", "CNY", 1230),
        (".5", "CNY", 50),
        ("92233720368547758.07", "CNY", MAX_AMOUNT_MINOR),
        ("1234", "JPY", 1234),
        ("1.234", "KWD", 1234),
        ("0.001", "KWD", 1),
        ("12.5", "KWD", 12_500),
        ("1.0001", "CLF", 10_001),
    ],
)
def test_parse_is_exact(text: str, currency: str, minor: int) -> None:
    money = Money.parse(text, currency)
    assert money == Money(minor, Currency.of(currency))
    assert type(money.minor) is int


def test_parse_keeps_every_digit_where_a_float_would_not() -> None:
    # 0.1 + 0.2 is not 0.3 in binary floating point; here it is.
    total = Money.parse("0.10") + Money.parse("0.20")
    assert total == Money.parse("0.30") == Money(30)
    # 2**53 + 1 cannot be represented as a float.
    big = Money.parse("90071992547409.93")
    assert big.minor == 9_007_199_254_740_993


def test_parse_defaults_to_cny_and_accepts_a_currency_object() -> None:
    assert Money.parse("2.50").currency is CNY
    assert Money.parse("2.50", USD) == Money(250, USD)


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.001", "CNY"),
        ("0.005", "USD"),
        ("1.500", "CNY"),  # even a trailing zero is a third decimal place
        ("1.5", "JPY"),
        ("100.0", "JPY"),
        ("1.0001", "KWD"),
    ],
)
def test_parse_refuses_more_decimals_than_the_currency_has(text: str, currency: str) -> None:
    with pytest.raises(InvalidAmount, match="decimal places"):
        Money.parse(text, currency)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1,000.00",
        "1 000",
        "1_000",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-",
        "+",
        ".",
        "1.2.3",
        "--1",
        "1-",
        "¥12",
        "12元",
        "١٢",
        "0x10",
        "1/2",
    ],
)
def test_parse_refuses_anything_that_is_not_a_plain_number(text: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(text)


@pytest.mark.parametrize("value", [1.5, 1, None, Decimal("1.50"), b"1.50"])
def test_parse_refuses_what_is_not_text(value: object) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(value)  # type: ignore[arg-type]


def test_parse_refuses_an_amount_beyond_64_bits() -> None:
    with pytest.raises(InvalidAmount, match="out of range"):
        Money.parse("92233720368547758.08")
    with pytest.raises(InvalidAmount, match="out of range"):
        Money.parse("-92233720368547758.08")


@pytest.mark.parametrize("minor", [1.0, 0.5, True, False, Decimal(1), "100", None])
def test_money_refuses_anything_but_an_int(minor: object) -> None:
    with pytest.raises(InvalidAmount, match="integer minor units"):
        Money(minor)  # type: ignore[arg-type]


def test_money_range() -> None:
    assert Money(MAX_AMOUNT_MINOR).minor == MAX_AMOUNT_MINOR
    assert Money(-MAX_AMOUNT_MINOR).minor == -MAX_AMOUNT_MINOR
    with pytest.raises(InvalidAmount):
        Money(MAX_AMOUNT_MINOR + 1)
    with pytest.raises(InvalidAmount):
        Money(MAX_AMOUNT_MINOR) + Money(1)


@pytest.mark.parametrize("code", ["XYZ", "", "CN", "CNYY", "RMB", "usd$", "123"])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        Currency.of(code)
    with pytest.raises(UnknownCurrency):
        Money.parse("1", code)


def test_unknown_currency_is_an_invalid_input() -> None:
    assert issubclass(UnknownCurrency, InvalidInput)
    assert issubclass(InvalidAmount, InvalidInput)
    with pytest.raises(UnknownCurrency):
        Currency.of(None)  # type: ignore[arg-type]


def test_currency_codes_are_normalised() -> None:
    assert Currency.of("cny") is CNY
    assert Currency.of(" usd ") == USD
    assert str(CNY) == "CNY"
    assert is_currency_code("CNY")
    assert not is_currency_code("cny")  # the domain's own check is exact


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("CNY", 2),
        ("USD", 2),
        ("EUR", 2),
        ("HKD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
        ("CLF", 4),
    ],
)
def test_iso_4217_exponents(code: str, exponent: int) -> None:
    assert Currency.of(code).exponent == exponent
    assert ISO_4217_EXPONENTS[code] == exponent


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(0), "0.00 CNY"),
        (Money(1), "0.01 CNY"),
        (Money(123_450), "1,234.50 CNY"),
        (Money(-123_456_789), "-1,234,567.89 CNY"),
        (Money(-5), "-0.05 CNY"),
        (Money(100_000_000_000), "1,000,000,000.00 CNY"),
        (Money(0, JPY), "0 JPY"),
        (Money(1_234_567, JPY), "1,234,567 JPY"),
        (Money(-1000, JPY), "-1,000 JPY"),
        (Money(1_234_567, KWD), "1,234.567 KWD"),
        (Money(5, KWD), "0.005 KWD"),
        (Money(-1_000_050, KWD), "-1,000.050 KWD"),
    ],
)
def test_format(money: Money, text: str) -> None:
    assert money.format() == text
    assert str(money) == text


def test_format_without_grouping() -> None:
    assert format_minor(123_456_789, CNY, grouping=False) == "1234567.89"
    assert format_minor(1_234_567, JPY, grouping=False) == "1234567"
    assert format_minor(-1_234_567, KWD, grouping=False) == "-1234.567"


@pytest.mark.parametrize("minor", [0, 1, 9, 10, 99, 100, 123_456, 10**15 + 7, MAX_AMOUNT_MINOR])
@pytest.mark.parametrize("currency", [CNY, JPY, KWD])
def test_format_and_parse_round_trip(minor: int, currency: Currency) -> None:
    for value in (minor, -minor):
        money = Money(value, currency)
        text = format_minor(value, currency, grouping=False)
        assert Money.parse(text, currency) == money
        assert money.as_decimal() == Decimal(text)


def test_arithmetic_and_order() -> None:
    a, b = Money(250), Money(100)
    assert a + b == Money(350)
    assert a - b == Money(150)
    assert b - a == Money(-150)
    assert -a == Money(-250)
    assert b < a
    assert b <= a
    assert a <= a
    assert a > b
    assert not a < b
    assert Money(100, USD) != Money(100, CNY)
    assert Money.parse("1.50").as_decimal() == Decimal("1.50")


def test_different_currencies_do_not_mix() -> None:
    cny, usd = Money(100), Money(100, USD)
    for op in (lambda: cny + usd, lambda: cny - usd, lambda: cny < usd, lambda: cny <= usd):
        with pytest.raises(InvalidAmount, match="cannot combine"):
            op()


def test_money_is_an_immutable_value() -> None:
    money = Money(100)
    with pytest.raises(AttributeError):
        money.minor = 5  # type: ignore[misc]
    assert {Money(100), Money(100), Money(100, USD)} == {Money(100), Money(100, USD)}
