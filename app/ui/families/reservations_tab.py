"""The family page's « Réservations » tab: every reservation of the family (day, child, activity, transmission,
state, price), and its reservation sheet over a chosen period, made and drawn on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...clock import local_today
from ...services.booking.calendar import school_year_range
from ...services.families.view import reservation_rows
from ...text import format_eur, short_date
from ..context import CounterContext
from ..documents.print_preview import Rendered, rendered
from ..fields import date_edit, date_of, keyed
from ..table_model import Column, RowsModel
from ..theme import DEBIT
from ..widgets import table_view


def state_colour(state: str) -> QColor | None:
    if state == "Acceptée":
        return QColor("#1b5e20")
    if state.startswith("En liste"):
        return QColor("#5e35b1")
    if state.startswith("Refusée"):
        return DEBIT
    return QColor("#757575")


class ReservationsTab(QWidget):
    """The family's reservations, and the period of its sheet (the current school year at first) with « Imprimer la
    fiche… » and « Aperçu… », which the page wires to its print (the recap's outcome prints the same way) and to
    its preview."""

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.last_sheet: Rendered | None = None
        """The last reservation sheet made (printed or previewed)."""
        self.reservations = RowsModel(
            [
                Column("Jour", lambda r: short_date(r.day, weekday=True)),
                Column("Enfant", lambda r: r.child_name),
                Column("Activité", lambda r: r.activity_name),
                Column(
                    "Transmission",
                    lambda r: r.transmission,
                    colour=lambda r: QColor("#8a4b00") if r.transmission == "Non transmise" else None,
                ),
                Column("État", lambda r: r.state, colour=lambda r: state_colour(r.state)),
                Column(
                    "Prix", lambda r: "" if r.price_cents is None else format_eur(r.price_cents), right=True
                ),
            ]
        )
        self.reservations_view = table_view(self.reservations, stretch=2)
        start, end = school_year_range(local_today(self.ctx.db.clock))
        self.sheet_from, self.sheet_to = date_edit(start), date_edit(end)
        self.print_sheet = keyed(
            QPushButton("&Imprimer la fiche…"),
            "Imprimer la fiche de réservations de la famille sur la période",
        )
        self.show_sheet = keyed(
            QPushButton("A&perçu…"), "La fiche à l'écran, pour l'imprimer ou l'enregistrer en PDF"
        )
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Fiche de réservations du"))
        bar.addWidget(self.sheet_from)
        bar.addWidget(QLabel("au"))
        bar.addWidget(self.sheet_to)
        bar.addWidget(self.print_sheet)
        bar.addWidget(self.show_sheet)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.reservations_view, 1)

    def set_family(self, family_id: int) -> None:
        rows = self.ctx.ops.run(lambda: reservation_rows(self.ctx.db, family_id), default=[])
        self.reservations.set_rows(rows)

    def make_sheet(
        self, family_id: int, around: list[date] | None, then: Callable[[Rendered], object]
    ) -> None:
        """The family's sheet made and drawn on a worker thread, then ``then(document)``. ``around``: the days just
        booked (from the outcome), whose school years it covers; else the period chosen in the tab."""
        start, end = date_of(self.sheet_from), date_of(self.sheet_to)
        if around:
            start, end = school_year_range(min(around))[0], school_year_range(max(around))[1]
        agent, structure_id = self.ctx.actor.name, self.ctx.structure_id
        from ...services.documents.sheet import reservation_sheet_pdf  # reportlab only when printing

        def made(document: Rendered) -> None:
            self.last_sheet = document
            then(document)

        self.ctx.ops.run(
            rendered(lambda: reservation_sheet_pdf(self.ctx.db, family_id, start, end, agent, structure_id)),
            made,
            background=True,
        )
