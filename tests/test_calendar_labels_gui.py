"""The month calendar's words at the counter's usual width: what a narrow cell shows keeps what matters (the day
full with its queue, the child, the waitlist), and the cursor lands on a day that can change after another
activity is chosen."""

from __future__ import annotations

from datetime import date

from PySide6.QtGui import QFont, QFontMetrics
from sqlalchemy import select

from app.models import Family
from app.services.booking.basket import Action
from app.services.booking.month_view import DayCell, DayState
from app.ui.booking.calendar_paint import availability_texts, child_texts, fitted
from app.ui.shell.main_window import MainWindow
from tests.test_counter_gui import NOW

FULL_DAY = date(2026, 12, 22)


def _metrics(qapp) -> QFontMetrics:
    font = QFont()
    font.setPixelSize(13)
    return QFontMetrics(font)


def test_a_full_day_says_its_queue_whole_when_the_first_child_waits_on_it(qapp):
    """The first child already on the waitlist: the day's words were « complet · 3 en at… » (no short form)."""
    waiting = DayCell(FULL_DAY, DayState.WAITLISTED, places_left=0, capacity=24, rank=2, waiting=3)
    metrics = _metrics(qapp)
    width = metrics.horizontalAdvance("complet · 3 att.") + 2
    shown = fitted(availability_texts(waiting), metrics, width)
    assert shown == "complet · 3 att." and "…" not in shown


def test_a_narrow_cell_keeps_the_child_and_the_waitlist(qapp):
    """« Nathan : à réserver (attente) » cut at 1366×768 showed « Nathan : à réserve… », the waitlist hidden."""
    full = DayCell(
        FULL_DAY, DayState.FULL, places_left=0, capacity=24, can_book=True, waitlist_if_booked=True
    )
    metrics = _metrics(qapp)
    width = metrics.horizontalAdvance("Nathan : à réserver") + 2  # a cell narrower than the whole label
    assert fitted(child_texts(full, Action.ADD, "Nathan"), metrics, width) == "Nathan : attente"
    free = DayCell(date(2026, 12, 21), DayState.FREE, places_left=9, capacity=24, can_book=True)
    width = metrics.horizontalAdvance("Héloïse : réserver") + 2
    assert fitted(child_texts(free, Action.ADD, "Héloïse"), metrics, width) == "Héloïse : réserver"


def test_after_the_club_the_holiday_centre_opens_on_its_first_bookable_day(qtbot, demo_rw):
    """ALAE's cursor on a Wednesday of December (2nd), then CLSH chosen: the cursor stayed on the 2nd, closed at the
    holiday centre; it goes to the first day that can change (21st) and the calendar takes the focus."""
    demo_rw.clock.set(NOW)
    window = MainWindow(demo_rw)
    window.ops.show_messages = False
    window.ops.asynchronous = False
    qtbot.addWidget(window)
    window.show()
    with demo_rw.reading() as uow:
        family_id = uow.session.scalar(select(Family.id).where(Family.name == "FOUCHER"))
    window.open_family(family_id)
    booking = window.page.booking
    booking.activity.setCurrentIndex(booking.activity.findText("ALAE Mercredi après-midi"))
    booking.show_month(2026, 12)
    booking.grid.focus_day = date(2026, 12, 2)
    index = booking.activity.findText("CLSH Petites vacances")
    booking.activity.setCurrentIndex(index)
    booking.activity.activated.emit(index)  # the agent's choice, as the list sends it
    assert (booking.year, booking.month) == (2026, 12)
    assert booking.grid.focus_day == date(2026, 12, 21)
    qtbot.waitUntil(lambda: window.focusWidget() is booking.grid, timeout=10000)
