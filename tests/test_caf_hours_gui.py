"""pytest-qt: the activity form's « Heures CAF et repas » group, and Administration → « Heures CAF… » saving the
Toussaint holidays of the demonstration town as an Excel sheet and a PDF."""

from __future__ import annotations

import io
import os
from datetime import date, time
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from app.models import CafCategory, Role
from app.services.booking.caf_hours import caf_hours
from tests.helpers import actor
from tests.test_admin_gui import _activities, _window

ROOT = Path(__file__).resolve().parents[1]


def test_the_activity_form_shows_and_saves_the_hours_the_category_and_the_meal(qtbot, demo_rw):
    window, dialog, panel = _activities(qtbot, demo_rw)
    panel.select(panel.find("CLSH Petites vacances", "ALSH Montech").id)
    form = panel.open_edit()
    group = form.day_group
    assert (group.starts.time().toString("HH:mm"), group.ends.time().toString("HH:mm")) == ("07:30", "18:30")
    assert group.duration.text() == "(11\xa0h ; 10\xa0h comptées par la CAF)"
    assert (group.category.currentText(), group.meal.text()) == ("extrascolaire", "3,50")
    group.ends.setTime(group.ends.time().addSecs(-30 * 60))
    assert group.duration.text() == "(10\xa0h\xa030 ; 10\xa0h comptées par la CAF)"
    group.meal.setText("20,00")
    form._try_save()
    assert "ne peut pas dépasser le prix de la journée" in form.errors.text()
    group.meal.setText("2,50")
    group.category.setCurrentIndex(group.category.findData(CafCategory.PERISCOLAIRE.value))
    form._try_save()
    assert form.result() == form.DialogCode.Accepted
    saved = panel.selected()
    assert (saved.day_starts_at, saved.day_ends_at, saved.caf_category, saved.meal_cents) == (
        time(7, 30),
        time(18, 0),
        CafCategory.PERISCOLAIRE,
        250,
    )
    new = panel.open_new()
    new.kind.setCurrentIndex(new.kind.findText("ALAE mercredi"))
    assert new.day_group.duration.text() == "(5\xa0h)"
    assert new.day_group.category.currentText() == "périscolaire"
    if os.environ.get("GUICHET_SHOTS"):
        form.show()
        form.grab().save(str(ROOT / "docs" / "activite-heures-caf.png"))


def test_administration_saves_the_caf_hours_of_the_toussaint_holidays(qtbot, demo_rw, tmp_path):
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    admin = window.open_admin()
    caf = admin.open_caf_hours()
    caf.period.setCurrentIndex(caf.period.findText("Vacances de la Toussaint (2026-2027)"))
    assert (caf.start.date().toString("dd/MM/yyyy"), caf.end.date().toString("dd/MM/yyyy")) == (
        "17/10/2026",
        "01/11/2026",
    )
    assert caf.period.findText("Novembre 2026") > 0
    caf.format.setCurrentIndex(caf.format.findData("xlsx"))
    caf.save(str(tmp_path / "toussaint.xlsx"))
    qtbot.waitUntil(lambda: caf.save_button.isEnabled(), timeout=20_000)
    assert "enregistrées dans" in caf.outcome.text(), caf.outcome.text()
    expected = caf_hours(demo_rw, actor(demo_rw, Role.SUPERVISOR), date(2026, 10, 17), date(2026, 11, 1))
    rows = list(
        load_workbook(tmp_path / "toussaint.xlsx")["Heures CAF"].iter_rows(min_row=5, values_only=True)
    )
    (alsh,) = [a for a in expected.activities if a.name == "CLSH Petites vacances"]
    line = next(
        r for r in rows if r[1] == "CLSH Petites vacances" and r[4] == "tous âges" and r[5] == "tous QF"
    )
    assert line[6:11] == (
        alsh.total.children,
        alsh.total.days_present,
        round(alsh.total.minutes_present / 60, 2),
        alsh.total.days_billed,
        round(alsh.total.minutes_billed / 60, 2),
    )
    assert alsh.total.days_present > 0
    caf.format.setCurrentIndex(caf.format.findData("pdf"))
    caf.save(str(tmp_path / "toussaint.pdf"))
    qtbot.waitUntil(lambda: caf.save_button.isEnabled(), timeout=20_000)
    text = PdfReader(io.BytesIO((tmp_path / "toussaint.pdf").read_bytes())).pages[0].extract_text()
    assert "du 17 octobre 2026 au 1er novembre 2026" in text
    # a reversed period: the service's French message, nothing saved
    caf.period.setCurrentIndex(0)
    caf.start.setDate(caf.end.date().addDays(1))
    caf.save(str(tmp_path / "vide.csv"))
    qtbot.waitUntil(lambda: caf.save_button.isEnabled(), timeout=20_000)
    assert caf.outcome.text().startswith("Période vide") and not (tmp_path / "vide.csv").exists()
    if os.environ.get("GUICHET_SHOTS"):
        caf.period.setCurrentIndex(caf.period.findText("Vacances de la Toussaint (2026-2027)"))
        caf.format.setCurrentIndex(caf.format.findData("xlsx"))
        caf.save(str(tmp_path / "heures-caf-2026-10-17-2026-11-01.xlsx"))
        qtbot.waitUntil(lambda: caf.save_button.isEnabled(), timeout=20_000)
        caf.grab().save(str(ROOT / "docs" / "heures-caf-dialogue.png"))
