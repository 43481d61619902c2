"""How the month calendar looks: the texts of a day fitted to its cell, the day's tooltip, the painting of the
day names, the weeks and the days (colours of each child's state or of what the basket asks), and the legend of
those colours under the calendar.

No geometry here: the calendar grid (``calendar_grid``) says where each week and day stand and which font size
fits the window; these functions paint what they are given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ...calendar_words import availability, child_label
from ...calendar_words import colours as colour_names
from ...services.booking.basket import Action
from ...services.booking.month_view import DayCell, DayState, MonthView
from ...text import WEEKDAYS, count, short_date
from ..theme import STATE_LEGEND, STATE_STYLE

Font = Callable[[float, bool], QFont]
"""The calendar's font at a scale of its text size, bold or not (``CalendarGrid._font``)."""


@dataclass(frozen=True)
class ChildMonth:
    """One child's month in the calendar."""

    child_id: int
    name: str
    view: MonthView


def availability_texts(cell: DayCell) -> list[str]:
    """``availability`` and shorter forms of it, for a narrow cell: "complet · 3 en attente", "complet · 3 att."."""
    text = availability(cell)
    if cell.waiting and (cell.places_left or 0) <= 0 and cell.state is not DayState.CLOSED:
        # whatever the first child's state (on the waitlist too): the day is full and has a queue
        return [text, f"complet · {cell.waiting} att.", f"complet ({cell.waiting})"]
    return [text]


def child_texts(cell: DayCell, action: Action | None, name: str | None) -> list[str]:
    """``child_label`` with the child's first name (several children), then shorter forms that keep what matters
    (the child, then the waitlist): "Léa : à réserver (attente)", "Léa : attente", "à réserver (attente)",
    "attente"."""
    label = child_label(cell, action)
    short = [label]
    if action is Action.ADD and cell.waitlist_if_booked:
        short.append("attente")
    elif action is Action.ADD:
        short.append("réserver")
    elif action is Action.REMOVE:
        short.append("supprimer")
    elif cell.state is DayState.WAITLISTED:
        short.append(f"rang {cell.rank}")
    if name is None:
        return short
    return [f"{name} : {t}" for t in short] + short


def fitted(texts: list[str], metrics: QFontMetrics, width: int) -> str:
    """The first text that fits ``width``, else the last one cut with an ellipsis."""
    for text in texts:
        if metrics.horizontalAdvance(text) <= width:
            return text
    return metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, width)


def day_tooltip(
    d: date, cells: list[tuple[ChildMonth, DayCell]], pending: dict[tuple[int, date], Action]
) -> str:
    """The tooltip of a day: its date, places and waitlist, each child's state and the reasons."""
    if not cells:
        return ""
    first = cells[0][1]
    text = short_date(d)
    if first.places_left is not None and first.state not in (DayState.CLOSED, DayState.PAST):
        text += f" : {count(max(0, first.places_left), 'place libre', 'places libres')} sur {first.capacity}"
        if first.waiting:
            text += f", {first.waiting} en attente"
    for month, cell in cells:
        line = f"\n{month.name} : {child_label(cell, pending.get((month.child_id, d)))}"
        if cell.reason and cell.state is not DayState.PAST:
            line += f" – {cell.reason}"
        text += line
    return text


def paint_empty(p: QPainter, rect: QRect, text: str, font: QFont) -> None:
    """No child's month to show: why, in the middle."""
    p.setPen(QColor("#607d8b"))
    p.setFont(font)
    p.drawText(
        rect.adjusted(20, 20, -20, -20),
        Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
        text,
    )


def paint_day_names(p: QPainter, left: int, width: float, height: int, font: QFont) -> None:
    """« lundi » to « vendredi » over the five columns that start at ``left``."""
    p.setPen(QColor("#455a64"))
    p.setFont(font)
    for i, name in enumerate(WEEKDAYS[:5]):
        rect = QRect(int(left + i * width), 0, int(width), height)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)


def paint_week(p: QPainter, rect: QRect, monday: date, font: QFont) -> None:
    """A week's label (« sem. 51 »): a click on it marks the week's open days."""
    p.setPen(QPen(QColor("#cfd8dc"), 1))
    p.setBrush(QColor("#f5f7f8"))
    p.drawRoundedRect(rect, 3, 3)
    p.setPen(QColor("#546e7a"))
    p.setFont(font)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"sem. {monday.isocalendar()[1]}")


def paint_day(
    p: QPainter,
    rect: QRect,
    d: date,
    cells: list[tuple[ChildMonth, DayCell]],
    pending: dict[tuple[int, date], Action],
    font: Font,
    focused: bool,
) -> None:
    """A day: its number and what it offers to everyone, then a band per child with its state or what the basket
    asks, in their colours; ``focused``: the keyboard's cursor is on it."""
    first = cells[0][1]
    many = len(cells) > 1
    closed = all(c.state is DayState.CLOSED for _m, c in cells)
    p.setPen(QPen(QColor("#b0bec5"), 1))
    p.setBrush(QColor(STATE_STYLE[DayState.CLOSED][0] if closed else "#fafafa"))
    p.drawRoundedRect(rect, 4, 4)
    number = font(1.0, True)
    line = QFontMetrics(number).height() + 4
    p.setPen(QColor("#263238"))
    p.setFont(number)
    top = rect.adjusted(6, 2, -6, 0)
    top.setHeight(line)
    p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{d.day}")
    p.setFont(font(0.9, first.state is DayState.FULL))
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
            action = pending.get((month.child_id, d))
            part = QRect(
                body.left(), int(body.top() + i * band), body.width(), int(band) - (1 if many else 0)
            )
            background, foreground = (QColor(c) for c in colour_names(cell, action))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(background)
            p.drawRoundedRect(part, 3, 3)
            p.setPen(foreground)
            p.setFont(font(0.95 if many else 1.0, action is not None))
            texts = child_texts(cell, action, month.name if many else None)
            shown = fitted(texts, QFontMetrics(p.font()), part.width() - 8)
            p.drawText(part.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, shown)
    if focused:
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor("#0d47a1"), 3))
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)


class Legend(QWidget):
    """The calendar's colours and what each says, four to a row."""

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
