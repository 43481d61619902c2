"""The attendance list of one activity day, for the animators: accepted children, a presence column, the waitlist.

Printed by an agent with the right to the children's health files (``Agent.health_access``, read from the database
here), it also marks with ⚠ a child with an allergy, a PAI in force or a diet, and adds a page « Fiches sanitaires et
contacts »: those details, the doctor, the emergency contacts, the people allowed to pick the child up and the
authorisations (leaving alone, photos, medical intervention). Without the right (or without an agent: the command
line), neither the ⚠ nor that page. Every printer sees « aucun contact d'urgence » in the remarks of a child without
one (not health data; it does not stop a booking)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    Activity,
    ActivityDay,
    Attendance,
    Child,
    ChildContact,
    ContactKind,
    Family,
    Reservation,
    ReservationStatus,
)
from ...text import collation_key, count, long_date, short_date
from ..actors import Actor, authorize
from ..bounds import PersonName, checked
from ..errors import UnknownEntity
from ..families.health import NO_EMERGENCY_CONTACT, Contact, HealthFile, files_of, sees_health
from ..permissions import rule
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, PlainTable, esc, render, styles

WIDTHS = (0.05, 0.25, 0.08, 0.08, 0.16, 0.27, 0.11)
COLUMNS = [w * CONTENT_WIDTH for w in WIDTHS]
WAITLIST = [w * CONTENT_WIDTH for w in (0.08, 0.42, 0.2, 0.3)]
HEALTH = [w * CONTENT_WIDTH for w in (0.23, 0.31, 0.29, 0.17)]
FLAG = "⚠"
"""Beside a child with an allergy, a PAI in force or a diet (DejaVu Sans has the glyph)."""


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Line(NamedTuple):
    """A child on the list (accepted: ``rank`` None; waitlisted: its rank on the waitlist)."""

    rank: int | None
    last_name: str
    first_name: str
    school_level: str
    birth_date: date
    phone: str
    notes: str
    attendance: str = ""
    """What was recorded for a day gone (« présent », « absent », « absent (certificat) »); "" otherwise."""
    child_id: int = 0

    @property
    def name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


def children(s: Session, activity_day_id: int) -> tuple[list[Line], list[Line]]:
    """The accepted children (by name, accents ignored) and the waitlist (by rank) of a day, in one query."""
    rows = s.execute(
        select(
            Reservation.status,
            Reservation.waitlist_position,
            Child.last_name,
            Child.first_name,
            Child.school_level,
            Child.birth_date,
            Family.phone,
            Child.notes,
            Reservation.attendance,
            Reservation.certificate_at.is_not(None),
            Child.id,
        )
        .join(Reservation.child)
        .join(Child.family)
        .where(
            Reservation.activity_day_id == activity_day_id,
            Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
        )
    )
    accepted: list[Line] = []
    waiting: list[Line] = []
    for status, position, last, first, level, born, phone, notes, attendance, certified, child_id in rows:
        if status is ReservationStatus.ACCEPTED:
            seen = (
                ("absent (certificat)" if certified else "absent")
                if attendance is Attendance.ABSENT
                else ("présent" if attendance is Attendance.PRESENT else "")
            )
            accepted.append(
                Line(None, last, first, level or "", born, phone or "", notes or "", seen, child_id)
            )
        else:  # a waitlisted reservation has a position (CHECK constraint)
            waiting.append(
                Line(position or 0, last, first, level or "", born, phone or "", notes or "", "", child_id)
            )
    accepted.sort(key=lambda c: (collation_key(c.last_name, c.first_name), c.last_name, c.first_name))
    waiting.sort(key=lambda c: c.rank or 0)
    return accepted, waiting


def _without_emergency_contact(s: Session, child_ids: list[int]) -> set[int]:
    having = set(
        s.scalars(
            select(ChildContact.child_id).where(
                ChildContact.child_id.in_(child_ids or [-1]), ChildContact.kind == ContactKind.EMERGENCY
            )
        )
    )
    return set(child_ids) - having


def _sees_health(s: Session, actor: Actor | None) -> bool:
    """Whether the agent printing has the right to the health files, read now from the database."""
    if actor is None:
        return False
    return sees_health(s, authorize(s, actor, rule("documents.attendance.attendance_pdf")))


def _remarks(line: Line, no_contact: set[int]) -> str:
    if line.child_id in no_contact:
        return f"{line.notes} · {NO_EMERGENCY_CONTACT}" if line.notes else NO_EMERGENCY_CONTACT.capitalize()
    return line.notes


def _yes_no(value: bool | None, loud: bool | None = False) -> str:
    """oui, non or ? (no answer); the answer ``loud`` in bold capitals (what the animators must not miss)."""
    word = {True: "oui", False: "non", None: "?"}[value]
    return f"<b>{word.upper()}</b>" if value is loud else word


def _phone(text: str) -> str:
    """A phone number kept on one line."""
    return esc(text).replace(" ", "\xa0")


def _contact(c: Contact) -> str:
    relation = f" ({esc(c.relation)})" if c.relation else ""
    return f"{esc(c.name)}{relation}" + (f" {_phone(c.phone)}" if c.phone else "")


def _health_page(accepted: list[Line], files: dict[int, HealthFile], day: date) -> list[Flowable]:
    """The second page: for each child of the list, what the animators need of its fiche."""
    st = styles()
    cell = st["cell"]

    def para(parts: list[str]) -> Paragraph:
        return Paragraph("<br/>".join(parts) or "–", cell)

    rows = []
    for c in accepted:
        f = files[c.child_id]
        health = []
        if f.has_allergy or f.allergies:
            health.append(f"<b>Allergies :</b> {esc(f.allergies or 'oui')}")
        if f.pai:
            health.append(f"<b>PAI :</b> {esc(f.pai_text(day))}")
        if f.diet:
            health.append(f"<b>Régime :</b> {esc(f.diet)}")
        if f.doctor_name or f.doctor_phone:
            health.append(f"Médecin : {esc(f.doctor_name)} {_phone(f.doctor_phone)}".strip())
        emergency = [_contact(x) for x in f.emergency] or [f"<b>{esc(NO_EMERGENCY_CONTACT.capitalize())}</b>"]
        name = f"{FLAG} {c.name}" if f.flagged(day) else c.name
        answers = f"Seul\xa0{_yes_no(f.leave_alone, True)} · Photo\xa0{_yes_no(f.photos)} · Soins\xa0{_yes_no(f.medical)}"
        rows.append(
            (
                Paragraph(f"<b>{esc(name)}</b><br/>{answers}", cell),
                para(health),
                para(emergency),
                para([_contact(x) for x in f.pickup]),
            )
        )
    flagged = sum(1 for c in accepted if files[c.child_id].flagged(day))
    return [
        PageBreak(),
        Paragraph(esc("Fiches sanitaires et contacts"), st["title"]),
        Paragraph(
            esc(
                f"{long_date(day).capitalize()} · {count(flagged, 'enfant signalé', 'enfants signalés')} "
                f"{FLAG} (allergie, PAI ou régime). Seul : peut partir seul ; Photo : peut être photographié ; "
                "Soins : intervention médicale d'urgence autorisée ; ? : pas de réponse des parents."
            ),
            st["small"],
        ),
        Paragraph(
            esc("Données de santé confidentielles : ne pas afficher, détruire après la journée."), st["small"]
        ),
        Spacer(1, 2 * mm),
        PlainTable(
            ("Enfant · autorisations", "Santé", "Contacts d'urgence", "Autorisés à venir"),
            rows,
            HEALTH,
        ),
    ]


@checked
def attendance_pdf(
    db: Database, activity_id: int, day: date, printed_by: PersonName = "", actor: Actor | None = None
) -> bytes:
    """The day's list. ``actor``: the agent printing; with the right to the health files, the ⚠ and the page of the
    fiches (see the module's doc)."""
    with db.reading() as uow:
        s = uow.session
        health = _sees_health(s, actor)
        activity = s.get(Activity, activity_id)
        if activity is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        found = s.execute(
            select(ActivityDay.id, ActivityDay.capacity).where(
                ActivityDay.activity_id == activity_id, ActivityDay.day == day
            )
        ).one_or_none()
        if found is None:
            raise UnknownEntity(f"« {activity.name} » n'a pas de journée le {short_date(day)}.")
        day_id, capacity = found
        accepted, waiting = children(s, day_id)
        no_contact = _without_emergency_contact(s, [c.child_id for c in accepted])
        files: dict[int, HealthFile] = {}
        if health and accepted:
            kids = list(s.scalars(select(Child).where(Child.id.in_([c.child_id for c in accepted]))))
            files = files_of(s, kids)
        name, letterhead = activity.name, Letterhead.of(activity.structure)
    st = styles()
    heading = f"Liste de présence – {name}"
    when = long_date(day)
    story: list[Flowable] = [
        Paragraph(esc(heading), st["title"]),
        Paragraph(
            esc(
                f"{when.capitalize()} · {count(len(accepted), 'enfant')} pour "
                f"{count(capacity, 'place')}" + (f" · {len(waiting)} en liste d'attente" if waiting else "")
            ),
            st["normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    lines = [
        (
            str(i),
            f"{FLAG} {c.name}" if health and files[c.child_id].flagged(day) else c.name,
            c.school_level,
            count(_age(c.birth_date, day), "an"),
            c.phone,
            _remarks(c, no_contact),
            c.attendance,
        )
        for i, c in enumerate(accepted, start=1)
    ]
    if lines:
        header = ("N°", "Enfant", "Niveau", "Âge", "Téléphone", "Remarques", "Présent")
        story.append(PlainTable(header, lines, COLUMNS, box=6))
    else:
        story.append(Paragraph(esc("Aucun enfant inscrit ce jour-là."), st["normal"]))
    if waiting:
        ranks = [(str(c.rank), c.name, c.school_level, c.phone) for c in waiting]
        story += [
            Paragraph(esc("Liste d'attente"), st["h2"]),
            PlainTable(("Rang", "Enfant", "Niveau", "Téléphone"), ranks, WAITLIST),
        ]
    if health and accepted:
        story += _health_page(accepted, files, day)
    return render(
        story,
        title=f"{heading} – {short_date(day)}",
        letterhead=letterhead,
        printed_at=db.clock.now(),
        printed_by=printed_by or "Guichet Enfance",
    )
