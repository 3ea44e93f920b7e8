"""What the telephone banking menu says, in Chinese and English, by prompt id.

The state machine (``ivr.py``) names prompts; the entry points render them to text for
the speech engine with ``render``. Amounts are read out in words (``amount_words``), so
that a TTS engine never has to guess how to say "1,234.50".
"""

from __future__ import annotations

from collections.abc import Mapping

from ebank.domain.money import Currency

ZH = "zh"
EN = "en"
LANGUAGES = (ZH, EN)

# prompt id -> language -> text with ``{name}`` placeholders.
CATALOGUE: dict[str, dict[str, str]] = {
    "welcome": {
        ZH: "欢迎致电电话银行。",
        EN: "Welcome to telephone banking.",
    },
    # Said in both languages, whichever the caller will choose.
    "choose_language": {
        ZH: "普通话服务请按1。For English, press 2.",
        EN: "普通话服务请按1。For English, press 2.",
    },
    "enter_number": {
        ZH: "请输入您的卡号或账号，以井号键结束。",
        EN: "Please enter your card number or account number, followed by the hash key.",
    },
    "number_unknown": {
        ZH: "对不起，没有找到这个卡号或账号。",
        EN: "Sorry, we could not find that card or account number.",
    },
    "enter_pin": {
        ZH: "请输入六位电话银行密码。如需凭身份证号码挂失银行卡，请按星号键。",
        EN: "Please enter your six-digit telephone banking PIN."
        " To report a card lost with your identity number instead, press star.",
    },
    "pin_wrong": {
        ZH: "密码错误。",
        EN: "That PIN is not correct.",
    },
    "pin_locked": {
        ZH: "密码错误次数过多，电话银行服务已暂时锁定，请稍后再试或前往网点办理。",
        EN: "Too many wrong PINs: telephone banking is locked for now."
        " Please try again later or visit a branch.",
    },
    "pin_not_set": {
        ZH: "您尚未开通电话银行密码，请前往网点办理。",
        EN: "You have no telephone banking PIN yet. Please visit a branch to set one.",
    },
    "enter_identity": {
        ZH: "请输入您的身份证号码，字母X请按星号键，以井号键结束。",
        EN: "Please enter your identity number, press star for the letter X,"
        " followed by the hash key.",
    },
    "identity_wrong": {
        ZH: "身份证号码不符。",
        EN: "That identity number does not match.",
    },
    "menu": {
        ZH: "查询余额请按1，最近五笔交易请按2，本人账户转账请按3，银行卡临时挂失请按4，"
        "修改电话银行密码请按5，对账单邮寄或传真请按6，人工服务请按0，结束通话请按9。",
        EN: "For your balance, press 1. For your last five transactions, press 2."
        " To transfer between your own accounts, press 3. To report a card lost, press 4."
        " To change your telephone banking PIN, press 5. For a statement by e-mail or fax,"
        " press 6. To speak to an agent, press 0. To end the call, press 9.",
    },
    "invalid_choice": {
        ZH: "输入有误，请重新输入。",
        EN: "Sorry, that is not a valid choice.",
    },
    "balance": {
        ZH: "尾号{last4}的账户，可用余额{amount}。",
        EN: "Account ending {last4}: available balance {amount}.",
    },
    "no_transactions": {
        ZH: "最近没有交易。",
        EN: "There are no recent transactions.",
    },
    "transaction_in": {
        ZH: "{date}，存入{amount}。",
        EN: "{date}: {amount} in.",
    },
    "transaction_out": {
        ZH: "{date}，支出{amount}。",
        EN: "{date}: {amount} out.",
    },
    "no_other_account": {
        ZH: "您没有可以转入的其他本人账户。",
        EN: "You have no other account of your own to transfer to.",
    },
    "choose_account": {
        ZH: "转入尾号{last4}的账户请按{key}。",
        EN: "To transfer to the account ending {last4}, press {key}.",
    },
    "enter_amount": {
        ZH: "请输入转账金额，小数点请按星号键，以井号键结束。",
        EN: "Please enter the amount, press star for the decimal point, followed by the hash key.",
    },
    "confirm_transfer": {
        ZH: "您将从尾号{from_last4}的账户向尾号{to_last4}的账户转账{amount}。"
        "确认请按1，取消请按2。",
        EN: "You are transferring {amount} from the account ending {from_last4}"
        " to the account ending {to_last4}. To confirm, press 1. To cancel, press 2.",
    },
    "transfer_done": {
        ZH: "转账成功。",
        EN: "The transfer is done.",
    },
    "cancelled": {
        ZH: "已取消。",
        EN: "Cancelled.",
    },
    "refused": {
        ZH: "未能办理：{reason}。",
        EN: "This could not be done: {reason}.",
    },
    "no_cards": {
        ZH: "您名下没有可以挂失的银行卡。",
        EN: "You have no card that can be reported lost.",
    },
    "choose_card": {
        ZH: "挂失尾号{last4}的银行卡请按{key}。",
        EN: "To report the card ending {last4} lost, press {key}.",
    },
    "confirm_loss": {
        ZH: "您将临时挂失尾号{last4}的银行卡，挂失后该卡将无法使用。确认请按1，取消请按2。",
        EN: "You are reporting the card ending {last4} lost; it will stop working."
        " To confirm, press 1. To cancel, press 2.",
    },
    "card_reported_lost": {
        ZH: "挂失成功，该卡已停止使用。",
        EN: "The card is reported lost and no longer works.",
    },
    "enter_new_pin": {
        ZH: "请输入新的六位电话银行密码。",
        EN: "Please enter your new six-digit telephone banking PIN.",
    },
    "repeat_new_pin": {
        ZH: "请再次输入新密码。",
        EN: "Please enter the new PIN again.",
    },
    "pin_too_simple": {
        ZH: "密码过于简单。",
        EN: "That PIN is too simple.",
    },
    "pin_mismatch": {
        ZH: "两次输入的密码不一致。",
        EN: "The two PINs do not match.",
    },
    "pin_changed": {
        ZH: "电话银行密码已修改。",
        EN: "Your telephone banking PIN is changed.",
    },
    "choose_period": {
        ZH: "本月对账单请按1，上月对账单请按2。",
        EN: "For this month's statement, press 1. For last month's, press 2.",
    },
    "choose_delivery": {
        ZH: "发送到预留电子邮箱请按1，传真请按2。",
        EN: "To send it to your e-mail address on file, press 1. To fax it, press 2.",
    },
    "enter_fax": {
        ZH: "请输入传真号码，以井号键结束。",
        EN: "Please enter the fax number, followed by the hash key.",
    },
    "no_email_on_file": {
        ZH: "我们没有您预留的电子邮箱地址。改用传真请按1，返回主菜单请按2。",
        EN: "We have no e-mail address on file for you. To fax the statement instead,"
        " press 1. To go back to the menu, press 2.",
    },
    "statement_queued": {
        ZH: "对账单已受理，将尽快发送。",
        EN: "Your statement will be sent shortly.",
    },
    "agent": {
        ZH: "正在为您转接人工服务，请稍候。",
        EN: "Please hold: we are connecting you to an agent.",
    },
    "too_many_tries": {
        ZH: "输入错误次数过多。",
        EN: "Too many tries.",
    },
    "goodbye": {
        ZH: "感谢您的来电，再见。",
        EN: "Thank you for calling. Goodbye.",
    },
}

# How each currency's units are spoken: (major, minor) per language.
_UNIT_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "CNY": {ZH: ("元", "分"), EN: ("yuan", "fen")},
    "USD": {ZH: ("美元", "美分"), EN: ("dollars", "cents")},
    "EUR": {ZH: ("欧元", "欧分"), EN: ("euros", "cents")},
    "HKD": {ZH: ("港元", "港仙"), EN: ("Hong Kong dollars", "cents")},
}

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_SMALL_UNITS = ("", "十", "百", "千")
_ZH_GROUP_UNITS = ("", "万", "亿", "万亿")
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen"
    " fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_GROUPS = ("", "thousand", "million", "billion", "trillion")
_MAX_SPOKEN = 10**15


def render(prompt_id: str, language: str, args: Mapping[str, str] | None = None) -> str:
    """The text of ``prompt_id`` in ``language`` with ``args`` filled in."""
    text = CATALOGUE[prompt_id][language if language in LANGUAGES else ZH]
    return text.format(**dict(args or {}))


def _zh_group(value: int) -> str:
    """1..9999 in Chinese, with 零 for inner zeros."""
    out = ""
    pending_zero = False
    for position in (3, 2, 1, 0):
        digit = value // 10**position % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += _ZH_DIGITS[digit] + _ZH_SMALL_UNITS[position]
    return out


def zh_number(value: int) -> str:
    """A whole number 0 <= value < 10**16 in Chinese words (一万零五十)."""
    assert 0 <= value < 10**16
    if value == 0:
        return "零"
    groups = []
    while value:
        groups.append(value % 10_000)
        value //= 10_000
    out = ""
    gap = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = gap or bool(out)
            continue
        if out and (gap or group < 1000):
            out += "零"
        out += _zh_group(group) + _ZH_GROUP_UNITS[index]
        gap = False
    return out[1:] if out.startswith("一十") else out


def _en_below_thousand(value: int) -> str:
    hundreds, rest = divmod(value, 100)
    words = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest or not hundreds:
        words.append(_EN_ONES[rest])
    return " ".join(words)


def en_number(value: int) -> str:
    """A whole number 0 <= value < 10**15 in English words."""
    assert 0 <= value < _MAX_SPOKEN
    if value == 0:
        return "zero"
    parts = []
    index = 0
    while value:
        value, group = divmod(value, 1000)
        if group:
            name = _EN_GROUPS[index]
            parts.append(_en_below_thousand(group) + (f" {name}" if name else ""))
        index += 1
    return " ".join(reversed(parts))


def amount_words(minor: int, currency: str, language: str) -> str:
    """An amount as a speech engine should say it: "一千二百元五角" or
    "one thousand two hundred yuan and fifty fen"; "minus" first when negative."""
    cur = Currency.of(currency)
    whole, fraction = divmod(abs(minor), 10**cur.exponent)
    if whole >= _MAX_SPOKEN:  # too large to say sensibly: read the digits
        whole_zh, whole_en = str(whole), str(whole)
    else:
        whole_zh, whole_en = zh_number(whole), en_number(whole)
    major, small = _UNIT_NAMES.get(cur.code, {}).get(language, (cur.code, ""))
    if language == ZH:
        text = _zh_amount(whole, whole_zh, fraction, cur, major, small)
        return ("负" + text) if minor < 0 else text
    text = f"{whole_en} {major}"
    if fraction:
        text += f" and {en_number(fraction)} {small or 'hundredths'}"
    return ("minus " + text) if minor < 0 else text


def _zh_amount(
    whole: int, whole_words: str, fraction: int, cur: Currency, major: str, small: str
) -> str:
    if cur.exponent == 2 and cur.code == "CNY":
        jiao, fen = divmod(fraction, 10)
        text = f"{whole_words}元" if whole or not fraction else ""
        if jiao:
            text += f"{_ZH_DIGITS[jiao]}角"
        if fen:
            text += ("零" if whole and not jiao else "") + f"{_ZH_DIGITS[fen]}分"
        return text or "零元"
    text = f"{whole_words}{major}"
    if fraction:
        text += f"{zh_number(fraction)}{small or '分'}"
    return text


def digits_words(digits: str, language: str) -> str:
    """Digits read one by one (account endings): "1 2 3 4" reads better than a number."""
    if language == ZH:
        return "".join(_ZH_DIGITS[int(d)] if d.isdigit() else d for d in digits)
    return " ".join(digits)
