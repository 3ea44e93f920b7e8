"""The ISO 8583 codec, framing and field validation, without a server."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ebank.adapters.iso8583.codec import CodecError, decode, encode, readable_mti, response_mti
from ebank.adapters.iso8583.framing import (
    MAX_FRAME_BYTES,
    EmptyFrame,
    FrameTooLarge,
    TruncatedFrame,
    frame,
    read_frame,
)
from ebank.entrypoints.switch import validation
from ebank.entrypoints.switch.handlers import card_request

PAN = "6217990000000000016"[:16]
WITHDRAWAL = {
    "t": "0200",
    "2": PAN,
    "3": "011000",
    "4": "000000030000",
    "7": "1107010000",
    "11": "000042",
    "12": "090000",
    "13": "1107",
    "14": "3111",
    "35": f"{PAN}=3111101",
    "41": "ATM00001",
    "49": "156",
    "52": "0123456789ABCDEF",
}


def test_a_message_round_trips_and_its_bytes_are_ascii() -> None:
    raw = encode(WITHDRAWAL)
    assert raw.startswith(b"0200") and raw.isascii()
    assert decode(raw) == WITHDRAWAL  # the bitmaps are derived, not returned
    echo = encode({"t": "0800", "7": "1107010000", "11": "000001", "41": "ATM00001", "70": "301"})
    assert decode(echo)["70"] == "301"  # a field above 64: the secondary bitmap


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"02",
        b"0200" + b"F" * 16,  # bits for fields the spec does not define
        b"0200" + b"4000000000000000" + b"99" + b"1" * 99,  # a PAN over 19 digits
        encode({"t": "0800", "70": "301"}) + b"x",  # data after the last field
        b"0200" + b"\xff" * 30,
    ],
)
def test_what_does_not_decode_raises_codec_error_only(raw: bytes) -> None:
    with pytest.raises(CodecError):
        decode(raw)


def test_encoding_refuses_wrong_lengths_and_unknown_fields() -> None:
    with pytest.raises(CodecError):
        encode({**WITHDRAWAL, "3": "01"})  # a fixed field of the wrong length
    with pytest.raises(CodecError):
        encode({**WITHDRAWAL, "127": "x"})


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_else(raw: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode(raw)


def test_message_types() -> None:
    assert readable_mti(b"0200junk") == "0200" and readable_mti(b"02x0") is None
    assert readable_mti(b"02") is None
    assert [response_mti(m) for m in ("0100", "0200", "0420", "0800")] == [
        "0110",
        "0210",
        "0430",
        "0810",
    ]


def _read(data: bytes, max_bytes: int = MAX_FRAME_BYTES, timeout_s: float = 5.0) -> bytes | None:
    async def run() -> bytes | None:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_frame(reader, max_bytes, timeout_s)

    return asyncio.run(run())


def test_framing() -> None:
    assert frame(b"abc") == b"\x00\x03abc"
    assert _read(frame(b"abc") + frame(b"next")) == b"abc"
    assert _read(b"") is None  # closed between frames
    with pytest.raises(FrameTooLarge):
        _read(b"\xff\xff" + b"x" * 10)
    with pytest.raises(EmptyFrame):
        _read(b"\x00\x00")
    with pytest.raises(TruncatedFrame):
        _read(b"\x00\x05ab")
    with pytest.raises(TruncatedFrame):
        _read(b"\x00")
    with pytest.raises(ValueError):
        frame(b"")


def test_a_slow_frame_times_out() -> None:
    async def run() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b"\x00\x05ab")  # and then nothing
        await read_frame(reader, MAX_FRAME_BYTES, 0.01)

    with pytest.raises(TimeoutError):
        asyncio.run(run())


def test_validation_accepts_a_good_message_and_names_each_bad_field() -> None:
    assert validation.problems(WITHDRAWAL) == []
    assert validation.problems({**WITHDRAWAL, "4": "00000003000A"}) == ["4"]
    assert validation.problems({**WITHDRAWAL, "13": "1332"}) == ["13"]
    assert validation.problems({**WITHDRAWAL, "12": "250000"}) == ["12"]
    assert validation.problems({**WITHDRAWAL, "3": "013000"}) == ["3"]  # account type 30
    assert validation.problems({**WITHDRAWAL, "49": "999"}) == ["49"]
    assert validation.problems({**WITHDRAWAL, "52": "0123456789abcdef"}) == ["52"]
    assert validation.problems({**WITHDRAWAL, "39": "00"}) == ["39"]  # answers only
    # track 2 against the PAN and the expiry date
    other_pan = PAN[:-1] + "9"
    assert validation.problems({**WITHDRAWAL, "35": f"{other_pan}=3111101"}) == ["35"]
    assert validation.problems({**WITHDRAWAL, "35": f"{PAN}=3112101"}) == ["35"]
    assert validation.problems({**WITHDRAWAL, "35": f"{PAN}3111101"}) == ["35"]
    missing = {k: v for k, v in WITHDRAWAL.items() if k not in {"11", "52"}}
    assert validation.problems(missing) == ["11", "52"]
    # a PIN change carries field 53; nothing else does
    assert validation.problems({**WITHDRAWAL, "53": "0123456789ABCDEF"}) == ["53"]
    change = {**WITHDRAWAL, "3": "960000", "53": "0123456789ABCDEF"}
    assert validation.problems(change) == []
    assert validation.problems({"t": "0600"}) == ["t"]


def test_a_validated_message_becomes_the_use_case_request() -> None:
    request = card_request({**WITHDRAWAL, "90": "0200000041" + "1107010000" + "0" * 22})
    assert request.amount_minor == 30_000 and request.currency == "CNY"
    assert request.expiry == "3111" and request.pin_block == bytes.fromhex("0123456789ABCDEF")
    assert request.original is not None and request.original.stan == "000041"
    assert request.rrn == "1107" + "09" + "000042"
    no_expiry = {k: v for k, v in WITHDRAWAL.items() if k != "14"}
    assert card_request(no_expiry).expiry == "3111"  # from track 2
