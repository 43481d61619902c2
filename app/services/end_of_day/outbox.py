"""Queueing e-mails in the outbox table, in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...models import Family, OutboxMessage, OutboxStatus


def queue_email(
    session: Session, *, kind: str, dedup_key: str, family: Family, subject: str, body: str, now: datetime
) -> bool:
    """Write one outbox row (at most one per ``dedup_key``: a second one is left out, in one statement). False when
    the family has no e-mail address (nothing queued)."""
    if not family.email:
        return False
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(OutboxMessage)
        .values(
            kind=kind,
            dedup_key=dedup_key,
            family_id=family.id,
            recipient=family.email,
            subject=subject,
            body=body,
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )  # fmt: skip
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    return True
