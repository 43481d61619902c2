"""The document toolkit: letterhead with the structure's name, address and logo, styles, tables, "Page 1/3"."""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFImageXObject, PDFObjectReference
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ...config import resources_dir
from ...models import Structure
from ...text import moment

MARGIN = 16 * mm
HEADER_HEIGHT = 24 * mm
GRID = colors.HexColor("#b0bec5")
HEAD_BG = colors.HexColor("#1f4e79")
ZEBRA = colors.HexColor("#f3f6f9")


FONT, FONT_BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"
"""The documents' one font family, embedded (a subset) in every PDF: DejaVu Sans Condensed, whose glyphs cover
the alphabets of Europe and Vietnam (« Nguyễn », « Ștefănescu », « Łukasz ») where the standard Helvetica prints
black boxes, and whose width is close to Helvetica's, so the pages keep their layout. Its licence is beside it in
``resources/fonts``."""


def _register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase.pdfmetrics import registerFont
    from reportlab.pdfbase.ttfonts import TTFont

    from ...config import resources_dir

    folder = resources_dir() / "fonts"
    for name in (FONT, FONT_BOLD):
        registerFont(TTFont(name, str(folder / f"{name}.ttf")))
    addMapping(FONT, 0, 0, FONT)  # <b> in a Paragraph: the bold face
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)


_register_fonts()


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


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """The documents' paragraph styles, built once per process (shared: never modify them)."""
    base = getSampleStyleSheet()
    normal = ParagraphStyle("normal", parent=base["Normal"], fontName=FONT, fontSize=9.5, leading=12)
    return {
        "normal": normal,
        "small": ParagraphStyle(
            "small", parent=normal, fontSize=8, leading=10, textColor=colors.HexColor("#455a64")
        ),
        "title": ParagraphStyle(
            "title", parent=normal, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=normal,
            fontName=FONT_BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "cell": ParagraphStyle("cell", parent=normal, fontSize=8.5, leading=10.5),
        "cell_right": ParagraphStyle(
            "cell_right", parent=normal, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
        ),
        "big": ParagraphStyle("big", parent=normal, fontName=FONT_BOLD, fontSize=13, leading=17),
        "cancelled": ParagraphStyle(
            "cancelled",
            parent=normal,
            fontName=FONT_BOLD,
            fontSize=30,
            leading=36,
            textColor=colors.HexColor("#b71c1c"),
            spaceAfter=4,
        ),
    }


CELL_FONT, CELL_SIZE = FONT, 8.5
CHAR_WIDTH = 0.55 * CELL_SIZE  # a generous average width of a character of the documents' font
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
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, CELL_SIZE),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f0")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, HEAD_BG),
        ]
    for i in range(first + 1, first + len(rows), 2):
        commands.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
    if total is not None:
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, HEAD_BG),
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, CELL_SIZE),
        ]
    t.setStyle(TableStyle(commands))
    return t


ROW_HEIGHT = 1.2 * CELL_SIZE + 2 + 2  # one line of text and the top and bottom paddings of ``table()``
HEAD_FILL = colors.HexColor("#dce6f0")


@functools.lru_cache(maxsize=4096)
def _width(text: str, font: str) -> float:
    return stringWidth(text, font, CELL_SIZE)


class PlainTable(Flowable):
    """What ``table()`` draws, drawn straight on the canvas: the same grid, header, zebra, total row, fonts and
    wrapping of a body cell too long for its column, at a fraction of the cost of a reportlab ``Table`` (no
    per-cell styles, one text object). Splits between rows, repeating the header. ``title``: a bold line above
    the table, kept with it (with the spaces of a ``KeepTogether([title, 1 mm, table, 3 mm])``). ``box``: a column
    framed by a thick black line (the presence column of the attendance list). The header and total rows are short
    labels, one line each."""

    TITLE_HEIGHT = 12.0  # one line of the "normal" style
    TITLE_GAP, AFTER = 1 * mm, 3 * mm

    def __init__(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str | Paragraph]],
        widths: Sequence[float],
        *,
        right: Iterable[int] = (),
        total: Sequence[str] | None = None,
        title: str | None = None,
        box: int | None = None,
        first_index: int = 0,
        after: bool | None = None,
        last: bool = True,
    ) -> None:
        super().__init__()
        self.shift = 0.0
        self.header = [pdf_text(v) for v in header]
        self.widths = list(widths)
        self.right = frozenset(right)
        limits = [max(1, int((w - PADDING) / CHAR_WIDTH)) for w in widths]
        st = styles()
        self.rows: list[list[str | Paragraph]] = []
        self.heights: list[float] = []
        for row in rows:
            cells: list[str | Paragraph] = []
            height = ROW_HEIGHT
            for i, v in enumerate(row):
                if isinstance(v, str):
                    v = pdf_text(v)
                    if len(v) > limits[i]:  # as table(): a wrapping paragraph
                        v = Paragraph(esc(v), st["cell_right"] if i in self.right else st["cell"])
                if isinstance(v, Paragraph):
                    height = max(height, v.wrap(widths[i] - 2 * PADDING, 1e6)[1] + 4)
                cells.append(v)
            self.rows.append(cells)
            self.heights.append(height)
        self.total = [pdf_text(v) for v in total] if total is not None else None
        self.title = pdf_text(title) if title is not None else None
        self.box = box
        self.first_index = first_index
        """Index of the first row in the whole table (the zebra goes on across a split)."""
        self.after = self.AFTER if (title is not None if after is None else after) else 0.0
        self.last = last
        """The end of the table (not the first part of a split): the box is closed at the bottom."""

    def _top(self) -> float:
        return self.TITLE_HEIGHT + self.TITLE_GAP if self.title is not None else 0.0

    def _table_height(self) -> float:
        return ROW_HEIGHT * (1 + (self.total is not None)) + sum(self.heights)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        self.width = availWidth
        self.shift = (availWidth - sum(self.widths)) / 2  # as a Table: centred in the frame (may overhang it)
        self.height = self._top() + self._table_height() + self.after
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 - reportlab's names
        frame = getattr(self, "_frame", None)
        if self.title is not None and not getattr(frame, "_atTop", True):
            return []  # kept together: to the next page, unless it does not fit on a page either
        room, n = availHeight - self._top() - ROW_HEIGHT, 0
        while n < len(self.rows) and self.heights[n] <= room + 1e-6:
            room -= self.heights[n]
            n += 1
        if n < 1 or (n == len(self.rows) and self.total is None):
            return []
        first = PlainTable(
            self.header,
            self.rows[:n],
            self.widths,
            right=self.right,
            title=self.title,
            box=self.box,
            first_index=self.first_index,
            after=False,
            last=False,
        )
        rest = PlainTable(
            self.header,
            self.rows[n:],
            self.widths,
            right=self.right,
            total=self.total,
            box=self.box,
            first_index=self.first_index + n,
            after=bool(self.after),
            last=self.last,
        )
        return [first, rest]

    def draw(self) -> None:
        c = self.canv
        cols = [0.0]
        for cw in self.widths:
            cols.append(cols[-1] + cw)
        width = cols[-1]
        top = self.height - self._top()  # of the table
        rows: list[tuple[Sequence[str | Paragraph], bool]] = [(self.header, True)]
        rows += [(r, False) for r in self.rows]
        heights = [ROW_HEIGHT, *self.heights]
        if self.total is not None:
            rows.append((self.total, True))
            heights.append(ROW_HEIGHT)
        edges = [top]  # the top, then the bottom of each row
        for row_height in heights:
            edges.append(edges[-1] - row_height)
        # Paths are written as PDF operators, each coordinate formatted once (reportlab's own formatting): a
        # table is mostly lines, and formatting them point by point costs more than the rest of the drawing.
        ex, ey = [fp_str(x) for x in cols], [fp_str(y) for y in edges]
        w, h = fp_str(width), fp_str(ROW_HEIGHT)
        fh = [h if x == ROW_HEIGHT else fp_str(x) for x in heights]
        c.saveState()
        if self.title is not None:
            c.setFont(FONT_BOLD, 9.5, 12)
            c.drawString(0, self.height - 9.5, self.title)
        c.translate(self.shift, 0)
        c.setFillColor(HEAD_FILL)
        c.addLiteral(f"n 0 {ey[1]} {w} {h} re f")
        zebra = [i for i in range(2, len(self.rows) + 2) if (self.first_index + i - 2) % 2 == 1]
        if zebra:
            c.setFillColor(ZEBRA)
            c.addLiteral(" ".join(f"n 0 {ey[i]} {w} {fh[i - 1]} re f" for i in zebra))
        c.setFillColor(colors.black)
        text = c.beginText()
        font = ""
        paragraphs: list[tuple[Paragraph, float, float]] = []
        for (values, strong), y, row_height in zip(rows, edges[1:], heights, strict=True):
            if (FONT_BOLD if strong else CELL_FONT) != font:
                font = FONT_BOLD if strong else CELL_FONT
                text.setFont(font, CELL_SIZE, 1.2 * CELL_SIZE)
            # MIDDLE: (bottom padding + height - top padding + leading) / 2 - font size
            base = y + (row_height + 1.2 * CELL_SIZE) / 2 - CELL_SIZE
            for i, v in enumerate(values):
                if isinstance(v, Paragraph):
                    paragraphs.append((v, cols[i] + PADDING, y + (row_height - v.height) / 2))
                elif v:
                    right = i in self.right
                    x = cols[i + 1] - PADDING - _width(v, font) if right else cols[i] + PADDING
                    text.setTextOrigin(x, base)
                    text.textLine(v)  # (textOut would measure each string to move the cursor along)
        c.drawText(text)
        for paragraph, x, y in paragraphs:
            paragraph.drawOn(c, x, y)
        c.setLineCap(1)
        c.setLineJoin(1)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.25)
        grid = [f"0 {y} m {w} {y} l" for y in ey] + [f"{x} {ey[0]} m {x} {ey[-1]} l" for x in ex]
        c.addLiteral("n " + " ".join(grid) + " S")
        c.setStrokeColor(HEAD_BG)
        c.setLineWidth(0.8)
        thick = [f"0 {ey[1]} m {w} {ey[1]} l"]
        if self.total is not None:
            thick.append(f"0 {ey[-2]} m {w} {ey[-2]} l")
        c.addLiteral("n " + " ".join(thick) + " S")
        if self.box is not None:
            c.setStrokeColor(colors.black)
            x0, x1, y0, y1 = ex[self.box], ex[self.box + 1], ey[1], ey[-1]
            box = [
                f"{x0} {y0} m {x0} {y1} l",
                f"{x1} {y0} m {x1} {y1} l",
            ]  # as a split Table's BOX: closed at
            if self.first_index == 0:  # the top of its first part and the bottom of its last one only
                box.append(f"{x0} {y0} m {x1} {y0} l")
            if self.last:
                box.append(f"{x0} {y1} m {x1} {y1} l")
            c.addLiteral("n " + " ".join(box) + " S")
        c.restoreState()


_ENCODED: dict[str, Any] = {}
_ENCODED_LOCK = threading.Lock()


def _preload(canvas: Canvas, image: ImageReader | str, mask: str) -> None:
    """Register in the canvas's document the image that ``canvas.drawImage(image, mask=mask)`` would create, from
    an encoding kept for the process: reportlab decodes, compresses and encodes an image anew in each document,
    and the logo of the letterhead cost more than several pages of tables. The registration is the one
    ``drawImage`` does for a new image (reportlab 4–5); when the canvas does not look as expected, nothing is
    done and ``drawImage`` encodes the image itself."""
    doc = getattr(canvas, "_doc", None)
    needed = (
        getattr(canvas, "_setXObjects", None),
        getattr(doc, "getXObjectName", None),
        getattr(doc, "idToObject", None),
        getattr(doc, "Reference", None),
        getattr(doc, "addForm", None),
    )
    if doc is None or any(x is None for x in needed):
        return
    if isinstance(image, ImageReader):  # the name drawImage gives it (reportlab.lib.utils._digester)
        reader: Any = image
        smask = getattr(reader, "_dataA", None)
        mdata = smask.getRGBData() if mask == "auto" and smask else str(mask).encode("utf8")
        name = hashlib.md5(reader.getRGBData() + mdata, usedforsecurity=False).hexdigest()
    else:
        name = hashlib.md5(f"{image}{mask}".encode(), usedforsecurity=False).hexdigest()
    reg_name = doc.getXObjectName(name)
    if doc.idToObject.get(reg_name) is not None:
        return
    with _ENCODED_LOCK:
        template = _ENCODED.get(name)
        if template is None:
            template = _ENCODED[name] = PDFImageXObject(name, image, mask=mask)
    obj: Any = copy.copy(template)
    obj.name = name
    canvas._setXObjects(obj)  # type: ignore[attr-defined]
    doc.Reference(obj, reg_name)
    doc.addForm(name, obj)
    smask_obj = obj.__dict__.pop("_smask", None)
    if smask_obj is not None:
        smask_obj = copy.copy(smask_obj)
        smask_name = doc.getXObjectName(smask_obj.name)
        if doc.idToObject.get(smask_name) is None:
            canvas._setXObjects(smask_obj)  # type: ignore[attr-defined]
            obj.smask = doc.Reference(smask_obj, smask_name)
        else:
            obj.smask = PDFObjectReference(smask_name)


class _NumberedCanvas(Canvas):
    """Draws "Page n/N" once the total number of pages is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initialFontName"] = FONT  # not the standard Helvetica, even unused
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's private method, absent from its stubs

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(colors.HexColor("#607d8b"))
            self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {self.getPageNumber()}/{total}")
            super().showPage()
        super().save()


@functools.lru_cache(maxsize=8)
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
    footer = pdf_text(f"{title} – imprimé le {moment(printed_at)} par {printed_by}")

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        top = A4[1] - MARGIN
        if logo is not None:
            _preload(canvas, logo, "auto")
            canvas.drawImage(
                logo, MARGIN, top - 16 * mm, 16 * mm, 16 * mm, mask="auto", preserveAspectRatio=True
            )
        canvas.setFont(FONT_BOLD, 12)
        canvas.drawString(MARGIN + 20 * mm, top - 6 * mm, pdf_text(letterhead.name))
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#37474f"))
        canvas.drawString(MARGIN + 20 * mm, top - 11 * mm, pdf_text(letterhead.address))
        canvas.drawString(MARGIN + 20 * mm, top - 15 * mm, pdf_text(letterhead.contact))
        canvas.setStrokeColor(HEAD_BG)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, top - 19 * mm, A4[0] - MARGIN, top - 19 * mm)
        canvas.setFont(FONT, 8)
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


def signature_boxes(boxes: Sequence[tuple[str, str]], height: float = 28 * mm) -> Table:
    """Boxes side by side for signatures (« Les agents », « Le régisseur »): a title, a line of names under it and
    room to sign."""
    st = styles()
    width = CONTENT_WIDTH / len(boxes)
    cells = [
        [
            Paragraph(f"<b>{esc(title)}</b><br/>{esc(names).replace(chr(10), '<br/>')}", st["small"])
            for title, names in boxes
        ]
    ]
    t = Table(cells, colWidths=[width] * len(boxes), rowHeights=[height])
    t.setStyle(
        TableStyle(
            [("BOX", (i, 0), (i, 0), 0.5, GRID) for i in range(len(boxes))]
            + [("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    return t
