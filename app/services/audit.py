"""Writing the audit trail, inside the same transaction as the change it records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Concatenate, ParamSpec

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import AuditEntry, table_of

P = ParamSpec("P")


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


def row(
    session: Session,
    /,
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
    sealed: bool = True,
) -> dict[str, Any]:
    """The values of one row of the trail (``record`` adds it to the session, ``insert_rows`` writes many in one
    statement). A family's row (``family_id``) has its before, after and reason sealed with the family's key
    (``sealing``): anonymisation erases them, the row itself stays. ``sealed=False`` for a family's row that holds
    nothing personal (the anonymisation's own row, written once the key is gone)."""
    before_value = _jsonable(before) if before is not None else None
    after_value = _jsonable(after) if after is not None else None
    if family_id is not None and sealed:
        from .sealing import seal, seal_json

        before_value = seal_json(session, family_id, before_value) if before_value is not None else None
        after_value = seal_json(session, family_id, after_value) if after_value is not None else None
        reason = seal(session, family_id, reason) if reason is not None else None
    return {
        "at": at,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "agent_id": agent_id,
        "structure_id": structure_id,
        "family_id": family_id,
        "before": before_value,
        "after": after_value,
        "reason": reason,
    }


def _added(
    values: Callable[Concatenate[Session, P], dict[str, Any]],
) -> Callable[Concatenate[Session, P], AuditEntry]:
    def add(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> AuditEntry:
        entry = AuditEntry(**values(session, *args, **kwargs))
        session.add(entry)
        return entry

    add.__doc__ = (
        "One row of the trail (``row``), added to the session: written with the transaction's next flush."
    )
    return add


record = _added(row)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows made by ``row``, written in their order by one multi-row INSERT (after what the session holds)."""
    if rows:
        session.flush()
        session.execute(insert(table_of(AuditEntry)), rows)


def opened(session: Session, entry: AuditEntry) -> tuple[Any, Any, str]:
    """An entry's before, after and reason as written (unsealed; ``sealing.ERASED`` once the family is
    anonymised)."""
    from .sealing import opened as unseal
    from .sealing import opened_text

    return unseal(session, entry.before), unseal(session, entry.after), opened_text(session, entry.reason)


def _filtered(
    stmt: Any, family_ids: Any, agent_id: int | None, start: datetime | None, end: datetime | None
) -> Any:
    if family_ids is not None:
        stmt = stmt.where(AuditEntry.family_id.in_(family_ids))
    if agent_id is not None:
        stmt = stmt.where(AuditEntry.agent_id == agent_id)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end)
    return stmt


def audit_rows(
    session: Session,
    *,
    family_id: int | None = None,
    family_ids: Any = None,
    agent_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[AuditEntry]:
    """The audit trail, newest first, filtered by family (one, or a selection: ``family_ids``), agent and period;
    ``limit`` rows from ``offset`` (a page of the viewer)."""
    from sqlalchemy import select

    chosen = [family_id] if family_id is not None else family_ids
    stmt = _filtered(select(AuditEntry), chosen, agent_id, start, end)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))


def audit_count(
    session: Session,
    *,
    family_ids: Any = None,
    agent_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """How many rows ``audit_rows`` pages through."""
    from sqlalchemy import func, select

    return int(
        session.scalar(
            _filtered(select(func.count()).select_from(AuditEntry), family_ids, agent_id, start, end)
        )
        or 0
    )
