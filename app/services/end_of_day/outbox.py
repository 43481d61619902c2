"""Queueing e-mails in the outbox table, in the same transaction as the change they announce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...models import Family, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Email:
    """One e-mail to queue for a family (``queue_emails``)."""

    kind: str
    dedup_key: str
    family: Family
    subject: str
    body: str


def queue_email(
    session: Session, *, kind: str, dedup_key: str, family: Family, subject: str, body: str, now: datetime
) -> bool:
    """Write one outbox row (at most one per ``dedup_key``: a second one is left out, in one statement). False when
    the family has no e-mail address (nothing queued)."""
    return queue_emails(session, [Email(kind, dedup_key, family, subject, body)], now) == 1


def queue_emails(session: Session, emails: Sequence[Email], now: datetime) -> int:
    """Write the e-mails' outbox rows in one statement, in their order (at most one per ``dedup_key``: a second one
    is left out); the families without an e-mail address get none. Returns how many were for an address."""
    rows = [
        {
            "kind": e.kind,
            "dedup_key": e.dedup_key,
            "family_id": e.family.id,
            "recipient": e.family.email,
            "subject": e.subject,
            "body": e.body,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for e in emails
        if e.family.email
    ]
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(OutboxMessage).values(rows).on_conflict_do_nothing(index_elements=["dedup_key"])
        )
    return len(rows)
