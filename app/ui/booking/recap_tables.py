"""The recap's tables: the columns of the bookings and the cancellations asked for (prices with the family's aids
deducted), the read-only table view they show in, its height fitted to its rows, the lines' order and the
results' colours (the outcome's table takes them too)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableView

from ...services.booking.basket import WAITLIST_MEANING, Likely, RecapLine
from ...text import format_eur, short_date
from ..table_model import Column, RowsModel
from ..widgets import elide_cells

OK_COLOUR, BAD_COLOUR, WAIT_COLOUR = QColor("#1b5e20"), QColor("#b00020"), QColor("#5e35b1")
CANCEL_COLOUR = QColor("#616161")

ROW_HEIGHT = 26


def _likely(line: RecapLine) -> str:
    if not line.ok:
        return "Refusée"
    if line.likely is Likely.WAITLISTED:
        return f"En liste d'attente (rang {line.waitlist_rank} probable)"
    if line.likely is Likely.REFUSED:
        return "Refusée : complet"
    return "Acceptée" + (" (dépassement)" if line.line.overridden else "")


def _price(line: RecapLine) -> str:
    return line.price.explained() if line.price is not None else format_eur(line.amount_cents)


def _check() -> Column:
    """Whether the line passes the rules, else why not."""
    return Column(
        "Contrôle",
        lambda r: "Conforme" if r.ok else r.check.reason,
        colour=lambda r: OK_COLOUR if r.ok else BAD_COLOUR,
        tooltip=lambda r: r.check.reason,
    )


def additions_model() -> RowsModel:
    """The bookings asked for: price, check, places left and what will likely happen (accepted, waitlisted)."""
    places = Column(
        "Places", lambda r: "" if r.places_left is None else str(max(0, r.places_left)), right=True
    )
    return RowsModel(
        [
            Column("Enfant", lambda r: r.child_name),
            Column("Activité", lambda r: r.activity_name),
            Column("Jour", lambda r: short_date(r.line.day, weekday=True)),
            Column(
                "Prix", _price, right=True, tooltip=lambda r: "Prix du jour moins les aides de la famille"
            ),
            _check(),
            places,
            Column(
                "Prévision",
                _likely,
                colour=lambda r: WAIT_COLOUR if r.likely is Likely.WAITLISTED else None,
                tooltip=lambda r: WAITLIST_MEANING.capitalize() if r.likely is Likely.WAITLISTED else "",
            ),
        ]
    )


def removals_model() -> RowsModel:
    """The cancellations asked for: refund and check."""
    return RowsModel(
        [
            Column("Enfant", lambda r: r.child_name),
            Column("Activité", lambda r: r.activity_name),
            Column("Jour", lambda r: short_date(r.line.day, weekday=True)),
            Column("Remboursement", lambda r: format_eur(r.amount_cents), right=True),
            _check(),
        ]
    )


def recap_table(model: RowsModel) -> QTableView:
    """A read-only table of the recap: no selection, no focus, one line a row."""
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QTableView.SelectionMode.NoSelection)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    elide_cells(view)  # one line a row, a long name cut with « … » and whole in its tooltip
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view


def fit_rows(view: QTableView, rows: int, room: int) -> None:
    """Tall enough for every row up to ``room`` rows (then it scrolls), never a cut-off table."""
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    height = (
        view.horizontalHeader().sizeHint().height()
        + 2 * view.frameWidth()
        + ROW_HEIGHT * max(1, min(rows, room))
    )
    view.setFixedHeight(height + 2)


def by_child(lines: list[RecapLine]) -> list[RecapLine]:
    """By child, activity and day: a sibling's lines together."""
    return sorted(lines, key=lambda r: (r.child_name, r.activity_name, r.line.day))
