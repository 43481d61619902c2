"""Colours and wording shared by the counter's widgets (portal colours: orange = to book, green = to remove)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ..services.month_view import DayState

ORANGE = QColor("#f28c28")
GREEN = QColor("#2e9e4f")
DEBIT = QColor("#b00020")

STATE_STYLE: dict[DayState, tuple[str, str, str]] = {
    # state: (background, text colour, short label)
    DayState.PAST: ("#eceff1", "#90a4ae", "passé"),
    DayState.CLOSED: ("#f5f5f5", "#9e9e9e", "fermé"),
    DayState.NOT_OPEN: ("#f5f5f5", "#757575", "pas ouvert"),
    DayState.DEADLINE_PASSED: ("#f5f5f5", "#757575", "délai dépassé"),
    DayState.FREE: ("#ffffff", "#1b5e20", "libre"),
    DayState.FULL: ("#fdecea", "#b71c1c", "complet"),
    DayState.BOOKED: ("#1f6fb2", "#ffffff", "réservé"),
    DayState.WAITLISTED: ("#7e57c2", "#ffffff", "attente"),
    DayState.REFUSED: ("#fff3e0", "#bf360c", "refusé"),
}

STATE_LEGEND: list[tuple[str, str]] = [
    ("#ffffff", "Libre (places restantes)"),
    ("#fdecea", "Complet (liste d'attente si possible)"),
    ("#1f6fb2", "Réservé"),
    ("#7e57c2", "En liste d'attente (rang)"),
    ("#fff3e0", "Refusé"),
    ("#f5f5f5", "Fermé / pas encore ouvert / délai dépassé"),
    (ORANGE.name(), "À réserver (demande en cours)"),
    (GREEN.name(), "À supprimer (demande en cours)"),
]

STYLE_SHEET = """
QWidget { font-size: 10pt; }
QLabel#familyTitle { font-size: 15pt; font-weight: 600; }
QLabel#balance { font-size: 12pt; font-weight: 600; }
QLabel#balance[debit="true"] { color: #b00020; }
QLabel#alert { background: #fff4e5; color: #8a4b00; border: 1px solid #f0c36d; border-radius: 3px; padding: 3px 6px; }
QLabel#alert[severe="true"] { background: #fdecea; color: #b00020; border-color: #f5a3a3; }
QFrame#topBar { background: #1f4e79; }
QFrame#topBar QLabel { color: white; }
QLabel#pending { font-weight: 600; color: #8a4b00; }
QPushButton#primary { font-weight: 600; padding: 4px 14px; }
QTableView { gridline-color: #dde3ea; }
"""
