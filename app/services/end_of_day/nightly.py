"""The end of day as the scheduled job and the worker run it (``python -m app nightly``, ``python -m app worker``):
the day's requests transmitted with one compte-rendu per family queued, and the day's online payments summed up per
structure. Idempotent: a second run for the same day transmits and queues nothing."""

from __future__ import annotations

from datetime import date

from ..bounds import checked
from ..money.online import online_day_summary
from ..uow import Database
from .transmission import transmit_day


@checked
def end_of_day(db: Database, day: date, actor_id: int | None = None) -> list[str]:
    """Transmit ``day`` and say what was done, in French lines (the e-mails are sent by the outbox's sender)."""
    return transmit_day(db, day, actor_id=actor_id).lines() + online_day_summary(db, day)
