"""A bank whose Twilio auth token is known, served for real (uvicorn on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from e2e.switch.support import World, make_world
from ebank.adapters.clock import FixedClock
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.entrypoints.api.server import serving_in_thread

TWILIO_TOKEN = "twilio-test-auth-token-0123456789"


@pytest.fixture
def bank(database_url: str, clock: FixedClock) -> Iterator[Bank]:
    settings = Settings(
        database_url=database_url,
        environment="test",
        twilio_auth_token=SecretStr(TWILIO_TOKEN),
    )
    built = build(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def world(bank: Bank) -> World:
    return make_world(bank)


@pytest.fixture
def http(bank: Bank) -> Iterator[httpx.Client]:
    with serving_in_thread(bank) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
