"""Queueing e-mails in the outbox table, in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Family, OutboxMessage, OutboxStatus


def queue_email(
    session: Session, *, kind: str, dedup_key: str, family: Family, subject: str, body: str, now: datetime
) -> OutboxMessage | None:
    """Write one outbox row (at most one per ``dedup_key``); None when the family has no e-mail address."""
    if not family.email:
        return None
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
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
    )
    session.add(message)
    return message
