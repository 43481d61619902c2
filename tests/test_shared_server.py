"""Several counters on a shared server: connection settings and keyring, connection loss, live refresh,
the supervisor's migration, agents' structures."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import date
from datetime import time as dtime
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings
from sqlalchemy import column, event, select, table, text

from app.bootstrap import migrate_shared_server, saved_database_url
from app.clock import paris
from app.connection import (
    NoKeyring,
    ServerSettings,
    check_connection,
    keyring_available,
    load_password,
    save_password,
)
from app.db import current_revision, head_revision, make_engine, upgrade
from app.models import Agent, Role, Structure
from app.services.booking.basket import Action, Basket
from app.services.booking.month_view import DayState
from app.services.booking.validation import confirm
from app.services.counter import default_session
from app.services.errors import ConnectionLost, PermissionDenied
from app.services.security import hash_password
from app.services.uow import new_operation_key
from app.settings import Settings
from tests.helpers import activity_id, actor, balance, child_encoding, new_family, row_counts
from tests.pg_password_server import PASSWORD, PasswordServer
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]
NOW = paris(date(2026, 11, 26), dtime(10, 0))


@pytest.fixture
def file_keyring(tmp_path):
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def settings(tmp_path):
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


def test_password_goes_to_a_real_keyring_not_to_the_settings_file(file_keyring, settings, tmp_path):
    server = ServerSettings("db.mairie.example", 5432, "guichet", "agent", "require")
    settings.use_server(server)
    save_password(server, "s3cret-é")
    assert keyring_available() and load_password(server) == "s3cret-é"
    assert "s3cret" not in (tmp_path / "settings.ini").read_text(encoding="utf-8")
    url = saved_database_url(settings)
    assert "s3cret-" in url and url.startswith("postgresql+psycopg://agent:") and "sslmode=require" in url


def test_without_keyring_the_password_is_asked_and_never_stored(no_keyring, settings, tmp_path):
    server = ServerSettings("127.0.0.1", 5432, "guichet", "agent")
    settings.use_server(server)
    assert not keyring_available()
    with pytest.raises(NoKeyring, match="demandé à chaque démarrage"):
        save_password(server, "x")
    asked = []
    url = saved_database_url(settings, lambda account: asked.append(account) or "tapé-au-démarrage")
    assert asked == ["agent@127.0.0.1:5432/guichet"] and "tap" in url
    assert "tap" not in (tmp_path / "settings.ini").read_text(encoding="utf-8")


@pytest.mark.posix_only(reason="starts PostgreSQL from /usr/lib/postgresql with su and sh (PasswordServer)")
def test_wrong_password_and_unreachable_server_give_french_messages_within_the_timeout():
    server = PasswordServer()
    try:
        good = ServerSettings("127.0.0.1", server.port, "postgres", "guichet", "disable")
        assert check_connection(good.url(PASSWORD)).ok
        report = check_connection(good.url("mauvais"))
        assert not report.ok and "identifiant ou mot de passe refusé" in report.message
    finally:
        server.stop()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection but never answers: the client must give up on its own
    try:
        start = time.monotonic()
        report = check_connection(
            ServerSettings("127.0.0.1", silent.getsockname()[1], "x", "y", "disable").url("z")
        )
        assert not report.ok and "Impossible de se connecter" in report.message
        assert time.monotonic() - start < 8
    finally:
        silent.close()


def test_settings_dialog_tests_and_saves(qtbot, file_keyring, settings, tmp_path, monkeypatch):
    import threading

    import app.connection
    from app.ui.operations import Operations
    from app.ui.shell.dialogs import settings_dialog

    ops = Operations()
    ops.show_messages = False
    threads = []
    real_check = app.connection.check_connection

    def check(url):
        threads.append(threading.current_thread())
        return real_check(url)

    monkeypatch.setattr(app.connection, "check_connection", check)
    dialog = settings_dialog(settings, ops)
    qtbot.addWidget(dialog)
    dialog.server.setChecked(True)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(free_port())  # nobody there
    dialog.database.setText("guichet")
    dialog.password.setText("secret-du-guichet")
    dialog.start_test()
    assert not dialog.test_button.isEnabled() and dialog.test_result.text() == "Connexion en cours…"
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=8000)
    assert "Impossible de se connecter" in dialog.test_result.text()
    assert threads and threads[0] is not threading.main_thread()  # off the GUI thread
    dialog.host.setText("")
    dialog._try_save()
    assert "obligatoire" in dialog.errors.text() and dialog.host.styleSheet() and settings.mode == ""
    dialog.host.setText("127.0.0.1")
    dialog._try_save()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.result_value == "server"
    assert settings.mode == "server" and settings.server().host == "127.0.0.1"
    assert load_password(settings.server()) == "secret-du-guichet"
    assert "secret-du-guichet" not in (tmp_path / "settings.ini").read_text(encoding="utf-8")


def test_connection_cut_during_a_confirmation_writes_nothing_and_retry_works(backend, demo_rw):
    if backend != "postgresql":
        pytest.skip("pg_terminate_backend is a PostgreSQL function")
    db = demo_rw
    db.clock.set(NOW)
    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(family_id)
    for d in (date(2026, 12, 21), date(2026, 12, 28), date(2026, 12, 29)):
        basket.toggle(child, activity_id(db, "CLSH-PV"), d, Action.ADD)
    admin = make_engine(db.engine.url)
    cut = []

    def kill_on_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO reservations") and not cut:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            cut.append(pid)

    before = row_counts(db)
    event.listen(db.engine, "before_cursor_execute", kill_on_insert)
    try:
        with pytest.raises(ConnectionLost, match="rien n'a été enregistré"):
            confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_on_insert)
    assert cut and row_counts(db) == before and balance(db, family_id) == 5000
    result = confirm(
        db, actor(db, Role.AGENT), basket, key=new_operation_key()
    )  # the server is still there: the retry goes through
    assert [o.label for o in result.outcomes] == ["Acceptée"] * 3
    admin.dispose()


BOOK_ELSEWHERE = """
import sys
from datetime import date
from app.clock import FixedClock, paris
from app.db import make_engine
from app.models import Role
from app.services.actors import Actor
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.uow import Database, new_operation_key
db = Database(make_engine(sys.argv[1]), FixedClock(paris(date(2026, 11, 26))))
basket = Basket(int(sys.argv[2]))
basket.toggle(int(sys.argv[3]), int(sys.argv[4]), date(2026, 12, 28), Action.ADD)
print(confirm(db, Actor(int(sys.argv[5]), Role.AGENT), basket, key=new_operation_key()).outcomes[0].label)
"""


def test_a_booking_made_by_another_counter_shows_within_a_second(qtbot, demo_rw):
    from tests.test_counter_gui import choose, open_family
    from tests.test_payments_gui import _window

    family_id, (child,) = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    places = booking.grid.cell_for(date(2026, 12, 28)).places_left
    assert booking.grid.cell_for(date(2026, 12, 28)).state is DayState.FREE
    url = demo_rw.engine.url.render_as_string(hide_password=False)
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            BOOK_ELSEWHERE,
            url,
            str(family_id),
            str(child),
            str(activity_id(demo_rw, "CLSH-PV")),
            str(actor(demo_rw, Role.AGENT).agent_id),
        ],
        cwd=ROOT,
        capture_output=True,
        encoding=child_encoding(),
        timeout=120,
    )
    assert other.stdout.strip() == "Acceptée", other.stderr
    committed = time.monotonic()
    qtbot.waitUntil(lambda: booking.grid.cell_for(date(2026, 12, 28)).state is DayState.BOOKED, timeout=1000)
    assert time.monotonic() - committed < 1.0
    assert booking.grid.cell_for(date(2026, 12, 28)).places_left == places - 1
    window.close()


def test_shared_server_migration_needs_a_supervisor(backend, empty_url):
    if backend != "postgresql":
        pytest.skip("a local file is migrated without asking")
    engine = make_engine(empty_url)
    upgrade(engine, "0001")
    old_agents = table(
        "agents",
        *(
            column(c)
            for c in ("login", "full_name", "role", "password_hash", "active", "failed_logins", "created_at")
        ),
    )  # schema 0001's columns
    with engine.begin() as conn:
        conn.execute(
            old_agents.insert(),
            [
                {
                    "login": "chef",
                    "full_name": "Cheffe",
                    "role": Role.SUPERVISOR,
                    "password_hash": hash_password("juste"),
                    "active": True,
                    "failed_logins": 0,
                    "created_at": NOW,
                },
                {
                    "login": "agent",
                    "full_name": "Agent",
                    "role": Role.AGENT,
                    "password_hash": hash_password("juste"),
                    "active": True,
                    "failed_logins": 0,
                    "created_at": NOW,
                },
            ],
        )
    for login, secret in (("agent", "juste"), ("chef", "faux"), ("personne", "x")):
        with pytest.raises(PermissionDenied):
            migrate_shared_server(engine, login, secret)
        assert current_revision(engine) == "0001"
    migrate_shared_server(engine, "chef", "juste")
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_an_agent_sees_only_the_structures_they_are_attached_to(demo_rw):
    with demo_rw.writing() as uow:
        s = uow.session
        agent = s.scalar(select(Agent).where(Agent.login == "smartin"))
        agent.structures = [s.scalar(select(Structure).where(Structure.name == "ALSH Montech"))]
        uow.commit()
    assert [x.name for x in default_session(demo_rw).structures] == ["ALSH Montech"]


def test_confirmation_runs_off_the_gui_thread_and_a_lost_connection_keeps_the_basket(qtbot, backend, demo_rw):
    from tests.test_counter_gui import choose, click_day, open_family
    from tests.test_payments_gui import _window

    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    window.ops.asynchronous = True
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    dialog = window.recap_dialog
    if backend == "postgresql":  # the server drops the connection in the middle: nothing written, basket kept
        admin = make_engine(demo_rw.engine.url)

        def kill(conn, cursor, statement, *args):
            if statement.startswith("INSERT INTO reservations"):
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with admin.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        event.listen(demo_rw.engine, "before_cursor_execute", kill)
        dialog.confirm.click()
        assert not dialog.confirm.isEnabled()  # the GUI thread is free while the worker confirms
        qtbot.waitUntil(lambda: bool(window.messages), timeout=10_000)
        event.remove(demo_rw.engine, "before_cursor_execute", kill)
        admin.dispose()
        assert "connexion à la base de données a été perdue" in window.messages[-1]
        assert dialog.outcomes is None and dialog.isVisible() and len(booking.basket) == 1
        assert balance(demo_rw, family_id) == 5000
        qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=2000)
    dialog.confirm.click()  # (again) — the retry goes through
    qtbot.waitUntil(lambda: dialog.outcomes is not None, timeout=10_000)
    assert [o.label for o in dialog.outcomes.outcomes] == ["Acceptée"]
    assert balance(demo_rw, family_id) == 3700


def test_a_reservation_cancelled_by_another_counter_meanwhile_is_not_refunded_twice(backend, demo_rw):
    """Counter B has read the reservation, counter A cancels it while B waits for the day's lock."""
    if backend != "postgresql":
        pytest.skip("SQLite takes its write lock at the first read: B cannot read before A commits")
    from app.services.uow import Database

    db = demo_rw
    db.clock.set(NOW)
    family_id, (child,) = new_family(db, balance_cents=1300)
    pv = activity_id(db, "CLSH-PV")
    book = Basket(family_id)
    book.toggle(child, pv, date(2026, 12, 28), Action.ADD)
    confirm(db, actor(db, Role.AGENT), book, key=new_operation_key())
    cancel = Basket(family_id)
    cancel.toggle(child, pv, date(2026, 12, 28), Action.REMOVE)
    other = Database(make_engine(db.engine.url), db.clock)
    done = []

    def other_counter_first(conn, cursor, statement, *args):
        if "FROM activity_days" in statement and "FOR UPDATE" in statement and not done:
            done.append(
                confirm(other, actor(other, Role.AGENT), cancel, key=new_operation_key())
            )  # commits before B gets the lock

    event.listen(db.engine, "before_cursor_execute", other_counter_first)
    try:
        second = confirm(db, actor(db, Role.AGENT), cancel, key=new_operation_key())
    finally:
        event.remove(db.engine, "before_cursor_execute", other_counter_first)
        other.engine.dispose()
    assert done[0].outcomes[0].label == "Annulée"
    assert second.outcomes[0].label == "Annulation refusée : Aucune réservation à annuler ce jour-là"
    assert balance(db, family_id) == 1300  # one refund only
