"""A client of the switch over one TCP connection: what an ATM, a POS terminal, the
simulator, the benchmark and the tests use.

``SwitchClient`` is blocking (a socket with a time-out); ``AsyncSwitchClient`` is its
asyncio twin. Both send one request and wait for its answer (no pipelining), and both
expose the raw frame calls for tests that send malformed messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from ebank.adapters.iso8583.codec import decode, encode
from ebank.adapters.iso8583.framing import MAX_FRAME_BYTES, frame, read_frame, read_frame_sync


class SwitchClosedConnection(ConnectionError):
    """The switch closed the connection instead of answering."""


class SwitchClient:
    """``with SwitchClient(host, port) as client: client.request({"t": "0800", ...})``."""

    def __init__(self, host: str, port: int, timeout_s: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None

    def connect(self) -> Self:
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), self.timeout_s)
            self._sock.settimeout(self.timeout_s)
        return self

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Self:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send_raw(self, payload: bytes) -> None:
        """Send bytes exactly as given (no framing): for tests of broken frames."""
        self.connect()
        assert self._sock is not None
        self._sock.sendall(payload)

    def receive_payload(self) -> bytes:
        self.connect()
        assert self._sock is not None
        payload = read_frame_sync(self._sock, MAX_FRAME_BYTES)
        if payload is None:
            raise SwitchClosedConnection("the switch closed the connection")
        return payload

    def request_raw(self, payload: bytes) -> bytes:
        """Send one framed payload and return the payload of the answer."""
        self.send_raw(frame(payload))
        return self.receive_payload()

    def request(self, fields: Mapping[str, str]) -> dict[str, str]:
        """Send one message and return the fields of the answer."""
        return decode(self.request_raw(encode(fields)))


class AsyncSwitchClient:
    """``async with AsyncSwitchClient(host, port) as client: await client.request(...)``."""

    def __init__(self, host: str, port: int, timeout_s: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> Self:
        if self._writer is None:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout_s
            )
        return self

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer, self._reader = self._writer, None, None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def send_raw(self, payload: bytes) -> None:
        await self.connect()
        assert self._writer is not None
        self._writer.write(payload)
        await self._writer.drain()

    async def receive_payload(self) -> bytes:
        await self.connect()
        assert self._reader is not None
        payload = await read_frame(self._reader, MAX_FRAME_BYTES, self.timeout_s)
        if payload is None:
            raise SwitchClosedConnection("the switch closed the connection")
        return payload

    async def request_raw(self, payload: bytes) -> bytes:
        await self.send_raw(frame(payload))
        return await self.receive_payload()

    async def request(self, fields: Mapping[str, str]) -> dict[str, str]:
        return decode(await self.request_raw(encode(fields)))
