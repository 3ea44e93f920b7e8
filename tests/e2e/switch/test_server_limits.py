"""The server's own limits over TCP: a frame over the maximum, a connection over the
limit and a silent connection are closed, and the server goes on answering."""

from __future__ import annotations

import pytest

from e2e.switch.support import network
from ebank.adapters.iso8583.client import SwitchClient, SwitchClosedConnection
from ebank.bootstrap import Bank
from ebank.entrypoints.switch.server import SwitchLimits, switch_in_thread


def test_oversized_frames_extra_connections_and_silence_are_cut_off(bank: Bank) -> None:
    limits = SwitchLimits(max_connections=2, read_timeout_s=0.5)
    with switch_in_thread(bank, limits=limits) as (host, port):
        with SwitchClient(host, port) as big:
            big.send_raw(b"\x7f\xff" + b"0" * 64)  # 32 KiB announced
            with pytest.raises(SwitchClosedConnection):
                big.receive_payload()
        with SwitchClient(host, port) as first, SwitchClient(host, port) as second:
            assert first.request(network("301", "NOSUCH01"))["39"] == "58"
            assert second.request(network("301", "NOSUCH01"))["39"] == "58"
            with SwitchClient(host, port) as third, pytest.raises(ConnectionError):
                third.request(network("301", "NOSUCH01"))
            # silent past the read time-out: the switch hangs up (no sleep: the read
            # blocks until the server closes)
            with pytest.raises(SwitchClosedConnection):
                first.receive_payload()
        with SwitchClient(host, port) as later:
            assert later.request(network("301", "NOSUCH01"))["39"] == "58"
