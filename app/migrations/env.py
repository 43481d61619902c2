"""Alembic environment: the engine comes from ``app.db.upgrade`` (or the alembic CLI's URL)."""

from __future__ import annotations

from alembic import context

from app.db import include_object
from app.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from app.config import choose_database
    from app.db import make_engine

    url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
    return make_engine(url or choose_database().url)


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """SQLite rebuilds a table to alter it (batch mode): foreign keys are switched off meanwhile, outside any
    transaction (SQLite ignores the pragma inside one), and checked before they are switched on again."""
    raw = connection.connection.dbapi_connection
    if on:
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
