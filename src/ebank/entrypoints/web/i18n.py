"""Languages of the web pages: Chinese (zh_CN, the default) and English.

Messages live in gettext catalogues under ``locale/<lang>/LC_MESSAGES/*.po`` (one file
per area of the site, merged at start-up; English is the source language, so its
catalogue is the identity). They are compiled in memory when the process starts: no
build step. Amounts and dates are formatted for the chosen locale with babel.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.domain.money import Currency

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
# The language tag HTML and HTTP use.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def catalogue_files(language: str) -> list[Path]:
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def translations(language: str) -> Translations:
    """Every catalogue of ``language`` merged, compiled in memory."""
    merged = Translations()
    for path in catalogue_files(language):
        with path.open("rb") as f:
            catalogue = read_po(f, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalogue)
        buffer.seek(0)
        merged.merge(Translations(buffer))
    return merged


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's choice (cookie), else the browser's first known language."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_").lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


class Formatter:
    """Amounts, dates and times for one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)

    def money(self, minor: int, currency: str) -> str:
        exponent = Currency.of(currency).exponent
        amount = Decimal(minor).scaleb(-exponent)
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def datetime(self, at_us: int, form: str = "medium") -> str:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)
        return format_datetime(at, form, tzinfo=BANK_TIMEZONE, locale=self.locale)

    def date(self, day: date, form: str = "medium") -> str:
        return format_date(day, form, locale=self.locale)
