"""The "Réservation" tab: child and activity selectors, the month calendar, the basket and its buttons."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..clock import local_today
from ..services.booking.basket import Action, Basket
from ..services.booking.copying import copy_days
from ..services.booking.month_view import MonthView, month_view
from ..services.counter import ActivityRow, activities_for
from ..services.families.view import FamilySummary
from .attendance_dialog import AttendanceDialog
from .calendar_grid import CalendarGrid
from .context import CounterContext
from .copy_dialog import CopyDialog
from .print_preview import PrintPreview, Rendered, rendered
from .theme import STATE_LEGEND
from .widgets import NameCombo


class Legend(QWidget):
    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for i, (background, text) in enumerate(STATE_LEGEND):
            swatch = QLabel()
            swatch.setFixedSize(14, 14)
            swatch.setStyleSheet(f"background:{background}; border:1px solid #90a4ae; border-radius:2px;")
            grid.addWidget(swatch, i // 4, (i % 4) * 2)
            grid.addWidget(QLabel(text), i // 4, (i % 4) * 2 + 1)


class BookingView(QWidget):
    """Emits ``validate_requested`` when the agent asks for the recap of a non-empty basket."""

    validate_requested = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.family: FamilySummary | None = None
        self.basket = Basket(0)
        self.activities: list[ActivityRow] = []
        today = local_today(ctx.db.clock)
        self.year, self.month = today.year, today.month
        self.view: MonthView | None = None
        self.preview: PrintPreview | None = None

        self.child = NameCombo(24)
        self.child.setAccessibleName("Enfant")
        self.activity = NameCombo()
        self.activity.setAccessibleName("Activité")
        self.previous = QToolButton()
        self.previous.setText("<")
        self.previous.setToolTip("Mois précédent (Page préc.)")
        self.next = QToolButton()
        self.next.setText(">")
        self.next.setToolTip("Mois suivant (Page suiv.)")
        self.month_label = QLabel()
        self.month_label.setMinimumWidth(120)
        self.month_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = CalendarGrid()
        self.pending = QLabel()
        self.pending.setObjectName("pending")
        self.clear = QPushButton("Annuler les opérations")
        self.copy = QPushButton("Copier vers…")
        self.attendance = QPushButton("Liste de présence…")
        self.presences = QPushButton("Présences…")
        self.presences.setToolTip("Pointer les présences et absences du jour sélectionné")
        self.attendance.setToolTip("Imprimer la liste de présence du jour sélectionné (animateurs)")
        self.validate = QPushButton("&Valider")
        self.validate.setObjectName("primary")
        self.validate.setToolTip("Afficher le récapitulatif (Ctrl+Entrée)")
        self.places_note = QLabel(
            "Places indicatives : ce nombre peut évoluer, la vérification se fait à la confirmation."
        )
        self.places_note.setStyleSheet("color:#607d8b;")

        child_label, activity_label = QLabel("&Enfant"), QLabel("&Activité")
        child_label.setBuddy(self.child)
        activity_label.setBuddy(self.activity)
        selectors = QHBoxLayout()
        widget: QWidget
        for widget in (child_label, self.child, activity_label, self.activity):
            selectors.addWidget(widget)
        selectors.addStretch(1)
        for widget in (self.previous, self.month_label, self.next):
            selectors.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear)
        buttons.addWidget(self.copy)
        buttons.addWidget(self.attendance)
        buttons.addWidget(self.presences)
        buttons.addStretch(1)
        buttons.addWidget(self.pending)
        buttons.addSpacing(12)
        buttons.addWidget(self.validate)
        layout = QVBoxLayout(self)
        layout.addLayout(selectors)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.places_note)
        layout.addWidget(Legend())
        layout.addLayout(buttons)
        self.setTabOrder(self.child, self.activity)
        self.setTabOrder(self.activity, self.grid)
        self.setTabOrder(self.grid, self.clear)
        self.setTabOrder(self.clear, self.copy)
        self.setTabOrder(self.copy, self.validate)

        self.child.currentIndexChanged.connect(lambda _i: self.refresh())
        self.activity.currentIndexChanged.connect(lambda _i: self.refresh())
        self.previous.clicked.connect(lambda: self.shift_month(-1))
        self.next.clicked.connect(lambda: self.shift_month(1))
        self.grid.toggled.connect(self.toggle)
        self.clear.clicked.connect(self.clear_basket)
        self.copy.clicked.connect(self.copy_to)
        self.attendance.clicked.connect(self.preview_attendance)
        self.presences.clicked.connect(self.open_presences)
        self.validate.clicked.connect(self.request_validation)
        self._update_pending()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl+Entrée = Valider; Page préc./suiv. = month (keys the calendar and selectors pass up)."""
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.request_validation()
        elif key == Qt.Key.Key_PageUp:
            self.shift_month(-1)
        elif key == Qt.Key.Key_PageDown:
            self.shift_month(1)
        else:
            super().keyPressEvent(event)

    # --- loading ---------------------------------------------------------------------------------
    def set_family(self, family: FamilySummary | None) -> None:
        """Show another family (or none): the basket belongs to one family, so it starts empty."""
        changed = family is None or self.family is None or family.id != self.family.id
        self.family = family
        if changed:
            self.basket = Basket(family.id if family else 0, self.ctx.structure_id)
        current_child = self.child.currentData()
        self.child.blockSignals(True)
        self.child.clear()
        for c in family.children if family else []:
            self.child.addItem(f"{c.first_name} ({c.school_level or f'{c.age} ans'})", c.id)
        index = self.child.findData(current_child)
        self.child.setCurrentIndex(index if index >= 0 else 0)
        self.child.blockSignals(False)
        self.reload_activities()

    def reload_activities(self) -> None:
        """Activities of the current structure (a structure switch drops a basket made for the other one)."""
        if self.basket.structure_id != self.ctx.structure_id:
            self.basket = Basket(self.basket.family_id, self.ctx.structure_id)
        sid = self.ctx.structure_id
        self.activities = (
            self.ctx.ops.run(lambda: activities_for(self.ctx.db, sid), default=[]) if sid else []
        )
        current = self.activity.currentData()
        self.activity.blockSignals(True)
        self.activity.clear()
        for a in self.activities:
            self.activity.addItem(a.name, a.id)
        index = self.activity.findData(current)
        self.activity.setCurrentIndex(index if index >= 0 else 0)
        self.activity.blockSignals(False)
        self.refresh()

    def show_month(self, year: int, month: int) -> None:
        self.year, self.month = year, month
        self.refresh()

    def shift_month(self, delta: int) -> None:
        index = self.year * 12 + self.month - 1 + delta
        self.show_month(index // 12, index % 12 + 1)

    def refresh(self) -> None:
        self.month_label.setText(format_date(date(self.year, self.month, 1), "MMMM y", locale="fr_FR"))
        child_id, activity_id = self.child.currentData(), self.activity.currentData()
        if self.family is None or child_id is None or activity_id is None:
            self.view = None
        else:
            family_id, year, month = self.family.id, self.year, self.month
            self.view = self.ctx.ops.run(
                lambda: month_view(self.ctx.db, family_id, child_id, activity_id, year, month)
            )
        self.grid.set_month(self.view, self._pending())
        self._update_pending()

    def _pending(self) -> dict[date, Action]:
        child_id, activity_id = self.child.currentData(), self.activity.currentData()
        if child_id is None or activity_id is None:
            return {}
        return self.basket.pending(child_id, activity_id)

    # --- basket ----------------------------------------------------------------------------------
    def toggle(self, d: date) -> None:
        cell = self.grid.cell_for(d)
        if cell is None:
            return
        action = Action.REMOVE if cell.can_remove else Action.ADD
        self.basket.toggle(self.child.currentData(), self.activity.currentData(), d, action)
        self.grid.set_month(self.view, self._pending())
        self._update_pending()

    def clear_basket(self) -> None:
        self.basket.clear()
        self.grid.set_month(self.view, {})
        self._update_pending()

    def _update_pending(self) -> None:
        n = len(self.basket)
        self.pending.setText(
            f"{n} demande{'s' if n > 1 else ''} en cours" if n else "Aucune demande en cours"
        )
        self.validate.setEnabled(n > 0)
        self.clear.setEnabled(n > 0)
        self.copy.setEnabled(bool(self._pending()) and any(a is Action.ADD for a in self._pending().values()))

    def request_validation(self) -> None:
        if len(self.basket):
            self.validate_requested.emit()

    def preview_attendance(self) -> PrintPreview | None:
        """The day's attendance list made and drawn on a worker thread; the preview opens when it is ready (and
        is returned when the call ran inline)."""
        day, activity_id = self.grid.focus_day, self.activity.currentData()
        if day is None or activity_id is None:
            return None
        from ..services.documents.attendance import attendance_pdf  # reportlab only when printing

        agent = self.ctx.actor.name

        def show(document: Rendered) -> None:
            self.preview = PrintPreview(
                self, document, f"Liste de présence du {day:%d/%m/%Y}", f"presence-{day:%Y-%m-%d}.pdf"
            )
            self.preview.open()

        self.preview = None
        self.ctx.ops.run(
            rendered(lambda: attendance_pdf(self.ctx.db, activity_id, day, agent)), show, background=True
        )
        return self.preview

    def open_presences(self) -> AttendanceDialog | None:
        day, activity_id = self.grid.focus_day, self.activity.currentData()
        if day is None or activity_id is None:
            return None
        self.presence_dialog = AttendanceDialog(self, self.ctx, activity_id, self.activity.currentText(), day)
        self.presence_dialog.finished.connect(lambda _code: self.refresh())
        self.presence_dialog.open()
        return self.presence_dialog

    def copy_to(self) -> None:
        """Open "Copier vers…" (non-modal open(): the view stays usable and testable)."""
        if self.family is None:
            return
        self.copy_dialog = CopyDialog(
            self, self.family, self.activities, self.child.currentData(), self.activity.currentData()
        )
        self.copy_dialog.accepted.connect(self._copy_accepted)
        self.copy_dialog.open()

    def _copy_accepted(self) -> None:
        to_child, to_activity = self.copy_dialog.target()
        from_child, from_activity = self.child.currentData(), self.activity.currentData()
        report = self.ctx.ops.run(
            lambda: copy_days(
                self.ctx.db,
                self.ctx.actor,
                self.basket,
                from_child_id=from_child,
                from_activity_id=from_activity,
                to_child_id=to_child,
                to_activity_id=to_activity,
            )
        )
        if report is None:
            return
        self.last_copy = report
        lines = [f"{len(report.added)} jour(s) copié(s) dans les demandes en cours."]
        lines += [f"{ln.day:%d/%m/%Y} non copié : {reason}" for ln, reason in report.skipped]
        self.ctx.ops.inform("Copier vers…", "\n".join(lines))
        self._update_pending()
