"""The simulated ATM's side of the wire (``ebank atm``): one connection to the switch,
shared by the screens and a heartbeat thread, signed on before the first request and
again after a lost connection; trace numbers and times on every message; the trace
with the card number and PIN blocks masked; field 39 in words from the one table.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.iso8583.client import SwitchClient
from ebank.adapters.iso8583.codec import CodecError
from ebank.adapters.iso8583.framing import FramingError
from ebank.entrypoints.error_codes import SYSTEM_ERROR, answer_for, known_codes

ANSWER_TIMEOUT_S = 15.0


class LinkDown(Exception):
    """The switch cannot be reached, closed the connection, or did not answer in time."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


def mask_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields as ``--trace`` shows them: no full card number, no PIN block."""
    shown = dict(fields)
    if "2" in shown:
        pan = shown["2"]
        shown["2"] = pan[:6] + "*" * max(0, len(pan) - 10) + pan[-4:]
    if "35" in shown:
        shown["35"] = "*" * len(shown["35"])
    for pin_field in ("52", "53"):
        if pin_field in shown:
            shown[pin_field] = "*" * len(shown[pin_field])
    return shown


# Several outcomes share a response code: the one whose words an ATM shows for each.
_SCREEN_CODES = {
    "00": "ok",
    "12": "card_transaction_not_supported",
    "13": "invalid_amount",
    "14": "card_not_found",
    "30": "invalid_input",
    "41": "card_reported_lost",
    "43": "card_blocked",
    "51": "exceeds_credits",
    "54": "card_expired",
    "55": "wrong_pin",
    "57": "card_account_missing",
    "58": "terminal_not_active",
    "61": "card_daily_amount_exceeded",
    "62": "card_not_active",
    "65": "card_daily_count_exceeded",
    "75": "pin_tries_exceeded",
    "94": "duplicate_transmission",
}


def words_for(response_code: str) -> str:
    """What field 39 means, in the words of the one table of outcomes."""
    chosen = _SCREEN_CODES.get(response_code)
    if chosen is not None and answer_for(chosen).iso8583 == response_code:
        return answer_for(chosen).text
    for code in sorted(known_codes()):
        if answer_for(code).iso8583 == response_code:
            return answer_for(code).text
    if response_code == SYSTEM_ERROR.iso8583:
        return SYSTEM_ERROR.text
    return f"an answer this ATM does not know ({response_code or 'none'})"


class SwitchLink:
    """The ATM's one connection to the switch, shared by the customer's screens and the
    heartbeat thread (a lock keeps their requests apart). A lost connection is opened
    again, and signed on, at the next request."""

    def __init__(
        self,
        host: str,
        port: int,
        terminal_id: str,
        *,
        trace: Callable[[str, Mapping[str, str]], None] | None = None,
        timeout_s: float = ANSWER_TIMEOUT_S,
    ) -> None:
        self.host, self.port, self.terminal_id = host, port, terminal_id
        self.timeout_s = timeout_s
        self._trace = trace
        self._client: SwitchClient | None = None
        self._lock = threading.Lock()
        # A random start: a second session on the same day must not reuse the first
        # one's trace numbers (the switch takes a repeated STAN for a retransmission).
        self._stan = secrets.randbelow(900_000)
        self.signed_on = False

    def next_stan(self) -> str:
        self._stan = self._stan % 999_999 + 1
        return f"{self._stan:06d}"

    def stamp(self, fields: dict[str, str]) -> dict[str, str]:
        """Add the fields every request carries: trace number, times, terminal."""
        now = datetime.now(UTC)
        local = now.astimezone(BANK_TIMEZONE)
        stan = fields.get("11") or self.next_stan()
        return {
            **fields,
            "7": now.strftime("%m%d%H%M%S"),
            "11": stan,
            "12": local.strftime("%H%M%S"),
            "13": local.strftime("%m%d"),
            "37": local.strftime("%y%j%H") + stan[-5:],
            "41": self.terminal_id,
        }

    def request(self, fields: Mapping[str, str]) -> dict[str, str]:
        """Send one message and return the answer; ``LinkDown`` if there is none."""
        with self._lock:
            if not self.signed_on and fields.get("70") != "001":
                self._exchange(self.stamp({"t": "0800", "70": "001"}))
                self.signed_on = True
            return self._exchange(dict(fields))

    def _exchange(self, fields: dict[str, str]) -> dict[str, str]:
        if self._trace:
            self._trace("sent", fields)
        try:
            if self._client is None:
                self._client = SwitchClient(self.host, self.port, self.timeout_s).connect()
            answer = self._client.request(fields)
        except TimeoutError as exc:
            self._drop()
            raise LinkDown("the bank did not answer in time", timed_out=True) from exc
        except (OSError, FramingError, CodecError) as exc:
            self._drop()
            raise LinkDown(f"the connection to the bank failed ({exc})") from exc
        if self._trace:
            self._trace("received", answer)
        return answer

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self.signed_on = False

    def sign_on(self) -> dict[str, str]:
        answer = self.request(self.stamp({"t": "0800", "70": "001"}))
        self.signed_on = answer.get("39") == "00"
        return answer

    def heartbeat(self) -> None:
        self.request(self.stamp({"t": "0800", "70": "301"}))

    def sign_off(self) -> None:
        with self._lock:
            if self._client is not None and self.signed_on:
                with contextlib.suppress(LinkDown):
                    self._exchange(self.stamp({"t": "0800", "70": "002"}))
            self._drop()


class Heartbeat(threading.Thread):
    """Echo messages on the shared link while the customer thinks."""

    def __init__(self, link: SwitchLink, every_s: float) -> None:
        super().__init__(name="atm-heartbeat", daemon=True)
        self.link, self.every_s = link, every_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every_s):
            # A lost link is opened again by the next request, which says so on screen.
            with contextlib.suppress(LinkDown):
                self.link.heartbeat()
