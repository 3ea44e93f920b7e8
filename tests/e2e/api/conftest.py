"""The Bank API served for real: uvicorn on a loopback port, called with httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ebank.bootstrap import Bank
from ebank.entrypoints.api.server import serving_in_thread


@pytest.fixture
def api_url(bank: Bank) -> Iterator[str]:
    """The base URL of the API serving ``bank`` (SQLite and PostgreSQL)."""
    with serving_in_thread(bank) as url:
        yield url


@pytest.fixture
def http(api_url: str) -> Iterator[httpx.Client]:
    """An HTTP client with no credentials."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client
