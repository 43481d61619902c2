"""A closed cash day is locked: no payment, reversal or adjustment can be dated on it by that agent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import DayClosing
from ..errors import DomainError


class DayClosed(DomainError):
    def __init__(self, day: date) -> None:
        super().__init__(
            f"La caisse du {day:%d/%m/%Y} est clôturée : aucun règlement, annulation ou ajustement ne peut y être "
            "enregistré."
        )


def ensure_day_open(session: Session, structure_id: int, day: date, agent_id: int | None) -> None:
    closed = session.scalar(
        select(DayClosing.id).where(
            DayClosing.structure_id == structure_id,
            DayClosing.business_date == day,
            DayClosing.agent_id == agent_id,
        )
    )
    if closed is not None:
        raise DayClosed(day)
