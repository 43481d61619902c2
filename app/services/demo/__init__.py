"""A realistic demonstration database for a small town in school zone C (``python -m app demo``).

Deterministic (seeded): the same ``today`` gives the same data. Reservations exist in every state relative
to ``today``: past ones transmitted with attendance, today's not yet transmitted, a full ALSH day with a
waitlist, a full ALAE Wednesday (no waitlist) with refused requests, cancellations with their refunds.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
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
    for model, label in ((Structure, "structures"), (Agent, "agents"), (Family, "familles")):
        n = session.scalar(select(func.count()).select_from(model))
        if n:
            return f"{n} {label}"
    return None


def wipe(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def load_demo(db: Database, today: date, *, force: bool = False, seed: int = 2026) -> DemoSummary:
    with db.writing() as uow:
        s = uow.session
        held = database_contents(s)
        if held and not force:
            raise DatabaseNotEmpty(held)
        if held:
            wipe(s)
        summary = DemoBuilder(s, today, seed).build()
        uow.commit()
    return summary
