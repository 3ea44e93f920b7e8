"""Settings, read from the environment (``EBANK_*``) and validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/ebank.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EBANK_", extra="ignore")

    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///... or postgresql://...",
    )
    db_pool_size: int = Field(default=8, ge=1, le=200)

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
