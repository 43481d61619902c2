"""Names are text, never markup (issue 27): a family, an adult, a child or an agent whose name holds « < » and « > »
is shown as typed in every label of the counter — not in bold, not swallowed as an unknown tag."""

from __future__ import annotations

from datetime import date

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from app.models import Role
from app.services.counter import CounterSession, default_session
from app.services.errors import ValidationError
from app.services.families.edit import AdultInput, ChildInput, FamilyInput, create_family
from app.services.setup.agents import TemporaryPassword
from app.ui.setup.temporary_password_dialog import TemporaryPasswordDialog
from app.ui.shell.main_window import MainWindow
from tests.helpers import new_agent, structure_of
from tests.test_counter_gui import NOW, choose, click_day

MARKS = ("<b>Anne</b>", "<i>rue</i>", "<u>Léo</u>", "<s>Karim</s>", "<B>BIZARRE</B>")
"""What the names hold: each must be read, on screen, exactly as typed."""


def shown(label: QLabel) -> str:
    """What the label shows: its text as is when Qt takes it as plain, else the text of the markup."""
    text = label.text()
    rich = label.textFormat() is Qt.TextFormat.RichText or (
        label.textFormat() is Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _check(widget: QWidget) -> list[str]:
    """The labels under ``widget`` that hold a name: each shows its marks literally. Returns what they show."""
    seen = []
    for label in widget.findChildren(QLabel):
        raw = label.text()
        if not any(word in raw for word in ("Anne", "rue", "Léo", "Karim", "BIZARRE")):
            continue
        text = shown(label)
        seen.append(text)
        for mark in MARKS:
            inner = mark[3:-4]
            if inner in raw:
                assert mark in text, (
                    f"{label.objectName() or type(label).__name__}: {raw!r} shown as {text!r}"
                )
    return seen


def test_names_with_angle_brackets_are_shown_as_typed(qtbot, demo_rw):
    db = demo_rw
    db.clock.set(NOW)
    sid = structure_of(db, "CLSH-PV")
    clerk = new_agent(db, "kdurand", "<s>Karim</s> Durand", Role.AGENT, [sid])
    family_id = create_family(
        db,
        clerk,
        FamilyInput(
            name="<B>Bizarre</B>",
            phone="05 63 00 00 01",
            email="anne@example.org",
            address="1 <i>rue</i> Haute",
            postal_code="82700",
            city="Montech",
            adults=[AdultInput("<b>Anne</b>", "Bizarre", "mère", "06 00 00 00 01", "anne@example.org")],
        ),
        [ChildInput("<u>Léo</u>", "Bizarre", date(2018, 3, 1), "CE1")],
    )
    window = MainWindow(db, CounterSession(clerk, default_session(db).structures))
    window.ops.show_messages = False
    window.ops.asynchronous = False
    qtbot.addWidget(window)
    window.show()
    window.open_family(family_id)
    seen = _check(window)
    assert any("<B>BIZARRE</B>" in t for t in seen) and any("<b>Anne</b>" in t for t in seen)
    assert any("<s>Karim</s>" in t for t in seen)  # the top bar's « Agent : … »

    window.ops.show_messages = True  # the message boxes too: a refusal or a notice naming the family
    window.ops.inform("Exporter les données", "Données de la famille <B>BIZARRE</B> enregistrées.")
    window.ops.run(lambda: (_ for _ in ()).throw(ValidationError("La famille <B>BIZARRE</B> est en débit.")))
    boxes = window.findChildren(QMessageBox)
    assert len(boxes) == 2 and all(b.textFormat() is Qt.TextFormat.PlainText for b in boxes)
    for box in boxes:
        box.close()
    window.ops.show_messages = False

    booking = choose(window, child="<u>Léo</u>")
    click_day(qtbot, booking, date(2026, 12, 21))
    window.open_recap()
    recap = window.recap_dialog
    assert any("<B>BIZARRE</B>" in t for t in _check(recap))
    recap.reject()

    dialog = TemporaryPasswordDialog(
        None,
        "Mot de passe",
        "<s>Karim</s> Durand",
        TemporaryPassword(clerk.agent_id, "kdurand", "AbCdEf234567"),
    )
    qtbot.addWidget(dialog)
    assert any("<s>Karim</s> Durand" in t for t in _check(dialog))
