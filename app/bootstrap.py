"""Opening the database for a command: URL choice, connection check, schema check (and first run)."""

from __future__ import annotations

import logging
from datetime import date

from .clock import Clock, SystemClock, local_today
from .config import choose_database
from .db import check_schema, current_revision, head_revision, is_empty, make_engine, ping, upgrade
from .services.uow import Database

log = logging.getLogger(__name__)


def open_database(
    cli_url: str | None = None,
    *,
    clock: Clock | None = None,
    first_run_demo: bool = False,
    demo_today: date | None = None,
) -> Database:
    """Connect and make sure the schema is at head.

    A SQLite file is migrated automatically (it belongs to this counter); a shared PostgreSQL server is only
    migrated by ``python -m app migrate``. With ``first_run_demo``, the default local database is filled with
    the demonstration data the first time, so that a newcomer sees something real.
    """
    choice = choose_database(cli_url)
    engine = make_engine(choice.url)
    ping(engine)
    clock = clock or SystemClock()
    if engine.dialect.name == "sqlite" and current_revision(engine) != head_revision():
        fresh = is_empty(engine)
        log.info("migrating local database %s", engine.url.database)
        upgrade(engine)
        if fresh and first_run_demo and choice.is_default_local:
            from .services.demo import load_demo

            log.info("first run: loading demonstration data")
            load_demo(Database(engine, clock), demo_today or local_today(clock))
    check_schema(engine)
    return Database(engine, clock)
