"""The migrations build exactly the schema the code declares, on both databases, and can
be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ebank.adapters.db.engine import downgrade, make_engine, schema_revision, upgrade
from ebank.adapters.db.tables import metadata, schema_filter


def test_migrated_schema_matches_the_tables_module(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": schema_filter(conn.dialect.name)}
            )
            differences = compare_metadata(context, metadata)
        assert differences == []
        current, head = schema_revision(engine)
        assert current == head
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        downgrade(engine, "base")
        assert "transfers" not in inspect(engine).get_table_names()
        assert schema_revision(engine)[0] is None
        upgrade(engine)
        assert {"branches", "customers", "accounts", "transfers", "sequences"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
