"""Money as integer minor units of an ISO 4217 currency.

No float ever touches an amount: amounts are ``int`` minor units (fen for CNY, cents
for USD), parsed from and formatted to decimal strings exactly. ``Decimal`` is used
only to parse text and for rates elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from ebank.domain.errors import InvalidAmount, UnknownCurrency

# Active ISO 4217 codes and their minor-unit exponents. Most currencies have two
# decimals; the exceptions are listed separately so the table stays readable.
_TWO_DECIMALS: Final = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT
LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP
SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES
WST XCD YER ZAR ZMW ZWG
"""
_OTHER_EXPONENTS: Final = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}
ISO_4217_EXPONENTS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **_OTHER_EXPONENTS,
}

DEFAULT_CURRENCY_CODE: Final = "CNY"
# Balances are stored as signed 64-bit integers; every amount must stay below this.
MAX_AMOUNT_MINOR: Final = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int

    @classmethod
    def of(cls, code: str) -> Currency:
        """The currency for an ISO 4217 alphabetic code; refuses unknown codes."""
        normal = code.strip().upper() if isinstance(code, str) else ""
        try:
            return _CURRENCIES[normal]
        except KeyError:
            raise UnknownCurrency(f"unknown ISO 4217 currency code: {code!r}") from None

    def __str__(self) -> str:
        return self.code


_CURRENCIES: Final = {code: Currency(code, exp) for code, exp in ISO_4217_EXPONENTS.items()}
CNY: Final = _CURRENCIES["CNY"]


def is_currency_code(code: str) -> bool:
    return code in _CURRENCIES


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: ``minor`` units of ``currency``. May be negative (a balance)."""

    minor: int
    currency: Currency = CNY

    def __post_init__(self) -> None:
        if type(self.minor) is not int:  # bool and float are refused alike
            raise InvalidAmount(f"amount must be integer minor units, got {self.minor!r}")
        if abs(self.minor) > MAX_AMOUNT_MINOR:
            raise InvalidAmount("amount out of range")

    @classmethod
    def parse(cls, text: str, currency: Currency | str = CNY) -> Money:
        """Parse a decimal string such as ``"1234.50"``; refuses more decimals than the
        currency has, exponents, thousands separators and anything not a plain number."""
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        raw = text.strip() if isinstance(text, str) else ""
        if not raw or any(c not in "0123456789.-+" for c in raw):
            raise InvalidAmount(f"not an amount: {text!r}")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise InvalidAmount(f"not an amount: {text!r}") from None
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or -exponent > cur.exponent:
            raise InvalidAmount(
                f"{text!r} has more than {cur.exponent} decimal places for {cur.code}"
            )
        minor = value.scaleb(cur.exponent)
        return cls(int(minor), cur)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.minor <= other.minor

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidAmount(f"cannot combine {self.currency} and {other.currency}")

    def as_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-self.currency.exponent)

    def format(self) -> str:
        """``"1,234.50 CNY"``: grouped digits, the currency's own number of decimals."""
        return f"{format_minor(self.minor, self.currency)} {self.currency.code}"

    def __str__(self) -> str:
        return self.format()


def format_minor(minor: int, currency: Currency, grouping: bool = True) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**currency.exponent)
    whole_text = f"{whole:,}" if grouping else str(whole)
    if currency.exponent == 0:
        return f"{sign}{whole_text}"
    return f"{sign}{whole_text}.{frac:0{currency.exponent}d}"
