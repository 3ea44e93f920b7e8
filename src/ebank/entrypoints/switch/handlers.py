"""From an ISO 8583 message to a use case and back: decode, validate every field, call
the card-transaction or monitoring use case, encode the answer. Field 39 always comes
from the one table (``entrypoints/error_codes.py``).

Runs in the server's worker threads: every call here may touch the database. Nothing a
peer sends raises out of ``handle``: a message that does not decode but whose type is
readable is answered with 30, an unexpected failure with 96; the connection closes only
when not even the type can be read. Logs carry no card number (the last four digits).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping

import structlog

from ebank.adapters.iso8583.codec import CodecError, decode, encode, readable_mti, response_mti
from ebank.adapters.iso8583.spec import NEW_PIN_FIELD
from ebank.application import card_reversals, card_transactions, monitoring
from ebank.application.card_transactions import (
    BalanceLine,
    CardOutcome,
    CardRequest,
    OriginalRef,
)
from ebank.application.ports_switch import MessageClass
from ebank.bootstrap import Bank
from ebank.domain.errors import CardTransactionNotSupported, DomainError, InvalidInput
from ebank.entrypoints.error_codes import SYSTEM_ERROR, answer_for
from ebank.entrypoints.switch import validation

log = structlog.get_logger("ebank.switch")

FORMAT_ERROR = answer_for(InvalidInput.code).iso8583  # 30
# What an answer repeats of its request.
_ECHOED = ("3", "4", "7", "11", "12", "13", "37", "41", "42", "49", "90", "95")
_CLASSES = {
    "0100": MessageClass.AUTHORISATION,
    "0200": MessageClass.FINANCIAL,
    "0220": MessageClass.COMPLETION,
    "0400": MessageClass.REVERSAL,
    "0420": MessageClass.REVERSAL,
}
_NETWORK: dict[str, Callable[..., None]] = {
    "301": monitoring.heartbeat,
    "001": monitoring.sign_on,
    "002": monitoring.sign_off,
}


def field39(code: str) -> str:
    return answer_for(code).iso8583


def _is_request(mti: str | None) -> bool:
    """A type we answer: version 0, a request or advice (function digit 0 or 2)."""
    return mti is not None and mti[0] == "0" and mti[2] in "02" and mti[3] == "0"


def _answer(
    request: Mapping[str, str], code39: str, skip: frozenset[str] = frozenset()
) -> dict[str, str]:
    fields = {f: request[f] for f in _ECHOED if f in request and f not in skip}
    fields["t"] = response_mti(request["t"])
    fields["39"] = code39
    return fields


class SwitchHandler:
    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.ctx = bank.ctx

    def handle(self, payload: bytes) -> bytes | None:
        """The answer to one frame's payload; ``None`` closes the connection."""
        try:
            fields = decode(payload)
        except CodecError as exc:
            mti = readable_mti(payload)
            if not _is_request(mti) or mti is None:
                log.info("switch closing on an unreadable message", reason=str(exc))
                return None
            log.info("switch message does not decode", mti=mti, reason=str(exc))
            return encode({"t": response_mti(mti), "39": FORMAT_ERROR})
        mti = fields.get("t", "")
        if not _is_request(mti if mti.isdigit() else None):
            log.info("switch closing on a message it does not take", mti=mti[:4])
            return None
        try:
            answer = self._dispatch(fields)
        except Exception as exc:  # a programmer error: the terminal gets 96, the server goes on
            # The traceback without its local variables: they hold the card number.
            log.error(
                "switch handler failed",
                mti=mti,
                stan=fields.get("11"),
                terminal=fields.get("41"),
                traceback="".join(traceback.format_exception(exc)),
            )
            answer = _answer(fields, SYSTEM_ERROR.iso8583, frozenset(validation.problems(fields)))
        try:
            return encode(answer)
        except CodecError:
            log.error("switch answer does not encode", mti=mti)
            return encode({"t": response_mti(mti), "39": SYSTEM_ERROR.iso8583})

    def _dispatch(self, fields: dict[str, str]) -> dict[str, str]:
        mti = fields["t"]
        wrong = validation.problems(fields)
        if mti not in validation.REQUIRED:
            return _answer(fields, field39(CardTransactionNotSupported.code), frozenset(wrong))
        if wrong:
            log.info("switch format error", mti=mti, stan=fields.get("11"), fields=wrong)
            return _answer(fields, FORMAT_ERROR, frozenset(wrong))
        if mti == "0800":
            return self._network(fields)
        request = card_request(fields)
        if request.message_class is MessageClass.COMPLETION:
            outcome = card_reversals.complete(self.ctx, request, field39)
        elif request.message_class is MessageClass.REVERSAL:
            outcome = card_reversals.reverse(self.ctx, request, field39)
        else:
            outcome = card_transactions.card_request(self.ctx, request, field39)
        log.info(
            "switch answered",
            mti=mti,
            terminal=request.terminal_id,
            stan=request.stan,
            card=f"…{request.pan[-4:]}",
            processing_code=request.processing_code,
            amount_minor=request.amount_minor,
            response_code=outcome.response_code,
            outcome=outcome.code,
            repeated=outcome.repeated,
        )
        return _card_answer(fields, outcome)

    def _network(self, fields: dict[str, str]) -> dict[str, str]:
        action = _NETWORK.get(fields["70"])
        if action is None:
            return _answer(fields, field39(CardTransactionNotSupported.code)) | {"70": fields["70"]}
        try:
            action(self.ctx, fields["41"])
            code = "00"
        except DomainError as refused:
            code = field39(refused.code)
        log.info(
            "switch network management",
            terminal=fields["41"],
            code=fields["70"],
            response_code=code,
        )
        return _answer(fields, code) | {"70": fields["70"]}


def card_request(fields: Mapping[str, str]) -> CardRequest:
    """The use case's request from a validated message."""
    mti = fields["t"]
    expiry = fields.get("14")
    if expiry is None and "35" in fields:
        expiry = validation.track2_expiry(fields["35"])
    original = None
    if "90" in fields:
        data = fields["90"]
        original = OriginalRef(mti=data[:4], stan=data[4:10], local_date=data[10:14])
    replacement = int(fields["95"][:12]) if "95" in fields else None
    pin = fields.get("52")
    new_pin = fields.get(NEW_PIN_FIELD)
    return CardRequest(
        mti=mti,
        message_class=_CLASSES[mti],
        terminal_id=fields["41"],
        stan=fields["11"],
        local_date=fields["13"],
        rrn=fields.get("37") or fields["13"] + fields.get("12", "000000")[:2] + fields["11"],
        processing_code=fields["3"],
        amount_minor=int(fields["4"]),
        currency=validation.CURRENCY_BY_NUMERIC[fields["49"]],
        pan=fields["2"],
        expiry=expiry,
        pin_block=bytes.fromhex(pin) if pin else None,
        merchant_id=fields.get("42"),
        original=original,
        replacement_amount_minor=replacement,
        new_pin_block=bytes.fromhex(new_pin) if new_pin else None,
    )


def _card_answer(request: Mapping[str, str], outcome: CardOutcome) -> dict[str, str]:
    fields = _answer(request, outcome.response_code)
    if outcome.approval_code:
        fields["38"] = outcome.approval_code
    if outcome.balances:
        fields["54"] = "".join(_balance_text(line) for line in outcome.balances)
    return fields


def _balance_text(line: BalanceLine) -> str:
    """Field 54, one amount: account type, amount type, currency, C/D, 12 digits."""
    sign = "C" if line.amount_minor >= 0 else "D"
    numeric = validation.NUMERIC_BY_CURRENCY.get(line.currency, "000")
    return f"{line.account_type}{line.amount_type}{numeric}{sign}{abs(line.amount_minor):012d}"
