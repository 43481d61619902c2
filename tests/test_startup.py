"""Start-up (issue #18): the login window is shown before SQLAlchemy, the models and the services are imported;
the database is opened behind it on a worker thread; a failure there ends in a French message, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

import app.ui.shell.startup as startup
from app.services.auth import login
from app.ui.fields import LOGIN, PASSWORD, limit_of
from app.ui.shell.login_window import LOGIN_LENGTH, PASSWORD_LENGTH, LoginDialog
from tests.helpers import child_encoding
from tests.test_cli import assert_one_line_french_error

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"
HEAVY = (
    "sqlalchemy",
    "alembic",
    "app.models",
    "app.services",
    "app.db",
    "app.bootstrap",
    "app.ui.operations",
    "app.ui.shell.main_window",
    "app.ui.widgets",
    "app.ui.families.family_dialog",
    "babel",
    "argon2",
)


def url_of(db) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def probe_env(tmp_path: Path, login_name: str = "mdurand", password: str = "demo") -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GUICHET_HOME": str(tmp_path),
        startup.PROBE_LOGIN_ENV: login_name,
        startup.PROBE_PASSWORD_ENV: password,
    }


def probe(url: str, tmp_path: Path, login_name: str = "mdurand", password: str = "demo", *more: str):
    """``python -m app gui --db URL --startup-probe`` offscreen, with its own home (settings, log file)."""
    env = probe_env(tmp_path, login_name, password)
    return subprocess.run(
        [sys.executable, "-m", "app", "gui", "--db", url, "--startup-probe", *more],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


# --- the probe, in a process of its own --------------------------------------------------------------------


def test_the_probe_shows_the_login_without_sqlalchemy_then_the_counter_screen(demo_rw, tmp_path):
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    result = probe(url, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == ["LOGIN_SHOWN sqlalchemy=0", "CLICKED", "READY"], result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_probe_can_wait_as_an_agent_typing_before_it_clicks(demo_rw, tmp_path):
    """``--startup-probe-typing S``: « Se connecter » clicked S seconds after the login window is shown
    (``CLICKED``), the start going on behind the login window meanwhile: the benchmark's click → usable line."""
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    typing = ["--startup-probe-typing", "1"]
    command = [sys.executable, "-m", "app", "gui", "--db", url, "--startup-probe", *typing]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=probe_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        encoding=child_encoding(),
    )
    assert proc.stdout is not None
    lines, at = [], []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        at.append(time.perf_counter())
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert lines == ["LOGIN_SHOWN sqlalchemy=0", "CLICKED", "READY"], lines + [err]
    assert at[1] - at[0] >= 0.9  # Qt's timer may be a little early, never this much
    assert "Traceback" not in err


def test_the_typing_option_is_the_probes_only(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "gui", "--db", UNREACHABLE, "--startup-probe-typing", "1.5"],
        cwd=ROOT,
        env=probe_env(tmp_path),
        capture_output=True,
        encoding=child_encoding(),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert_one_line_french_error(result, "--startup-probe-typing", "--startup-probe")
    result = probe(UNREACHABLE, tmp_path, "mdurand", "demo", "--startup-probe-typing", "-1")
    assert result.returncode == 2
    assert_one_line_french_error(result, "--startup-probe-typing entre 0 et 600 secondes")


def test_the_probe_logs_in_for_real_a_wrong_password_stops_it(demo_rw, tmp_path):
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    result = probe(url, tmp_path, password="pas-le-bon")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["LOGIN_SHOWN sqlalchemy=0", "CLICKED"]
    assert "Erreur : Identifiant ou mot de passe incorrect" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_server_ends_in_a_french_message_not_a_hang_nor_a_traceback(tmp_path):
    result = probe(UNREACHABLE, tmp_path)
    assert result.stdout.splitlines() == ["LOGIN_SHOWN sqlalchemy=0", "CLICKED"]
    assert result.returncode == 2
    assert_one_line_french_error(
        result,
        "Impossible de se connecter à la base de données PostgreSQL « x » sur 127.0.0.1:1 : serveur injoignable.",
    )


def test_what_is_imported_before_the_login_window_is_pyside6_and_the_standard_library():
    code = (
        "import sys\n"
        "import app.__main__, app.ui.shell.startup, app.ui.shell.login_window\n"
        "app.__main__.build_parser().parse_args(['gui', '--db', 'sqlite://', '--startup-probe'])\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "print(heavy); sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, encoding=child_encoding(), timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_login_window_has_the_bounds_the_services_declare_and_reads_the_settings_file_they_write():
    from app.settings import Settings

    assert (limit_of(LOGIN), limit_of(PASSWORD)) == (LOGIN_LENGTH, PASSWORD_LENGTH)
    assert startup.first_start(None)
    Settings().use_local("")
    assert not startup.first_start(None)


# --- the start-up controller, in this process --------------------------------------------------------------


@pytest.fixture
def start_up(qtbot, monkeypatch):
    """A ``Startup`` on a URL, its login window shown (the worker starts after its first paint); the crash
    handler stays pytest-qt's."""
    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    made: list[startup.Startup] = []

    def make(url: str) -> startup.Startup:
        controller = startup.Startup(url)
        assert controller.ends_on_failure  # offscreen: nobody would read the window
        controller.ends_on_failure = False  # the window as an agent sees it
        qtbot.addWidget(controller.dialog)
        controller.dialog.show()
        qtbot.waitUntil(lambda: controller.painted, timeout=5000)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        if controller.worker is not None:
            controller.worker.join(timeout=60)  # opened (or failed), warmed up, the day's backup made
        if controller.db is not None:
            controller.db.engine.dispose()


def test_se_connecter_before_the_database_is_open_waits_for_it_then_logs_in(
    qtbot, start_up, demo_rw, monkeypatch
):
    calls = []
    monkeypatch.setattr("app.services.auth.login", lambda *args: calls.append(args[1:]) or login(*args))
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    controller = start_up(url)
    dialog = controller.dialog
    dialog.login.setText("mdurand")
    dialog.password.setText("demo")
    dialog.connect_button.click()
    if controller.db is None:  # still opening: said, and « Se connecter » is not clicked twice
        assert dialog.waiting.isVisible() and startup.OPENING in dialog.waiting.text()
        assert not dialog.connect_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.result() == LoginDialog.DialogCode.Accepted, timeout=30000)
    assert calls == [("mdurand", "demo")]
    assert dialog.session.actor.name and dialog.connect_button.isEnabled()


def test_the_counter_screen_is_built_while_the_agent_types_and_shown_for_who_logged_in(
    qtbot, start_up, demo_rw
):
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    controller = start_up(url)
    qtbot.waitUntil(lambda: controller.window is not None, timeout=30000)  # nobody has typed anything yet
    window = controller.window
    assert window is not None and not window.isVisible() and not window.bound
    assert window.ctx.actor.agent_id is None and window.top_bar.admin.isHidden()
    dialog = controller.dialog
    assert dialog.isVisible() and dialog.result() != LoginDialog.DialogCode.Accepted
    window.ops.show_messages = False
    dialog.login.setText("mdurand")
    dialog.password.setText("demo")
    dialog.connect_button.click()
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    shown = controller.show_counter(dialog.session, None)
    qtbot.addWidget(shown)
    assert shown is window and window.isVisible() and window.bound
    assert window.ctx.actor == dialog.session.actor and window.top_bar.agent.text() == "Agent : Michel Durand"
    assert not window.top_bar.admin.isHidden()  # a supervisor's
    assert window.families.said == "Chargement des familles…"  # read on a worker thread
    qtbot.waitUntil(lambda: window.families.model.rowCount() > 0, timeout=10000)
    window.close()


def test_a_refused_password_is_said_in_the_login_window(qtbot, start_up, demo_rw):
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    controller = start_up(url)
    qtbot.waitUntil(lambda: controller.db is not None, timeout=30000)
    dialog = controller.dialog
    dialog.login.setText("mdurand")
    dialog.password.setText("faux")
    dialog.connect_button.click()
    assert dialog.errors.isVisible() and "incorrect" in dialog.errors.text()
    assert dialog.login.text() == "mdurand" and dialog.password.text() == ""
    assert dialog.result() != LoginDialog.DialogCode.Accepted


def test_a_database_that_cannot_be_opened_is_said_in_the_login_window_and_tried_again(
    qtbot, start_up, capsys
):
    controller = start_up(UNREACHABLE)
    dialog = controller.dialog
    qtbot.waitUntil(lambda: dialog.errors.isVisible(), timeout=30000)
    shown = dialog.errors.text()
    assert "Impossible de se connecter à la base de données" in shown and "réessayer" in shown
    assert controller.exit_code == 2 and dialog.connect_button.isEnabled() and dialog.isVisible()
    assert "Impossible de se connecter" in capsys.readouterr().err  # as the command line said it before
    dialog.connect_button.click()  # tried again: the same answer, still no hang
    assert controller.working or dialog.errors.isVisible()
    qtbot.waitUntil(lambda: not controller.working and dialog.errors.isVisible(), timeout=30000)
    assert dialog.isVisible()


def test_an_empty_database_gets_the_set_up_assistant_not_the_login(qtbot, start_up, db_url):
    controller = start_up(db_url)
    qtbot.waitUntil(lambda: controller.db is not None, timeout=30000)
    assert controller.dialog.result() == startup.EMPTY


def test_the_server_password_is_asked_on_the_gui_thread_while_the_worker_waits(qtbot, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: asked.append(args[2]) or ("secret", True))
    controller = startup.Startup(None)
    qtbot.addWidget(controller.dialog)
    answers = []

    def worker() -> None:
        answers.append(controller._ask_password("guichet@serveur"))

    import threading

    thread = threading.Thread(target=worker)
    thread.start()
    qtbot.waitUntil(lambda: answers != [], timeout=5000)
    thread.join()
    assert asked == ["Mot de passe de guichet@serveur :"] and answers == ["secret"]
    assert QApplication.instance() is not None


def when_modal_is(kind: type, action) -> None:
    """Run ``action`` on the first modal window of type ``kind`` (``exec()`` blocks the test until it closes)."""
    from PySide6.QtCore import QTimer

    def attempt() -> None:
        widget = QApplication.activeModalWidget()
        if not isinstance(widget, kind):
            QTimer.singleShot(20, attempt)
            return
        action(widget)

    QTimer.singleShot(0, attempt)


def test_run_on_an_empty_database_opens_the_set_up_assistant_cancelled_it_ends(qtbot, monkeypatch, db_url):
    from app.ui.setup.setup_wizard import SetupWizard

    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    controller = startup.Startup(db_url)
    seen = []
    when_modal_is(SetupWizard, lambda wizard: seen.append(wizard) or wizard.reject())
    assert controller.run() == 0
    assert len(seen) == 1 and controller.dialog.result() == startup.EMPTY
    controller.worker.join(timeout=60)
    controller.db.engine.dispose()


def test_run_quitter_in_the_login_window_ends_with_0(qtbot, monkeypatch, demo_rw):
    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    controller = startup.Startup(url)
    when_modal_is(LoginDialog, lambda dialog: dialog.buttons.rejected.emit())
    assert controller.run() == 0
    if controller.worker is not None:  # quitting may come before the first paint: nothing was opened then
        controller.worker.join(timeout=60)
    if controller.db is not None:
        controller.db.engine.dispose()


def test_a_brand_new_shared_server_is_prepared_then_opened_again_behind_the_login(
    qtbot, start_up, backend, empty_url
):
    if backend != "postgresql":
        pytest.skip("a local file is migrated without asking")
    from PySide6.QtWidgets import QMessageBox

    from app.db import current_revision, head_revision, make_engine

    asked = []

    def prepare(box) -> None:
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == "Préparer la base").click()

    when_modal_is(QMessageBox, prepare)
    controller = start_up(empty_url)
    qtbot.waitUntil(lambda: controller.dialog.result() == startup.EMPTY, timeout=60000)
    assert len(asked) == 1 and "est vide" in asked[0]
    engine = make_engine(empty_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_worker_still_warming_up_when_the_window_is_gone_ends_quietly(qtbot, monkeypatch, demo_rw):
    """After a refused password the program ends while the worker may still be warming up: PySide deletes the
    controller's Qt object on the way out, and the worker's last news must not end in a traceback on the standard
    error (CI saw « RuntimeError: Signal source has been deleted »)."""
    import threading

    import shiboken6

    monkeypatch.setattr(startup, "install_crash_handler", lambda: None)
    release, warming = threading.Event(), threading.Event()

    def slow_warm_up() -> None:
        warming.set()
        release.wait(30)

    monkeypatch.setattr(startup, "warm_up", slow_warm_up)
    monkeypatch.setattr("app.ui.shell.application._backup_local", lambda db: None)
    crashes: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", crashes.append)
    url = url_of(demo_rw)
    demo_rw.engine.dispose()
    controller = startup.Startup(url)
    controller._start_worker()
    assert warming.wait(30)
    qtbot.waitUntil(lambda: controller.db is not None, timeout=30000)  # "opened" answered on this thread
    worker, db = controller.worker, controller.db
    assert worker is not None and db is not None
    shiboken6.delete(controller)  # what PySide does to the objects left at exit (even before ``close``)
    release.set()
    worker.join(timeout=30)
    assert not worker.is_alive()
    db.engine.dispose()
    assert crashes == []


def test_once_run_has_returned_the_worker_tells_nobody(qtbot):
    import threading

    controller = startup.Startup("sqlite:///inutile.sqlite3")
    qtbot.addWidget(controller.dialog)
    heard: list[str] = []
    controller.news.disconnect(controller._news)
    controller.news.connect(lambda what, value: heard.append(what))
    assert controller._tell("warm", None)
    answers: list[str | None] = []
    waiting = threading.Thread(target=lambda: answers.append(controller._ask_password("postgres")))
    waiting.start()  # asked, and nobody answers (the program ends)
    qtbot.waitUntil(lambda: heard == ["warm", "ask"])
    controller.close()  # what ``start`` does once ``run`` has returned
    waiting.join(timeout=5)
    assert not waiting.is_alive() and answers == [None]  # it stopped waiting
    assert not controller._tell("warm", None)
    assert controller._ask_password("postgres") is None  # not waiting for an answer nobody will give
    assert heard == ["warm", "ask"]
    # news queued before ``run`` returned, delivered by a later event loop (an error box): not acted on
    done, answer = threading.Event(), []
    controller._news("ask", ("postgres", answer, done))  # no password dialog: it would block this test
    assert done.is_set() and answer == []
    controller._news("failed", RuntimeError("trop tard"))
    assert controller.exit_code == 0 and not controller.dialog.errors.isVisible()
