"""Encode and decode ISO 8583 messages with our spec: bytes <-> ``{"t": MTI, "2": PAN, ...}``.

The decoded dict has the MTI under ``"t"`` and each data element under its field number
as a string; the bitmaps are not in it (``encode`` derives them). Every failure, whatever
pyiso8583 raised, becomes a ``CodecError``: the server never sees a library exception.
"""

from __future__ import annotations

from collections.abc import Mapping

import iso8583

from ebank.adapters.iso8583.spec import SPEC

MTI_LENGTH = 4


class CodecError(ValueError):
    """A message that does not decode or encode under our spec."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(f"field {field}: {reason}" if field else reason)
        self.reason = reason
        self.field = field


def decode(payload: bytes) -> dict[str, str]:
    """The fields of one message (the payload of one frame)."""
    try:
        decoded, _ = iso8583.decode(payload, SPEC)
    except iso8583.DecodeError as exc:
        raise CodecError(exc.msg, exc.field) from None
    except KeyError as exc:  # a bitmap bit for a field our spec does not define
        raise CodecError("field not in our spec", str(exc.args[0])) from None
    except Exception as exc:  # the library's own gaps; never let them reach the server
        raise CodecError(f"undecodable message ({type(exc).__name__})") from None
    decoded.pop("p", None)
    decoded.pop("1", None)
    return decoded


def encode(fields: Mapping[str, str]) -> bytes:
    """One message from its fields (``"t"`` is required; bitmaps are derived)."""
    document = {key: value for key, value in fields.items() if key not in {"p", "1"}}
    try:
        raw, _ = iso8583.encode(document, SPEC)
    except iso8583.EncodeError as exc:
        raise CodecError(exc.msg, exc.field) from None
    except KeyError as exc:
        raise CodecError("field not in our spec", str(exc.args[0])) from None
    except Exception as exc:
        raise CodecError(f"unencodable message ({type(exc).__name__})") from None
    return bytes(raw)


def readable_mti(payload: bytes) -> str | None:
    """The message type of a payload that may not decode, if its first four bytes are
    digits; the switch answers a malformed message whose type it can read."""
    head = payload[:MTI_LENGTH]
    if len(head) == MTI_LENGTH and all(0x30 <= byte <= 0x39 for byte in head):
        return head.decode("ascii")
    return None


def response_mti(mti: str) -> str:
    """0200 -> 0210, 0420 -> 0430, 0800 -> 0810: the function digit plus one."""
    return mti[:2] + str(int(mti[2]) + 1) + mti[3]
