"""Who is acting, and what they may do: read from the database, never trusted from the caller.

An ``Actor`` names an agent (its id, and for display its role and name as known at login). The role a service
obeys is read again from the ``agents`` table in the service's own transaction (``authorize``): an agent disabled
or demoted a second ago is refused at once, and passing ``Actor(3, Role.ADMIN)`` for a plain agent grants
nothing. The scheduled jobs and the command line act as the one "système" agent (``system_actor``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import command_line
from ..models import Agent, Family, Role
from .errors import DomainError, HealthAccessDenied, PermissionDenied, UnknownEntity
from .permissions import RULES, Rule


@dataclass(frozen=True)
class Actor:
    agent_id: int | None
    role: Role
    name: str = ""
    family_id: int | None = None
    """A family acting for itself on the portal (``agent_id`` None): it books, cancels and copies for its own
    children only, with no supervisor's power; its writes are audited with no agent and the family's id."""

    @property
    def is_supervisor(self) -> bool:
        """For what a screen shows; the services decide from the database (``authorize``)."""
        return self.family_id is None and self.role in (Role.SUPERVISOR, Role.ADMIN)

    @classmethod
    def family(cls, family_id: int, name: str = "") -> Actor:
        return cls(None, Role.AGENT, name, family_id)


class FamilyRefused(UnknownEntity):
    def __init__(self) -> None:
        super().__init__(
            "Compte famille inconnu ou fermé : reconnectez-vous (ou appelez le service enfance-jeunesse)."
        )


class PasswordChangeRequired(DomainError):
    """A temporary password (a new account, a reset): it is changed before anything else."""

    def __init__(self) -> None:
        super().__init__(
            "Mot de passe provisoire : choisissez d'abord votre propre mot de passe (« Mot de passe… »)."
        )


class AgentRefused(UnknownEntity):
    def __init__(
        self,
        message: str = "Agent inconnu ou désactivé : reconnectez-vous (ou demandez à un administrateur).",
    ) -> None:
        super().__init__(message)


class SessionEnded(AgentRefused):
    """On a shared server, the database no longer knows this counter's session (the password changed or reset, the
    agent disabled, the working day's session expired): the agent logs in again."""

    def __init__(self) -> None:
        super().__init__(
            "Votre session a pris fin sur le serveur (mot de passe changé, compte désactivé ou session de plus de "
            "14 heures) : reconnectez-vous."
        )


def authorize(s: Session, actor: Actor, rule: Rule | None = None) -> Actor:
    """The agent as the database knows it now (active, role), refused where ``rule`` (``permissions.RULES``) does not
    let that role in — or, for a rule with ``health``, where the agent has not the right to the children's health
    files (``Agent.health_access``). Returns who really acts.

    A family (``Actor.family``) may act on the portal while its account exists and is open, only where a rule says
    ``family`` (a write without a rule is a counter's)."""
    if isinstance(actor, Actor) and actor.family_id is not None and actor.agent_id is None:
        family = s.get(Family, actor.family_id)
        if family is None or family.anonymized_at is not None or family.portal_password_hash is None:
            raise FamilyRefused()
        if rule is None or not rule.family:
            raise PermissionDenied(rule.what if rule else "action réservée au guichet", family=True)
        if family.portal_must_change:
            raise PasswordChangeRequired()
        return Actor.family(family.id, family.name)
    if not isinstance(actor, Actor) or actor.agent_id is None:
        raise AgentRefused()
    agent = s.get(Agent, actor.agent_id)
    if agent is None or not agent.active:
        raise AgentRefused()
    s.info.setdefault("agents", set()).add(agent)  # held: a second check in this transaction reads no row
    if rule is not None and not rule.allows(agent.role):
        raise PermissionDenied(rule.what, rule.need)
    if rule is not None and rule.health and not agent.health_access:
        raise HealthAccessDenied(rule.what)
    if agent.must_change_password and rule is not RULES["auth.change_password"]:
        raise PasswordChangeRequired()
    return Actor(agent.id, agent.role, agent.full_name)


def system_actor(s: Session) -> Actor:
    """The "système" agent, for the scheduled jobs and the command line (their database access is the trust)."""
    agent = s.scalar(select(Agent).where(Agent.system.is_(True)).order_by(Agent.id).limit(1))
    if agent is None:
        raise UnknownEntity(f"Agent « système » absent : lancez « {command_line('migrate')} ».")
    return Actor(agent.id, agent.role, agent.full_name)
