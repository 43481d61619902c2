"""The floors of the town's papers (issue 34): the CAF's hours and the childcare tax certificate, in plain DB-API
and plain reportlab, measured in the same run as the services.

``floor_caf_hours``: the numbers of ``booking.caf_hours.caf_hours`` over a period — per activity its open days and
its counts (children, days present, billed, not recorded, with a certificate, minutes present and billed) in total,
per age band on the day, per quotient-familial bracket, per band × bracket, and per structure and CAF category in
total and per band (distinct children across the activities) — read with three queries in one read transaction:
the activities' open days, their brackets, and one statement in which the period's accepted reservations are
joined once (a materialised CTE, summed per child, band and bracket) and then grouped at each level of totals
(UNION ALL). ``caf_numbers`` puts the service's report in the same shape, so that the bench checks that both
give the same numbers.

``floor_certificate_pdf``: one family's « attestation de frais de garde » from one structure for a year — the
eligible children's days, amounts charged net of refunds and meals (one query), the family and the structure (one
query), the audit row (one INSERT, its JSON not sealed), and the same sentences and table drawn with
``SimpleDocTemplate`` (title, the two identities, the certifying sentence, the children's table with its total,
the total in figures and in words, the notes, the place and date, the signature boxes) — no letterhead, no logo,
no footer.

``floor_certificates_batch``: the year's batch — every family's eligible children (one query), the families and the
structures (two), each certificate drawn as above and written in the folder under the batch's file name, then in
one transaction an e-mail per family and structure with an address (the batch's subject and body, the same
deduplication key: run twice, it queues nothing twice) and the audit row.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import Engine

from app.services.booking.caf_hours import SINGLE_PRICE, UNKNOWN_QF, CafCounts, CafReport
from app.services.documents.toolkit import FONT, FONT_BOLD
from app.text import amount_in_words, count, format_eur, long_date, signature

from .floor import _sql
from .floor_pdf import STYLE, TITLE

Numbers = dict[tuple[object, ...], tuple[int, ...]]
"""Key → (children, days present, billed, not recorded, with a certificate, minutes present, minutes billed); the
activities' open days under ``("jours", activity id)``."""

# --- CAF hours -------------------------------------------------------------------------------------------------

_SQLITE = {
    "number": "CAST(replace({col}, '-', '') AS INTEGER)",
    "minutes": "(CAST(substr({col}, 1, 2) AS INTEGER) * 60 + CAST(substr({col}, 4, 2) AS INTEGER))",
}
_PG = {
    "number": "CAST(to_char({col}, 'YYYYMMDD') AS INTEGER)",
    "minutes": "CAST(extract(hour FROM {col}) * 60 + extract(minute FROM {col}) AS INTEGER)",
}

_CAF = """
WITH base AS MATERIALIZED (
    SELECT a.structure_id, CAST(a.caf_category AS VARCHAR(20)) AS caf_category, a.id AS activity_id,
           {minutes} AS minutes, r.child_id,
           CASE WHEN {day_number} - {birth_number} >= 60000 THEN 1 ELSE 0 END AS band,
           b.id AS bracket_id,
           sum(CASE WHEN r.attendance = 'present' THEN 1 ELSE 0 END) AS present,
           sum(CASE WHEN r.certificate_at IS NULL THEN 1 ELSE 0 END) AS billed,
           sum(CASE WHEN r.attendance IS NULL AND r.certificate_at IS NULL THEN 1 ELSE 0 END) AS unrecorded,
           sum(CASE WHEN r.certificate_at IS NOT NULL THEN 1 ELSE 0 END) AS certificate
    FROM reservations r
    JOIN activity_days d ON d.id = r.activity_day_id
    JOIN activities a ON a.id = d.activity_id
    JOIN children c ON c.id = r.child_id
    JOIN families f ON f.id = c.family_id
    LEFT JOIN price_brackets b ON b.activity_id = a.id AND f.quotient_familial >= b.qf_min
         AND (b.qf_max IS NULL OR f.quotient_familial <= b.qf_max)
    WHERE r.status = 'accepted' AND d.day BETWEEN ? AND ? AND NOT d.closed
    GROUP BY a.structure_id, a.caf_category, a.id, minutes, r.child_id, band, b.id
)
"""

DAY_LIMITS = {"extrascolaire": 600}
"""The most minutes a day present counts for the CAF, by category (10 h a day in extrascolaire); a category not
named counts its opening hours."""

_COLUMNS = ("activity_id", "band", "bracket_id", "structure_id", "caf_category")
_TYPES = {"caf_category": "VARCHAR(20)"}
_LEVELS = {
    "activité": ("activity_id",),
    "âge": ("activity_id", "band"),
    "QF": ("activity_id", "bracket_id"),
    "âge×QF": ("activity_id", "band", "bracket_id"),
    "catégorie×âge": ("structure_id", "caf_category", "band"),
    "catégorie": ("structure_id", "caf_category"),
}
"""The levels of totals and the columns each groups by (the others NULL in its rows)."""


def _level(name: str, keys: tuple[str, ...]) -> str:
    shown = ", ".join(c if c in keys else f"CAST(NULL AS {_TYPES.get(c, 'INTEGER')})" for c in _COLUMNS)
    return (
        f"SELECT '{name}', {shown}, count(DISTINCT CASE WHEN billed > 0 THEN child_id END), sum(present), "
        "sum(billed), sum(unrecorded), sum(certificate), sum(present * minutes), sum(billed * minutes) "
        f"FROM base GROUP BY {', '.join(keys)}"
    )


def caf_statement(engine: Engine) -> str:
    pg = engine.dialect.name == "postgresql"
    f = _PG if pg else _SQLITE
    opening = f"({f['minutes'].format(col='a.day_ends_at')} - {f['minutes'].format(col='a.day_starts_at')})"
    limited = " ".join(
        f"WHEN a.caf_category = '{category}' AND {opening} > {limit} THEN {limit}"
        for category, limit in DAY_LIMITS.items()
    )
    head = _CAF.format(
        minutes=f"CASE {limited} ELSE {opening} END",
        day_number=f["number"].format(col="d.day"),
        birth_number=f["number"].format(col="c.birth_date"),
    )
    return head + "\nUNION ALL\n".join(_level(name, keys) for name, keys in _LEVELS.items())


def _bound(engine: Engine, day: date) -> object:
    return day if engine.dialect.name == "postgresql" else day.isoformat()


def floor_caf_hours(engine: Engine, start: date, end: date, statement: str | None = None) -> Numbers:
    """The CAF hours' numbers of [start, end], every structure (see the module's doc)."""
    period = [_bound(engine, start), _bound(engine, end)]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            _sql(
                engine,
                "SELECT d.activity_id, count(*) FROM activity_days d WHERE d.day BETWEEN ? AND ? AND NOT d.closed "
                "GROUP BY d.activity_id",
            ),
            period,
        )
        open_days = cur.fetchall()
        cur.execute(
            "SELECT b.activity_id, b.id, b.qf_min, b.qf_max FROM price_brackets b ORDER BY b.activity_id, b.id"
        )
        brackets = cur.fetchall()
        cur.execute(_sql(engine, statement or caf_statement(engine)), period)
        rows = cur.fetchall()
        raw.rollback()
    finally:
        raw.close()
    labels: dict[int, dict[int, str]] = {}
    for activity_id, bracket_id, qf_min, qf_max in brackets:
        top = "∞" if qf_max is None else str(qf_max)
        labels.setdefault(activity_id, {})[bracket_id] = f"QF {qf_min}–{top}"

    def bracket(activity_id: int, bracket_id: int | None) -> str:
        if bracket_id is None:
            return UNKNOWN_QF if labels.get(activity_id) else SINGLE_PRICE
        return labels[activity_id][bracket_id]

    numbers: Numbers = {}
    for activity_id, n in open_days:
        numbers[("jours", activity_id)] = (int(n),)
        numbers[("activité", activity_id)] = (0,) * 7
    band = {0: "under_6", 1: "six_and_over"}
    for level, activity_id, age, bracket_id, structure_id, category, *counts in rows:
        key: tuple[object, ...]
        if level == "activité":
            key = (level, activity_id)
        elif level == "âge":
            key = (level, activity_id, band[int(age)])
        elif level == "QF":
            key = (level, activity_id, bracket(activity_id, bracket_id))
        elif level == "âge×QF":
            key = (level, activity_id, band[int(age)], bracket(activity_id, bracket_id))
        elif level == "catégorie×âge":
            key = (level, structure_id, category, band[int(age)])
        else:
            key = (level, structure_id, category)
        numbers[key] = tuple(int(x or 0) for x in counts)
    return numbers


def _counts(c: CafCounts) -> tuple[int, ...]:
    return (
        c.children,
        c.days_present,
        c.days_billed,
        c.days_unrecorded,
        c.days_certificate,
        c.minutes_present,
        c.minutes_billed,
    )


def caf_numbers(report: CafReport) -> Numbers:
    """The service's report in the floor's shape."""
    numbers: Numbers = {}
    for a in report.activities:
        numbers[("jours", a.activity_id)] = (a.days_open,)
        numbers[("activité", a.activity_id)] = _counts(a.total)
        for row in a.by_band:
            numbers[("âge", a.activity_id, row.band.value if row.band else None)] = _counts(row.counts)
        for row in a.by_bracket:
            numbers[("QF", a.activity_id, row.bracket)] = _counts(row.counts)
        for row in a.rows:
            band = row.band.value if row.band else None
            numbers[("âge×QF", a.activity_id, band, row.bracket)] = _counts(row.counts)
    for t in report.totals:
        numbers[("catégorie", t.structure_id, t.category.value)] = _counts(t.total)
        for row in t.by_band:
            band = row.band.value if row.band else None
            numbers[("catégorie×âge", t.structure_id, t.category.value, band)] = _counts(row.counts)
    return numbers


# --- the childcare tax certificate -----------------------------------------------------------------------------

_CAPPED_MEAL = "CASE WHEN x.meal <= 0 THEN 0 WHEN x.meal > x.charged THEN x.charged ELSE x.meal END"
_CHILDREN = f"""
SELECT x.family_id, x.structure_id, c.first_name, c.last_name, c.birth_date, count(*), sum(x.charged),
       sum({_CAPPED_MEAL})
FROM (SELECT r.id, c.family_id, a.structure_id, r.child_id, a.meal_cents AS meal, -sum(l.amount_cents) AS charged
      FROM reservations r
      JOIN ledger_entries l ON l.reservation_id = r.id
      JOIN activity_days d ON d.id = r.activity_day_id
      JOIN activities a ON a.id = d.activity_id
      JOIN children c ON c.id = r.child_id
      JOIN families f ON f.id = c.family_id
      WHERE l.kind IN ('charge', 'refund', 'reversal') AND d.day BETWEEN ? AND ? AND c.birth_date >= ?
        AND f.anonymized_at IS NULL {{only}}
      GROUP BY r.id, c.family_id, a.structure_id, r.child_id, a.meal_cents
      HAVING -sum(l.amount_cents) > 0) x
JOIN children c ON c.id = x.child_id
GROUP BY x.family_id, x.structure_id, c.id, c.first_name, c.last_name, c.birth_date
HAVING sum(x.charged) > sum({_CAPPED_MEAL})
ORDER BY x.family_id, x.structure_id, c.birth_date, c.id"""

_FAMILIES = (
    "SELECT id, name, address, postal_code, city, email, portal_login FROM families WHERE id IN ({ids})"
)
_STRUCTURES = "SELECT id, name, address, postal_code, city, siret, regie_name, regie_act, regisseur_name FROM structures"
_AUDIT = """
INSERT INTO audit_log (at, agent_id, structure_id, family_id, action, entity, entity_id, after)
VALUES (?, ?, ?, ?, ?, ?, ?, {json})"""
_OUTBOX = """
INSERT INTO outbox_messages (kind, dedup_key, family_id, recipient, subject, body, status, attempts, created_at,
                             next_attempt_at)
VALUES ('tax_certificate', ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedup_key) DO NOTHING"""

_BOLD = ParagraphStyle("floor_bold", fontName=FONT_BOLD, fontSize=13, leading=17)
_TEXT = ParagraphStyle("floor_text", fontName=FONT, fontSize=9.5, leading=12)
_BOXES = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), FONT, 9.5),
        ("BOX", (0, 0), (0, 0), 0.5, "grey"),
        ("BOX", (-1, 0), (-1, 0), 0.5, "grey"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
_NET = (
    "Les montants sont nets des aides déduites du prix de chaque journée (CAF, MSA, commune…) et des "
    "remboursements (journées annulées dans les délais, absences justifiées par un certificat médical) ; une "
    "absence non justifiée reste facturée. Les frais de nourriture (repas) en sont exclus."
)
_LAW = "article 200 quater B du code général des impôts"


def _eligible_children(year: int) -> str:
    return f"enfants de moins de 6 ans (nés à compter du {long_date(date(year - 6, 1, 1), weekday=False)})"


def _where(portal: str) -> str:
    """Where the e-mail sends the family for its PDF: the portal (a family with a login, a town that set its
    portal's address), else the counter."""
    if portal:
        return (
            f"Vous trouverez l'attestation (PDF) sur le portail famille, {portal}, page « Mes attestations », ou au "
            "guichet du service enfance-jeunesse."
        )
    return "Pour obtenir l'attestation (PDF), demandez-la au guichet du service enfance-jeunesse."


def _joined(*parts: str) -> str:
    return ", ".join(x for x in parts if x)


def _eur(cents: int) -> str:
    """« 1 234,56 € » with the no-break spaces the PDF fonts print (as the documents do)."""
    return format_eur(cents).replace("\u202f", "\xa0")


def _stamp(engine: Engine, moment: datetime) -> object:
    return moment if engine.dialect.name == "postgresql" else moment.replace(tzinfo=None).isoformat(sep=" ")


Child = tuple[str, str, date, int, int, int]
"""(first name, last name, born on, days, charged, meals) of one eligible child."""


def _eligible(
    cur: Any, engine: Engine, year: int, only: str, extra: list[object]
) -> dict[tuple, list[Child]]:
    """(family id, structure id) → its eligible children, in birth order."""
    pg = engine.dialect.name == "postgresql"
    bounds = [date(year, 1, 1), date(year, 12, 31), date(year - 6, 1, 1)]
    cur.execute(
        _sql(engine, _CHILDREN.format(only=only)), [*(d if pg else d.isoformat() for d in bounds), *extra]
    )
    found: dict[tuple, list[Child]] = {}
    for family_id, structure_id, first, last, born, days, charged, meals in cur.fetchall():
        born = born if isinstance(born, date) else date.fromisoformat(str(born))
        found.setdefault((family_id, structure_id), []).append(
            (first, last, born, int(days), int(charged), int(meals))
        )
    return found


def _table_rows(children: list[Child]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (f"{first} {last}", f"{born:%d/%m/%Y}", str(days), _eur(charged), _eur(meals), _eur(charged - meals))
        for first, last, born, days, charged, meals in children
    ]
    rows.append(
        (
            "Total de la famille",
            "",
            str(sum(c[3] for c in children)),
            _eur(sum(c[4] for c in children)),
            _eur(sum(c[5] for c in children)),
            _eur(sum(c[4] - c[5] for c in children)),
        )
    )
    return rows


def _draw(
    year: int, today: date, family: tuple, structure: tuple, rows: list[tuple[str, ...]], total: int
) -> bytes:
    """The certificate's page: ``family`` (id, name, address, postal code, city, …), ``structure`` (id, name, address,
    postal code, city, SIRET, régie, its act, régisseur)."""
    _, name, street, postal, city, siret, regie, act, regisseur = structure
    family_name = family[1]
    who = regisseur or "………………… (nom du régisseur non renseigné)"
    siret_text = (
        f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if len(siret) == 14 else siret or "non renseigné"
    )
    organiser = [name, _joined(street, f"{postal} {city}".strip()), f"SIRET : {siret_text}"]
    if regie:
        organiser.append(f"{regie} ({act})" if act else regie)
    address = _joined(family[2], f"{family[3]} {family[4]}".strip()) or "adresse non renseignée"
    story = [
        Paragraph(f"Attestation de frais de garde – année {year}", TITLE),
        Paragraph(f"Frais de garde des enfants de moins de 6 ans ({_LAW})", _TEXT),
        Spacer(1, 5 * mm),
        Table(
            [
                [
                    "Organisme d'accueil\n" + "\n".join(organiser),
                    "",
                    f"Bénéficiaire\nFamille {family_name}\n{address}",
                ]
            ],
            style=_BOXES,
        ),
        Spacer(1, 5 * mm),
        Paragraph(
            escape(
                f"Je soussigné(e), {who}, régisseur, certifie que les sommes ci-dessous ont été facturées à la "
                f"famille {family_name} par {name} pour l'accueil de ses {_eligible_children(year)}, pour les "
                f"journées de l'année {year} :"
            ),
            _TEXT,
        ),
        Spacer(1, 3 * mm),
        Table(
            [("Enfant", "Né(e) le", "Journées", "Facturé", "Repas déduits", "Montant retenu"), *rows],
            repeatRows=1,
            style=STYLE,
        ),
        Spacer(1, 4 * mm),
        Paragraph(f"Montant total des frais de garde : {_eur(total)}", _BOLD),
        Paragraph(f"Arrêté à la somme de {amount_in_words(total)}.", _TEXT),
        Paragraph(_NET, _TEXT),
        Paragraph(
            "À conserver : montant à reporter dans la déclaration des revenus, rubrique « Frais de garde des "
            "enfants de moins de 6 ans » (un montant par enfant).",
            _TEXT,
        ),
        Spacer(1, 6 * mm),
        Paragraph(escape(f"Fait à {city or '…'}, le {long_date(today, weekday=False)}."), _TEXT),
        Table(
            [["Cachet de l'organisme", f"Le régisseur\n{regisseur or 'nom non renseigné'}"]],
            rowHeights=[28 * mm],
            style=_BOXES,
        ),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def floor_certificate_pdf(
    engine: Engine, family_id: int, year: int, structure_id: int, today: date, agent_id: int | None = None
) -> tuple[bytes, list[tuple[str, ...]]]:
    """One family's certificate from one structure for a past year, and its table's rows: (child, born on, days,
    charged, meals, amount) per eligible child, then the family's total row. Its audit row is written first, in
    one transaction with the reads."""
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        children = _eligible(
            cur, engine, year, "AND c.family_id = ? AND a.structure_id = ?", [family_id, structure_id]
        )[(family_id, structure_id)]
        cur.execute(_sql(engine, _FAMILIES.format(ids="?")), [family_id])
        family = tuple(cur.fetchall()[0])
        cur.execute(_sql(engine, _STRUCTURES + " WHERE id = ?"), [structure_id])
        structure = tuple(cur.fetchall()[0])
        total = sum(c[4] - c[5] for c in children)
        after = json.dumps({"year": year, "total_cents": total, "portal": False})
        cur.execute(
            _sql(engine, _AUDIT.format(json="CAST(? AS json)" if pg else "?")),
            [_stamp(engine, datetime.now(UTC)), agent_id, structure_id, family_id, "tax_certificate.print"]
            + ["family", str(family_id), after],
        )
        raw.commit()
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
    rows = _table_rows(children)
    return _draw(year, today, family, structure, rows, total), rows


_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def floor_certificates_batch(
    engine: Engine, year: int, folder: Path, today: date, agent_id: int | None = None
) -> tuple[int, int]:
    """Every certificate of a past year: a PDF per family and structure written in ``folder``, an e-mail per family
    with an address queued in the outbox (the same subject and body as the batch's, once per family, structure and
    year), one audit row; (PDFs written, e-mails queued)."""
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        found = _eligible(cur, engine, year, "", [])
        ids = sorted({f for f, _ in found})
        families: dict[int, tuple] = {}
        for i in range(0, len(ids), 5_000):
            cur.execute(_FAMILIES.format(ids=",".join(str(int(x)) for x in ids[i : i + 5_000])))
            families.update((r[0], tuple(r)) for r in cur.fetchall())
        cur.execute(_STRUCTURES)
        structures = {r[0]: tuple(r) for r in cur.fetchall()}
        cur.execute("SELECT value FROM town_settings WHERE key = 'portal_address'")
        setting = cur.fetchall()
        raw.rollback()
        portal = setting[0][0] if setting else ""
        if portal and not pg:
            portal = json.loads(portal)
        portal = portal if isinstance(portal, str) else ""
        several = len({s for _, s in found}) > 1
        now = datetime.now(UTC)
        emails = []
        for (family_id, structure_id), children in found.items():
            family, structure = families[family_id], structures[structure_id]
            total = sum(c[4] - c[5] for c in children)
            name = f"Attestation frais de garde {year} - {family[1]} (n° {family_id})"
            if several:
                name += f" - {structure[1]}"
            path = folder / (_FORBIDDEN.sub("_", name)[:180].rstrip(" .") + ".pdf")
            path.write_bytes(_draw(year, today, family, structure, _table_rows(children), total))
            if family[5]:
                lines = "\n".join(
                    f"- {first} {last} : {format_eur(charged - meals)} ({count(days, 'journée')})"
                    for first, last, _born, days, charged, meals in children
                )
                body = (
                    f"Bonjour,\n\nVotre attestation de frais de garde {year} ({_LAW}) est disponible : "
                    f"{structure[1]} certifie les frais de garde de vos {_eligible_children(year)} :\n\n{lines}\n\nTotal : {format_eur(total)}."
                    f"\n\n{_NET}\n\n{_where(portal if family[6] else '')}\n\n{signature(structure[4])} – "
                    f"{structure[1]}"
                )
                emails.append(
                    [
                        f"tax-certificate:{family_id}:{structure_id}:{year}",
                        family_id,
                        family[5],
                        f"Attestation de frais de garde {year} – {structure[1]}",
                        body,
                        _stamp(engine, now),
                        _stamp(engine, now),
                    ]
                )
        if not pg:
            cur.execute("BEGIN IMMEDIATE")
        if emails:
            cur.executemany(_sql(engine, _OUTBOX), emails)
        with_email = {f for f, _ in found if families[f][5]}
        after = {
            "year": year,
            "families": len(ids),
            "pdfs": len(found),
            "emails_queued": len(emails),
            "without_email": len(ids) - len(with_email),
        }
        cur.execute(
            _sql(engine, _AUDIT.format(json="CAST(? AS json)" if pg else "?")),
            [
                _stamp(engine, now),
                agent_id,
                None,
                None,
                "tax_certificate.batch",
                "tax_certificates",
                str(year),
            ]
            + [json.dumps(after)],
        )
        raw.commit()
        return len(found), len(emails)
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
