"""pytest-qt: login, logout, and the main path of each administration screen."""

from __future__ import annotations

import ast
import io
import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from app.config import resources_dir
from app.models import ActivityKind, PeriodOpeningRule, PeriodScope, Role, WalletKind
from app.services.audit import audit_rows
from app.services.auth import AccountLocked, LoginRefused, change_password, login, this_workstation
from app.services.counter import CounterSession, default_session
from app.services.money.amounts import format_eur
from app.services.setup.activities import policy_for
from app.ui.operations import Operations
from app.ui.setup.admin_activities import GREY
from app.ui.shell.dialogs import login_dialog, password_dialog
from app.ui.shell.login_dialog import LoginDialog, PasswordDialog
from tests.helpers import actor, counter_window, new_family
from tests.test_counter_gui import NOW, open_family

ROOT = Path(__file__).resolve().parents[1]


def audit_rows_of(db) -> list[str]:
    """The audit trail's actions, newest first."""
    with db.reading() as uow:
        return [e.action for e in audit_rows(uow.session)]


def answer(question, text: str) -> None:
    """Click a question box's button by its text."""
    next(b for b in question.buttons() if b.text() == text).click()


def button(dialog, tab: int, text: str = "") -> QPushButton:
    return next(b for b in dialog.tabs.widget(tab).findChildren(QPushButton) if b.text().startswith(text))


def _window(qtbot, db, role=Role.ADMIN):
    db.clock.set(NOW)
    session = CounterSession(actor(db, role), default_session(db).structures)
    return counter_window(qtbot, db, session)


def _start_ops() -> Operations:
    """The operations of the start-up, before the main window exists."""
    ops = Operations()
    ops.show_messages = False
    return ops


def test_login_dialog_refuses_then_locks_then_accepts(qtbot, demo_rw):
    demo_rw.clock.set(NOW)
    ops = _start_ops()
    dialog = login_dialog(demo_rw, ops)
    qtbot.addWidget(dialog)
    dialog.login.setText("mdurand")
    dialog.password.setText("faux")
    dialog._try_save()
    assert dialog.errors.text() == "Identifiant ou mot de passe incorrect." and dialog.password.text() == ""
    assert dialog.login.text() == "mdurand" and dialog.result() != LoginDialog.DialogCode.Accepted
    for _ in range(4):
        dialog.password.setText("faux")
        dialog._try_save()
    assert "compte bloqué" in dialog.errors.text()
    other = login_dialog(demo_rw, ops)
    qtbot.addWidget(other)
    other.login.setText("smartin")
    other.password.setText("demo")
    other._try_save()
    assert other.result() == LoginDialog.DialogCode.Accepted and other.session.actor.name == "Sophie Martin"


SERVICE_NAMES = {"login", "change_password", "install", "migrate_shared_server", "check_connection"}


def _imports_and_names(path: Path) -> tuple[set[str], set[str]]:
    """The modules a source file imports, and the names it imports or calls (``f()``, ``module.f()``; not the
    methods of its own widgets, ``self.login.text()``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, names = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add("." * node.level + (node.module or ""))
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.add(node.func.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value  # a module's function, not a method of one of its own widgets
            if isinstance(owner, ast.Name) and owner.id != "self":
                names.add(node.func.attr)
    return modules, names


@pytest.mark.parametrize(
    "name", ["shell/login_dialog.py", "shell/settings_dialog.py", "setup/setup_wizard.py"]
)
def test_the_start_up_dialogs_neither_import_nor_call_the_services_they_collect_values_for(name):
    modules, names = _imports_and_names(ROOT / "app/ui" / name)
    if name == "shell/login_dialog.py":  # the login and password dialogs import no service at all
        assert not [m for m in modules if m.lstrip(".").startswith(("services", "app.services"))], modules
    assert not names & SERVICE_NAMES, names & SERVICE_NAMES


def test_login_and_password_change_go_through_the_operations(qtbot, demo_rw, monkeypatch):
    """The dialogs only collect values: the services run through ``Operations.form`` of their owner."""
    import app.services.auth as auth

    demo_rw.clock.set(NOW)
    ops = _start_ops()
    calls, failures, changed = [], [], []
    ops.failed.connect(failures.append)
    ops.changed.connect(lambda: changed.append(True))
    real_login, real_change = auth.login, auth.change_password
    monkeypatch.setattr(auth, "login", lambda *args: calls.append(("login", args[1:])) or real_login(*args))
    monkeypatch.setattr(
        auth, "change_password", lambda *args: calls.append(("change", args[2:])) or real_change(*args)
    )
    dialog = login_dialog(demo_rw, ops)
    qtbot.addWidget(dialog)
    dialog.login.setText("smartin")
    dialog.password.setText("demo")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert calls == [("login", ("smartin", "demo"))] and changed == [True]
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    session = dialog.session

    change = password_dialog(demo_rw, ops, session.actor)
    qtbot.addWidget(change)
    change.current.setText("demo")
    change.new.setText("un nouveau mot de passe")
    change.again.setText("un autre mot de passe")
    change._try_save()  # the confirmation is the dialog's own check: nothing is sent
    assert "La confirmation ne correspond pas" in change.errors.text() and change.again.styleSheet()
    assert len(calls) == 1 and failures == []
    change.again.setText("un nouveau mot de passe")
    change.current.setText("faux")
    change._try_save()
    assert failures == ["Mot de passe actuel incorrect."] and change.errors.text() == failures[0]
    assert change.result() != PasswordDialog.DialogCode.Accepted and not change.again.styleSheet()
    change.current.setText("demo")
    change._try_save()
    assert change.result() == PasswordDialog.DialogCode.Accepted
    assert calls[1:] == [
        ("change", ("faux", "un nouveau mot de passe")),
        ("change", ("demo", "un nouveau mot de passe")),
    ]
    assert login(demo_rw, "smartin", "un nouveau mot de passe").actor.name == "Sophie Martin"


def test_logout_then_login_as_someone_else_changes_what_is_shown(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.AGENT)
    assert window.top_bar.admin.isHidden()
    window.require_login = True
    window.top_bar.logout.click()
    login = window.login_dialog
    login.login.setText("admin")
    login.password.setText("demo")
    login._try_save()
    assert window.top_bar.agent.text() == "Agent : Nathalie Roques" and not window.top_bar.admin.isHidden()
    window.top_bar.password.click()
    change = window.password_dialog
    assert isinstance(change, PasswordDialog)
    change.current.setText("demo")
    change.new.setText("court")
    change.again.setText("court")
    change._try_save()
    assert "de 12 à 128 caractères" in change.errors.text()


def test_admin_screens_main_paths(qtbot, demo_rw):
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    dialog = window.open_admin()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == [
        "Structures",
        "Agents",
        "Activités",
        "Année scolaire",
        "Familles",
        "Périodes",
        "Journées",
        "Aides",
        "Messages",
        "Journal",
    ]

    dialog.period_activity.setCurrentIndex(
        dialog.period_activity.findText("CLSH Petites vacances – ALSH Montech")
    )
    noel = next(i for i, p in enumerate(dialog.period_rows.rows) if p.name.startswith("Vacances de Noël"))
    dialog.period_view.selectRow(noel)
    assert dialog.opening_date.date() == QDate(2026, 11, 14)  # the selected period's date prefills the field
    dialog.opening_date.setDate(QDate(2026, 11, 1))
    dialog._change_opening()
    assert dialog.period_rows.rows[noel].opening == date(2026, 11, 1)
    assert dialog.period_rows.rows[noel].rule == "fixed_date"

    dialog.day_activity.setCurrentIndex(dialog.day_activity.findText("CLSH Petites vacances – ALSH Montech"))
    dialog.day_month.setDate(QDate(2026, 12, 1))
    row = next(i for i, d in enumerate(dialog.day_rows.rows) if d.day == date(2026, 12, 22))
    dialog.day_view.selectRow(row)
    dialog.capacity.setValue(dialog.day_rows.rows[row].capacity + 1)
    dialog.day_reason.setText("un animateur de plus")
    dialog._set_capacity()
    assert "1 demande de la liste d'attente acceptée." in dialog.day_result.text()
    dialog.day_view.selectRow(
        next(i for i, d in enumerate(dialog.day_rows.rows) if d.day == date(2026, 12, 31))
    )
    dialog.day_reason.setText("fermeture exceptionnelle")
    dialog._close_day()
    assert "fermée" in dialog.day_result.text() and "remboursés" in dialog.day_result.text()

    dialog.aid_name.setText("CE Mairie")
    dialog.aid_kind.setCurrentIndex(2)
    button(dialog, 7).click()
    assert "CE Mairie" in [r[2] for r in dialog.aid_rows.rows]

    dialog.msg_title.setText("Fermeture le 31")
    dialog.msg_body.setPlainText("Le centre est fermé le 31 décembre.")
    button(dialog, 8).click()
    assert "Fermeture le 31" in [m[1] for m in dialog.message_rows.rows]
    assert "Fermeture le 31" in window.placeholder.text()  # shown on the home screen

    dialog.journal.load()
    actions = {r.action for r in dialog.journal.rows.rows}
    assert {"period.opening", "activity_day.close", "aid_type.create", "message.save"} <= actions
    assert window.messages == []
    dialog.accept()


def test_closing_a_day_again_after_an_unclear_end_keeps_its_key_and_another_day_gets_a_new_one(
    qtbot, demo_rw, monkeypatch
):
    from app.services.booking import days
    from app.services.errors import OutcomeUnknown

    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    dialog = window.open_admin()
    keys, real, lost = [], days.close_day, [True]

    def close_day(db, actor, day_id, reason, *, key=None):
        keys.append((day_id, key))
        result = real(db, actor, day_id, reason, key=key)
        if lost:  # written, but the answer of the COMMIT was lost on its way back
            lost.pop()
            raise OutcomeUnknown()
        return result

    monkeypatch.setattr(days, "close_day", close_day)
    dialog.day_activity.setCurrentIndex(dialog.day_activity.findText("CLSH Petites vacances – ALSH Montech"))
    dialog.day_month.setDate(QDate(2026, 12, 1))

    def select(d: date) -> None:
        dialog.day_view.selectRow(next(i for i, r in enumerate(dialog.day_rows.rows) if r.day == d))

    select(date(2026, 12, 31))
    dialog.day_reason.setText("fermeture exceptionnelle")
    dialog._close_day()
    assert "a peut-être été enregistrée" in window.messages[-1] and dialog.day_result.text() == ""
    select(date(2026, 12, 31))
    dialog._close_day()  # the supervisor tries again: the same key, the result of the first try comes back
    assert keys[1] == keys[0] and keys[0][1] is not None
    assert dialog.day_result.text().startswith("Journée du 31/12/2026 fermée :") and len(window.messages) == 1
    assert audit_rows_of(demo_rw).count("activity_day.close") == 1  # closed once

    select(date(2026, 12, 30))
    dialog._close_day()  # another day: a new key
    assert keys[2][0] != keys[0][0] and keys[2][1] not in (keys[0][1], None)
    assert dialog.day_result.text().startswith("Journée du 30/12/2026 fermée :")
    select(date(2026, 12, 31))
    dialog._close_day()  # the same day once it succeeded: a new operation (refused, the day is closed)
    assert keys[3][1] not in (keys[0][1], keys[2][1]) and "déjà fermée" in window.messages[-1]


# --- agents -----------------------------------------------------------------------------------------------


def _agents(qtbot, db):
    window = _window(qtbot, db)
    dialog = window.open_admin()
    dialog.tabs.setCurrentWidget(dialog.agents)
    return window, dialog.agents


def _state(panel, login_name: str) -> str:
    row = next(i for i, a in enumerate(panel.rows.rows) if a.login == login_name)
    return panel.rows.data(panel.rows.index(row, 4))


def test_a_new_agent_gets_a_temporary_password_shown_once_and_changes_it_at_first_login(qtbot, demo_rw):
    window, panel = _agents(qtbot, demo_rw)
    form = panel.open_new()
    form.login.setText("Mauvais Identifiant")
    form._try_save()  # field errors, all at once; nothing saved
    assert not form.errors.isHidden() and "Identifiant invalide" in form.errors.text()
    assert (
        "Le nom de l'agent est obligatoire" in form.errors.text()
        and "Cochez au moins une structure" in form.errors.text()
    )
    assert form.login.styleSheet() and form.structures_hint.styleSheet()
    form.login.setText("mdurand")
    form.full_name.setText("Julie  Dupont")
    form.structures[next(s for s, c in form.structures.items() if c.text() == "ALSH Montech")].setChecked(
        True
    )
    form._try_save()
    assert "L'identifiant « mdurand » est déjà pris." in form.errors.text() and form.isVisible()

    form.login.setText("jdupont")
    form.role.setCurrentIndex(form.role.findText("régisseur"))
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    shown = panel.password_dialog
    password = shown.password.text()
    assert (
        len(password) >= 8
        and shown.password.isReadOnly()
        and "jdupont" in shown.findChildren(QLabel)[0].text()
    )
    assert "à communiquer à l'agent, qui le changera à sa première connexion" in shown.note.text()
    shown.copy()
    assert QGuiApplication.clipboard().text() == password
    row = next(a for a in panel.rows.rows if a.login == "jdupont")
    assert (row.full_name, row.role_label, row.structures) == ("Julie Dupont", "régisseur", "ALSH Montech")
    assert _state(panel, "jdupont") == "mot de passe à changer"
    shown.accept()
    assert shown.password.text() == ""  # shown once: nothing keeps it after the dialog
    assert all(password not in m for m in window.messages)

    session = login(demo_rw, "jdupont", password)
    assert session.must_change_password and session.actor.role is Role.SUPERVISOR
    change_password(demo_rw, session.actor, password, "un nouveau mot de passe")
    panel.load()
    assert _state(panel, "jdupont") == "actif"


def test_agents_role_disable_reset_and_unlock(qtbot, demo_rw):
    window, panel = _agents(qtbot, demo_rw)
    panel.select_login("kbenali")
    form = panel.open_edit()
    assert not form.login.isEnabled() and form.login.text() == "kbenali"
    form.role.setCurrentIndex(form.role.findText("régisseur"))
    form.structures[next(s for s, c in form.structures.items() if c.text() == "ALAE Montech")].setChecked(
        False
    )
    form._try_save()
    row = next(a for a in panel.rows.rows if a.login == "kbenali")
    assert (row.role_label, row.structures) == ("régisseur", "ALSH Montech")
    assert login(demo_rw, "kbenali", "demo").actor.role is Role.SUPERVISOR

    panel.select_login("smartin")
    assert panel.toggle.text() == "Désactiver"
    panel.toggle.click()
    assert _state(panel, "smartin") == "désactivé" and panel.toggle.text() == "Réactiver"
    assert not panel.reset.isEnabled()
    with pytest.raises(LoginRefused):
        login(demo_rw, "smartin", "demo")
    panel.toggle.click()
    assert _state(panel, "smartin") == "actif" and login(demo_rw, "smartin", "demo")

    panel.select_login("smartin")
    panel.reset.click()
    answer(panel.question, "Réinitialiser")
    password = panel.password_dialog.password.text()
    assert panel.password_dialog.windowTitle() == "Mot de passe réinitialisé"
    assert _state(panel, "smartin") == "mot de passe à changer"
    with pytest.raises(LoginRefused):
        login(demo_rw, "smartin", "demo")
    assert login(demo_rw, "smartin", password).must_change_password

    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            login(demo_rw, "mdurand", "faux")
    panel.load()
    panel.select_login("mdurand")
    assert (
        _state(panel, "mdurand") == f"bloqué sur {this_workstation()} jusqu'à 10:15"
        and panel.unlock_button.isEnabled()
    )
    panel.unlock_button.click()
    assert _state(panel, "mdurand") == "actif" and not panel.unlock_button.isEnabled()
    assert login(demo_rw, "mdurand", "demo")
    assert window.messages == []
    assert {"agent.update", "agent.disable", "agent.enable", "agent.password_reset", "agent.unlock"} <= set(
        audit_rows_of(demo_rw)
    )


def test_the_last_administrator_can_be_neither_disabled_nor_demoted(qtbot, demo_rw):
    window, panel = _agents(qtbot, demo_rw)
    panel.select_login("admin")
    panel.toggle.click()
    assert "propre compte" in panel.question.text()
    answer(panel.question, "Désactiver")
    assert "Nathalie Roques est le dernier administrateur actif" in window.messages[-1]
    assert _state(panel, "admin") == "actif"

    form = panel.open_edit()
    form.role.setCurrentIndex(form.role.findText("agent"))
    form.full_name.setText("Nathalie Roques-Martin")
    form._try_save()
    assert "dernier administrateur actif" in form.errors.text() and form.isVisible()
    row = next(a for a in panel.rows.rows if a.login == "admin")
    assert (row.role, row.full_name, row.active) == (Role.ADMIN, "Nathalie Roques", True)  # nothing changed
    assert not {"agent.role", "agent.rename", "agent.disable"} & set(audit_rows_of(demo_rw))


# --- activities -------------------------------------------------------------------------------------------


def _activities(qtbot, db):
    window = _window(qtbot, db)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    dialog = window.open_admin()
    dialog.tabs.setCurrentWidget(dialog.activities)
    return window, dialog, dialog.activities


def test_a_new_activity_starts_from_the_defaults_of_its_kind(qtbot, demo_rw):
    window, dialog, panel = _activities(qtbot, demo_rw)
    form = panel.open_new()
    assert form.kind.currentText() == "ALSH vacances" and form.structure.currentText() == "ALSH Montech"
    form.kind.setCurrentIndex(form.kind.findText("ALAE mercredi"))
    assert (form.wallet.currentText(), form.waitlist.isChecked(), form.horizon.value()) == ("ALAE", False, 90)
    assert form.opening_kind.currentData() == "rolling" and not form.periods.isEnabled()
    assert form.booking_rule.rule() == policy_for(ActivityKind.ALAE_WEDNESDAY).booking
    form.kind.setCurrentIndex(form.kind.findText("ALSH vacances"))
    alsh = policy_for(ActivityKind.ALSH_HOLIDAYS)
    assert (form.wallet.currentText(), form.waitlist.isChecked()) == ("ALSH", True)
    assert form.opening_kind.currentData() == "period" and form.periods.isEnabled()
    assert form.opening_rule.currentData() == "weeks_before" and form.opening_weeks.value() == 5
    assert (form.booking_rule.rule(), form.cancel_rule.rule()) == (alsh.booking, alsh.cancel)

    form.price.setText("treize")
    form._try_save()  # the form's own checks, all at once; nothing created
    assert (
        "Le nom de l'activité est obligatoire." in form.errors.text()
        and "Montant invalide" in form.errors.text()
    )
    assert form.name.styleSheet() and form.price.styleSheet() and form.activity_id is None
    form.name.setText("Stage sportif")
    form.price.setText("15")
    form.capacity.setValue(16)
    form.scope.setCurrentIndex(form.scope.findText("petites vacances"))
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    created = panel.selected()
    assert (created.name, created.structure, created.kind, created.price_cents, created.default_capacity) == (
        "Stage sportif",
        "ALSH Montech",
        ActivityKind.ALSH_HOLIDAYS,
        1500,
        16,
    )
    assert (created.wallet, created.waitlist_enabled, created.booking, created.cancel) == (
        WalletKind.ALSH,
        True,
        alsh.booking,
        alsh.cancel,
    )
    assert (created.period_scope, created.period_opening_rule, created.period_opening_weeks) == (
        PeriodScope.SHORT,
        PeriodOpeningRule.WEEKS_BEFORE,
        5,
    )
    # the other tabs offer it at once
    assert dialog.day_activity.findText("Stage sportif – ALSH Montech") >= 0
    assert dialog.period_activity.findText("Stage sportif – ALSH Montech") >= 0

    form = panel.open_new()
    form.kind.setCurrentIndex(form.kind.findText("ALSH vacances"))
    form.name.setText("Séjour d'été")
    form.price.setText("20,00")
    form.opening_rule.setCurrentIndex(form.opening_rule.findData("fixed_date"))
    assert form.opening_fixed.isVisibleTo(form) and not form.opening_weeks.isVisibleTo(form)
    form.opening_fixed.setText("15/05")
    form.cancel_rule.days.setValue(20)
    form._try_save()
    summer = panel.selected()
    assert (summer.period_opening_rule, summer.period_opening_fixed) == (
        PeriodOpeningRule.FIXED_DATE,
        "05-15",
    )
    assert summer.cancel.days == 20 and summer.booking == alsh.booking
    assert window.messages == []


def test_activities_edit_price_brackets_policy_archive_and_delete(qtbot, demo_rw):
    window, dialog, panel = _activities(qtbot, demo_rw)
    activity = panel.select(panel.find("CLSH Petites vacances", "ALSH Montech").id)
    assert activity.booked
    form = panel.open_edit()
    assert not form.kind.isEnabled() and not form.structure.isEnabled() and not form.wallet.isEnabled()
    form.price.setText("14,50")
    form.brackets.set_brackets([(0, 800, "9,00"), (801, None, "14,50")])
    form.brackets.add_row("1500", "x", "1,00")
    form._try_save()
    assert "Tranche 3" in form.errors.text() and form.brackets.table.styleSheet()
    form.brackets.remove_row()
    form.booking_rule.days.setValue(3)
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    activity = panel.selected()
    assert activity.price_cents == 1450 and activity.brackets == [(0, 800, 900), (801, None, 1450)]
    assert activity.booking.days == 3
    price = panel.rows.data(panel.rows.index(panel.view.currentIndex().row(), 3))
    assert price == f"9,00 à {format_eur(1450)} (QF)"

    panel.archive.click()
    activity = panel.selected()
    assert not activity.active and panel.archive.text() == "Réactiver"
    row = panel.view.currentIndex().row()
    assert panel.rows.data(panel.rows.index(row, 10)) == "archivée"
    assert panel.rows.data(panel.rows.index(row, 0), Qt.ItemDataRole.ForegroundRole).color() == GREY
    assert dialog.day_activity.findText("CLSH Petites vacances – ALSH Montech (archivée)") >= 0
    panel.archive.click()
    assert panel.selected().active

    panel.delete.click()
    answer(panel.question, "Supprimer")
    assert "a des réservations : elle ne peut pas être supprimée, archivez-la" in window.messages[-1]
    assert panel.find("CLSH Petites vacances", "ALSH Montech")

    summer = panel.select(panel.find("CLSH Vacances d'été", "ALSH Montech").id)
    assert not summer.booked and summer.days > 0  # never booked yet (it opens in May): it can go
    assert panel.delete_selected()
    assert "CLSH Vacances d'été" not in [a.name for a in panel.rows.rows]
    actions = set(audit_rows_of(demo_rw))
    assert {"activity.update", "activity.archive", "activity.restore", "activity.delete"} <= actions


# --- structures -------------------------------------------------------------------------------------------


def test_structures_create_with_a_logo_then_edit(qtbot, demo_rw, tmp_path):
    window = _window(qtbot, demo_rw)
    dialog = window.open_admin()
    panel = dialog.structures
    form = panel.open_new()
    form.postal_code.setText("8270")
    form.email.setText("pas-une-adresse")
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_text("pas une image", encoding="utf-8")
    form.choose_logo(not_an_image)
    form._try_save()
    for text in (
        "Le nom de la structure est obligatoire.",
        "Code postal invalide",
        "Adresse e-mail invalide",
        "Le logo doit être une image PNG ou JPEG.",
    ):
        assert text in form.errors.text()
    assert form.name.styleSheet() and form.postal_code.styleSheet() and form.email.styleSheet()
    assert form.logo_text.styleSheet() and not form.city.styleSheet()
    assert window.messages == [form.errors.text()]  # shown in the form (the operations' failed signal too)
    window.messages.clear()

    form.name.setText("ALAE Montech Sud")
    form.address.setText("12 rue des Écoles")
    form.postal_code.setText("82700")
    form.city.setText("Montech")
    form.phone.setText("0563648245")
    form.email.setText("alae-sud@example.org")
    form.zone.setCurrentIndex(form.zone.findData("C"))
    form.choose_logo(resources_dir() / "icon.png")
    assert not form.logo_preview.pixmap().isNull() and "icon.png" in form.logo_text.text()
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    row = panel.selected()
    assert (row.name, row.postal_code, row.phone, row.zone, row.has_logo) == (
        "ALAE Montech Sud",
        "82700",
        "05 63 64 82 45",
        "C",
        True,
    )
    assert (
        panel.rows.data(panel.rows.index(panel.view.currentIndex().row(), 2))
        == "12 rue des Écoles, 82700 Montech"
    )
    # it comes with the usual activities
    assert sorted(a.name for a in dialog.activities.rows.rows if a.structure == "ALAE Montech Sud") == [
        "ALAE Mercredi après-midi",
        "CLSH Petites vacances",
        "CLSH Vacances d'été",
    ]

    form = panel.open_edit()
    assert form.name.text() == "ALAE Montech Sud" and "Logo de la structure" in form.logo_text.text()
    assert not form.logo_preview.pixmap().isNull()  # the saved logo is shown
    form.name.setText("ALAE Montech Sud – Les Tilleuls")
    form.zone.setCurrentIndex(form.zone.findData("B"))
    form._try_save()
    row = panel.selected()
    assert (row.name, row.zone, row.has_logo, row.city) == (
        "ALAE Montech Sud – Les Tilleuls",
        "B",
        True,
        "Montech",
    )
    actions = audit_rows_of(demo_rw)
    assert "structure.create" in actions and "structure.update" in actions
    assert window.messages == []


def test_supervisor_sees_days_and_journal_only(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    dialog = window.open_admin()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Journées", "Journal"]


def test_portal_access_export_and_anonymisation_from_the_family_tab(qtbot, demo_rw, tmp_path, monkeypatch):
    from tests.smtp_server import Server

    new_family(demo_rw, "Testeur", email="testeur@example.org")
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    open_family(qtbot, window, "Testeur")
    smtp = Server()
    try:
        for name, value in (
            ("HOST", "127.0.0.1"),
            ("PORT", str(smtp.port)),
            ("SECURITY", "none"),
            ("FROM", "enfance@montech.example"),
        ):
            monkeypatch.setenv(f"GUICHET_SMTP_{name}", value)
        credentials = window.page.issue_portal()  # the family has an e-mail address: sent by e-mail at once
    finally:
        smtp.stop()
    assert credentials is not None and credentials.emailed and "envoyé par e-mail" in window.messages[-1]
    assert credentials.temporary_password not in window.messages[-1]
    [message] = smtp.recorder.messages
    assert message.recipients == ["testeur@example.org"]
    assert credentials.temporary_password in message.body and credentials.login in message.body
    path = window.page.export_data(str(tmp_path / "export.json"))
    assert json.loads(path.read_text(encoding="utf-8"))["famille"]["nom"] == "TESTEUR"
    text = PdfReader(str(path.with_suffix(".pdf"))).pages[0].extract_text()
    assert "Données détenues sur la famille TESTEUR" in text
    assert not window.page.anonymise.isHidden()
    confirm = window.page.anonymise_family()  # the confirmation first: what is erased, « c'est définitif »
    assert (
        confirm.isVisible()
        and not confirm.go.isEnabled()
        and "TESTEUR" in confirm.windowTitle() + str([label.text() for label in confirm.findChildren(QLabel)])
    )
    confirm.sure.setChecked(True)
    confirm.go.click()
    assert window.stack.currentWidget() is window.placeholder
    assert not any("Famille inconnue" in m for m in window.messages)  # the page left before it was read again
    assert any("est anonymisée" in m for m in window.messages)
    assert "TESTEUR" not in [r.name for r in window.families.model.rows]


def test_portal_letter_for_a_family_without_e_mail(qtbot, demo_rw):
    new_family(demo_rw, "Papier", email=None)
    window = _window(qtbot, demo_rw, Role.AGENT)
    open_family(qtbot, window, "Papier")
    credentials = window.page.issue_portal()
    text = PdfReader(io.BytesIO(window.page.preview.pdf)).pages[0].extract_text()
    assert credentials.login in text and credentials.temporary_password in text
    assert "Objet : votre accès au portail famille" in text


def test_portal_letter_when_the_e_mail_cannot_leave(qtbot, demo_rw, monkeypatch):
    """No sending server configured: the agent is told why and gets the letter, with the same password."""
    monkeypatch.delenv("GUICHET_SMTP_HOST", raising=False)
    new_family(demo_rw, "Courriel", email="courriel@example.org")
    window = _window(qtbot, demo_rw, Role.AGENT)
    open_family(qtbot, window, "Courriel")
    credentials = window.page.issue_portal()
    assert not credentials.emailed
    assert "n'a pas pu partir (pas de serveur d'envoi configuré)" in window.messages[-1]
    assert credentials.temporary_password not in window.messages[-1]
    text = PdfReader(io.BytesIO(window.page.preview.pdf)).pages[0].extract_text()
    assert credentials.login in text and credentials.temporary_password in text


def test_structures_online_payment_settings_set_payfip_for_a_structure(qtbot, demo_rw, tmp_path):
    """Administration → Structures → « Paiement en ligne… »: the backend, its options from eopayment's description
    (a secret never typed: where it goes is said), open to the families; the list says what each structure takes."""
    from app.services.money.online import payment_settings

    window = _window(qtbot, demo_rw)
    dialog = window.open_admin()
    dialog.tabs.setCurrentWidget(dialog.structures)
    panel = dialog.structures
    panel.select(next(s.id for s in panel.rows.rows if s.name == "ALSH Montech"))
    assert panel._payment_text(panel.selected()) == "Démonstration"
    form = panel.open_payment()
    assert form.backend.currentData() == "dummy" and form.enabled.isChecked()
    form.backend.setCurrentIndex(form.backend.findData("payfip_ws"))
    assert set(form.option_widgets) == {"numcli", "saisie"} and "DGFiP" in form.note.text()
    form.option_widgets["numcli"].setText("12AB")
    form._try_save()
    assert "numcli" in form.errors.text() or "Numéro de client" in form.errors.text()
    assert form.option_widgets["numcli"].styleSheet()  # the faulty field is marked
    window.messages.clear()
    form.option_widgets["numcli"].setText("123456")
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    saved = payment_settings(demo_rw, panel.selected().id)
    assert (saved.backend, saved.options, saved.enabled) == (
        "payfip_ws",
        {"numcli": "123456", "saisie": "T"},
        True,
    )
    assert panel._payment_text(panel.selected()) == "PayFiP (DGFiP) (test)"
    form = panel.open_payment()  # a backend with secrets: where they go, never a field for them
    form.backend.setCurrentIndex(form.backend.findData("systempayv2"))
    assert (
        "secret_test" not in form.option_widgets
        and "payment-secret --structure ALSH-MONTECH" in form.note.text()
    )
    form.resize(720, 560)
    form.grab().save(str(tmp_path / "paiement-en-ligne.png"))
    form.reject()
    assert "structure.payment_settings" in audit_rows_of(demo_rw) and window.messages == []
