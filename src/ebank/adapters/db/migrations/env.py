"""Alembic environment: runs the migrations on the connection the caller hands over
(``config.attributes["connection"]``) or on ``sqlalchemy.url``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

# Importing the table modules registers their tables on the one metadata.
import ebank.adapters.db.tables_access
import ebank.adapters.db.tables_channels
import ebank.adapters.db.tables_phone
import ebank.adapters.db.tables_switch  # noqa: F401
from ebank.adapters.db.tables import metadata, schema_filter

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=schema_filter(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=conn.dialect.name == "sqlite",
            include_object=schema_filter(conn.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run them against a database")
run_migrations_online()
