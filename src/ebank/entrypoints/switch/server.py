"""The switch's TCP server: asyncio, one task per terminal connection.

Limits on everything a peer controls: a connection limit (the extra connection is closed
at once), one read time-out per frame (an idle or trickling peer is cut off), the
maximum frame size (checked on the 2-byte length, before reading the body). A frame that
does not decode is answered by ``handlers`` when its message type is readable, otherwise
the connection closes; nothing a peer sends can stop the server. Every message is
handled in a worker thread (database calls never run on the event loop); the answers on
one connection go out in the order of the requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from ebank.adapters.iso8583.framing import MAX_FRAME_BYTES, FramingError, frame, read_frame
from ebank.bootstrap import Bank
from ebank.entrypoints.switch.handlers import SwitchHandler

log = structlog.get_logger("ebank.switch")

STARTUP_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class SwitchLimits:
    max_connections: int = 256
    # A terminal sends an echo (0800/301) at least every minute; one that says nothing
    # for longer, or takes longer to send one frame, is disconnected.
    read_timeout_s: float = 120.0
    max_frame_bytes: int = MAX_FRAME_BYTES
    # Threads that run the handlers (and so the database calls).
    workers: int = 8
    write_timeout_s: float = 10.0


class SwitchServer:
    def __init__(self, bank: Bank, limits: SwitchLimits | None = None) -> None:
        self.limits = limits or SwitchLimits()
        self.handler = SwitchHandler(bank)
        self._executor = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="switch")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None and self._server.sockets, "not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(
            self._accept, host, port, limit=self.limits.max_frame_bytes + 16
        )
        log.info("switch listening", host=host, port=self.address[1])
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.limits.max_connections:
            log.warning("switch connection refused: at the limit", limit=len(self._connections))
            await _close(writer)
            return
        self._connections.add(task)
        try:
            await self._serve_connection(reader, writer)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the server goes on, whatever one connection did
            # No local variables in the log: they may hold a card number.
            log.error("switch connection failed", error=repr(exc)[:200])
        finally:
            self._connections.discard(task)
            await _close(writer)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                payload = await read_frame(
                    reader, self.limits.max_frame_bytes, self.limits.read_timeout_s
                )
            except TimeoutError:
                log.info("switch connection timed out")
                return
            except (FramingError, ConnectionError) as exc:
                log.info("switch connection closed on a bad frame", reason=str(exc))
                return
            if payload is None:
                return
            answer = await loop.run_in_executor(self._executor, self.handler.handle, payload)
            if answer is None:
                return
            writer.write(frame(answer))
            async with asyncio.timeout(self.limits.write_timeout_s):
                await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def serve_switch(
    bank: Bank,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    limits: SwitchLimits | None = None,
) -> None:
    """Run the switch until ``stop`` is set (or the task is cancelled)."""
    server = SwitchServer(bank, limits)
    await server.start(host, port)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await server.stop()


@contextlib.contextmanager
def switch_in_thread(
    bank: Bank, host: str = "127.0.0.1", port: int = 0, limits: SwitchLimits | None = None
) -> Iterator[tuple[str, int]]:
    """Run the switch on its own event loop in a background thread; yields its address
    (``port`` 0: a free one)."""
    loop = asyncio.new_event_loop()
    server = SwitchServer(bank, limits)
    stop = asyncio.Event()
    started = threading.Event()
    failure: list[BaseException] = []

    async def main() -> None:
        try:
            await server.start(host, port)
        except BaseException as exc:
            failure.append(exc)
            started.set()
            return
        started.set()
        try:
            await stop.wait()
        finally:
            await server.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.name = "ebank-switch"
    thread.start()
    if not started.wait(STARTUP_TIMEOUT_S) or failure:
        raise RuntimeError("the switch did not start") from (failure[0] if failure else None)
    try:
        yield server.address
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()
