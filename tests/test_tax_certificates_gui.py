"""pytest-qt: the family page's « Attestation de frais de garde… » (the year chosen, the preview of the PDF) and
Administration → « Attestations de frais de garde… » (a year's batch into a folder, its result said)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from app.models import Role
from app.services.demo.reference import DEMO_MEAL_CENTS
from app.services.money.tax_certificates import eligible_families
from app.text import format_eur
from tests.helpers import new_family
from tests.test_admin_gui import _window
from tests.test_tax_certificates import eligible_child_day


def test_the_family_page_previews_the_year_s_certificate(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.AGENT)
    family_id, _ = new_family(demo_rw, "Attestée", children=("Léa",))
    year, _structure = eligible_child_day(demo_rw, family_id)
    page = window.page
    assert page.show_family(family_id)
    page.tax_certificate.click()
    dialog = page.tax_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.years.count() == 1 and dialog.gaps.isHidden()  # the demo's structure has its SIRET
    amount = format_eur(1300 - DEMO_MEAL_CENTS)  # the demo's holiday days have a meal part
    assert dialog.years.currentText() == f"{year} – ALSH Montech – {amount} (sommes arrêtées au 26/11/2026)"
    dialog.show_button.click()
    qtbot.waitUntil(lambda: page.preview is not None, timeout=20_000)
    assert page.preview.windowTitle() == f"Aperçu – Attestation de frais de garde {year} – ATTESTÉE"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.preview.pdf)).pages)
    assert "Zoé Attestée" in text and "sommes arrêtées au 26 novembre 2026" in text


def test_the_proposed_file_name_survives_a_slash_in_the_family_name(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.AGENT)
    family_id, _ = new_family(demo_rw, "N'Guyen/Tran: Lê", children=("Léa",))
    year, _structure = eligible_child_day(demo_rw, family_id)
    page = window.page
    assert page.show_family(family_id)
    page.tax_certificate.click()
    page.tax_dialog.show_button.click()
    qtbot.waitUntil(lambda: page.preview is not None, timeout=20_000)
    name = page.preview.filename
    assert name == f"Attestation frais de garde {year} - N'GUYEN_TRAN_ LÊ (n° {family_id}).pdf"
    assert not re.search(r'[<>:"/\\|?*]', name)


def test_the_chooser_says_a_structure_s_missing_siret(qtbot, demo_rw):
    from app.models import Structure

    window = _window(qtbot, demo_rw, Role.AGENT)
    family_id, _ = new_family(demo_rw, "Sanssiret", children=("Léa",))
    _year, structure_id = eligible_child_day(demo_rw, family_id)
    with demo_rw.writing() as uow:
        uow.session.get(Structure, structure_id).siret = ""
        uow.commit()
    page = window.page
    assert page.show_family(family_id)
    page.tax_certificate.click()
    dialog = page.tax_dialog
    assert not dialog.gaps.isHidden()
    assert dialog.gaps.text() == (
        "⚠ Il manque le SIRET de « ALSH Montech » : l'attestation dira\n"
        "« non renseigné ». À compléter dans Administration → Structures."
    )


def test_a_family_without_a_certificate_is_told_so(qtbot, demo_rw):
    window = _window(qtbot, demo_rw, Role.AGENT)
    family_id, _ = new_family(demo_rw, "Sansattestation", children=("Tom",))
    assert window.page.show_family(family_id)
    window.page.tax_certificate.click()
    assert window.page.tax_dialog is None
    assert any(
        "Pas d'attestation de frais de garde pour la famille SANSATTESTATION" in m for m in window.messages
    )


def test_administration_runs_a_year_s_batch_into_a_folder(qtbot, demo_rw, tmp_path):
    folder = tmp_path / "attestations"
    folder.mkdir()
    agent_window = _window(qtbot, demo_rw, Role.AGENT)
    assert not hasattr(agent_window.open_admin(), "tax_button")
    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    dialog = window.open_admin().open_tax_certificates()
    assert dialog.year.value() == 2025 and dialog.year.maximum() == 2025
    expected = eligible_families(demo_rw, 2025)
    dialog.folder.setText(str(folder))
    dialog.run_batch()
    qtbot.waitUntil(
        lambda: "attestation" in dialog.outcome.text() or "Aucune" in dialog.outcome.text(), timeout=60_000
    )
    assert len(list(folder.iterdir())) == expected.certificates
    if expected.families:
        assert dialog.outcome.text().startswith(f"{expected.families} ")


def test_administration_counts_the_year_s_families_off_the_gui_thread_once_the_year_stays(
    qtbot, demo_rw, monkeypatch
):
    """The year's count reads the whole town: on a worker thread, once, 300 ms after the spinbox stops."""
    import threading

    from app.ui.setup import tax_certificates_dialog as module

    window = _window(qtbot, demo_rw, Role.SUPERVISOR)
    dialog = window.open_admin().open_tax_certificates()
    window.ops.asynchronous = True  # the real threaded path
    asked: list[tuple[int, bool]] = []
    count = module.eligible_families

    def spying(db, year):
        asked.append((year, threading.current_thread() is threading.main_thread()))
        return count(db, year)

    monkeypatch.setattr(module, "eligible_families", spying)
    for year in (2024, 2023, 2022):
        dialog.year.setValue(year)
    assert dialog.found.text() == "2022 : recherche des familles éligibles…"
    assert not dialog.run_button.isEnabled() and asked == []
    qtbot.waitUntil(lambda: not dialog.found.text().endswith("…"), timeout=10_000)
    assert asked == [(2022, False)]  # once, for the year shown, on a worker thread
    assert dialog.found.text() == "2022 : aucune famille n'a de frais de garde éligibles."
    dialog.year.setValue(2025)
    qtbot.waitUntil(lambda: not dialog.found.text().endswith("…"), timeout=10_000)
    expected = count(demo_rw, 2025)
    assert dialog.found.text().startswith(
        f"2025 : {expected.families} famille" if expected.families else "2025 : aucune famille"
    )
    assert dialog.run_button.isEnabled() == bool(expected.families) and asked[-1] == (2025, False)
