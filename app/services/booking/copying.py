""" "Copier": repeat the basket's requested days on another child of the family or another activity."""

from __future__ import annotations

from dataclasses import dataclass

from ..actors import Actor
from ..bounds import checked
from ..errors import ValidationError
from ..uow import Database
from .basket import Action, Basket, BasketLine
from .validation import recap


@dataclass(frozen=True)
class CopyReport:
    added: list[BasketLine]
    skipped: list[tuple[BasketLine, str]]
    """Copied days that cannot be booked now (closed, deadline, already booked…), with the reason."""


@checked
def copy_days(
    db: Database,
    actor: Actor,
    basket: Basket,
    *,
    from_child_id: int,
    from_activity_id: int,
    to_child_id: int | None = None,
    to_activity_id: int | None = None,
) -> CopyReport:
    """Add to ``basket`` the days requested for (from_child, from_activity), for another child or activity.

    Each copied day is re-validated through the recap rules; only those that pass are added.
    """
    if to_child_id is None and to_activity_id is None:
        raise ValidationError("Choisissez l'enfant ou l'activité vers lesquels copier.")
    target_child = to_child_id if to_child_id is not None else from_child_id
    target_activity = to_activity_id if to_activity_id is not None else from_activity_id
    if (target_child, target_activity) == (from_child_id, from_activity_id):
        raise ValidationError("La copie doit viser un autre enfant ou une autre activité.")
    sources = [
        ln
        for ln in basket.lines
        if ln.child_id == from_child_id and ln.activity_id == from_activity_id and ln.action is Action.ADD
    ]
    if not sources:
        raise ValidationError("Aucun jour à réserver à copier pour cet enfant et cette activité.")
    present = {ln.key for ln in basket.lines}
    candidates = [
        BasketLine(target_child, target_activity, ln.day, Action.ADD)
        for ln in sources
        if (target_child, target_activity, ln.day) not in present
    ]
    if not candidates:
        return CopyReport([], [])
    trial = Basket(basket.family_id, candidates)
    checked = recap(db, actor, trial)  # validates the child's family, the activity's structure, the calendar
    added = [r.line for r in checked.additions if r.ok]
    skipped = [(r.line, r.check.reason) for r in checked.additions if not r.ok]
    basket.lines.extend(added)
    return CopyReport(added, skipped)
