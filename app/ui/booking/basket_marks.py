"""What the agent's marks ask of the basket: a day clicked (booked, removed or undone for every child being
booked), the open days of a range or of a holiday period, and the words that report them and a copy."""

from __future__ import annotations

from datetime import date
from functools import partial

from ...services.booking.basket import Action, Basket
from ...services.booking.copying import CopyReport
from ...services.booking.month_view import DayCell, MonthView, PeriodRow, month_views
from ...text import count, short_date
from ..context import CounterContext
from .calendar_grid import supervisor_action

ChildCells = list[tuple[int, DayCell]]
"""Days of the calendar, each with the child it is for."""


def names(words: list[str]) -> str:
    """ "Léa", "Léa et Tom", "Léa, Tom et Zoé"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def toggle_day(
    basket: Basket,
    activity_id: int,
    d: date,
    cells: ChildCells,
    pending: dict[tuple[int, date], Action],
    supervisor: bool,
) -> None:
    """A day clicked: undone for every checked child when it was asked for one of them; else asked to book
    for each child who can be booked that day, or else to remove for each child booked that day (a supervisor:
    else what an agent could not ask, to pass over in the recap)."""
    if any((child_id, d) in pending for child_id, _c in cells):
        for child_id, _c in cells:
            if (child_id, d) in pending:
                basket.toggle(child_id, activity_id, d, pending[(child_id, d)])
        return
    adds = [child_id for child_id, c in cells if c.can_book]
    removes = [child_id for child_id, c in cells if c.can_remove]
    for child_id in adds or removes:
        basket.toggle(child_id, activity_id, d, Action.ADD if adds else Action.REMOVE)
    if not adds and not removes and supervisor:  # to pass over in the recap
        for child_id, c in cells:
            action = supervisor_action(c)
            if action is not None:
                basket.toggle(child_id, activity_id, d, action)


def range_cells(views: list[MonthView], lo: date, hi: date) -> ChildCells:
    """The weekdays from ``lo`` to ``hi`` of the month shown, for each child."""
    return [(v.child_id, c) for v in views for c in v.cells if lo <= c.day <= hi and c.day.weekday() < 5]


def period_cells(
    ctx: CounterContext, family_id: int, child_ids: list[int], activity_id: int, period: PeriodRow
) -> ChildCells:
    """The days of a holiday period for each child, over several months when the period spans them."""
    first, last = (d.year * 12 + d.month - 1 for d in (period.start, period.end))
    months = [(i // 12, i % 12 + 1) for i in range(first, last + 1)]

    def month_of(year: int, month: int) -> list[MonthView]:
        return month_views(ctx.db, family_id, child_ids, activity_id, year, month)

    cells = []
    for year, month in months:
        views = ctx.ops.run(partial(month_of, year, month), default=[]) or []
        cells += [(v.child_id, c) for v in views for c in v.cells if period.start <= c.day <= period.end]
    return cells


def mark_open_days(basket: Basket, activity_id: int, cells: ChildCells) -> int:
    """Each day that can be booked asked to book (days already asked stay as they are): how many were marked."""
    pending = {(ln.child_id, ln.day) for ln in basket.lines if ln.activity_id == activity_id}
    marked = 0
    for child_id, cell in cells:
        if cell.can_book and (child_id, cell.day) not in pending:
            basket.toggle(child_id, activity_id, cell.day, Action.ADD)
            marked += 1
    return marked


def mark_range(
    basket: Basket, activity_id: int, cells: ChildCells, lo: date, hi: date, *, waitlist: bool
) -> str:
    """The open days of a range from ``lo`` to ``hi`` asked to book; ``waitlist=False`` (a week's label): not the
    full days (a place there is a waitlist request, asked by its own click). The words that say what was marked."""
    left_out = [] if waitlist else [(ch, c) for ch, c in cells if c.can_book and c.waitlist_if_booked]
    marked = mark_open_days(basket, activity_id, [x for x in cells if x not in left_out])
    span = f"du {short_date(lo, year=False)} au {short_date(hi, year=False)}"
    text = f"{count(marked, 'jour marqué', 'jours marqués')} {span}."
    if left_out:
        full = ", ".join(short_date(d, year=False) for d in sorted({c.day for _child, c in left_out}))
        text += f" Complet, à cliquer pour la liste d'attente : {full}."
    return text


def copy_text(report: CopyReport) -> str:
    """The copy's result: the days copied, and the ones not copied with the reason."""
    text = f"{count(len(report.added), 'jour copié', 'jours copiés')} dans les demandes en cours."
    if report.skipped:
        text += " Non copiés : " + " ; ".join(
            f"{short_date(ln.day, year=False)} ({reason})" for ln, reason in report.skipped
        )
    return text
