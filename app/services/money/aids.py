"""Aids on a family (CAF "aide au temps libre", MSA "pass accueil", employer aid): amount per day, the activity
kinds (wallets) it applies to and its validity dates. Prices in the recap deduct the valid ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import AidType, Family, FamilyAid, WalletKind
from ...text import format_eur, short_date
from .. import audit
from ..actors import Actor
from ..bounds import AmountText, checked
from ..errors import UnknownEntity, ValidationError
from ..families.edit import FieldErrors
from ..families.view import WALLET_LABELS
from ..permissions import rule
from ..uow import Database, Shown
from .amounts import parse_amount

MAX_AID_CENTS = 10_000
"""The largest aid per day: 100,00 €."""


@dataclass(frozen=True)
class AidTypeRow:
    id: int
    name: str


@dataclass(frozen=True)
class AidRow:
    id: int
    name: str
    wallet: str
    amount_cents: int
    valid_from: date
    valid_to: date
    current: bool


@checked
def aid_types(db: Database) -> list[AidTypeRow]:
    with db.reading() as uow:
        return [AidTypeRow(t.id, t.name) for t in uow.session.scalars(select(AidType).order_by(AidType.name))]


@checked
def family_aids(db: Database, family_id: int, today: date) -> list[AidRow]:
    with db.reading() as uow:
        rows = uow.session.execute(
            select(FamilyAid, AidType.name)
            .join(AidType)
            .where(FamilyAid.family_id == family_id)
            .order_by(FamilyAid.valid_to.desc(), AidType.name)
        ).all()
        return [
            AidRow(
                a.id,
                name,
                WALLET_LABELS[a.wallet_kind],
                a.amount_cents,
                a.valid_from,
                a.valid_to,
                a.valid_from <= today <= a.valid_to,
            )
            for a, name in rows
        ]


@checked
def add_aid(
    db: Database,
    actor: Actor,
    family_id: int,
    aid_type_id: int,
    wallet_kinds: list[WalletKind],
    amount: AmountText,
    valid_from: date | None,
    valid_to: date | None,
) -> list[int]:
    """Record an aid for one or several activity kinds. Returns the new rows' ids."""
    errors: dict[str, str] = {}
    wallet_kinds = [WalletKind(k) for k in wallet_kinds]
    cents = 0
    try:
        cents = parse_amount(amount)
    except ValidationError as exc:
        errors["amount"] = str(exc)
    else:
        if cents <= 0 or cents > MAX_AID_CENTS:
            errors["amount"] = (
                f"Montant d'aide par jour invalide : « {amount.strip()} » (entre {format_eur(1)} et {format_eur(MAX_AID_CENTS)})."
            )
    if not wallet_kinds:
        errors["wallets"] = "Cochez au moins une activité (ALAE, ALSH, Cantine) pour l'aide."
    if valid_from is None or valid_to is None:
        errors["dates"] = "Les dates de validité de l'aide sont obligatoires."
    elif valid_to < valid_from:
        errors["dates"] = (
            f"La fin de validité ({short_date(valid_to)}) précède le début ({short_date(valid_from)})."
        )
    if errors:
        raise FieldErrors(errors)

    def work(s: Session) -> list[int]:
        if s.get(Family, family_id) is None:
            raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
        aid_type = s.get(AidType, aid_type_id)
        if aid_type is None:
            raise UnknownEntity(f"Type d'aide inconnu (n° {aid_type_id}).")
        rows = [
            FamilyAid(
                family_id=family_id,
                aid_type_id=aid_type_id,
                wallet_kind=kind,
                amount_cents=cents,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            for kind in wallet_kinds
        ]
        s.add_all(rows)
        s.flush()
        audit.record(
            s,
            at=db.clock.now(),
            action="aid.create",
            entity="family_aid",
            entity_id=",".join(str(r.id) for r in rows),
            agent_id=actor.agent_id,
            family_id=family_id,
            after={
                "type": aid_type.name,
                "wallets": wallet_kinds,
                "amount_cents": cents,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
        )
        return [r.id for r in rows]

    return db.write(work, actor=actor, rule=rule("money.aids.add_aid"), changed=(Shown.FAMILIES,))


@checked
def remove_aid(db: Database, actor: Actor, aid_id: int) -> None:
    def work(s: Session) -> None:
        aid = s.get(FamilyAid, aid_id)
        if aid is None:
            raise UnknownEntity(f"Aide inconnue (n° {aid_id}).")
        before = {
            "type": aid.aid_type.name,
            "wallet": aid.wallet_kind,
            "amount_cents": aid.amount_cents,
            "valid_from": aid.valid_from,
            "valid_to": aid.valid_to,
        }
        family_id = aid.family_id
        s.delete(aid)
        audit.record(
            s,
            at=db.clock.now(),
            action="aid.delete",
            entity="family_aid",
            entity_id=aid_id,
            agent_id=actor.agent_id,
            family_id=family_id,
            before=before,
        )

    db.write(work, actor=actor, rule=rule("money.aids.remove_aid"), changed=(Shown.FAMILIES,))
