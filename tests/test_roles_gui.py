"""pytest-qt: the counter follows the role and the account the database holds now (issue 27) — a demotion with the
window open, a temporary password changed before anything else, a reset or a disable ending the open session, the
copied temporary password leaving the clipboard."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from app.models import Role
from app.services.auth import login
from app.services.families.edit import FamilyInput, create_family
from app.services.setup import agents
from app.ui.setup.admin_dialog import AdminDialog
from app.ui.shell.login_dialog import PasswordDialog
from app.ui.shell.main_window import MainWindow
from tests.helpers import counter_window, new_agent, new_family, structure_of
from tests.test_counter_gui import NOW


def _window(qtbot, db, session) -> MainWindow:
    window = counter_window(qtbot, db, session)
    window.require_login = True
    return window


def _tabs(dialog: AdminDialog) -> list[str]:
    return [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]


def test_a_demoted_administrator_loses_administration_with_the_window_open(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    sid = structure_of(db, "CLSH-PV")
    other_admin = new_agent(db, "lgarcia", "Léa Garcia", Role.ADMIN, [sid])
    window = _window(qtbot, db, login(db, "admin", "demo"))
    family_id, _ = new_family(db, "Rôles", balance_cents=2000)
    window.open_family(family_id)
    balances = window.page.balances
    assert not window.top_bar.admin.isHidden() and not balances.reverse.isHidden()
    dialog = window.open_admin()
    assert isinstance(dialog, AdminDialog) and "Agents" in _tabs(dialog)

    agents.set_role(db, other_admin, window.ctx.actor.agent_id, Role.SUPERVISOR)
    window.refresh_all()  # what the change watcher does a moment after another counter's write
    assert not dialog.isVisible()
    assert window.ctx.actor.role is Role.SUPERVISOR and window.top_bar.agent.text().startswith("Agent :")
    assert any("Votre rôle vient d'être modifié" in m and "Rouvrez-la" in m for m in window.messages)
    again = window.open_admin()
    assert "Agents" not in _tabs(again) and "Journées" in _tabs(again) and "Journal" in _tabs(again)
    assert not balances.reverse.isHidden()  # a régisseur still reverses payments
    again.reject()

    agents.set_role(db, other_admin, window.ctx.actor.agent_id, Role.AGENT)
    window.refresh_all()
    assert window.top_bar.admin.isHidden()
    assert balances.reverse.isHidden() and balances.adjust.isHidden()
    assert window.page.anonymise.isHidden() and not window.page.booking.grid.supervisor
    # The services answer from the database too: what the old screens would still send is refused.
    window.messages.clear()
    window.ops.run(lambda: agents.reset_password(db, window.ctx.actor, other_admin.agent_id), write=True)
    assert window.messages == [
        "Action réservée à un administrateur : réinitialiser le mot de passe d'un agent."
    ]


def test_a_temporary_password_is_changed_before_anything_else(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    sid = structure_of(db, "CLSH-PV")
    admin = login(db, "admin", "demo").actor
    issued = agents.create_agent(db, admin, "jpetit", "Jules Petit", Role.AGENT, [sid])
    session = login(db, "jpetit", issued.password)
    assert session.must_change_password
    window = _window(qtbot, db, session)
    dialog = window.force_password_change()
    assert isinstance(dialog, PasswordDialog) and dialog.isVisible() and not window.central.isEnabled()
    assert not window.central.isVisible()  # not even the families' list behind the dialog
    assert "mot de passe provisoire" in dialog.note.text()
    dialog.current.setText(issued.password)
    for weak in ("court", "jpetit-2026-xx", "azerty123456", "Jules Petit 2026!"):
        dialog.new.setText(weak)
        dialog.again.setText(weak)
        dialog._try_save()
        assert dialog.isVisible() and dialog.errors.text(), weak
    assert window.ctx.session.must_change_password and not window.central.isEnabled()
    dialog.new.setText("cheval-tulipe-ardoise")
    dialog.again.setText("cheval-tulipe-ardoise")
    dialog._try_save()
    assert not dialog.isVisible() and window.central.isEnabled() and window.central.isVisible()
    assert not window.ctx.session.must_change_password and window.ctx.session.password_version == 1
    assert getattr(window, "login_dialog", None) is None  # the session goes on
    create_family(db, window.ctx.actor, FamilyInput(name="Après", email="apres@example.org"))
    assert login(db, "jpetit", "cheval-tulipe-ardoise").actor.name == "Jules Petit"


def test_leaving_the_temporary_password_unchanged_logs_out(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    admin = login(db, "admin", "demo").actor
    issued = agents.reset_password(db, admin, login(db, "smartin", "demo").actor.agent_id)
    window = _window(qtbot, db, login(db, "smartin", issued.password))
    dialog = window.force_password_change()
    dialog.reject()
    assert window.login_dialog.isVisible()


def test_a_reset_or_a_disable_ends_the_open_session_at_once(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    admin = login(db, "admin", "demo").actor
    window = _window(qtbot, db, login(db, "smartin", "demo"))
    agents.reset_password(db, admin, window.ctx.actor.agent_id)
    window.refresh_all()
    assert any("reconnectez-vous" in m for m in window.messages)
    assert window.login_dialog.isVisible()
    window.login_dialog.reject()

    other = _window(qtbot, db, login(db, "kbenali", "demo"))
    agents.set_active(db, admin, other.ctx.actor.agent_id, False)
    other.refresh_all()
    assert any("désactivé" in m for m in other.messages)
    assert other.login_dialog.isVisible()


def test_a_write_refused_for_the_session_itself_ends_it(qtbot, demo_rw):
    """Between two refreshes (the database unreachable for the watcher, say), the service's own refusal ends the
    session: no message per call, the login again."""
    db = demo_rw
    db.clock.set(NOW)
    admin = login(db, "admin", "demo").actor
    window = _window(qtbot, db, login(db, "smartin", "demo"))
    agents.set_active(db, admin, window.ctx.actor.agent_id, False)
    window.ops.run(lambda: create_family(db, window.ctx.actor, FamilyInput(name="Refusée")), write=True)
    assert window.login_dialog.isVisible()
    assert any("Agent inconnu ou désactivé" in m for m in window.messages)


def test_the_copied_temporary_password_leaves_the_clipboard(qtbot, demo_rw, monkeypatch):
    from app.services.setup.agents import TemporaryPassword
    from app.ui.setup.temporary_password_dialog import TemporaryPasswordDialog

    monkeypatch.setattr(TemporaryPasswordDialog, "CLIPBOARD_SECONDS", 0.05)
    dialog = TemporaryPasswordDialog(
        None, "Mot de passe", "Sophie Martin", TemporaryPassword(4, "smartin", "AbCdEf234567")
    )
    qtbot.addWidget(dialog)
    next(b for b in dialog.findChildren(QPushButton) if b.text() == "Copier").click()
    clipboard = QGuiApplication.clipboard()
    assert clipboard.text() == "AbCdEf234567"
    dialog.accept()
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=2000)
