"""Administration: closing a day, the aids catalogue, information messages. Administrators only (closing a day:
supervisors too); every change is audited. Setting a town up (structures, agents, activities, school years,
families' import) is in ``services.setup``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ...clock import PARIS
from ...models import (
    LIVE_STATUSES,
    ActivityDay,
    AidKind,
    AidType,
    InfoMessage,
    LedgerKind,
    Reservation,
    ReservationStatus,
)
from .. import audit
from ..actors import Actor
from ..booking.rules import long_date
from ..end_of_day.outbox import queue_email
from ..errors import UnknownEntity, ValidationError
from ..money import ledger
from ..money.amounts import format_eur
from ..uow import Database, with_retry


def _get(s, model, ident, label):
    row = s.get(model, ident)
    if row is None:
        raise UnknownEntity(f"{label} inconnu(e) (n° {ident}).")
    return row


@dataclass(frozen=True)
class ClosedDay:
    families: list[str]
    refunded_cents: int
    emails: int


def close_day(db: Database, actor: Actor, day_id: int, reason: str) -> ClosedDay:
    """Close an activity day: every live request is cancelled, charges refunded, families e-mailed."""
    actor.require_supervisor("fermer une journée")
    if not reason.strip():
        raise ValidationError("Le motif de fermeture est obligatoire (il est envoyé aux familles).")

    def work() -> ClosedDay:
        with db.writing() as uow:
            s = uow.session
            now = db.clock.now()
            day = s.scalar(select(ActivityDay).where(ActivityDay.id == day_id).with_for_update())
            if day is None:
                raise UnknownEntity(f"Journée inconnue (n° {day_id}).")
            if day.day < now.astimezone(PARIS).date():
                raise ValidationError(
                    f"La journée du {day.day:%d/%m/%Y} est passée : elle ne peut plus être fermée."
                )
            activity = day.activity
            families, refunded, emails = [], 0, 0
            batch = ledger.LedgerBatch(s)
            for res in s.scalars(select(Reservation).where(Reservation.activity_day_id == day.id,
                                                           Reservation.status.in_(LIVE_STATUSES))):  # fmt: skip
                family = res.child.family
                already_refunded = res.certificate_at is not None  # a medical certificate refunded it already
                accepted = res.status is ReservationStatus.ACCEPTED
                refund = res.price_cents if accepted and res.price_cents and not already_refunded else 0
                if refund:
                    batch.add(batch.wallet(family.id, activity.wallet_kind), kind=LedgerKind.REFUND,
                              amount_cents=res.price_cents, label=f"Journée fermée – {activity.name} – {day.day:%d/%m/%Y}",
                              at=now, structure_id=activity.structure_id, agent_id=actor.agent_id, reservation=res)  # fmt: skip
                    refunded += refund
                res.status, res.waitlist_position, res.cancelled_at, res.transmitted_at = (
                    ReservationStatus.CANCELLED, None, now, None)  # fmt: skip
                families.append(family.name)
                if queue_email(s, kind="day_closed", dedup_key=f"closed:{res.id}", family=family,
                               subject=f"Journée annulée – {activity.name} le {day.day:%d/%m/%Y}",
                               body=(f"Bonjour,\n\nLa journée du {long_date(day.day)} ({activity.name}) est fermée : "
                                     f"{reason.strip()}.\nLa réservation de {res.child.first_name} est annulée"
                                     + (f" et {format_eur(refund)} sont recrédités sur votre compte."
                                        if refund else ".")
                                     + "\n\nLe service enfance-jeunesse"), now=now):  # fmt: skip
                    emails += 1
            day.closed, day.closed_reason = True, reason.strip()
            s.flush()
            batch.apply()
            audit.record(s, at=now, action="activity_day.close", entity="activity_day", entity_id=day.id,
                         agent_id=actor.agent_id, structure_id=activity.structure_id,
                         after={"families": families, "refunded_cents": refunded}, reason=reason.strip())  # fmt: skip
            uow.commit()
            return ClosedDay(sorted(set(families)), refunded, emails)

    return with_retry(work)


def create_aid_type(db: Database, actor: Actor, kind: AidKind, name: str) -> int:
    actor.require_admin("ajouter une aide au catalogue")
    if not name.strip():
        raise ValidationError("Le nom de l'aide est obligatoire.")

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            aid = AidType(kind=AidKind(kind), name=name.strip())
            s.add(aid)
            s.flush()
            audit.record(s, at=db.clock.now(), action="aid_type.create", entity="aid_type", entity_id=aid.id,
                         agent_id=actor.agent_id, after={"kind": aid.kind, "name": aid.name})  # fmt: skip
            uow.commit()
            return aid.id

    return with_retry(work)


@dataclass(frozen=True)
class MessageRow:
    id: int
    title: str
    body: str
    valid_from: date
    valid_to: date | None


def save_message(db: Database, actor: Actor, structure_id: int, title: str, body: str, valid_from: date,
                 valid_to: date | None = None, message_id: int | None = None) -> int:  # fmt: skip
    actor.require_admin("publier un message")
    if not title.strip() or not body.strip():
        raise ValidationError("Le titre et le texte du message sont obligatoires.")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("La fin d'affichage précède le début.")

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            msg = InfoMessage(structure_id=structure_id, created_at=db.clock.now()) if message_id is None else _get(
                s, InfoMessage, message_id, "Message")  # fmt: skip
            before = None if message_id is None else {"title": msg.title, "body": msg.body}
            msg.title, msg.body, msg.valid_from, msg.valid_to = (
                title.strip(),
                body.strip(),
                valid_from,
                valid_to,
            )
            s.add(msg)
            s.flush()
            audit.record(s, at=db.clock.now(), action="message.save", entity="info_message", entity_id=msg.id,
                         agent_id=actor.agent_id, structure_id=structure_id, before=before,
                         after={"title": msg.title, "body": msg.body})  # fmt: skip
            uow.commit()
            return msg.id

    return with_retry(work)


def current_messages(db: Database, structure_id: int, today: date) -> list[MessageRow]:
    """The structure's messages to show on the home screen today."""
    with db.reading() as uow:
        rows = uow.session.scalars(
            select(InfoMessage)
            .where(InfoMessage.structure_id == structure_id, InfoMessage.valid_from <= today)
            .where((InfoMessage.valid_to.is_(None)) | (InfoMessage.valid_to >= today))
            .order_by(InfoMessage.valid_from.desc())
        )
        return [MessageRow(m.id, m.title, m.body, m.valid_from, m.valid_to) for m in rows]
