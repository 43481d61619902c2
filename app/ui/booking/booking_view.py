"""The "Réservation" tab: the children being booked (check boxes), the activity, the month calendar, the basket
and its buttons.

Siblings are booked together: a day marked in the calendar is asked for every checked child, each line checked
for its own child at the recap. Every action has a keyboard path, shown in its tooltip.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...clock import local_today
from ...services.booking.basket import Action, Basket
from ...services.booking.copying import copy_days
from ...services.booking.month_view import MonthView, activity_period, bookable_month, month_views
from ...services.counter import ActivityRow, activities_for
from ...services.families.view import FamilySummary
from ...text import count, month_year, short_date
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, rendered
from ..widgets import keyed
from .attendance_dialog import AttendanceDialog
from .basket_marks import copy_text, mark_open_days, mark_range, names, period_cells, range_cells, toggle_day
from .booking_header import ChildrenRow, Selectors, fill_activities
from .calendar_grid import CalendarGrid
from .calendar_paint import ChildMonth, Legend
from .copy_dialog import CopyDialog
from .no_child_page import NoChildPage


class BookingView(QWidget):
    """Emits ``validate_requested`` when the agent asks for the recap of a non-empty basket and
    ``add_child_requested`` from the hint shown for a family with no child."""

    validate_requested = Signal()
    add_child_requested = Signal()

    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.family: FamilySummary | None = None
        self.basket = Basket(0)
        self.activities: list[ActivityRow] = []
        today = local_today(ctx.db.clock)
        self.year, self.month = today.year, today.month
        self.views: list[MonthView] = []
        self.preview: PrintPreview | None = None

        self.grid = CalendarGrid()
        self.grid.supervisor = ctx.may("booking.override")
        self.grid.setToolTip("")
        self.children_row = ChildrenRow(self.refresh)
        self.selectors = Selectors(self.grid)
        self.activity, self.month_label = self.selectors.activity, self.selectors.month_label
        self.previous, self.next = self.selectors.previous, self.selectors.next
        self.no_child = NoChildPage()
        self.add_child = self.no_child.add_child
        self.calendar = QStackedWidget()
        self.calendar.addWidget(self.grid)
        self.calendar.addWidget(self.no_child)
        self.pending = QLabel()
        self.pending.setObjectName("pending")
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#1b5e20;")
        self.clear = keyed(QPushButton("Ann&uler les opérations"), "Vider les demandes en cours")
        self.copy = keyed(
            QPushButton("Co&pier vers…"),
            "Copier les jours à réserver vers un autre enfant ou une autre activité",
        )
        self.whole_period = keyed(
            QPushButton("&Toute la période"),
            "Marquer tous les jours ouverts de la période de vacances du jour sélectionné",
        )
        self.attendance = keyed(
            QPushButton("L&iste de présence…"),
            "Imprimer la liste de présence du jour sélectionné (animateurs)",
        )
        self.presences = keyed(
            QPushButton("P&résences…"), "Pointer les présences et absences du jour sélectionné"
        )
        self.validate = QPushButton("&Valider")
        self.validate.setObjectName("primary")
        self.validate.setToolTip("Afficher le récapitulatif (Alt+V ou Ctrl+Entrée)")
        self.places_note = QLabel(
            "Places indicatives : ce nombre peut évoluer, la vérification se fait à la confirmation. "
            "Maj+clic, glisser ou Maj+flèches : tous les jours entre deux jours ; clic sur « sem. » : ses jours avec "
            "de la place."
        )
        self.places_note.setWordWrap(True)
        self.places_note.setStyleSheet("color:#607d8b;")

        self.children_row.label.setBuddy(self.activity)  # the first child's box once the family is known
        self.children_row.grid.addWidget(self.children_row.label, 0, 0)
        children = QHBoxLayout()
        children.addLayout(self.children_row.grid)
        children.addStretch(1)
        buttons = QHBoxLayout()
        widget: QWidget
        for widget in (self.clear, self.copy, self.whole_period, self.attendance, self.presences):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.pending)
        buttons.addSpacing(12)
        buttons.addWidget(self.validate)
        layout = QVBoxLayout(self)
        layout.addLayout(children)
        layout.addLayout(self.selectors.row)
        layout.addWidget(self.calendar, 1)
        layout.addWidget(self.places_note)
        layout.addWidget(Legend())
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.activity.currentIndexChanged.connect(lambda _i: self._activity_chosen())
        # the agent's choice (not a list filled again): on to the calendar
        self.activity.activated.connect(lambda _i: QTimer.singleShot(0, self.grid.setFocus))
        self.previous.clicked.connect(lambda: self.shift_month(-1))
        self.next.clicked.connect(lambda: self.shift_month(1))
        self.grid.toggled.connect(self.toggle)
        self.grid.range_requested.connect(self.mark_range)
        self.grid.week_requested.connect(lambda first, last: self.mark_range(first, last, waitlist=False))
        self.clear.clicked.connect(self.clear_basket)
        self.copy.clicked.connect(self.copy_to)
        self.whole_period.clicked.connect(self.mark_period)
        self.attendance.clicked.connect(self.preview_attendance)
        self.presences.clicked.connect(self.open_presences)
        self.validate.clicked.connect(self.request_validation)
        self.add_child.clicked.connect(self.add_child_requested)
        here = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            ("PgUp", lambda: self.shift_month(-1)),
            ("PgDown", lambda: self.shift_month(1)),
            ("Ctrl+Return", self.request_validation),
            ("Ctrl+Enter", self.request_validation),
        ):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(here)
        for i in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Alt+{i}"), self, lambda n=i: self.children_row.toggle(n - 1))
            shortcut.setContext(here)
        self._update_pending()

    # --- the children being booked ---------------------------------------------------------------
    @property
    def child_boxes(self) -> dict[int, QCheckBox]:
        """The children's check boxes by child id, in the family's order."""
        return self.children_row.boxes

    def checked_children(self) -> list[int]:
        """The children being booked, in the family's order."""
        return self.children_row.checked()

    def set_checked(self, child_ids: list[int]) -> None:
        self.children_row.set_checked(child_ids)
        self.refresh()

    # --- loading ---------------------------------------------------------------------------------
    def set_family(self, family: FamilySummary | None) -> None:
        """Show another family (or none): the basket belongs to one family, so it starts empty, and the calendar
        opens on the first month the activity can be booked in."""
        changed = family is None or self.family is None or family.id != self.family.id
        self.family = family
        if changed:
            self.basket = Basket(family.id if family else 0)
            self.status.clear()
            self.grid.focus_day = self.grid.anchor = None  # the new family's first day that can change
            self.children_row.set_checked([])
        self.blockSignals(True)
        self.children_row.show(family.children if family else [], self.activity)
        self.blockSignals(False)
        self.reload_activities(jump=changed)

    def reload_activities(self, *, jump: bool = False) -> None:
        """Every activity of the agent's structures (ALSH and ALAE in one list); the one chosen is kept, else
        the agent's last one on this counter. ``jump``: open the calendar on the activity's first bookable
        month."""
        structure_ids = [s.id for s in self.ctx.structures]
        self.activities = (
            self.ctx.ops.run(lambda: activities_for(self.ctx.db, structure_ids), default=[]) or []
        )
        current = self.activity.currentData()
        if current is None:
            current = self.ctx.remembered("activity")
        fill_activities(self.activity, self.activities, current)
        if jump:
            self._jump_to_bookable_month()
        self.refresh()

    def _activity_chosen(self) -> None:
        """Another activity: its first bookable month, the cursor on its first day that can change (not the day
        the previous activity had it on: a Wednesday of the club may be closed at the holiday centre)."""
        self.ctx.remember("activity", self.activity.currentData())
        self.grid.focus_day = self.grid.anchor = None
        self._jump_to_bookable_month()
        self.refresh()

    def _jump_to_bookable_month(self) -> None:
        activity_id = self.activity.currentData()
        if activity_id is None:
            return
        month = self.ctx.ops.run(lambda: bookable_month(self.ctx.db, activity_id))
        if month is not None:
            self.year, self.month = month

    def show_month(self, year: int, month: int) -> None:
        self.year, self.month = year, month
        self.refresh()

    def shift_month(self, delta: int) -> None:
        index = self.year * 12 + self.month - 1 + delta
        self.show_month(index // 12, index % 12 + 1)

    def refresh(self) -> None:
        self.month_label.setText(month_year(date(self.year, self.month, 1)))
        has_children = bool(self.family and self.family.children)
        self.grid.supervisor = self.ctx.may("booking.override")  # the agent (or their role) may have changed
        self.calendar.setCurrentWidget(self.grid if has_children or self.family is None else self.no_child)
        child_ids, activity_id = self.checked_children(), self.activity.currentData()
        self.views = []
        if self.family is not None and child_ids and activity_id is not None:
            family_id, year, month = self.family.id, self.year, self.month
            self.views = (
                self.ctx.ops.run(
                    lambda: month_views(self.ctx.db, family_id, child_ids, activity_id, year, month),
                    default=[],
                )
                or []
            )
        self.grid.empty_text = (
            "Cochez un enfant pour voir ses jours." if has_children else "Choisissez une famille."
        )
        self._show_grid()

    def _child_name(self, child_id: int) -> str:
        family = self.family
        return next((c.first_name for c in family.children if c.id == child_id), "") if family else ""

    def _show_grid(self) -> None:
        months = [ChildMonth(v.child_id, self._child_name(v.child_id), v) for v in self.views]
        self.grid.set_month(months, self._pending())
        self._update_pending()

    def _pending(self) -> dict[tuple[int, date], Action]:
        activity_id = self.activity.currentData()
        if activity_id is None:
            return {}
        return {
            (child_id, d): action
            for child_id in self.checked_children()
            for d, action in self.basket.pending(child_id, activity_id).items()
        }

    # --- basket ----------------------------------------------------------------------------------
    def toggle(self, d: date) -> None:
        """A day clicked: undone for every checked child when it was asked for one of them; else asked to book
        for each child who can be booked that day, or else to remove for each child booked that day."""
        activity_id = self.activity.currentData()
        cells = [(m.child_id, c) for m, c in self.grid.cells(d)]
        if activity_id is None or not cells:
            return
        toggle_day(self.basket, activity_id, d, cells, self._pending(), self.grid.supervisor)
        self.status.clear()
        self._show_grid()

    def mark_range(self, first: date, last: date, *, waitlist: bool = True) -> None:
        """Every open day from ``first`` to ``last`` asked to book for each checked child who can be booked then
        (days already asked stay as they are); ``waitlist=False`` (a week's label): not its full days."""
        lo, hi = sorted((first, last))
        activity_id = self.activity.currentData()
        if activity_id is None:
            return
        cells = range_cells(self.views, lo, hi)
        self.status.setText(mark_range(self.basket, activity_id, cells, lo, hi, waitlist=waitlist))
        self._show_grid()

    def mark_period(self) -> None:
        """ "Toute la période": every open day of the holiday period of the selected day, for each checked child
        (over several months when the period spans them)."""
        day, activity_id, child_ids = (
            self.grid.focus_day,
            self.activity.currentData(),
            self.checked_children(),
        )
        if day is None or activity_id is None or not child_ids or self.family is None:
            return
        period = self.ctx.ops.run(lambda: activity_period(self.ctx.db, activity_id, day))
        if period is None:
            self.status.setText(
                f"Le {short_date(day)} n'appartient à aucune période de vacances de cette activité."
            )
            return
        cells = period_cells(self.ctx, self.family.id, child_ids, activity_id, period)
        marked = mark_open_days(self.basket, activity_id, cells)
        who = names([self._child_name(c) for c in child_ids])
        self.status.setText(f"{period.name} : {count(marked, 'jour marqué', 'jours marqués')} pour {who}.")
        self._show_grid()

    def clear_basket(self) -> None:
        self.basket.clear()
        self.status.clear()
        self._show_grid()

    def _update_pending(self) -> None:
        n = len(self.basket)
        self.pending.setText(
            count(n, "demande en cours", "demandes en cours") if n else "Aucune demande en cours"
        )
        self.validate.setEnabled(n > 0)
        self.clear.setEnabled(n > 0)
        self.copy.setEnabled(any(a is Action.ADD for a in self._pending().values()))
        self.whole_period.setEnabled(bool(self.views))

    def request_validation(self) -> None:
        if len(self.basket):
            self.validate_requested.emit()

    def preview_attendance(self) -> PrintPreview | None:
        """The day's attendance list made and drawn on a worker thread; the preview opens when it is ready (and
        is returned when the call ran inline)."""
        day, activity_id = self.grid.focus_day, self.activity.currentData()
        if day is None or activity_id is None:
            return None
        from ...services.documents.attendance import attendance_pdf  # reportlab only when printing

        agent, who = self.ctx.actor.name, self.ctx.actor  # with the right, the ⚠ and the fiches' page

        def show(document: Rendered) -> None:
            self.preview = PrintPreview(
                self, document, f"Liste de présence du {short_date(day)}", f"presence-{day:%Y-%m-%d}.pdf"
            )
            self.preview.open()

        self.preview = None
        self.ctx.ops.run(
            rendered(lambda: attendance_pdf(self.ctx.db, activity_id, day, agent, actor=who)),
            show,
            background=True,
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
        """Open "Copier vers…" (non-modal open(): the view stays usable and testable). The days of the first
        checked child are copied."""
        children = self.checked_children()
        if self.family is None or not children:
            return
        self.copy_from = children[0]
        self.copy_dialog = CopyDialog(
            self, self.family, self.activities, self.copy_from, self.activity.currentData()
        )
        self.copy_dialog.accepted.connect(self._copy_accepted)
        self.copy_dialog.open()

    def _copy_accepted(self) -> None:
        """The copy's result in the status line (no message to acknowledge)."""
        to_child, to_activity = self.copy_dialog.target()
        from_child, from_activity = self.copy_from, self.activity.currentData()
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
        self.status.setText(copy_text(report))
        self._show_grid()
