"""Cash closing ("clôture de caisse") per agent, structure and day (docs/regie.md).

Expected totals per payment method come from the payments the agent took that day at the structure and that were
not reversed (a reversal belongs to the till of the payment, whoever makes it). The agent enters the counted cash,
cheques (by number and total, or ticked one by one) and the card terminal's ticket; a discrepancy in amount or in
the number of cheques needs a comment; another régisseur or an administrator validates. Once closed, the till
takes nothing more, and a régisseur closes late a past day's till left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import (
    TILL_METHODS,
    Agent,
    ClosingLine,
    ClosingStatus,
    DayClosing,
    Family,
    LedgerEntry,
    LedgerKind,
    MissingCheque,
    Payment,
    PaymentMethod,
    Structure,
)
from ...text import count, denomination, format_eur, short_date
from .. import audit
from ..actors import Actor
from ..bounds import AmountText, OperationKey, Text, checked
from ..errors import DomainError, UnknownEntity, ValidationError
from ..families.edit import FieldErrors
from ..permissions import rule
from ..uow import Database, Operation
from .amounts import parse_amount
from .payments import METHOD_LABELS
from .till import lock_till


class AlreadyClosed(DomainError):
    def __init__(self, day: date) -> None:
        super().__init__(f"Votre caisse du {short_date(day)} est déjà clôturée.")


@dataclass(frozen=True)
class MethodTotal:
    method: PaymentMethod
    label: str
    count: int
    cents: int


DENOMINATIONS = (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)
"""The euro's notes and coins, in cents (what « compter par coupures » offers)."""


@dataclass
class CountedInput:
    cash: AmountText = ""
    cheque_count: Annotated[str, Text(max_len=6, label="nombre de chèques")] = ""
    cheque_total: AmountText = ""
    comment: Annotated[str, Text(DayClosing.comment)] = ""
    card_total: AmountText = ""
    """The card terminal's ticket total for the day; required when card payments are expected."""
    cheques_present: list[int] | None = None
    """The expected cheques ticked one by one (their payments' ids); None: counted by number and total only."""
    cash_by_denomination: list[tuple[int, int]] | None = None
    """Optional: (value in cents, how many) per note or coin; their sum must be the cash typed."""


@dataclass(frozen=True)
class ExpectedCheque:
    payment_id: int
    receipt: str
    bank: str
    number: str
    drawer: str
    family: str
    cents: int


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
    late_by: str = ""
    """Closed after its day by this régisseur (a till left open); "" when its agent closed it."""
    notes: tuple[str, ...] = ()
    """What the lines say besides the figures (the cash by denomination, the missing cheques)."""


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
    totals = {m: [0, 0] for m in TILL_METHODS}  # an online payment is in no till (docs/regie.md)
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
    "card_total": "Saisissez le total du ticket de fin de journée du terminal de carte bancaire.",
}
"""A counted field left empty: not counted, which is not 0 (0 is typed)."""


def _amount(text: str, key: str, label: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        errors[key] = NOT_COUNTED[key]
        return None
    try:
        cents = parse_amount(text)
    except ValidationError as exc:
        errors[key] = f"Montant compté ({label}) : {exc}"
        return None
    if cents < 0:
        errors[key] = f"Montant compté ({label}) négatif : « {text.strip()} »."
        return None
    return cents


def _parse_counted(data: CountedInput, *, cards_expected: bool) -> tuple[int, int, int, int | None]:
    """The counted cash (cents), number of cheques, cheques' total and card terminal's total (None when no card
    payment is expected and none was typed); a field left empty is asked for, never taken as 0 (a false
    discrepancy). Cheques ticked one by one (``cheques_present``) need no number nor total typed."""
    errors: dict[str, str] = {}
    cash = _amount(data.cash, "cash", "espèces", errors)
    ticked = data.cheques_present is not None
    cheque_total = 0 if ticked else _amount(data.cheque_total, "cheque_total", "chèques", errors)
    card = None
    if cards_expected or data.card_total.strip():
        card = _amount(data.card_total, "card_total", "carte bancaire", errors)
    count_text = "0" if ticked else data.cheque_count.strip()
    if not count_text:
        errors["cheque_count"] = NOT_COUNTED["cheque_count"]
    elif not re.fullmatch(r"[0-9]{1,6}", count_text):
        errors["cheque_count"] = f"Nombre de chèques invalide : « {count_text[:20]} » (un nombre entier)."
    if data.cash_by_denomination is not None and cash is not None:
        unknown = [v for v, _ in data.cash_by_denomination if v not in DENOMINATIONS]
        if unknown or any(n < 0 or n > 100_000 for _, n in data.cash_by_denomination):
            errors["cash"] = "Détail des espèces invalide (coupures en euros, nombres positifs)."
        elif sum(v * n for v, n in data.cash_by_denomination) != cash:
            total = sum(v * n for v, n in data.cash_by_denomination)
            errors["cash"] = f"Le détail par coupures fait {format_eur(total)}, pas {format_eur(cash)}."
    if errors:
        order = (*NOT_COUNTED, "comment")
        raise FieldErrors({key: errors[key] for key in order if key in errors})
    assert cash is not None and cheque_total is not None
    return cash, int(count_text), cheque_total, card


def _denominations(detail: list[tuple[int, int]] | None) -> str | None:
    """« 3 × 20 €, 2 × 1 € »: the cash line's note."""
    if not detail:
        return None
    return ", ".join(f"{n} × {denomination(v)}" for v, n in sorted(detail, reverse=True) if n)[:200]


def till_cheques(s: Session, structure_id: int, agent_id: int | None, day: date) -> list[ExpectedCheque]:
    """The cheques a till should hold (not reversed), with what the agent ticks them by."""
    from ..sealing import opened_text

    rows = s.execute(
        select(Payment, Family.name)
        .join(Family, Payment.family_id == Family.id)
        .where(
            Payment.structure_id == structure_id,
            Payment.agent_id == agent_id,
            Payment.business_date == day,
            Payment.method == PaymentMethod.CHEQUE,
            Payment.id.not_in(reversed_payments()),
        )
        .order_by(Payment.receipt_seq)
    ).all()
    return [
        ExpectedCheque(
            p.id,
            p.receipt_number,
            opened_text(s, p.cheque_bank),
            opened_text(s, p.cheque_number),
            opened_text(s, p.cheque_drawer) if p.cheque_drawer else "",
            name,
            p.amount_cents,
        )
        for p, name in rows
    ]


@checked
def day_cheques(
    db: Database, actor: Actor, structure_id: int, day: date | None = None
) -> list[ExpectedCheque]:
    """The cheques of the agent's till today, to tick one by one."""
    with db.reading() as uow:
        return till_cheques(uow.session, structure_id, actor.agent_id, day or local_today(db.clock))


def _close(
    s: Session,
    now: Any,
    actor: Actor,
    structure_id: int,
    agent_id: int,
    day: date,
    data: CountedInput,
    *,
    late: bool,
) -> int:
    """Inside a transaction: one till (structure, agent, day) counted, compared and closed."""
    if s.get(Structure, structure_id) is None:
        raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
    lock_till(s, structure_id, day.year)  # no payment or reversal of this till can commit meanwhile
    if (
        s.scalar(
            select(DayClosing.id).where(
                DayClosing.structure_id == structure_id,
                DayClosing.agent_id == agent_id,
                DayClosing.business_date == day,
            )
        )
        is not None
    ):
        raise AlreadyClosed(day)
    expected = {t.method: t for t in expected_totals(s, structure_id, agent_id, day)}
    cash, cheque_count, cheque_total, card = _parse_counted(
        data, cards_expected=expected[PaymentMethod.CARD].count > 0
    )
    missing: list[ExpectedCheque] = []
    if data.cheques_present is not None:  # ticked one by one: the count and total are the ticked ones'
        cheques = {c.payment_id: c for c in till_cheques(s, structure_id, agent_id, day)}
        strangers = [i for i in data.cheques_present if i not in cheques]
        if strangers:
            raise FieldErrors(
                {"cheque_count": "Un chèque coché n'est pas de cette caisse : rouvrez la clôture."}
            )
        present = set(data.cheques_present)
        missing = [c for i, c in cheques.items() if i not in present]
        cheque_count, cheque_total = len(present), sum(cheques[i].cents for i in present)
    counted: dict[PaymentMethod, tuple[int | None, int]] = {
        PaymentMethod.CASH: (None, cash),
        PaymentMethod.CHEQUE: (cheque_count, cheque_total),
    }
    if card is not None:
        counted[PaymentMethod.CARD] = (None, card)
    discrepancy = sum(counted[m][1] - t.cents for m, t in expected.items() if m in counted)
    cheques_expected = expected[PaymentMethod.CHEQUE].count
    comment = data.comment.strip()
    gaps = [f"écart de {format_eur(discrepancy)}"] if discrepancy else []
    if cheque_count != cheques_expected:  # one cheque of 65,50 € is not two of 40,00 and 25,50 €
        gaps.append(
            f"{count(cheque_count, 'chèque compté', 'chèques comptés')} pour "
            f"{count(cheques_expected, 'attendu', 'attendus')}"
        )
    if missing:
        gaps.append("chèque manquant : " + ", ".join(f"{c.receipt} ({format_eur(c.cents)})" for c in missing))
    if gaps and not comment:
        raise FieldErrors({"comment": f"{' ; '.join(gaps).capitalize()} : un commentaire est obligatoire."})
    closing = DayClosing(
        structure_id=structure_id,
        agent_id=agent_id,
        business_date=day,
        status=ClosingStatus.CLOSED,
        discrepancy_cents=discrepancy,
        comment=comment,
        closed_at=now,
        late=late,
        closed_by_id=actor.agent_id if late else None,
    )
    notes = {
        PaymentMethod.CASH: _denominations(data.cash_by_denomination),
        PaymentMethod.CHEQUE: ("manquants : " + ", ".join(c.receipt for c in missing))[:200]
        if missing
        else None,
        PaymentMethod.CARD: "compté d'après le ticket du terminal" if card is not None else None,
    }
    for m, t in expected.items():
        n, cents = counted.get(m, (t.count, t.cents))
        closing.lines.append(
            ClosingLine(
                method=m,
                expected_count=t.count,
                expected_cents=t.cents,
                counted_count=n,
                counted_cents=cents,
                note=notes.get(m),
            )
        )
    s.add(closing)
    try:
        s.flush()
    except IntegrityError as exc:  # another session closed the same till at the same moment
        raise AlreadyClosed(day) from exc
    # the cheques the agent did not have: the régisseur's deposit leaves them out until they are found
    s.add_all(MissingCheque(payment_id=c.payment_id, closing_id=closing.id) for c in missing)
    audit.record(
        s,
        at=now,
        action="closing.late" if late else "closing.close",
        entity="day_closing",
        entity_id=closing.id,
        agent_id=actor.agent_id,
        structure_id=structure_id,
        after={
            "day": day,
            "agent": agent_id,
            "discrepancy_cents": discrepancy,
            "counted": {"cash": cash, "cheques": [cheque_count, cheque_total], "card": card},
            "missing_cheques": [c.receipt for c in missing],
        },
        reason=comment or None,
    )
    return closing.id


@checked
def close_cash(
    db: Database, actor: Actor, structure_id: int, data: CountedInput, *, key: OperationKey
) -> int:
    """The agent closes his till of today at this structure (another structure's till is closed from there):
    counted vs expected per method, discrepancy and comment. Every counted field is required (0 typed for an empty
    till): checked before anything is written."""

    def work(s: Session) -> int:
        assert actor.agent_id is not None  # ``authorize`` has found the agent
        return _close(
            s, db.clock.now(), actor, structure_id, actor.agent_id, local_today(db.clock), data, late=False
        )

    return db.write(
        work,
        operation=Operation(key, "cash.close", int),
        actor=actor,
        rule=rule("money.cash_closing.close_cash"),
    )


@dataclass(frozen=True)
class OpenTill:
    """A till of a past day nobody closed: its agent, day and what it should hold."""

    structure_id: int
    agent_id: int
    agent: str
    day: date
    payments: int
    cents: int


@checked
def open_past_tills(db: Database, structure_id: int) -> list[OpenTill]:
    """The tills of days before today that took payments and were never closed (the régisseur closes them late)."""
    today = local_today(db.clock)
    with db.reading() as uow:
        s = uow.session
        closed = select(DayClosing.id).where(
            DayClosing.structure_id == Payment.structure_id,
            DayClosing.agent_id == Payment.agent_id,
            DayClosing.business_date == Payment.business_date,
        )
        rows = s.execute(
            select(
                Payment.agent_id,
                Agent.full_name,
                Payment.business_date,
                func.count(),
                func.sum(Payment.amount_cents),
            )
            .join(Agent, Agent.id == Payment.agent_id)
            .where(
                Payment.structure_id == structure_id,
                Payment.business_date < today,
                Payment.method.in_(TILL_METHODS),
                ~closed.exists(),
            )
            .group_by(Payment.agent_id, Agent.full_name, Payment.business_date)
            .order_by(Payment.business_date, Agent.full_name)
        ).all()
    return [
        OpenTill(structure_id, a, name, d, n, int(cents or 0))
        for a, name, d, n, cents in rows
        if a is not None
    ]


@checked
def close_late(
    db: Database,
    actor: Actor,
    structure_id: int,
    agent_id: int,
    day: date,
    data: CountedInput,
    *,
    key: OperationKey,
) -> int:
    """A régisseur closes a till of a past day that was left open (its agent absent, forgotten): counted as he finds
    it, marked late, with who counted; validated afterwards by another régisseur or an administrator."""

    def work(s: Session) -> int:
        if day >= local_today(db.clock):
            raise ValidationError(
                "Seule une caisse d'un jour passé se clôture en retard ; celle du jour, son agent la clôture."
            )
        if s.get(Agent, agent_id) is None:
            raise UnknownEntity(f"Agent inconnu (n° {agent_id}).")
        return _close(s, db.clock.now(), actor, structure_id, agent_id, day, data, late=True)

    return db.write(
        work,
        operation=Operation(key, "cash.close_late", int),
        actor=actor,
        rule=rule("money.cash_closing.close_late"),
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
        audit.record(
            s,
            at=now,
            action="closing.validate",
            entity="day_closing",
            entity_id=closing.id,
            agent_id=actor.agent_id,
            structure_id=closing.structure_id,
            before={"status": "closed"},
            after={"status": "validated"},
        )

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
                    ],
                    names.get(c.closed_by_id or 0, "?") if c.late else "",
                    tuple(f"{METHOD_LABELS[ln.method]} : {ln.note}" for ln in c.lines if ln.note),
                )
            )
        return rows
