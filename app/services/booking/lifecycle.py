"""The reservation lifecycle: the only code that changes a reservation's status or waitlist position, with its
money (charges and refunds), its audit rows and its e-mails (DESIGN.md §2.3–2.5).

Transitions: a request is accepted and charged, waitlisted with its rank, or refused; an accepted or waitlisted
reservation is cancelled (refunded when accepted); the oldest waitlisted requests are promoted and charged when
places free up; a closed day cancels, refunds and e-mails its families; an absence is billed (the charge stays)
unless a medical certificate, recorded within 48 hours, refunds it; a supervisor reorders a waitlist.

Every function runs inside the caller's transaction, on rows the caller read AFTER locking the days concerned
(``waitlist.lock_days``): the rules that decide (closed day, capacity, deadline, duplicate, balance) are evaluated
by the caller on those rows, never on rows read before the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    Attendance,
    Child,
    Family,
    LedgerEntry,
    LedgerKind,
    Reservation,
    ReservationStatus,
)
from ...text import debit_warning, of, signature
from .. import audit
from ..actors import Actor
from ..end_of_day.outbox import queue_email
from ..errors import CertificateRefused, ValidationError
from ..money import ledger
from ..money.amounts import format_eur
from ..money.pricing import day_price
from .decide import FULL_REASON, Accept, Decision, Refuse, Waitlist
from .rules import certificate_limit, long_date
from .waitlist import accepted_count, change_capacity, waitlist

# --- a new request -------------------------------------------------------------------------------------


def request(
    s: Session,
    *,
    child: Child,
    family: Family,
    activity: Activity,
    day: ActivityDay,
    decision: Decision,
    now: datetime,
    actor: Actor,
    batch_id: str,
    entries: ledger.LedgerBatch,
    override_reason: str | None = None,
) -> Reservation:
    """A new request for a locked day, as ``decide`` decided it: accepted and charged (a supervisor's capacity
    override raises the day's capacity first), waitlisted at its position, or refused with its reason. Not flushed;
    audited by ``audit_requests``."""
    res = Reservation(child_id=child.id, activity_day_id=day.id, requested_at=now, decided_at=now,
                      agent_id=actor.agent_id, batch_id=batch_id, override_reason=override_reason)  # fmt: skip
    res.child = child
    if isinstance(decision, Accept):
        if decision.raised_capacity is not None:
            change_capacity(s, day, decision.raised_capacity, now, actor, override_reason or "",
                            "activity_day.capacity_override")  # fmt: skip
        res.status = ReservationStatus.ACCEPTED
    elif isinstance(decision, Waitlist):
        res.status, res.waitlist_position = ReservationStatus.WAITLISTED, decision.position
    else:
        res.status = ReservationStatus.REFUSED
        res.refusal_reason = decision.reason if isinstance(decision, Refuse) else FULL_REASON
    s.add(res)
    if res.status is ReservationStatus.ACCEPTED:
        _charge(s, res, family, activity, day, now, actor, entries)
    return res


def audit_requests(
    s: Session, created: Sequence[tuple[Reservation, Activity, int]], now: datetime, actor: Actor
) -> None:
    """The audit rows of new requests, once they have their ids: (reservation, activity, family id)."""
    for res, activity, family_id in created:
        audit.record(s, at=now, action="reservation.create", entity="reservation", entity_id=res.id,
                     agent_id=actor.agent_id, structure_id=activity.structure_id, family_id=family_id,
                     after={"child_id": res.child_id, "day": res.activity_day.day if res.activity_day else None,
                            "activity_id": activity.id, "status": res.status,
                            "waitlist_position": res.waitlist_position, "price_cents": res.price_cents,
                            "refusal_reason": res.refusal_reason},
                     reason=res.override_reason)  # fmt: skip


def _charge(
    s: Session,
    res: Reservation,
    family: Family,
    activity: Activity,
    day: ActivityDay,
    now: datetime,
    actor: Actor,
    entries: ledger.LedgerBatch | None = None,
) -> None:
    """Post the charge of an accepted reservation (its price after aids) and remember the price."""
    price = day_price(activity, day.day, family.quotient_familial, family.aids).cents
    res.price_cents = price
    if not price:
        return
    label = f"{activity.name} – {res.child.first_name} – {day.day:%d/%m/%Y}"
    if entries is not None:
        entries.add(entries.wallet(family.id, activity.wallet_kind), kind=LedgerKind.CHARGE, amount_cents=-price,
                    label=label, at=now, structure_id=activity.structure_id, agent_id=actor.agent_id,
                    reservation=res)  # fmt: skip
        return
    wallet = ledger.wallet_for(s, family.id, activity.wallet_kind)
    ledger.post(s, wallet, kind=LedgerKind.CHARGE, amount_cents=-price, label=label, at=now,
                structure_id=activity.structure_id, agent_id=actor.agent_id, reservation_id=res.id)  # fmt: skip


# --- cancelling ------------------------------------------------------------------------------------------


def refund_due(res: Reservation) -> int:
    """What cancelling this reservation gives back: its price when accepted and not refunded by a certificate."""
    if res.status is not ReservationStatus.ACCEPTED or res.certificate_at is not None:
        return 0
    return res.price_cents or 0


def cancel(
    s: Session,
    res: Reservation,
    *,
    family: Family,
    activity: Activity,
    now: datetime,
    actor: Actor,
    label: str,
    override_reason: str | None = None,
    entries: ledger.LedgerBatch | None = None,
    action: str = "reservation.cancel",
) -> int:
    """Cancel a live reservation whose cancellation the caller checked (in time, or a supervisor's override):
    refund an accepted one, renumber the waitlist of a waitlisted one. Returns the refund in cents; the caller
    promotes from the waitlist of the days whose places were freed (``promote``)."""
    if res.status not in LIVE_STATUSES:
        raise ValidationError("Seule une réservation acceptée ou en liste d'attente peut être annulée.")
    was = res.status
    refund = refund_due(res)
    res.status, res.waitlist_position, res.cancelled_at, res.transmitted_at = (
        ReservationStatus.CANCELLED, None, now, None)  # fmt: skip
    if override_reason:
        res.override_reason = override_reason
    s.flush()
    if refund:
        if entries is not None:
            entries.add(entries.wallet(family.id, activity.wallet_kind), kind=LedgerKind.REFUND,
                        amount_cents=refund, label=label, at=now, structure_id=activity.structure_id,
                        agent_id=actor.agent_id, reservation=res)  # fmt: skip
        else:
            ledger.post(s, ledger.wallet_for(s, family.id, activity.wallet_kind), kind=LedgerKind.REFUND,
                        amount_cents=refund, label=label, at=now, structure_id=activity.structure_id,
                        agent_id=actor.agent_id, reservation_id=res.id)  # fmt: skip
    if was is ReservationStatus.WAITLISTED:
        renumber(s, res.activity_day_id)
    audit.record(s, at=now, action=action, entity="reservation", entity_id=res.id, agent_id=actor.agent_id,
                 structure_id=activity.structure_id, family_id=family.id, before={"status": was},
                 after={"status": "cancelled", "refund_cents": refund}, reason=override_reason)  # fmt: skip
    return refund


def cancel_future(s: Session, family: Family, after: date, now: datetime, actor: Actor) -> tuple[int, int]:
    """Before a family is anonymised: every live request of its children for a day after ``after`` cancelled, the
    accepted ones refunded, the places freed given to the waiting lists (no e-mail to the family: it is leaving).
    Returns (requests cancelled, cents refunded)."""
    from .waitlist import lock_days

    live = s.scalars(select(Reservation).join(ActivityDay, Reservation.activity_day_id == ActivityDay.id)
                     .join(Child, Reservation.child_id == Child.id).where(
        Child.family_id == family.id, Reservation.status.in_(LIVE_STATUSES), ActivityDay.day > after)
        .order_by(ActivityDay.day, Reservation.id)).all()  # fmt: skip
    days = lock_days(s, [r.activity_day_id for r in live])
    refunded = 0
    for res in live:
        day = days[res.activity_day_id]
        refunded += cancel(s, res, family=family, activity=day.activity, now=now, actor=actor,
                           label=f"Annulation avant anonymisation – {day.activity.name} – {day.day:%d/%m/%Y}",
                           action="reservation.cancel_anonymised")  # fmt: skip
    for day in days.values():
        promote(s, day, now, actor)
    return len(live), refunded


# --- the waitlist ----------------------------------------------------------------------------------------


def renumber(s: Session, day_id: int) -> None:
    """Make the day's waitlist positions 1..n again, keeping their order."""
    for position, res in enumerate(waitlist(s, day_id), start=1):
        if res.waitlist_position != position:
            res.waitlist_position = position
    s.flush()


def promote(
    s: Session, day: ActivityDay, now: datetime, actor: Actor, *, chosen: Sequence[int] | None = None
) -> list[Reservation]:
    """Promote the oldest waitlisted requests of a locked day while it has free places — or, after a basket, the
    ones ``decide`` chose (``chosen``) — charge and e-mail each."""
    promoted: list[Reservation] = []
    queue = waitlist(s, day.id)
    if chosen is not None:
        by_id = {r.id: r for r in queue}
        promoting = [by_id[rid] for rid in chosen]
    else:
        promoting = [] if day.closed else queue[: max(0, day.capacity - accepted_count(s, day.id))]
    if not promoting:
        return promoted
    activity = day.activity
    for res in promoting:
        child: Child = res.child
        family: Family = child.family
        res.status, res.waitlist_position, res.decided_at = ReservationStatus.ACCEPTED, None, now
        s.flush()
        _charge(s, res, family, activity, day, now, actor)
        audit.record(s, at=now, action="reservation.promote", entity="reservation", entity_id=res.id,
                     agent_id=actor.agent_id, structure_id=activity.structure_id, family_id=family.id,
                     before={"status": "waitlisted"}, after={"status": "accepted", "price_cents": res.price_cents})  # fmt: skip
        queue_email(
            s,
            kind="waitlist_promotion",
            dedup_key=f"promotion:{res.id}",
            family=family,
            subject=f"Une place s'est libérée – {activity.name} le {day.day:%d/%m/%Y}",
            body=(
                f"Bonjour,\n\nUne place s'est libérée : la demande en liste d'attente {of(child.first_name)} "
                f"pour « {activity.name} » le {long_date(day.day)} est acceptée.\n"
                f"Montant débité : {format_eur(res.price_cents or 0)}. "
                + _balance_after(s, family.id)
                + "\n\nSi cette place ne vous intéresse plus, pensez à l'annuler au plus tôt.\n\n"
                + f"{signature(activity.structure.city)} – {activity.structure.name}"
            ),
            now=now,
        )
        promoted.append(res)
    renumber(s, day.id)
    return promoted


def refunded(s: Session, reservation_ids: Sequence[int]) -> dict[int, int]:
    """What each of these requests' cancellations refunded (its refund entries), for what the family is told."""
    return {
        r: int(c or 0)
        for r, c in s.execute(
            select(LedgerEntry.reservation_id, func.sum(LedgerEntry.amount_cents))
            .where(
                LedgerEntry.kind == LedgerKind.REFUND, LedgerEntry.reservation_id.in_(list(reservation_ids))
            )
            .group_by(LedgerEntry.reservation_id)
        )
        if r is not None
    }


def _balance_after(s: Session, family_id: int) -> str:
    """The account's balance after a debit, said to the family; a warning when it is in debit."""
    s.flush()
    balance = ledger.family_balance(s, family_id)
    text = f"Solde de votre compte : {format_eur(balance)}."
    if balance < 0:
        text += "\n" + debit_warning(format_eur(-balance))
    return text


def reorder(
    s: Session, day: ActivityDay, order: Sequence[int], now: datetime, actor: Actor, reason: str
) -> None:
    """A supervisor's new order for a locked day's waitlist: ``order`` lists every waitlisted request."""
    current = waitlist(s, day.id)
    if sorted(r.id for r in current) != sorted(order) or len(set(order)) != len(order):
        raise ValidationError(
            "La nouvelle liste d'attente doit reprendre exactement les demandes en attente."
        )
    by_id = {r.id: r for r in current}
    for position, rid in enumerate(order, start=1):
        by_id[rid].waitlist_position = position
    audit.record(s, at=now, action="waitlist.reorder", entity="activity_day", entity_id=day.id,
                 agent_id=actor.agent_id, structure_id=day.activity.structure_id,
                 before={"order": [r.id for r in current]}, after={"order": list(order)}, reason=reason)  # fmt: skip


# --- closing a day ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedDay:
    families: list[str]
    """The families concerned, by name (read when the result is shown: the stored outcome holds only numbers)."""
    refunded_cents: int
    emails: int
    family_ids: list[int] = field(default_factory=list)


def close_day(s: Session, day: ActivityDay, reason: str, now: datetime, actor: Actor) -> ClosedDay:
    """Close a locked day: every live request is cancelled (accepted ones refunded, unless a certificate did it
    already), each family with an address is e-mailed; the day is flagged closed so that no booking can come."""
    activity = day.activity
    families: list[int] = []
    refunded = emails = 0
    entries = ledger.LedgerBatch(s)
    live = s.scalars(select(Reservation).where(Reservation.activity_day_id == day.id,
                                               Reservation.status.in_(LIVE_STATUSES))
                     .order_by(Reservation.id).with_for_update()).all()  # fmt: skip
    day.closed, day.closed_reason = True, reason
    for res in live:
        family = res.child.family
        refund = cancel(s, res, family=family, activity=activity, now=now, actor=actor,
                        label=f"Journée fermée – {activity.name} – {day.day:%d/%m/%Y}", entries=entries,
                        action="reservation.cancel_day_closed")  # fmt: skip
        refunded += refund
        families.append(family.id)
        body = (f"Bonjour,\n\nLa journée du {long_date(day.day)} ({activity.name}) est fermée : {reason}.\n"
                f"La réservation {of(res.child.first_name)} est annulée"
                + (f" et {format_eur(refund)} sont recrédités sur votre compte." if refund else ".")
                + f"\n\n{signature(activity.structure.city)} – {activity.structure.name}")  # fmt: skip
        if queue_email(s, kind="day_closed", dedup_key=f"closed:{res.id}", family=family,
                       subject=f"Journée annulée – {activity.name} le {day.day:%d/%m/%Y}", body=body, now=now):  # fmt: skip
            emails += 1
    s.flush()
    entries.apply()
    audit.record(s, at=now, action="activity_day.close", entity="activity_day", entity_id=day.id,
                 agent_id=actor.agent_id, structure_id=activity.structure_id,
                 after={"families": sorted(set(families)), "refunded_cents": refunded}, reason=reason)  # fmt: skip
    return ClosedDay([], refunded, emails, sorted(set(families)))


# --- attendance ------------------------------------------------------------------------------------------


def record_attendance(
    s: Session, res: Reservation, attendance: Attendance, now: datetime, actor: Actor
) -> None:
    """Present, or absent (billed: the charge stays unless a certificate comes within 48 hours)."""
    from ...clock import PARIS

    if res.status is not ReservationStatus.ACCEPTED:
        raise ValidationError("Seule une réservation acceptée peut être pointée présente ou absente.")
    if res.activity_day.day > now.astimezone(PARIS).date():
        raise ValidationError("La présence se pointe le jour même ou après.")
    if res.certificate_at is not None and attendance is Attendance.PRESENT:
        raise ValidationError("Un certificat médical est enregistré pour cette absence.")
    before = res.attendance
    res.attendance = attendance
    audit.record(s, at=now, action="reservation.attendance", entity="reservation", entity_id=res.id,
                 agent_id=actor.agent_id, structure_id=res.activity_day.activity.structure_id,
                 family_id=res.child.family_id, before={"attendance": before}, after={"attendance": attendance})  # fmt: skip


def record_certificate(s: Session, res: Reservation, now: datetime, actor: Actor) -> int:
    """A medical certificate for an absence, within 48 hours after the day: the charge is refunded."""
    from babel.dates import format_datetime

    from ...clock import PARIS

    if res.status is not ReservationStatus.ACCEPTED or res.attendance is not Attendance.ABSENT:
        raise CertificateRefused("Un certificat médical ne s'enregistre que pour une absence pointée.")
    if res.certificate_at is not None:
        raise CertificateRefused("Un certificat médical est déjà enregistré pour cette absence.")
    limit = certificate_limit(res.activity_day.day)
    if now >= limit:
        last = format_datetime(limit.astimezone(PARIS), "EEEE d MMMM y 'à' HH:mm", locale="fr_FR")
        raise CertificateRefused(
            f"Certificat hors délai : il devait être présenté dans les 48 heures (avant le {last})."
        )
    refund = refund_due(res)
    res.certificate_at = now
    activity = res.activity_day.activity
    if refund:
        ledger.post(s, ledger.wallet_for(s, res.child.family_id, activity.wallet_kind), kind=LedgerKind.REFUND,
                    amount_cents=refund, at=now, structure_id=activity.structure_id, agent_id=actor.agent_id,
                    label=f"Certificat médical – {activity.name} – {res.child.first_name} – "
                          f"{res.activity_day.day:%d/%m/%Y}", reservation_id=res.id)  # fmt: skip
    audit.record(s, at=now, action="reservation.certificate", entity="reservation", entity_id=res.id,
                 agent_id=actor.agent_id, structure_id=activity.structure_id, family_id=res.child.family_id,
                 after={"certificate_at": now, "refund_cents": refund})  # fmt: skip
    return refund
