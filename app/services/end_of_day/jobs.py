"""The worker's daily jobs (the end of day at its hour): done once per day however many workers run.

A worker claims the job for the day (a lease, committed) before running it, and marks it done after; a worker that
dies while holding it leaves the lease to expire, and another one takes the job over. The end of day itself is
idempotent (``transmit_day``), so a job taken over after its work committed does nothing twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...models import ScheduledJob
from ..bounds import Range, Text, checked
from ..uow import Database

JobName = Annotated[str, Text(ScheduledJob.name, label="tâche")]
Holder = Annotated[str, Text(ScheduledJob.claimed_by, label="processus")]
Minutes = Annotated[int, Range(1, 24 * 60, "durée")]


@checked
def claim_daily(db: Database, name: JobName, day: date, holder: Holder, lease_minutes: Minutes = 30) -> bool:
    """Take the job ``name`` for ``day`` unless it was done for that day or another worker holds it now."""

    def work(s: Session) -> bool:
        now = db.clock.now()
        insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
        s.execute(insert(ScheduledJob).values(name=name).on_conflict_do_nothing())
        job = s.scalar(
            select(ScheduledJob).where(ScheduledJob.name == name).with_for_update(skip_locked=True)
        )
        if job is None:  # another worker is deciding right now
            return False
        if job.done_for is not None and job.done_for >= day:
            return False
        if job.claimed_until is not None and job.claimed_until > now and job.claimed_by != holder:
            return False
        job.claimed_until, job.claimed_by = now + timedelta(minutes=lease_minutes), holder
        return True

    return db.write(work)


@checked
def finish_daily(
    db: Database,
    name: JobName,
    day: date,
    holder: Holder,
    result: Annotated[str, Text(max_len=4000, multiline=True)] = "",
) -> None:
    """The job is done for ``day`` (its lease released); ``result``: what it did, for the record."""

    def work(s: Session) -> None:
        job = s.get(ScheduledJob, name, with_for_update=True)
        if job is None or job.claimed_by != holder:
            return
        job.done_for, job.claimed_until, job.claimed_by = day, None, None
        job.last_run_at, job.last_result = db.clock.now(), result

    db.write(work)


@checked
def release_daily(db: Database, name: JobName, holder: Holder, retry_minutes: Minutes = 10) -> None:
    """The job failed: any worker takes it again ``retry_minutes`` later (not at each round meanwhile)."""

    def work(s: Session) -> None:
        job = s.get(ScheduledJob, name, with_for_update=True)
        if job is not None and job.claimed_by == holder:
            job.claimed_until = db.clock.now() + timedelta(minutes=retry_minutes)
            job.claimed_by = None  # nobody holds it: the lease alone keeps it until then

    db.write(work)


@checked
def done_for(db: Database, name: JobName) -> date | None:
    with db.reading() as uow:
        return uow.session.scalar(select(ScheduledJob.done_for).where(ScheduledJob.name == name))
