"""The "Année scolaire" tab's local closings (« Fermetures exceptionnelles »): the days a structure, or every one,
is closed in the school year shown, each added or removed at once (not with the calendar's edits), and the Friday
after Ascension offered as a closing while it is open."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from ...services.setup import school_year
from ...services.setup.school_year import SchoolCalendar
from ...services.setup.structures import StructureDetail
from ...text import long_date, short_date
from ..context import CounterContext
from ..operations import succeeded
from ..table_model import Column, RowsModel
from ..widgets import NameCombo, bound, date_edit, date_of, table_view
from .calendar_tables import qdate

ALL_STRUCTURES = "Toutes les structures"


class LocalClosingsBox(QGroupBox):
    """The closings of the calendar shown (``show_calendar``); after each write they are read again and
    ``reloaded`` gives that calendar."""

    reloaded = Signal(object)

    def __init__(self, ctx: CounterContext, structure_rows: list[StructureDetail], today: date) -> None:
        super().__init__("Fermetures exceptionnelles (enregistrées aussitôt)")
        self.ctx = ctx
        self.calendar: SchoolCalendar | None = None
        self.rows = RowsModel(
            [
                Column("Date", lambda c: short_date(c.day)),
                Column("Motif", lambda c: c.name),
                Column("Structure", lambda c: c.structure[:1].upper() + c.structure[1:]),
            ]
        )
        self.view = table_view(self.rows, stretch=1)
        self.day = date_edit(today)
        self.name = bound(QLineEdit(), school_year.add_local_closing, "name")
        self.name.setPlaceholderText("motif (ex. formation des animateurs)")
        self.structure = NameCombo(24)
        self.structure.addItem(ALL_STRUCTURES, None)
        for s in structure_rows:
            self.structure.addItem(s.name, s.id)
        self.add_button = QPushButton("Ajouter la fermeture")
        self.remove_button = QPushButton("Retirer la fermeture choisie")
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        form = QHBoxLayout()
        for w in (self.day, self.name, self.structure, self.add_button):
            form.addWidget(w)
        form.setStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(form)
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.remove_button)
        remove_row.addStretch(1)
        self.bridge_button = QPushButton()
        """« Fermer le pont de l'Ascension (vendredi 7 mai 2027) »: offered while that Friday is open."""
        self.bridge_button.setToolTip(
            "Le vendredi après l'Ascension : la plupart des communes ferment l'accueil ce "
            "jour-là ; une fermeture de toutes les structures est ajoutée."
        )
        self.bridge_button.clicked.connect(self.close_bridge)
        self.bridge_button.hide()
        remove_row.addWidget(self.bridge_button)
        layout.addLayout(remove_row)

    def show_calendar(self, calendar: SchoolCalendar) -> None:
        """The closings of a calendar just loaded; the day to add moves into its school year."""
        self.calendar = calendar
        self.rows.set_rows(calendar.closings)
        self._show_bridge()
        start = date(int(calendar.school_year[:4]), 9, 1)
        if not start <= date_of(self.day) <= date(start.year + 1, 8, 31):
            self.day.setDate(qdate(start))

    def _reload(self) -> None:
        if self.calendar is None:
            return
        zone, year = self.calendar.zone, self.calendar.school_year
        loaded = self.ctx.ops.run(lambda: school_year.school_calendar(self.ctx.db, zone, year))
        if loaded is not None:
            self.calendar = loaded
            self.rows.set_rows(loaded.closings)
            self._show_bridge()
            self.reloaded.emit(loaded)

    def add(self) -> int | None:
        day, name = date_of(self.day), self.name.text()
        structure_id = self.structure.currentData()
        closing_id = self.ctx.ops.run(
            lambda: school_year.add_local_closing(self.ctx.db, self.ctx.actor, day, name, structure_id),
            write=True,
        )
        if closing_id is not None:
            self.name.clear()
            self._reload()
        return closing_id

    def close_bridge(self) -> int | None:
        """The Friday after Ascension closed for every structure (the days generated next follow)."""
        bridge = self.calendar.bridge if self.calendar is not None else None
        if bridge is None:
            return None
        closing_id = self.ctx.ops.run(
            lambda: school_year.add_local_closing(
                self.ctx.db, self.ctx.actor, bridge, "Pont de l'Ascension", None
            ),
            write=True,
        )
        self._reload()  # the holidays being edited stay as they are
        return closing_id

    def _show_bridge(self) -> None:
        bridge = self.calendar.bridge if self.calendar is not None else None
        if bridge is not None:
            when = long_date(bridge)
            self.bridge_button.setText(f"Fermer le pont de l'Ascension ({when})")
        self.bridge_button.setVisible(bridge is not None)

    def remove(self) -> bool:
        index = self.view.currentIndex()
        if not index.isValid():
            return False
        closing_id = self.rows.rows[index.row()].id
        done = self.ctx.ops.run(
            succeeded(lambda: school_year.remove_local_closing(self.ctx.db, self.ctx.actor, closing_id)),
            write=True,
        )
        self._reload()
        return bool(done)
