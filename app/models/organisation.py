"""Structures (organising sites) and the agents who work in them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import Role

if TYPE_CHECKING:
    from .activity import Activity

agent_structures = Table(
    "agent_structures",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("structure_id", ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True),
)


class Structure(Base):
    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), info={"label": "nom de la structure"})
    address: Mapped[str] = mapped_column(String(200), default="", info={"label": "adresse"})
    postal_code: Mapped[str] = mapped_column(String(10), default="", info={"label": "code postal"})
    city: Mapped[str] = mapped_column(String(80), default="", info={"label": "ville"})
    phone: Mapped[str] = mapped_column(String(30), default="", info={"label": "téléphone"})
    email: Mapped[str] = mapped_column(String(200), default="", info={"label": "e-mail"})
    school_zone: Mapped[str] = mapped_column(String(12), default="C", info={"label": "zone"})
    """School holiday zone: A, B, C (calendar from vacances-scolaires-france), Corse or DOM (entered by hand)."""
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The structure's logo (PNG or JPEG bytes) printed on its documents; None = the application's logo."""
    regie_name: Mapped[str] = mapped_column(
        String(120), default="", server_default="", info={"label": "nom de la régie"}
    )
    """The régie de recettes the structure's tills belong to (« Régie enfance-jeunesse de Montech »): on receipts
    and on the arrêté journalier."""
    regie_act: Mapped[str] = mapped_column(
        String(160), default="", server_default="", info={"label": "acte constitutif de la régie"}
    )
    """The act that created it (« arrêté n° 2019-042 du 3 juin 2019 »)."""
    siret: Mapped[str] = mapped_column(String(14), default="", server_default="", info={"label": "SIRET"})
    """The organiser's SIRET (14 digits), printed on the childcare tax certificate."""
    regisseur_name: Mapped[str] = mapped_column(
        String(120), default="", server_default="", info={"label": "nom du régisseur"}
    )
    """Who signs the régie's papers (the tax certificates, the cheque deposit slips)."""
    cheque_deposits_since: Mapped[date | None]
    """The first day whose cheques go into the application's deposits: the cheques taken before the version that
    makes the bordereaux were taken to the bank by hand (set by that version's migration); None: every cheque."""

    activities: Mapped[list[Activity]] = relationship(back_populates="structure")

    def __repr__(self) -> str:
        return f"Structure({self.code!r})"


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), info={"label": "identifiant"})
    full_name: Mapped[str] = mapped_column(String(120), info={"label": "nom de l'agent"})
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(255), deferred=True)
    """Read only where a password is checked: on a shared server no role of the counters may read it at all (the
    check is the database's own, ``pg_security``), so the row is loaded without it."""
    password_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """One more at each new password (changed, reset): an open session opened with an older one ends."""
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Wrong passwords in a row from every workstation together (``LoginFailure`` counts them per workstation)."""
    locked_until: Mapped[datetime | None]
    """Locked on every workstation (many failures from several of them) until then."""
    health_access: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Sees the children's health files (GDPR art. 9): the Famille tab's « Fiche sanitaire » and the attendance
    list's health page. Given by an administrator to the agents who print the lists for the animators."""
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Set by an administrator's password reset: the agent chooses a new password at the next login."""
    system: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The one "système" agent: what the scheduled jobs and the command line do is recorded under it. It has no
    password (nobody logs in as it) and is neither listed nor counted among the agents."""
    created_at: Mapped[datetime]

    structures: Mapped[list[Structure]] = relationship(secondary=agent_structures)

    def __repr__(self) -> str:
        return f"Agent({self.login!r}, {self.role.value})"


class LoginFailure(Base):
    """Wrong passwords in a row for an agent from one workstation, and that workstation's lockout: someone at one
    counter who types a wrong password five times locks the account there only, not at the administrator's desk."""

    __tablename__ = "login_failures"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    workstation: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]


class TownSetting(Base):
    """A setting of the town's own policy, shared by every counter (``services.families.forgetting``: how many years
    a family's data is kept without activity)."""

    __tablename__ = "town_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]
