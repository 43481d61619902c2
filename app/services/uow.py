"""Unit of work and the one write wrapper of every use case.

``Database.reading()`` gives a session that is rolled back at the end. ``Database.write(work, ...)`` runs a write
use case: a unit of work, ``work(session)``, the role of the agent read again in that transaction, the operation
key stored with the result, NOTIFY for the other counters when the write declares that it changed what they show
(``changed``), COMMIT; it tries again after a deadlock, a serialization failure or a busy database, and after an
unclear end (the connection lost while the COMMIT was on its way) it looks the operation key up instead of writing
twice.
"""

from __future__ import annotations

import enum
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, SystemClock
from ..db import make_session_factory, write_bind

if TYPE_CHECKING:
    from .actors import Actor
    from .permissions import Rule

T = TypeVar("T")
CHANGES_CHANNEL = "guichet_changes"
ATTEMPTS = 8
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class Shown(enum.StrEnum):
    """What a write changed that the counters show: a write declares it (``Database.write(..., changed=…)``) and
    the other counters are told (``NOTIFY guichet_changes, '<what>'``), then read their screens again
    (``ui.live``). A write that declares nothing — a login, a failure counted, a reset link, an e-mail's state, a
    job's lease — wakes no counter."""

    PLACES = "places"
    """Days, reservations and waitlists, activities, calendars and closings: the counters' calendars."""
    ACCOUNTS = "accounts"
    """Ledger entries, balances, payments: the family's balances and payment history."""
    FAMILIES = "families"
    """Families, children and their aids: the search list and the family page."""
    TOWN = "town"
    """Structures, agents, messages, the payment sites' settings: the counter's frame."""


def new_operation_key() -> str:
    """A key for one write, made by the caller before its first try and kept for its retries."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Operation(Generic[T]):
    """A write that moves money or places: its key, its kind and the type of its result (stored as JSON)."""

    key: str
    kind: str
    result_type: type[T]
    family_id: int | None = None
    """The family the outcome speaks of (a child's name in a basket's outcome): it is stored sealed with the family's
    key (``sealing``), so that anonymisation erases it."""


class _Token:
    """The agent's session token on a shared server (``pg_security``), set on each connection of the engine."""

    def __init__(self) -> None:
        self.value = ""
        self.agent_id: int | None = None


_tokens: WeakKeyDictionary[Engine, _Token] = WeakKeyDictionary()


def _token_of(engine: Engine) -> _Token:
    """The engine's token holder; on PostgreSQL, a connection taken from the pool gets the current token
    (``guichet.token``) when it has another one: the database knows which agent acts on it."""
    holder = _tokens.get(engine)
    if holder is not None:
        return holder
    holder = _tokens[engine] = _Token()
    if engine.dialect.name == "postgresql":

        def set_token(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
            if record.info.get("guichet.token", "") != holder.value:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('guichet.token', %s, false)", (holder.value,))
                dbapi_connection.commit()  # a session setting: not undone by the pool's rollback
                record.info["guichet.token"] = holder.value

        event.listen(engine, "checkout", set_token)
    return holder


class Database:
    """What services need to reach the data: session factories (read and write) and the clock."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.read_factory: sessionmaker[Session] = make_session_factory(engine)
        self.write_factory: sessionmaker[Session] = make_session_factory(write_bind(engine))
        self._token = _token_of(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def session_token(self) -> str:
        """On a shared server, the token of the agent logged in at this counter ("" before a login): every
        connection of the engine carries it, so that the database stamps the journal with that agent and lets an
        administrator only change the agents (``pg_security``)."""
        return self._token.value

    @property
    def session_agent(self) -> int | None:
        """The agent whose session token this counter carries (None without one)."""
        return self._token.agent_id if self._token.value else None

    def open_session(self, token: str, agent_id: int) -> None:
        self._token.value, self._token.agent_id = token, agent_id

    def close_session(self) -> None:
        self._token.value, self._token.agent_id = "", None

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.read_factory)

    def writing(self) -> UnitOfWork:
        """A unit of work that will write: on SQLite it holds the write lock from its first statement."""
        return UnitOfWork(self.write_factory)

    def write(
        self,
        work: Callable[[Session], T],
        *,
        operation: Operation[T] | None = None,
        actor: Actor | None = None,
        rule: Rule | None = None,
        changed: tuple[Shown, ...] = (),
    ) -> T:
        """Run ``work(session)`` in one transaction and commit it (see the module's docstring).

        ``actor``: the agent is read again in this transaction (active, and let in by ``rule``: the service's line
        of ``permissions.RULES``). A family acting on the portal (``Actor.family``) writes only through the services
        whose rule says ``family``. With ``operation``, a key already committed returns its stored result without
        running ``work`` again. ``changed``: what the write changes that the counters show (``Shown``); on
        PostgreSQL they are told when it commits, and only then.
        """
        from .actors import authorize
        from .errors import BusyRetryExhausted, ConnectionLost, PermissionDenied

        if actor is not None and actor.family_id is not None and (rule is None or not rule.family):
            raise PermissionDenied(rule.what if rule else "action réservée au guichet", family=True)

        for attempt in range(ATTEMPTS):
            committing = False
            try:
                with self.writing() as uow:
                    s = uow.session
                    if actor is not None:
                        actor = authorize(s, actor, rule)
                    if operation is not None:
                        done = _stored_result(s, operation, actor.agent_id if actor else None)
                        if done is not _MISSING:
                            return done
                    result = work(s)
                    if operation is not None:
                        _store_result(s, operation, result, actor.agent_id if actor else None, self.clock)
                    if changed and self.dialect == "postgresql":
                        notify(s, changed)  # other counters LISTEN (sent only if the COMMIT succeeds)
                    s.flush()  # the database's refusals (a trigger, a constraint) before the COMMIT, as refusals
                    committing = True
                    s.commit()
                    return result
            except IntegrityError as exc:
                if operation is not None and _is_key_clash(exc):
                    continue  # the same key committed by another try meanwhile: its result is read next time
                raise
            except Exception as exc:
                if committing and _is_unclear(exc):
                    return self._after_unclear_commit(operation, exc, actor.agent_id if actor else None)
                if is_connection_lost(exc):
                    raise ConnectionLost() from exc
                refused = _refused_by_the_database(exc)
                if refused is not None:
                    raise refused from exc
                if not is_retryable(exc):
                    raise
            time.sleep(min(0.5, 0.01 * (2**attempt)) * (0.5 + random.random()))
        raise BusyRetryExhausted()

    def _after_unclear_commit(
        self, operation: Operation[T] | None, exc: BaseException, agent_id: int | None = None
    ) -> T:
        """The COMMIT was sent and no answer came back: ask the server whether the operation key committed."""
        from .errors import ConnectionLost, OutcomeUnknown

        if operation is None:
            raise OutcomeUnknown(keyed=False) from exc
        for wait in (0.0, 0.2, 0.5, 1.0, 2.0):
            time.sleep(wait)
            try:
                with self.reading() as uow:
                    done = _stored_result(uow.session, operation, agent_id)
            except DBAPIError:
                continue
            if done is _MISSING:
                raise ConnectionLost() from exc  # the server answered: nothing of it was committed
            return done
        raise OutcomeUnknown() from exc


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

    def commit(self, changed: tuple[Shown, ...] = tuple(Shown)) -> None:
        """For scripts and tests that write outside a use case (the demonstration builder, fixtures): the counters
        are told that anything may have changed, unless ``changed`` says less (``()``: nothing they show)."""
        if changed and self.session.get_bind().dialect.name == "postgresql":
            notify(self.session, changed)
        self.session.commit()


def notify(s: Session, changed: tuple[Shown, ...]) -> None:
    """Tell the counters, when this transaction commits, what it changed (the payload: ``places,accounts``)."""
    s.execute(
        text("SELECT pg_notify(:channel, :what)"),
        {"channel": CHANGES_CHANNEL, "what": ",".join(sorted({str(Shown(c)) for c in changed}))},
    )


# --- operation keys ------------------------------------------------------------------------------------

_MISSING: Any = object()


def _read_stored(db: Database, operation: Operation[T], agent_id: int | None = None) -> T | None:
    """The result an operation key committed for ``agent_id`` (None: a family on the portal) — None when it never
    did, or did for someone else: what a page shows after the write."""
    from .errors import ValidationError

    with db.reading() as uow:
        try:
            done = _stored_result(uow.session, operation, agent_id)
        except ValidationError:
            return None
    return None if done is _MISSING else done


def _stored_result(s: Session, operation: Operation[T], agent_id: int | None) -> T | Any:
    from ..models import OperationRecord
    from .codec import load
    from .errors import ValidationError
    from .sealing import ERASED, opened

    row = s.execute(
        select(OperationRecord.kind, OperationRecord.agent_id, OperationRecord.result).where(
            OperationRecord.key == operation.key
        )
    ).first()
    if row is None:
        return _MISSING
    if row.kind != operation.kind or row.agent_id != agent_id:
        raise ValidationError("Clé d'opération déjà utilisée pour une autre opération.")
    result = opened(s, row.result)
    if result == ERASED:
        raise ValidationError("Cette opération a été enregistrée pour une famille depuis anonymisée.")
    return load(operation.result_type, result)


def _store_result(s: Session, operation: Operation[T], result: T, agent_id: int | None, clock: Clock) -> None:
    from ..models import OperationRecord
    from .codec import dump

    stored = dump(result)
    if operation.family_id is not None:
        from .sealing import seal_json

        stored = seal_json(s, operation.family_id, stored)
    s.add(
        OperationRecord(
            key=operation.key, kind=operation.kind, agent_id=agent_id, created_at=clock.now(), result=stored
        )
    )
    s.flush()


def _refused_by_the_database(exc: BaseException) -> Exception | None:
    """A shared server's refusal of this login's rights (SQLSTATE 42501: a trigger of ``pg_security``, a column
    it may not read): the database's own French sentence, as a domain error."""
    from .actors import SessionEnded
    from .errors import DatabaseRefused

    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) if isinstance(exc, DBAPIError) else None
    if state == "28000":  # ``guichet_stamp_audit``: a counter's write without a valid session
        return SessionEnded()
    if state != "42501":
        return None
    diag = getattr(orig, "diag", None)
    return DatabaseRefused(str(getattr(diag, "message_primary", None) or orig).splitlines()[0])


def _is_key_clash(exc: IntegrityError) -> bool:
    return "operation_keys" in str(exc.orig) or "pk_operation_keys" in str(exc.orig)


# --- what a failure means --------------------------------------------------------------------------------


def is_retryable(exc: BaseException) -> bool:
    """A transient concurrency failure that a new attempt of the whole transaction can cure."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database table is locked" in message


def is_connection_lost(exc: BaseException) -> bool:
    """The server went away (or could not be reached): nothing of the transaction was committed by it."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    unreachable = isinstance(exc, OperationalError) and not sqlstate and "connection" in str(exc.orig).lower()
    return (
        bool(exc.connection_invalidated)
        or unreachable
        or sqlstate.startswith("08")
        or sqlstate in ("57P01", "57P02", "57P03")
    )


def _is_unclear(exc: BaseException) -> bool:
    """After the COMMIT was sent: a lost connection or any OperationalError leaves the outcome unknown."""
    return is_connection_lost(exc) or isinstance(exc, OperationalError)
