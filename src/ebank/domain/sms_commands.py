"""SMS banking commands and what the bank answers, in English and Chinese.

Pure: a text in, a ``Command`` out (or ``None`` when it is not one the bank knows);
the replies are plain strings built from a catalogue per language. The one-time code
of an SMS transfer is kept only as a hash bound to its pending transfer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

ZH = "zh_CN"
EN = "en"
LANGUAGES = (EN, ZH)
CODE_DIGITS = 6


class Verb(StrEnum):
    BALANCE = "BAL"
    MINI = "MINI"
    TRANSFER = "TRF"
    LOST = "LOST"
    HELP = "HELP"
    CODE = "CODE"  # the one-time code sent back to confirm a transfer


# Every word a customer may send, upper-cased English or the Chinese equivalent.
_VERBS = {
    "BAL": Verb.BALANCE,
    "余额": Verb.BALANCE,
    "MINI": Verb.MINI,
    "明细": Verb.MINI,
    "TRF": Verb.TRANSFER,
    "转账": Verb.TRANSFER,
    "LOST": Verb.LOST,
    "挂失": Verb.LOST,
    "HELP": Verb.HELP,
    "帮助": Verb.HELP,
}
_CODE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_LAST4 = re.compile(r"^[0-9]{4}$")
_ALIAS = re.compile(r"^\S{1,40}$")
MAX_TEXT = 160


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    amount: str = ""  # TRF: a plain decimal as typed ("500.00"), parsed by Money
    alias: str = ""  # TRF: the saved payee's alias
    last4: str = ""  # LOST: the last four digits of the card
    code: str = ""  # CODE: the one-time code


def parse(text: str) -> Command | None:
    """The command in ``text``; ``None`` when it is malformed or unknown."""
    words = text.strip().replace("\u3000", " ").split()
    if not words or len(text) > MAX_TEXT:
        return None
    head, args = words[0].upper(), words[1:]
    if len(words) == 1 and _CODE.match(head):
        return Command(Verb.CODE, code=head)
    verb = _VERBS.get(head)
    if verb in (Verb.BALANCE, Verb.MINI, Verb.HELP):
        return Command(verb) if not args else None
    if verb is Verb.LOST:
        return Command(verb, last4=args[0]) if len(args) == 1 and _LAST4.match(args[0]) else None
    if verb is Verb.TRANSFER and len(args) == 2:
        amount, alias = args
        if _AMOUNT.match(amount) and _ALIAS.match(alias):
            return Command(verb, amount=amount, alias=alias)
    return None


def language_of(language: str) -> str:
    return ZH if language.lower().startswith("zh") else EN


def code_hash(pending_id: str, code: str) -> str:
    """What is stored of a one-time code: a hash bound to its pending transfer, so that
    a code is worth nothing for any other transfer."""
    return hmac.new(pending_id.encode(), code.encode(), hashlib.sha256).hexdigest()


def code_matches(pending_id: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(pending_id, code), stored_hash)


_TEXTS: dict[str, dict[str, str]] = {
    "unknown_sender": {
        EN: "This number is not registered for SMS banking. Please visit a branch.",
        ZH: "本号码未开通短信银行，请到网点办理。",
    },
    "malformed": {
        EN: "Command not understood. Send HELP for the list: BAL, MINI, TRF, LOST.",
        ZH: "指令无法识别。发送“帮助”查看：余额、明细、转账、挂失。",
    },
    "rate_limited": {
        EN: "Too many messages. Please try again later.",
        ZH: "短信过于频繁，请稍后再试。",
    },
    "balance": {EN: "A/C *{last4} balance {amount}.", ZH: "账户尾号{last4}余额{amount}。"},
    "no_accounts": {EN: "No account found.", ZH: "未找到账户。"},
    "mini_header": {EN: "A/C *{last4} last moves:", ZH: "账户尾号{last4}最近交易："},
    "mini_none": {EN: "A/C *{last4}: no moves.", ZH: "账户尾号{last4}暂无交易。"},
    "confirm_transfer": {
        EN: "Code {code} confirms {amount} to {alias} from A/C *{last4}. "
        "Reply with the code within {minutes} min.",
        ZH: "验证码{code}，确认从尾号{last4}向{alias}转账{amount}。请在{minutes}分钟内回复验证码。",
    },
    "unknown_payee": {
        EN: "No saved payee {alias}.",
        ZH: "未找到收款人{alias}。",
    },
    "transfer_done": {
        EN: "Transfer of {amount} to {alias} done.",
        ZH: "已向{alias}转账{amount}。",
    },
    "transfer_refused": {
        EN: "Transfer refused: {reason}",
        ZH: "转账未成功：{reason}",
    },
    "code_invalid": {
        EN: "Code wrong or expired. Nothing was transferred.",
        ZH: "验证码错误或已过期，未转账。",
    },
    "card_lost": {
        EN: "Card *{last4} is blocked (temporary loss report). Call us to lift it.",
        ZH: "尾号{last4}的卡已临时挂失。解除请致电本行。",
    },
    "card_unknown": {EN: "No card ending {last4}.", ZH: "未找到尾号{last4}的卡。"},
    "help": {
        EN: "BAL balance; MINI last moves; TRF <amount> <payee>; LOST <last 4 of card>. "
        "An agent will call you back (ticket {ticket}).",
        ZH: "余额；明细；转账 金额 收款人；挂失 卡号后四位。客服将回电（工单{ticket}）。",
    },
    "alert_debit": {
        EN: "A/C *{last4} debited {amount} ({reference}).",
        ZH: "您尾号{last4}的账户支出{amount}（{reference}）。",
    },
    "alert_credit": {
        EN: "A/C *{last4} credited {amount} ({reference}).",
        ZH: "您尾号{last4}的账户收入{amount}（{reference}）。",
    },
    "alert_own": {
        EN: "{amount} moved from A/C *{last4} to A/C *{other4}.",
        ZH: "{amount}已从尾号{last4}转入尾号{other4}的账户。",
    },
}


def reply(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (English when the language is not Chinese)."""
    return _TEXTS[key][language_of(language)].format(**values)
