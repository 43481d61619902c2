"""The recap's outcome, once confirmed: each line's result (accepted, waitlisted, refused, cancelled) with its
amount and its transmission, in the table the requests were in, and the count of each result over it."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ...services.booking.basket import Action, ConfirmResult, LineOutcome, OutcomeStatus
from ...text import count, format_eur, short_date
from ..table_model import Column, RowsModel
from .recap_tables import BAD_COLOUR, CANCEL_COLOUR, OK_COLOUR, WAIT_COLOUR


def _colour(o: LineOutcome) -> QColor:
    return {
        OutcomeStatus.ACCEPTED: OK_COLOUR,
        OutcomeStatus.CANCELLED: CANCEL_COLOUR,
        OutcomeStatus.WAITLISTED: WAIT_COLOUR,
    }.get(o.status, BAD_COLOUR)


def _amount(o: LineOutcome) -> str:
    if not o.amount_cents:
        return ""
    if o.status is OutcomeStatus.CANCELLED:
        return f"+{format_eur(o.amount_cents)} remboursés"
    if o.status is OutcomeStatus.WAITLISTED:
        return f"{format_eur(o.amount_cents)} si une place se libère"
    return format_eur(o.amount_cents) if o.status is OutcomeStatus.ACCEPTED else ""


def _transmission(o: LineOutcome) -> str:
    return "Non transmise" if o.reservation_id is not None else ""


def outcome_model(result: ConfirmResult) -> RowsModel:
    """Each line's outcome, by child, activity and day."""
    model = RowsModel(
        [
            Column("Enfant", lambda o: o.child_name),
            Column("Activité", lambda o: o.activity_name),
            Column("Jour", lambda o: short_date(o.line.day, weekday=True)),
            Column("Demande", lambda o: "Réservation" if o.line.action is Action.ADD else "Annulation"),
            Column("Montant", _amount, right=True),
            Column("Résultat", lambda o: o.label, colour=_colour),
            Column("Transmission", _transmission),
        ]
    )
    model.set_rows(sorted(result.outcomes, key=lambda o: (o.child_name, o.activity_name, o.line.day)))
    return model


def outcome_title(result: ConfirmResult) -> str:
    """« Résultat : 3 acceptées, 1 en liste d'attente » (a result no line had is left out)."""
    tally = {status: sum(1 for o in result.outcomes if o.status is status) for status in OutcomeStatus}
    parts = [
        count(tally[OutcomeStatus.ACCEPTED], "acceptée"),
        f"{tally[OutcomeStatus.WAITLISTED]} en liste d'attente",
        count(tally[OutcomeStatus.REFUSED] + tally[OutcomeStatus.NOT_CANCELLED], "refusée"),
        count(tally[OutcomeStatus.CANCELLED], "annulée"),
    ]
    return "<b>Résultat</b> : " + ", ".join(p for p in parts if not p.startswith("0 "))
