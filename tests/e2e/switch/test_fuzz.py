"""The switch against hostile input: hypothesis throws random frames and mutated valid
ones (flipped bytes, cut short, wrong or oversized length prefixes, random message types
and bitmaps) at the running server over TCP. After every batch the server must still
answer an echo on a fresh connection (0800/301 -> 0810, field 39 "00"); whatever it
answered to the junk must itself be a well-formed response; and at the end the ledger
verifies. A mutated message may be valid and post: the ledger check covers that too.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.crypto.keys import TEST_ZONE_KEY_REF
from ebank.adapters.iso8583.client import SwitchClient
from ebank.adapters.iso8583.codec import CodecError, decode, encode
from ebank.adapters.iso8583.framing import MAX_FRAME_BYTES, frame
from ebank.application import banking, card_pins, cards, identity, ledger, terminals
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import GlKind
from ebank.domain.money import Money
from ebank.domain.terminals import Cassette
from ebank.entrypoints.switch.server import switch_in_thread
from factories import TEST_EPOCH_US, bank_with_branch, gl, individual

TERMINAL = "FUZZ0001"
PIN = "4321"
EXAMPLES = 200  # batches per database: the whole test stays well under 30 s
READ_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    templates: tuple[bytes, ...]  # valid messages to mutate


def _now_fields(stan: int) -> dict[str, str]:
    """The time fields of a message sent at the test clock's moment."""
    now = datetime.fromtimestamp(TEST_EPOCH_US // 1_000_000, UTC)
    local = now.astimezone(BANK_TIMEZONE)
    return {
        "7": now.strftime("%m%d%H%M%S"),
        "11": f"{stan:06d}",
        "12": local.strftime("%H%M%S"),
        "13": local.strftime("%m%d"),
        "41": TERMINAL,
    }


def _set_up(bank: Bank) -> tuple[str, str, str]:
    """An ATM with cash and a card with a PIN: returns the card number, its expiry and
    its PIN block under the ATM's zone key."""
    ctx = bank.ctx
    branch = bank_with_branch(ctx)
    ledger.transfer(  # cash into the branch vault, from the bank's capital
        ctx,
        gl(ctx, GlKind.CASH, branch.code).number,
        gl(ctx, GlKind.CAPITAL).number,
        Money.parse("100000"),
    )
    cassette = Cassette(1, "CNY", 10_000, 500, 50)
    terminals.register_atm(ctx, None, TERMINAL, branch.code, TEST_ZONE_KEY_REF, "lab", [cassette])
    person = individual(ctx, branch.code)
    account = banking.open_account(ctx, person.number, "SAV")
    ledger.cash_deposit(ctx, branch.code, account.number, Money.parse("5000"))
    view = cards.issue_card(ctx, None, person.number, account.number, policy=bank.card_policy)
    card_pins.set_pin(ctx, None, view.id, PIN)
    with ctx.read() as uow:
        record = uow.cards.get(view.id)
    assert record is not None and ctx.hsm is not None
    pan = identity.services(ctx).secrets.open(record.pan_enc)
    block = ctx.hsm.encrypt_pin_block(TEST_ZONE_KEY_REF, PIN, pan).hex().upper()
    return pan, record.expiry, block


def _templates(pan: str, expiry: str, pin_block: str) -> tuple[bytes, ...]:
    card = {
        "2": pan,
        "14": expiry,
        "22": "021",
        "35": f"{pan}={expiry}101",
        "49": "156",
        "52": pin_block,
    }
    messages = [
        {"t": "0800", **_now_fields(1), "70": "301"},
        {"t": "0800", **_now_fields(2), "70": "001"},
        {"t": "0200", **_now_fields(3), **card, "3": "011000", "4": "000000010000"},
        {"t": "0200", **_now_fields(4), **card, "3": "311000", "4": "000000000000"},
        {"t": "0100", **_now_fields(5), **card, "3": "001000", "4": "000000002500"},
        {
            "t": "0420",
            **_now_fields(6),
            **card,
            "3": "011000",
            "4": "000000010000",
            "90": "0200000003" + "0" * 32,
        },
    ]
    return tuple(encode(m) for m in messages)


@pytest.fixture
def target(bank: Bank) -> Iterator[Target]:
    pan, expiry, block = _set_up(bank)
    with switch_in_thread(bank) as (host, port):
        with SwitchClient(host, port) as atm:  # signed on: card messages reach the ledger
            assert atm.request({"t": "0800", **_now_fields(999_999), "70": "001"})["39"] == "00"
        yield Target(host, port, _templates(pan, expiry, block))


# -- what goes on the wire -------------------------------------------------------------------
# A "shot" is the raw bytes sent on one connection before the client stops writing.
def _length(n: int) -> bytes:
    return n.to_bytes(2, "big")


@st.composite
def mutated(draw: st.DrawFn, templates: tuple[bytes, ...]) -> bytes:
    payload = bytearray(draw(st.sampled_from(templates)))
    how = draw(
        st.sampled_from(
            ["as_is", "redigit", "flip", "truncate", "wrong_length", "oversized", "splice"]
        )
    )
    if how == "as_is":  # a retransmission of a valid message
        return frame(bytes(payload))
    if how == "redigit":  # digits changed into other digits: often still well formed
        digits = [i for i, byte in enumerate(payload) if 0x30 <= byte <= 0x39]
        for _ in range(draw(st.integers(1, 3))):
            payload[draw(st.sampled_from(digits))] = draw(st.integers(0x30, 0x39))
        return frame(bytes(payload))
    if how == "flip":
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(payload) - 1))
            payload[at] ^= draw(st.integers(1, 255))
        return frame(bytes(payload))
    if how == "truncate":
        cut = draw(st.integers(1, len(payload) - 1))
        honest = draw(st.booleans())  # the prefix says the cut length, or the full one
        return _length(cut if honest else len(payload)) + bytes(payload[:cut])
    if how == "wrong_length":
        declared = draw(st.integers(1, MAX_FRAME_BYTES))
        return _length(declared) + bytes(payload)
    if how == "oversized":
        return _length(draw(st.integers(MAX_FRAME_BYTES + 1, 0xFFFF))) + bytes(payload)
    at = draw(st.integers(0, len(payload)))
    return frame(bytes(payload[:at]) + draw(st.binary(min_size=1, max_size=64)))


def random_header() -> st.SearchStrategy[bytes]:
    """A random message type and bitmap with junk after them: the codec's harder cases."""
    mti = st.text("0123456789", min_size=4, max_size=4).map(str.encode)
    bitmap = st.text("0123456789ABCDEF", min_size=16, max_size=32).map(str.encode)
    body = st.binary(max_size=200)
    return st.tuples(mti, bitmap, body).map(lambda p: frame(b"".join(p)))


def shots(templates: tuple[bytes, ...]) -> st.SearchStrategy[list[bytes]]:
    one = st.one_of(
        st.binary(min_size=1, max_size=300).map(frame),  # random payloads, framed
        st.binary(min_size=0, max_size=40),  # no framing at all
        random_header(),
        mutated(templates),
        mutated(templates),  # twice as likely: mutants reach deeper than noise
    )
    return st.lists(one, min_size=1, max_size=4)


# -- the client's side -----------------------------------------------------------------------
def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _answers(raw: bytes) -> list[bytes]:
    """The frames the server sent back; every one must be complete."""
    out = []
    while raw:
        assert len(raw) >= 2, f"half a length prefix: {raw!r}"
        length = int.from_bytes(raw[:2], "big")
        assert 0 < length <= len(raw) - 2, f"a cut answer: {raw!r}"
        out.append(raw[2 : 2 + length])
        raw = raw[2 + length :]
    return out


def _shoot(target: Target, shot: bytes) -> None:
    """Send ``shot`` on a new connection, stop writing, read until the server closes; its
    answers must be well-formed responses."""
    with socket.create_connection((target.host, target.port), timeout=READ_TIMEOUT_S) as sock:
        try:
            sock.sendall(shot)
            sock.shutdown(socket.SHUT_WR)
            raw = _read_all(sock)
        except ConnectionResetError:
            return  # the server hung up while we wrote: an acceptable answer to junk
    for payload in _answers(raw):
        try:
            answer = decode(payload)
        except CodecError as exc:
            pytest.fail(f"the switch answered {shot!r} with an undecodable message: {exc}")
        assert answer["t"][2] in "13", f"not a response type: {answer['t']}"
        assert answer.get("39", "").isalnum(), answer


def _echo(target: Target, stan: int) -> None:
    with SwitchClient(target.host, target.port, timeout_s=READ_TIMEOUT_S) as client:
        answer = client.request({"t": "0800", **_now_fields(stan), "70": "301"})
    assert answer["t"] == "0810", answer
    assert answer["39"] == "00", answer


def test_the_switch_keeps_answering_whatever_it_is_sent(target: Target, bank: Bank) -> None:
    stans = iter(range(100_000, 999_999))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batch=shots(target.templates))
    def batch_then_echo(batch: list[bytes]) -> None:
        for shot in batch:
            _shoot(target, shot)
        _echo(target, next(stans))

    batch_then_echo()
    report = verify_ledger(bank.ctx)
    assert report.ok, report
