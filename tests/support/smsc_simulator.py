"""An SMS centre simulator for the tests: a small SMPP 3.4 server on loopback.

It accepts a bind (any transceiver), answers submit_sm with submit_sm_resp carrying a
message id and, when a receipt was asked for, sends a deliver_sm delivery receipt; it
answers enquire_link and unbind; ``deliver`` sends an inbound message (deliver_sm) to
the bound client. What was submitted is kept in ``submitted``. PDUs are built and
parsed with smpplib's own classes.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any

import smpplib.consts
import smpplib.smpp


@dataclass
class Submitted:
    destination: str
    text: str
    message_id: str
    sequence: int


class _Sequencer:
    """What smpplib's PDU factory asks of a "client": sequence numbers."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.sequence = 0
        self.allow_unknown_opt_params = True

    def next_sequence(self) -> int:
        self.sequence = next(self._numbers)
        return self.sequence


def _decode(raw: bytes, data_coding: int) -> str:
    if data_coding == smpplib.consts.SMPP_ENCODING_ISO10646:
        return raw.decode("utf-16-be")
    return raw.decode("latin-1")


def _split_udh(pdu: Any) -> tuple[tuple[int, int, int] | None, bytes]:
    """(reference, parts, this part) of a concatenated message, and its text bytes."""
    raw: bytes = pdu.short_message or b""
    if not pdu.esm_class & smpplib.consts.SMPP_GSMFEAT_UDHI:
        return None, raw
    length = raw[0]
    header, body = raw[1 : 1 + length], raw[1 + length :]
    if header[0] == 0x00:  # concatenated short message, 8-bit reference
        return (header[2], header[3], header[4]), body
    return None, body


class SmscSimulator:
    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self.submitted: list[Submitted] = []
        self.binds: list[str] = []
        self.sequences: list[int] = []  # every sequence number the client used
        self._ids = itertools.count(1)
        self._parts: dict[tuple[str, int], dict[int, bytes]] = {}
        self._seq = _Sequencer()
        self._conn: socket.socket | None = None
        self._write = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # -- the test's side
    def deliver(self, source: str, text: str) -> None:
        """An inbound SMS from ``source`` to the bound client."""
        try:
            body, coding = text.encode("ascii"), smpplib.consts.SMPP_ENCODING_DEFAULT
        except UnicodeEncodeError:
            body, coding = text.encode("utf-16-be"), smpplib.consts.SMPP_ENCODING_ISO10646
        self._send(
            smpplib.smpp.make_pdu(
                "deliver_sm",
                client=self._seq,
                source_addr=source,
                destination_addr="95599",
                short_message=body,
                data_coding=coding,
                esm_class=0,
            )
        )

    def close(self) -> None:
        self._server.close()
        if self._conn is not None:
            self._conn.close()

    # -- the server
    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._conn = conn
            try:
                self._session(conn)
            except (OSError, ConnectionError):
                pass
            finally:
                conn.close()

    def _read(self, conn: socket.socket) -> Any:
        head = self._exact(conn, 4)
        (length,) = struct.unpack(">L", head)
        raw = head + self._exact(conn, length - 4)
        return smpplib.smpp.parse_pdu(raw, client=self._seq, allow_unknown_opt_params=True)

    @staticmethod
    def _exact(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = conn.recv(size - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _send(self, pdu: Any) -> None:
        assert self._conn is not None, "no client is bound"
        with self._write:
            self._conn.sendall(pdu.generate())

    def _answer(self, name: str, request: Any, **fields: Any) -> None:
        pdu = smpplib.smpp.make_pdu(name, client=self._seq, **fields)
        pdu.sequence = request.sequence
        self._send(pdu)

    def _session(self, conn: socket.socket) -> None:
        while True:
            pdu = self._read(conn)
            self.sequences.append(pdu.sequence)
            if pdu.command == "bind_transceiver":
                self.binds.append(pdu.system_id.decode())
                self._answer("bind_transceiver_resp", pdu, system_id="SMSC-SIM")
            elif pdu.command == "submit_sm":
                self._submitted(pdu)
            elif pdu.command == "enquire_link":
                self._answer("enquire_link_resp", pdu)
            elif pdu.command == "unbind":
                self._answer("unbind_resp", pdu)
                return

    def _submitted(self, pdu: Any) -> None:
        message_id = f"SIM{next(self._ids):06d}"
        destination = pdu.destination_addr.decode()
        concat, body = _split_udh(pdu)
        if concat is None:
            text = _decode(body, pdu.data_coding)
            self.submitted.append(Submitted(destination, text, message_id, pdu.sequence))
        else:  # keep the parts until the last one came, then the whole message
            reference, total, number = concat
            parts = self._parts.setdefault((destination, reference), {})
            parts[number] = body
            if len(parts) == total:
                whole = b"".join(parts[i] for i in range(1, total + 1))
                del self._parts[(destination, reference)]
                text = _decode(whole, pdu.data_coding)
                self.submitted.append(Submitted(destination, text, message_id, pdu.sequence))
        self._answer("submit_sm_resp", pdu, message_id=message_id)
        if pdu.registered_delivery:
            receipt = (
                f"id:{message_id} sub:001 dlvrd:001 submit date:2401010000 "
                "done date:2401010000 stat:DELIVRD err:000 text:"
            ).encode()
            self._send(
                smpplib.smpp.make_pdu(
                    "deliver_sm",
                    client=self._seq,
                    source_addr=destination,
                    destination_addr="95599",
                    short_message=receipt,
                    esm_class=0x04,  # an SMSC delivery receipt
                    receipted_message_id=message_id,
                )
            )
