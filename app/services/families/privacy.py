"""A family's portal account and personal data: temporary portal password (stored only as a hash), and the export
of everything held about a family (GDPR article 15). Its anonymisation is ``forgetting``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    Agent,
    AidType,
    AuditEntry,
    Child,
    Family,
    FamilyAid,
    LedgerEntry,
    OnlinePayment,
    OutboxMessage,
    Payment,
    Reservation,
    Wallet,
)
from .. import audit
from ..actors import Actor, authorize
from ..bounds import checked
from ..end_of_day.mailer import SmtpSettings, send_now
from ..errors import DomainError, UnknownEntity, ValidationError
from ..money.ledger import KIND_LABELS
from ..money.payments import METHOD_LABELS
from ..permissions import rule
from ..sealing import opened, opened_text, preload
from ..security import hash_password, temporary_password
from ..setup.town_settings import portal_access_sentence, portal_address
from ..uow import Database
from .health import HIDDEN, files_of, sees_health
from .health import export as health_export
from .portal import cancel_reset_links, end_sessions, new_portal_login
from .view import WALLET_LABELS, state_label


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
        family.portal_login = family.portal_login or new_portal_login(s)
        family.portal_password_hash = hash_password(temporary)
        family.portal_must_change = True  # the family chooses its own at its next login
        family.portal_failed_logins = 0
        family.portal_locked_until = None
        cancel_reset_links(s, family.id, db.clock.now())
        end_sessions(s, family.id, db.clock.now())  # every session opened with the former password ends
        audit.record(
            s,
            at=db.clock.now(),
            action="portal.password",
            entity="family",
            entity_id=family.id,
            agent_id=actor.agent_id,
            family_id=family.id,
            after={"login": family.portal_login, "delivered": "email" if by_email else "letter"},
        )
        return family.portal_login, family.email

    login, email = db.write(work, actor=actor, rule=rule("families.privacy.issue_portal_password"))
    if not by_email or email is None:
        return PortalCredentials(login, temporary)
    settings = smtp or SmtpSettings.from_env()
    if settings is None:
        return PortalCredentials(login, temporary, False, "pas de serveur d'envoi configuré")
    body = (
        f"Bonjour,\n\nVotre accès au portail famille est ouvert. {portal_access_sentence(portal_address(db), login)}"
        f"\n\nIdentifiant : {login}\nMot de passe provisoire : {temporary}\n\n"
        "Changez-le à votre première connexion.\n\nLe service enfance-jeunesse"
    )
    try:
        send_now(settings, email, "Votre accès au portail famille", body)
    except DomainError as exc:
        return PortalCredentials(login, temporary, False, str(exc))
    return PortalCredentials(login, temporary, True)


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@checked
def export_family(db: Database, actor: Actor, family_id: int) -> dict[str, Any]:
    """Everything held about a family, as plain data in French (for a JSON file and its PDF): what the family may ask
    for (GDPR article 15) — its contacts and adults, its children with their remarks (and their fiches sanitaires
    for an agent with the right to them, ``health``), aids with their names,
    reservations by child and activity, every ledger entry and payment (cheque details included), the online
    payments, the e-mails sent to it, its portal account and the journal of what was done on its file. Audited."""
    with db.reading() as uow:
        s = uow.session
        family = _family(s, family_id)
        preload(s, {family.id})
        wallets = {w.id: w for w in s.scalars(select(Wallet).where(Wallet.family_id == family.id))}
        children = {c.id: c for c in family.children}
        # the fiches sanitaires (GDPR art. 9) only for an agent with the right to them; said so otherwise
        health = (
            files_of(s, list(family.children))
            if sees_health(s, authorize(s, actor, rule("families.privacy.export_family")))
            else {}
        )
        agents: dict[int | None, str] = dict(s.execute(select(Agent.id, Agent.full_name)).all())

        def child_name(child_id: int) -> str:
            child = children.get(child_id)
            return f"{child.first_name} {child.last_name}" if child else "?"

        reservations = s.scalars(
            select(Reservation)
            .join(Child)
            .where(Child.family_id == family.id)
            .order_by(Reservation.requested_at, Reservation.id)
        ).all()
        entries = s.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.wallet_id.in_(list(wallets) or [-1]))
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        ).all()
        reversed_ids = {e.payment_id for e in entries if e.kind.value == "reversal" and e.payment_id}
        data = {
            "famille": {
                "nom": family.name,
                "email": family.email,
                "téléphone": family.phone,
                "adresse": family.address,
                "code_postal": family.postal_code,
                "ville": family.city,
                "quotient_familial": family.quotient_familial,
                "remarques": family.notes,
                "dossier_créé_le": _when(family.created_at),
            },
            "compte_portail": {
                "identifiant": family.portal_login,
                "ouvert": family.portal_login is not None,
                "mot_de_passe_à_changer": family.portal_must_change,
            },
            "responsables": [
                {
                    "prénom": a.first_name,
                    "nom": a.last_name,
                    "lien": a.relationship_label,
                    "téléphone": a.phone,
                    "email": a.email,
                }
                for a in family.adults
            ],
            "enfants": [
                {
                    "prénom": c.first_name,
                    "nom": c.last_name,
                    "naissance": c.birth_date.isoformat(),
                    "niveau": c.school_level,
                    "remarques_et_santé": c.notes,
                    "fiche_sanitaire": health_export(health[c.id]) if health else HIDDEN,
                }
                for c in family.children
            ],
            "aides": [
                {
                    "aide": name,
                    "organisme": kind.value,
                    "montant_centimes": a.amount_cents,
                    "porte_monnaie": WALLET_LABELS[a.wallet_kind],
                    "du": a.valid_from.isoformat(),
                    "au": a.valid_to.isoformat(),
                }
                for a, name, kind in s.execute(
                    select(FamilyAid, AidType.name, AidType.kind)
                    .join(AidType)
                    .where(FamilyAid.family_id == family.id)
                    .order_by(FamilyAid.valid_from)
                )
            ],
            "porte_monnaie": {WALLET_LABELS[w.kind]: w.balance_cents for w in wallets.values()},
            "réservations": [
                {
                    "enfant": child_name(r.child_id),
                    "activité": r.activity_day.activity.name,
                    "journée": r.activity_day.day.isoformat(),
                    "état": state_label(r),
                    "prix_centimes": r.price_cents,
                    "demandée_le": _when(r.requested_at),
                    "présence": r.attendance.value if r.attendance else None,
                    "certificat_médical_le": _when(r.certificate_at),
                    "motif_de_dérogation": r.override_reason,
                }
                for r in reservations
            ],
            "écritures": [
                {
                    "date": _when(e.created_at),
                    "porte_monnaie": WALLET_LABELS[wallets[e.wallet_id].kind],
                    "nature": KIND_LABELS[e.kind],
                    "libellé": opened_text(s, e.label),
                    "montant_centimes": e.amount_cents,
                    "motif": opened_text(s, e.reason) or None,
                }
                for e in entries
            ],
            "règlements": [
                {
                    "reçu": p.receipt_number,
                    "date": _when(p.paid_at),
                    "montant_centimes": p.amount_cents,
                    "mode": METHOD_LABELS[p.method],
                    "banque_du_chèque": opened_text(s, p.cheque_bank) or None,
                    "numéro_du_chèque": opened_text(s, p.cheque_number) or None,
                    "tireur_du_chèque": opened_text(s, p.cheque_drawer) or None,
                    "annulé": p.id in reversed_ids,
                    "encaissé_par": agents.get(p.agent_id, "portail"),
                }
                for p in s.scalars(
                    select(Payment).where(Payment.family_id == family.id).order_by(Payment.paid_at)
                )
            ],
            "paiements_en_ligne": [
                {
                    "référence": o.reference,
                    "montant_centimes": o.amount_cents,
                    "état": o.status.value,
                    "commencé_le": _when(o.created_at),
                    "payé_le": _when(o.settled_at),
                }
                for o in s.scalars(
                    select(OnlinePayment)
                    .where(OnlinePayment.family_id == family.id)
                    .order_by(OnlinePayment.created_at)
                )
            ],
            "e-mails": [
                {
                    "créé_le": _when(m.created_at),
                    "envoyé_le": _when(m.sent_at),
                    "état": m.status.value,
                    "destinataire": m.recipient,
                    "objet": m.subject,
                    "texte": m.body,
                }
                for m in s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.family_id == family.id)
                    .order_by(OutboxMessage.created_at)
                )
            ],
            "journal": [
                {
                    "date": _when(a.at),
                    "action": a.action,
                    "par": agents.get(a.agent_id, "la famille (portail)" if a.agent_id is None else "?"),
                    "avant": opened(s, a.before),
                    "après": opened(s, a.after),
                    "motif": opened_text(s, a.reason) or None,
                }
                for a in s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.family_id == family.id)
                    .order_by(AuditEntry.at, AuditEntry.id)
                )
            ],
        }

    def work(
        s: Session,
    ) -> None:  # the export itself is a write worth auditing (personal data left the system)
        audit.record(
            s,
            at=db.clock.now(),
            action="family.export",
            entity="family",
            entity_id=family_id,
            agent_id=actor.agent_id,
            family_id=family_id,
            sealed=False,
        )

    db.write(work, actor=actor, rule=rule("families.privacy.export_family"))
    return data
