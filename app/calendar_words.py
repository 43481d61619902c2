"""The booking calendar's colours and words, shared by the counter (Qt) and the family portal (HTML): the portal's
colours (orange = to book, green = to remove) and what a day says. No Qt and no web import here."""

from __future__ import annotations

from .services.booking.basket import Action
from .services.booking.month_view import DayCell, DayState
from .text import count

ORANGE = "#b35400"  # white text on it: contrast ≥ 4.5:1
GREEN = "#1b7a3a"
DEBIT = "#b00020"

STATE_STYLE: dict[DayState, tuple[str, str, str]] = {
    # state: (background, text colour, short label)
    DayState.PAST: ("#e3e7ea", "#546e7a", "passé"),
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
    (ORANGE, "À réserver"),
    (GREEN, "À supprimer"),
]


def availability(cell: DayCell) -> str:
    """What the day offers to everyone: places left, or full with its waitlist, or why it is closed."""
    if cell.state is DayState.CLOSED:
        if "férié" in cell.reason:
            return "férié"
        if "vacances" in cell.reason:
            return "vacances"
        return "fermé"
    if cell.state is DayState.PAST or cell.places_left is None:
        return ""
    if cell.places_left > 0:
        return count(cell.places_left, "place")
    return f"complet · {cell.waiting} en attente" if cell.waiting else "complet"


def child_label(cell: DayCell, action: Action | None) -> str:
    """What the day is for one child: what the basket asks, else its reservation, else whether it can be asked."""
    if action is Action.ADD:
        return "à réserver" + (" (attente)" if cell.waitlist_if_booked else "")
    if action is Action.REMOVE:
        return "à supprimer"
    if cell.state is DayState.WAITLISTED:
        return f"attente rang {cell.rank}"
    if cell.state is DayState.PAST:
        return "réservé (passé)" if cell.reason else "passé"
    if cell.state is DayState.CLOSED:
        return availability(cell)
    return STATE_STYLE[cell.state][2]


def colours(cell: DayCell, action: Action | None) -> tuple[str, str]:
    """Background and text colours of a child's part of a day."""
    if action is Action.ADD:
        return ORANGE, "#ffffff"
    if action is Action.REMOVE:
        return GREEN, "#ffffff"
    background, foreground, _ = STATE_STYLE[cell.state]
    return background, foreground
