"""The SMPP 3.4 transport (smpplib): one client bound as transceiver to the operator's
SMS centre. ``send`` submits (submit_sm, split and UCS-2 encoded when needed, a delivery
receipt requested) and waits for submit_sm_resp; ``poll`` reads what the centre sent
meanwhile (deliver_sm: inbound messages and delivery receipts) and hands it to the
inbox. The sequence number lives in ``channel_state``, so a restarted client never
reuses one. smpplib answers enquire_link and deliver_sm itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.gsm  # type: ignore[import-untyped]

from ebank.application.ports_sms import SmsInbox

RECEIPT_BIT = 0x04  # esm_class: this deliver_sm is an SMSC delivery receipt
_RECEIPT_ID = re.compile(rb"id:(\S+)")
_RECEIPT_STAT = re.compile(rb"stat:(\w+)")


class Counter(Protocol):
    def reserve(self, size: int) -> int: ...


class PersistentSequence:
    """smpplib's sequence generator over a persistent counter: numbers are taken from
    blocks reserved ahead (the first when the transport is made), so that sending
    never waits for a write of its own."""

    BLOCK = 10_000

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self._next = counter.reserve(self.BLOCK)
        self._end = self._next + self.BLOCK
        self._last = self._next - 1

    @property
    def sequence(self) -> int:
        return self._last

    def next_sequence(self) -> int:
        if self._next >= self._end:
            self._next = self.counter.reserve(self.BLOCK)
            self._end = self._next + self.BLOCK
        self._last, self._next = self._next, self._next + 1
        return self._last


def _text_of(pdu: Any) -> str:
    raw: bytes = pdu.short_message or b""
    if pdu.data_coding == smpplib.consts.SMPP_ENCODING_ISO10646:
        return raw.decode("utf-16-be", errors="replace")
    return raw.decode("utf-8", errors="replace")


def _address(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class SmppTransport:
    name = "smpp"

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        source_addr: str,
        counter: Counter,
        *,
        timeout_s: float = 10.0,
        client_factory: Callable[..., Any] = smpplib.client.Client,
    ) -> None:
        self.host, self.port = host, port
        self.system_id, self.password, self.source_addr = system_id, password, source_addr
        self.sequence = PersistentSequence(counter)
        self.timeout_s = timeout_s
        self._factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()
        self._message_ids: dict[int, str] = {}
        self._received: list[Any] = []

    def _bound(self) -> Any:
        if self._client is None:
            client = self._factory(
                self.host,
                self.port,
                timeout=self.timeout_s,
                sequence_generator=self.sequence,
                allow_unknown_opt_params=True,
            )
            client.set_message_sent_handler(self._on_sent)
            client.set_message_received_handler(self._on_received)
            client.connect()
            try:
                client.bind_transceiver(system_id=self.system_id, password=self.password)
            except Exception:
                client.disconnect()
                raise
            self._client = client
        return self._client

    def _on_sent(self, pdu: Any, **_: Any) -> None:
        self._message_ids[pdu.sequence] = _address(pdu.message_id)

    def _on_received(self, pdu: Any, **_: Any) -> int:
        self._received.append(pdu)
        return int(smpplib.consts.SMPP_ESME_ROK)

    def send(self, phone: str, body: str, reference: str) -> str:
        """Submit ``body`` (in parts when long); returns the centre's id of the last
        part. ``reference`` is not an SMPP field: the outbox's dedupe key guards it."""
        with self._lock:
            try:
                return self._submit(phone, body)
            except Exception:
                self._drop()  # reconnect and rebind on the next call
                raise

    def _submit(self, phone: str, body: str) -> str:
        client = self._bound()
        parts, coding, esm_class = smpplib.gsm.make_parts(body)
        last = ""
        for part in parts:
            pdu = client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                source_addr=self.source_addr,
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                destination_addr=phone.lstrip("+"),
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=smpplib.consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
            )
            while pdu.sequence not in self._message_ids:
                client.read_once()
            last = self._message_ids.pop(pdu.sequence)
        return last

    def poll(self, inbox: SmsInbox) -> int:
        with self._lock:
            try:
                self._bound().poll()
            except Exception:
                self._drop()
                raise
            received, self._received = self._received, []
        for pdu in received:
            if pdu.esm_class & RECEIPT_BIT:
                raw = pdu.short_message or b""
                found = _RECEIPT_ID.search(raw)
                stat = _RECEIPT_STAT.search(raw)
                external_id = _address(getattr(pdu, "receipted_message_id", None) or "")
                if not external_id and found:
                    external_id = found.group(1).decode()
                inbox.receipt(external_id, bool(stat and stat.group(1) == b"DELIVRD"))
            else:
                phone = _address(pdu.source_addr)
                inbox.inbound(phone if phone.startswith("+") else f"+{phone}", _text_of(pdu), "")
        return len(received)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # the connection is gone anyway
                return

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.unbind()
            finally:
                client.disconnect()
