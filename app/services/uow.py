"""Unit of work: one session, rolled back unless the use case commits explicitly."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, SystemClock
from ..db import make_session_factory, write_bind


class Database:
    """What services need to reach the data: session factories (read and write) and the clock."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.read_factory: sessionmaker[Session] = make_session_factory(engine)
        self.write_factory: sessionmaker[Session] = make_session_factory(write_bind(engine))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.read_factory)

    def writing(self) -> UnitOfWork:
        """A unit of work that will write: on SQLite it holds the write lock from its first statement."""
        return UnitOfWork(self.write_factory)


class UnitOfWork:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
