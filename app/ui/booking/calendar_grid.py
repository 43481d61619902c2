"""The month calendar (Monday–Friday) of one activity for the children being booked: each day's places and
waitlist, and for each child its state or what the basket asks; clicks and the keyboard mark days.

A single painted widget. A click (or space) on a day marks it for every child being booked; Maj+clic and
Maj+flèches mark every open day between the first day and the one reached; a click on a week's label marks its
open days. The widget only says what was asked (``toggled``, ``range_requested``): the booking view decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...calendar_words import availability, child_label
from ...calendar_words import colours as colour_names
from ...services.booking.basket import Action
from ...services.booking.month_view import DayCell, DayState, MonthView
from ...text import count
from ..theme import STATE_STYLE

DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
THIN = 0.4
"""Height of a week in which nothing runs, relative to the others."""
MIN_TEXT_PX, MAX_TEXT_PX = 11, 20


@dataclass(frozen=True)
class ChildMonth:
    """One child's month in the calendar."""

    child_id: int
    name: str
    view: MonthView


def availability_texts(cell: DayCell) -> list[str]:
    """``availability`` and shorter forms of it, for a narrow cell: "complet · 3 en attente", "complet · 3 att."."""
    text = availability(cell)
    if cell.state is DayState.FULL and cell.waiting and (cell.places_left or 0) <= 0:
        return [text, f"complet · {cell.waiting} att.", f"complet ({cell.waiting})"]
    return [text]


def fitted(texts: list[str], metrics: QFontMetrics, width: int) -> str:
    """The first text that fits ``width``, else the last one cut with an ellipsis."""
    for text in texts:
        if metrics.horizontalAdvance(text) <= width:
            return text
    return metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, width)


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
    """Emits ``toggled(date)`` for a click or space on a day, ``range_requested(first, last)`` for Maj+clic,
    Maj+flèches and a click on a week's label."""

    toggled = Signal(object)
    range_requested = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.months: list[ChildMonth] = []
        self.pending: dict[tuple[int, date], Action] = {}
        self.focus_day: date | None = None
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
        """The first and last day of the month shown in that week (a range for ``range_requested``)."""
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
            self.range_requested.emit(first, last)
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
            self.anchor = d
            self.toggled.emit(d)
        else:
            self.focus_day = d
            reasons = {c.reason for _m, c in self.cells(d) if c.reason}
            if reasons:
                QToolTip.showText(event.globalPosition().toPoint(), "\n".join(sorted(reasons)), self)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        monday = self.week_at(pos)
        if monday is not None:
            self.setToolTip("Marquer les jours ouverts de la semaine pour les enfants cochés")
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
        cells = self.cells(d)
        if not cells:
            return ""
        first = cells[0][1]
        text = f"{d:%d/%m/%Y}"
        if first.places_left is not None and first.state not in (DayState.CLOSED, DayState.PAST):
            text += (
                f" : {count(max(0, first.places_left), 'place libre', 'places libres')} sur {first.capacity}"
            )
            if first.waiting:
                text += f", {first.waiting} en attente"
        for month, cell in cells:
            line = f"\n{month.name} : {child_label(cell, self.pending.get((month.child_id, d)))}"
            if cell.reason and cell.state is not DayState.PAST:
                line += f" – {cell.reason}"
            text += line
        return text

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.months:
            p.setPen(QColor("#607d8b"))
            p.setFont(self._font(1.1))
            p.drawText(
                self.rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            p.end()
            return
        width = self._column_width()
        p.setPen(QColor("#455a64"))
        p.setFont(self._font(0.85, bold=True))
        for i, name in enumerate(DAY_NAMES):
            rect = QRect(int(self._week_width() + i * width), 0, int(width), self._header())
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        for monday in self.weeks():
            self._paint_week(p, monday)
        for d in self.weekdays():
            self._paint_day(p, d)
        p.end()

    def _paint_week(self, p: QPainter, monday: date) -> None:
        rect = self.week_rect(monday)
        p.setPen(QPen(QColor("#cfd8dc"), 1))
        p.setBrush(QColor("#f5f7f8"))
        p.drawRoundedRect(rect, 3, 3)
        p.setPen(QColor("#546e7a"))
        p.setFont(self._font(0.85))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"sem. {monday.isocalendar()[1]}")

    def _paint_day(self, p: QPainter, d: date) -> None:
        rect = self.cell_rect(d)
        cells = self.cells(d)
        first = cells[0][1]
        many = len(cells) > 1
        closed = all(c.state is DayState.CLOSED for _m, c in cells)
        p.setPen(QPen(QColor("#b0bec5"), 1))
        p.setBrush(QColor(STATE_STYLE[DayState.CLOSED][0] if closed else "#fafafa"))
        p.drawRoundedRect(rect, 4, 4)
        number = self._font(1.0, bold=True)
        line = QFontMetrics(number).height() + 4
        p.setPen(QColor("#263238"))
        p.setFont(number)
        top = rect.adjusted(6, 2, -6, 0)
        top.setHeight(line)
        p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{d.day}")
        p.setFont(self._font(0.9, bold=first.state is DayState.FULL))
        p.setPen(QColor("#8e0000") if first.state is DayState.FULL else QColor("#455a64"))
        room = top.adjusted(QFontMetrics(number).horizontalAdvance("31") + 6, 0, 0, 0)
        p.drawText(
            room,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            fitted(availability_texts(first), QFontMetrics(p.font()), room.width()),
        )
        if not closed and rect.height() > line + 8:
            body = rect.adjusted(3, line + 2, -3, -3)
            band = body.height() / len(cells)
            for i, (month, cell) in enumerate(cells):
                action = self.pending.get((month.child_id, d))
                part = QRect(
                    body.left(), int(body.top() + i * band), body.width(), int(band) - (1 if many else 0)
                )
                background, foreground = (QColor(c) for c in colour_names(cell, action))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(background)
                p.drawRoundedRect(part, 3, 3)
                p.setPen(foreground)
                p.setFont(self._font(0.95 if many else 1.0, bold=action is not None))
                text = child_label(cell, action)
                if many:
                    text = f"{month.name} : {text}"
                shown = QFontMetrics(p.font()).elidedText(text, Qt.TextElideMode.ElideRight, part.width() - 8)
                p.drawText(part.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, shown)
        if d == self.focus_day and self.hasFocus():
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor("#0d47a1"), 3))
            p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)
