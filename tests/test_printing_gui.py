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


def _one_page_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    page = Canvas(buffer)
    page.drawString(72, 720, "Fiche de réservations")
    page.save()
    return buffer.getvalue()


def _unwritable_print(monkeypatch, tmp_path) -> list[str]:
    """The system's print dialog answered « Imprimer » to a PDF file in a folder that does not exist: the printer
    cannot start (as a printer switched off, removed or offline)."""
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QDialog

    asked: list[str] = []

    def exec_(dialog: QPrintDialog) -> int:
        printer: QPrinter = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "absent" / "fiche.pdf"))
        asked.append(printer.outputFileName())
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    return asked


def test_a_print_that_cannot_start_says_so_in_french_and_claims_nothing(qtbot, tmp_path, monkeypatch):
    from app.ui.documents.print_preview import PrintPreview

    preview = PrintPreview(None, _one_page_pdf(), "Fiche", "fiche.pdf")
    qtbot.addWidget(preview)
    preview.ops.show_messages = False
    said: list[str] = []
    preview.ops.failed.connect(said.append)
    preview.ops.informed.connect(said.append)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    target = tmp_path / "absent" / "fiche.pdf"
    printer.setOutputFileName(str(target))
    assert preview.print_document(printer) is False
    assert len(said) == 1, said
    assert "n'a pas pu commencer" in said[0] and "Rien n'a été imprimé" in said[0] and str(target) in said[0]
    asked = _unwritable_print(monkeypatch, tmp_path)  # the same through « Imprimer… » and the system's dialog
    preview.print_button.click()
    assert asked and len(said) == 2 and said[1] == said[0]
    assert not target.parent.exists()


def test_a_sheet_from_the_outcome_that_cannot_be_printed_says_so(qtbot, demo_rw, tmp_path, monkeypatch):
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    click_day(qtbot, booking, date(2026, 12, 21))
    booking.validate.click()
    window.recap_dialog.confirm.click()
    asked = _unwritable_print(monkeypatch, tmp_path)
    before = len(window.messages)
    window.recap_dialog.sheet.click()
    assert asked and window.page.last_sheet is not None  # the sheet was made; its print could not start
    said = window.messages[before:]
    assert len(said) == 1 and "n'a pas pu commencer" in said[0] and "Rien n'a été imprimé" in said[0], said
    window.recap_dialog.close_button.click()


def _printed(monkeypatch, tmp_path) -> list[str]:
    """The system's print dialog answered « Imprimer » with a PDF printer, a file per print (the counter flow's
    ``printed``)."""
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QDialog

    files: list[str] = []

    def exec_(dialog: QPrintDialog) -> int:
        printer: QPrinter = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        files.append(str(tmp_path / f"printed-{len(files)}.pdf"))
        printer.setOutputFileName(files[-1])
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    return files


def test_both_print_the_sheet_buttons_print_the_same_pages(qtbot, demo_rw, tmp_path, monkeypatch):
    """« Imprimer la fiche… » of the recap's outcome and of the Réservations tab: the same sheet (the school year
    of the days booked, the tab's period), through the system's print dialog; the tab keeps its preview."""
    new_family(demo_rw, "Testeur", balance_cents=5000)
    window = _window(qtbot, demo_rw)
    open_family(qtbot, window, "Testeur")
    booking = choose(window)
    for day in (date(2026, 12, 21), date(2026, 12, 22)):
        click_day(qtbot, booking, day)
    booking.validate.click()
    window.recap_dialog.confirm.click()
    printed = _printed(monkeypatch, tmp_path)
    window.recap_dialog.sheet.click()
    assert len(printed) == 1
    window.recap_dialog.close_button.click()
    window.page.tabs.setCurrentIndex(1)
    tab = window.page.reservations_tab
    tab.print_sheet.click()
    assert len(printed) == 2, "the Réservations tab's « Imprimer la fiche… » did not open the print dialog"
    outcome, reservations = (PdfReader(path) for path in printed)
    assert len(outcome.pages) == len(reservations.pages) >= 1
    for one, other in zip(outcome.pages, reservations.pages, strict=True):
        drawn = [image.data for image in one.images]
        assert drawn and drawn == [image.data for image in other.images]  # the page, drawn at 300 dpi
    tab.show_sheet.click()  # the tab's preview, « Enregistrer en PDF » with it, is still there
    preview = window.page.preview
    assert preview is not None and preview.isVisible() and preview.pdf == window.page.last_sheet.pdf
    preview.accept()
