"""Colours and wording shared by the counter's widgets (portal colours: orange = to book, green = to remove)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ..services.booking.month_view import DayState

ORANGE = QColor("#b35400")  # white text on it: contrast ≥ 4.5:1
GREEN = QColor("#1b7a3a")
DEBIT = QColor("#b00020")

STATE_STYLE: dict[DayState, tuple[str, str, str]] = {
    # state: (background, text colour, short label)
    DayState.PAST: ("#e3e7ea", "#607d8b", "passé"),
    DayState.CLOSED: ("#e6e6e6", "#5f5f5f", "fermé"),
    DayState.NOT_OPEN: ("#e6e6e6", "#5f5f5f", "pas ouvert"),
    DayState.DEADLINE_PASSED: ("#e6e6e6", "#5f5f5f", "délai dépassé"),
    DayState.FREE: ("#ffffff", "#1b5e20", "libre"),
    DayState.FULL: ("#f6c6cb", "#8e0000", "complet"),
    DayState.BOOKED: ("#1f6fb2", "#ffffff", "réservé"),
    DayState.WAITLISTED: ("#7e57c2", "#ffffff", "attente"),
    DayState.REFUSED: ("#ffe082", "#6d4c00", "refusé"),
}

STATE_LEGEND: list[tuple[str, str]] = [
    ("#ffffff", "Libre (places)"),
    ("#f6c6cb", "Complet"),
    ("#1f6fb2", "Réservé"),
    ("#7e57c2", "Liste d'attente (rang)"),
    ("#ffe082", "Refusé"),
    ("#e6e6e6", "Fermé / pas ouvert / délai dépassé"),
    (ORANGE.name(), "À réserver"),
    (GREEN.name(), "À supprimer"),
]
