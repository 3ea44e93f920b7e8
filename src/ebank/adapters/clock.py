"""The clock and identifier adapters: the only places that read time or make ids."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import uuid6

BANK_TIMEZONE = ZoneInfo("Asia/Shanghai")


class SystemClock:
    def __init__(self, tz: ZoneInfo = BANK_TIMEZONE) -> None:
        self.tz = tz

    def now_us(self) -> int:
        return time.time_ns() // 1000

    def today(self) -> date:
        return datetime.now(self.tz).date()


class FixedClock:
    """A clock that moves only when told to: for tests, demos and replays."""

    def __init__(self, now_us: int, tz: ZoneInfo = BANK_TIMEZONE) -> None:
        self._now_us = now_us
        self.tz = tz

    def now_us(self) -> int:
        return self._now_us

    def today(self) -> date:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self._now_us)
        return at.astimezone(self.tz).date()

    def advance(self, seconds: float) -> None:
        self._now_us += int(seconds * 1_000_000)

    def set(self, now_us: int) -> None:
        self._now_us = now_us


class TimeOrderedIds:
    """UUIDv7: ids that sort by creation time, which keeps index inserts local."""

    def new_id(self) -> UUID:
        return UUID(int=uuid6.uuid7().int)
