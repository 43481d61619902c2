"""Families (household accounts), their responsible adults and their children."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import ContactKind

if TYPE_CHECKING:
    from .money import FamilyAid, Wallet


class Family(Base):
    __tablename__ = "families"
    __table_args__ = (
        CheckConstraint("quotient_familial IS NULL OR quotient_familial >= 0", name="qf_non_negative"),
        Index("ix_families_name_key", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), info={"label": "nom de la famille"})
    email: Mapped[str | None] = mapped_column(String(200), info={"label": "e-mail"})
    phone: Mapped[str | None] = mapped_column(String(30), info={"label": "téléphone"})
    address: Mapped[str] = mapped_column(String(200), default="", info={"label": "adresse"})
    postal_code: Mapped[str] = mapped_column(String(10), default="", info={"label": "code postal"})
    city: Mapped[str] = mapped_column(String(80), default="", info={"label": "ville"})
    quotient_familial: Mapped[int | None] = mapped_column(
        info={"label": "quotient familial", "range": (0, 100_000)}
    )
    reference: Mapped[str | None] = mapped_column(String(32), index=True, info={"label": "n° de dossier"})
    """The town's own file number for the family (older software's « famille » column, « 1034 »): shown in the
    search results and found by the search, never its name."""
    portal_login: Mapped[str | None] = mapped_column(String(64), unique=True)
    portal_password_hash: Mapped[str | None] = mapped_column(String(255), deferred=True)
    """Read by the portal's login only (the counters' role may not read it on a shared server)."""
    portal_must_change: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A temporary password (issued at the counter): the family chooses its own at the next login."""
    portal_failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    portal_locked_until: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": "notes", "length": 2000})
    name_key: Mapped[str] = mapped_column(String(120), default="")
    """Accent- and case-free family name (prefix search and ordering)."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Accent- and case-free text of the family, its adults and children (names, phones, e-mails)."""
    created_at: Mapped[datetime]
    anonymized_at: Mapped[datetime | None]

    adults: Mapped[list[Adult]] = relationship(
        back_populates="family", cascade="all, delete-orphan", order_by="Adult.id"
    )
    children: Mapped[list[Child]] = relationship(
        back_populates="family", cascade="all, delete-orphan", order_by="Child.birth_date"
    )
    wallets: Mapped[list[Wallet]] = relationship(back_populates="family", order_by="Wallet.kind")
    aids: Mapped[list[FamilyAid]] = relationship(back_populates="family", order_by="FamilyAid.valid_from")

    def __repr__(self) -> str:
        return f"Family({self.id}, {self.name!r})"


class Adult(Base):
    """A responsible adult of the family (parent, guardian)."""

    __tablename__ = "adults"
    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80), info={"label": "prénom"})
    last_name: Mapped[str] = mapped_column(String(80), info={"label": "nom"})
    relationship_label: Mapped[str] = mapped_column(String(40), default="", info={"label": "lien"})
    phone: Mapped[str | None] = mapped_column(String(30), info={"label": "téléphone"})
    email: Mapped[str | None] = mapped_column(String(200), info={"label": "e-mail"})

    family: Mapped[Family] = relationship(back_populates="adults")


class Child(Base):
    __tablename__ = "children"
    __table_args__ = (Index("ix_children_names", "last_name", "first_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80), info={"label": "prénom de l'enfant"})
    last_name: Mapped[str] = mapped_column(String(80), info={"label": "nom de l'enfant"})
    birth_date: Mapped[date]
    school_level: Mapped[str] = mapped_column(String(20), default="", info={"label": "niveau scolaire"})
    notes: Mapped[str] = mapped_column(Text, default="", info={"label": "notes", "length": 2000})

    family: Mapped[Family] = relationship(back_populates="children")
    health: Mapped[ChildHealth | None] = relationship(
        back_populates="child", cascade="all, delete-orphan", uselist=False
    )
    contacts: Mapped[list[ChildContact]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="ChildContact.position"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"Child({self.id}, {self.full_name!r})"


class ChildHealth(Base):
    """A child's health and emergency file (« fiche sanitaire »): sensitive data (GDPR art. 9), seen only by the
    agents with the right to it (``Agent.health_access``) and by the family itself, erased by an anonymisation.
    The authorisations are None until the family answered; each answer has its date."""

    __tablename__ = "child_health"
    __table_args__ = (CheckConstraint("pai OR pai_until IS NULL", name="pai_until_only_with_pai"),)

    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), primary_key=True)
    has_allergy: Mapped[bool] = mapped_column(default=False)
    allergies: Mapped[str] = mapped_column(Text, default="", info={"label": "allergies", "length": 1000})
    pai: Mapped[bool] = mapped_column(default=False)
    """A PAI (plan d'accueil individualisé) is in force."""
    pai_until: Mapped[date | None]
    diet: Mapped[str] = mapped_column(String(200), default="", info={"label": "régime alimentaire"})
    doctor_name: Mapped[str] = mapped_column(String(120), default="", info={"label": "médecin traitant"})
    doctor_phone: Mapped[str] = mapped_column(String(30), default="", info={"label": "téléphone du médecin"})
    photos_allowed: Mapped[bool | None]
    photos_answered_on: Mapped[date | None]
    leave_alone_allowed: Mapped[bool | None]
    leave_alone_answered_on: Mapped[date | None]
    medical_allowed: Mapped[bool | None]
    """Intervention médicale et chirurgicale d'urgence."""
    medical_answered_on: Mapped[date | None]
    updated_at: Mapped[datetime]

    child: Mapped[Child] = relationship(back_populates="health")


class ChildContact(Base):
    """Someone to call in an emergency, or allowed to pick the child up, on the child's health file."""

    __tablename__ = "child_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind, "contact_kind"))
    name: Mapped[str] = mapped_column(String(120), info={"label": "nom du contact"})
    relation: Mapped[str] = mapped_column(String(60), default="", info={"label": "lien avec l'enfant"})
    phone: Mapped[str] = mapped_column(String(30), default="", info={"label": "téléphone du contact"})
    position: Mapped[int] = mapped_column(Integer, default=0)

    child: Mapped[Child] = relationship(back_populates="contacts")


class PortalResetToken(Base):
    """« Mot de passe oublié » : a single-use link valid one hour, sent by e-mail through the outbox. Only the
    token's SHA-256 is stored; the link itself is the e-mail's."""

    __tablename__ = "portal_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PortalSession(Base):
    """A family's session on the portal: the cookie carries a random token, only its SHA-256 is stored. A logout, a
    new password, a lockout, a new temporary password from the counter or an anonymisation end it (``ended_at``);
    it ends by itself at ``expires_at``. Checked on every page, so a copy of the cookie dies with it."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class PortalLoginGuard(Base):
    """The failures in a row of a portal identifier — an account's or one that matches none, counted alike and
    forgotten alike a day after the last one — so that an unknown identifier locks exactly as a known one and the
    lockout tells nothing of which identifiers exist. Keyed by the identifier's SHA-256."""

    __tablename__ = "portal_login_guards"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class PortalAttempt(Base):
    """One counted attempt on the portal (a failed login, a « mot de passe oublié ») from one client address (its
    SHA-256): the limits per address hold across every worker of the portal. Kept one day."""

    __tablename__ = "portal_attempts"
    __table_args__ = (Index("ix_portal_attempts_kind_key_at", "kind", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class FamilyKey(Base):
    """The key a family's personal data is sealed with where it cannot be rewritten (``services.sealing``): the
    audit trail, ledger labels, cheque details, stored outcomes. Anonymisation deletes it."""

    __tablename__ = "family_keys"

    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
