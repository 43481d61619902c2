"""pytest-qt: the "Année scolaire" panel on demo data — load a zone's calendar, edit it, add a public holiday and a
local closing, save, generate the days (and again), edit after generation, conflicts on booked days."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from app.models import ActivityDay
from app.services.setup import school_year
from app.ui.setup.admin_school_year import SchoolYearPanel
from tests.helpers import activity_id
from tests.test_admin_gui import _window

EDIT = Qt.ItemDataRole.EditRole


def _panel(qtbot, db):
    window = _window(qtbot, db)
    panel = SchoolYearPanel(window.ctx)
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    return window, panel


def _load(panel, zone: str, year: str) -> None:
    panel.zone.setCurrentText(zone)
    panel.year.setEditText(year)
    panel.load_button.click()
    assert panel.calendar is not None and (panel.calendar.zone, panel.calendar.school_year) == (zone, year)


def _row(table, column: int, text: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, column).text() == text)


def _set_date(table, row: int, column: int, d: date) -> None:
    table.item(row, column).setData(EDIT, QDate(d.year, d.month, d.day))


def _days(db, activity: int, start: date, end: date) -> list[date]:
    with db.reading() as uow:
        return list(
            uow.session.scalars(
                select(ActivityDay.day)
                .where(ActivityDay.activity_id == activity, ActivityDay.day.between(start, end))
                .order_by(ActivityDay.day)
            )
        )


def _wednesdays(start: date, end: date) -> list[date]:
    first = start + timedelta(days=(2 - start.weekday()) % 7)
    return [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]


def test_edit_save_and_generate_the_alae_wednesdays_then_again_and_after_editing(qtbot, demo_rw):
    window, panel = _panel(qtbot, demo_rw)
    alae = activity_id(demo_rw, "ALAE-MER")
    _load(panel, "C", "2027-2028")
    toussaint = _row(panel.holidays, 0, "Vacances de la Toussaint")
    assert panel.holidays.item(toussaint, 2).data(EDIT) == QDate(2027, 11, 7)
    assert panel.generate_button.isEnabled()

    # one more week of Toussaint holidays (Wednesday 10/11 goes), a local feast on Wednesday 15/03
    _set_date(panel.holidays, toussaint, 2, date(2027, 11, 14))
    assert panel.dirty and not panel.generate_button.isEnabled()
    assert "Enregistrez d'abord le calendrier" in panel.generate_hint.text()
    panel.add_public_button.click()
    feast = panel.public.rowCount() - 1
    panel.public.item(feast, 1).setText("Fête locale")
    _set_date(panel.public, feast, 0, date(2028, 3, 15))

    # a local closing of the ALAE on Wednesday 01/12/2027: saved at once
    panel.closing_day.setDate(QDate(2027, 12, 1))
    panel.closing_name.setText("Formation des animateurs")
    panel.closing_structure.setCurrentIndex(panel.closing_structure.findText("ALAE Montech"))
    panel.add_closing_button.click()
    assert [(c.day, c.name, c.structure) for c in panel.closing_rows.rows] == [
        (date(2027, 12, 1), "Formation des animateurs", "ALAE Montech")
    ]
    assert panel.dirty  # the closing did not save nor drop the calendar's edits

    panel.save_button.click()
    assert window.messages == []
    assert not panel.dirty and panel.calendar.stored and panel.save_state.text() == "Calendrier enregistré."
    stored = school_year.school_calendar(demo_rw, "C", "2027-2028")
    assert next(h for h in stored.holidays if h.name == "Vacances de la Toussaint").end == date(2027, 11, 14)
    assert (date(2028, 3, 15), "Fête locale") in [(p.day, p.name) for p in stored.public_holidays]

    # generate for the ALAE only
    panel.set_checked([alae])
    assert panel.checked_activities() == [alae]
    panel.generate_button.click()
    report = panel.report.toPlainText()
    days = _days(demo_rw, alae, date(2027, 9, 1), date(2028, 8, 31))
    assert report.startswith("Année scolaire 2027-2028 :")
    assert f"- ALAE Mercredi après-midi : {len(days)} journées créées, 0 déjà présente" in report
    assert "CLSH" not in report
    assert all(d.weekday() == 2 for d in days)
    for closed in (date(2027, 11, 10), date(2027, 12, 1), date(2028, 3, 15)):
        assert closed not in days
    assert {date(2027, 11, 17), date(2027, 11, 24), date(2028, 3, 22)} <= set(days)

    # again, off the GUI thread this time: nothing created twice
    window.ops.asynchronous = True
    panel.generate_button.click()
    qtbot.waitUntil(lambda: "déjà présente" in panel.report.toPlainText(), timeout=10_000)
    assert f"0 journée créée, {len(days)} déjà présentes" in panel.report.toPlainText()
    assert _days(demo_rw, alae, date(2027, 9, 1), date(2028, 8, 31)) == days
    window.ops.asynchronous = False

    # after generation: Toussaint back to 07/11, the closing withdrawn → the two Wednesdays come back
    toussaint = _row(panel.holidays, 0, "Vacances de la Toussaint")
    _set_date(panel.holidays, toussaint, 2, date(2027, 11, 7))
    panel.closings.selectRow(0)
    panel.remove_closing_button.click()
    assert panel.closing_rows.rows == []
    panel.save_button.click()
    panel.generate_button.click()
    assert f"2 journées créées, {len(days)} déjà présentes" in panel.report.toPlainText()
    again = _days(demo_rw, alae, date(2027, 9, 1), date(2028, 8, 31))
    assert set(again) - set(days) == {date(2027, 11, 10), date(2027, 12, 1)}
    assert date(2028, 3, 15) not in again
    assert window.messages == []


def test_a_booked_wednesday_closed_after_generation_is_reported_as_a_conflict(qtbot, demo_rw):
    window, panel = _panel(qtbot, demo_rw)
    alae = activity_id(demo_rw, "ALAE-MER")
    _load(panel, "C", "2026-2027")
    assert panel.calendar.stored and panel.note.isHidden()
    panel.closing_day.setDate(QDate(2026, 12, 2))
    panel.closing_name.setText("Grève du personnel")
    panel.add_closing_button.click()
    assert panel.closing_rows.rows[0].structure == "toutes les structures"
    panel.set_checked([alae])
    panel.generate_button.click()
    report = panel.report.toPlainText()
    assert "  ! 02/12/2026 : n'est plus un jour d'accueil mais 22 réservations existent" in report
    assert date(2026, 12, 2) in _days(demo_rw, alae, date(2026, 12, 1), date(2026, 12, 31))  # not removed
    assert window.messages == []


def test_invalid_edits_are_refused_with_a_french_message_and_nothing_is_saved(qtbot, demo_rw):
    window, panel = _panel(qtbot, demo_rw)
    _load(panel, "C", "2027-2028")
    before = school_year.school_calendar(demo_rw, "C", "2027-2028")
    panel.year.setEditText("2028-2029")  # chosen but not loaded: neither saved nor generated for it
    assert not panel.generate_button.isEnabled() and not panel.save_button.isEnabled()
    assert "« Charger le calendrier » pour changer" in panel.generate_hint.text()
    panel.year.setEditText("2027")
    assert panel.generate_button.isEnabled() and panel.generate_hint.text() == ""
    noel = _row(panel.holidays, 0, "Vacances de Noël")
    _set_date(panel.holidays, noel, 2, date(2027, 12, 1))  # ends before it starts
    panel.save_button.click()
    assert (
        window.messages[-1]
        == "Vacances « Vacances de Noël » : la fin (01/12/2027) précède le début (18/12/2027)."
    )
    assert panel.dirty
    _set_date(panel.holidays, noel, 2, date(2028, 1, 2))
    row = panel.add_holiday()
    assert panel.holidays.item(row, 0).text() == "" and panel.holidays.item(row, 1).data(EDIT).isValid()
    panel.save_button.click()
    assert "Le nom des vacances est obligatoire" in window.messages[-1]
    panel.holidays.selectRow(row)
    panel.remove_holiday_button.click()
    assert panel.holidays.rowCount() == len(before.holidays)
    panel.closing_name.clear()
    panel.add_closing_button.click()
    assert "Le motif de la fermeture est obligatoire" in window.messages[-1]
    assert school_year.school_calendar(demo_rw, "C", "2027-2028") == before


def test_a_zone_without_a_package_calendar_says_so(qtbot, demo_rw):
    _window_, panel = _panel(qtbot, demo_rw)
    _load(panel, "Corse", "2027-2028")
    assert not panel.note.isHidden()
    assert "n'est pas fourni avec l'application" in panel.note.text()
    assert panel.holidays.rowCount() == 0 and panel.public.rowCount() > 0
    assert panel.save_state.text() == "Calendrier proposé, pas encore enregistré."


def test_the_ascension_bridge_is_offered_as_a_closing(qtbot, demo_rw):
    """Issue 29: the Friday after Ascension (7 May 2027) is offered as a closing of every structure until it is
    one."""
    _window_, panel = _panel(qtbot, demo_rw)
    _load(panel, "C", "2026-2027")
    assert panel.bridge_button.isVisible()
    assert panel.bridge_button.text() == "Fermer le pont de l'Ascension (vendredi 7 mai 2027)"
    assert panel.close_bridge() is not None
    assert not panel.bridge_button.isVisible()
    closings = school_year.school_calendar(demo_rw, "C", "2026-2027").closings
    assert [(c.day, c.name, c.structure) for c in closings if c.day == date(2027, 5, 7)] == [
        (date(2027, 5, 7), "Pont de l'Ascension", "toutes les structures")
    ]
