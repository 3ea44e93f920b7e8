"""Settings, read from the environment (``EBANK_*``) and validated at start-up."""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ebank.adapters.crypto.keys import (
    TEST_PIN_VERIFICATION_KEY,
    TEST_ZONE_KEY_REF,
    TEST_ZONE_KEYS,
    is_test_key_material,
)
from ebank.domain.cards import DEFAULT_BIN, CardLimits, CardPolicy
from ebank.domain.monitoring import MonitoringPolicy

DEFAULT_DATABASE_URL = "sqlite:///var/ebank.db"
# Development only: refused in production (check_for_production).
DEV_TWILIO_TOKEN = "ebank-development-telephony-token"  # noqa: S105
DEV_SECRET_KEY = "ebank-development-secret-key-not-for-production"  # noqa: S105


_CARDS = CardPolicy()


class CardSettings(BaseSettings):
    """The card numbering and the most a card's own limits may be (``EBANK_CARD_*``)."""

    model_config = SettingsConfigDict(env_prefix="EBANK_CARD_", extra="ignore")

    bin: str = Field(default=DEFAULT_BIN, pattern=r"^[0-9]{6,8}$")
    pan_length: int = Field(default=_CARDS.pan_length, ge=13, le=19)
    validity_years: int = Field(default=_CARDS.validity_years, ge=1, le=10)
    # The bank's maximum per card and per day, in minor units (fen).
    max_atm_daily_minor: int = Field(default=_CARDS.maximum.atm_daily_minor, ge=0)
    max_atm_daily_count: int = Field(default=_CARDS.maximum.atm_daily_count, ge=0)
    max_pos_daily_minor: int = Field(default=_CARDS.maximum.pos_daily_minor, ge=0)
    # What a new card gets (capped at the maximum).
    atm_daily_minor: int = Field(default=_CARDS.default.atm_daily_minor, ge=0)
    atm_daily_count: int = Field(default=_CARDS.default.atm_daily_count, ge=0)
    pos_daily_minor: int = Field(default=_CARDS.default.pos_daily_minor, ge=0)

    def policy(self) -> CardPolicy:
        maximum = CardLimits(
            self.max_atm_daily_minor, self.max_atm_daily_count, self.max_pos_daily_minor
        )
        default = CardLimits(
            min(self.atm_daily_minor, maximum.atm_daily_minor),
            min(self.atm_daily_count, maximum.atm_daily_count),
            min(self.pos_daily_minor, maximum.pos_daily_minor),
        )
        return CardPolicy(
            bin=self.bin,
            pan_length=self.pan_length,
            validity_years=self.validity_years,
            maximum=maximum,
            default=default,
        )


_MONITORING = MonitoringPolicy()


class MonitoringSettings(BaseSettings):
    """Terminal monitoring (``EBANK_MONITOR_*``): silent thresholds by day and night, when
    night is, where alarms go, and how often the background jobs run."""

    model_config = SettingsConfigDict(env_prefix="EBANK_MONITOR_", extra="ignore")

    silent_day_s: int = Field(default=_MONITORING.silent_day_s, ge=30, le=86_400)
    silent_night_s: int = Field(default=_MONITORING.silent_night_s, ge=30, le=86_400)
    night_start: time = _MONITORING.night_start
    night_end: time = _MONITORING.night_end
    timezone: str = _MONITORING.timezone
    alarm_email: str = Field(default=_MONITORING.alarm_email, min_length=3, max_length=200)
    alarm_sms: str = Field(default=_MONITORING.alarm_sms, min_length=3, max_length=200)
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EBANK_", extra="ignore")

    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///... or postgresql://...",
    )
    db_pool_size: int = Field(default=8, ge=1, le=200)

    # The Bank API
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # Encrypts stored second-factor secrets; at least 32 characters.
    secret_key: str = Field(default=DEV_SECRET_KEY, min_length=32)
    access_token_ttl_s: int = Field(default=300, ge=30, le=3600)
    refresh_token_ttl_s: int = Field(default=8 * 3600, ge=300, le=7 * 86400)
    # Lockout: after this many failures in a row, locked for lockout_base_s, doubling
    # with every further lockout up to lockout_max_s.
    lockout_threshold: int = Field(default=5, ge=1, le=20)
    lockout_base_s: int = Field(default=60, ge=1)
    lockout_max_s: int = Field(default=86_400, ge=1)
    # Rate limits, in the notation of the ``limits`` library ("120/minute").
    rate_limit_per_address: str = "600/minute"
    rate_limit_per_user: str = "300/minute"
    # Payments above this amount (minor units) need a one-time code bound to them.
    step_up_threshold_minor: int = Field(default=500_000, ge=0)
    step_up_ttl_s: int = Field(default=300, ge=30, le=3600)
    # Cards: read from EBANK_CARD_* (see CardSettings).
    cards: CardSettings = Field(default_factory=CardSettings)
    # Terminal monitoring: read from EBANK_MONITOR_* (see MonitoringSettings).
    monitor: MonitoringSettings = Field(default_factory=MonitoringSettings)
    # PIN security (docs/cards-and-pins.md). Zone PIN keys by reference, as JSON:
    # EBANK_ZONE_KEYS='{"ZPK-ATM-1": "tdes:<32 or 48 hex>:<KCV>"}'; the PIN verification
    # key (at least 32 hex digits); the zone key of the old system's card file. The
    # defaults are the public TEST keys: development and tests only, refused in prod.
    zone_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {ref: SecretStr(spec) for ref, spec in TEST_ZONE_KEYS.items()}
    )
    pin_verification_key: SecretStr = SecretStr(TEST_PIN_VERIFICATION_KEY)
    migration_zone_key_ref: str = TEST_ZONE_KEY_REF
    # The ISO 8583 switch (ATMs and POS terminals), started by ``ebank serve``.
    switch_host: str = "127.0.0.1"
    switch_port: int = Field(default=8583, ge=1, le=65535)
    switch_max_connections: int = Field(default=256, ge=1, le=10_000)
    # A terminal that sends nothing (not even an echo) for this long is disconnected.
    switch_read_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    # SMS banking and alerts (docs/sms.md): which transport sends and receives SMS.
    sms_transport: Literal["console", "smpp", "webhook"] = "console"
    sms_source_addr: str = "95599"
    smpp_host: str = "127.0.0.1"
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = "ebank"
    smpp_password: SecretStr = SecretStr("")
    sms_webhook_url: str = ""  # where outbound messages are POSTed
    sms_webhook_account: str = ""
    sms_webhook_token: SecretStr = SecretStr("")  # also checks inbound signatures
    # The public URL of /telephony/sms/twilio as the provider signs it ("" = as received).
    sms_webhook_public_url: str = ""
    # Telephone banking (docs/telephony.md): the Twilio account's auth token, which signs
    # every voice webhook; the public base URL Twilio calls ("" = as received); where
    # "speak to an agent" transfers the call ("" = no transfer: the ticket is opened).
    # The Twilio-style webhook signing token; the development one is refused in prod.
    twilio_auth_token: SecretStr = SecretStr(DEV_TWILIO_TOKEN)
    telephony_public_url: str = ""
    ivr_agent_number: str = ""

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("EBANK_DATABASE_URL must be a sqlite: or postgresql: URL")
        return value

    def check_for_production(self) -> None:
        """Refuse settings that only make sense on a developer's machine."""
        if self.environment == "prod" and self.database_url.startswith("sqlite:"):
            raise ValueError("production runs on PostgreSQL: set EBANK_DATABASE_URL")
        if self.environment == "prod" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError("production needs its own EBANK_SECRET_KEY")
        if self.migration_zone_key_ref not in self.zone_keys:
            raise ValueError("EBANK_MIGRATION_ZONE_KEY_REF names no key of EBANK_ZONE_KEYS")
        if self.environment == "prod" and any(
            is_test_key_material(key.get_secret_value())
            for key in [*self.zone_keys.values(), self.pin_verification_key]
        ):
            raise ValueError(
                "production refuses the TEST PIN keys: set EBANK_ZONE_KEYS and"
                " EBANK_PIN_VERIFICATION_KEY"
            )
        if self.environment == "prod" and self.twilio_auth_token.get_secret_value() in (
            "",
            DEV_TWILIO_TOKEN,
        ):
            raise ValueError("production needs its own EBANK_TWILIO_AUTH_TOKEN")

    def zone_key_specs(self) -> dict[str, str]:
        """The zone PIN keys as written (``tdes:HEX[:KCV]``), for the HSM only."""
        return {ref: key.get_secret_value() for ref, key in self.zone_keys.items()}

    def pin_verification_key_hex(self) -> str:
        return self.pin_verification_key.get_secret_value()
