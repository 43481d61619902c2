"""The family reservation sheet ("fiche de réservations") over a date range."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from babel.dates import format_date
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...clock import local_today
from ...models import Activity, ActivityDay, Family, Reservation, ReservationStatus, Structure
from ..booking.calendar import school_year_range
from ..booking.rules import short_date
from ..bounds import PersonName, checked
from ..errors import UnknownEntity, ValidationError
from ..families.view import state_label
from ..money import ledger
from ..money.amounts import format_eur
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles, table

WIDTHS = (0.22, 0.46, 0.17, 0.15)


@checked
def reservation_sheet_pdf(
    db: Database,
    family_id: int,
    start: date | None = None,
    end: date | None = None,
    printed_by: PersonName = "",
    structure_id: int | None = None,
) -> bytes:
    """The sheet of a family over [start, end] (default: the current school year), on the letterhead of
    ``structure_id`` (default: the structure of the first reservation)."""
    today = local_today(db.clock)
    default_start, default_end = school_year_range(today)
    start, end = start or default_start, end or default_end
    if end < start:
        raise ValidationError(f"Période invalide : du {start:%d/%m/%Y} au {end:%d/%m/%Y}.")
    with db.reading() as uow:
        s = uow.session
        family = s.get(Family, family_id, options=[selectinload(Family.children)])
        if family is None or family.anonymized_at is not None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        rows = s.execute(
            select(Reservation, ActivityDay.day, Activity.name, Activity.structure_id)
            .join(Reservation.activity_day)
            .join(ActivityDay.activity)
            .where(
                Reservation.child_id.in_([c.id for c in family.children] or [-1]),
                ActivityDay.day.between(start, end),
            )
            .order_by(ActivityDay.day, Activity.name, Reservation.requested_at)
        ).all()
        letterhead_id = structure_id or (rows[0][3] if rows else None)
        structure = s.get(Structure, letterhead_id) if letterhead_id else None
        structure = structure or s.scalar(select(Structure).order_by(Structure.id))
        assert structure is not None  # sheets are printed once the town has a structure
        balance = ledger.family_balance(s, family.id)
        wallets = {w.kind.value: w.balance_cents for w in family.wallets}
        st = styles()
        story = [
            Paragraph(esc(f"Fiche de réservations – Famille {family.name}"), st["title"]),
            Paragraph(
                esc(
                    f"Du {format_date(start, 'd MMMM y', locale='fr_FR')} au "
                    f"{format_date(end, 'd MMMM y', locale='fr_FR')}"
                ),
                st["normal"],
            ),  # fmt: skip
            Paragraph(
                esc(
                    ", ".join(
                        x
                        for x in (
                            family.address,
                            f"{family.postal_code} {family.city}".strip(),
                            family.phone or "",
                            family.email or "",
                        )
                        if x
                    )
                ),
                st["small"],
            ),  # fmt: skip
            Spacer(1, 4 * mm),
        ]
        by_child: dict[int, list[tuple[Reservation, date, str]]] = defaultdict(list)
        for res, day, activity_name, _sid in rows:
            by_child[res.child_id].append((res, day, activity_name))
        grand_total = 0
        for child in sorted(family.children, key=lambda c: c.birth_date):
            items = by_child.get(child.id, [])
            story.append(Paragraph(esc(f"{child.first_name} {child.last_name}"
                                       + (f" – {child.school_level}" if child.school_level else "")), st["h2"]))  # fmt: skip
            if not items:
                story.append(Paragraph(esc("Aucune réservation sur la période."), st["small"]))
                continue
            groups: dict[tuple[str, date], list[tuple[Reservation, date]]] = defaultdict(list)
            for res, day, activity_name in items:
                groups[(activity_name, day.replace(day=1))].append((res, day))
            child_total = 0
            for (activity_name, month), entries in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
                lines, month_total = [], 0
                for res, day in entries:
                    price = res.price_cents if res.status is ReservationStatus.ACCEPTED else None
                    month_total += price or 0
                    transmitted = "Transmise" if res.transmitted_at else "Non transmise"
                    lines.append(
                        (short_date(day), state_label(res), transmitted, format_eur(price) if price else "")
                    )
                child_total += month_total
                title = f"{activity_name} – {format_date(month, 'MMMM y', locale='fr_FR')}"
                story.append(
                    KeepTogether(
                        [
                            Paragraph(f"<b>{esc(title)}</b>", st["normal"]),
                            Spacer(1, 1 * mm),
                            table(
                                ("Jour", "État", "Transmission", "Prix"),
                                lines,
                                [w * CONTENT_WIDTH for w in WIDTHS],
                                right=(3,),
                                total=("Total du mois", "", "", format_eur(month_total)),
                            ),  # fmt: skip
                            Spacer(1, 3 * mm),
                        ]
                    )
                )
            grand_total += child_total
            story.append(
                Paragraph(esc(f"Total {child.first_name} : {format_eur(child_total)}"), st["normal"])
            )
        story += [
            Spacer(1, 5 * mm),
            Paragraph(
                esc(f"Total des réservations acceptées sur la période : {format_eur(grand_total)}"), st["big"]
            ),
            Paragraph(
                esc(
                    f"Solde du compte famille au {today:%d/%m/%Y} : {format_eur(balance)}"
                    + (" (compte débiteur)" if balance < 0 else "")
                ),
                st["big"],
            ),  # fmt: skip
            Paragraph(
                esc(" · ".join(f"{k.upper()} {format_eur(v)}" for k, v in sorted(wallets.items()))),
                st["small"],
            ),
            Spacer(1, 3 * mm),
            Paragraph(
                esc(
                    "« Non transmise » : la demande est enregistrée et sera transmise à la clôture de la "
                    "journée ; son état définitif est connu le lendemain."
                ),
                st["small"],
            ),  # fmt: skip
        ]
        return render(story, title=f"Fiche de réservations {family.name}", letterhead=Letterhead.of(structure),
                      printed_at=db.clock.now(), printed_by=printed_by or "Guichet Enfance")  # fmt: skip
