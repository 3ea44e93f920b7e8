"""Prompts of the telephone banking menu as the text a speech engine says.

The state machine names prompts and carries raw data (amounts in minor units, times in
microseconds, refusal codes); here they become words in the caller's language: amounts
read out in words, dates as a person says them, account endings digit by digit, and a
refusal as the one error table's text (in Chinese from the errors catalogue).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application.ivr import IvrTurn
from ebank.domain.ivr_model import Prompt
from ebank.domain.ivr_prompts import ZH, amount_words, digits_words, render
from ebank.entrypoints.error_codes import answer_for
from ebank.entrypoints.web.i18n import translations

# The language tags of TwiML <Say> and VoiceXML xml:lang.
SPEECH_LANGUAGE = {ZH: "zh-CN", "en": "en-US"}
_EN_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def _date_words(at_us: int, language: str) -> str:
    day = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)).astimezone(
        BANK_TIMEZONE
    )
    if language == ZH:
        return f"{day.month}月{day.day}日"
    return f"{day.day} {_EN_MONTHS[day.month - 1]}"


def _reason(code: str, language: str) -> str:
    text = answer_for(code).text
    return translations("zh_CN").gettext(text) if language == ZH else text


def text_of(prompt: Prompt, language: str) -> str:
    args = dict(prompt.args)
    if "amount_minor" in args:
        args["amount"] = amount_words(int(args.pop("amount_minor")), args.pop("currency"), language)
    if "at_us" in args:
        args["date"] = _date_words(int(args.pop("at_us")), language)
    if "code" in args:
        args["reason"] = _reason(args.pop("code"), language)
    for name in ("last4", "from_last4", "to_last4", "key"):
        if name in args:
            args[name] = digits_words(args[name], language)
    return render(prompt.id, language, args)


def speech(turn: IvrTurn) -> str:
    """Everything the turn says, as one text."""
    separator = "" if turn.language == ZH else " "
    return separator.join(text_of(p, turn.language) for p in turn.say)


def speech_language(turn: IvrTurn) -> str:
    return SPEECH_LANGUAGE.get(turn.language, "zh-CN")
