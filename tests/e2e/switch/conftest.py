from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.switch.support import ATM, POS, World, make_world, signed_on
from ebank.adapters.iso8583.client import SwitchClient
from ebank.bootstrap import Bank
from ebank.entrypoints.switch.server import switch_in_thread


@pytest.fixture
def switch_address(bank: Bank) -> Iterator[tuple[str, int]]:
    with switch_in_thread(bank) as address:
        yield address


@pytest.fixture
def world(bank: Bank) -> World:
    return make_world(bank)


@pytest.fixture
def client(world: World, switch_address: tuple[str, int]) -> Iterator[SwitchClient]:
    host, port = switch_address
    with SwitchClient(host, port, timeout_s=30) as connected:
        signed_on(connected, ATM, POS)
        yield connected
