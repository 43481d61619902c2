"""The attendance list of one activity day, for the animators: accepted children, a presence column, the waitlist."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer
from sqlalchemy import select

from ...models import Activity, ActivityDay, Child, Family, Reservation, ReservationStatus, search_key
from ...text import count
from ..bounds import PersonName, checked
from ..errors import UnknownEntity
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles, table

WIDTHS = (0.05, 0.25, 0.08, 0.08, 0.16, 0.27, 0.11)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@checked
def attendance_pdf(db: Database, activity_id: int, day: date, printed_by: PersonName = "") -> bytes:
    with db.reading() as uow:
        s = uow.session
        activity = s.get(Activity, activity_id)
        if activity is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        activity_day = s.scalar(
            select(ActivityDay).where(ActivityDay.activity_id == activity_id, ActivityDay.day == day)
        )
        if activity_day is None:
            raise UnknownEntity(f"« {activity.name} » n'a pas de journée le {day:%d/%m/%Y}.")
        rows = s.execute(
            select(Reservation.status, Reservation.waitlist_position, Child, Family.phone)
            .join(Reservation.child)
            .join(Child.family)
            .where(
                Reservation.activity_day_id == activity_day.id,
                Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
            )
            .order_by(Child.last_name, Child.first_name)
        ).all()
        accepted = [(c, phone) for status, _p, c, phone in rows if status is ReservationStatus.ACCEPTED]
        waiting = sorted(
            ((pos, c, phone) for status, pos, c, phone in rows if status is ReservationStatus.WAITLISTED),
            key=lambda x: x[0] or 0,  # never None: a waitlisted reservation has a position (CHECK constraint)
        )
        st = styles()
        heading = f"Liste de présence – {activity.name}"
        when = format_date(day, "EEEE d MMMM y", locale="fr_FR")
        story = [
            Paragraph(esc(heading), st["title"]),
            Paragraph(
                esc(
                    f"{when.capitalize()} · {count(len(accepted), 'enfant')} pour "
                    f"{count(activity_day.capacity, 'place')}"
                    + (f" · {len(waiting)} en liste d'attente" if waiting else "")
                ),
                st["normal"],
            ),  # fmt: skip
            Spacer(1, 4 * mm),
        ]
        accepted.sort(key=lambda cp: search_key(cp[0].last_name, cp[0].first_name))
        lines = [
            (
                str(i),
                f"{c.last_name.upper()} {c.first_name}",
                c.school_level or "",
                count(_age(c.birth_date, day), "an"),
                phone or "",
                c.notes,
                "",
            )
            for i, (c, phone) in enumerate(accepted, start=1)
        ]
        if lines:
            header = ("N°", "Enfant", "Niveau", "Âge", "Téléphone", "Remarques", "Présent")
            t = table(header, lines, [w * CONTENT_WIDTH for w in WIDTHS])
            t.setStyle([("BOX", (6, 1), (6, -1), 0.8, colors.black)])
            story.append(t)
        else:
            story.append(Paragraph(esc("Aucun enfant inscrit ce jour-là."), st["normal"]))
        if waiting:
            story += [
                Paragraph(esc("Liste d'attente"), st["h2"]),
                table(
                    ("Rang", "Enfant", "Niveau", "Téléphone"),
                    [
                        (str(pos), f"{c.last_name.upper()} {c.first_name}", c.school_level or "", phone or "")
                        for pos, c, phone in waiting
                    ],  # fmt: skip
                    [w * CONTENT_WIDTH for w in (0.08, 0.42, 0.2, 0.3)],
                ),
            ]
        return render(story, title=f"{heading} – {day:%d/%m/%Y}", letterhead=Letterhead.of(activity.structure),
                      printed_at=db.clock.now(), printed_by=printed_by or "Guichet Enfance")  # fmt: skip
