"""A realistic demonstration database for a small town in school zone C (``python -m app demo``).

Deterministic (seeded): the same ``today`` gives the same data. Reservations exist in every state relative
to ``today``: past ones transmitted with attendance, today's not yet transmitted, a full ALSH day with a
waitlist, a full ALAE Wednesday (no waitlist) with refused requests, cancellations with their refunds.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Agent, Base, Family, Structure
from ..errors import DatabaseNotEmpty
from ..uow import Database
from .history import DemoBuilder
from .reference import DEMO_PASSWORD, ZONE, DemoSummary, demo_school_year

__all__ = [
    "DEMO_PASSWORD",
    "ZONE",
    "DemoSummary",
    "database_contents",
    "demo_school_year",
    "load_demo",
    "wipe",
]


def database_contents(session: Session) -> str | None:
    """A short French description of what the database holds, or None when it is empty."""
    counts = (
        (Structure, "structures", None),
        (Agent, "agents", Agent.system.is_(False)),
        (Family, "familles", None),
    )
    for model, label, where in counts:
        stmt = select(func.count()).select_from(model)
        n = session.scalar(stmt if where is None else stmt.where(where))
        if n:
            return f"{n} {label}"
    return None


def wipe(db: Database) -> None:
    """Every table emptied by rebuilding the schema (ledger, payments and audit rows refuse a DELETE)."""
    from ...db import upgrade

    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # its sessions' table and functions depend on the agents' table
            from ... import pg_security

            pg_security.uninstall(conn)
        Base.metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(db.engine)


def load_demo(db: Database, today: date, *, force: bool = False, seed: int = 2026) -> DemoSummary:
    with db.reading() as uow:
        held = database_contents(uow.session)
    if held and not force:
        raise DatabaseNotEmpty(held)
    if held:
        wipe(db)
    with db.writing() as uow:
        summary = DemoBuilder(uow.session, today, seed).build()
        uow.commit()
    return summary
