"""The till of a structure: its receipt counter (gapless numbers, locked in the payment's transaction), the lock
that orders payments, reversals, adjustments and the cash closing, and the closed cash day that nothing can be
dated on any more."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...models import DayClosing, DepositCounter, ReceiptCounter
from ...text import short_date
from ..errors import DomainError


class DayClosed(DomainError):
    def __init__(self, day: date) -> None:
        super().__init__(
            f"La caisse du {short_date(day)} est clôturée : aucun règlement, annulation ou ajustement ne peut y être "
            "enregistré."
        )


def ensure_day_open(session: Session, structure_id: int, day: date, agent_id: int | None) -> None:
    if till_closing(session, structure_id, agent_id, day) is not None:
        raise DayClosed(day)


class TillClosed(DomainError):
    """A payment whose till (the agent who took it, that day) is closed: its figures are those that were counted."""

    def __init__(self, receipt: str, agent: str, day: date) -> None:
        super().__init__(
            f"Le règlement {receipt} appartient à la caisse de {agent} du {short_date(day)}, déjà clôturée : il ne peut "
            "plus être annulé. Pour rendre l'argent à la famille, faites un ajustement négatif (remboursement)."
        )


def till_closing(session: Session, structure_id: int, agent_id: int | None, day: date) -> int | None:
    """The closing of one till (a structure, the agent who took the payments, a day), if it is closed."""
    return session.scalar(
        select(DayClosing.id).where(
            DayClosing.structure_id == structure_id,
            DayClosing.business_date == day,
            DayClosing.agent_id == agent_id,
        )
    )


def receipt_number(year: int, seq: int) -> str:
    """The printed receipt number: "2026-000123" (gapless per structure and year)."""
    return f"{year}-{seq:06d}"


def printed_receipt_number(structure_code: str, number: str) -> str:
    """The number on paper: the structure's code first (« ALSH-MONTECH-2026-000050 »), since each structure numbers
    its receipts from 1 and two of them print the same « 2026-000050 »."""
    return f"{structure_code}-{number}"


def regie_of(structure: Any) -> str:
    """The régie a structure's receipts and arrêté name: its own name and act, else the structure."""
    name = structure.regie_name or f"Régie de {structure.name}"
    return f"{name} ({structure.regie_act})" if structure.regie_act else name


Counter = type[ReceiptCounter] | type[DepositCounter]
"""A gapless sequence per structure and year: the receipts', the cheque deposits'."""


def _ensure_counter(session: Session, counter: Counter, structure_id: int, year: int) -> None:
    """The counter's row of (structure, year), created at 0 on first use (two transactions creating it at once:
    one inserts, the other finds it)."""
    values = {"structure_id": structure_id, "year": year, "last_seq": 0}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(counter).values(**values).on_conflict_do_nothing())


def next_seq(session: Session, counter: Counter, structure_id: int, year: int) -> int:
    """Increment and return the counter of (structure, year), creating it on first use; the row stays locked
    until the transaction ends, so a rollback gives the number back and the numbers have no gaps."""
    _ensure_counter(session, counter, structure_id, year)
    return session.execute(
        update(counter)
        .where(counter.structure_id == structure_id, counter.year == year)
        .values(last_seq=counter.last_seq + 1)
        .returning(counter.last_seq)
    ).scalar_one()


def next_receipt_seq(session: Session, structure_id: int, year: int) -> int:
    """The next receipt number of (structure, year): it also locks the till (its counter's row)."""
    return next_seq(session, ReceiptCounter, structure_id, year)


def lock_till(session: Session, structure_id: int, year: int) -> None:
    """Lock the structure's till for the year (its receipt counter row): payments, reversals, adjustments and
    the cash closing of the same structure wait for each other, so none lands on a day being closed."""
    _ensure_counter(session, ReceiptCounter, structure_id, year)
    session.execute(
        select(ReceiptCounter.last_seq)
        .where(ReceiptCounter.structure_id == structure_id, ReceiptCounter.year == year)
        .with_for_update()
    )
