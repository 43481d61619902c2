"""Test fixtures: a fresh, migrated database per test on the selected backend (SQLite or PostgreSQL).

Select the backend with ``--backend sqlite|postgresql`` or ``GUICHET_TEST_BACKEND``. PostgreSQL tests create a
database of their own (``GUICHET_TEST_PG_URL`` points at the server, default ``postgres@127.0.0.1:5432``) and
drop it at the end.
"""

from __future__ import annotations

import contextlib
import locale
import os
import queue
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.clock import FixedClock, paris
from app.db import make_engine, upgrade
from app.models import Base
from app.services.uow import Database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
# the tests' keyring is keyrings.alt's plain file
os.environ.setdefault("GUICHET_ALLOW_PLAINTEXT_KEYRING", "1")

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TODAY = date(2026, 11, 26)
SYSTEM_AGENT = (
    "INSERT INTO agents (login, full_name, role, password_hash, active, failed_logins, must_change_password, "
    "system, created_at) VALUES ('systeme', 'Système (tâches planifiées, ligne de commande)', 'admin', NULL, "
    "true, 0, false, true, now())"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("GUICHET_TEST_BACKEND", "sqlite"),
        help="database backend for the integration tests",
    )
    parser.addoption(
        "--every-test",
        action="store_true",
        help="on PostgreSQL, also the tests that do not depend on the backend (they run on the SQLite pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked ``posix_only`` skipped on Windows, with their reason. On PostgreSQL, only the tests whose
    fixtures reach ``backend`` (every database fixture does): the others (widgets without a database, files, texts,
    scripts, a server of their own) do the very same thing on both passes, and the SQLite pass runs them."""
    for item in items:
        for marker in item.iter_markers("posix_only"):
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: posix_only without its reason (reason=...)")
            if sys.platform == "win32":
                item.add_marker(pytest.mark.skip(reason=f"needs POSIX: {reason}"))
    if config.getoption("--backend") != "postgresql" or config.getoption("--every-test"):
        return
    kept: list[pytest.Item] = []
    same: list[pytest.Item] = []
    for item in items:
        (kept if "backend" in getattr(item, "fixturenames", ()) else same).append(item)
    if same:
        config.hook.pytest_deselected(items=same)
        items[:] = kept


LOCALE_ENCODING = locale.getencoding()
"""The locale's encoding when the run started: cp1252 in the Windows-like pass (``scripts/windows_like.sh``)."""


def _locale_of_the_run() -> None:
    """Back to the locale the run started in. On Linux, Qt 6 switches a process whose locale is not UTF-8 to
    C.UTF-8 (LC_CTYPE) when its application starts: ``open()`` without an encoding would then use UTF-8 for the rest
    of the run, and the Windows-like pass would try cp1252 only until the first widget (Windows' Qt leaves the code
    page alone)."""
    if locale.getencoding() != LOCALE_ENCODING:
        locale.setlocale(locale.LC_CTYPE, "")


def pytest_runtest_setup(item: pytest.Item) -> None:
    _locale_of_the_run()  # before the test's fixtures


def pytest_runtest_call(item: pytest.Item) -> None:
    _locale_of_the_run()  # and after them (the one that started Qt)


@pytest.fixture(autouse=True)
def _private_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test has its own home (``GUICHET_HOME``: the database choice, what the counter remembers per agent, the
    default local database, the log file): nothing is read from or written to the real user's folders — on Linux
    as on Windows, where platformdirs ignores XDG_* — and no test sees another's choices."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("GUICHET_HOME", str(folder))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "qt"))
    yield


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault-injection suite's figures (processes, kills, receipts, e-mails, seconds) and the counter flow's
    actions, after the results."""
    from tests.faults import FIGURES

    if FIGURES:
        terminalreporter.section("fault injection figures")
        for name, figure in FIGURES.items():
            terminalreporter.write_line(f"{name}: {figure}")
    from tests.test_counter_flow import ACTION_LISTS

    if ACTION_LISTS:
        terminalreporter.section("counter flow: actions of the agent")
        for name, actions in ACTION_LISTS.items():
            terminalreporter.write_line(f"{name}: {len(actions)} actions")
            for action in actions:
                terminalreporter.write_line(f"    {action}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"guichet-enfance backend: {config.getoption('--backend')}"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return os.environ.get("GUICHET_TEST_PG_URL", DEFAULT_PG)


def _admin_engine(admin_url: str) -> Engine:
    return make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")


RUN_PREFIX = f"guichet_test_{os.getpid()}_"
"""The names of this run's PostgreSQL databases: the end of the run drops every one (``pg_database_factory``)."""


def _new_database_name() -> str:
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:8]}"


def _database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database_factory(backend: str, pg_admin_url: str):
    """Creates empty PostgreSQL databases for this run and drops them all at the end."""
    created: list[str] = []
    admin = _admin_engine(pg_admin_url)

    def create(template: str | None = None) -> str:
        name = _new_database_name()
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )
        created.append(name)
        return _database_url(pg_admin_url, name)

    yield create
    with admin.connect() as conn:
        mine = (
            conn.exec_driver_sql(  # with the copies of the demonstration database a failed test may have left
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{RUN_PREFIX}%",)
            ).scalars()
        )
    for name in {*created, *mine}:
        _drop_database(admin, name)
    from app.pg_security import group

    with admin.connect() as conn:  # the roles ``python -m app migrate`` made for them (one pair per database)
        for name in {*created, *mine}:
            for kind in ("counter", "service"):
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{group(name, kind)}"')
    admin.dispose()


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, pg_database_factory) -> str:
    """URL of a brand-new, empty database on the selected backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return pg_database_factory()


@pytest.fixture(scope="session")
def migrated_template(backend: str, tmp_path_factory: pytest.TempPathFactory, pg_database_factory) -> str:
    """A database migrated to head once per run (a file to copy on SQLite, a database on PostgreSQL)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        return str(path)
    url = pg_database_factory()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def db_url(backend: str, migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database with no rows, private to the test."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    yield migrated_template
    engine = make_engine(migrated_template)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text(SYSTEM_AGENT))  # what the migration put there, as a fresh database has it
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(paris(TODAY, time(10, 0)))


@pytest.fixture
def db(engine: Engine, clock: FixedClock) -> Database:
    return Database(engine, clock)


COPY_SOURCE = pytest.StashKey[str]()
"""On PostgreSQL, the database the demonstration copies are made from (``PgCopies``)."""


@pytest.fixture(scope="session")
def demo_template(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    pg_database_factory,
    request: pytest.FixtureRequest,
) -> str:
    """A database holding the demonstration data for 2026-11-26, built once per run (read-only use)."""
    from app.services.demo import load_demo

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    else:
        url = pg_database_factory()
    engine = make_engine(url)
    upgrade(engine)
    load_demo(Database(engine, FixedClock(paris(TODAY, time(9, 0)))), TODAY)
    engine.dispose()
    if backend == "postgresql":  # now, while nobody is connected to it (PostgreSQL copies no database in use)
        request.config.stash[COPY_SOURCE] = str(
            make_url(pg_database_factory(template=make_url(url).database)).database
        )
    return url


class PgCopies:
    """Writable copies of the demonstration database on PostgreSQL, made ahead on a thread: ``CREATE DATABASE …
    TEMPLATE`` takes about half a second of the server's time (it writes the whole database to the WAL), which then
    overlaps the previous test instead of adding to it (367 tests of the PostgreSQL pass take a copy). They are
    copied from a template of their own that nobody connects to (PostgreSQL refuses to copy a database in use, and
    ``demo_db`` reads ``demo_template``). Used copies are dropped on a second thread (``give_back``): a ``DROP
    DATABASE`` took a tenth of a second of each test's teardown."""

    def __init__(self, admin_url: str, template: str, ahead: int = 2) -> None:
        self.admin_url, self.template = admin_url, template
        self.admin = _admin_engine(admin_url)
        self.ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self.used: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._fill, name="copies-de-la-demo", daemon=True)
        self.dropper = threading.Thread(target=self._drop_used, name="copies-rendues", daemon=True)
        self.thread.start()
        self.dropper.start()

    def _fill(self) -> None:
        while not self.stopping.is_set():
            name = _new_database_name()
            try:
                with self.admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            except Exception as exc:  # noqa: BLE001 - every test that asks for a copy from now on raises it
                self.failure = exc
                return
            while True:
                try:
                    self.ready.put(name, timeout=0.2)
                    break
                except queue.Full:
                    if self.stopping.is_set():
                        self.drop(name)
                        return

    def _drop_used(self) -> None:
        while not (self.stopping.is_set() and self.used.empty()):
            try:
                name = self.used.get(timeout=0.2)
            except queue.Empty:
                continue
            with contextlib.suppress(Exception):  # the end of the run sweeps the run's databases by name
                self.drop(name)

    def take(self) -> str:
        """The URL of a new copy, private to the caller (who gives it back with ``give_back``)."""
        while True:
            try:
                made = self.ready.get(timeout=0.2)
                break
            except queue.Empty:
                if self.failure is not None:
                    raise self.failure from None
                if not self.thread.is_alive():
                    raise RuntimeError("copies de la base de démonstration : le fil s'est arrêté") from None
        return _database_url(self.admin_url, made)

    def give_back(self, name: str) -> None:
        """A copy its test has finished with (its connections closed): dropped on the thread."""
        self.used.put(name)

    def drop(self, name: str) -> None:
        _drop_database(self.admin, name)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)
        self.dropper.join(timeout=60)
        while not self.ready.empty():
            self.drop(self.ready.get())
        self.admin.dispose()  # a copy still being made then is dropped with the run's databases


@pytest.fixture(scope="session")
def pg_copies(backend: str, demo_template: str, pg_admin_url: str, request: pytest.FixtureRequest):
    """On PostgreSQL, the copies of the demonstration database made ahead; None on SQLite (its copies are files)."""
    if backend != "postgresql":
        yield None
        return
    copies = PgCopies(pg_admin_url, request.config.stash[COPY_SOURCE])
    yield copies
    copies.close()


@pytest.fixture
def demo_db(demo_template: str, clock: FixedClock) -> Iterator[Database]:
    engine = make_engine(demo_template)
    yield Database(engine, clock)
    engine.dispose()


@pytest.fixture
def demo_copies(
    backend: str, demo_template: str, tmp_path: Path, pg_copies: PgCopies | None, clock: FixedClock
):
    """A factory of private, writable copies of the demonstration database (file copy or PostgreSQL TEMPLATE)."""
    made: list[tuple[Database, str | None]] = []

    def make() -> Database:
        name = None
        if backend == "sqlite":
            path = tmp_path / f"demo-copy-{len(made)}.sqlite3"
            engine = make_engine(demo_template)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            shutil.copyfile(make_url(demo_template).database, path)
            url = f"sqlite:///{path}"
        else:
            assert pg_copies is not None
            url = pg_copies.take()
            name = make_url(url).database
        db = Database(make_engine(url), FixedClock(clock.now()))
        made.append((db, name))
        return db

    yield make
    for db, name in made:
        db.engine.dispose()
        if name is not None and pg_copies is not None:
            pg_copies.give_back(name)


@pytest.fixture
def demo_rw(demo_copies) -> Database:
    """A private, writable copy of the demonstration database."""
    return demo_copies()


@pytest.fixture
def small_city(db: Database):
    """The benchmark's city at a small size (two school years, full summer days with waitlists), on the bench's
    clock: for the floors' tests."""
    from bench.dataset import YEARS, Size, build
    from bench.measure import NOW

    db.clock = FixedClock(NOW)
    loaded = build(
        db, Size(families=60, children=90, years=YEARS[-2:], alae_capacity=40, alsh_capacity=6, payments=300)
    )
    return db, loaded


# --- online payments: the PayFiP test double and a town that pays through it (issue 26) ------------------------


@pytest.fixture
def double():
    """The PayFiP test double on loopback; its notifications off (no portal listens in these tests: the tests
    deliver the notification themselves)."""
    from tests.payfip_double import PayFiPDouble

    with PayFiPDouble() as d:
        d.notify_enabled = False
        yield d


@pytest.fixture
def gateway(double):
    from app.services.money.online_backends import PaymentGateway

    return PaymentGateway("https://portail.ville.example", payfip_double=double.url)


@pytest.fixture
def town(demo_rw):
    """The demonstration town (at 26/11/2026 10:00) with its ALSH structure paid through PayFiP (mode test)."""
    from app.models import Role
    from app.services.money.online import PaymentSettingsInput, save_payment_settings
    from tests.helpers import actor, structure_of

    db = demo_rw
    db.clock.set(paris(TODAY, time(10, 0)))
    alsh = structure_of(db, "CLSH-PV")
    save_payment_settings(
        db,
        actor(db, Role.ADMIN),
        alsh,
        PaymentSettingsInput("payfip_ws", {"numcli": "123456", "saisie": "T"}, True),
    )
    return db, alsh
