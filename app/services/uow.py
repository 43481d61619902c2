"""Unit of work: one session, rolled back unless the use case commits explicitly."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, SystemClock
from ..db import make_session_factory, write_bind

T = TypeVar("T")
CHANGES_CHANNEL = "guichet_changes"


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
        # close() rolls back whatever was not committed, without expiring the objects already loaded.
        self.session.close()

    def commit(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            # other counters LISTEN on this channel (sent by PostgreSQL only if the commit succeeds)
            self.session.execute(text(f"NOTIFY {CHANGES_CHANNEL}"))
        self.session.commit()


RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def is_retryable(exc: BaseException) -> bool:
    """A transient concurrency failure that a new attempt of the whole transaction can cure."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def is_connection_lost(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return (
        bool(exc.connection_invalidated)
        or sqlstate.startswith("08")
        or sqlstate in ("57P01", "57P02", "57P03")
    )


def with_retry(work: Callable[[], T], attempts: int = 8) -> T:
    """Run ``work`` (a whole unit of work) again after a deadlock, serialization failure or busy database.

    A connection lost in the middle becomes ConnectionLost: the transaction was rolled back by the server, so
    nothing was written, and the caller may simply try again.
    """
    from .errors import BusyRetryExhausted, ConnectionLost

    for attempt in range(attempts):
        try:
            return work()
        except Exception as exc:
            if is_connection_lost(exc):
                raise ConnectionLost() from exc
            if not is_retryable(exc):
                raise
            time.sleep(min(0.5, 0.01 * (2**attempt)) * (0.5 + random.random()))
    raise BusyRetryExhausted()
