"""The CAF's hours as files (``booking.caf_hours`` reads them): a CSV and an ``.xlsx`` with every line (per
activity: the total, each age band, each quotient-familial bracket, band × bracket; then each structure's total per
CAF category), and a one-page PDF summary."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from ...models import CafCategory
from ...text import clock_time, duration_text, hours_number, hours_text, short_date
from ..booking.caf_hours import CAF_DAY_LIMIT, AgeBand, CafCounts, CafReport, CafRow
from ..errors import ValidationError
from .toolkit import CONTENT_WIDTH, Letterhead, esc, render, styles, table

TITLE = "Heures CAF (prestation de service)"
HEADER = (
    "Structure",
    "Activité",
    "Catégorie CAF",
    "Horaires",
    "Âge",
    "Quotient familial",
    "Enfants",
    "Jours présents",
    "Heures présentes",
    "Jours facturés",
    "Heures facturées",
    "Jours non pointés",
    "Absences avec certificat",
)
HOURS_COLUMNS = (8, 10)
"""The columns holding hours (0-based): numbers with two decimals in the spreadsheet."""
NOTE = (
    "Présent : pointé présent. Facturé : présent, absent sans certificat médical, ou non pointé (la journée "
    "est facturée ; les « non pointés » sont à pointer avant de déclarer). Une absence avec certificat n'est "
    "ni présente ni facturée. Heures = journées × horaires de l'activité, dans la limite de "
    f"{duration_text(CAF_DAY_LIMIT[CafCategory.EXTRASCOLAIRE])} par jour en extrascolaire. Âge le jour de "
    "l'activité ; quotient "
    "familial actuel de la famille, dans les tranches de prix de l'activité."
)


class CafFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"

    @classmethod
    def of(cls, suffix: str) -> CafFormat:
        """The format a file name's suffix chooses (".xlsx", "csv"…); French message for another one."""
        try:
            return cls(suffix.lower().lstrip("."))
        except ValueError:
            raise ValidationError(
                f"Format inconnu « {suffix[:12]} » : le fichier se termine par .xlsx, .csv ou .pdf."
            ) from None


def _lines(report: CafReport) -> Iterator[tuple[tuple[str, ...], CafCounts]]:
    """Each line's labels (the first six columns) and its counts."""
    for a in report.activities:
        hours = f"{clock_time(a.starts_at)}–{clock_time(a.ends_at)} ({duration_text(a.opening_minutes)}"
        hours += f", {duration_text(a.day_minutes)} comptées)" if a.day_minutes != a.opening_minutes else ")"
        head = (a.structure, a.name, a.category_label, hours)
        rows: tuple[CafRow, ...] = (
            CafRow(None, None, a.total),
            *a.by_band,
            *a.by_bracket,
            *a.rows,
        )
        for row in rows:
            yield (*head, row.band_label, row.bracket_label), row.counts
    for t in report.totals:
        head = (t.structure, f"Total {t.category_label}", t.category_label, "")
        yield (*head, "tous âges", "tous QF"), t.total
        for row in t.by_band:
            yield (*head, row.band_label, "tous QF"), row.counts


def _numbers(c: CafCounts) -> tuple[int, int, int, int, int, int, int]:
    return (
        c.children,
        c.days_present,
        c.minutes_present,
        c.days_billed,
        c.minutes_billed,
        c.days_unrecorded,
        c.days_certificate,
    )


def caf_csv(report: CafReport) -> bytes:
    """« ; » between the columns, UTF-8 with a BOM, decimal commas: what a French Excel opens as it is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for labels, counts in _lines(report):
        n = _numbers(counts)
        writer.writerow((*labels, n[0], n[1], hours_number(n[2]), n[3], hours_number(n[4]), n[5], n[6]))
    return out.getvalue().encode("utf-8-sig")


def caf_xlsx(report: CafReport) -> bytes:
    """One sheet: the title and the period on top, the header on row 4, a line per row from row 5; hours are
    numbers (two decimals shown), counts whole numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None, "a new workbook has a sheet"
    ws.title = "Heures CAF"
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"{report.scope_text}, {report.period_text}"
    ws.append([])
    ws.append(list(HEADER))
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F0")
    for labels, counts in _lines(report):
        n = _numbers(counts)
        ws.append([*labels, n[0], n[1], round(n[2] / 60, 2), n[3], round(n[4] / 60, 2), n[5], n[6]])
    for row in ws.iter_rows(min_row=5):
        for i in HOURS_COLUMNS:
            row[i].number_format = "0.00"
    for letter, width in zip(
        "ABCDEFGHIJKLM", (22, 26, 14, 20, 15, 17, 9, 10, 11, 10, 11, 11, 12), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def caf_pdf(report: CafReport, printed_by: str) -> bytes:
    """One page: each structure's totals per CAF category and age band, then each activity by age band and by
    quotient-familial bracket (hours billed)."""
    st = styles()
    name, address, contact = report.heading
    story: list[Flowable] = [
        Paragraph(esc(TITLE), st["title"]),
        Paragraph(
            esc(f"{report.scope_text[:1].upper()}{report.scope_text[1:]} — {report.period_text}"),
            st["normal"],
        ),
        Spacer(1, 2 * mm),
        Paragraph(esc("Par catégorie et tranche d'âge"), st["h2"]),
    ]
    widths = [w * CONTENT_WIDTH for w in (0.26, 0.16, 0.09, 0.11, 0.13, 0.13, 0.12)]
    rows = []
    for t in report.totals:
        category = t.category_label[:1].upper() + t.category_label[1:]
        label = category if report.structure_id is not None else f"{t.structure} – {t.category_label}"
        for row in (CafRow(None, None, t.total), *t.by_band):
            c = row.counts
            rows.append(
                (
                    label if row.band is None else "",
                    row.band_label,
                    str(c.children),
                    str(c.days_present),
                    hours_text(c.minutes_present),
                    hours_text(c.minutes_billed),
                    str(c.days_unrecorded),
                )
            )
    header = (
        "Catégorie" if report.structure_id is not None else "Structure, catégorie",
        "Âge",
        "Enfants",
        "Jours prés.",
        "H. présentes",
        "H. facturées",
        "Non pointés",
    )
    if rows:
        story.append(table(header, rows, widths, right=(2, 3, 4, 5, 6)))
    else:
        story.append(Paragraph(esc("Aucune journée réservée sur la période."), st["normal"]))

    story.append(Paragraph(esc("Par activité"), st["h2"]))
    widths = [w * CONTENT_WIDTH for w in (0.30, 0.08, 0.09, 0.13, 0.13, 0.13, 0.14)]
    rows = []
    for a in report.activities:
        band = {r.band: r.counts for r in a.by_band}
        under, over = (
            band.get(AgeBand.UNDER_6, CafCounts.zero()),
            band.get(AgeBand.SIX_AND_OVER, CafCounts.zero()),
        )
        rows.append(
            (
                f"{a.name} ({a.category_label}, {duration_text(a.day_minutes)}/j)",
                str(a.total.children),
                str(a.total.days_present),
                hours_text(under.minutes_present),
                hours_text(over.minutes_present),
                hours_text(under.minutes_billed),
                hours_text(over.minutes_billed),
            )
        )
    header = (
        "Activité",
        "Enfants",
        "Jours prés.",
        "H. prés. < 6",
        "H. prés. ≥ 6",
        "H. fact. < 6",
        "H. fact. ≥ 6",
    )
    if rows:
        story.append(table(header, rows, widths, right=(1, 2, 3, 4, 5, 6)))

    story.append(Paragraph(esc("Heures facturées par tranche de quotient familial"), st["h2"]))
    widths = [w * CONTENT_WIDTH for w in (0.40, 0.24, 0.12, 0.24)]
    bracket_rows = [
        (a.name, row.bracket_label, str(row.counts.children), hours_text(row.counts.minutes_billed))
        for a in report.activities
        for row in a.by_bracket
    ]
    if bracket_rows:
        story.append(
            table(
                ("Activité", "Quotient familial", "Enfants", "H. facturées"),
                bracket_rows,
                widths,
                right=(2, 3),
            )
        )
    story += [Spacer(1, 3 * mm), Paragraph(esc(NOTE), st["small"])]
    title = f"Heures CAF du {short_date(report.start)} au {short_date(report.end)}"
    return render(
        story,
        title=title,
        letterhead=Letterhead(name, address, contact),
        printed_at=report.made_at,
        printed_by=printed_by,
    )


def caf_file(report: CafReport, fmt: CafFormat, printed_by: str) -> bytes:
    """The report in the chosen format."""
    if fmt is CafFormat.CSV:
        return caf_csv(report)
    if fmt is CafFormat.XLSX:
        return caf_xlsx(report)
    return caf_pdf(report, printed_by)
