"""Administration: the aids catalogue and the structures' information messages (administrators; audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    AidKind,
    AidType,
    InfoMessage,
)
from .. import audit
from ..actors import Actor
from ..bounds import Text, checked
from ..errors import UnknownEntity, ValidationError
from ..permissions import rule
from ..uow import Database, Shown

M = TypeVar("M")


def _get(s: Session, model: type[M], ident: int, label: str) -> M:
    row = s.get(model, ident)
    if row is None:
        raise UnknownEntity(f"{label} inconnu(e) (n° {ident}).")
    return row


@checked
def create_aid_type(
    db: Database, actor: Actor, kind: AidKind, name: Annotated[str, Text(AidType.name)]
) -> int:
    if not name.strip():
        raise ValidationError("Le nom de l'aide est obligatoire.")

    def work(s: Session) -> int:
        aid = AidType(kind=AidKind(kind), name=name.strip())
        s.add(aid)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="aid_type.create",
            entity="aid_type",
            entity_id=aid.id,
            agent_id=actor.agent_id,
            after={"kind": aid.kind, "name": aid.name},
        )
        return aid.id

    return db.write(work, actor=actor, rule=rule("setup.catalogue.create_aid_type"), changed=(Shown.TOWN,))


@dataclass(frozen=True)
class MessageRow:
    id: int
    title: str
    body: str
    valid_from: date
    valid_to: date | None


@checked
def save_message(
    db: Database,
    actor: Actor,
    structure_id: int,
    title: Annotated[str, Text(InfoMessage.title)],
    body: Annotated[str, Text(InfoMessage.body, multiline=True)],
    valid_from: date,
    valid_to: date | None = None,
    message_id: int | None = None,
) -> int:
    if not title.strip() or not body.strip():
        raise ValidationError("Le titre et le texte du message sont obligatoires.")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("La fin d'affichage précède le début.")

    def work(s: Session) -> int:
        msg = (
            InfoMessage(structure_id=structure_id, created_at=db.clock.now())
            if message_id is None
            else _get(s, InfoMessage, message_id, "Message")
        )
        before = None if message_id is None else {"title": msg.title, "body": msg.body}
        msg.title, msg.body, msg.valid_from, msg.valid_to = (
            title.strip(),
            body.strip(),
            valid_from,
            valid_to,
        )
        s.add(msg)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="message.save",
            entity="info_message",
            entity_id=msg.id,
            agent_id=actor.agent_id,
            structure_id=structure_id,
            before=before,
            after={"title": msg.title, "body": msg.body},
        )
        return msg.id

    return db.write(work, actor=actor, rule=rule("setup.catalogue.save_message"), changed=(Shown.TOWN,))


@checked
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
