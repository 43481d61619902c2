"""End of day: transmit the day's requests, queue one "compte-rendu" e-mail per family, list what the report needs.

Idempotent: a second run for the same day finds nothing left to transmit and queues nothing (outbox keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import Activity, ActivityDay, Attendance, Child, Family, Reservation, ReservationStatus
from ...text import count
from .. import audit
from ..booking.rules import long_date, short_date
from ..bounds import checked
from ..families.view import state_label
from ..money.amounts import format_eur
from ..uow import Database
from .outbox import queue_email

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
            return [f"Journée du {self.day:%d/%m/%Y} : déjà transmise, rien à faire."]
        lines = [
            f"Journée du {self.day:%d/%m/%Y} : {transmitted(self.transmitted)}.",
            f"{count(self.families_notified, 'compte-rendu mis', 'comptes-rendus mis')} en file d'envoi.",
        ]
        if self.outcomes:
            lines.append(
                "Résultats : "
                + ", ".join(count(v, *OUTCOMES.get(k, (k, k))) for k, v in sorted(self.outcomes.items()))
                + "."
            )
        if self.families_without_email:
            lines.append(
                "Familles sans e-mail (prévenir autrement) : " + ", ".join(self.families_without_email) + "."
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
        step("Recherche des demandes non transmises…", 10)
        rows = s.execute(
            select(Reservation, Child, Family, ActivityDay.day, Activity.name)
            .join(Reservation.child)
            .join(Child.family)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(
                Reservation.transmitted_at.is_(None),
                or_(Reservation.requested_at < _end_of(day), Reservation.cancelled_at < _end_of(day)),
            )
            .order_by(Family.id, Child.first_name, ActivityDay.day)
        ).all()
        if not rows:
            report.already_done = True
            step("Rien à transmettre.", 100)
            return report
        by_family: dict[int, list[tuple[Reservation, Child, date, str]]] = defaultdict(list)
        families: dict[int, Family] = {}
        outcomes: defaultdict[str, int] = defaultdict(int)
        for res, child, family, the_day, activity_name in rows:
            res.transmitted_at = now
            by_family[family.id].append((res, child, the_day, activity_name))
            families[family.id] = family
            outcomes[res.status.value] += 1
        step(f"{transmitted(len(rows))} ; préparation des comptes-rendus…", 50)
        for family_id, items in by_family.items():
            family = families[family_id]
            if not family.email:
                report.families_without_email.append(family.name)
                continue
            body = _compte_rendu(family, items, day)
            if queue_email(s, kind="compte_rendu", dedup_key=f"compte-rendu:{family_id}:{day.isoformat()}:{now.isoformat()}",
                           family=family, subject=f"Compte-rendu de vos réservations du {day:%d/%m/%Y}",
                           body=body, now=now) is not None:  # fmt: skip
                report.families_notified += 1
        report.transmitted = len(rows)
        report.outcomes = dict(outcomes)
        audit.record(s, at=now, action="nightly.transmit", entity="day", entity_id=day.isoformat(),
                     agent_id=actor_id, after={"transmitted": len(rows), "families": len(by_family),
                                               "without_email": report.families_without_email})  # fmt: skip
        step("Transmission terminée.", 100)
        return report

    return db.write(work)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _compte_rendu(family: Family, items: list[tuple[Reservation, Child, date, str]], day: date) -> str:
    lines = [
        "Bonjour,",
        "",
        f"Voici le compte-rendu du traitement de vos demandes enregistrées jusqu'au {long_date(day)} :",
        "",
    ]
    for res, child, the_day, activity_name in items:
        what = "Annulation" if res.status is ReservationStatus.CANCELLED else "Réservation"
        price = (
            f" – {format_eur(res.price_cents)}"
            if res.status is ReservationStatus.ACCEPTED and res.price_cents
            else ""
        )
        lines.append(
            f"- {child.first_name} – {activity_name} – {short_date(the_day)} : {what} {_lower_first(state_label(res))}{price}"
        )
    lines += [
        "",
        "Les demandes en liste d'attente vous seront confirmées par e-mail si une place se libère ; "
        "si elles ne vous intéressent plus, pensez à les annuler au plus tôt.",
        "",
        "Le service enfance-jeunesse",
    ]
    return "\n".join(lines)


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
            .order_by(Child.last_name, Child.first_name)
        ).all()
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
def families_without_email(db: Database, structure_id: int, day: date) -> list[str]:
    """Families who made requests in the structure that day and cannot receive the compte-rendu."""
    start = datetime.combine(day, time(0, 0), tzinfo=PARIS)
    with db.reading() as uow:
        return list(
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
                .order_by(Family.name)
            )
        )
