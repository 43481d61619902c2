"""pytest-qt: the forms take their bounds from the services (issue 16) — the agent cannot type past them — and a
long name is cut with « … » in the tables, whole in its tooltip, without pushing the other columns out of view."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QHelpEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QStyleOptionViewItem,
    QTableView,
    QTableWidget,
    QToolTip,
    QWidget,
)

from app.models import Family, PaymentMethod, Role
from app.services.bounds import SearchText, Text
from app.services.families.edit import ChildInput, FamilyInput, create_family
from app.services.families.search import find_families
from app.services.money.cash_closing import CountedInput
from app.services.money.payments import PaymentInput
from app.settings import Settings
from app.ui.families.family_dialog import ChildDialog, FamilyDialog
from app.ui.families.family_list import FamilyList
from app.ui.fields import LOGIN, PASSWORD, AmountValidator, limit_of, max_length
from app.ui.money.aid_dialog import AidDialog
from app.ui.money.payment_dialog import AdjustmentDialog, PaymentDialog, ReasonDialog
from app.ui.setup.activity_dialog import ActivityDialog
from app.ui.setup.agent_dialog import AgentDialog
from app.ui.setup.setup_wizard import SetupWizard
from app.ui.setup.structure_dialog import StructureDialog
from app.ui.shell.login_dialog import LoginDialog, PasswordDialog
from app.ui.shell.settings_dialog import MigrationDialog, SettingsDialog
from app.ui.widgets import PASTE_GUARD, ElidingDelegate, NameCombo, bound
from tests.helpers import actor
from tests.test_admin_gui import _window

ROOT = Path(__file__).resolve().parents[1]
QT_DEFAULT = 32767
"""Qt's default maximum length of a QLineEdit: a field still at it has no bound."""
LONG_NAME = ("Dupont-Durand de la Tour d'Auvergne et de Montmorency-Laval " * 3)[:119] + "s"
assert len(LONG_NAME) == 120


def _text_fields(widget: QWidget) -> list[QLineEdit | QPlainTextEdit]:
    """The fields where the agent types text (not the line edits inside date and number boxes, not read-only)."""
    edits: list[QLineEdit | QPlainTextEdit] = [
        e for e in widget.findChildren(QLineEdit) if not isinstance(e.parent(), QAbstractSpinBox)
    ]
    edits += widget.findChildren(QPlainTextEdit)
    return [e for e in edits if not e.isReadOnly()]


def _state(validator: QValidator | None, text: str) -> QValidator.State:
    assert validator is not None
    return validator.validate(text, 0)[0]


def _type(edit: QWidget, text: str) -> None:
    """``text`` typed key by key (any character: ``qtbot.keyClicks`` only knows Latin-1 keys)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                edit, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
            )


def _refused(edit: QLineEdit, text: str) -> bool:
    """Inserting ``text`` (as typing or pasting it would) leaves the field as it was."""
    before = edit.text()
    edit.insert(text)
    refused = edit.text() == before
    edit.setText(before)
    return refused


# --- the bounds of the fields ------------------------------------------------------------------------------


def test_typing_300_characters_in_the_family_name_leaves_the_120_of_its_column(qtbot):
    dialog = FamilyDialog(None)
    qtbot.addWidget(dialog)
    assert limit_of(Family.name) == 120 and max_length(dialog.name) == 120
    qtbot.keyClicks(dialog.name, "x" * 300)
    assert dialog.name.text() == "x" * 120
    dialog.name.clear()
    dialog.name.insert("y" * 300)  # pasted
    assert dialog.value().name == "y" * 120


def test_notes_and_message_bodies_are_cut_at_their_bound_as_they_are_typed_or_pasted(qtbot):
    dialog = ChildDialog(None, "Testeur", date(2026, 11, 26))
    qtbot.addWidget(dialog)
    limit = limit_of(ChildInput, "notes")
    assert max_length(dialog.notes) == limit
    dialog.notes.insertPlainText("a" * (limit - 2))
    dialog.notes.moveCursor(dialog.notes.textCursor().MoveOperation.Start)
    dialog.notes.insertPlainText("PAI ")  # typed at the start: what goes beyond is what was just typed
    assert dialog.notes.toPlainText() == "PA" + "a" * (limit - 2)
    dialog.notes.setPlainText("b" * (limit + 500))
    assert dialog.value().notes == "b" * limit
    plain = bound(QPlainTextEdit(), Text(max_len=5))
    qtbot.addWidget(plain)
    qtbot.keyClicks(plain, "abcdefgh")
    assert plain.toPlainText() == "abcde"


@pytest.mark.parametrize("text", ["١٢,٥٠", "𝟏𝟐", "12,345", "12a", "1 000 000", "100000,01", "-5", "12 € 3"])
def test_an_amount_field_refuses_what_is_not_an_amount(qtbot, text):
    dialog = PaymentDialog(None, 1, "TESTEUR", 0)
    qtbot.addWidget(dialog)
    validator = dialog.amount.validator()
    assert isinstance(validator, AmountValidator)
    assert _state(validator, text) == QValidator.State.Invalid
    dialog.amount.clear()
    assert _refused(dialog.amount, text)
    _type(dialog.amount, text)
    assert not any(ch.isdigit() and not ch.isascii() for ch in dialog.amount.text())
    assert dialog.amount.text() != text


@pytest.mark.parametrize("text", ["12,50", "12.5", "12", "1 300,00 €", "65,00\xa0€", "100000"])
def test_an_amount_field_accepts_amounts_as_the_services_read_them(qtbot, text):
    dialog = PaymentDialog(None, 1, "TESTEUR", 0)
    qtbot.addWidget(dialog)
    assert _state(dialog.amount.validator(), text) == QValidator.State.Acceptable
    dialog.amount.clear()
    _type(dialog.amount, text)
    assert dialog.amount.text() == text and dialog.amount.hasAcceptableInput()


def test_only_the_adjustment_takes_a_sign_and_every_amount_field_has_the_validator(qtbot):
    adjustment = AdjustmentDialog(None)
    aid = AidDialog(None, [], date(2026, 11, 26))
    activity = ActivityDialog(None, [])
    for widget in (adjustment, aid, activity):
        qtbot.addWidget(widget)
    assert _state(adjustment.amount.validator(), "-6,50") == QValidator.State.Acceptable
    for edit in (aid.amount, activity.price):
        assert isinstance(edit.validator(), AmountValidator)
        assert _state(edit.validator(), "-6,50") == QValidator.State.Invalid
    activity.brackets.add_row()
    activity.brackets.table.editItem(activity.brackets.table.item(0, 2))
    editor = activity.brackets.table.findChild(QLineEdit)
    assert editor is not None and isinstance(editor.validator(), AmountValidator)


def test_the_cheque_number_takes_ascii_digits_only(qtbot):
    dialog = PaymentDialog(None, 1, "TESTEUR", 0)
    qtbot.addWidget(dialog)
    dialog.method.setCurrentIndex(dialog.method.findData(PaymentMethod.CHEQUE))
    assert max_length(dialog.number) == limit_of(PaymentInput, "cheque_number")
    for text in ("12a", "A123", "١٢٣", "𝟏𝟐𝟑", "12-3", "12 3"):
        assert _refused(dialog.number, text), text
    qtbot.keyClicks(dialog.number, "0012345")
    assert dialog.value().cheque_number == "0012345"


def test_the_quotient_familial_and_the_number_of_cheques_take_ascii_digits_only(qtbot):
    family = FamilyDialog(None)
    qtbot.addWidget(family)
    assert max_length(family.qf) == limit_of(FamilyInput, "quotient_familial")
    assert _refused(family.qf, "٨٥٠") and _refused(family.qf, "85O")
    qtbot.keyClicks(family.qf, "1234567890")
    assert family.qf.text() == "123456"[: limit_of(FamilyInput, "quotient_familial")]


def test_the_bounds_are_those_the_services_declare(qtbot):
    family, payment = FamilyDialog(None), PaymentDialog(None, 1, "TESTEUR", 0)
    family_list = FamilyList()
    for widget in (family, payment, family_list):
        qtbot.addWidget(widget)
    assert max_length(family.email) == limit_of(FamilyInput, "email") == limit_of(Family.email)
    assert max_length(payment.bank) == limit_of(PaymentInput, "cheque_bank")
    assert max_length(payment.amount) == limit_of(PaymentInput, "amount")
    assert max_length(family_list.search) == limit_of(SearchText) == 100
    login = LoginDialog(None)
    qtbot.addWidget(login)
    assert (max_length(login.login), max_length(login.password)) == (64, 128)


def _offline_dialogs(tmp_path: Path) -> dict[str, QWidget]:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    return {
        "famille": FamilyDialog(None),
        "enfant": ChildDialog(None, "Testeur", date(2026, 11, 26)),
        "règlement": PaymentDialog(None, 1, "TESTEUR", 0),
        "ajustement": AdjustmentDialog(None),
        "motif": ReasonDialog(None, "Annuler", "Pourquoi ?"),
        "aide": AidDialog(None, [], date(2026, 11, 26)),
        "agent": AgentDialog(None, []),
        "structure": StructureDialog(None),
        "activité": ActivityDialog(None, []),
        "connexion": LoginDialog(None),
        "mot de passe": PasswordDialog(None),
        "mise à jour du serveur": MigrationDialog(None),
        "base de données": SettingsDialog(None, settings),
        "mise en service": SetupWizard(None, date(2026, 11, 26)),
        "liste des familles": FamilyList(),
    }


def test_every_text_field_of_the_forms_has_a_bound(qtbot, tmp_path):
    unbounded = []
    for name, widget in _offline_dialogs(tmp_path).items():
        qtbot.addWidget(widget)
        fields = _text_fields(widget)
        assert fields, name
        unbounded += [
            f"{name}: {e.objectName() or e.placeholderText() or type(e).__name__}"
            for e in fields
            if max_length(e) >= QT_DEFAULT
        ]
    assert unbounded == []


def test_every_text_field_of_the_closing_and_of_the_administration_has_a_bound(qtbot, demo_db):
    window = _window(qtbot, demo_db, Role.ADMIN)
    closing, admin = window.open_closing(), window.open_admin()
    for name, widget in (("clôture", closing), ("administration", admin)):
        fields = _text_fields(widget)
        assert len(fields) >= (4 if name == "clôture" else 7), name
        assert [e for e in fields if max_length(e) >= QT_DEFAULT] == [], name
    # the closing's counts are checked at their field by the service, never cut or refused a keystroke (issue 28):
    # bounded only against an endless paste, their limits said in the field
    for edit in (closing.cash, closing.cheque_count, closing.cheque_total, closing.comment):
        assert max_length(edit) == PASTE_GUARD and edit.validator() is None
    assert f"{limit_of(CountedInput, 'comment')} caractères au plus" in closing.comment.placeholderText()
    assert max_length(admin.msg_body) == 4000 and max_length(admin.day_reason) == 200
    tables = [
        v for v in admin.findChildren(QTableView) if not isinstance(v, QTableWidget)
    ]  # read-only tables
    assert len(tables) >= 8 and all(isinstance(v.itemDelegate(), ElidingDelegate) for v in tables)
    import_dialog = admin.families.open_import()
    assert [e for e in _text_fields(import_dialog) if max_length(e) >= QT_DEFAULT] == []
    import_dialog.close()
    closing.close()
    admin.close()


def test_the_forms_never_write_a_length_of_their_own():
    """Every maximum length comes from ``widgets.bound`` (the services' bounds), not from a number in a form. The
    login window is shown before the models are imported: its two lengths are the services' bounds, checked here."""
    from app.ui.shell.login_window import LOGIN_LENGTH, PASSWORD_LENGTH

    assert (limit_of(LOGIN), limit_of(PASSWORD)) == (LOGIN_LENGTH, PASSWORD_LENGTH)
    offenders = []
    for path in sorted((ROOT / "app/ui").rglob("*.py")):
        if path.name in ("widgets.py", "login_window.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setMaxLength"
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


# --- long names in the tables ------------------------------------------------------------------------------


def _long_family(db) -> int:
    return create_family(
        db,
        actor(db, Role.AGENT),
        FamilyInput(name=LONG_NAME, phone="05 63 11 22 33", email="long@example.org"),
    )


def _shown(qtbot, family_list: FamilyList, width: int, rows) -> None:
    family_list.resize(width, 400)
    family_list.set_rows(rows)
    family_list.show()
    qtbot.waitExposed(family_list)
    QApplication.processEvents()


def test_a_120_character_name_is_cut_in_the_family_list_and_whole_in_its_tooltip(qtbot, demo_rw):
    family_id = _long_family(demo_rw)
    rows = find_families(demo_rw)
    row = next(i for i, r in enumerate(rows) if r.id == family_id)
    family_list = FamilyList()
    qtbot.addWidget(family_list)
    _shown(qtbot, family_list, 1000, rows)
    view, model = family_list.table, family_list.model
    index = model.index(row, 0)
    assert model.data(index) == LONG_NAME.upper()  # the model has it whole: the view cuts it
    assert view.textElideMode() == Qt.TextElideMode.ElideRight and not view.wordWrap()
    full_width = view.fontMetrics().horizontalAdvance(LONG_NAME.upper())
    assert view.columnWidth(0) < full_width / 2
    viewport = view.viewport().width()
    for column in range(model.columnCount()):  # every column in view, the phone's included
        assert view.columnViewportPosition(column) + view.columnWidth(column) <= viewport, model.columns[
            column
        ]
    phone = model.columns.index(next(c for c in model.columns if c.header == "Téléphone"))
    assert view.columnWidth(phone) >= view.fontMetrics().horizontalAdvance("05 63 11 22 33")

    delegate = view.itemDelegate()
    assert isinstance(delegate, ElidingDelegate)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = view.visualRect(index)
    option.widget = view
    assert delegate.is_cut(option, index)
    tooltip = delegate.tooltip(option, index)
    assert tooltip.splitlines()[0] == LONG_NAME.upper() and "05 63 11 22 33" in tooltip
    short = model.index(next(i for i, r in enumerate(rows) if r.id != family_id), 0)
    option.rect = view.visualRect(short)
    assert not delegate.is_cut(option, short)  # a name that fits: only the row's own tooltip
    assert not delegate.tooltip(option, short).startswith(str(model.data(short)) + "\n")

    center = view.visualRect(index).center()  # as the agent hovers it
    QApplication.sendEvent(
        view.viewport(), QHelpEvent(QEvent.Type.ToolTip, center, view.viewport().mapToGlobal(center))
    )
    assert QToolTip.text().startswith(LONG_NAME.upper())
    QToolTip.hideText()


def test_the_compact_list_of_the_counter_keeps_the_balance_in_view(qtbot, demo_rw):
    family_id = _long_family(demo_rw)
    family_list = FamilyList(compact=True)
    qtbot.addWidget(family_list)
    _shown(qtbot, family_list, 380, find_families(demo_rw))
    view, model = family_list.table, family_list.model
    balance = next(i for i, c in enumerate(model.columns) if c.header == "Solde")
    assert view.columnViewportPosition(balance) + view.columnWidth(balance) <= view.viewport().width()
    assert any(r.id == family_id for r in model.rows)


def test_the_family_page_cuts_a_long_name_without_widening_the_window(qtbot, demo_rw):
    family_id = _long_family(demo_rw)
    window = _window(qtbot, demo_rw, Role.AGENT)
    window.resize(1366, 768)
    window.open_family(family_id)
    QApplication.processEvents()
    assert window.page.title.text() == f"Famille {LONG_NAME.upper()}"
    assert window.minimumSizeHint().width() <= 1366 and window.width() == 1366
    assert window.page.title.toolTip() == window.page.title.text()  # cut: whole in its tooltip
    tables = window.findChildren(QTableView)  # the family list, the reservations, the children, the aids…
    assert len(tables) >= 5 and all(isinstance(v.itemDelegate(), ElidingDelegate) for v in tables)
    family_width = window.families.width()
    assert family_width >= 300  # the splitter kept the list's room
    combo = NameCombo()
    qtbot.addWidget(combo)
    combo.addItems([LONG_NAME, "Court"])
    assert combo.sizeHint().width() < combo.fontMetrics().horizontalAdvance(LONG_NAME) / 2
