"""The month calendar (Monday–Friday): each day's state, places, rank; clicks and the keyboard toggle requests.

A single painted widget: arrows move the focus from day to day, space (or a click) toggles orange / green.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..services.booking.basket import Action
from ..services.booking.month_view import DayCell, DayState, MonthView
from .theme import GREEN, ORANGE, STATE_STYLE

DAY_NAMES = ("lu", "ma", "me", "je", "ve")
HEADER = 22
THIN = 0.4


class CalendarGrid(QWidget):
    """Emits ``toggled(date)`` when the agent clicks (or presses space on) a day that can change."""

    toggled = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.view: MonthView | None = None
        self.pending: dict[date, Action] = {}
        self.focus_day: date | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(QSize(420, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Calendrier du mois")

    # --- data ------------------------------------------------------------------------------------
    def set_month(self, view: MonthView | None, pending: dict[date, Action]) -> None:
        self.view = view
        self.pending = dict(pending)
        days = self._weekdays()
        if days and (self.focus_day not in days):
            actionable = [c.day for c in self._cells() if c.can_book or c.can_remove]
            self.focus_day = actionable[0] if actionable else days[0]
        self.update()

    def _cells(self) -> list[DayCell]:
        return [c for c in (self.view.cells if self.view else []) if c.day.weekday() < 5]

    def _weekdays(self) -> list[date]:
        return [c.day for c in self._cells()]

    def cell_for(self, d: date) -> DayCell | None:
        return next((c for c in self._cells() if c.day == d), None)

    # --- geometry --------------------------------------------------------------------------------
    def _weeks(self) -> list[date]:
        days = self._weekdays()
        if not days:
            return []
        first_monday = days[0] - timedelta(days=days[0].weekday())
        weeks, monday = [], first_monday
        while monday <= days[-1]:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def _row_weights(self) -> list[float]:
        """Weeks with no day that runs get a thin row, so that the open days have the room."""
        states = {c.day: c.state for c in self._cells()}
        weights = []
        for monday in self._weeks():
            week = [states.get(monday + timedelta(days=i)) for i in range(5)]
            weights.append(1.0 if any(st not in (None, DayState.CLOSED) for st in week) else THIN)
        return weights

    def cell_rect(self, d: date) -> QRect:
        weeks = self._weeks()
        row = next(i for i, monday in enumerate(weeks) if monday <= d < monday + timedelta(days=7))
        weights = self._row_weights()
        unit = (self.height() - HEADER - 1) / max(THIN, sum(weights))
        top = HEADER + unit * sum(weights[:row])
        width = (self.width() - 1) / 5
        return QRect(int(d.weekday() * width) + 1, int(top) + 1, int(width) - 2, int(unit * weights[row]) - 2)

    def day_at(self, pos: QPoint) -> date | None:
        for cell in self._cells():
            if self.cell_rect(cell.day).contains(pos):
                return cell.day
        return None

    # --- interaction -----------------------------------------------------------------------------
    def can_toggle(self, d: date) -> bool:
        cell = self.cell_for(d)
        return cell is not None and (d in self.pending or cell.can_book or cell.can_remove)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        d = self.day_at(event.position().toPoint())
        if d is None:
            return
        self.focus_day = d
        self.setFocus()
        if self.can_toggle(d):
            self.toggled.emit(d)
        else:
            cell = self.cell_for(d)
            if cell is not None and cell.reason:
                QToolTip.showText(event.globalPosition().toPoint(), cell.reason, self)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        d = self.day_at(event.position().toPoint())
        cell = self.cell_for(d) if d else None
        self.setToolTip(self.describe(cell) if cell else "")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        days = self._weekdays()
        if not days or self.focus_day is None:
            return super().keyPressEvent(event)
        key = event.key()
        steps: dict[int, int] = {
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Up: -5,
            Qt.Key.Key_Down: 5,
        }
        if key in steps:
            i = days.index(self.focus_day) + steps[key]
            self.focus_day = days[max(0, min(len(days) - 1, i))]
            self.update()
        elif key == Qt.Key.Key_Space and self.can_toggle(self.focus_day):
            self.toggled.emit(self.focus_day)
        else:
            super().keyPressEvent(event)

    # --- drawing ---------------------------------------------------------------------------------
    @staticmethod
    def describe(cell: DayCell) -> str:
        text = f"{cell.day:%d/%m/%Y} : {STATE_STYLE[cell.state][2]}"
        if cell.rank:
            text += f", rang {cell.rank}"
        if cell.places_left is not None and cell.state not in (DayState.CLOSED, DayState.PAST):
            text += f", {max(0, cell.places_left)} place(s) sur {cell.capacity}"
        if cell.reason:
            text += f"\n{cell.reason}"
        return text

    def _label(self, cell: DayCell, action: Action | None) -> str:
        if action is Action.ADD:
            return "à réserver" + (" (attente)" if cell.waitlist_if_booked else "")
        if action is Action.REMOVE:
            return "à supprimer"
        if cell.state is DayState.FREE:
            assert cell.places_left is not None, "a free day has a capacity"
            return f"{cell.places_left} place{'s' if cell.places_left > 1 else ''}"
        if cell.state is DayState.WAITLISTED:
            return f"attente rang {cell.rank}"
        if cell.state is DayState.PAST and cell.reason:
            return "réservé (passé)"
        if cell.state is DayState.CLOSED and "férié" in cell.reason:
            return "férié"
        if cell.state is DayState.CLOSED and "vacances" in cell.reason:
            return "vacances"
        return STATE_STYLE[cell.state][2]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = (self.width() - 1) / 5
        bold = QFont(self.font())
        bold.setBold(True)
        p.setPen(QColor("#455a64"))
        for i, name in enumerate(DAY_NAMES):
            p.drawText(QRect(int(i * width), 0, int(width), HEADER), Qt.AlignmentFlag.AlignCenter, name)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        for cell in self._cells():
            rect = self.cell_rect(cell.day)
            action = self.pending.get(cell.day)
            background, foreground, _ = STATE_STYLE[cell.state]
            if action is Action.ADD:
                background, foreground = ORANGE.name(), "#ffffff"
            elif action is Action.REMOVE:
                background, foreground = GREEN.name(), "#ffffff"
            p.setBrush(QColor(background))
            p.setPen(QPen(QColor("#b0bec5"), 1))
            p.drawRoundedRect(rect, 4, 4)
            if cell.day == self.focus_day and self.hasFocus():
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor("#0d47a1"), 3))
                p.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 4, 4)
            p.setPen(QColor(foreground))
            p.setFont(bold)
            if rect.height() < 40:  # thin row: number and label on one line
                p.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                           f"{cell.day.day}")  # fmt: skip
                p.setFont(small)
                p.drawText(rect.adjusted(30, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                           self._label(cell, action))  # fmt: skip
                continue
            p.drawText(
                rect.adjusted(6, 3, -4, -4),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                f"{cell.day.day}",
            )
            p.setFont(bold if action is not None else small)
            p.drawText(
                rect.adjusted(4, 3, -4, -4),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap,
                self._label(cell, action),
            )
        p.end()
