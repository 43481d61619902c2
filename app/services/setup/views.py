"""Plain rows for the administration screens and the audit viewer (read only)."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from ...clock import PARIS
from ...models import ActivityDay, Agent, AidType, Family, InfoMessage, Period
from .. import audit
from ..booking.waitlist import accepted_counts, waitlist_lengths
from ..bounds import Month, Offset, SearchText, Year, checked
from ..sealing import preload
from ..uow import Database


@dataclass(frozen=True)
class PeriodRow:
    id: int
    name: str
    school_year: str
    start: date
    end: date
    opening: date
    rule: str


@dataclass(frozen=True)
class DayRow:
    id: int
    day: date
    capacity: int
    accepted: int
    waiting: int
    closed: bool
    reason: str


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    agent: str
    action: str
    entity: str
    family: str
    reason: str
    before: str
    """What the row held before, whole (one « key : value » per line)."""
    after: str

    @property
    def details(self) -> str:
        """The after on one line (the table's column; the whole row under it)."""
        return " ; ".join(self.after.splitlines())


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    """Rows matching the filters, all pages together."""
    offset: int
    limit: int


@checked
def periods(db: Database, activity_id: int) -> list[PeriodRow]:
    with db.reading() as uow:
        return [
            PeriodRow(
                p.id, p.name, p.school_year, p.start_date, p.end_date, p.opening_date, p.opening_rule.value
            )
            for p in uow.session.scalars(
                select(Period).where(Period.activity_id == activity_id).order_by(Period.start_date)
            )
        ]


@checked
def days(db: Database, activity_id: int, year: Year, month: Month) -> list[DayRow]:
    first, last = date(year, month, 1), date(year, month, pycalendar.monthrange(year, month)[1])
    with db.reading() as uow:
        s = uow.session
        rows = list(
            s.scalars(
                select(ActivityDay)
                .where(ActivityDay.activity_id == activity_id, ActivityDay.day.between(first, last))
                .order_by(ActivityDay.day)
            )
        )
        taken = accepted_counts(s, [d.id for d in rows])
        waiting = waitlist_lengths(s, [d.id for d in rows])
        return [
            DayRow(d.id, d.day, d.capacity, taken[d.id], waiting[d.id], d.closed, d.closed_reason or "")
            for d in rows
        ]


@checked
def aid_catalogue(db: Database) -> list[tuple[int, str, str]]:
    with db.reading() as uow:
        return [
            (t.id, t.kind.value, t.name) for t in uow.session.scalars(select(AidType).order_by(AidType.name))
        ]


@checked
def messages(db: Database, structure_id: int) -> list[tuple[int, str, date, date | None]]:
    with db.reading() as uow:
        return [
            (m.id, m.title, m.valid_from, m.valid_to)
            for m in uow.session.scalars(
                select(InfoMessage)
                .where(InfoMessage.structure_id == structure_id)
                .order_by(InfoMessage.valid_from.desc())
            )
        ]


@checked
def agents(db: Database) -> list[tuple[int, str]]:
    with db.reading() as uow:
        return [
            (a.id, a.full_name) for a in uow.session.scalars(select(Agent).order_by(Agent.full_name))
        ]  # with "système"


JOURNAL_PAGE = 100
"""Rows of the journal shown at a time (« Précédents » / « Suivants » page through the rest)."""


def _shown(value: Any) -> str:
    """A before or an after, whole, one « key : value » per line (a list or a dict nested as JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"{k} : {_shown_inline(v)}" for k, v in value.items())
    return _shown_inline(value)


def _shown_inline(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@checked
def audit_view(
    db: Database,
    *,
    family: SearchText = "",
    agent_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    offset: Offset = 0,
) -> AuditPage:
    """A page of the journal, newest first: ``family`` is searched in the families' names, children and contacts
    (as at the counter), the before and after come whole and unsealed (« (effacé) » for an anonymised family)."""
    from ..families.search import family_ids_matching

    begin = datetime.combine(start, time(0, 0), tzinfo=PARIS) if start else None
    finish = datetime.combine(end + timedelta(days=1), time(0, 0), tzinfo=PARIS) if end else None
    with db.reading() as uow:
        s = uow.session
        ids = family_ids_matching(s, family) if family.strip() else None
        total = audit.audit_count(s, family_ids=ids, agent_id=agent_id, start=begin, end=finish)
        entries = audit.audit_rows(
            s, family_ids=ids, agent_id=agent_id, start=begin, end=finish, limit=JOURNAL_PAGE, offset=offset
        )
        names: dict[int | None, str] = dict(
            s.execute(
                select(Agent.id, Agent.full_name).where(
                    Agent.id.in_({e.agent_id for e in entries if e.agent_id is not None})
                )
            ).all()
        )
        families: dict[int | None, str] = dict(
            s.execute(
                select(Family.id, Family.name).where(
                    Family.id.in_({e.family_id for e in entries if e.family_id is not None})
                )
            ).all()
        )
        preload(s, {e.family_id for e in entries if e.family_id is not None})
        rows = []
        for e in entries:
            before, after, reason = audit.opened(s, e)
            rows.append(
                AuditRow(
                    e.at,
                    names.get(e.agent_id, "système"),
                    e.action,
                    f"{e.entity} {e.entity_id or ''}".strip(),
                    families.get(e.family_id, ""),
                    reason,
                    _shown(before),
                    _shown(after),
                )
            )
        return AuditPage(rows, total, offset, JOURNAL_PAGE)
