"""The month calendar (Monday–Friday) of one activity for the children being booked: each day's places and
waitlist, and for each child its state or what the basket asks; clicks and the keyboard mark days.

A single painted widget: here its data, its geometry (weeks, days, the text size that fits the window) and the
agent's clicks and keys; how a day looks is ``calendar_paint``'s. A click (or space) on a day marks it for every
child being booked; Maj+clic, a drag from one day to another and Maj+flèches mark every open day between the
first day and the one reached; a click on a week's label marks its days with a place left (a full day's waitlist
is asked by its own click). The widget only says what was asked (``toggled``, ``range_requested``,
``week_requested``): the booking view decides.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...services.booking.basket import Action
from ...services.booking.month_view import DayCell, DayState
from .calendar_paint import (
    ChildMonth,
    day_tooltip,
    paint_day,
    paint_day_names,
    paint_empty,
    paint_week,
)

THIN = 0.4
"""Height of a week in which nothing runs, relative to the others."""
MIN_TEXT_PX, MAX_TEXT_PX = 11, 20


def supervisor_action(cell: DayCell) -> Action | None:
    """What a régisseur may still ask on a day an agent cannot change (the recap then shows the line refused,
    and « Accorder le dépassement » passes over it): booking a day whose deadline passed, not open yet or full
    without a waitlist; removing a booked day whose cancellation deadline passed."""
    if cell.reservation_id is None and cell.state in (
        DayState.DEADLINE_PASSED,
        DayState.NOT_OPEN,
        DayState.FULL,
    ):
        return Action.ADD
    if cell.state is DayState.BOOKED and not cell.can_remove:
        return Action.REMOVE
    return None


class CalendarGrid(QWidget):
    """Emits ``toggled(date)`` for a click or space on a day, ``range_requested(first, last)`` for Maj+clic, a
    drag and Maj+flèches, ``week_requested(first, last)`` for a click on a week's label."""

    toggled = Signal(object)
    range_requested = Signal(object, object)
    week_requested = Signal(object, object)
    """A week's label clicked: its days with a place (a full day's waitlist is asked by its own click)."""

    def __init__(self) -> None:
        super().__init__()
        self.months: list[ChildMonth] = []
        self.pending: dict[tuple[int, date], Action] = {}
        self.focus_day: date | None = None
        self.pressed_day: date | None = None
        """The day under the mouse button while it is held (``mouseReleaseEvent``)."""
        self.anchor: date | None = None
        """The day a range starts from (the last day clicked or marked)."""
        self.empty_text = ""
        self.supervisor = False
        """A régisseur may also mark the days an agent cannot change (``supervisor_action``)."""
        self.text_px = MIN_TEXT_PX
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(QSize(420, 280))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Calendrier du mois")
        self.setToolTip("")

    # --- data ------------------------------------------------------------------------------------
    def set_month(self, months: list[ChildMonth], pending: dict[tuple[int, date], Action]) -> None:
        """Show these children's month (the same month and activity for all) and what the basket asks."""
        same_month = bool(self.months and months) and (
            self.months[0].view.year,
            self.months[0].view.month,
        ) == (
            months[0].view.year,
            months[0].view.month,
        )
        self.months = months
        self.pending = dict(pending)
        days = self.weekdays()
        if days and self.focus_day not in days:
            actionable = [d for d in days if self.can_toggle(d)]
            self.focus_day = actionable[0] if actionable else days[0]
        if not same_month:
            self.anchor = None
        self._fit_text()
        self.update()

    def weekdays(self) -> list[date]:
        if not self.months:
            return []
        return [c.day for c in self.months[0].view.cells if c.day.weekday() < 5]

    def cells(self, d: date) -> list[tuple[ChildMonth, DayCell]]:
        """Each child's cell for that day, in the children's order."""
        found = []
        for month in self.months:
            cell = month.view.cell(d)
            if cell is not None:
                found.append((month, cell))
        return found

    def cell_for(self, d: date, child_id: int | None = None) -> DayCell | None:
        """That child's cell (the first child's by default)."""
        for month, cell in self.cells(d):
            if child_id is None or month.child_id == child_id:
                return cell
        return None

    def can_toggle(self, d: date) -> bool:
        return any(
            (m.child_id, d) in self.pending
            or c.can_book
            or c.can_remove
            or (self.supervisor and supervisor_action(c) is not None)
            for m, c in self.cells(d)
        )

    # --- geometry --------------------------------------------------------------------------------
    def _week_width(self) -> int:
        return QFontMetrics(self._font(0.85)).horizontalAdvance("sem. 52") + 12

    def _header(self) -> int:
        return QFontMetrics(self._font(0.85)).height() + 8

    def weeks(self) -> list[date]:
        days = self.weekdays()
        if not days:
            return []
        monday = days[0] - timedelta(days=days[0].weekday())
        weeks = []
        while monday <= days[-1]:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def _row_weights(self) -> list[float]:
        """Weeks in which nothing runs get a thin row, so that the open days have the room."""
        weights = []
        for monday in self.weeks():
            runs = any(
                c.state is not DayState.CLOSED
                for i in range(5)
                for _m, c in self.cells(monday + timedelta(days=i))
            )
            weights.append(1.0 if runs else THIN)
        return weights

    def _rows(self) -> list[tuple[int, int]]:
        """Top and height of each week's row."""
        weights = self._row_weights()
        header = self._header()
        unit = (self.height() - header - 1) / max(THIN, sum(weights))
        rows, top = [], float(header)
        for w in weights:
            rows.append((int(top), int(unit * w)))
            top += unit * w
        return rows

    def _column_width(self) -> float:
        return (self.width() - self._week_width() - 1) / 5

    def cell_rect(self, d: date) -> QRect:
        weeks = self.weeks()
        row = next(i for i, monday in enumerate(weeks) if monday <= d < monday + timedelta(days=7))
        top, height = self._rows()[row]
        width = self._column_width()
        left = self._week_width() + d.weekday() * width
        return QRect(int(left) + 1, top + 1, int(width) - 2, height - 2)

    def week_rect(self, monday: date) -> QRect:
        row = self.weeks().index(monday)
        top, height = self._rows()[row]
        return QRect(0, top + 1, self._week_width() - 3, height - 2)

    def day_at(self, pos: QPoint) -> date | None:
        for d in self.weekdays():
            if self.cell_rect(d).contains(pos):
                return d
        return None

    def week_at(self, pos: QPoint) -> date | None:
        for monday in self.weeks():
            if self.week_rect(monday).contains(pos):
                return monday
        return None

    def week_days(self, monday: date) -> tuple[date, date]:
        """The first and last day of the month shown in that week (for ``week_requested``)."""
        days = [d for d in self.weekdays() if monday <= d < monday + timedelta(days=5)]
        return days[0], days[-1]

    # --- text size: it grows with the window ---------------------------------------------------------
    def _fit_text(self) -> None:
        rows = [h for _t, h in self._rows() if h > 0] if self.months else []
        height = max(rows) if rows else 80
        lines = 1 + max(1, len(self.months))
        by_height = height / (lines * 1.9)
        by_width = self._column_width() / 11
        self.text_px = int(max(MIN_TEXT_PX, min(MAX_TEXT_PX, by_height, by_width)))

    def _font(self, scale: float = 1.0, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(9, int(self.text_px * scale)))
        font.setBold(bold)
        return font

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    # --- interaction -----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        monday = self.week_at(pos)
        if monday is not None:
            first, last = self.week_days(monday)
            self.setFocus()
            self.week_requested.emit(first, last)
            self.anchor = last
            return
        d = self.day_at(pos)
        if d is None:
            return
        self.setFocus()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        start = self.anchor if self.anchor is not None else self.focus_day
        if shift and start is not None and start != d:
            self.focus_day = d
            self.anchor = d
            self.range_requested.emit(start, d)
        elif self.can_toggle(d):
            self.focus_day = d
            # toggled when the button is released there; released on another day: a range
            self.pressed_day = d
        else:
            self.focus_day = d
            reasons = {c.reason for _m, c in self.cells(d) if c.reason}
            if reasons:
                QToolTip.showText(event.globalPosition().toPoint(), "\n".join(sorted(reasons)), self)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """The day pressed is marked; dragged over to another day, every open day between them (as Maj+clic)."""
        first, self.pressed_day = self.pressed_day, None
        if first is None or event.button() != Qt.MouseButton.LeftButton:
            return
        last = self.day_at(event.position().toPoint())
        self.anchor = last or first
        if last is not None and last != first:
            self.focus_day = last
            self.range_requested.emit(first, last)
        else:
            self.toggled.emit(first)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        monday = self.week_at(pos)
        if monday is not None:
            self.setToolTip(
                "Marquer les jours de la semaine où il reste de la place (un jour complet : cliquez-le pour la liste d'attente)"
            )
            return
        d = self.day_at(pos)
        self.setToolTip(self.describe(d) if d else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        days = self.weekdays()
        if not days or self.focus_day is None:
            super().keyPressEvent(event)
            return
        key = event.key()
        steps: dict[int, int] = {
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Up: -5,
            Qt.Key.Key_Down: 5,
        }
        if key in steps:
            start = self.focus_day
            i = days.index(start) + steps[key]
            self.focus_day = days[max(0, min(len(days) - 1, i))]
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                first = self.anchor if self.anchor is not None else start
                self.anchor = first
                self.range_requested.emit(first, self.focus_day)
            else:
                self.anchor = self.focus_day
            self.update()
        elif key == Qt.Key.Key_Space and self.can_toggle(self.focus_day):
            self.anchor = self.focus_day
            self.toggled.emit(self.focus_day)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Shift:
            self.anchor = self.focus_day  # the next range starts where this one ended
        super().keyReleaseEvent(event)

    # --- drawing ---------------------------------------------------------------------------------
    def describe(self, d: date) -> str:
        """The tooltip of a day: its date, places and waitlist, each child's state and the reasons."""
        return day_tooltip(d, self.cells(d), self.pending)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.months:
            paint_empty(p, self.rect(), self.empty_text, self._font(1.1))
            p.end()
            return
        paint_day_names(
            p, self._week_width(), self._column_width(), self._header(), self._font(0.85, bold=True)
        )
        for monday in self.weeks():
            paint_week(p, self.week_rect(monday), monday, self._font(0.85))
        focused = self.focus_day if self.hasFocus() else None
        for d in self.weekdays():
            paint_day(p, self.cell_rect(d), d, self.cells(d), self.pending, self._font, d == focused)
        p.end()
