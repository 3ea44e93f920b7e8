"""Framing: each message is preceded by its length as 2 bytes, big-endian (no header).

``read_frame`` puts one time-out on the whole frame (a peer that trickles bytes is cut off
as surely as a silent one) and refuses a length above ``max_bytes`` before reading the
body, so a hostile length never allocates memory.
"""

from __future__ import annotations

import asyncio
import socket

LENGTH_BYTES = 2
# Our largest message (every field at its maximum) is under 600 bytes; 2 KiB leaves room
# and still bounds what one connection can make the server buffer.
MAX_FRAME_BYTES = 2048
_MAX_ENCODABLE = 0xFFFF


class FramingError(Exception):
    """The stream does not carry a well-formed frame; the connection cannot go on."""


class FrameTooLarge(FramingError):
    def __init__(self, length: int, max_bytes: int) -> None:
        super().__init__(f"frame of {length} bytes is over the maximum of {max_bytes}")
        self.length = length


class EmptyFrame(FramingError):
    def __init__(self) -> None:
        super().__init__("frame of 0 bytes")


class TruncatedFrame(FramingError):
    def __init__(self) -> None:
        super().__init__("connection closed in the middle of a frame")


def frame(payload: bytes) -> bytes:
    """The payload preceded by its 2-byte big-endian length."""
    if not payload or len(payload) > _MAX_ENCODABLE:
        raise ValueError(f"a frame holds 1 to {_MAX_ENCODABLE} bytes, not {len(payload)}")
    return len(payload).to_bytes(LENGTH_BYTES, "big") + payload


def _checked_length(header: bytes, max_bytes: int) -> int:
    length = int.from_bytes(header, "big")
    if length == 0:
        raise EmptyFrame
    if length > max_bytes:
        raise FrameTooLarge(length, max_bytes)
    return length


async def read_frame(
    reader: asyncio.StreamReader, max_bytes: int = MAX_FRAME_BYTES, timeout_s: float = 30.0
) -> bytes | None:
    """The next frame's payload; ``None`` when the peer closed between frames.

    Raises ``FramingError`` for a bad or cut frame and ``TimeoutError`` when the whole
    frame did not arrive within ``timeout_s``.
    """
    async with asyncio.timeout(timeout_s):
        try:
            header = await reader.readexactly(LENGTH_BYTES)
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                return None
            raise TruncatedFrame from None
        length = _checked_length(header, max_bytes)
        try:
            return await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise TruncatedFrame from None


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            if remaining == count:
                return b""
            raise TruncatedFrame
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame_sync(sock: socket.socket, max_bytes: int = MAX_FRAME_BYTES) -> bytes | None:
    """``read_frame`` for a blocking socket (its own time-out applies to each receive)."""
    header = _recv_exactly(sock, LENGTH_BYTES)
    if not header:
        return None
    length = _checked_length(header, max_bytes)
    payload = _recv_exactly(sock, length)
    if not payload:
        raise TruncatedFrame
    return payload
