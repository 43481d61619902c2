"""Cash closing ("clôture de caisse") per agent, structure and day (DESIGN.md §2.6).

Expected totals per payment method come from the day's receipts taken by the agent, minus the reversals the
agent made that day. The agent enters the counted cash and cheques; the discrepancy needs a comment; a
supervisor validates. Once closed, the agent's day is locked (``closing_lock``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import (
    TILL_METHODS,
    Agent,
    ClosingLine,
    ClosingStatus,
    DayClosing,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Structure,
)
from ...text import count
from .. import audit
from ..actors import Actor
from ..bounds import AmountText, OperationKey, Text, checked
from ..errors import DomainError, UnknownEntity, ValidationError
from ..families.edit import FieldErrors
from ..permissions import rule
from ..uow import Database, Operation
from .amounts import format_eur, parse_amount
from .payments import METHOD_LABELS
from .till import lock_till


class AlreadyClosed(DomainError):
    def __init__(self, day: date) -> None:
        super().__init__(f"Votre caisse du {day:%d/%m/%Y} est déjà clôturée.")


@dataclass(frozen=True)
class MethodTotal:
    method: PaymentMethod
    label: str
    count: int
    cents: int


@dataclass
class CountedInput:
    cash: AmountText = ""
    cheque_count: Annotated[str, Text(max_len=6, label="nombre de chèques")] = ""
    cheque_total: AmountText = ""
    comment: Annotated[str, Text(DayClosing.comment)] = ""


@dataclass(frozen=True)
class ClosingRow:
    id: int
    agent: str
    business_date: date
    status: ClosingStatus
    discrepancy_cents: int
    comment: str
    validated_by: str
    lines: list[tuple[str, int, int, int | None, int | None]]
    """(method label, expected count, expected cents, counted count, counted cents)."""


def reversed_payments() -> Any:
    """The ids of the payments reversed (whenever and by whomever: the reversal belongs to the payment's till)."""
    return select(LedgerEntry.payment_id).where(
        LedgerEntry.kind == LedgerKind.REVERSAL, LedgerEntry.payment_id.is_not(None)
    )


def expected_totals(
    session: Session, structure_id: int, agent_id: int | None, day: date
) -> list[MethodTotal]:
    """What one till (a structure, the agent who took the payments, a day) should hold: its payments not reversed
    (a reversal, made by a régisseur or later, takes the payment out of the till that took it — docs/regie.md)."""
    totals = {m: [0, 0] for m in TILL_METHODS}  # an online payment is in no till (DESIGN §2.9)
    for method, cents in session.execute(
        select(Payment.method, Payment.amount_cents).where(
            Payment.structure_id == structure_id,
            Payment.agent_id == agent_id,
            Payment.business_date == day,
            Payment.method.in_(TILL_METHODS),
            Payment.id.not_in(reversed_payments()),
        )
    ):
        totals[method][0] += 1
        totals[method][1] += cents
    return [MethodTotal(m, METHOD_LABELS[m], totals[m][0], totals[m][1]) for m in TILL_METHODS]


@checked
def day_expected(db: Database, actor: Actor, structure_id: int, day: date | None = None) -> list[MethodTotal]:
    with db.reading() as uow:
        return expected_totals(uow.session, structure_id, actor.agent_id, day or local_today(db.clock))


NOT_COUNTED = {
    "cash": "Saisissez le montant des espèces comptées (0,00 si la caisse est vide).",
    "cheque_count": "Saisissez le nombre de chèques comptés (0 s'il n'y en a aucun).",
    "cheque_total": "Saisissez le total des chèques comptés (0,00 s'il n'y en a aucun).",
}
"""A counted field left empty: not counted, which is not 0 (0 is typed)."""


def _parse_counted(data: CountedInput) -> tuple[int, int, int]:
    """The counted cash (cents), number of cheques and cheques' total (cents); a field left empty is asked
    for, never taken as 0 (a false discrepancy)."""
    errors: dict[str, str] = {}
    values = {}
    for key, text, label in (("cash", data.cash, "espèces"), ("cheque_total", data.cheque_total, "chèques")):
        if not text.strip():
            errors[key] = NOT_COUNTED[key]
            continue
        try:
            values[key] = parse_amount(text)
            if values[key] < 0:
                errors[key] = f"Montant compté ({label}) négatif : « {text} »."
        except ValidationError as exc:
            errors[key] = f"Montant compté ({label}) : {exc}"
    count_text = data.cheque_count.strip()
    if not count_text:
        errors["cheque_count"] = NOT_COUNTED["cheque_count"]
    elif not re.fullmatch(r"[0-9]{1,6}", count_text):
        errors["cheque_count"] = f"Nombre de chèques invalide : « {count_text} »."
    if errors:
        raise FieldErrors({key: errors[key] for key in NOT_COUNTED if key in errors})
    return values["cash"], int(count_text), values["cheque_total"]


@checked
def close_cash(
    db: Database, actor: Actor, structure_id: int, data: CountedInput, *, key: OperationKey
) -> int:
    """The agent closes their cash for today: counted vs expected per method, discrepancy and comment. Every
    counted field is required (0 typed for an empty till): checked before anything is written."""
    cash, cheque_count, cheque_total = _parse_counted(data)

    def work(s: Session) -> int:
        now = db.clock.now()
        day = local_today(db.clock)
        if s.get(Structure, structure_id) is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        lock_till(s, structure_id, day.year)  # no payment of this structure can commit meanwhile
        if s.scalar(select(DayClosing.id).where(DayClosing.structure_id == structure_id,
                                                DayClosing.agent_id == actor.agent_id,
                                                DayClosing.business_date == day)) is not None:  # fmt: skip
            raise AlreadyClosed(day)
        expected = expected_totals(s, structure_id, actor.agent_id, day)
        counted = {PaymentMethod.CASH: (None, cash), PaymentMethod.CHEQUE: (cheque_count, cheque_total)}
        discrepancy = sum(counted[t.method][1] - t.cents for t in expected if t.method in counted)
        cheques_expected = next(t.count for t in expected if t.method is PaymentMethod.CHEQUE)
        comment = data.comment.strip()
        gaps = [f"écart de {format_eur(discrepancy)}"] if discrepancy else []
        if cheque_count != cheques_expected:  # one cheque of 65,50 € is not two of 40,00 and 25,50 €
            gaps.append(f"{count(cheque_count, 'chèque compté', 'chèques comptés')} pour "
                        f"{count(cheques_expected, 'attendu', 'attendus')}")  # fmt: skip
        if gaps and not comment:
            raise FieldErrors(
                {"comment": f"{'; '.join(gaps).capitalize()} : un commentaire est obligatoire."}
            )
        closing = DayClosing(structure_id=structure_id, agent_id=actor.agent_id, business_date=day,
                             status=ClosingStatus.CLOSED, discrepancy_cents=discrepancy, comment=comment,
                             closed_at=now)  # fmt: skip
        for t in expected:
            n, cents = counted.get(t.method, (t.count, t.cents))
            closing.lines.append(ClosingLine(method=t.method, expected_count=t.count, expected_cents=t.cents,
                                             counted_count=n, counted_cents=cents))  # fmt: skip
        s.add(closing)
        try:
            s.flush()
        except IntegrityError as exc:  # another session closed the same day at the same moment
            raise AlreadyClosed(day) from exc
        audit.record(s, at=now, action="closing.close", entity="day_closing", entity_id=closing.id,
                     agent_id=actor.agent_id, structure_id=structure_id,
                     after={"day": day, "discrepancy_cents": discrepancy,
                            "counted": {"cash": cash, "cheques": [cheque_count, cheque_total]}},
                     reason=comment or None)  # fmt: skip
        return closing.id

    return db.write(
        work,
        operation=Operation(key, "cash.close", int),
        actor=actor,
        rule=rule("money.cash_closing.close_cash"),
    )


@checked
def validate_closing(db: Database, actor: Actor, closing_id: int) -> None:
    """A régisseur (or an administrator) checks and validates another agent's closing, never his own."""

    def work(s: Session) -> None:
        closing = s.get(DayClosing, closing_id)
        if closing is None:
            raise UnknownEntity(f"Clôture inconnue (n° {closing_id}).")
        if closing.status is ClosingStatus.VALIDATED:
            raise ValidationError("Cette clôture est déjà validée.")
        if (
            closing.agent_id == actor.agent_id
        ):  # segregation of duties: who counted does not check his own count
            raise ValidationError(
                "Vous ne pouvez pas valider votre propre clôture : un autre régisseur ou un administrateur la valide."
            )
        now = db.clock.now()
        closing.status = ClosingStatus.VALIDATED
        closing.validated_by_id = actor.agent_id
        closing.validated_at = now
        audit.record(s, at=now, action="closing.validate", entity="day_closing", entity_id=closing.id,
                     agent_id=actor.agent_id, structure_id=closing.structure_id,
                     before={"status": "closed"}, after={"status": "validated"})  # fmt: skip

    db.write(work, actor=actor, rule=rule("money.cash_closing.validate_closing"))


@checked
def closings_of_day(db: Database, structure_id: int, day: date) -> list[ClosingRow]:
    with db.reading() as uow:
        s = uow.session
        names = dict(s.execute(select(Agent.id, Agent.full_name)).all())
        rows = []
        for c in s.scalars(
            select(DayClosing)
            .where(DayClosing.structure_id == structure_id, DayClosing.business_date == day)
            .order_by(DayClosing.closed_at)
        ):
            rows.append(
                ClosingRow(
                    c.id,
                    names.get(c.agent_id, "?"),
                    c.business_date,
                    c.status,
                    c.discrepancy_cents,
                    c.comment,
                    names.get(c.validated_by_id, "") if c.validated_by_id else "",
                    [
                        (
                            METHOD_LABELS[ln.method],
                            ln.expected_count,
                            ln.expected_cents,
                            ln.counted_count,
                            ln.counted_cents,
                        )
                        for ln in sorted(c.lines, key=lambda x: list(PaymentMethod).index(x.method))
                    ],  # fmt: skip
                )
            )
        return rows
