"""Rate limiting per client address and per user (429 with Retry-After).

Every request counts against its client address (an ASGI middleware, before any work is
done); an authenticated request counts against its user as well (``hit_user``, called
by ``deps.current_actor``), so that one user spread over many addresses is held back too.
Moving windows, in memory: each API process limits on its own; behind a load balancer
the effective limit is the per-process limit times the number of processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from ebank.config import Settings
from ebank.domain.errors import RateLimited
from ebank.entrypoints.api.problems import problem


@dataclass(frozen=True, slots=True)
class RateLimits:
    limiter: MovingWindowRateLimiter
    per_address: RateLimitItem
    per_user: RateLimitItem

    def retry_after_s(self, item: RateLimitItem, *identifiers: str) -> int:
        reset_at = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def install(app: FastAPI, settings: Settings) -> None:
    """Add the rate-limiting middleware to ``app``."""
    limits = RateLimits(
        limiter=MovingWindowRateLimiter(MemoryStorage()),
        per_address=parse(settings.rate_limit_per_address),
        per_user=parse(settings.rate_limit_per_user),
    )
    app.state.rate_limits = limits
    app.add_middleware(PerAddressLimit, limits=limits)


def hit_user(request: Request, user_id: int) -> None:
    """Count one request of ``user_id``; ``RateLimited`` when over the limit."""
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if limits is None:
        return
    key = f"user:{user_id}"
    if not limits.limiter.hit(limits.per_user, key):
        raise RateLimited(limits.retry_after_s(limits.per_user, key))


class PerAddressLimit:
    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = f"address:{client[0] if client else ''}"
        if self.limits.limiter.hit(self.limits.per_address, key):
            await self.app(scope, receive, send)
            return
        retry_after = self.limits.retry_after_s(self.limits.per_address, key)
        response = problem(
            "rate_limited",
            "too many requests from your address",
            instance=scope.get("path"),
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
