"""pytest-qt: the counter screen built before anyone is logged in (issue 31, item 3). Prepared for nobody it reads
nothing and offers nothing; the login gives it the agent who logged in, and its first families' list is read on a
worker thread (« Chargement des familles… » meanwhile); « Déconnexion » takes the agent and every right away
before the next agent logs in."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

import app.ui.shell.main_window as main_window
from app.models import Role
from app.services.auth import login
from app.ui.families.family_list import LOADING, NOT_LOADED
from app.ui.operations import log_path
from app.ui.shell.application import open_main_window
from app.ui.shell.login_window import LoginDialog
from app.ui.shell.main_window import MainWindow
from tests.helpers import new_family


@contextmanager
def statements(db):
    """The SQL statements sent meanwhile."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def prepared(qtbot, db) -> MainWindow:
    """The screen as the start-up builds it while the agent types: its messages collected, not shown."""
    window = MainWindow(db, prepared=True)
    qtbot.addWidget(window)
    window.ops.show_messages = False
    window.messages = []
    window.ops.failed.connect(window.messages.append)
    window.ops.informed.connect(window.messages.append)
    return window


def read_on(monkeypatch, threads: list[threading.Thread], failure: BaseException | None = None) -> None:
    """``find_families`` as the main window calls it, noting the thread it runs on (and failing, when asked)."""
    real = main_window.find_families

    def find(*args, **kwargs):
        threads.append(threading.current_thread())
        if failure is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(main_window, "find_families", find)


def rights(window: MainWindow) -> dict[str, bool]:
    """What the screens offer the agent on them."""
    return {
        "administration": not window.top_bar.admin.isHidden(),
        "password": not window.top_bar.password.isHidden(),
        "reverse": not window.page.balances.reverse.isHidden(),
        "adjust": not window.page.balances.adjust.isHidden(),
    }


def test_a_screen_prepared_for_nobody_reads_nothing_and_offers_nothing(qtbot, demo_db):
    with statements(demo_db) as sent:
        window = prepared(qtbot, demo_db)
        window.refresh_all()  # what the change watcher or a write would ask: nothing while nobody is logged in
        window.families.search.setText("Martin")
        window.refresh_families()
    assert sent == []
    assert window.ctx.actor.agent_id is None and window.ctx.structures == [] and not window.watching
    assert window.top_bar.agent.text() == "Agent : " and window.top_bar.structure.count() == 0
    assert rights(window) == dict.fromkeys(("administration", "password", "reverse", "adjust"), False)
    assert window.families.said == LOADING and not window.isVisible()


def test_the_login_gives_the_screen_its_agent_and_the_first_list_comes_from_a_worker(
    qtbot, demo_rw, monkeypatch
):
    threads: list[threading.Thread] = []
    read_on(monkeypatch, threads)
    window = prepared(qtbot, demo_rw)
    busy: list[bool] = []
    window.ops.busy.connect(busy.append)
    session = login(demo_rw, "admin", "demo")
    assert open_main_window(demo_rw, session, prepared=window) is window
    assert window.isVisible() and window.ctx.actor == session.actor and window.watching
    assert window.top_bar.agent.text() == "Agent : Nathalie Roques"
    assert [window.top_bar.structure.itemText(i) for i in range(window.top_bar.structure.count())] == [
        s.name for s in session.structures
    ]
    assert rights(window) == dict.fromkeys(("administration", "password", "reverse", "adjust"), True)
    # usable before the list is read: the search box is there, the list says it is loading
    assert window.families.said == LOADING and window.families.model.rowCount() == 0
    assert window.families.search.isVisible() and window.families.search.isEnabled()
    qtbot.waitUntil(lambda: window.families.model.rowCount() > 0, timeout=10_000)
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
    assert threads[0].name.startswith("guichet-work")
    assert window.families.said == "" and busy == []  # no « Opération en cours… » for a list
    assert window.messages == []


def test_a_search_typed_while_the_first_list_loads_is_not_replaced_by_its_late_answer(
    qtbot, demo_rw, monkeypatch
):
    new_family(demo_rw, "Zébulon")
    release = threading.Event()
    real = main_window.find_families

    def slow_first(db, text, *args):
        if threading.current_thread() is not threading.main_thread():
            assert release.wait(10), "the test never released the first list"
        return real(db, text, *args)

    monkeypatch.setattr(main_window, "find_families", slow_first)
    window = prepared(qtbot, demo_rw)
    answers: list[int] = []
    show = window._show_families
    monkeypatch.setattr(
        window, "_show_families", lambda asked, rows: answers.append(len(rows)) or show(asked, rows)
    )
    open_main_window(demo_rw, login(demo_rw, "smartin", "demo"), prepared=window)
    try:
        window.families.search.setText("Zébulon")
        window.refresh_families()  # what the search box asks once the agent pauses
        assert [r.name for r in window.families.model.rows] == ["ZÉBULON"] and answers == [1]
    finally:
        release.set()
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=10_000)  # the first list's answer, late: dropped
    assert answers[1] > 1 and [r.name for r in window.families.model.rows] == ["ZÉBULON"]
    assert window.families.count.text() == "1 famille"


def test_a_failure_of_the_first_list_is_said_in_french_and_the_list_says_it_is_not_loaded(
    qtbot, demo_rw, monkeypatch
):
    threads: list[threading.Thread] = []
    read_on(monkeypatch, threads, OperationalError("SELECT families …", {}, Exception("disk I/O error")))
    window = prepared(qtbot, demo_rw)
    open_main_window(demo_rw, login(demo_rw, "smartin", "demo"), prepared=window)
    qtbot.waitUntil(lambda: window.families.said == NOT_LOADED, timeout=10_000)
    assert threads and threads[0] is not threading.main_thread()
    (message,) = window.messages
    assert message.startswith("La base de données ne répond pas") and log_path() in message
    assert not window.stale.isHidden() and window.stale.toolTip() == message
    assert window.families.search.isEnabled() and window.top_bar.agent.text() == "Agent : Sophie Martin"


def test_after_a_logout_the_next_agent_gets_their_own_rights_not_the_first_ones(qtbot, demo_rw):
    window = prepared(qtbot, demo_rw)
    window.ops.asynchronous = False  # the lists read inline: this test is about the agents
    admin = login(demo_rw, "admin", "demo")
    open_main_window(demo_rw, admin, prepared=window)
    assert window.ctx.actor.role is Role.ADMIN and all(rights(window).values())
    closing = window.open_closing()  # not modal: left open when the administrator leaves
    assert closing.isVisible() and not closing.validate_button.isHidden()

    smartin_id = login(demo_rw, "smartin", "demo").actor.agent_id
    window.ctx.memory.set(smartin_id, "activity", 4242)  # her last activity on this counter

    window.top_bar.logout.click()
    dialog = window.login_dialog
    assert isinstance(dialog, LoginDialog) and dialog.isVisible()
    assert not closing.isVisible()  # the administrator's windows are closed
    assert not window.central.isVisible() and not window.bound  # nothing behind the login
    assert window.ctx.actor.agent_id is None and not any(rights(window).values())
    assert window.top_bar.agent.text() == "Agent : " and window.families.model.rowCount() == 0

    dialog.login.setText("smartin")
    dialog.password.setText("demo")
    dialog._try_save()
    assert dialog.result() == LoginDialog.DialogCode.Accepted and window.central.isVisible()
    smartin = login(demo_rw, "smartin", "demo")
    assert window.ctx.actor == smartin.actor and window.ctx.actor.role is Role.AGENT
    assert window.top_bar.agent.text() == "Agent : Sophie Martin"
    assert [window.top_bar.structure.itemText(i) for i in range(window.top_bar.structure.count())] == [
        s.name for s in smartin.structures
    ]
    assert rights(window) == {"administration": False, "password": True, "reverse": False, "adjust": False}
    assert window.families.model.rowCount() > 0 and window.ctx.remembered("activity") == 4242
    again = window.open_closing()
    assert again.validate_button.isHidden() and "Sophie Martin" in again.cash_box.title()
    again.reject()


@pytest.mark.parametrize("how", ["Quitter", "Échap"])
def test_quitter_in_the_login_after_a_logout_closes_the_counter(qtbot, demo_rw, how):
    window = prepared(qtbot, demo_rw)
    window.ops.asynchronous = False
    open_main_window(demo_rw, login(demo_rw, "admin", "demo"), prepared=window)
    window.top_bar.logout.click()
    dialog = window.login_dialog
    if how == "Quitter":
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    else:
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not window.isVisible()  # nobody goes on with the former agent's session
