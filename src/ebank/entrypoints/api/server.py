"""Running the API under uvicorn: in the foreground (``ebank serve``) or in a thread
(tests, benchmarks)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from ebank.bootstrap import Bank
from ebank.entrypoints.api.app import create_app
from ebank.entrypoints.background import run_background_jobs
from ebank.entrypoints.switch.server import SwitchLimits, SwitchServer

STARTUP_TIMEOUT_S = 20.0


def make_server(bank: Bank, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(bank),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=5,
        limit_concurrency=512,
        server_header=False,
    )
    return uvicorn.Server(config)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving_in_thread(bank: Bank, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``bank`` in a background thread; yields the base URL."""
    port = port or free_port(host)
    server = make_server(bank, host, port)
    thread = threading.Thread(target=server.run, name="ebank-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def switch_limits(bank: Bank) -> SwitchLimits:
    settings = bank.settings
    return SwitchLimits(
        max_connections=settings.switch_max_connections,
        read_timeout_s=settings.switch_read_timeout_s,
        workers=settings.db_pool_size,
    )


async def serve_bank(bank: Bank, server: uvicorn.Server, switch: SwitchServer) -> None:
    """``ebank serve``: uvicorn (API and web), the ISO 8583 switch and the background
    jobs on one event loop. Ctrl-C stops uvicorn (its own signal handling); then the
    switch closes its connections and the jobs finish their round, before the process
    ends."""
    settings = bank.settings
    await switch.start(settings.switch_host, settings.switch_port)
    stop = asyncio.Event()
    jobs = asyncio.create_task(run_background_jobs(bank, stop), name="ebank-background")
    try:
        await server.serve()
    finally:
        stop.set()
        await switch.stop()
        await jobs
