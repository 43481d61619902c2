"""Print preview of a PDF document: its pages as images, "Imprimer…" (print dialog) and "Enregistrer en PDF…".

A document is made and drawn on a worker thread (``rendered``: the PDF, then its pages as QImage, which may be
built off the GUI thread); the preview only shows them.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...files import write_document
from ...services.errors import DomainError
from ..operations import Operations
from .file_dialogs import ask_save_path

_pdfium = threading.Lock()  # pdfium is not thread-safe: one document drawn at a time
log = logging.getLogger(__name__)


def page_images(pdf: bytes, dpi: int = 110) -> list[QImage]:
    import pypdfium2 as pdfium

    with _pdfium:
        document = pdfium.PdfDocument(pdf)
        images = []
        try:
            for page in document:
                bitmap = page.render(scale=dpi / 72)
                buffer = io.BytesIO()
                bitmap.to_pil().save(buffer, format="PNG")
                # PySide6's stub types the format as bytes, but the binding refuses bytes and takes str.
                images.append(QImage.fromData(buffer.getvalue(), "PNG"))  # type: ignore[arg-type]
                page.close()
        finally:
            document.close()
    return images


@dataclass(frozen=True)
class Rendered:
    """A PDF and its pages, ready to show."""

    pdf: bytes
    pages: list[QImage]


def rendered(make_pdf: Callable[[], bytes]) -> Callable[[], Rendered]:
    """The call to run in the background for a preview: the PDF made, then its pages drawn."""

    def call() -> Rendered:
        pdf = make_pdf()
        return Rendered(pdf, page_images(pdf))

    return call


class PrintPreview(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        pdf: bytes | Rendered,
        title: str,
        filename: str,
    ) -> None:
        super().__init__(parent)
        document = pdf if isinstance(pdf, Rendered) else Rendered(pdf, page_images(pdf))
        self.pdf = document.pdf
        self.filename = filename
        self.ops = Operations(self)
        """Saving a file is the preview's own operation: its failure is said over the preview."""
        self.setWindowTitle(f"Aperçu – {title}")
        self.pages = document.pages
        column = QWidget()
        pages_layout = QVBoxLayout(column)
        pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        for image in self.pages:
            label = QLabel()
            label.setPixmap(
                QPixmap.fromImage(image).scaledToWidth(720, Qt.TransformationMode.SmoothTransformation)
            )
            label.setStyleSheet("border: 1px solid #90a4ae; background: white;")
            pages_layout.addWidget(label)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setStyleSheet("background: #cfd8dc;")
        self.count = QLabel(f"{len(self.pages)} page{'s' if len(self.pages) > 1 else ''}")
        self.print_button = QPushButton("&Imprimer…")
        self.save_button = QPushButton("&Enregistrer en PDF…")
        self.close_button = QPushButton("&Fermer")
        buttons = QHBoxLayout()
        buttons.addWidget(self.count)
        buttons.addStretch(1)
        for button in (self.print_button, self.save_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.resize(800, 700)
        self.print_button.clicked.connect(lambda: self.print_document())  # not clicked's bool as the printer
        self.save_button.clicked.connect(lambda: self.save())
        self.close_button.clicked.connect(self.accept)

    def save(self, path: str | None = None) -> Path | None:
        """« Enregistrer en PDF » (in the folder last used, else « Documents »): the file, or None when the agent
        cancelled or it could not be written — then a French message says why (a PDF reader holds the old one…)
        and an existing file is left as it was."""
        if not path:
            chosen = ask_save_path(self, "Enregistrer en PDF", self.filename, "PDF (*.pdf)")
            if chosen is None:
                return None
            path = str(chosen)
        target, pdf = Path(path), self.pdf
        return self.ops.run(lambda: write_document(target, pdf))

    def print_document(self, printer=None) -> bool:
        """Print every page at 300 dpi (asks for the printer unless one is given); False when the agent cancelled
        or the print could not start — then a French message says so, over the preview."""
        return print_document(self.pdf, self, self.ops, printer)


PRINT_DPI = 300
"""Pages are printed at 300 dpi (the printer's own resolution when lower): text is sharp on paper, where the
preview's 110-dpi images were blurry, and an A4 page is 26 MB in memory (RGB), drawn one at a time."""


def _bitmap_image(bitmap) -> QImage:
    """pdfium's RGB(A) bitmap seen as a QImage (no copy, no PNG round trip): ``bitmap`` must outlive it."""
    kind = QImage.Format.Format_RGB888 if bitmap.n_channels == 3 else QImage.Format.Format_RGBA8888
    return QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, kind)


class PrintFailed(DomainError):
    """The printer did not take the document (switched off, removed, offline, a PDF file that cannot be written):
    nothing was printed."""


def _not_started(printer) -> str:
    """Why a print could not start, in the agent's words."""
    from PySide6.QtPrintSupport import QPrinter

    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        if printer.outputFileName():
            what = f"L'impression dans le fichier {printer.outputFileName()}"
            why = "son dossier n'existe pas ou est protégé, ou le fichier est ouvert dans un autre programme"
        else:
            what, why = "L'impression", "aucune imprimante n'est installée sur cet ordinateur"
    else:
        what = f"L'impression sur « {printer.printerName()} »" if printer.printerName() else "L'impression"
        why = "vérifiez que l'imprimante est allumée, branchée et en ligne, puis relancez l'impression"
    return f"{what} n'a pas pu commencer : {why}. Rien n'a été imprimé."


def print_document(pdf: bytes, parent: QWidget | None, ops: Operations, printer=None) -> bool:
    """``print_pdf``, its failure said by ``ops`` (a French message; False, nothing claimed printed)."""
    return ops.run(lambda: print_pdf(pdf, parent, printer), default=False)


def print_pdf(pdf: bytes, parent: QWidget | None, printer=None) -> bool:
    """Print a PDF: each page drawn by pdfium at ``PRINT_DPI``, one at a time, and
    scaled to the printable area. Without ``printer``, the system's print dialog asks for one (False when the
    agent cancels it). A print that cannot start or stops raises ``PrintFailed`` (``print_document`` says it)."""
    import pypdfium2 as pdfium
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if printer is None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    dpi = PRINT_DPI
    painter = QPainter()
    if not painter.begin(printer):
        log.warning(
            "print not started: printer %r, output %r", printer.printerName(), printer.outputFileName()
        )
        raise PrintFailed(_not_started(printer))
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        with _pdfium:
            document = pdfium.PdfDocument(pdf)
            try:
                for i, page in enumerate(document):
                    if i and not printer.newPage():
                        raise PrintFailed(
                            f"L'impression s'est arrêtée après la page {i} : la suite n'est pas partie. "
                            "Vérifiez l'imprimante, puis relancez l'impression."
                        )
                    bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
                    image = _bitmap_image(bitmap)
                    area = painter.viewport()
                    size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                    painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), image)
                    del image
                    bitmap.close()
                    page.close()
            finally:
                document.close()
    finally:
        painter.end()
    return True
