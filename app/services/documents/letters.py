"""The comptes-rendus on paper (« Courriers »): one letter per family without an e-mail address that made or
cancelled requests that day, printed in one batch at the end of day — the same words as the e-mail."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table

from ...clock import local_today
from ...models import Structure
from ...text import long_date, short_date
from ..bounds import PersonName, checked
from ..end_of_day.transmission import compte_rendu_letters
from ..errors import UnknownEntity
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles


@checked
def letters_pdf(db: Database, structure_id: int, day: date, printed_by: PersonName = "") -> bytes | None:
    """The day's letters of ``structure_id``'s families without e-mail; None when there is none to print."""
    letters = compte_rendu_letters(db, day, structure_id)
    if not letters:
        return None
    with db.reading() as uow:
        structure = uow.session.get(Structure, structure_id)
        if structure is None:
            raise UnknownEntity(f"Structure inconnue (n° {structure_id}).")
        letterhead = Letterhead.of(structure)
        town = structure.city
    st = styles()
    today = long_date(local_today(db.clock), weekday=False)
    story: list[Flowable] = []
    for i, letter in enumerate(letters):
        if i:
            story.append(PageBreak())
        address = Paragraph("<br/>".join(esc(line) for line in letter.address), st["normal"])
        block = Table([["", address]], colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45])
        story += [
            Spacer(1, 8 * mm),
            block,
            Spacer(1, 10 * mm),
            Paragraph(esc(f"{town + ', le ' if town else 'Le '}{today}"), st["normal"]),
            Spacer(1, 4 * mm),
            Paragraph(esc(f"Objet : compte-rendu de vos réservations du {short_date(day)}"), st["h2"]),
        ]
        for paragraph in letter.body.split("\n\n"):
            story.append(Paragraph("<br/>".join(esc(line) for line in paragraph.split("\n")), st["normal"]))
            story.append(Spacer(1, 3 * mm))
    return render(
        story,
        title=f"Comptes-rendus du {short_date(day)} (courriers)",
        letterhead=letterhead,
        printed_at=db.clock.now(),
        printed_by=printed_by or "Guichet Enfance",
    )
