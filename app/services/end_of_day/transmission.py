"""End of day: transmit the day's requests, queue one "compte-rendu" e-mail per family, list what the report needs.

Idempotent: a second run for the same day finds nothing left to transmit and queues nothing (outbox keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import (
    Activity,
    ActivityDay,
    Adult,
    Attendance,
    Child,
    Family,
    OutboxMessage,
    OutboxStatus,
    Reservation,
    ReservationStatus,
    Structure,
    Wallet,
)
from ...text import collation_key, count, debit_warning, format_eur, long_date, short_date, signature
from .. import audit
from ..booking.lifecycle import refunded
from ..bounds import checked
from ..families.view import state_label
from ..uow import Database, Shown

OUTCOMES = {
    "accepted": ("acceptée", "acceptées"),
    "waitlisted": ("en liste d'attente", "en liste d'attente"),
    "refused": ("refusée", "refusées"),
    "cancelled": ("annulée", "annulées"),
}
"""A reservation's outcome after a number of requests, singular and plural."""


def transmitted(n: int) -> str:
    """« 1 demande transmise », « 36 demandes transmises »."""
    return count(n, "demande transmise", "demandes transmises")


@dataclass
class EndOfDayReport:
    day: date
    transmitted: int = 0
    families_notified: int = 0
    families_without_email: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    already_done: bool = False

    def lines(self) -> list[str]:
        if self.already_done:
            return [f"Journée du {short_date(self.day)} : déjà transmise, rien à faire."]
        lines = [
            f"Journée du {short_date(self.day)} : {transmitted(self.transmitted)}.",
            f"{count(self.families_notified, 'compte-rendu mis', 'comptes-rendus mis')} en file d'envoi.",
        ]
        if self.outcomes:
            lines.append(
                "Résultats : "
                + ", ".join(count(v, *OUTCOMES.get(k, (k, k))) for k, v in sorted(self.outcomes.items()))
                + "."
            )
        if (
            self.families_without_email
        ):  # a count: this report goes to logs (their names are in the day's report)
            lines.append(
                f"{count(len(self.families_without_email), 'famille', 'familles')} sans e-mail à prévenir autrement "
                "(leurs noms : rapport de clôture du jour, au guichet)."
            )
        return lines


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=PARIS)


@checked
def transmit_day(
    db: Database, day: date, progress: Callable[[str, int], None] | None = None, actor_id: int | None = None
) -> EndOfDayReport:
    """Mark every request made up to the end of ``day`` and not yet transmitted as transmitted, then queue one
    compte-rendu per family listing those requests and their outcomes."""
    report = EndOfDayReport(day)

    def step(text: str, percent: int) -> None:
        if progress is not None:
            progress(text, percent)

    def work(s: Session) -> EndOfDayReport:
        now = db.clock.now()
        conn = s.connection()
        step("Recherche des demandes non transmises…", 10)
        rows = conn.execute(_PENDING, {"end": _end_of(day)}).all()
        if not rows:
            report.already_done = True
            step("Rien à transmettre.", 100)
            return report
        ids = [row.id for row in rows]
        for i in range(0, len(ids), _CHUNK):
            conn.execute(_TRANSMIT, {"ids": ids[i : i + _CHUNK], "now": now})
        outcomes: defaultdict[str, int] = defaultdict(int)
        for row in rows:
            outcomes[row.status.value] += 1
        step(f"{transmitted(len(rows))} ; préparation des comptes-rendus…", 50)
        subject = f"Compte-rendu de vos réservations du {short_date(day)}"
        lines = _Lines()
        family_ids = sorted({row.family_id for row in rows})
        balances, refunds = _balances_and_refunds(s, family_ids, ids)
        messages: list[dict[str, object]] = []
        families = 0
        for family_id, group in groupby(rows, key=lambda row: row.family_id):
            items = list(group)
            families += 1
            family = items[0]
            if not family.email:
                report.families_without_email.append(family.name)
                continue
            messages.append(
                {
                    "kind": "compte_rendu",
                    "family_id": family_id,
                    "recipient": family.email,
                    "dedup_key": f"compte-rendu:{family_id}:{day.isoformat()}:{now.isoformat()}",
                    "subject": subject,
                    "body": _compte_rendu(items, day, lines, balances.get(family_id, 0), refunds),
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
            )
        if messages:  # one row per key: a key already queued keeps its message (idempotent)
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedup_key"]), messages)
        report.families_notified = len(messages)
        report.transmitted = len(rows)
        report.outcomes = dict(outcomes)
        audit.record(
            s,
            at=now,
            action="nightly.transmit",
            entity="day",
            entity_id=day.isoformat(),
            agent_id=actor_id,
            after={
                "transmitted": len(rows),
                "families": families,
                "without_email": len(report.families_without_email),
            },
        )
        step("Transmission terminée.", 100)
        return report

    return db.write(work, changed=(Shown.PLACES,))  # « transmise » on each reservation


_REQUESTS = (
    select(
        Reservation.id,
        Reservation.status,
        Reservation.price_cents,
        Reservation.waitlist_position,
        Reservation.refusal_reason,
        Family.id.label("family_id"),
        Family.name,
        Family.email,
        Child.first_name,
        ActivityDay.day,
        Activity.name.label("activity_name"),
        Structure.city.label("town"),
    )
    .join(Child, Child.id == Reservation.child_id)
    .join(Family, Family.id == Child.family_id)
    .join(ActivityDay, ActivityDay.id == Reservation.activity_day_id)
    .join(Activity, Activity.id == ActivityDay.activity_id)
    .join(Structure, Structure.id == Activity.structure_id)
)
"""What a compte-rendu says of each request (columns only: no entity is loaded)."""
_ORDER = (Family.id, Child.first_name, ActivityDay.day, Reservation.id)
_PENDING = _REQUESTS.where(
    Reservation.transmitted_at.is_(None),
    or_(Reservation.requested_at < bindparam("end"), Reservation.cancelled_at < bindparam("end")),
).order_by(*_ORDER)
"""The requests made or cancelled up to the end of the day and not yet transmitted, with what their
compte-rendu says, family by family (columns only: no entity is loaded)."""
_TRANSMIT = (
    update(Reservation)
    .where(Reservation.id.in_(bindparam("ids", expanding=True)))
    .values(transmitted_at=bindparam("now", type_=Reservation.transmitted_at.type))
)
_CHUNK = 10_000
"""Requests marked per UPDATE (SQLite takes at most 32,766 parameters)."""


class _Lines:
    """The compte-rendu's texts that repeat across families (a day, an amount), formatted once per run."""

    def __init__(self) -> None:
        self._days: dict[date, str] = {}
        self._amounts: dict[int, str] = {}

    def day(self, d: date) -> str:
        text = self._days.get(d)
        if text is None:
            text = self._days[d] = short_date(d, weekday=True)
        return text

    def amount(self, cents: int) -> str:
        text = self._amounts.get(cents)
        if text is None:
            text = self._amounts[cents] = format_eur(cents)
        return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _balances_and_refunds(
    s: Session, family_ids: list[int], ids: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Each family's balance now (all wallets) and what each request's cancellation refunded."""
    balances: dict[int, int] = {}
    refunds: dict[int, int] = {}
    for i in range(0, len(family_ids), _CHUNK):
        chunk = family_ids[i : i + _CHUNK]
        balances.update(
            (f, int(c or 0))
            for f, c in s.execute(
                select(Wallet.family_id, func.sum(Wallet.balance_cents))
                .where(Wallet.family_id.in_(chunk))
                .group_by(Wallet.family_id)
            )
        )
    for i in range(0, len(ids), _CHUNK):
        refunds.update(refunded(s, ids[i : i + _CHUNK]))
    return balances, refunds


def _compte_rendu(
    items: list[Row[*tuple[Any, ...]]], day: date, texts: _Lines, balance: int, refunds: dict[int, int]
) -> str:
    """The body of one family's compte-rendu, from its rows of ``_PENDING``: each request's outcome, what a
    cancellation refunded, the account's balance after them (and a warning when it is in debit)."""
    lines = [
        "Bonjour,",
        "",
        f"Voici le compte-rendu du traitement de vos demandes enregistrées jusqu'au {long_date(day)} :",
        "",
    ]
    waiting = False
    for row in items:
        head = f"- {row.first_name} – {row.activity_name} – {texts.day(row.day)} :"
        if row.status is ReservationStatus.CANCELLED:
            refunded = refunds.get(row.id, 0)
            lines.append(
                f"{head} Annulation enregistrée"
                + (f", {texts.amount(refunded)} remboursés sur votre compte" if refunded else "")
            )
            continue
        price = (
            f" – {texts.amount(row.price_cents)}"
            if row.status is ReservationStatus.ACCEPTED and row.price_cents
            else ""
        )
        waiting = waiting or row.status is ReservationStatus.WAITLISTED
        lines.append(f"{head} Réservation {_lower_first(state_label(cast(Reservation, row)))}{price}")
    lines += ["", f"Solde de votre compte après ces opérations : {texts.amount(balance)}."]
    if balance < 0:
        lines.append(debit_warning(texts.amount(-balance)))
    if waiting:
        lines += [
            "",
            "Les demandes en liste d'attente vous seront confirmées par e-mail si une place se libère ; "
            "si elles ne vous intéressent plus, pensez à les annuler au plus tôt.",
        ]
    lines += ["", signature(items[0].town)]
    return "\n".join(lines)


@dataclass(frozen=True)
class Letter:
    """A compte-rendu on paper, for a family without an e-mail address."""

    family: str
    address: tuple[str, ...]
    body: str


@checked
def compte_rendu_letters(db: Database, day: date, structure_id: int | None = None) -> list[Letter]:
    """The comptes-rendus of the families without e-mail who made or cancelled requests on ``day`` (at
    ``structure_id``, or at every structure), as the e-mail would say them: the end of day prints them in one
    batch."""
    start = datetime.combine(day, time(0, 0), tzinfo=PARIS)
    query = (
        _REQUESTS.add_columns(Family.address, Family.postal_code, Family.city)
        .where(
            or_(Family.email.is_(None), Family.email == ""),
            Family.anonymized_at.is_(None),
            or_(
                Reservation.requested_at.between(start, _end_of(day)),
                Reservation.cancelled_at.between(start, _end_of(day)),
            ),
        )
        .order_by(*_ORDER)
    )
    if structure_id is not None:
        query = query.where(Activity.structure_id == structure_id)
    with db.reading() as uow:
        s = uow.session
        rows = s.execute(query).all()
        balances, refunds = _balances_and_refunds(
            s, sorted({r.family_id for r in rows}), [r.id for r in rows]
        )
        addressees: dict[int, str] = {}
        for fid, first_name, last_name in s.execute(
            select(Adult.family_id, Adult.first_name, Adult.last_name)
            .where(Adult.family_id.in_({r.family_id for r in rows}))
            .order_by(Adult.id)
        ):
            addressees.setdefault(fid, f"{first_name} {last_name.upper()}")
    lines = _Lines()
    letters = []
    for family_id, group in groupby(rows, key=lambda row: row.family_id):
        items = list(group)
        first = items[0]
        to = addressees.get(family_id, f"Famille {first.name}")
        address = tuple(x for x in (to, first.address, f"{first.postal_code} {first.city}".strip()) if x)
        letters.append(
            Letter(first.name, address, _compte_rendu(items, day, lines, balances.get(family_id, 0), refunds))
        )
    return sorted(letters, key=lambda x: collation_key(x.family))


@dataclass(frozen=True)
class AbsenceRow:
    child: str
    family: str
    activity: str
    day: date
    price_cents: int
    certificate: bool


@checked
def absences(db: Database, structure_id: int, day: date) -> list[AbsenceRow]:
    """Absences of the day in the structure's activities: billed unless a certificate was recorded."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Reservation, Child, Family.name, Activity.name)
            .join(Reservation.child)
            .join(Child.family)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(
                Activity.structure_id == structure_id,
                ActivityDay.day == day,
                Reservation.status == ReservationStatus.ACCEPTED,
                Reservation.attendance == Attendance.ABSENT,
            )
        ).all()
        rows = sorted(
            rows, key=lambda row: collation_key(row[1].last_name, row[1].first_name)
        )  # by the child's name
        return [
            AbsenceRow(
                f"{c.first_name} {c.last_name}",
                fam,
                act,
                day,
                res.price_cents or 0,
                res.certificate_at is not None,
            )
            for res, c, fam, act in rows
        ]


@checked
def absences_recorded(db: Database, structure_id: int, day: date) -> list[AbsenceRow]:
    """Absences and medical certificates recorded on ``day`` at the structure, whatever day they concern (an absence
    pointed on Monday for last Friday, a certificate brought two days later): the arrêté of the day they were
    recorded shows them, as the refunds they bring are that day's."""
    from datetime import datetime, time, timedelta

    from ...clock import PARIS
    from ...models import AuditEntry

    start = datetime.combine(day, time(0, 0), tzinfo=PARIS)
    with db.reading() as uow:
        s = uow.session
        ids = {
            int(i)
            for i in s.scalars(
                select(AuditEntry.entity_id).where(
                    AuditEntry.entity == "reservation",
                    AuditEntry.at >= start,
                    AuditEntry.at < start + timedelta(days=1),
                    AuditEntry.action.in_(("reservation.attendance", "reservation.certificate")),
                )
            )
            if i and i.isdigit()
        }
        if not ids:
            return []
        rows = s.execute(
            select(Reservation, Child, Family.name, Activity.name, ActivityDay.day)
            .join(Reservation.child)
            .join(Child.family)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(
                Reservation.id.in_(ids),
                Activity.structure_id == structure_id,
                Reservation.attendance == Attendance.ABSENT,
            )
            .order_by(ActivityDay.day, Child.last_name, Child.first_name)
        ).all()
        return [
            AbsenceRow(
                f"{c.first_name} {c.last_name}",
                fam,
                act,
                d,
                res.price_cents or 0,
                res.certificate_at is not None,
            )
            for res, c, fam, act, d in rows
        ]


@checked
def families_without_email(db: Database, structure_id: int, day: date) -> list[str]:
    """Families who made requests in the structure that day and cannot receive the compte-rendu."""
    start = datetime.combine(day, time(0, 0), tzinfo=PARIS)
    with db.reading() as uow:
        return sorted(
            uow.session.scalars(
                select(Family.name)
                .distinct()
                .join(Child, Child.family_id == Family.id)
                .join(Reservation, Reservation.child_id == Child.id)
                .join(Reservation.activity_day)
                .join(ActivityDay.activity)
                .where(
                    Activity.structure_id == structure_id,
                    or_(Family.email.is_(None), Family.email == ""),
                    or_(
                        Reservation.requested_at.between(start, _end_of(day)),
                        Reservation.cancelled_at.between(start, _end_of(day)),
                    ),
                )
            ),
            key=collation_key,
        )
