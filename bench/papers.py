"""The town's papers (issue 34) on the city dataset, each against its floor (``bench/floor_papers.py``) measured in
the same run, alternately: the CAF's hours of a school year and of a holiday period, and one family's childcare
tax certificate. Before the runs, the service and its floor are run once and their numbers (or the certificate's
rows) compared: a line whose floor does other work than the service is marked failed, whatever its times."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import delete, select, text

from app.models import OutboxMessage, SchoolHoliday, Structure
from app.services.actors import Actor, system_actor
from app.services.booking.caf_hours import caf_hours
from app.services.documents.tax_certificate import tax_certificate_pdf, tax_certificates_batch
from app.services.money.tax_certificates import certificates
from app.services.uow import Database
from app.text import count, format_eur

from .dataset import BENCH_TODAY
from .floor_papers import (
    caf_numbers,
    caf_statement,
    floor_caf_hours,
    floor_certificate_pdf,
    floor_certificates_batch,
)
from .measure import Result, compare, paired

SCHOOL_YEAR = (date(2025, 9, 1), date(2026, 8, 31))
"""A school year both datasets hold whole (the quick one has 2025-2026 and 2026-2027)."""
HOLIDAYS = "Vacances de printemps"
"""The holiday period measured: the school year's spring holidays, past on the bench's day (attendance recorded)."""
TAX_YEAR = 2025
"""A past calendar year (the bench's day is in 2026): the certificate's sums are final."""

WHY = {
    "caf": "the service reads the period's accepted reservations in one grouped query at the finest grain (activity, "
    "age band, bracket, child) and adds every level of totals up in Python; before it, its fixed part reads the "
    "structures, the activities with their open days and their brackets through the ORM and checks the agent: on a "
    "short period (a floor of a few ms) that fixed part is most of its time",
    "batch": "the batch draws each certificate as the counter's print does (the letterhead with the logo, the footer), "
    "reads the families, children and structures through the ORM, writes each PDF owner-only into a temporary "
    "folder, then records the e-mails and the audit row and moves the files into place (all or none)",
    "certificate": "the page itself costs what the floor's whole work does (drawn alone, the service's page takes "
    "about the floor's time, letterhead, logo and footer included); the rest is the print's write transaction: the "
    "agent read and let in twice (the service's check, then the write's), the children, the family and the "
    "structure read through the ORM, the audit row's JSON sealed with the family's key",
}


def holiday_period(db: Database) -> tuple[str, date, date]:
    with db.reading() as uow:
        name, start, end = uow.session.execute(
            select(SchoolHoliday.name, SchoolHoliday.start_date, SchoolHoliday.end_date)
            .where(
                SchoolHoliday.name == HOLIDAYS,
                SchoolHoliday.start_date.between(*SCHOOL_YEAR),
            )
            .order_by(SchoolHoliday.zone)
            .limit(1)
        ).one()
    return name, start, end


def _caf_calls(
    db: Database, actor: Actor, first: date, last: date, statement: str
) -> tuple[Callable[[object], object], Callable[[object], object]]:
    """The service's call and its floor's for one period (``paired``'s input unused)."""
    return (
        lambda _: caf_hours(db, actor, first, last),
        lambda _: floor_caf_hours(db.engine, first, last, statement),
    )


def caf_lines(db: Database, actor: Actor, runs: int, year_runs: int) -> list[Result]:
    """The CAF hours of the school year and of the holiday period, p50 against the floor's."""
    name, start, end = holiday_period(db)
    statement = caf_statement(db.engine)
    results = []
    for label, (first, last), n in (
        ("une année scolaire", SCHOOL_YEAR, year_runs),
        (f"{name.lower()} {start.year}", (start, end), runs),
    ):
        report = caf_hours(db, actor, first, last)
        ours_numbers = caf_numbers(report)
        same = ours_numbers == floor_caf_hours(db.engine, first, last, statement)
        ours, floor = paired(*_caf_calls(db, actor, first, last, statement), lambda: None, n)
        result = compare(
            f"Heures CAF ({label})",
            ours,
            floor,
            3,
            "p50",
            "les mêmes nombres en 3 requêtes SQL (DB-API)",
            WHY["caf"],
        )
        result.sound = same
        billed = sum(a.total.days_billed for a in report.activities)
        result.note = (
            f"{count(len(report.activities), 'activité')}, {count(billed, 'journée facturée', 'journées facturées')}, "
            f"{len(ours_numbers)} lignes de totaux ; mêmes nombres que le plancher : {'oui' if same else 'NON'}"
        )
        results.append(result)
    return results


def identify_structures(db: Database) -> None:
    """The structures' SIRET and régisseur, where the dataset left them empty: a town fills them in before it prints
    its certificates (the year's batch refuses to go without them). Written on the run's copy of the dataset."""
    with db.writing() as uow:
        for structure in uow.session.scalars(select(Structure).order_by(Structure.id)):
            if not structure.siret:
                structure.siret = f"2138201150{structure.id:04d}"[:14]
            if not structure.regisseur_name:
                structure.regisseur_name = f"Régisseur {structure.code}"
        uow.commit()


def certificate_family(db: Database, year: int = TAX_YEAR) -> tuple[int, int]:
    """The family and structure with the most days charged for children under 6 in ``year``."""
    with db.reading() as uow:
        family_id, structure_id = uow.session.execute(
            text(
                "SELECT c.family_id, a.structure_id FROM reservations r "
                "JOIN children c ON c.id = r.child_id JOIN activity_days d ON d.id = r.activity_day_id "
                "JOIN activities a ON a.id = d.activity_id "
                "WHERE r.price_cents IS NOT NULL AND d.day BETWEEN :first AND :last AND c.birth_date >= :born "
                "GROUP BY c.family_id, a.structure_id ORDER BY count(*) DESC, c.family_id, a.structure_id LIMIT 1"
            ),
            {"first": date(year, 1, 1), "last": date(year, 12, 31), "born": date(year - 6, 1, 1)},
        ).one()
    return int(family_id), int(structure_id)


def certificate_line(db: Database, actor: Actor, runs: int) -> Result:
    """One family's certificate PDF, p50 against the floor's."""
    identify_structures(db)
    family_id, structure_id = certificate_family(db)
    with db.reading() as uow:
        [c] = certificates(uow.session, TAX_YEAR, None, family_ids=[family_id], structure_id=structure_id)
    expected = [
        (
            f"{ch.first_name} {ch.last_name}",
            f"{ch.birth_date:%d/%m/%Y}",
            str(ch.days),
            *(
                format_eur(x).replace("\u202f", "\xa0")
                for x in (ch.charged_cents, ch.meal_cents, ch.amount_cents)
            ),
        )
        for ch in c.children
    ]
    _, rows = floor_certificate_pdf(db.engine, family_id, TAX_YEAR, structure_id, BENCH_TODAY, actor.agent_id)
    same = rows[:-1] == expected and rows[-1][5] == format_eur(c.total_cents).replace("\u202f", "\xa0")
    ours, floor = paired(
        lambda _: tax_certificate_pdf(db, actor, family_id, TAX_YEAR, structure_id),
        lambda _: floor_certificate_pdf(
            db.engine, family_id, TAX_YEAR, structure_id, BENCH_TODAY, actor.agent_id
        ),
        lambda: None,
        runs,
    )
    result = compare(
        f"Attestation de frais de garde PDF ({len(c.children)} enfant{'s' if len(c.children) > 1 else ''})",
        ours,
        floor,
        1.5,
        "p50",
        "la même page en reportlab nu (SimpleDocTemplate + Table)",
        WHY["certificate"],
    )
    result.sound = same
    result.note = f"{c.days} journées, {format_eur(c.total_cents)} ; mêmes lignes que le plancher : {'oui' if same else 'NON'}"
    return result


def _outbox(db: Database) -> list[tuple[str, int, str, str, str]]:
    """The batch's e-mails queued: (dedup key, family, recipient, subject, body), by key."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(
                OutboxMessage.dedup_key,
                OutboxMessage.family_id,
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.body,
            )
            .where(OutboxMessage.kind == "tax_certificate")
            .order_by(OutboxMessage.dedup_key)
        )
        return [(k, int(f or 0), r, s, b) for k, f, r, s, b in rows]


def _forget_batch(db: Database, *folders: Path) -> None:
    """The batch's e-mails and files removed, so that the next run queues and writes them all again."""
    with db.writing() as uow:
        uow.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == "tax_certificate"))
        uow.commit()
    for folder in folders:
        for path in folder.iterdir():
            path.unlink()


def batch_line(db: Database, actor: Actor, runs: int) -> Result:
    """The year's batch (every family's certificate written in a folder, the e-mails queued), its time against
    the floor's, alternately; the first round checks that both write the same files and e-mails."""
    identify_structures(db)
    import tempfile

    ours_ms, floor_ms = [], []
    same = True
    detail = ""
    with tempfile.TemporaryDirectory() as ours_dir, tempfile.TemporaryDirectory() as floor_dir:
        mine, plain = Path(ours_dir), Path(floor_dir)
        for i in range(runs):
            _forget_batch(db, mine, plain)
            start = time.perf_counter()
            done = tax_certificates_batch(db, actor, TAX_YEAR, str(mine))
            ours_ms.append((time.perf_counter() - start) * 1000)
            if i == 0:
                mails = _outbox(db)
                _forget_batch(db)
            start = time.perf_counter()
            pdfs, queued = floor_certificates_batch(db.engine, TAX_YEAR, plain, BENCH_TODAY, actor.agent_id)
            floor_ms.append((time.perf_counter() - start) * 1000)
            if i == 0:
                same = (
                    (pdfs, queued) == (done.pdfs, done.emails_queued)
                    and sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in plain.iterdir())
                    and _outbox(db) == mails
                )
                size = sum(p.stat().st_size for p in mine.iterdir()) / 1_000_000
                detail = (
                    f"{done.families} familles, {done.pdfs} PDF ({size:.0f} Mo), {done.emails_queued} e-mails"
                )
        _forget_batch(db, mine, plain)
    result = compare(
        "Attestations de frais de garde : le lot de l'année",
        ours_ms,
        floor_ms,
        1.5,
        "p50",
        "les mêmes PDF en reportlab nu, les mêmes e-mails en DB-API",
        WHY["batch"],
    )
    result.sound = same
    result.note = f"{detail} ; mêmes fichiers et e-mails que le plancher : {'oui' if same else 'NON'}"
    return result


def town_papers(db: Database, quick: bool) -> list[Result]:
    """The lines of the town's papers, in the table's order."""
    with db.reading() as uow:
        actor = system_actor(uow.session)
    runs = 10 if quick else 30
    return [
        *caf_lines(db, actor, runs, 5 if quick else 10),
        certificate_line(db, actor, runs),
        batch_line(db, actor, 3 if quick else 1),
    ]
