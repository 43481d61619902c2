"""What every counter widget shares: the way to the services (``ops.run``, ``ops.form``), the agent and structure."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..models import Role
from ..services.actors import Actor
from ..services.counter import CounterSession, StructureRow
from ..services.permissions import may
from ..services.uow import Database
from .operations import Operations
from .shell.memory import CounterMemory


def nobody() -> CounterSession:
    """The session of a counter screen nobody is logged in to (built while the agent types the password, or
    after a Déconnexion): no agent, no structure, the least rights; ``MainWindow.switch_session`` replaces it."""
    return CounterSession(Actor(None, Role.AGENT, ""), [])


class CounterContext(QObject):
    """Holds the database handle for service calls (never a session), the actor and the current structure."""

    structure_changed = Signal(int)
    role_changed = Signal()
    family_anonymised = Signal(int, str)
    """A family was anonymised (its number, the choice for its balance): noted beside the backups (``backup``)."""
    """The agent's role changed while the window was open: the screens offer what the new role may do."""

    def __init__(
        self, db: Database, ops: Operations, session: CounterSession, memory: CounterMemory | None = None
    ) -> None:
        super().__init__()
        self.db = db
        self.ops = ops
        self.session = session
        self.memory = memory
        self.structure_id: int | None = self.first_structure()

    def first_structure(self) -> int | None:
        """The structure the agent worked in last on this counter, else their first."""
        ids = [s.id for s in self.session.structures]
        remembered = self.remembered("structure")
        return remembered if remembered in ids else (ids[0] if ids else None)

    def remembered(self, what: str) -> int | None:
        """What this counter remembers for the agent ("structure", "activity")."""
        return self.memory.get(self.actor.agent_id, what) if self.memory is not None else None

    def remember(self, what: str, value: int | None) -> None:
        if self.memory is not None:
            self.memory.set(self.actor.agent_id, what, value)

    @property
    def actor(self) -> Actor:
        return self.session.actor

    def may(self, action: str) -> bool:
        """Whether the agent may take ``action`` (a service or a screen's action of ``permissions``), with the role
        the database gave at the last refresh: what a screen asks before offering it."""
        return may(self.actor.role, action)

    @property
    def structures(self) -> list[StructureRow]:
        return self.session.structures

    def set_structure(self, structure_id: int) -> None:
        if structure_id != self.structure_id:
            self.structure_id = structure_id
            self.remember("structure", structure_id)
            self.structure_changed.emit(structure_id)
