"""The family reservation sheet ("fiche de réservations") over a date range."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import NamedTuple

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...models import (
    Activity,
    ActivityDay,
    Attendance,
    Child,
    Family,
    Reservation,
    ReservationStatus,
    Structure,
    Wallet,
    WalletKind,
)
from ...text import format_eur, long_date, month_year, short_date
from ..booking.calendar import school_year_range
from ..bounds import PersonName, checked
from ..errors import UnknownEntity, ValidationError
from ..families.view import WALLET_LABELS
from ..uow import Database
from .toolkit import CONTENT_WIDTH, FONT, Letterhead, PlainTable, esc, render, styles

WIDTHS = (0.22, 0.46, 0.17, 0.15)
COLUMNS = [w * CONTENT_WIDTH for w in WIDTHS]


class Entry(NamedTuple):
    """One reservation as the sheet shows it."""

    child_id: int
    child_name: str
    activity: str
    structure_id: int
    day: date
    state: str
    """Acceptée / En liste d'attente rang n / Refusée : motif / Annulée."""
    transmission: str
    """Transmise / Non transmise."""
    price_cents: int | None
    """The price of an accepted reservation, else None."""


def _state(
    status: ReservationStatus,
    position: int | None,
    reason: str | None,
    absent: bool = False,
    certificate: bool = False,
) -> str:
    """The same wording as ``families.view.state_label``; an absence says whether it is billed."""
    if status is ReservationStatus.ACCEPTED:
        if certificate:
            return "Absent – remboursée (certificat médical)"
        return "Absent – facturée" if absent else "Acceptée"
    if status is ReservationStatus.WAITLISTED:
        return f"En liste d'attente rang {position}"
    if status is ReservationStatus.REFUSED:
        return f"Refusée : {reason}"
    return "Annulée"


def entries(s: Session, family_id: int, start: date, end: date) -> list[Entry]:
    """The family's reservations over [start, end] (one query), child by child (eldest first), by day, activity and
    request time."""
    rows = s.execute(
        select(
            Child.id,
            Child.first_name,
            Child.last_name,
            Activity.name,
            Activity.structure_id,
            ActivityDay.day,
            Reservation.status,
            Reservation.waitlist_position,
            Reservation.refusal_reason,
            Reservation.transmitted_at.is_not(None),
            Reservation.price_cents,
            Reservation.attendance,
            Reservation.certificate_at.is_not(None),
        )
        .join(Reservation.child)
        .join(Reservation.activity_day)
        .join(ActivityDay.activity)
        .where(Child.family_id == family_id, ActivityDay.day.between(start, end))
        .order_by(Child.birth_date, Child.id, ActivityDay.day, Activity.name, Reservation.requested_at)
    )
    accepted = ReservationStatus.ACCEPTED
    absent = Attendance.ABSENT
    return [  # a day refunded by a medical certificate costs nothing: no price, out of the totals
        Entry(
            child_id,
            f"{first} {last}",
            activity,
            structure,
            day,
            _state(status, position, reason, attendance is absent, certified),
            "Transmise" if transmitted else "Non transmise",
            price if status is accepted and not certified else None,
        )
        for (
            child_id,
            first,
            last,
            activity,
            structure,
            day,
            status,
            position,
            reason,
            transmitted,
            price,
            attendance,
            certified,
        ) in rows
    ]


@checked
def reservation_sheet_pdf(
    db: Database,
    family_id: int,
    start: date | None = None,
    end: date | None = None,
    printed_by: PersonName = "",
    structure_id: int | None = None,
) -> bytes:
    """The sheet of a family over [start, end] (default: the current school year), on the letterhead of a structure
    of the activities printed: ``structure_id`` (the counter's) when some are its, else the first reservation's."""
    today = local_today(db.clock)
    default_start, default_end = school_year_range(today)
    start, end = start or default_start, end or default_end
    if end < start:
        raise ValidationError(f"Période invalide : du {short_date(start)} au {short_date(end)}.")
    with db.reading() as uow:
        s = uow.session
        family = s.execute(
            select(
                Family.name, Family.address, Family.postal_code, Family.city, Family.phone, Family.email
            ).where(Family.id == family_id, Family.anonymized_at.is_(None))
        ).one_or_none()
        if family is None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        children = s.execute(
            select(Child.id, Child.first_name, Child.last_name, Child.school_level)
            .where(Child.family_id == family_id)
            .order_by(Child.birth_date, Child.id)
        ).all()
        rows = entries(s, family_id, start, end)
        # the letterhead is a structure of the activities printed: the counter's when it has some, else the first
        first = min(rows, key=lambda r: (r.day, r.activity), default=None)
        printed = {r.structure_id for r in rows}
        letterhead_id = structure_id if first is None or structure_id in printed else first.structure_id
        structure = s.get(Structure, letterhead_id) if letterhead_id else None
        structure = structure or s.scalar(select(Structure).order_by(Structure.id))
        assert structure is not None  # sheets are printed once the town has a structure
        wallets = {
            kind: cents
            for kind, cents in s.execute(
                select(Wallet.kind, Wallet.balance_cents).where(Wallet.family_id == family_id)
            )
        }
        balance = sum(wallets.values())
        st = styles()
        story = [
            Paragraph(esc(f"Fiche de réservations – Famille {family.name}"), st["title"]),
            Paragraph(
                esc(f"Du {long_date(start, weekday=False)} au {long_date(end, weekday=False)}"),
                st["normal"],
            ),
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
            ),
            Spacer(1, 4 * mm),
        ]
        by_child: dict[int, list[Entry]] = defaultdict(list)
        for row in rows:
            by_child[row.child_id].append(row)
        grand_total = 0
        for child in children:
            items = by_child.get(child.id, [])
            story.append(
                Paragraph(
                    esc(
                        f"{child.first_name} {child.last_name}"
                        + (f" – {child.school_level}" if child.school_level else "")
                    ),
                    st["h2"],
                )
            )
            if not items:
                story.append(Paragraph(esc("Aucune réservation sur la période."), st["small"]))
                continue
            groups: dict[tuple[date, str], list[Entry]] = defaultdict(list)
            for row in items:
                groups[(row.day.replace(day=1), row.activity)].append(row)
            child_total = 0
            for (month, activity_name), group in sorted(groups.items(), key=lambda g: g[0]):
                lines, month_total = [], 0
                for row in group:
                    price = row.price_cents
                    month_total += price or 0
                    lines.append(
                        (
                            short_date(row.day, weekday=True),
                            row.state,
                            row.transmission,
                            format_eur(price) if price else "",
                        )
                    )
                child_total += month_total
                title = f"{activity_name} – {month_year(month)}"
                header = ("Jour", "État", "Transmission", "Prix")
                total = ("Total du mois", "", "", format_eur(month_total))
                story.append(PlainTable(header, lines, COLUMNS, right=(3,), total=total, title=title))
            grand_total += child_total
            story.append(
                Paragraph(esc(f"Total {child.first_name} : {format_eur(child_total)}"), st["normal"])
            )
        # the balance lines, kept together and tight (the wallets beside the balance they make up): the sheet of
        # two children over the holidays ends on its first page instead of leaving a line for a second one
        summary = ParagraphStyle("summary", parent=st["big"], fontSize=11.5, leading=14)
        note = ParagraphStyle("note", parent=st["small"], spaceBefore=2)
        detail = " · ".join(
            f"{WALLET_LABELS[k]} {format_eur(wallets[k])}" for k in WalletKind if k in wallets
        )
        detail_html = (
            f" <font name='{FONT}' size='8' color='#455a64'>({esc(detail)})</font>" if detail else ""
        )
        story.append(
            KeepTogether(
                [
                    Spacer(1, 3 * mm),
                    Paragraph(
                        esc(f"Total des réservations acceptées sur la période : {format_eur(grand_total)}"),
                        summary,
                    ),
                    Paragraph(
                        esc(
                            f"Solde du compte famille au {short_date(today)} : {format_eur(balance)}"
                            + (" (compte débiteur)" if balance < 0 else "")
                        )
                        + detail_html,
                        summary,
                    ),
                    Paragraph(
                        esc(
                            "« Non transmise » : la demande est enregistrée et sera transmise à la clôture de la "
                            "journée ; son état définitif est connu le lendemain."
                        ),
                        note,
                    ),
                ]
            )
        )
        letterhead = Letterhead.of(structure)
    return render(
        story,
        title=f"Fiche de réservations {family.name}",
        letterhead=letterhead,
        printed_at=db.clock.now(),
        printed_by=printed_by or "Guichet Enfance",
    )
