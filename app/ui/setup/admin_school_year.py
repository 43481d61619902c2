"""Administration → "Année scolaire": the zone's holiday calendar (school holidays, public holidays, local
closings), editable before and after the days are generated, and the generation of the activity days
(DESIGN.md §2.1 and §2.7). Administrators only; every write goes through the services."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from babel.dates import format_date
from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.booking.calendar import school_year_of
from ...services.errors import DomainError
from ...services.setup import activities, school_year, structures
from ...services.setup.school_year import HolidayRow, PublicHolidayRow, SchoolCalendar
from ..context import CounterContext
from ..operations import Failure, succeeded
from ..table_model import Column, RowsModel
from ..widgets import EditorDelegate, NameCombo, bound, date_edit, date_of, table_view

DATE_FORMAT = "dd/MM/yyyy"
EDIT = Qt.ItemDataRole.EditRole
ALL_STRUCTURES = "Toutes les structures"


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class DateDelegate(QStyledItemDelegate):
    """Date cells shown and edited as jj/mm/aaaa, with a calendar."""

    def displayText(self, value, locale) -> str:  # noqa: N802 - Qt's name
        if isinstance(value, QDate):
            return value.toString(DATE_FORMAT)
        return super().displayText(value, locale)

    def createEditor(  # noqa: N802 - Qt's name
        self, parent: QWidget, _option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = QDateEdit(parent)
        editor.setDisplayFormat(DATE_FORMAT)
        editor.setCalendarPopup(True)
        return editor


def _editable_table(headers: list[str], date_columns: tuple[int, ...], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.AnyKeyPressed
        | QAbstractItemView.EditTrigger.SelectedClicked
    )
    delegate = DateDelegate(table)
    for column in date_columns:
        table.setItemDelegateForColumn(column, delegate)
    header = table.horizontalHeader()
    for column in range(len(headers)):
        mode = (
            QHeaderView.ResizeMode.Stretch if column == stretch else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(column, mode)
    return table


def _date_item(d: date) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(EDIT, _qdate(d))
    return item


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
        self.holidays = _editable_table(["Vacances", "Du", "Au"], (1, 2), stretch=0)
        self.holidays.setItemDelegateForColumn(
            0, EditorDelegate(self.holidays, lambda e: bound(e, HolidayRow, "name"))
        )
        self.add_holiday_button = QPushButton("Ajouter des vacances")
        self.remove_holiday_button = QPushButton("Retirer")
        self.add_holiday_button.clicked.connect(self.add_holiday)
        self.remove_holiday_button.clicked.connect(lambda: self._remove_row(self.holidays))
        holidays_box = self._box(
            "Vacances scolaires", self.holidays, self.add_holiday_button, self.remove_holiday_button
        )

        # --- public holidays ----------------------------------------------------------------------------
        self.public = _editable_table(["Date", "Jour férié"], (0,), stretch=1)
        self.public.setItemDelegateForColumn(
            1, EditorDelegate(self.public, lambda e: bound(e, PublicHolidayRow, "name"))
        )
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

        # --- local closings (saved at once) -------------------------------------------------------------
        self.closing_rows = RowsModel(
            [
                Column("Date", lambda c: f"{c.day:%d/%m/%Y}"),
                Column("Motif", lambda c: c.name),
                Column("Structure", lambda c: c.structure[:1].upper() + c.structure[1:]),
            ]
        )
        self.closings = table_view(self.closing_rows, stretch=1)
        self.closing_day = date_edit(today)
        self.closing_name = bound(QLineEdit(), school_year.add_local_closing, "name")
        self.closing_name.setPlaceholderText("motif (ex. formation des animateurs)")
        self.closing_structure = NameCombo(24)
        self.closing_structure.addItem(ALL_STRUCTURES, None)
        for s in structure_rows:
            self.closing_structure.addItem(s.name, s.id)
        self.add_closing_button = QPushButton("Ajouter la fermeture")
        self.remove_closing_button = QPushButton("Retirer la fermeture choisie")
        self.add_closing_button.clicked.connect(self.add_closing)
        self.remove_closing_button.clicked.connect(self.remove_closing)
        closing_form = QHBoxLayout()
        for w in (self.closing_day, self.closing_name, self.closing_structure, self.add_closing_button):
            closing_form.addWidget(w)
        closing_form.setStretch(1, 1)
        closings_box = QGroupBox("Fermetures exceptionnelles (enregistrées aussitôt)")
        closings_layout = QVBoxLayout(closings_box)
        closings_layout.addWidget(self.closings)
        closings_layout.addLayout(closing_form)
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.remove_closing_button)
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
        closings_layout.addLayout(remove_row)

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
            "Mercredis de l'ALAE hors vacances, jours fériés et fermetures ; jours de semaine des vacances pour "
            "l'ALSH. Relancer la génération ne crée rien deux fois et suit le calendrier enregistré."
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
        left.addWidget(closings_box, 2)
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
            self._append_holiday(h.name, h.start, h.end)
        self.public.setRowCount(0)
        for p in loaded.public_holidays:
            self._append_public(p.day, p.name)
        self._filling = False
        self.closing_rows.set_rows(loaded.closings)
        self._show_bridge()
        start = date(int(loaded.school_year[:4]), 9, 1)
        if not start <= date_of(self.closing_day) <= date(start.year + 1, 8, 31):
            self.closing_day.setDate(_qdate(start))
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

    def _append_holiday(self, name: str, start: date, end: date) -> int:
        row = self.holidays.rowCount()
        self.holidays.insertRow(row)
        self.holidays.setItem(row, 0, QTableWidgetItem(name))
        self.holidays.setItem(row, 1, _date_item(start))
        self.holidays.setItem(row, 2, _date_item(end))
        return row

    def _append_public(self, day: date, name: str) -> int:
        row = self.public.rowCount()
        self.public.insertRow(row)
        self.public.setItem(row, 0, _date_item(day))
        self.public.setItem(row, 1, QTableWidgetItem(name))
        return row

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
        last = max((h.end for h in self.holiday_rows()), default=start - timedelta(days=1))
        first = min(last + timedelta(days=1), end)
        row = self._append_holiday("", first, min(first + timedelta(days=6), end))
        self._mark_dirty()
        self._edit_name(self.holidays, row, 0)
        return row

    def add_public_holiday(self) -> int:
        start, _end = self._span()
        row = self._append_public(start, "")
        self._mark_dirty()
        self._edit_name(self.public, row, 1)
        return row

    @staticmethod
    def _edit_name(table: QTableWidget, row: int, column: int) -> None:
        item = table.item(row, column)
        assert item is not None, "the row was just appended with its items"
        table.selectRow(row)
        table.scrollToItem(item)
        table.setCurrentCell(row, column)
        table.editItem(item)

    def _remove_row(self, table: QTableWidget) -> None:
        row = table.currentRow()
        if row >= 0:
            table.removeRow(row)
            self._mark_dirty()

    @staticmethod
    def _text(table: QTableWidget, row: int, column: int) -> str:
        item = table.item(row, column)
        return item.text().strip() if item is not None else ""

    @staticmethod
    def _date(table: QTableWidget, row: int, column: int) -> date | None:
        item = table.item(row, column)
        value = item.data(EDIT) if item is not None else None
        return _pydate(value) if isinstance(value, QDate) and value.isValid() else None

    def holiday_rows(self) -> list[HolidayRow]:
        """The school holidays as shown in the table (a line without a name is refused by the service)."""
        out = []
        for row in range(self.holidays.rowCount()):
            start, end = self._date(self.holidays, row, 1), self._date(self.holidays, row, 2)
            if start is not None and end is not None:
                out.append(HolidayRow(self._text(self.holidays, row, 0), start, end))
        return out

    def public_rows(self) -> list[PublicHolidayRow]:
        out = []
        for row in range(self.public.rowCount()):
            day = self._date(self.public, row, 0)
            if day is not None:
                out.append(PublicHolidayRow(day, self._text(self.public, row, 1)))
        return out

    def save(self) -> bool:
        if self.calendar is None:
            return False
        zone, year = self.calendar.zone, self.calendar.school_year
        holidays, public = self.holiday_rows(), self.public_rows()
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

    # --- local closings ---------------------------------------------------------------------------------
    def _reload_closings(self) -> None:
        if self.calendar is None:
            return
        zone, year = self.calendar.zone, self.calendar.school_year
        loaded = self.ctx.ops.run(lambda: school_year.school_calendar(self.ctx.db, zone, year))
        if loaded is not None:
            self.closing_rows.set_rows(loaded.closings)
            self.calendar = replace(self.calendar, closings=loaded.closings, bridge=loaded.bridge)
            self._show_bridge()

    def add_closing(self) -> int | None:
        day, name = date_of(self.closing_day), self.closing_name.text()
        structure_id = self.closing_structure.currentData()
        closing_id = self.ctx.ops.run(
            lambda: school_year.add_local_closing(self.ctx.db, self.ctx.actor, day, name, structure_id),
            write=True,
        )
        if closing_id is not None:
            self.closing_name.clear()
            self._reload_closings()
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
        self._reload_closings()  # the holidays being edited stay as they are
        return closing_id

    def _show_bridge(self) -> None:
        bridge = self.calendar.bridge if self.calendar is not None else None
        if bridge is not None:
            when = format_date(bridge, "EEEE d MMMM y", locale="fr_FR")
            self.bridge_button.setText(f"Fermer le pont de l'Ascension ({when})")
        self.bridge_button.setVisible(bridge is not None)

    def remove_closing(self) -> bool:
        index = self.closings.currentIndex()
        if not index.isValid():
            return False
        closing_id = self.closing_rows.rows[index.row()].id
        done = self.ctx.ops.run(
            succeeded(lambda: school_year.remove_local_closing(self.ctx.db, self.ctx.actor, closing_id)),
            write=True,
        )
        self._reload_closings()
        return bool(done)

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
