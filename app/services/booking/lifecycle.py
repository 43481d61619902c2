"""The reservation lifecycle: the only code that changes a reservation's status or waitlist position, with its
money (charges and refunds), its audit rows and its e-mails (docs/architecture.md, « A booking, from a click to
the e-mail »).

Transitions: a request is accepted and charged, waitlisted with its rank, or refused; an accepted or waitlisted
reservation is cancelled (refunded when accepted); the oldest waitlisted requests are promoted and charged when
places free up; a closed day cancels, refunds and e-mails its families; an absence is billed (the charge stays)
unless a medical certificate, recorded within 48 hours, refunds it; a supervisor reorders a waitlist.

The lifecycle applies decisions; it does not make them: ``decide`` (pure) says what becomes of each request, and a
``Plan`` of those decisions is written by ``apply`` in a handful of set-based statements (a basket's confirmation,
a day's promotions, a closed day, an anonymisation's cancellations). Every function runs inside the caller's
transaction, on rows the caller read AFTER locking the days concerned (``waitlist.lock_days``): the rules that
decide (closed day, capacity, deadline, duplicate, balance) are evaluated on those rows, never on rows read before
the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session, contains_eager, selectinload

from ...models import (
    LIVE_STATUSES,
    Activity,
    ActivityDay,
    Attendance,
    Child,
    Family,
    FamilyAid,
    LedgerEntry,
    LedgerKind,
    Reservation,
    ReservationStatus,
    Wallet,
    WalletKind,
    table_of,
)
from ...text import debit_warning, format_eur, long_date, long_moment, of, short_date, signature
from .. import audit
from ..actors import Actor
from ..end_of_day.outbox import Email, queue_emails
from ..errors import CertificateRefused, ValidationError
from ..money import ledger
from ..money.pricing import day_price
from .decide import FULL_REASON, Accept, Decision, Refuse, Slot, Waitlist, promoted
from .rules import certificate_limit
from .waitlist import accepted_count, change_capacity, lock_days, waitlist, waitlist_queues

COST_KINDS = (LedgerKind.CHARGE, LedgerKind.REFUND, LedgerKind.REVERSAL)
"""The ledger entries tied to a reservation that make what its day cost the family: its charge, and what was given
back for it (a cancellation's or a medical certificate's refund). Their sum is the day's net cost (the childcare
tax certificate's, ``money.tax_certificates``)."""


# --- a basket's decisions, written in one plan --------------------------------------------------------


@dataclass(frozen=True)
class Cancelling:
    """A live reservation to cancel, as ``decide`` decided it (``Cancel``: its refund)."""

    reservation: Reservation
    family_id: int
    activity: Activity
    refund_cents: int
    label: str
    """The refund's ledger label."""
    override_reason: str | None = None
    action: str = "reservation.cancel"
    """The audit row's action (a closed day's, an anonymisation's)."""


@dataclass(frozen=True)
class Requesting:
    """A new request on a locked day, as ``decide`` decided it (``Accept``, ``Waitlist`` or ``Refuse``)."""

    child: Child
    family: Family
    activity: Activity
    day: ActivityDay
    decision: Decision
    override_reason: str | None = None


@dataclass
class Plan:
    """What a basket's decisions write, in the confirmation's order: the cancellations (refunded), the waitlisted
    requests a freed place promotes (charged, e-mailed), the new requests (charged when accepted). ``apply`` writes
    it in a handful of statements."""

    now: datetime
    actor: Actor
    batch_id: str
    entries: ledger.LedgerBatch
    cancelling: list[Cancelling] = field(default_factory=list)
    promoting: list[tuple[ActivityDay, int]] = field(default_factory=list)
    """(locked day, waitlisted reservation id), each day's in its list's order."""
    queues: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """The waitlists as the plan leaves them before its new requests (``decide``'s slots): numbered 1..n again on
    the days where a waitlisted request left (cancelled or promoted)."""
    requesting: list[Requesting] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    """E-mails written after the promotions' (a closed day's families)."""
    trail: list[dict[str, Any]] = field(default_factory=list)
    """Audit rows written after the plan's own (``audit.row``)."""


@dataclass(frozen=True)
class Written:
    request_ids: list[int]
    """The new requests' ids, in the plan's order."""
    promoted_ids: list[int]


def apply(s: Session, plan: Plan) -> Written:
    """Write a plan inside the caller's transaction, on rows read after locking the days and the family's wallets:
    set-based UPDATEs for the cancellations, the promotions and the waitlists numbered again; one INSERT … RETURNING
    for the new requests, one INSERT for the ledger entries, one UPDATE per wallet, one INSERT for the audit rows and
    one for the e-mails. The ledger entries, audit rows and e-mails keep the plan's order."""
    now, actor, entries = plan.now, plan.actor, plan.entries
    trail: list[dict[str, Any]] = []
    _cancel_all(s, plan.cancelling, now)
    for c in plan.cancelling:
        res = c.reservation
        if c.refund_cents:
            entries.row(
                entries.wallet(c.family_id, c.activity.wallet_kind),
                kind=LedgerKind.REFUND,
                amount_cents=c.refund_cents,
                label=c.label,
                at=now,
                structure_id=c.activity.structure_id,
                agent_id=actor.agent_id,
                reservation_id=res.id,
            )
        trail.append(
            audit.row(
                s,
                at=now,
                action=c.action,
                entity="reservation",
                entity_id=res.id,
                agent_id=actor.agent_id,
                structure_id=c.activity.structure_id,
                family_id=c.family_id,
                before={"status": res.status},
                after={"status": "cancelled", "refund_cents": c.refund_cents},
                reason=c.override_reason,
            )
        )
    promoted = _promote_all(s, plan.promoting, now, actor, entries, trail)
    left = {
        c.reservation.activity_day_id
        for c in plan.cancelling
        if c.reservation.status is ReservationStatus.WAITLISTED
    } | {day.id for day, _ in plan.promoting}
    _number(s, {day_id: plan.queues.get(day_id, ()) for day_id in left})
    for c in plan.cancelling:
        s.expire(c.reservation)
    for r in plan.requesting:
        if isinstance(r.decision, Accept) and r.decision.raised_capacity is not None:
            change_capacity(
                s,
                r.day,
                r.decision.raised_capacity,
                now,
                actor,
                r.override_reason or "",
                "activity_day.capacity_override",
                trail,
            )
    values = [request_values(r.decision) for r in plan.requesting]
    ids = _insert_requests(s, plan, values)
    for r, rid, (status, position, price, refusal) in zip(plan.requesting, ids, values, strict=True):
        activity = r.activity
        if price:
            entries.row(
                entries.wallet(r.family.id, activity.wallet_kind),
                kind=LedgerKind.CHARGE,
                amount_cents=-price,
                label=_charge_label(activity, r.child, r.day),
                at=now,
                structure_id=activity.structure_id,
                agent_id=actor.agent_id,
                reservation_id=rid,
            )
        trail.append(
            audit.row(
                s,
                at=now,
                action="reservation.create",
                entity="reservation",
                entity_id=rid,
                agent_id=actor.agent_id,
                structure_id=activity.structure_id,
                family_id=r.family.id,
                after={
                    "child_id": r.child.id,
                    "day": r.day.day,
                    "activity_id": activity.id,
                    "status": status,
                    "waitlist_position": position,
                    "price_cents": price,
                    "refusal_reason": refusal,
                },
                reason=r.override_reason,
            )
        )
    entries.apply()
    audit.insert_rows(s, trail + plan.trail)
    queue_emails(s, _promotion_emails(s, promoted) + plan.emails, now)
    return Written(ids, [res.id for res, _ in promoted])


def request_values(decision: Decision) -> tuple[ReservationStatus, int | None, int | None, str | None]:
    """A new request's status, waitlist position, price charged and refusal reason, as decided (what its row holds;
    the confirmation's outcome says the same)."""
    if isinstance(decision, Accept):
        return ReservationStatus.ACCEPTED, None, decision.price_cents, None
    if isinstance(decision, Waitlist):
        return ReservationStatus.WAITLISTED, decision.position, None, None
    return (
        ReservationStatus.REFUSED,
        None,
        None,
        decision.reason if isinstance(decision, Refuse) else FULL_REASON,
    )


def _insert_requests(
    s: Session, plan: Plan, values: list[tuple[ReservationStatus, int | None, int | None, str | None]]
) -> list[int]:
    """The new requests in one INSERT … RETURNING, their ids in the plan's order."""
    if not plan.requesting:
        return []
    rows = [
        {
            "child_id": r.child.id,
            "activity_day_id": r.day.id,
            "status": status,
            "requested_at": plan.now,
            "decided_at": plan.now,
            "waitlist_position": position,
            "refusal_reason": refusal,
            "price_cents": price,
            "agent_id": plan.actor.agent_id,
            "batch_id": plan.batch_id,
            "override_reason": r.override_reason,
        }
        for r, (status, position, price, refusal) in zip(plan.requesting, values, strict=True)
    ]
    s.flush()
    table = table_of(Reservation)
    returning = insert(table).returning(table.c.id, table.c.child_id, table.c.activity_day_id)
    ids = {(child_id, day_id): rid for rid, child_id, day_id in s.execute(returning, rows)}
    return [ids[(r.child.id, r.day.id)] for r in plan.requesting]  # a child once per day in a basket


def _cancel_all(s: Session, cancelling: Sequence[Cancelling], now: datetime) -> None:
    """The cancellations' status in one UPDATE (their override reasons with it)."""
    if not cancelling:
        return
    if any(c.reservation.status not in LIVE_STATUSES for c in cancelling):
        raise ValidationError("Seule une réservation acceptée ou en liste d'attente peut être annulée.")
    values: dict[str, Any] = {
        "status": ReservationStatus.CANCELLED,
        "waitlist_position": None,
        "cancelled_at": now,
        "transmitted_at": None,
    }
    reasons = {c.reservation.id: c.override_reason for c in cancelling if c.override_reason}
    if reasons:
        values["override_reason"] = case(reasons, value=Reservation.id, else_=Reservation.override_reason)
    s.flush()
    s.execute(
        update(Reservation)
        .where(Reservation.id.in_([c.reservation.id for c in cancelling]))
        .values(values)
        .execution_options(synchronize_session=False)
    )


def _number(s: Session, queues: dict[int, tuple[int, ...]]) -> None:
    """The waitlists given, numbered 1..n in their order, in one UPDATE."""
    positions = {rid: n for queue in queues.values() for n, rid in enumerate(queue, start=1)}
    if positions:
        s.execute(
            update(Reservation)
            .where(Reservation.id.in_(list(positions)))
            .values(waitlist_position=case(positions, value=Reservation.id))
            .execution_options(synchronize_session=False)
        )


def _promote_all(
    s: Session,
    promoting: Sequence[tuple[ActivityDay, int]],
    now: datetime,
    actor: Actor,
    entries: ledger.LedgerBatch,
    trail: list[dict[str, Any]],
) -> list[tuple[Reservation, ActivityDay]]:
    """The promotions: one UPDATE (status, price of each family), their charges and audit rows in the plan."""
    if not promoting:
        return []
    by_id = {
        r.id: r
        for r in s.scalars(
            select(Reservation)
            .join(Reservation.child)
            .join(Child.family)
            .where(Reservation.id.in_([rid for _, rid in promoting]))
            .options(
                contains_eager(Reservation.child)
                .contains_eager(Child.family)
                .selectinload(Family.aids)
                .selectinload(FamilyAid.aid_type)
            )
        )
    }
    promoted = [(by_id[rid], day) for day, rid in promoting]
    families = {res.child.family_id for res, _ in promoted}
    for wallet in s.scalars(
        select(Wallet).where(Wallet.family_id.in_(families))
    ):  # read once, not per family
        entries.wallets.setdefault((wallet.family_id, WalletKind(wallet.kind)), wallet)
    prices = {}
    for res, day in promoted:
        if res.status is not ReservationStatus.WAITLISTED:
            raise ValidationError("Seule une demande en liste d'attente peut obtenir une place.")
        family = res.child.family
        prices[res.id] = day_price(day.activity, day.day, family.quotient_familial, family.aids).cents
    s.execute(
        update(Reservation)
        .where(Reservation.id.in_(list(prices)))
        .values(
            status=ReservationStatus.ACCEPTED,
            waitlist_position=None,
            decided_at=now,
            price_cents=case(prices, value=Reservation.id),
        )
        .execution_options(synchronize_session=False)
    )
    for res, day in promoted:
        s.expire(res)
        activity, family_id, price = day.activity, res.child.family_id, prices[res.id]
        if price:
            entries.row(
                entries.wallet(family_id, activity.wallet_kind),
                kind=LedgerKind.CHARGE,
                amount_cents=-price,
                label=_charge_label(activity, res.child, day),
                at=now,
                structure_id=activity.structure_id,
                agent_id=actor.agent_id,
                reservation_id=res.id,
            )
        trail.append(
            audit.row(
                s,
                at=now,
                action="reservation.promote",
                entity="reservation",
                entity_id=res.id,
                agent_id=actor.agent_id,
                structure_id=activity.structure_id,
                family_id=family_id,
                before={"status": "waitlisted"},
                after={"status": "accepted", "price_cents": price},
            )
        )
    return promoted


def _promotion_emails(s: Session, promoted: Sequence[tuple[Reservation, ActivityDay]]) -> list[Email]:
    """Each promoted family told (once the wallets moved: the balance said is the one after)."""
    if not promoted:
        return []
    balances = {
        family_id: int(total or 0)
        for family_id, total in s.execute(
            select(Wallet.family_id, func.sum(Wallet.balance_cents))
            .where(Wallet.family_id.in_({res.child.family_id for res, _ in promoted}))
            .group_by(Wallet.family_id)
        )
    }
    messages = []
    for res, day in promoted:
        child, activity = res.child, day.activity
        family = child.family
        messages.append(
            Email(
                kind="waitlist_promotion",
                dedup_key=f"promotion:{res.id}",
                family=family,
                subject=f"Une place s'est libérée – {activity.name} le {short_date(day.day)}",
                body=(
                    f"Bonjour,\n\nUne place s'est libérée : la demande en liste d'attente {of(child.first_name)} "
                    f"pour « {activity.name} » le {long_date(day.day)} est acceptée.\n"
                    f"Montant débité : {format_eur(res.price_cents or 0)}. "
                    + _balance_text(balances.get(family.id, 0))
                    + "\n\nSi cette place ne vous intéresse plus, pensez à l'annuler au plus tôt.\n\n"
                    + f"{signature(activity.structure.city)} – {activity.structure.name}"
                ),
            )
        )
    return messages


def _charge_label(activity: Activity, child: Child, day: ActivityDay) -> str:
    return f"{activity.name} – {child.first_name} – {short_date(day.day)}"


# --- cancelling ------------------------------------------------------------------------------------------


def refund_due(res: Reservation) -> int:
    """What cancelling this reservation gives back: its price when accepted and not refunded by a certificate."""
    if res.status is not ReservationStatus.ACCEPTED or res.certificate_at is not None:
        return 0
    return res.price_cents or 0


def cancel_future(s: Session, family: Family, after: date, now: datetime, actor: Actor) -> tuple[int, int]:
    """Before a family is anonymised: every live request of its children for a day after ``after`` cancelled, the
    accepted ones refunded, the places freed given to the waiting lists (no e-mail to the family: it is leaving).
    Returns (requests cancelled, cents refunded)."""
    live = s.scalars(
        select(Reservation)
        .join(ActivityDay, Reservation.activity_day_id == ActivityDay.id)
        .join(Child, Reservation.child_id == Child.id)
        .where(Child.family_id == family.id, Reservation.status.in_(LIVE_STATUSES), ActivityDay.day > after)
        .order_by(ActivityDay.day, Reservation.id)
    ).all()
    days = lock_days(s, [r.activity_day_id for r in live])
    leaving = {r.id for r in live}
    queues = {
        day_id: tuple(i for i in queue if i not in leaving)
        for day_id, (queue, _) in waitlist_queues(s, list(days)).items()
    }
    plan = Plan(now, actor, "", ledger.LedgerBatch(s), queues=queues)
    for res in live:
        day = days[res.activity_day_id]
        plan.cancelling.append(
            Cancelling(
                res,
                family.id,
                day.activity,
                refund_due(res),
                f"Annulation avant anonymisation – {day.activity.name} – {short_date(day.day)}",
                action="reservation.cancel_anonymised",
            )
        )
    refunded = sum(c.refund_cents for c in plan.cancelling)
    apply(s, plan)
    for day in days.values():
        promote(s, day, now, actor)
    return len(live), refunded


# --- the waitlist ----------------------------------------------------------------------------------------


def promote(s: Session, day: ActivityDay, now: datetime, actor: Actor) -> list[int]:
    """Promote the waitlisted requests of a locked day that its free places go to (``decide.promoted``): charged,
    e-mailed, the list numbered again. Their ids."""
    queue, tail = waitlist_queues(s, [day.id])[day.id]
    chosen, after = promoted(Slot(day.capacity, accepted_count(s, day.id), queue, tail, closed=day.closed))
    if not chosen:
        return []
    plan = Plan(
        now,
        actor,
        "",
        ledger.LedgerBatch(s),
        promoting=[(day, rid) for rid in chosen],
        queues={day.id: after.queue},
    )
    return apply(s, plan).promoted_ids


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


def _balance_text(balance: int) -> str:
    """The account's balance after a debit, said to the family; a warning when it is in debit."""
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
    audit.record(
        s,
        at=now,
        action="waitlist.reorder",
        entity="activity_day",
        entity_id=day.id,
        agent_id=actor.agent_id,
        structure_id=day.activity.structure_id,
        before={"order": [r.id for r in current]},
        after={"order": list(order)},
        reason=reason,
    )


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
    live = s.scalars(
        select(Reservation)
        .where(Reservation.activity_day_id == day.id, Reservation.status.in_(LIVE_STATUSES))
        .order_by(Reservation.id)
        .with_for_update()
        .options(selectinload(Reservation.child).selectinload(Child.family))
    ).all()
    day.closed, day.closed_reason = True, reason
    plan = Plan(now, actor, "", ledger.LedgerBatch(s), queues={day.id: ()})
    for res in live:
        family, refund = res.child.family, refund_due(res)
        plan.cancelling.append(
            Cancelling(
                res,
                family.id,
                activity,
                refund,
                f"Journée fermée – {activity.name} – {short_date(day.day)}",
                action="reservation.cancel_day_closed",
            )
        )
        body = (
            f"Bonjour,\n\nLa journée du {long_date(day.day)} ({activity.name}) est fermée : {reason}.\n"
            f"La réservation {of(res.child.first_name)} est annulée"
            + (f" et {format_eur(refund)} sont recrédités sur votre compte." if refund else ".")
            + f"\n\n{signature(activity.structure.city)} – {activity.structure.name}"
        )
        plan.emails.append(
            Email(
                "day_closed",
                f"closed:{res.id}",
                family,
                f"Journée annulée – {activity.name} le {short_date(day.day)}",
                body,
            )
        )
    families = sorted({c.family_id for c in plan.cancelling})
    refunded = sum(c.refund_cents for c in plan.cancelling)
    plan.trail.append(
        audit.row(
            s,
            at=now,
            action="activity_day.close",
            entity="activity_day",
            entity_id=day.id,
            agent_id=actor.agent_id,
            structure_id=activity.structure_id,
            after={"families": families, "refunded_cents": refunded},
            reason=reason,
        )
    )
    apply(s, plan)
    return ClosedDay([], refunded, sum(1 for e in plan.emails if e.family.email), families)


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
    audit.record(
        s,
        at=now,
        action="reservation.attendance",
        entity="reservation",
        entity_id=res.id,
        agent_id=actor.agent_id,
        structure_id=res.activity_day.activity.structure_id,
        family_id=res.child.family_id,
        before={"attendance": before},
        after={"attendance": attendance},
    )


def record_certificate(s: Session, res: Reservation, now: datetime, actor: Actor) -> int:
    """A medical certificate for an absence, within 48 hours after the day: the charge is refunded."""
    if res.status is not ReservationStatus.ACCEPTED or res.attendance is not Attendance.ABSENT:
        raise CertificateRefused("Un certificat médical ne s'enregistre que pour une absence pointée.")
    if res.certificate_at is not None:
        raise CertificateRefused("Un certificat médical est déjà enregistré pour cette absence.")
    limit = certificate_limit(res.activity_day.day)
    if now >= limit:
        last = long_moment(limit)
        raise CertificateRefused(
            f"Certificat hors délai : il devait être présenté dans les 48 heures (avant le {last})."
        )
    refund = refund_due(res)
    res.certificate_at = now
    activity = res.activity_day.activity
    if refund:
        ledger.post(
            s,
            ledger.wallet_for(s, res.child.family_id, activity.wallet_kind),
            kind=LedgerKind.REFUND,
            amount_cents=refund,
            at=now,
            structure_id=activity.structure_id,
            agent_id=actor.agent_id,
            label=f"Certificat médical – {activity.name} – {res.child.first_name} – "
            f"{short_date(res.activity_day.day)}",
            reservation_id=res.id,
        )
    audit.record(
        s,
        at=now,
        action="reservation.certificate",
        entity="reservation",
        entity_id=res.id,
        agent_id=actor.agent_id,
        structure_id=activity.structure_id,
        family_id=res.child.family_id,
        after={"certificate_at": now, "refund_cents": refund},
    )
    return refund
