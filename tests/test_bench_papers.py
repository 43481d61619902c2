"""The town's papers in ``python -m bench`` (``bench/papers.py``): the CAF hours' and the tax certificates' floors
give the numbers, rows, files and e-mails of the services themselves, also on what the city dataset lacks (price
brackets, medical certificates, a closed day, meals); and their lines in the table (the timings themselves live in
``python -m bench``)."""

from __future__ import annotations

import re
from datetime import date

import pypdfium2 as pdfium
import pytest
from sqlalchemy import String, cast, delete, func, insert, literal, select, update

from app.models import (
    Activity,
    ActivityDay,
    AuditEntry,
    Child,
    Family,
    LedgerEntry,
    LedgerKind,
    OutboxMessage,
    PriceBracket,
    Reservation,
    ReservationStatus,
    TownSetting,
)
from app.services.actors import system_actor
from app.services.booking.caf_hours import SINGLE_PRICE, UNKNOWN_QF, caf_hours
from app.services.documents.tax_certificate import tax_certificate_pdf, tax_certificates_batch
from app.services.money.tax_certificates import certificates
from app.services.uow import Database
from app.text import amount_in_words, format_eur
from bench import papers
from bench.dataset import BENCH_TODAY
from bench.floor_papers import caf_numbers, floor_caf_hours, floor_certificate_pdf, floor_certificates_batch
from bench.measure import NOW
from bench.papers import SCHOOL_YEAR, TAX_YEAR, certificate_family, holiday_period


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        extracted = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(extracted.replace("\xa0", " ").replace("\u202f", " ").replace("\r", " ").split())


def _plain(value: str) -> str:
    return " ".join(value.replace("\xa0", " ").replace("\u202f", " ").split())


def _beyond_the_dataset(db: Database, loaded) -> None:
    """Price brackets on the holidays' activity (a family without a quotient falls in none), medical certificates
    on absences, a closed day with its reservations, a meal part on the Wednesdays, the portal's address and some
    families' logins; the structures' SIRET and régisseur, as the bench sets them."""
    with db.writing() as uow:
        s = uow.session
        s.execute(
            insert(PriceBracket),
            [
                {"activity_id": loaded.alsh_id, "qf_min": 0, "qf_max": 900, "price_cents": 900},
                {"activity_id": loaded.alsh_id, "qf_min": 901, "qf_max": 1600, "price_cents": 1100},
                {"activity_id": loaded.alsh_id, "qf_min": 1601, "qf_max": None, "price_cents": 1300},
            ],
        )
        s.execute(update(Family).where(Family.id % 7 == 0).values(quotient_familial=None))
        absent = list(
            s.scalars(
                select(Reservation.id).where(Reservation.attendance == "absent").order_by(Reservation.id)
            )
        )
        assert len(absent) >= 4
        s.execute(update(Reservation).where(Reservation.id.in_(absent[::2])).values(certificate_at=NOW))
        busy = s.scalars(
            select(ActivityDay.id)
            .join(Reservation, Reservation.activity_day_id == ActivityDay.id)
            .where(ActivityDay.day.between(*SCHOOL_YEAR), Reservation.status == ReservationStatus.ACCEPTED)
            .group_by(ActivityDay.id)
            .order_by(func.count().desc(), ActivityDay.id)
            .limit(1)
        ).one()
        s.execute(
            update(ActivityDay).where(ActivityDay.id == busy).values(closed=True, closed_reason="Grève")
        )
        s.execute(update(Activity).where(Activity.id.in_(loaded.alae_ids)).values(meal_cents=250))
        # the e-mails' two endings: the portal for a family with a login, the counter for the others
        s.add(TownSetting(key="portal_address", value="https://portail.example.org", updated_at=NOW))
        s.execute(
            update(Family)
            .where(Family.id % 3 == 0)
            .values(portal_login=literal("famille-") + cast(Family.id, String))
        )
        uow.commit()
    papers.identify_structures(db)


def test_the_caf_floor_counts_what_the_service_counts(small_city):
    db, loaded = small_city
    _beyond_the_dataset(db, loaded)
    with db.reading() as uow:
        actor = system_actor(uow.session)
    _, start, end = holiday_period(db)
    for first, last in (SCHOOL_YEAR, (start, end)):
        ours = caf_numbers(caf_hours(db, actor, first, last))
        assert floor_caf_hours(db.engine, first, last) == ours
    year = caf_numbers(caf_hours(db, actor, *SCHOOL_YEAR))
    brackets = {k[2] for k in year if k[0] == "QF"}
    assert SINGLE_PRICE in brackets and UNKNOWN_QF in brackets and "QF 901–1600" in brackets
    assert {k[3] for k in year if k[0] == "catégorie×âge"} == {"under_6", "six_and_over"}
    totals = [v for k, v in year.items() if k[0] == "activité"]
    assert sum(t[4] for t in totals) >= 2  # days with a certificate: neither present nor billed
    assert 0 < sum(t[1] for t in totals) < sum(t[2] for t in totals)  # absences billed
    assert sum(t[3] for t in totals) > 0  # the summer's days, not recorded yet
    assert len({k[1] for k in year if k[0] == "jours"}) == 4


def test_the_certificate_floor_draws_the_rows_and_sentences_of_the_certificate(small_city):
    db, loaded = small_city
    _beyond_the_dataset(db, loaded)
    with db.reading() as uow:
        actor = system_actor(uow.session)
    family_id, structure_id = certificate_family(db)
    with db.writing() as uow:  # a day refunded in full: no day, no meal taken off
        s = uow.session
        charge = s.scalars(
            select(LedgerEntry)
            .join(Reservation, Reservation.id == LedgerEntry.reservation_id)
            .join(Child, Child.id == Reservation.child_id)
            .join(ActivityDay, ActivityDay.id == Reservation.activity_day_id)
            .join(Activity, Activity.id == ActivityDay.activity_id)
            .where(
                LedgerEntry.kind == LedgerKind.CHARGE,
                Child.family_id == family_id,
                Child.birth_date >= date(TAX_YEAR - 6, 1, 1),
                Activity.structure_id == structure_id,
                ActivityDay.day.between(date(TAX_YEAR, 1, 1), date(TAX_YEAR, 12, 31)),
            )
            .order_by(LedgerEntry.id)
        ).first()
        assert charge is not None
        s.add(
            LedgerEntry(
                wallet_id=charge.wallet_id,
                kind=LedgerKind.REFUND,
                amount_cents=-charge.amount_cents,
                label="Remboursement",
                created_at=charge.created_at,
                business_date=charge.business_date,
                reservation_id=charge.reservation_id,
            )
        )
        uow.commit()
    with db.reading() as uow:
        [c] = certificates(uow.session, TAX_YEAR, None, family_ids=[family_id], structure_id=structure_id)
        audits = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    pdf, rows = floor_certificate_pdf(
        db.engine, family_id, TAX_YEAR, structure_id, BENCH_TODAY, actor.agent_id
    )
    assert rows[:-1] == [
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
    assert rows[-1][2:] == (
        str(c.days),
        format_eur(sum(ch.charged_cents for ch in c.children)).replace("\u202f", "\xa0"),
        format_eur(sum(ch.meal_cents for ch in c.children)).replace("\u202f", "\xa0"),
        format_eur(c.total_cents).replace("\u202f", "\xa0"),
    )
    if structure_id in loaded.structure_ids[:2]:
        assert any(ch.meal_cents for ch in c.children)  # the Wednesdays' meal part taken off
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == audits + 1
    floor_text = _text(pdf)
    service_text = _text(tax_certificate_pdf(db, actor, family_id, TAX_YEAR, structure_id))
    for text in (
        f"Attestation de frais de garde – année {TAX_YEAR}",
        f"Famille {c.family_name}",
        f"certifie que les sommes ci-dessous ont été facturées à la famille {c.family_name}",
        f"moins de 6 ans (nés à compter du 1er janvier {TAX_YEAR - 6})",
        f"Montant total des frais de garde : {_plain(format_eur(c.total_cents))}",
        f"Arrêté à la somme de {amount_in_words(c.total_cents)}.",
        "Les frais de nourriture (repas) en sont exclus.",
        "Fait à Montech, le 1er juin 2026.",
        "Cachet de l'organisme",
        *(_plain(cell) for row in rows for cell in row if cell),
    ):
        assert text in floor_text and text in service_text, text


def _mails(db: Database) -> list[tuple]:
    with db.reading() as uow:
        return [
            tuple(r)
            for r in uow.session.execute(
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
        ]


def test_the_batch_floor_writes_the_files_and_e_mails_of_the_batch(small_city, tmp_path):
    db, loaded = small_city
    _beyond_the_dataset(db, loaded)
    with db.reading() as uow:
        actor = system_actor(uow.session)
    ours, floor = tmp_path / "service", tmp_path / "floor"
    ours.mkdir()
    floor.mkdir()
    done = tax_certificates_batch(db, actor, TAX_YEAR, str(ours))
    mails = _mails(db)
    assert done.pdfs > done.families >= 10 and len(mails) == done.emails_queued > 0
    endings = {body.rsplit("\n\n", 2)[-2] for *_, body in mails}
    assert len(endings) == 2 and any("https://portail.example.org" in e for e in endings)
    with db.writing() as uow:
        uow.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == "tax_certificate"))
        uow.commit()
    assert floor_certificates_batch(db.engine, TAX_YEAR, floor, BENCH_TODAY, actor.agent_id) == (
        done.pdfs,
        done.emails_queued,
    )
    assert sorted(p.name for p in floor.iterdir()) == sorted(p.name for p in ours.iterdir())
    assert _mails(db) == mails
    # run again: the same files, no e-mail twice
    assert floor_certificates_batch(db.engine, TAX_YEAR, floor, BENCH_TODAY, actor.agent_id)[0] == done.pdfs
    assert _mails(db) == mails
    for path in sorted(ours.iterdir())[:3]:  # the same certificate in both files
        total = re.search(r"Montant total des frais de garde : [0-9 ,]+ €", _text(path.read_bytes()))
        assert total is not None and total.group() in _text((floor / path.name).read_bytes())


def test_the_papers_lines_compare_the_same_work_and_say_so(small_city, tmp_path):
    """Each line checks its floor's numbers against the service's before the runs; a floor that differs fails it."""
    db, _ = small_city
    with db.reading() as uow:
        actor = system_actor(uow.session)
    year, holidays = papers.caf_lines(db, actor, runs=2, year_runs=2)
    certificate = papers.certificate_line(db, actor, runs=2)
    batch = papers.batch_line(db, actor, runs=1)
    assert year.name == "Heures CAF (une année scolaire)"
    assert holidays.name == "Heures CAF (vacances de printemps 2026)"
    assert certificate.name.startswith("Attestation de frais de garde PDF (")
    assert batch.name == "Attestations de frais de garde : le lot de l'année"
    for line, target, runs in ((year, 3, 2), (holidays, 3, 2), (certificate, 1.5, 2), (batch, 1.5, 1)):
        assert (line.target_ratio, line.basis, line.runs, line.sound) == (target, "p50", runs, True)
        assert line.ratio is not None and line.ratio > 0 and line.why
        assert line.note.endswith("que le plancher : oui")
    assert _mails(db) == []  # the batch's runs leave no e-mail behind

    def other(engine, first, last, statement=None):
        numbers = floor_caf_hours(engine, first, last, statement)
        key = next(k for k in numbers if k[0] == "activité")
        return numbers | {key: (0,) * 7}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(papers, "floor_caf_hours", other)
        wrong, _ = papers.caf_lines(db, actor, runs=1, year_runs=1)
    assert wrong.sound is False and wrong.ok is False and wrong.note.endswith("que le plancher : NON")
