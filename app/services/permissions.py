"""Who may do what (the roles in docs/security.md): one table, service → the least role that may call it, checked by every service
from the role the database holds now, and asked by every screen when it offers the action.

A service in the table is checked twice: by ``@checked`` before its body runs (``authorize`` on a read: a refusal
comes first, before any other message), and by ``Database.write`` in the write's own transaction (an agent demoted
or disabled a second ago is refused there too). A family acting on the portal (``Actor.family``) may call only the
services whose rule says ``family``; an agent only those whose rule names a role.

``tests/test_permissions.py`` is generated from this table: every service in it is called as an agent, a
régisseur, an administrator and a family, and exactly the allowed ones get past the check.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Role

RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Rule:
    need: Role | None
    """The least role of an agent that may; None: no agent (the family's own action on the portal)."""
    what: str
    """The action, in French, for the refusal (« créer un agent »)."""
    family: bool = False
    """A family may do it for itself on the portal."""
    health: bool = False
    """An agent needs, beside the role, the right to the children's health files (``Agent.health_access``, given by
    an administrator; GDPR art. 9), read from the database like the role."""

    def allows(self, role: Role | None, *, family: bool = False) -> bool:
        if family:
            return self.family
        return self.need is not None and role is not None and RANK[role] >= RANK[self.need]


AGENT, SUPERVISOR, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.ADMIN

RULES: dict[str, Rule] = {
    # --- one's own account
    "auth.change_password": Rule(AGENT, "changer son mot de passe"),
    # --- booking
    "booking.validation.recap": Rule(AGENT, "préparer un récapitulatif", family=True),
    "booking.validation.confirm": Rule(AGENT, "confirmer des réservations", family=True),
    "booking.copying.copy_days": Rule(AGENT, "copier des jours", family=True),
    "booking.attendance.record_attendance": Rule(AGENT, "pointer les présences"),
    "booking.attendance.record_certificate": Rule(AGENT, "enregistrer un certificat médical"),
    "booking.days.set_capacity": Rule(SUPERVISOR, "changer la capacité d'une journée"),
    "booking.days.reorder": Rule(SUPERVISOR, "réordonner une liste d'attente"),
    "booking.days.close_day": Rule(SUPERVISOR, "fermer une journée"),
    "booking.caf_hours.caf_hours": Rule(SUPERVISOR, "lire les heures CAF"),
    # --- families
    "families.edit.create_family": Rule(AGENT, "créer une famille"),
    "families.edit.update_family": Rule(AGENT, "modifier une famille"),
    "families.edit.save_child": Rule(AGENT, "enregistrer un enfant"),
    "families.portal.update_contact": Rule(None, "modifier ses coordonnées sur le portail", family=True),
    "families.health.health_file": Rule(AGENT, "lire une fiche sanitaire", family=True, health=True),
    "families.health.save_health_file": Rule(AGENT, "modifier une fiche sanitaire", family=True, health=True),
    "families.privacy.issue_portal_password": Rule(AGENT, "donner un accès au portail"),
    "families.privacy.export_family": Rule(AGENT, "exporter les données d'une famille"),
    "families.forgetting.anonymise_family": Rule(SUPERVISOR, "anonymiser une famille"),
    "families.forgetting.save_retention_years": Rule(ADMIN, "régler la durée de conservation des données"),
    "families.forgetting.reapply_anonymisations": Rule(ADMIN, "appliquer à nouveau des anonymisations"),
    # --- money
    "money.aids.add_aid": Rule(AGENT, "enregistrer une aide"),
    "money.aids.remove_aid": Rule(AGENT, "retirer une aide"),
    "money.payments.record_payment": Rule(AGENT, "encaisser un règlement"),
    "money.payments.reverse_payment": Rule(SUPERVISOR, "annuler un règlement"),
    "money.payments.adjust": Rule(SUPERVISOR, "faire un ajustement de solde"),
    "money.cash_closing.day_expected": Rule(AGENT, "lire sa caisse du jour"),
    "money.cash_closing.close_cash": Rule(AGENT, "clôturer sa caisse"),
    "money.cash_closing.validate_closing": Rule(SUPERVISOR, "valider une clôture de caisse"),
    "money.cash_closing.day_cheques": Rule(AGENT, "lire les chèques de sa caisse"),
    "money.cash_closing.close_late": Rule(SUPERVISOR, "clôturer en retard la caisse d'un jour passé"),
    "money.online.start_online_payment": Rule(None, "payer en ligne", family=True),
    "money.online.save_payment_settings": Rule(ADMIN, "régler le paiement en ligne d'une structure"),
    "money.deposits.undeposited_cheques": Rule(SUPERVISOR, "lire les chèques à remettre en banque"),
    "money.deposits.create_deposit": Rule(SUPERVISOR, "faire un bordereau de remise de chèques"),
    "money.deposits.past_deposits": Rule(SUPERVISOR, "lire les bordereaux de remise de chèques"),
    # --- documents
    "documents.attendance.attendance_pdf": Rule(AGENT, "imprimer une liste de présence"),
    "documents.deposit_slip.deposit_slip_pdf": Rule(SUPERVISOR, "imprimer un bordereau de remise de chèques"),
    # --- setting up a town
    "setup.agents.create_agent": Rule(ADMIN, "créer un agent"),
    "setup.agents.set_role": Rule(ADMIN, "changer le rôle d'un agent"),
    "setup.agents.set_active": Rule(ADMIN, "désactiver ou réactiver un agent"),
    "setup.agents.update_agent": Rule(ADMIN, "modifier un agent"),
    "setup.agents.reset_password": Rule(ADMIN, "réinitialiser le mot de passe d'un agent"),
    "setup.agents.unlock": Rule(ADMIN, "débloquer un agent"),
    "setup.agents.set_health_access": Rule(ADMIN, "donner ou retirer l'accès aux fiches sanitaires"),
    "setup.activities.create_activity": Rule(ADMIN, "créer une activité"),
    "setup.activities.save_activity": Rule(ADMIN, "modifier une activité"),
    "setup.activities.update_activity": Rule(ADMIN, "modifier une activité"),
    "setup.activities.set_brackets": Rule(ADMIN, "modifier les tranches de quotient familial"),
    "setup.activities.set_booking_policy": Rule(ADMIN, "modifier la politique de réservation"),
    "setup.activities.set_archived": Rule(ADMIN, "archiver une activité"),
    "setup.activities.delete_activity": Rule(ADMIN, "supprimer une activité"),
    "setup.catalogue.create_aid_type": Rule(ADMIN, "ajouter une aide au catalogue"),
    "setup.catalogue.save_message": Rule(ADMIN, "publier un message"),
    "setup.family_import.import_families": Rule(ADMIN, "importer des familles"),
    "setup.family_import.export_families": Rule(ADMIN, "exporter toutes les familles"),
    "setup.school_year.save_calendar": Rule(ADMIN, "modifier le calendrier de l'année scolaire"),
    "setup.school_year.add_local_closing": Rule(ADMIN, "ajouter une fermeture"),
    "setup.school_year.remove_local_closing": Rule(ADMIN, "retirer une fermeture"),
    "setup.school_year.generate_days": Rule(ADMIN, "préparer une année scolaire"),
    "setup.school_year.set_opening_date": Rule(ADMIN, "modifier une date d'ouverture"),
    "setup.structures.create_structure": Rule(ADMIN, "créer une structure"),
    "setup.structures.update_structure": Rule(ADMIN, "modifier une structure"),
    "setup.town_settings.save_portal_address": Rule(ADMIN, "régler l'adresse du portail famille"),
    # --- the childcare tax certificates
    "documents.tax_certificate.tax_certificate_pdf": Rule(
        AGENT, "imprimer une attestation de frais de garde", family=True
    ),
    "documents.tax_certificate.tax_certificates_batch": Rule(
        SUPERVISOR, "éditer les attestations de frais de garde de l'année"
    ),
}
"""Service (its module under ``app.services`` and its name) → who may call it. Every public service that takes an
``actor`` is here (a test checks it); the others read data and need no role."""

ACTIONS: dict[str, Rule] = {
    "booking.override": Rule(SUPERVISOR, "passer outre un délai ou la capacité"),
}
"""What a service allows only to some within it (a supervisor's override in a basket any agent confirms)."""

SCREENS: dict[str, str] = {
    "administration": "setup.structures.update_structure",
    "administration.days": "booking.days.close_day",
    "payment.reverse": "money.payments.reverse_payment",
    "payment.adjust": "money.payments.adjust",
    "closing.validate": "money.cash_closing.validate_closing",
    "closing.late": "money.cash_closing.close_late",
    "closing.deposit": "money.deposits.create_deposit",
    "family.anonymise": "families.forgetting.anonymise_family",
    "administration.tax_certificates": "documents.tax_certificate.tax_certificates_batch",
}
"""What a screen offers, by the service it calls: the screen asks ``may`` with the rule of that service."""


def rule(service: str) -> Rule:
    """The rule of ``service`` (``"setup.agents.set_role"``) or of an action (``"booking.override"``); KeyError for
    one not in the table."""
    return RULES[service] if service in RULES else ACTIONS[service]


def may(role: Role | None, service: str, *, family: bool = False) -> bool:
    """Whether an agent of ``role`` (or a family) may call ``service`` or take the action: what the screens ask
    before offering it (``SCREENS`` names a screen's action by its service)."""
    return rule(SCREENS.get(service, service)).allows(role, family=family)
