"""What every counter widget shares: the way to the services (``ops.run``, ``ops.form``), the agent and structure."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..services.actors import Actor
from ..services.counter import CounterSession, StructureRow
from ..services.uow import Database
from .operations import Operations


class CounterContext(QObject):
    """Holds the database handle for service calls (never a session), the actor and the current structure."""

    structure_changed = Signal(int)

    def __init__(self, db: Database, ops: Operations, session: CounterSession) -> None:
        super().__init__()
        self.db = db
        self.ops = ops
        self.session = session
        self.structure_id: int | None = session.structures[0].id if session.structures else None

    @property
    def actor(self) -> Actor:
        return self.session.actor

    @property
    def structures(self) -> list[StructureRow]:
        return self.session.structures

    def set_structure(self, structure_id: int) -> None:
        if structure_id != self.structure_id:
            self.structure_id = structure_id
            self.structure_changed.emit(structure_id)
