"""A family's portal account and personal data: temporary portal password (stored only as a hash), export of
everything held about a family, anonymisation of a family that has left (accounting entries kept)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from ...models import (
    AuditEntry,
    Family,
    FamilyAid,
    LedgerEntry,
    OutboxMessage,
    OutboxStatus,
    Payment,
    Reservation,
    Wallet,
)
from .. import audit
from ..actors import Actor
from ..bounds import checked
from ..end_of_day.mailer import SmtpSettings, send_now
from ..errors import DomainError, UnknownEntity, ValidationError
from ..money.payments import METHOD_LABELS
from ..permissions import rule
from ..security import hash_password, temporary_password
from ..uow import Database
from .portal import cancel_reset_links
from .search import refresh_search_text
from .view import state_label


def _family(s: Session, family_id: int) -> Family:
    family = s.get(Family, family_id, options=[selectinload(Family.adults), selectinload(Family.children)])
    if family is None or family.anonymized_at is not None:
        raise UnknownEntity(f"Famille inconnue (n° {family_id}).")
    return family


@dataclass(frozen=True)
class PortalCredentials:
    login: str
    temporary_password: str
    """Shown once (on the letter) or e-mailed at once; only its hash is stored, never the password itself."""
    emailed: bool = False
    email_error: str = ""
    """Why the e-mail could not leave (the letter is then printed with the same temporary password)."""


@checked
def issue_portal_password(
    db: Database, actor: Actor, family_id: int, *, by_email: bool, smtp: SmtpSettings | None = None
) -> PortalCredentials:
    """A new temporary portal password: returned once (to print on a letter) or e-mailed AT ONCE from memory —
    it is never written anywhere in clear (no outbox row): only its argon2 hash is stored. When the e-mail cannot
    leave, the credentials come back with ``emailed`` False and the reason, for the letter."""
    temporary = temporary_password()

    def work(s: Session) -> tuple[str, str | None]:
        family = _family(s, family_id)
        if by_email and not family.email:
            raise ValidationError("Cette famille n'a pas d'adresse e-mail : imprimez le courrier.")
        family.portal_login = family.portal_login or f"famille{family.id:05d}"
        family.portal_password_hash = hash_password(temporary)
        family.portal_must_change = True  # the family chooses its own at its next login
        family.portal_failed_logins = 0
        family.portal_locked_until = None
        cancel_reset_links(
            s, family.id, db.clock.now()
        )  # and every session opened with the former password ends
        audit.record(s, at=db.clock.now(), action="portal.password", entity="family", entity_id=family.id,
                     agent_id=actor.agent_id, family_id=family.id,
                     after={"login": family.portal_login, "delivered": "email" if by_email else "letter"})  # fmt: skip
        return family.portal_login, family.email

    login, email = db.write(work, actor=actor, rule=rule("families.privacy.issue_portal_password"))
    if not by_email or email is None:
        return PortalCredentials(login, temporary)
    settings = smtp or SmtpSettings.from_env()
    if settings is None:
        return PortalCredentials(login, temporary, False, "pas de serveur d'envoi configuré")
    body = (f"Bonjour,\n\nVotre identifiant : {login}\nMot de passe provisoire : {temporary}\n\n"
            "Changez-le à votre première connexion.\n\nLe service enfance-jeunesse")  # fmt: skip
    try:
        send_now(settings, email, "Votre accès au portail famille", body)
    except DomainError as exc:
        return PortalCredentials(login, temporary, False, str(exc))
    return PortalCredentials(login, temporary, True)


@checked
def export_family(db: Database, actor: Actor, family_id: int) -> dict[str, Any]:
    """Everything held about a family, as plain data (for a JSON file or a PDF)."""
    with db.reading() as uow:
        s = uow.session
        family = _family(s, family_id)
        wallets = list(s.scalars(select(Wallet).where(Wallet.family_id == family.id)))
        child_ids = [c.id for c in family.children]
        data = {
            "famille": {
                "id": family.id,
                "nom": family.name,
                "email": family.email,
                "téléphone": family.phone,
                "adresse": family.address,
                "code_postal": family.postal_code,
                "ville": family.city,
                "quotient_familial": family.quotient_familial,
                "identifiant_portail": family.portal_login,
                "créée_le": family.created_at.isoformat(),
            },  # fmt: skip
            "responsables": [
                {
                    "prénom": a.first_name,
                    "nom": a.last_name,
                    "lien": a.relationship_label,
                    "téléphone": a.phone,
                    "email": a.email,
                }
                for a in family.adults
            ],  # fmt: skip
            "enfants": [
                {
                    "id": c.id,
                    "prénom": c.first_name,
                    "nom": c.last_name,
                    "naissance": c.birth_date.isoformat(),
                    "niveau": c.school_level,
                    "remarques": c.notes,
                }
                for c in family.children
            ],  # fmt: skip
            "aides": [
                {
                    "montant_centimes": a.amount_cents,
                    "porte_monnaie": a.wallet_kind.value,
                    "du": a.valid_from.isoformat(),
                    "au": a.valid_to.isoformat(),
                }
                for a in s.scalars(select(FamilyAid).where(FamilyAid.family_id == family.id))
            ],  # fmt: skip
            "porte_monnaie": {w.kind.value: w.balance_cents for w in wallets},
            "réservations": [
                {
                    "enfant": r.child_id,
                    "journée": r.activity_day.day.isoformat(),
                    "activité": r.activity_day.activity.name,
                    "état": state_label(r),
                    "prix_centimes": r.price_cents,
                    "demandée_le": r.requested_at.isoformat(),
                }
                for r in s.scalars(select(Reservation).where(Reservation.child_id.in_(child_ids or [-1])))
            ],  # fmt: skip
            "écritures": [
                {"date": e.created_at.isoformat(), "libellé": e.label, "montant_centimes": e.amount_cents}
                for e in s.scalars(
                    select(LedgerEntry).where(LedgerEntry.wallet_id.in_([w.id for w in wallets] or [-1]))
                )
            ],  # fmt: skip
            "règlements": [
                {
                    "reçu": p.receipt_number,
                    "montant_centimes": p.amount_cents,
                    "mode": METHOD_LABELS[p.method],
                    "date": p.paid_at.isoformat(),
                }
                for p in s.scalars(select(Payment).where(Payment.family_id == family.id))
            ],  # fmt: skip
            "journal": [
                {"date": a.at.isoformat(), "action": a.action}
                for a in s.scalars(select(AuditEntry).where(AuditEntry.family_id == family.id))
            ],  # fmt: skip
        }
    # the export itself is a write worth auditing (personal data left the system)
    db.write(lambda s: audit.record(s, at=db.clock.now(), action="family.export", entity="family",
                                    entity_id=family_id, agent_id=actor.agent_id, family_id=family_id), actor=actor, rule=rule("families.privacy.export_family"))  # fmt: skip
    return data


@checked
def anonymise_family(db: Database, actor: Actor, family_id: int) -> None:
    """A family that has left: names and contacts removed, children renamed, portal closed; the accounting
    entries and payments stay (a public cash office keeps them)."""

    def work(s: Session) -> None:
        family = _family(s, family_id)
        now = db.clock.now()
        family.name = f"FAMILLE ANONYMISÉE {family.id}"
        family.email = family.phone = None
        family.address, family.postal_code, family.city, family.notes = "", "", "", ""
        family.portal_login = family.portal_password_hash = None
        for adult in list(family.adults):
            s.delete(adult)
        for i, child in enumerate(family.children, start=1):
            child.first_name, child.last_name, child.notes = f"Enfant {i}", "Anonyme", ""
            child.birth_date = date(child.birth_date.year, 1, 1)
        family.adults = []
        s.execute(delete(OutboxMessage).where(OutboxMessage.family_id == family.id,
                                              OutboxMessage.status != OutboxStatus.SENT))  # fmt: skip
        s.execute(update(OutboxMessage).where(OutboxMessage.family_id == family.id)
                  .values(recipient="(anonymisé)", body="(anonymisé)"))  # fmt: skip
        refresh_search_text(family)
        family.anonymized_at = now
        audit.record(s, at=now, action="family.anonymise", entity="family", entity_id=family.id,
                     agent_id=actor.agent_id, family_id=family.id)  # fmt: skip

    db.write(work, actor=actor, rule=rule("families.privacy.anonymise_family"))
