"""pytest-qt: "Clôture de la journée" (cash, end of day with progress, report) and the attendance dialog."""

from __future__ import annotations

from datetime import date, time

from app.clock import paris
from app.models import Attendance, PaymentMethod, Role
from app.services.money.cash_closing import day_expected
from app.services.money.payments import PaymentInput, record_payment
from tests.helpers import actor, balance, new_family, structure_of
from tests.test_counter_gui import choose, click_day, open_family
from tests.test_payments_gui import _window


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def test_cash_closing_then_end_of_day_then_report(qtbot, demo_rw, monkeypatch):
    monkeypatch.delenv("GUICHET_SMTP_HOST", raising=False)
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    sid = structure_of(demo_rw, "CLSH-PV")
    record_payment(demo_rw, actor(demo_rw, Role.AGENT), sid,
                   PaymentInput(family_id, "alsh", PaymentMethod.CASH, "20"))  # fmt: skip
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    window.recap_dialog.confirm.click()
    window.recap_dialog.close_button.click()

    window.top_bar.closing.click()
    dialog = window.closing_dialog
    expected = {t.method: t for t in day_expected(demo_rw, actor(demo_rw, Role.AGENT), sid)}
    assert [r.label for r in dialog.expected.rows] == ["Espèces", "Chèque", "Carte bancaire", "Virement"]
    dialog.cash.setText(euros(expected[PaymentMethod.CASH].cents - 500))
    dialog.cheque_count.setText(str(expected[PaymentMethod.CHEQUE].count))
    dialog.cheque_total.setText(euros(expected[PaymentMethod.CHEQUE].cents))
    dialog._try_save()
    assert "un commentaire est obligatoire" in dialog.errors.text() and dialog.comment.styleSheet()
    dialog.comment.setText("un billet de 5 € introuvable")
    dialog._try_save()
    assert dialog.isVisible() and dialog.errors.isHidden()
    assert dialog.status.text().startswith("Caisse clôturée (écart -5,00")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    assert [c.comment for c in dialog.closings.rows] == ["un billet de 5 € introuvable"]
    assert not dialog.validate_button.isVisible()  # an agent does not validate

    lines = dialog.run_end_of_day()
    assert any("demande(s) transmise(s)" in line for line in lines)
    assert any("tâche de nuit" in line for line in lines)
    assert "transmise" in dialog.summary.text()
    again = dialog.run_end_of_day()
    assert again[0].endswith("déjà transmise, rien à faire.")
    preview = dialog.preview_report()
    assert preview is not None and "Arrêté journalier" in preview.windowTitle()
    preview.accept()


def test_supervisor_validates_a_closing(qtbot, demo_rw):
    agent_window = _window(qtbot, demo_rw)
    agent_window.top_bar.structure.setCurrentIndex(agent_window.top_bar.structure.findText("ALSH Montech"))
    agent_window.top_bar.closing.click()
    dialog = agent_window.closing_dialog
    sid = structure_of(demo_rw, "CLSH-PV")
    expected = {t.method: t for t in day_expected(demo_rw, actor(demo_rw, Role.AGENT), sid)}
    dialog.cash.setText(euros(expected[PaymentMethod.CASH].cents))
    dialog.cheque_count.setText(str(expected[PaymentMethod.CHEQUE].count))
    dialog.cheque_total.setText(euros(expected[PaymentMethod.CHEQUE].cents))
    dialog._try_save()
    assert dialog.status.text().startswith("Caisse clôturée (écart 0,00")
    boss = _window(qtbot, demo_rw, Role.SUPERVISOR)
    boss.top_bar.structure.setCurrentIndex(boss.top_bar.structure.findText("ALSH Montech"))
    boss.top_bar.closing.click()
    check = boss.closing_dialog
    assert check.validate_button.isVisible()
    check.closings_view.selectRow(0)
    check.validate_selected()
    assert check.closings.rows[0].validated_by == "Michel Durand"


def test_attendance_and_certificate_from_the_calendar(qtbot, demo_rw):
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=1300)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    window.recap_dialog.confirm.click()
    window.recap_dialog.close_button.click()
    demo_rw.clock.set(paris(date(2026, 12, 21), time(17, 30)))
    booking.refresh()
    booking.grid.focus_day = date(2026, 12, 21)
    dialog = booking.open_presences()
    row = next(i for i, r in enumerate(dialog.model.rows) if r.child == "TESTEUR Léa")
    dialog.view.selectRow(row)
    dialog.mark(Attendance.ABSENT)
    assert dialog.model.rows[row].label == "Absent (facturé)" and balance(demo_rw, family_id) == 0
    dialog.view.selectRow(row)
    dialog.add_certificate()
    assert dialog.model.rows[row].label == "Absent (certificat médical)"
    assert balance(demo_rw, family_id) == 1300
