"""The booking calendar's month as the template draws it: its weeks, each day's cell (words, colours, the request a
click makes) and the note under it that says why the days that cannot be clicked cannot be."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date
from typing import Any

from ..calendar_words import availability, child_label
from ..services.booking.basket import Action
from ..services.booking.month_view import DayState
from ..text import WEEKDAYS, day_of_month, long_date

SCHOOL_DAYS = WEEKDAYS[:5]
"""The calendar's columns, « lundi » to « vendredi » (no activity runs on a weekend)."""


def parse_month(text: str) -> tuple[int, int] | None:
    """« 2026-12 » as (year, month); None for anything else."""
    try:
        year, month = (int(x) for x in text.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The month's weeks, Monday to Friday (no activity runs on a weekend)."""
    return [
        [d for d in week[:5]]
        for week in pycalendar.Calendar().monthdatescalendar(year, month)
        if any(d.month == month for d in week[:5])
    ]


def day_id(day: date) -> str:
    """The id of a day's cell in the calendar (« j-2026-12-09 »): where a click without JavaScript comes back."""
    return f"j-{day.isoformat()}"


def day_cell(cell: Any, day: date, action: Action | None, month: int) -> dict[str, Any]:
    """What the template shows of a day: its words, colours, and the request a click would make; ``locked``: a
    booked day past its cancellation deadline (a style of its own, and said in words: « plus annulable »);
    ``explained``: a day that cannot be clicked whose reason the note under the calendar gives (not the days the
    activity does not run: « fermé » says it)."""
    if cell is None or day.month != month:
        return {"day": day, "id": day_id(day), "outside": day.month != month, "label": "", "places": ""}
    click: Action | None = None
    if action is not None:
        click = action  # clicked again: the request is taken back
    elif cell.can_book:
        click = Action.ADD
    elif cell.can_remove:
        click = Action.REMOVE
    label, places = child_label(cell, action), availability(cell)
    if places.startswith(label):  # "fermé" / "fermé", "complet" / "complet · 3 en attente": said once
        places = places[len(label) :].lstrip(" ·")
    verb = "Retirer la demande" if action is not None else "Réserver" if click is Action.ADD else "Supprimer"
    when = long_date(day, year=False)
    locked = click is None and cell.state is DayState.BOOKED
    css = f"st-{action.value}" if action is not None else f"st-{cell.state.value}"
    generic = cell.state is DayState.CLOSED and cell.reason.startswith("pas d'accueil")
    explained = click is None and bool(cell.reason) and cell.state is not DayState.PAST and not generic
    return {
        "day": day,
        "id": day_id(day),
        "outside": False,
        "label": label,
        "places": places,
        "css": css + (" locked" if locked else ""),
        "reason": cell.reason,
        "click": click.value if click else None,
        "locked": locked,
        "explained": explained,
        "hint": f"{verb} le {when}" if click else when,
    }


def why_notes(cells: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The note under the calendar: the days that cannot be clicked with the reason each gives, the days that give
    the same one together (« du lundi 8 au vendredi 19 février »), in the order of the month."""
    groups: dict[tuple[bool, str], list[date]] = {}
    for c in cells:
        if c.get("explained"):
            groups.setdefault((c["locked"], c["reason"]), []).append(c["day"])
    return [
        {"days": days_text(days), "what": "réservé, plus annulable" if locked else "", "reason": reason}
        for (locked, reason), days in groups.items()
    ]


def days_text(days: list[date]) -> str:
    """Days of one month in words, runs of weekdays that follow each other as one span."""
    runs: list[list[date]] = []
    for d in days:
        gap = (d - runs[-1][-1]).days if runs else 0
        if gap == 1 or (gap == 3 and d.weekday() == 0):  # the next day, or Friday then Monday
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = [
        long_date(r[0], year=False)
        if len(r) == 1
        else f"du {weekday_and_day(r[0])} au {long_date(r[-1], year=False)}"
        for r in runs
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


def weekday_and_day(d: date) -> str:
    """« lundi 1er », « vendredi 19 »: the first day of a span whose month the last one says."""
    return f"{WEEKDAYS[d.weekday()]} {day_of_month(d)}"
