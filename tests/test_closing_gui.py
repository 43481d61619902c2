"""pytest-qt: "Clôture de la journée" (cash, end of day with progress, report) and the attendance dialog."""

from __future__ import annotations

import threading
from datetime import date, time

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

import app.services.money.cash_closing as cash_closing
from app.clock import paris
from app.models import Attendance, DayClosing, PaymentMethod, Role
from app.services.errors import ConnectionLost, FieldErrors
from app.services.money.cash_closing import CountedInput, close_cash, closings_of_day, day_expected
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import new_operation_key
from app.ui.money import closing_dialog
from app.ui.money.end_of_day import Step
from tests.helpers import actor, balance, new_family, row_counts, structure_of
from tests.test_counter_gui import choose, click_day, open_family
from tests.test_payments_gui import _window


def book_at_the_counter(qtbot, window, family: str, day: date) -> None:
    """The family found, a day clicked in its calendar, Valider then Confirmer, as the agent does."""
    open_family(qtbot, window, family)
    booking = choose(window)
    click_day(qtbot, booking, day)
    booking.validate.click()
    window.recap_dialog.confirm.click()
    window.recap_dialog.close_button.click()


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def test_cash_closing_then_end_of_day_then_report(qtbot, demo_rw, monkeypatch):
    monkeypatch.delenv("GUICHET_SMTP_HOST", raising=False)
    family_id, _ = new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    sid = structure_of(demo_rw, "CLSH-PV")
    record_payment(
        demo_rw,
        actor(demo_rw, Role.AGENT),
        sid,
        PaymentInput(family_id, "alsh", PaymentMethod.CASH, "20"),
        key=new_operation_key(),
    )
    book_at_the_counter(qtbot, window, "Testeur", date(2026, 12, 21))

    window.top_bar.closing.click()
    dialog = window.closing_dialog
    expected = {t.method: t for t in day_expected(demo_rw, actor(demo_rw, Role.AGENT), sid)}
    assert [r.label for r in dialog.expected.rows] == ["Espèces", "Chèque", "Carte bancaire", "Virement"]
    dialog.cash.setText(euros(expected[PaymentMethod.CASH].cents - 500))
    dialog.cheque_count.setText(str(expected[PaymentMethod.CHEQUE].count))
    dialog.cheque_total.setText(euros(expected[PaymentMethod.CHEQUE].cents))
    dialog.cash_button.click()
    assert "un commentaire est obligatoire" in dialog.errors.text() and dialog.comment.styleSheet()
    dialog.comment.setText("un billet de 5 € introuvable")
    dialog.cash_button.click()
    assert dialog.isVisible() and dialog.errors.isHidden() and not dialog.comment.styleSheet()
    assert dialog.status.text().startswith("Caisse ALSH Montech clôturée (écart −5,00")
    assert not dialog.cash_button.isEnabled() and not dialog.cash.isEnabled()
    assert [c.comment for c in dialog.closings.rows] == ["un billet de 5 € introuvable"]
    assert not dialog.validate_button.isVisible()  # an agent does not validate

    dialog.run_button.click()
    lines = dialog.end_of_day.lines
    assert any("demandes transmises" in line for line in lines)
    assert any("tâche de nuit" in line for line in lines)
    assert "transmise" in dialog.summary.text() and dialog.summary.isVisible()
    assert [row.mark.text() for row in dialog.steps] == ["✓", "✓", "–"]
    assert dialog.steps[0].detail.text().endswith("demandes transmises.")
    assert dialog.steps[0].detail.text() in lines[0]  # « Journée du … : 37 demandes transmises. »
    dialog.run_button.click()
    assert dialog.end_of_day.lines[0].endswith("déjà transmise, rien à faire.")
    assert "déjà fait" in dialog.steps[0].detail.text()
    dialog.preview_report()
    preview = dialog.preview
    assert preview is not None and "Arrêté journalier" in preview.windowTitle()
    preview.accept()
    assert window.messages == ["Écart de −5,00\xa0€ : un commentaire est obligatoire."]


def test_the_end_of_day_runs_on_a_worker_thread_while_the_counter_keeps_working(qtbot, demo_rw, monkeypatch):
    monkeypatch.delenv("GUICHET_SMTP_HOST", raising=False)
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    window.ops.asynchronous = True  # as in the application: long calls on a worker thread
    started, release, threads = threading.Event(), threading.Event(), []
    transmit = closing_dialog.transmit_day

    def slow_transmission(db, day, progress, actor_id):
        """The transmission waits until the test has worked at the counter meanwhile."""
        threads.append(threading.current_thread())
        progress("Recherche des demandes non transmises…", 10)
        started.set()
        assert release.wait(30)
        return transmit(db, day, progress, actor_id)

    monkeypatch.setattr(closing_dialog, "transmit_day", slow_transmission)
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    assert dialog.windowModality() == Qt.WindowModality.NonModal and not dialog.isModal()
    seen: list[tuple[Step, ...]] = []
    dialog.end_of_day.changed.connect(lambda: seen.append(tuple(dialog.end_of_day.states)))
    try:
        dialog.run_button.click()
        qtbot.waitUntil(started.is_set, timeout=5000)
        qtbot.waitUntil(lambda: dialog.steps[0].detail.text() == "Recherche des demandes non transmises…")
        assert threads[0] is not threading.main_thread()
        assert dialog.steps[0].mark.text() == "►"
        assert dialog.steps[0].title.text() == "Transmission des demandes"
        assert not dialog.run_button.isEnabled() and dialog.run_button.text() == "Fin de journée en cours…"
        assert dialog.progress.isVisible() and 0 < dialog.progress.value() < 100

        # meanwhile the counter works: a search, a family opened, its calendar, a day chosen
        open_family(qtbot, window, "Testeur")
        booking = choose(window)
        click_day(qtbot, booking, date(2026, 12, 21))
        assert booking.grid.pending and dialog.end_of_day.running
        # the dialog closed and opened again: the same run, still going
        dialog.close_button.click()
        window.top_bar.closing.click()
        again = window.closing_dialog
        assert again is not dialog and again.end_of_day is dialog.end_of_day
        assert not again.run_button.isEnabled() and again.steps[0].mark.text() == "►"
    finally:
        release.set()
    qtbot.waitUntil(lambda: not again.end_of_day.running, timeout=20_000)
    assert [row.mark.text() for row in again.steps] == ["✓", "✓", "–"]
    assert "demandes transmises" in again.summary.text() and "tâche de nuit" in again.summary.text()
    assert again.run_button.isEnabled() and again.progress.value() == 100
    # its steps, one after the other (the comptes-rendus' own report may come after their end: not shown then)
    running = [[i for i, state in enumerate(states) if state is Step.RUNNING] for states in seen]
    order = [r[0] for r in running if r]
    assert order[0] == 0 and order[-1] == 2 and order == sorted(order) and all(len(r) <= 1 for r in running)

    # closed before it ends: its summary comes in a message
    again.close_button.click()
    release.clear()
    started.clear()
    again.run_end_of_day()
    qtbot.waitUntil(started.is_set, timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: any("déjà transmise" in m for m in window.messages), timeout=20_000)
    assert not [m for m in window.messages if "déjà transmise" not in m]


def test_a_cash_closing_tried_again_keeps_its_key(qtbot, demo_rw, monkeypatch):
    """The same counted amounts tried again after a lost connection: the same key; other amounts: a new one."""
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    keys, real, lost = [], cash_closing.close_cash, [True]

    def close_cash(db, actor, structure_id, data, *, key=None):
        keys.append((data.cash, key))
        if lost:
            lost.pop()
            raise ConnectionLost()
        return real(db, actor, structure_id, data, key=key)

    monkeypatch.setattr(closing_dialog, "close_cash", close_cash)
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    dialog.cash.setText("12,00")
    dialog.cheque_count.setText("0")
    dialog.cheque_total.setText("0")
    dialog.comment.setText("compté deux fois")
    dialog.cash_button.click()
    assert "connexion à la base de données a été perdue" in dialog.errors.text()
    assert dialog.status.text() == "Caisse ouverte."
    dialog.cash_button.click()
    assert keys[0] == keys[1] and dialog.status.text().startswith("Caisse ALSH Montech clôturée")
    lost.append(True)
    dialog.close_button.click()
    other = _window(qtbot, demo_rw, Role.SUPERVISOR)
    other.top_bar.structure.setCurrentIndex(other.top_bar.structure.findText("ALSH Montech"))
    other.top_bar.closing.click()
    boss = other.closing_dialog
    boss.cash.setText("12,00")
    boss.cheque_count.setText("0")
    boss.cheque_total.setText("0")
    boss.comment.setText("compté deux fois")
    boss.cash_button.click()
    boss.cash.setText("13,00")
    boss.cash_button.click()
    assert keys[2][1] not in (keys[0][1], None)  # another operation (another agent's cash)
    assert keys[3][0] == "13,00" and keys[3][1] != keys[2][1]  # other amounts: a new operation
    assert boss.status.text().startswith("Caisse ALSH Montech clôturée (écart")


def _closings(db) -> int:
    with db.reading() as uow:
        return len(uow.session.scalars(select(DayClosing.id)).all())


NOT_COUNTED = {
    "cash": "Saisissez le montant des espèces comptées (0,00 si la caisse est vide).",
    "cheque_count": "Saisissez le nombre de chèques comptés (0 s'il n'y en a aucun).",
    "cheque_total": "Saisissez le total des chèques comptés (0,00 s'il n'y en a aucun).",
}


@pytest.mark.parametrize("empty", ["cash", "cheque_count", "cheque_total"])
def test_a_counted_field_left_empty_is_asked_for_not_taken_as_zero(qtbot, demo_rw, empty):
    """An empty « compté » field is not 0: the agent is asked for the count, nothing is written; 0 typed is
    a count."""
    family_id, _ = new_family(demo_rw, "Testeur")
    sid = structure_of(demo_rw, "CLSH-PV")
    agent = actor(demo_rw, Role.AGENT)
    record_payment(
        demo_rw,
        agent,
        sid,
        PaymentInput(family_id, "alsh", PaymentMethod.CASH, "20"),
        key=new_operation_key(),
    )
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    expected = {t.method: t for t in day_expected(demo_rw, agent, sid)}
    assert expected[PaymentMethod.CASH].cents == 2000
    counted = {
        "cash": "20,00",
        "cheque_count": str(expected[PaymentMethod.CHEQUE].count),
        "cheque_total": euros(expected[PaymentMethod.CHEQUE].cents),
    }
    for name, text in counted.items():
        dialog.fields[name].setText("" if name == empty else text)
    before = row_counts(demo_rw)
    dialog.cash_button.click()

    assert dialog.errors.isVisible() and dialog.errors.text() == NOT_COUNTED[empty]
    assert dialog.fields[empty].styleSheet() and dialog.fields[empty].toolTip() == NOT_COUNTED[empty]
    assert [name for name, field in dialog.fields.items() if field.styleSheet()] == [empty]
    assert dialog.status.text() == "Caisse ouverte." and dialog.cash_button.isEnabled()
    assert _closings(demo_rw) == 0 and row_counts(demo_rw) == before and not dialog.closings.rows

    # 0 typed is a count: a real discrepancy, with its comment
    dialog.fields[empty].setText("0")
    dialog.comment.setText("recompté deux fois")
    dialog.cash_button.click()
    assert (
        dialog.errors.isHidden()
        and not dialog.fields[empty].styleSheet()
        and not dialog.fields[empty].toolTip()
    )
    assert dialog.status.text().startswith("Caisse ALSH Montech clôturée")
    assert [c.comment for c in closings_of_day(demo_rw, sid, dialog.day)] == ["recompté deux fois"]


def test_the_service_refuses_a_count_left_empty_before_writing(demo_rw):
    sid = structure_of(demo_rw, "CLSH-PV")
    agent = actor(demo_rw, Role.AGENT)
    before = row_counts(demo_rw)
    with pytest.raises(FieldErrors) as refused:
        close_cash(demo_rw, agent, sid, CountedInput("  ", "", "", "rien compté"), key=new_operation_key())
    assert refused.value.fields == NOT_COUNTED
    assert _closings(demo_rw) == 0 and row_counts(demo_rw) == before
    assert (
        close_cash(demo_rw, agent, sid, CountedInput("0", "1", "39", ""), key=new_operation_key()) > 0
    )  # 0 typed: counted


def _bottom(widget, dialog) -> int:
    return widget.mapTo(dialog, QPoint(0, widget.height())).y()


@pytest.mark.parametrize("size", [(1366, 768), (1080, 620), (1080, 566)])
def test_the_days_closings_take_the_room_left(qtbot, demo_rw, size):
    """At the dialog's sizes on a 1366×768 screen (maximised; 1080×620 as it opens; 1080×566 at 125 %), the
    day's closings take the height the cash form leaves: a table of several rows, nothing empty under it."""
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    qtbot.waitExposed(dialog)
    dialog.resize(*size)
    qtbot.wait(50)  # the layouts settled
    assert (dialog.width(), dialog.height()) == size
    table = dialog.closings_view
    rows = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    assert table.height() >= 0.35 * dialog.height() and rows >= 7, (table.height(), rows)
    # below it only its buttons and « Fermer »; the end-of-day box ends where it ends
    assert dialog.height() - _bottom(table, dialog) <= 2.5 * dialog.close_button.height() + 40
    assert abs(_bottom(table.parentWidget(), dialog) - _bottom(dialog.run_button.parentWidget(), dialog)) <= 2
    # the whole of « Attendu » readable: no scroll bar, no amount cut
    assert dialog.expected_view.width() >= dialog.expected_view.minimumWidth() > 0

    # the cash closed: the counted fields gone, the table takes their room
    opened = table.height()
    for field in ("cash", "cheque_count", "cheque_total"):
        dialog.fields[field].setText("0")
    dialog.comment.setText("contrôle")
    dialog.cash_button.click()
    qtbot.wait(50)
    assert dialog.status.text().startswith("Caisse ALSH Montech clôturée")
    assert table.height() > opened
    assert dialog.height() - _bottom(table, dialog) <= 2.5 * dialog.close_button.height() + 40


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
    dialog.cash_button.click()
    assert dialog.status.text().startswith("Caisse ALSH Montech clôturée (écart 0,00")
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


def test_bad_counts_get_a_french_message_at_their_field_and_write_nothing(qtbot, demo_rw):
    """Letters, a negative amount, 10^12, a pasted 10 000-character comment: nothing cut or changed behind the agent's
    back, a message at the field, no closing written; the limits are said in the fields."""
    window = _window(qtbot, demo_rw)
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    assert (
        "100\u202f000,00\xa0€" in dialog.cash.placeholderText()  # as format_eur writes it
        and "400 caractères" in dialog.comment.placeholderText()
    )
    assert "ALAE Montech" in dialog.cash_box.title()  # which till it closes: this structure's
    before = row_counts(demo_rw)
    cases = [
        ("cash", "douze euros", "espèces"),
        ("cash", "-20", "négatif"),
        ("cash", "1000000000000", "100\u202f000,00"),  # as format_eur writes it
        ("cheque_total", "1000000000000", "100\u202f000,00"),
        ("cheque_count", "trois", "Nombre de chèques"),
        ("cheque_count", "1000000000000", "Nombre de chèques"),
        ("comment", "x" * 10_000, "400 au plus"),
    ]
    for field, bad, said in cases:
        for name, value in (("cash", "0"), ("cheque_count", "0"), ("cheque_total", "0"), ("comment", "")):
            getattr(dialog, name).setText(value)
        getattr(dialog, field).setText(bad)
        assert getattr(dialog, field).text() == bad  # kept whole, as typed or pasted
        dialog.cash_button.click()
        widget = getattr(dialog, field)
        assert widget.styleSheet() and said in widget.toolTip(), (field, bad, widget.toolTip())
        assert dialog.errors.isVisible() and dialog.cash_button.isEnabled()
        assert row_counts(demo_rw) == before


def test_cheques_ticked_one_by_one_and_cash_by_denomination(qtbot, demo_rw, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from app.ui.money import till_count

    sid = structure_of(demo_rw, "CLSH-PV")
    family_id, _ = new_family(demo_rw, "Coches")
    clerk = actor(demo_rw, Role.AGENT)
    for number, amount in (("111", "40"), ("222", "25,50")):
        record_payment(
            demo_rw,
            clerk,
            sid,
            PaymentInput(family_id, "alsh", PaymentMethod.CHEQUE, amount, "CIC", number),
            key=new_operation_key(),
        )
    record_payment(
        demo_rw,
        clerk,
        sid,
        PaymentInput(family_id, "alsh", PaymentMethod.CASH, "23,45"),
        key=new_operation_key(),
    )
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    expected = {t.method: t for t in day_expected(demo_rw, clerk, sid)}

    def untick_the_last(self):  # the agent unticks the cheque he cannot find
        last = self.list.item(self.list.count() - 1)
        assert "222" in last.text() and "25,50" in last.text()
        last.setCheckState(Qt.CheckState.Unchecked)
        assert self.total.text().startswith(f"{expected[PaymentMethod.CHEQUE].count - 1} chèques cochés sur")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(till_count.ChequeChecklist, "exec", untick_the_last)
    dialog.tick_cheques()
    assert dialog.cheque_count.isReadOnly() and dialog.cheque_count.text() == str(
        expected[PaymentMethod.CHEQUE].count - 1
    )

    cash = expected[PaymentMethod.CASH].cents

    def count_the_notes(self):
        self.spins[100].setValue(cash // 100)
        self.spins[1].setValue(cash % 100)
        assert self.cents() == cash
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(till_count.DenominationDialog, "exec", count_the_notes)
    dialog.count_coins()
    assert dialog.cash.text() == euros(cash)
    dialog.card_total.setText(euros(expected[PaymentMethod.CARD].cents))
    dialog.cash_button.click()
    assert "chèque manquant" in dialog.errors.text() and "(25,50" in dialog.errors.text()
    dialog.comment.setText("le chèque 222 est resté au coffre")
    dialog.cash_button.click()
    assert dialog.errors.isHidden(), dialog.errors.text()
    (mine,) = [c for c in closings_of_day(demo_rw, sid, date(2026, 11, 26)) if c.agent == clerk.name]
    assert any(note.startswith("Chèque : manquants : ") for note in mine.notes)
    assert any(
        note.startswith("Espèces : ") and "× 1 €" in note.replace("\xa0", " ") for note in mine.notes
    ), mine.notes


def test_a_regisseur_closes_a_past_till_left_open(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    assert dialog.late_row.isVisible() and dialog.open_tills.count() > 0
    till = dialog.open_tills.currentData()
    left = dialog.open_tills.count()
    dialog.close_late_till()
    late = window.closing_dialog.findChild(till_count_dialog())
    assert late is not None and late.isVisible() and till.agent in late.windowTitle()
    late.cash.setText("douze")
    late._try_save()
    assert late.isVisible() and late.cash.styleSheet() and "espèces" in late.errors.text()
    late.cash.setText("0")
    late.cheque_count.setText("0")
    late.cheque_total.setText("0")
    late.card_total.setText("0")
    late.comment.setText("caisse vide à l'ouverture du coffre")
    late._try_save()
    assert not late.isVisible()
    rows = closings_of_day(demo_rw, till.structure_id, till.day)
    assert [r.late_by for r in rows if r.agent == till.agent] == ["Michel Durand"]
    assert dialog.open_tills.count() == left - 1


def till_count_dialog():
    from app.ui.money.till_count import LateClosingDialog

    return LateClosingDialog


def test_the_letters_of_the_families_without_e_mail_are_previewed_in_one_batch(qtbot, demo_rw):
    family_id, (child,) = new_family(demo_rw, "Papier", balance_cents=1300, email=None)
    window = _window(qtbot, demo_rw)
    window.top_bar.structure.setCurrentIndex(window.top_bar.structure.findText("ALSH Montech"))
    book_at_the_counter(qtbot, window, "Papier", date(2026, 12, 21))
    window.top_bar.closing.click()
    dialog = window.closing_dialog
    dialog.letters_button.click()
    preview = dialog.preview
    assert preview is not None and "courriers" in preview.windowTitle()
    preview.accept()
