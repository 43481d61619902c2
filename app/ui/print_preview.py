"""Print preview of a PDF document: its pages as images, "Imprimer…" (print dialog) and "Enregistrer en PDF…".

A document is made and drawn on a worker thread (``rendered``: the PDF, then its pages as QImage, which may be
built off the GUI thread); the preview only shows them.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

_pdfium = threading.Lock()  # pdfium is not thread-safe: one document drawn at a time


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
        self.print_button.clicked.connect(self.print_document)
        self.save_button.clicked.connect(lambda: self.save())
        self.close_button.clicked.connect(self.accept)

    def save(self, path: str | None = None) -> Path | None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Enregistrer en PDF", self.filename, "PDF (*.pdf)")
            if not path:
                return None
        target = Path(path)
        target.write_bytes(self.pdf)
        return target

    def print_document(self, printer=None) -> bool:
        """Print every page scaled to the printable area (asks for the printer unless one is given)."""
        return print_pages(self.pages, self, printer)


def print_pages(pages: list[QImage], parent: QWidget | None, printer=None) -> bool:
    """Print ``pages`` scaled to the printable area; without ``printer``, the system's print dialog asks for
    one (False when the agent cancels it)."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if printer is None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        for i, image in enumerate(pages):
            if i:
                printer.newPage()
            area = painter.viewport()
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), image)
    finally:
        painter.end()
    return True
