"""The PostgreSQL connections of a process (issue 31): a counter keeps SQLAlchemy's pool (5, up to 15 at a busy
moment), a portal worker its own (5, up to 8: 4 workers stay within 32 of the server's 100 connections), the
environment sizes either (``GUICHET_DB_POOL_SIZE``, ``GUICHET_DB_MAX_OVERFLOW``), and behind PgBouncer in transaction
mode (``GUICHET_DB_PGBOUNCER=1``) psycopg prepares no statement and sends no session setting."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import (
    MAX_OVERFLOW_ENV,
    PGBOUNCER_ENV,
    POOL_SIZE_ENV,
    PoolSettings,
    make_engine,
    pool_settings,
)
from app.services.errors import ConfigurationError

SOMEWHERE = (
    "postgresql+psycopg://guichet@127.0.0.1:1/nulle_part"  # never connected: the pool is set up lazily
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (POOL_SIZE_ENV, MAX_OVERFLOW_ENV, PGBOUNCER_ENV):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _pool(engine) -> tuple[int, int]:  # noqa: ANN001
    return engine.pool.size(), engine.pool._max_overflow


def test_a_counter_keeps_sqlalchemys_pool(environ):
    engine = make_engine(SOMEWHERE)
    assert _pool(engine) == (5, 10)
    assert pool_settings() == PoolSettings(5, 10, pgbouncer=False)


def test_a_portal_worker_has_its_own_smaller_pool(environ):
    from app.web.asgi import portal_pool

    assert portal_pool() == PoolSettings(5, 3) and portal_pool().most == 8
    assert _pool(make_engine(SOMEWHERE, pool=portal_pool())) == (5, 3)


def test_the_environment_sizes_the_pool_of_a_counter_and_of_a_portal_worker(environ):
    from app.web.asgi import portal_pool

    environ.setenv(POOL_SIZE_ENV, " 3 ")
    environ.setenv(MAX_OVERFLOW_ENV, "0")
    assert _pool(make_engine(SOMEWHERE)) == (3, 0)
    assert portal_pool() == PoolSettings(3, 0)
    environ.setenv(MAX_OVERFLOW_ENV, "")  # empty: the default
    assert portal_pool() == PoolSettings(3, 3)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (POOL_SIZE_ENV, "0"),
        (POOL_SIZE_ENV, "cinq"),
        (POOL_SIZE_ENV, "2.5"),
        (MAX_OVERFLOW_ENV, "-1"),
        (POOL_SIZE_ENV, "100000"),
    ],
)
def test_a_size_that_is_not_a_whole_number_in_range_is_refused_in_french(environ, name, value):
    """0 or -1 would mean « no limit » to SQLAlchemy: exactly what the setting is there to prevent."""
    environ.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"{name} : un nombre entier"):
        make_engine(SOMEWHERE)


def test_sqlite_is_not_sized(environ, tmp_path):
    environ.setenv(POOL_SIZE_ENV, "cinq")  # read for PostgreSQL only
    make_engine(f"sqlite:///{tmp_path / 'un.sqlite3'}").dispose()


def test_behind_pgbouncer_no_statement_is_prepared_and_no_session_setting_is_sent(environ, backend, db_url):
    """Through PgBouncer in transaction mode each transaction may run on another server connection: a statement
    psycopg prepared on one would be missing on the next, and the startup ``options`` would be refused (PgBouncer
    before 1.20) or dropped — the role carries the timeouts instead (README)."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's connections")
    direct = make_engine(db_url)
    environ.setenv(PGBOUNCER_ENV, "1")
    pooled = make_engine(db_url, pool=pool_settings(2, 1))
    assert pool_settings(2, 1).pgbouncer and _pool(pooled) == (2, 1)
    source = text("SELECT source FROM pg_settings WHERE name = 'statement_timeout'")
    prepared = text("SELECT count(*) FROM pg_prepared_statements")
    try:
        with direct.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold == 5  # psycopg's default
            assert conn.execute(source).scalar() == "client"  # the startup options: statement_timeout=15s…
            for _ in range(10):  # psycopg prepares a statement run for the 5th time
                conn.execute(text("SELECT 1"))
            assert conn.execute(prepared).scalar() > 0
        with pooled.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None
            assert conn.execute(source).scalar() != "client"
            for _ in range(10):
                conn.execute(text("SELECT 1"))
            assert conn.execute(prepared).scalar() == 0
    finally:
        direct.dispose()
        pooled.dispose()
