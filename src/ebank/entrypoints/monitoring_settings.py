"""Settings of terminal monitoring, read from ``EBANK_MONITOR_*`` and validated at
start-up: the silent thresholds by day and at night, when night is in the bank's time
zone, where alarms are notified, and how often the background jobs run.

(Kept beside its entry points until the lead folds it into ``config.Settings``.)
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ebank.domain.monitoring import MonitoringPolicy

_DEFAULT = MonitoringPolicy()


class MonitoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EBANK_MONITOR_", extra="ignore")

    silent_day_s: int = Field(default=_DEFAULT.silent_day_s, ge=30, le=86_400)
    silent_night_s: int = Field(default=_DEFAULT.silent_night_s, ge=30, le=86_400)
    night_start: time = _DEFAULT.night_start
    night_end: time = _DEFAULT.night_end
    timezone: str = _DEFAULT.timezone
    alarm_email: str = Field(default=_DEFAULT.alarm_email, min_length=3, max_length=200)
    alarm_sms: str = Field(default=_DEFAULT.alarm_sms, min_length=3, max_length=200)
    # The background jobs: the alarm check and the outbox relay, every period_s.
    period_s: float = Field(default=30.0, ge=0.05, le=3600)
    relay_batch: int = Field(default=100, ge=1, le=500)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def policy(self) -> MonitoringPolicy:
        return MonitoringPolicy(
            silent_day_s=self.silent_day_s,
            silent_night_s=self.silent_night_s,
            night_start=self.night_start,
            night_end=self.night_end,
            timezone=self.timezone,
            alarm_email=self.alarm_email,
            alarm_sms=self.alarm_sms,
        )
