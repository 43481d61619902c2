"""The counter's session context: who works, in which structures, on which activities; data freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Activity, Agent, AuditEntry, Role, Structure
from .actors import Actor
from .bounds import checked
from .uow import Database


@dataclass(frozen=True)
class StructureRow:
    id: int
    name: str


@dataclass(frozen=True)
class ActivityRow:
    id: int
    name: str
    structure_id: int
    waitlist_enabled: bool
    structure_name: str = ""


@dataclass(frozen=True)
class CounterSession:
    actor: Actor
    structures: list[StructureRow]
    must_change_password: bool = False
    """The password was reset by an administrator: the agent chooses a new one before working."""
    password_version: int | None = None
    """The version of the password the session was opened with (None without a login): a newer one — a reset by
    an administrator, a change at another counter — ends it at its next refresh."""


@dataclass(frozen=True)
class AgentState:
    """An agent as the database knows it now, for the counter the agent works at (read at every refresh)."""

    active: bool
    role: Role
    full_name: str
    structures: list[StructureRow]
    password_version: int
    must_change_password: bool


@checked
def default_session(db: Database) -> CounterSession:
    """Until login exists: the first active counter agent (else any active agent) and their structures."""
    with db.reading() as uow:
        s = uow.session
        agents = list(
            s.scalars(
                select(Agent)
                .where(Agent.active.is_(True), Agent.system.is_(False))
                .options(selectinload(Agent.structures))
                .order_by(Agent.id)
            )
        )
        agent = next((a for a in agents if a.role is Role.AGENT), agents[0] if agents else None)
        if agent is None:
            structures = list(s.scalars(select(Structure).order_by(Structure.name)))
            actor = Actor(None, Role.AGENT, "Agent du guichet")
        else:
            structures = sorted(agent.structures, key=lambda x: x.name) or list(
                s.scalars(select(Structure).order_by(Structure.name))
            )
            actor = Actor(agent.id, agent.role, agent.full_name)
        return CounterSession(actor, [StructureRow(x.id, x.name) for x in structures])


@checked
def activities_for(db: Database, structure_ids: list[int]) -> list[ActivityRow]:
    """The active activities of the structures an agent works in, by structure then name: one list where the
    agent books ALSH and ALAE alike, with no structure to switch."""
    with db.reading() as uow:
        return [
            ActivityRow(a.id, a.name, a.structure_id, a.waitlist_enabled, structure.name)
            for a, structure in uow.session.execute(
                select(Activity, Structure)
                .join(Structure, Activity.structure_id == Structure.id)
                .where(Activity.structure_id.in_(structure_ids or [-1]), Activity.active.is_(True))
                .order_by(Structure.name, Activity.name)
            )
        ]


@checked
def last_update(db: Database) -> datetime | None:
    """When the data last changed (the newest audit entry)."""
    with db.reading() as uow:
        return uow.session.scalar(select(AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1))


@checked
def agent_state(db: Database, agent_id: int | None) -> AgentState | None:
    """The agent now (None for an unknown one): the counter follows a role changed, an agent disabled or a password
    reset by an administrator — the screens offer what the new role may do, a disabled agent or a reset password
    ends the session — and the structures (one created, an agent attached elsewhere) without a new login."""
    if agent_id is None:
        return None
    with db.reading() as uow:
        agent = uow.session.get(Agent, agent_id, options=[selectinload(Agent.structures)])
        if agent is None:
            return None
        return AgentState(
            agent.active,
            agent.role,
            agent.full_name,
            [StructureRow(x.id, x.name) for x in sorted(agent.structures, key=lambda x: x.name)],
            agent.password_version,
            agent.must_change_password,
        )
