"""Rate limiting per client address and per user (429 with Retry-After)."""

from __future__ import annotations

from fastapi import FastAPI

from ebank.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the rate-limiting middleware to ``app``."""
