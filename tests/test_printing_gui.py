"""pytest-qt: "Imprimer" opens a preview that prints (here to a PDF printer) and saves the PDF."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter

from tests.helpers import new_family
from tests.test_counter_gui import choose, click_day, open_family
from tests.test_payments_gui import _window


def test_sheet_preview_prints_and_saves(qtbot, demo_rw, tmp_path):
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    window.recap_dialog.confirm.click()
    window.recap_dialog.close_button.click()
    window.page.tabs.setCurrentIndex(1)
    preview = window.page.preview_sheet()
    assert preview.isVisible() and preview.count.text() == "1 page" and len(preview.pages) == 1
    saved = preview.save(str(tmp_path / "fiche.pdf"))
    text = PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text()
    assert "Famille TESTEUR" in text and "Non transmise" in text
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert preview.print_document(printer)
    assert len(PdfReader(str(tmp_path / "printed.pdf")).pages) == 1
    preview.accept()


def test_attendance_preview_from_the_calendar(qtbot, demo_rw):
    new_family(demo_rw, "Testeur")
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    booking.grid.focus_day = date(2026, 12, 22)
    preview = booking.preview_attendance()
    assert preview is not None and preview.windowTitle() == "Aperçu – Liste de présence du 22/12/2026"
    text = PdfReader(io.BytesIO(preview.pdf)).pages[0].extract_text()
    assert "Liste de présence – CLSH Petites vacances" in text
    booking.grid.focus_day = date(2026, 12, 25)  # a public holiday: no list, a French message
    assert booking.preview_attendance() is None
    assert window.messages[-1] == "« CLSH Petites vacances » n'a pas de journée le 25/12/2026."
