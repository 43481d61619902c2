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

from ..models import Agent, Family, Role
from .errors import PermissionDenied, UnknownEntity

RANK = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


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


class AgentRefused(UnknownEntity):
    def __init__(self) -> None:
        super().__init__("Agent inconnu ou désactivé : reconnectez-vous (ou demandez à un administrateur).")


def authorize(s: Session, actor: Actor, need: Role | None = None, what: str = "") -> Actor:
    """The agent as the database knows it now (active, role), refused below ``need``. Returns who really acts.

    A family (``Actor.family``) may act on the portal while its account exists and is open; it never has an
    agent's role (``need``: refused)."""
    if isinstance(actor, Actor) and actor.family_id is not None and actor.agent_id is None:
        family = s.get(Family, actor.family_id)
        if family is None or family.anonymized_at is not None or family.portal_password_hash is None:
            raise FamilyRefused()
        if need is not None:
            raise PermissionDenied(what or "action réservée au guichet")
        return Actor.family(family.id, family.name)
    if not isinstance(actor, Actor) or actor.agent_id is None:
        raise AgentRefused()
    agent = s.get(Agent, actor.agent_id)
    if agent is None or not agent.active:
        raise AgentRefused()
    s.info.setdefault("agents", set()).add(agent)  # held: a second check in this transaction reads no row
    if need is not None and RANK[agent.role] < RANK[need]:
        if need is Role.ADMIN:
            raise PermissionDenied(
                f"{what} (administrateur seulement)" if what else "action d'administrateur"
            )
        raise PermissionDenied(what or "action de superviseur")
    return Actor(agent.id, agent.role, agent.full_name)


def system_actor(s: Session) -> Actor:
    """The "système" agent, for the scheduled jobs and the command line (their database access is the trust)."""
    agent = s.scalar(select(Agent).where(Agent.system.is_(True)).order_by(Agent.id).limit(1))
    if agent is None:
        raise UnknownEntity("Agent « système » absent : lancez « python -m app migrate ».")
    return Actor(agent.id, agent.role, agent.full_name)
