"""pytest-qt: login, logout, and the main path of each administration screen."""

from __future__ import annotations

import io
import json
from datetime import date

from pypdf import PdfReader
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QPushButton

from app.models import Role
from app.services.counter import CounterSession, default_session
from app.ui.login_dialog import LoginDialog, PasswordDialog
from app.ui.main_window import MainWindow
from tests.helpers import actor, new_family
from tests.test_counter_gui import NOW, open_family


def button(dialog, tab: int, text: str = "") -> QPushButton:
    return next(b for b in dialog.tabs.widget(tab).findChildren(QPushButton) if b.text().startswith(text))


def _window(qtbot, db, role=Role.ADMIN):
    db.clock.set(NOW)
    session = CounterSession(actor(db, role), default_session(db).structures)
    window = MainWindow(db, session)
    window.ops.show_messages = False
    window.ops.asynchronous = False
    window.messages = []
    window.ops.failed.connect(window.messages.append)
    window.ops.informed.connect(window.messages.append)
    qtbot.addWidget(window)
    window.show()
    return window


def test_login_dialog_refuses_then_locks_then_accepts(qtbot, demo_rw):
    demo_rw.clock.set(NOW)
    dialog = LoginDialog(None, demo_rw)
    qtbot.addWidget(dialog)
    dialog.login.setText("mdurand")
    dialog.password.setText("faux")
    dialog._try_save()
    assert dialog.errors.text() == "Identifiant ou mot de passe incorrect." and dialog.password.text() == ""
    for _ in range(4):
        dialog.password.setText("faux")
        dialog._try_save()
    assert "compte bloqué" in dialog.errors.text()
    other = LoginDialog(None, demo_rw)
    qtbot.addWidget(other)
    other.login.setText("smartin")
    other.password.setText("demo")
    other._try_save()
    assert other.result() == LoginDialog.DialogCode.Accepted and other.session.actor.name == "Sophie Martin"


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
    assert "de 8 à 128 caractères" in change.errors.text()


def test_admin_screens_main_paths(qtbot, demo_rw):
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    dialog = window.open_admin()
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == ["Structures", "Activités", "Périodes", "Journées", "Aides", "Messages", "Journal"]

    dialog.new_code.setText("ALAE-SUD")
    dialog.new_name.setText("ALAE Montech Sud")
    button(dialog, 0).click()
    assert "ALAE Montech Sud" in [r.name for r in dialog.structure_rows.rows]

    dialog.activity.setCurrentIndex(next(i for i in range(dialog.activity.count())
                                         if dialog.activity.itemText(i).startswith("CLSH Petites")))  # fmt: skip
    dialog.act_price.setText("14,50")
    dialog.act_brackets.setText("0-800: 9,00 ; 801-: 14,50")
    dialog._save_activity()
    activity = next(a for a in dialog.activity_rows if a.name == "CLSH Petites vacances")
    assert activity.price_cents == 1450 and activity.brackets == [(0, 800, 900), (801, None, 1450)]
    dialog.booking_rule.days.setValue(3)
    dialog._save_policy()
    assert next(a for a in dialog.activity_rows if a.id == activity.id).booking.days == 3

    dialog.school_year.setText("2027-2028")
    button(dialog, 2, "Importer").click()
    assert any(p.school_year == "2027-2028" for p in dialog.period_rows.rows)
    dialog.period_view.selectRow(0)
    dialog.opening_date.setDate(QDate(2026, 11, 1))
    dialog._change_opening()
    assert dialog.period_rows.rows[0].opening == date(2026, 11, 1)

    dialog.day_activity.setCurrentIndex(dialog.day_activity.findText("CLSH Petites vacances"))
    dialog.day_month.setDate(QDate(2026, 12, 1))
    row = next(i for i, d in enumerate(dialog.day_rows.rows) if d.day == date(2026, 12, 22))
    dialog.day_view.selectRow(row)
    dialog.capacity.setValue(dialog.day_rows.rows[row].capacity + 1)
    dialog.day_reason.setText("un animateur de plus")
    dialog._set_capacity()
    assert "1 demande(s) de la liste d'attente" in dialog.day_result.text()
    dialog.day_view.selectRow(
        next(i for i, d in enumerate(dialog.day_rows.rows) if d.day == date(2026, 12, 31))
    )
    dialog.day_reason.setText("fermeture exceptionnelle")
    dialog._close_day()
    assert "fermée" in dialog.day_result.text() and "remboursés" in dialog.day_result.text()

    dialog.aid_name.setText("CE Mairie")
    dialog.aid_kind.setCurrentIndex(2)
    button(dialog, 4).click()
    assert "CE Mairie" in [r[2] for r in dialog.aid_rows.rows]

    dialog.msg_title.setText("Fermeture le 31")
    dialog.msg_body.setPlainText("Le centre est fermé le 31 décembre.")
    button(dialog, 5).click()
    assert "Fermeture le 31" in [m[1] for m in dialog.message_rows.rows]
    assert "Fermeture le 31" in window.placeholder.text()  # shown on the home screen

    dialog.journal.load()
    actions = {r.action for r in dialog.journal.rows.rows}
    assert {"structure.create", "activity.policy", "activity_day.close", "message.save"} <= actions
    dialog.accept()


def test_supervisor_sees_days_and_journal_only(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    dialog = window.open_admin()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Journées", "Journal"]


def test_portal_access_export_and_anonymisation_from_the_family_tab(qtbot, demo_rw, tmp_path):
    new_family(demo_rw, "Testeur", email="testeur@example.org")
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    open_family(qtbot, window, "Testeur")
    credentials = window.page.issue_portal()  # the family has an e-mail address: sent by e-mail
    assert credentials is not None and "envoyé par e-mail" in window.messages[-1]
    assert credentials.temporary_password not in window.messages[-1]
    path = window.page.export_data(str(tmp_path / "export.json"))
    assert json.loads(path.read_text())["famille"]["nom"] == "TESTEUR"
    text = PdfReader(str(path.with_suffix(".pdf"))).pages[0].extract_text()
    assert "Données détenues sur la famille TESTEUR" in text
    assert not window.page.anonymise.isHidden()
    assert window.page.anonymise_family()
    assert window.stack.currentWidget() is window.placeholder
    assert "TESTEUR" not in [r.name for r in window.families.model.rows]


def test_portal_letter_for_a_family_without_e_mail(qtbot, demo_rw):
    new_family(demo_rw, "Papier", email=None)
    window = _window(qtbot, demo_rw, Role.AGENT)
    open_family(qtbot, window, "Papier")
    credentials = window.page.issue_portal()
    text = PdfReader(io.BytesIO(window.page.preview.pdf)).pages[0].extract_text()
    assert credentials.login in text and credentials.temporary_password in text
    assert "Objet : votre accès au portail famille" in text
