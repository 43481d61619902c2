"""The document toolkit: letterhead with the structure's name, address and logo, styles, tables, "Page 1/3"."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ...clock import PARIS
from ...config import resources_dir
from ...models import Structure

MARGIN = 16 * mm
HEADER_HEIGHT = 24 * mm
GRID = colors.HexColor("#b0bec5")
HEAD_BG = colors.HexColor("#1f4e79")
ZEBRA = colors.HexColor("#f3f6f9")


def pdf_text(text: str) -> str:
    """Text safe for the standard PDF fonts: Babel's narrow no-break space becomes a no-break space."""
    return text.replace("\u202f", "\xa0")


def esc(text: str) -> str:
    """Escape text for a reportlab Paragraph."""
    return pdf_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str
    contact: str
    logo: bytes | None = None
    """The structure's own logo (PNG or JPEG); None = the application's logo."""

    @classmethod
    def of(cls, structure: Structure) -> Letterhead:
        address = ", ".join(
            x for x in (structure.address, f"{structure.postal_code} {structure.city}".strip()) if x
        )
        contact = " · ".join(x for x in (structure.phone, structure.email) if x)
        return cls(structure.name, address, contact, structure.logo)


def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    normal = ParagraphStyle("normal", parent=base["Normal"], fontName="Helvetica", fontSize=9.5, leading=12)
    return {
        "normal": normal,
        "small": ParagraphStyle(
            "small", parent=normal, fontSize=8, leading=10, textColor=colors.HexColor("#455a64")
        ),
        "title": ParagraphStyle(
            "title", parent=normal, fontName="Helvetica-Bold", fontSize=15, leading=19, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=normal,
            fontName="Helvetica-Bold",
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),  # fmt: skip
        "cell": ParagraphStyle("cell", parent=normal, fontSize=8.5, leading=10.5),
        "cell_right": ParagraphStyle(
            "cell_right", parent=normal, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "big": ParagraphStyle("big", parent=normal, fontName="Helvetica-Bold", fontSize=13, leading=17),
    }


CELL_FONT, CELL_SIZE = "Helvetica", 8.5
CHAR_WIDTH = 0.55 * CELL_SIZE  # a generous average width of a Helvetica character
PADDING = 6


def table(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    right: Sequence[int] = (),
    total: Sequence[str] | None = None,
) -> Table:
    """A zebra table (header row repeated on each page, if any).

    Short cells are plain strings (fast); a cell too long for its column becomes a wrapping Paragraph, so that
    nothing overflows.
    """
    st = styles()
    fits = [max(1, int((w - PADDING) / CHAR_WIDTH)) for w in widths]

    def cells(values: Sequence[str], bold: bool = False) -> list[str | Paragraph]:
        out: list[str | Paragraph] = []
        for i, v in enumerate(values):
            text = pdf_text(str(v))
            if len(text) <= fits[i]:
                out.append(text)
            else:
                style = st["cell_right"] if i in right else st["cell"]
                out.append(Paragraph(f"<b>{esc(text)}</b>" if bold else esc(text), style))
        return out

    data = [cells(header, bold=True)] if header is not None else []
    first = len(data)
    data += [cells(row) for row in rows]
    if total is not None:
        data.append(cells(total, bold=True))
    t = Table(data, colWidths=list(widths), repeatRows=first)
    commands: list[tuple[str, tuple[int, int], tuple[int, int], *tuple[object, ...]]] = [
        ("FONT", (0, 0), (-1, -1), CELL_FONT, CELL_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in right]
    if header is not None:
        commands += [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", CELL_SIZE),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f0")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, HEAD_BG),
        ]
    for i in range(first + 1, first + len(rows), 2):
        commands.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
    if total is not None:
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, HEAD_BG),
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", CELL_SIZE),
        ]
    t.setStyle(TableStyle(commands))
    return t


class _NumberedCanvas(Canvas):
    """Draws "Page n/N" once the total number of pages is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's private method, absent from its stubs

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.HexColor("#607d8b"))
            self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {self.getPageNumber()}/{total}")
            super().showPage()
        super().save()


def _logo_image(own: bytes | None) -> ImageReader | str | None:
    """The structure's logo when it has one (and reportlab can read it), else the application's."""
    if own:
        try:
            image = ImageReader(io.BytesIO(own))
            image.getSize()
            return image
        except Exception:  # noqa: BLE001 - a damaged logo must not stop a receipt from printing
            pass
    for name in ("logo.png", "icon.png"):
        if (resources_dir() / name).exists():
            return str(resources_dir() / name)
    return None


def render(
    story: list[Flowable],
    *,
    title: str,
    letterhead: Letterhead,
    printed_at: datetime,
    printed_by: str,
) -> bytes:
    """Lay out ``story`` on A4 pages with the letterhead and footer; returns the PDF bytes."""
    buffer = io.BytesIO()
    logo = _logo_image(letterhead.logo)
    local = printed_at.astimezone(PARIS)
    footer = pdf_text(f"{title} – imprimé le {local:%d/%m/%Y à %H:%M} par {printed_by}")

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        top = A4[1] - MARGIN
        if logo is not None:
            canvas.drawImage(
                logo, MARGIN, top - 16 * mm, 16 * mm, 16 * mm, mask="auto", preserveAspectRatio=True
            )
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(MARGIN + 20 * mm, top - 6 * mm, pdf_text(letterhead.name))
        canvas.setFont("Helvetica", 8.5)
        canvas.setFillColor(colors.HexColor("#37474f"))
        canvas.drawString(MARGIN + 20 * mm, top - 11 * mm, pdf_text(letterhead.address))
        canvas.drawString(MARGIN + 20 * mm, top - 15 * mm, pdf_text(letterhead.contact))
        canvas.setStrokeColor(HEAD_BG)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, top - 19 * mm, A4[0] - MARGIN, top - 19 * mm)
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#607d8b"))
        canvas.drawString(MARGIN, 9 * mm, footer)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=18 * mm,
        title=pdf_text(title),
        author=pdf_text(letterhead.name),
        creator="Guichet Enfance",
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


CONTENT_WIDTH = A4[0] - 2 * MARGIN
