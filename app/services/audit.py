"""Writing the audit trail, inside the same transaction as the change it records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def record(
    session: Session,
    *,
    at: datetime,
    action: str,
    entity: str,
    entity_id: object | None = None,
    agent_id: int | None = None,
    structure_id: int | None = None,
    family_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        agent_id=agent_id,
        structure_id=structure_id,
        family_id=family_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    session.add(entry)
    return entry


def audit_rows(
    session: Session,
    *,
    family_id: int | None = None,
    agent_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """The audit trail, newest first, filtered by family, agent and period (for the viewer)."""
    from sqlalchemy import select

    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if family_id is not None:
        stmt = stmt.where(AuditEntry.family_id == family_id)
    if agent_id is not None:
        stmt = stmt.where(AuditEntry.agent_id == agent_id)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end)
    return list(session.scalars(stmt))
