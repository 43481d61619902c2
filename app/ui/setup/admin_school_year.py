"""Administration → "Année scolaire": the zone's holiday calendar (school holidays, public holidays, local
closings), editable before and after the days are generated, and the generation of the activity days from it.
Administrators only; every write goes through the services. The two tables edited in place are in
``calendar_tables``, the local closings in ``local_closings``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.booking.calendar import school_year_of
from ...services.booking.kinds import days_explanation
from ...services.errors import DomainError
from ...services.setup import activities, school_year, structures
from ...services.setup.school_year import SchoolCalendar
from ..context import CounterContext
from ..operations import Failure, succeeded
from ..widgets import bound
from .calendar_tables import CalendarTable, HolidaysTable, PublicHolidaysTable
from .local_closings import LocalClosingsBox


class SchoolYearPanel(QWidget):
    """Zone and school year → the calendar to check and edit → "Enregistrer le calendrier"; local closings
    (saved at once); the active activities to generate → "Générer les journées" and its report."""

    def __init__(self, ctx: CounterContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.calendar: SchoolCalendar | None = None
        self.dirty = False
        self._filling = False
        self._generating = False
        today = local_today(ctx.db.clock)
        current = int(school_year_of(today)[:4])
        structure_rows = ctx.ops.run(lambda: structures.structure_details(ctx.db), default=[])
        self.structure_rows = structure_rows

        # --- zone and year ------------------------------------------------------------------------------
        self.zone = QComboBox()
        self.zone.addItems(list(school_year.ZONES))
        zone = next((s.zone for s in structure_rows if s.id == ctx.structure_id), None)
        zone = zone or (structure_rows[0].zone if structure_rows else "C")
        self.zone.setCurrentText(zone)
        self.year = QComboBox()
        self.year.setEditable(True)
        year_edit = self.year.lineEdit()
        assert year_edit is not None, "an editable combo box has its line edit"
        bound(year_edit, school_year.SchoolYearText)
        self.year.addItems([f"{y}-{y + 1}" for y in range(current, current + 3)])
        self.year.setMinimumContentsLength(10)
        self.load_button = QPushButton("Charger le calendrier")
        self.load_button.clicked.connect(self.ask_load)
        self.zone.currentIndexChanged.connect(lambda _i: self._update_state())
        self.year.currentTextChanged.connect(lambda _t: self._update_state())
        zones = ", ".join(f"{s.name} : zone {s.zone}" for s in structure_rows)
        self.zones_info = QLabel(
            f"Les journées suivent la zone de chaque structure ({zones})." if zones else ""
        )
        self.zones_info.setWordWrap(True)
        top = QHBoxLayout()
        w: QWidget
        for w in (QLabel("Zone"), self.zone, QLabel("Année scolaire"), self.year, self.load_button):
            top.addWidget(w)
        top.addSpacing(12)
        top.addWidget(self.zones_info, 1)
        self.note = QLabel()
        self.note.setObjectName("alert")
        self.note.setWordWrap(True)
        self.note.hide()

        # --- school holidays ----------------------------------------------------------------------------
        self.holidays = HolidaysTable()
        self.add_holiday_button = QPushButton("Ajouter des vacances")
        self.remove_holiday_button = QPushButton("Retirer")
        self.add_holiday_button.clicked.connect(self.add_holiday)
        self.remove_holiday_button.clicked.connect(lambda: self._remove_row(self.holidays))
        holidays_box = self._box(
            "Vacances scolaires", self.holidays, self.add_holiday_button, self.remove_holiday_button
        )

        # --- public holidays ----------------------------------------------------------------------------
        self.public = PublicHolidaysTable()
        self.add_public_button = QPushButton("Ajouter un jour férié")
        self.remove_public_button = QPushButton("Retirer")
        self.add_public_button.clicked.connect(self.add_public_holiday)
        self.remove_public_button.clicked.connect(lambda: self._remove_row(self.public))
        public_box = self._box("Jours fériés", self.public, self.add_public_button, self.remove_public_button)
        for table in (self.holidays, self.public):
            table.itemChanged.connect(lambda _item: self._mark_dirty())
            table.setToolTip(
                "Double-cliquez sur une case pour la modifier (dates : jj/mm/aaaa, ou le calendrier)."
            )

        self.save_button = QPushButton("Enregistrer le calendrier")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.save_state = QLabel()
        self.save_state.setWordWrap(True)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.save_state, 1)

        # --- local closings (saved at once); their fields and actions under the panel's names too ------------
        box = self.closings_box = LocalClosingsBox(ctx, structure_rows, today)
        box.reloaded.connect(self._closings_reloaded)
        self.closing_day, self.closing_name, self.closing_structure = box.day, box.name, box.structure
        self.closing_rows, self.closings, self.bridge_button = box.rows, box.view, box.bridge_button
        self.add_closing_button, self.remove_closing_button = box.add_button, box.remove_button
        self.add_closing, self.remove_closing, self.close_bridge = box.add, box.remove, box.close_bridge

        # --- generating the days ------------------------------------------------------------------------
        self.activity_list = QListWidget()
        self.activity_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.activity_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        for a in ctx.ops.run(lambda: activities.activity_details(ctx.db, include_archived=False), default=[]):
            item = QListWidgetItem(f"{a.name} ({a.structure})")
            item.setToolTip(f"{a.name} ({a.structure})")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.activity_list.addItem(item)
        shown = min(max(self.activity_list.count(), 2), 8)
        row_height = max(self.activity_list.sizeHintForRow(0), 18)
        self.activity_list.setFixedHeight(row_height * shown + 2 * self.activity_list.frameWidth() + 4)
        self.generate_button = QPushButton("Générer les journées")
        self.generate_button.setObjectName("primary")
        self.generate_button.clicked.connect(self.generate)
        self.generate_hint = QLabel()
        self.generate_hint.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Le compte rendu de la génération s'affiche ici.")
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        days_box = QGroupBox("Journées d'accueil")
        days_layout = QVBoxLayout(days_box)
        explain = QLabel(
            f"{days_explanation()} Relancer la génération ne crée rien deux fois et suit le calendrier enregistré."
        )
        explain.setWordWrap(True)
        days_layout.addWidget(explain)
        days_layout.addWidget(QLabel("Activités à préparer :"))
        days_layout.addWidget(self.activity_list)
        days_layout.addWidget(self.generate_button)
        days_layout.addWidget(self.generate_hint)
        days_layout.addWidget(QLabel("Compte rendu :"))
        days_layout.addWidget(self.report, 1)

        # --- layout -------------------------------------------------------------------------------------
        tables = QHBoxLayout()
        tables.addWidget(holidays_box, 3)
        tables.addWidget(public_box, 2)
        left = QVBoxLayout()
        left.addLayout(tables, 3)
        left.addLayout(save_row)
        left.addWidget(self.closings_box, 2)
        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addWidget(days_box, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)
        self.load()

    @staticmethod
    def _box(title: str, table: QTableWidget, *buttons: QPushButton) -> QGroupBox:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.addWidget(table)
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    # --- loading ----------------------------------------------------------------------------------------
    def school_year_text(self) -> str:
        return self.year.currentText().strip()

    def ask_load(self) -> None:
        """ "Charger le calendrier": unsaved edits are dropped only when the administrator says so."""
        if self.dirty and self.ctx.ops.show_messages:
            answer = QMessageBox.question(
                self,
                "Année scolaire",
                "Les modifications du calendrier ne sont pas enregistrées. Les abandonner ?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.load()

    def load(self) -> None:
        zone, text = self.zone.currentText(), self.school_year_text()
        loaded = self.ctx.ops.run(lambda: school_year.school_calendar(self.ctx.db, zone, text))
        if loaded is None:
            return
        self.calendar = loaded
        self.year.setEditText(loaded.school_year)
        self._filling = True
        self.holidays.setRowCount(0)
        for h in loaded.holidays:
            self.holidays.append(h.name, h.start, h.end)
        self.public.setRowCount(0)
        for p in loaded.public_holidays:
            self.public.append(p.day, p.name)
        self._filling = False
        self.closings_box.show_calendar(loaded)
        notes = [loaded.note] if loaded.note else []
        if not loaded.stored and loaded.holidays:
            notes.append(
                f"Ce calendrier ({loaded.zone}, {loaded.school_year}) est une proposition des calendriers "
                "officiels : il n'est pas encore enregistré. Vérifiez-le, modifiez-le si besoin, puis "
                "« Enregistrer le calendrier »."
            )
        elif not loaded.stored:
            notes.append("Rien n'est encore enregistré pour cette année.")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        self._set_dirty(False)

    # --- editing ----------------------------------------------------------------------------------------
    def _mark_dirty(self) -> None:
        if not self._filling:
            self._set_dirty(True)

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        stored = self.calendar is not None and self.calendar.stored
        if dirty:
            self.save_state.setText("Modifications non enregistrées.")
            self.save_state.setStyleSheet("color:#8a4b00; font-weight:600;")
        elif stored:
            self.save_state.setText("Calendrier enregistré.")
            self.save_state.setStyleSheet("color:#1b5e20;")
        else:
            self.save_state.setText("Calendrier proposé, pas encore enregistré.")
            self.save_state.setStyleSheet("color:#8a4b00;")
        self._update_state()

    def shown_matches_choice(self) -> bool:
        """The zone and year chosen at the top are those of the calendar shown."""
        if self.calendar is None:
            return False
        try:
            year = school_year.parse_school_year(self.school_year_text())
        except DomainError:
            return False
        return (self.zone.currentText(), year) == (self.calendar.zone, self.calendar.school_year)

    def _update_state(self) -> None:
        matches = self.shown_matches_choice()
        self.save_button.setEnabled(matches)
        self.generate_button.setEnabled(matches and not self.dirty and not self._generating)
        if self.calendar is not None and not matches:
            hint = (
                f"Le calendrier affiché est celui de la zone {self.calendar.zone}, "
                f"{self.calendar.school_year} : « Charger le calendrier » pour changer."
            )
        elif self.dirty:
            hint = "Enregistrez d'abord le calendrier : la génération suit le calendrier enregistré."
        else:
            hint = ""
        self.generate_hint.setText(hint)

    def _span(self) -> tuple[date, date]:
        text = self.calendar.school_year if self.calendar else school_year_of(local_today(self.ctx.db.clock))
        first = int(text[:4])
        return date(first, 9, 1), date(first + 1, 8, 31)

    def add_holiday(self) -> int:
        """A new line after the last holidays, its name to type."""
        start, end = self._span()
        last = max((h.end for h in self.holidays.values()), default=start - timedelta(days=1))
        first = min(last + timedelta(days=1), end)
        row = self.holidays.append("", first, min(first + timedelta(days=6), end))
        self._mark_dirty()
        self.holidays.edit_name(row)
        return row

    def add_public_holiday(self) -> int:
        start, _end = self._span()
        row = self.public.append(start, "")
        self._mark_dirty()
        self.public.edit_name(row)
        return row

    def _remove_row(self, table: CalendarTable) -> None:
        if table.remove_current():
            self._mark_dirty()

    def save(self) -> bool:
        if self.calendar is None:
            return False
        zone, year = self.calendar.zone, self.calendar.school_year
        holidays, public = self.holidays.values(), self.public.values()
        done = self.ctx.ops.run(
            succeeded(
                lambda: school_year.save_calendar(self.ctx.db, self.ctx.actor, zone, year, holidays, public)
            ),
            write=True,
        )
        if not done:
            return False
        self.zone.setCurrentText(zone)
        self.year.setEditText(year)
        self.load()
        return True

    def _closings_reloaded(self, loaded: SchoolCalendar) -> None:
        """A closing added or removed: the calendar shown keeps its edits, its closings and bridge are read again."""
        if self.calendar is not None:
            self.calendar = replace(self.calendar, closings=loaded.closings, bridge=loaded.bridge)

    # --- generating -------------------------------------------------------------------------------------
    def checked_activities(self) -> list[int]:
        return [
            self.activity_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.activity_list.count())
            if self.activity_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, activity_ids: list[int]) -> None:
        for i in range(self.activity_list.count()):
            item = self.activity_list.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in activity_ids
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def generate(self) -> None:
        if self.calendar is None or self.dirty:
            return
        ids = self.checked_activities()
        if not ids:
            self.report.setPlainText("Cochez au moins une activité à préparer.")
            return
        year = self.calendar.school_year
        self._generating = True
        self._update_state()
        self.report.setPlainText(f"Génération des journées {year} en cours…")
        db, actor = self.ctx.db, self.ctx.actor
        self.ctx.ops.run(
            lambda: school_year.generate_days(db, actor, year, ids),
            self._generated,
            write=True,
            background=True,
            on_error=self._not_generated,
        )

    def _not_generated(self, failure: Failure) -> None:
        self._generating = False
        self._update_state()
        self.report.setPlainText(f"La génération n'a pas abouti ; rien n'a été modifié.\n{failure.message}")

    def _generated(self, report: school_year.GenerationReport) -> None:
        self._generating = False
        self._update_state()
        self.report.setPlainText("\n".join(report.lines()))
        if report.calendars_loaded:  # the service stored the proposed calendar: show it as stored now
            self.load()
