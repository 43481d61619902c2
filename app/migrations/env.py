"""Alembic environment: the engine comes from ``app.db.upgrade`` (or the alembic CLI's URL)."""

from __future__ import annotations

from alembic import context

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


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
