"""The « attestation de frais de garde » (issue 34, item 1), on SQLite and PostgreSQL: the amounts of the issue's
worked examples computed by hand, the PDF's text, the year's batch (files, e-mails once, counts), a future year
refused, and the portal's « Mes attestations »."""

from __future__ import annotations

import html
import io
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import paris
from app.models import (
    ActivityDay,
    ActivityKind,
    Agent,
    AidKind,
    AidType,
    Attendance,
    AuditEntry,
    Child,
    Family,
    FamilyAid,
    OutboxMessage,
    Reservation,
    Role,
    Structure,
    WalletKind,
)
from app.services.actors import Actor
from app.services.booking import lifecycle
from app.services.booking.decide import Accept
from app.services.documents.tax_certificate import tax_certificate_pdf, tax_certificates_batch
from app.services.errors import (
    FutureYear,
    NothingEligible,
    PermissionDenied,
    StructureIdentityMissing,
    ValidationError,
)
from app.services.families.search import refresh_search_text
from app.services.money import ledger
from app.services.money.pricing import day_price
from app.services.money.tax_certificates import certificate_choices, eligible_families
from app.services.security import hash_password
from app.services.uow import Database
from tests import factories

YEAR = 2025
NOW = paris(date(2026, 2, 10), time(10, 0))
"""The counter's clock: 2025 is a past year, 2026 the current one."""
SIRET = "21820125600011"
PRICE, MEAL, ALAE_PRICE = 1300, 350, 800
PORTAL_PASSWORD = "cheval-tulipe-ardoise"


@dataclass
class Town:
    db: Database
    agent: Actor
    supervisor: Actor
    alsh: int
    alae: int
    martin: int
    bernard: int
    petit: int
    durand: int
    leo: int
    jade: int
    emma: int


def _at(d: date, hour: int = 9) -> datetime:
    return paris(d, time(hour, 0))


def _book(s, who: Actor, family: Family, child: Child, activity, d: date, price: int) -> Reservation:
    """A request accepted and charged by the lifecycle itself (its CHARGE entry), booked a month before."""
    day = s.scalar(select(ActivityDay).where(ActivityDay.activity_id == activity.id, ActivityDay.day == d))
    if day is None:
        day = factories.day(s, activity.id, d, capacity=10)
    plan = lifecycle.Plan(_at(date(d.year, d.month, 1)), who, "", ledger.LedgerBatch(s))
    plan.requesting.append(lifecycle.Requesting(child, family, activity, day, Accept(price)))
    (rid,) = lifecycle.apply(s, plan).request_ids
    s.flush()
    return s.get(Reservation, rid)


def _cancel(s, who: Actor, res: Reservation, activity) -> None:
    s.refresh(res)
    plan = lifecycle.Plan(_at(res.activity_day.day.replace(day=1)), who, "", ledger.LedgerBatch(s))
    plan.cancelling.append(
        lifecycle.Cancelling(
            res, res.child.family_id, activity, lifecycle.refund_due(res), "Annulation (test)"
        )
    )
    lifecycle.apply(s, plan)


def _family(s, name: str, email: str | None, *children: tuple[str, date]) -> Family:
    family = Family(
        name=name,
        email=email,
        address="3 rue des Tilleuls",
        postal_code="82700",
        city="Montech",
        created_at=datetime(2024, 9, 1, tzinfo=UTC),
    )
    for first, born in children:
        family.children.append(Child(first_name=first, last_name=name.title(), birth_date=born))
    refresh_search_text(family)
    s.add(family)
    s.flush()
    ledger.open_wallets(s, family)
    return family


@pytest.fixture
def town(db: Database) -> Town:
    """Two structures; the MARTIN family (Léo, 5 on 1 January 2025; Jade, 6 on 2 January 2025; Emma, 6 on
    31 December 2024), BERNARD (an aid of 4,00 € a day, no e-mail), PETIT (a child of 9), DURAND (a day whose
    meal part is more than its price)."""
    db.clock.set(NOW)
    with db.writing() as uow:
        s = uow.session
        people = []
        for login, name, role in (
            ("guichet", "Gaston Guichet", Role.AGENT),
            ("regie", "Régine Sorel", Role.SUPERVISOR),
        ):
            agent = Agent(login=login, full_name=name, role=role, created_at=NOW)
            s.add(agent)
            s.flush()
            people.append(Actor(agent.id, role, name))
        agent, supervisor = people
        alsh = factories.structure(s, "ALSH-MONTECH")
        alsh.name, alsh.address, alsh.postal_code, alsh.city = (
            "ALSH de Montech",
            "2 rue de l'École",
            "82700",
            "Montech",
        )
        alsh.siret, alsh.regisseur_name = SIRET, "Régine Sorel"
        alsh.regie_name, alsh.regie_act = "Régie enfance-jeunesse de Montech", "arrêté n° 2019-042"
        alae = factories.structure(s, "ALAE-MONTECH")
        alae.name, alae.city = "ALAE de l'école Jules-Ferry", "Montech"
        alae.siret, alae.regisseur_name = "73282932000074", "Paul Ferrand"
        clsh = factories.activity(s, alsh.id, code="CLSH", price=PRICE, capacity=10)
        clsh.meal_cents = MEAL  # the meal part, set in the database (the activity form is another helper's)
        mer = factories.activity(s, alae.id, code="MER", price=ALAE_PRICE, capacity=10)
        mer.kind, mer.wallet_kind = ActivityKind.ALAE_WEDNESDAY, WalletKind.ALAE
        cheap = factories.activity(s, alsh.id, code="STAGE", price=200, capacity=10)
        cheap.meal_cents = MEAL
        martin = _family(
            s,
            "MARTIN",
            "martin@example.org",
            ("Léo", date(2019, 10, 3)),
            ("Jade", date(2019, 1, 2)),
            ("Emma", date(2018, 12, 31)),
        )
        by_name = {c.first_name: c for c in martin.children}
        leo, jade, emma = by_name["Léo"], by_name["Jade"], by_name["Emma"]
        # Léo: five July days at 13,00 €: two present, one cancelled in time (refunded), one absent without a
        # certificate (billed), one absent with a certificate (refunded); a day of 2024 and one of 2026 (not 2025)
        days = [_book(s, agent, martin, leo, clsh, date(2025, 7, d), PRICE) for d in (7, 8, 9, 10, 11)]
        _cancel(s, agent, days[2], clsh)
        lifecycle.record_attendance(s, days[0], Attendance.PRESENT, _at(date(2025, 7, 7), 18), agent)
        lifecycle.record_attendance(s, days[1], Attendance.PRESENT, _at(date(2025, 7, 8), 18), agent)
        lifecycle.record_attendance(s, days[3], Attendance.ABSENT, _at(date(2025, 7, 10), 18), agent)
        lifecycle.record_attendance(s, days[4], Attendance.ABSENT, _at(date(2025, 7, 11), 18), agent)
        lifecycle.record_certificate(s, days[4], _at(date(2025, 7, 12), 10), agent)
        _book(s, agent, martin, leo, clsh, date(2024, 12, 23), PRICE)
        _book(s, agent, martin, leo, clsh, date(2026, 1, 2), PRICE)
        # Léo at the ALAE (another structure, no meal part): one Wednesday
        _book(s, agent, martin, leo, mer, date(2025, 10, 8), ALAE_PRICE)
        # Jade, 6 since 2 January 2025: under 6 on 1 January, her November day counts
        _book(s, agent, martin, jade, clsh, date(2025, 11, 3), PRICE)
        # Emma, 6 on 31 December 2024: not eligible
        _book(s, agent, martin, emma, clsh, date(2025, 7, 7), PRICE)
        _book(s, agent, martin, emma, clsh, date(2025, 7, 8), PRICE)
        # BERNARD: a CAF aid of 4,00 € a day, the price charged is net of it
        bernard = _family(s, "BERNARD", None, ("Noah", date(2021, 4, 4)))
        caf = AidType(kind=AidKind.CAF, name="CAF – aide au temps libre (test)")
        s.add(caf)
        s.flush()
        s.add(
            FamilyAid(
                family_id=bernard.id,
                aid_type_id=caf.id,
                wallet_kind=WalletKind.ALSH,
                amount_cents=400,
                valid_from=date(2025, 1, 1),
                valid_to=date(2025, 12, 31),
            )
        )
        s.flush()
        s.refresh(bernard)
        (noah,) = bernard.children
        for d in (date(2025, 4, 14), date(2025, 4, 15)):
            price = day_price(clsh, d, bernard.quotient_familial, bernard.aids).cents
            _book(s, agent, bernard, noah, clsh, d, price)
        _book(
            s,
            agent,
            bernard,
            noah,
            clsh,
            date(2026, 1, 5),
            day_price(clsh, date(2026, 1, 5), None, bernard.aids).cents,
        )
        petit = _family(s, "PETIT", "petit@example.org", ("Lucas", date(2016, 2, 2)))
        _book(s, agent, petit, petit.children[0], clsh, date(2025, 7, 7), PRICE)
        durand = _family(s, "DURAND", "durand@example.org", ("Inès", date(2022, 6, 6)))
        _book(s, agent, durand, durand.children[0], cheap, date(2025, 7, 9), 200)
        martin.portal_login, martin.portal_password_hash = "martin01", hash_password(PORTAL_PASSWORD)
        bernard.portal_login, bernard.portal_password_hash = "bernard01", hash_password(PORTAL_PASSWORD)
        uow.commit()
        return Town(
            db,
            agent,
            supervisor,
            alsh.id,
            alae.id,
            martin.id,
            bernard.id,
            petit.id,
            durand.id,
            leo.id,
            jade.id,
            emma.id,
        )


def _text(pdf: bytes) -> str:
    raw = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(raw.replace("\u00a0", " ").replace("\u202f", " ").split())


def _certificate(t: Town, family_id: int, structure_id: int):
    from app.services.money.tax_certificates import family_certificate

    with t.db.reading() as uow:
        return family_certificate(uow.session, family_id, YEAR, structure_id, NOW.date())


def test_a_child_of_5_with_days_a_refund_and_an_absence_billed(town: Town):
    c = _certificate(town, town.martin, town.alsh)
    jade, leo = c.children  # by birth date: Jade (2 January 2019) then Léo; Emma (6 on 1 January) absent
    assert (jade.first_name, leo.first_name) == ("Jade", "Léo")
    # Léo: 5 July days; the cancelled one and the certified absence refunded: 3 days charged (2 present, 1 absent
    # billed); the 2024 and 2026 days are other years
    assert leo.days == 3
    assert leo.charged_cents == 3 * 1300 == 3900
    assert leo.meal_cents == 3 * 350 == 1050
    assert leo.amount_cents == 3900 - 1050 == 2850
    # Jade, 6 on 2 January 2025 (under 6 on 1 January): her November day counts
    assert (jade.days, jade.charged_cents, jade.meal_cents, jade.amount_cents) == (1, 1300, 350, 950)
    assert c.total_cents == 2850 + 950 == 3800
    assert c.as_of is None
    assert town.emma not in {ch.child_id for ch in c.children}


def test_a_child_born_on_1_january_six_years_before_is_eligible(town: Town):
    """The tax forms: children « nés à compter du 1er janvier 2019 » for the 2025 income: born on 1 January 2019
    counts (6 that very day), born on 31 December 2018 does not."""
    with town.db.writing() as uow:
        s = uow.session
        leroy = _family(
            s, "LEROY", "leroy@example.org", ("Chloé", date(2019, 1, 1)), ("Hugo", date(2018, 12, 31))
        )
        clsh = s.scalar(select(ActivityDay).where(ActivityDay.day == date(2025, 7, 7))).activity
        for child in leroy.children:
            _book(s, town.agent, leroy, child, clsh, date(2025, 7, 7), PRICE)
        uow.commit()
        leroy_id = leroy.id
    (chloe,) = _certificate(town, leroy_id, town.alsh).children
    assert (chloe.first_name, chloe.birth_date) == ("Chloé", date(2019, 1, 1))
    assert (chloe.days, chloe.amount_cents) == (1, 1300 - 350)
    assert eligible_families(town.db, YEAR).families == 3


def test_another_structure_is_another_certificate(town: Town):
    c = _certificate(town, town.martin, town.alae)
    (leo,) = c.children
    assert (leo.days, leo.charged_cents, leo.meal_cents, leo.amount_cents) == (1, 800, 0, 800)
    assert c.organiser.name == "ALAE de l'école Jules-Ferry"


def test_a_family_with_an_aid_is_certified_the_price_net_of_it(town: Town):
    c = _certificate(town, town.bernard, town.alsh)
    (noah,) = c.children
    # 13,00 € − 4,00 € of CAF aid = 9,00 € a day charged, 2 days; 3,50 € of meal each
    assert (noah.days, noah.charged_cents) == (2, 2 * (1300 - 400))
    assert noah.meal_cents == 700 and noah.amount_cents == 1800 - 700 == 1100


def test_no_certificate_for_a_child_of_6_or_a_day_that_is_all_meal(town: Town):
    with pytest.raises(NothingEligible, match="Pas d'attestation de frais de garde pour 2025"):
        _certificate(town, town.petit, town.alsh)
    # DURAND: a 2,00 € day with a 3,50 € meal part: the meal taken off never goes below 0, the amount is 0
    with pytest.raises(NothingEligible):
        _certificate(town, town.durand, town.alsh)


def test_eligible_family_counts_and_choices(town: Town):
    count = eligible_families(town.db, YEAR)
    assert (count.families, count.certificates, count.with_email) == (2, 3, 1)
    assert count.family_ids == sorted([town.martin, town.bernard])
    # MARTIN: 2025 from both structures, 2024 (Léo's December day); not 2026: Léo is 6 on 1 January 2026
    choices = certificate_choices(town.db, town.martin)
    assert [(c.year, c.structure_id, c.total_cents) for c in choices] == [
        (2025, town.alae, 800),
        (2025, town.alsh, 3800),
        (2024, town.alsh, 1300 - 350),
    ]
    # BERNARD: 2026 (the current year, Noah's January day at 13,00 €: the aid ended), « arrêtées au » today
    choices = certificate_choices(town.db, town.bernard)
    assert [(c.year, c.total_cents, c.as_of) for c in choices] == [
        (2026, 1300 - 350, NOW.date()),
        (2025, 1100, None),
    ]
    assert certificate_choices(town.db, town.petit) == []


def test_a_future_year_is_refused_in_french_and_nothing_is_written(town: Town):
    db = town.db
    with db.reading() as uow:
        audits = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(FutureYear, match="L'année 2027 n'a pas commencé"):
        tax_certificate_pdf(db, town.agent, town.martin, 2027, town.alsh)
    with pytest.raises(FutureYear):
        tax_certificates_batch(db, town.supervisor, 2027, "/tmp")
    with pytest.raises(FutureYear):
        eligible_families(db, 2027)
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_the_pdf_says_what_the_tax_office_needs(town: Town):
    pdf = tax_certificate_pdf(town.db, town.agent, town.martin, YEAR, town.alsh)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = _text(pdf)
    for expected in (
        "Attestation de frais de garde – année 2025",
        "article 200 quater B du code général des impôts",
        "ALSH de Montech",
        "2 rue de l'École, 82700 Montech",
        "SIRET : 218 201 256 00011",
        "Régie enfance-jeunesse de Montech (arrêté n° 2019-042)",
        "Famille MARTIN",
        "pour l'accueil de ses enfants de moins de 6 ans (nés à compter du 1er janvier 2019)",
        "3 rue des Tilleuls, 82700 Montech",
        "Léo Martin",
        "03/10/2019",
        "Jade Martin",
        "28,50 €",
        "9,50 €",
        "Montant total des frais de garde : 38,00 € Arrêté à la somme de trente-huit euros.",
        "nets des aides",
        "Les frais de nourriture (repas) en sont exclus",
        "Régine Sorel",
        "Fait à Montech, le 10 février 2026",
    ):
        assert expected in text, expected
    assert "Emma" not in text and "arrêtées" not in text
    with town.db.reading() as uow:
        row = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "tax_certificate.print"))
        assert row is not None and row.family_id == town.martin and row.agent_id == town.agent.agent_id


def test_the_current_year_is_given_with_the_sums_stopped_today(town: Town):
    text = _text(tax_certificate_pdf(town.db, town.agent, town.bernard, 2026, town.alsh))
    assert "Année en cours : sommes arrêtées au 10 février 2026" in text
    assert "Montant total des frais de garde : 9,50 €" in text


def test_the_current_year_counts_the_days_up_to_today_only(town: Town):
    """« Sommes arrêtées au 10 février 2026 »: a day of today counts; a day booked and prepaid after it (still
    cancellable) does not."""
    with town.db.writing() as uow:
        s = uow.session
        bernard = s.get(Family, town.bernard)
        clsh = s.scalar(select(ActivityDay).where(ActivityDay.day == date(2026, 1, 5))).activity
        for d in (date(2026, 2, 10), date(2026, 2, 11), date(2026, 7, 15)):
            _book(s, town.agent, bernard, bernard.children[0], clsh, d, PRICE)
        uow.commit()
    # 5 January and 10 February: 2 × (13,00 € − 3,50 €) = 19,00 €; 11 February and 15 July not yet
    text = _text(tax_certificate_pdf(town.db, town.agent, town.bernard, 2026, town.alsh))
    assert "Année en cours : sommes arrêtées au 10 février 2026" in text
    assert "Montant total des frais de garde : 19,00 €" in text
    choices = certificate_choices(town.db, town.bernard)
    assert [(c.year, c.total_cents) for c in choices] == [(2026, 2 * (1300 - 350)), (2025, 1100)]
    assert eligible_families(town.db, 2026).certificates == 1


def test_the_batch_writes_a_pdf_per_family_and_structure_and_e_mails_once(town: Town, tmp_path: Path):
    tmp_path = tmp_path / "attestations"
    tmp_path.mkdir()
    from app.services.end_of_day.mailer import SmtpSettings, send_pending
    from tests.smtp_server import Server

    db = town.db
    with pytest.raises(PermissionDenied):
        tax_certificates_batch(db, town.agent, YEAR, str(tmp_path))
    with pytest.raises(ValidationError, match="L'année 2026 n'est pas terminée"):
        tax_certificates_batch(db, town.supervisor, 2026, str(tmp_path))
    with pytest.raises(ValidationError, match="Dossier introuvable"):
        tax_certificates_batch(db, town.supervisor, YEAR, str(tmp_path / "absent"))
    first = tax_certificates_batch(db, town.supervisor, YEAR, str(tmp_path))
    assert (first.families, first.pdfs, first.emails_queued, first.without_email) == (2, 3, 2, 1)
    assert first.message() == (
        f"2 familles éligibles, 3 attestations enregistrées dans « {tmp_path} », "
        "2 e-mails mis en attente d’envoi, 1 famille sans adresse e-mail."
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            f"Attestation frais de garde 2025 - BERNARD (n° {town.bernard}) - ALSH de Montech.pdf",
            f"Attestation frais de garde 2025 - MARTIN (n° {town.martin}) - ALAE de l'école Jules-Ferry.pdf",
            f"Attestation frais de garde 2025 - MARTIN (n° {town.martin}) - ALSH de Montech.pdf",
        ]
    )
    assert all(not re.search(r'[<>:"/\\|?*]', n) for n in names)
    bernard = _text((tmp_path / names[0]).read_bytes())
    assert "Noah Bernard" in bernard and "Montant total des frais de garde : 11,00 €" in bernard
    second = tax_certificates_batch(db, town.supervisor, YEAR, str(tmp_path))
    assert (second.families, second.pdfs, second.emails_queued, second.without_email) == (2, 3, 0, 1)
    with db.reading() as uow:
        s = uow.session
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tax_certificate")).all()
        assert sorted(m.dedup_key for m in mails) == sorted(
            [
                f"tax-certificate:{town.martin}:{town.alsh}:2025",
                f"tax-certificate:{town.martin}:{town.alae}:2025",
            ]
        )
        batches = s.scalars(select(AuditEntry).where(AuditEntry.action == "tax_certificate.batch")).all()
        assert [b.after["emails_queued"] for b in batches] == [2, 0]
    smtp = Server()
    try:
        report = send_pending(db, SmtpSettings("127.0.0.1", smtp.port, "none"))
    finally:
        smtp.stop()
    assert report.sent == 2
    received = [m for m in smtp.recorder.messages if m.recipients == ["martin@example.org"]]
    assert len(received) == 2
    body = next(m.body for m in received if "ALSH de Montech" in m.subject).replace("\r\n", "\n")
    body = body.replace("\xa0", " ")
    assert "Léo Martin : 28,50 € (3 journées)" in body and "Total : 38,00 €" in body
    assert "demandez-la au guichet du service enfance-jeunesse" in body  # the town has no portal address
    assert "Mes attestations" not in body
    assert "enfants de moins de 6 ans (nés à compter du 1er janvier 2019)" in body
    assert body.rstrip().endswith("Le service enfance-jeunesse de la mairie de Montech – ALSH de Montech")


@pytest.mark.parametrize("address", ["https://portail.montech.example", ""])
def test_the_e_mail_names_the_portal_only_with_a_login_and_its_address(
    town: Town, tmp_path: Path, address: str
):
    """MARTIN has a portal login, BERNARD (given an e-mail address here) none: the portal, with its address, for
    MARTIN when the town set it; the counter otherwise."""
    from app.models import TownSetting
    from app.services.setup.town_settings import PORTAL_ADDRESS_KEY

    with town.db.writing() as uow:
        s = uow.session
        bernard = s.get(Family, town.bernard)
        bernard.email, bernard.portal_login = "bernard@example.org", None
        if address:
            s.add(TownSetting(key=PORTAL_ADDRESS_KEY, value=address, updated_at=NOW))
        uow.commit()
    tax_certificates_batch(town.db, town.supervisor, YEAR, str(tmp_path))
    with town.db.reading() as uow:
        bodies = {
            m.dedup_key: m.body.replace("\xa0", " ")
            for m in uow.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tax_certificate"))
        }
    martin = bodies[f"tax-certificate:{town.martin}:{town.alsh}:2025"]
    bernard = bodies[f"tax-certificate:{town.bernard}:{town.alsh}:2025"]
    counter = "Pour obtenir l'attestation (PDF), demandez-la au guichet du service enfance-jeunesse."
    if address:
        assert (
            "Vous trouverez l'attestation (PDF) sur le portail famille, https://portail.montech.example, page "
            "« Mes attestations », ou au guichet du service enfance-jeunesse."
        ) in martin
        assert counter not in martin
    else:
        assert counter in martin and "portail" not in martin
    assert counter in bernard and "portail" not in bernard


def test_the_batch_writes_each_pdf_as_made_then_its_transaction_then_moves_them(
    town: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """No year's PDFs all in memory: each is on disk (in a temporary folder inside the target) before the next is
    made; the e-mails and the audit row are written before any file is in place; the files owner-only."""
    from app.services.documents import tax_certificate as module

    folder = tmp_path / "attestations"
    folder.mkdir()
    on_disk: list[int] = []
    in_place: list[list[str]] = []
    make, queue = module.certificate_pdf, module.queue_emails

    def spying_make(*args, **kwargs):
        on_disk.append(sum(1 for _ in folder.rglob("*.pdf")))
        return make(*args, **kwargs)

    def spying_queue(*args, **kwargs):
        on_disk.append(sum(1 for _ in folder.rglob("*.pdf")))
        in_place.append(sorted(p.name for p in folder.glob("*.pdf")))
        return queue(*args, **kwargs)

    monkeypatch.setattr(module, "certificate_pdf", spying_make)
    monkeypatch.setattr(module, "queue_emails", spying_queue)
    done = tax_certificates_batch(town.db, town.supervisor, YEAR, str(folder))
    assert done.pdfs == 3
    assert on_disk == [0, 1, 2, 3] and in_place == [[]]
    files = sorted(folder.iterdir())
    assert [p.suffix for p in files] == [".pdf"] * 3  # the temporary folder removed
    if os.name == "posix":
        assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_a_failed_transaction_leaves_no_file_and_the_earlier_ones_whole(
    town: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from app.services.documents import tax_certificate as module

    folder = tmp_path / "attestations"
    folder.mkdir()
    earlier = folder / f"Attestation frais de garde 2025 - BERNARD (n° {town.bernard}) - ALSH de Montech.pdf"
    earlier.write_bytes(b"%PDF earlier run")

    def failing(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(module, "queue_emails", failing)
    with pytest.raises(RuntimeError):
        tax_certificates_batch(town.db, town.supervisor, YEAR, str(folder))
    assert list(folder.iterdir()) == [earlier] and earlier.read_bytes() == b"%PDF earlier run"
    with town.db.reading() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "tax_certificate.batch")) is None


def test_a_move_that_fails_after_the_transaction_puts_the_earlier_files_back(
    town: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from app.services.documents import tax_certificate as module
    from app.services.errors import FilesNotPlaced

    folder = tmp_path / "attestations"
    folder.mkdir()
    earlier = folder / f"Attestation frais de garde 2025 - BERNARD (n° {town.bernard}) - ALSH de Montech.pdf"
    earlier.write_bytes(b"%PDF earlier run")
    replace = os.replace
    blocked = folder / f"Attestation frais de garde 2025 - MARTIN (n° {town.martin}) - ALSH de Montech.pdf"

    def failing_replace(source, destination):
        if Path(destination) == blocked:
            raise PermissionError(13, "Accès refusé")
        return replace(source, destination)

    monkeypatch.setattr(module.os, "replace", failing_replace)
    with pytest.raises(
        FilesNotPlaced, match="Les attestations sont enregistrées et les e-mails mis en attente"
    ):
        tax_certificates_batch(town.db, town.supervisor, YEAR, str(folder))
    assert list(folder.iterdir()) == [earlier] and earlier.read_bytes() == b"%PDF earlier run"
    monkeypatch.undo()
    again = tax_certificates_batch(town.db, town.supervisor, YEAR, str(folder))
    assert (again.pdfs, again.emails_queued) == (3, 0)  # the e-mails were queued by the first run, once
    assert len(list(folder.iterdir())) == 3 and earlier.read_bytes().startswith(b"%PDF-")


def test_the_batch_is_refused_while_a_structure_has_no_siret_or_regisseur(town: Town, tmp_path: Path):
    """The e-mails go once: never with papers saying « non renseigné ». One family's paper may still be printed at
    the counter, saying what is missing."""
    db, folder = town.db, tmp_path / "attestations"
    folder.mkdir()
    with db.writing() as uow:
        uow.session.get(Structure, town.alae).siret = ""
        uow.session.get(Structure, town.alsh).regisseur_name = ""
        uow.commit()
    with db.reading() as uow:
        audits = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(StructureIdentityMissing) as refused:
        tax_certificates_batch(db, town.supervisor, YEAR, str(folder))
    assert str(refused.value) == (
        "Attestations de frais de garde 2025 non éditées : il manque le SIRET de « ALAE de l'école Jules-Ferry » ; "
        "le nom du régisseur de « ALSH de Montech ». Renseignez-les dans Administration → Structures, puis "
        "recommencez. Rien n'a été enregistré, aucun e-mail envoyé."
    )
    assert refused.value.structures == ["ALAE de l'école Jules-Ferry", "ALSH de Montech"]
    assert list(folder.iterdir()) == []
    with db.reading() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # at the counter: printed, the gaps said on the paper and in the chooser
    alae = _text(tax_certificate_pdf(db, town.agent, town.martin, YEAR, town.alae))
    assert "SIRET : non renseigné" in alae and "Paul Ferrand" in alae
    alsh = _text(tax_certificate_pdf(db, town.agent, town.martin, YEAR, town.alsh))
    assert "(nom du régisseur non renseigné), régisseur, certifie" in alsh
    assert "SIRET : 218 201 256 00011" in alsh
    choices = {(c.year, c.structure_id): c.missing for c in certificate_choices(db, town.martin)}
    assert choices[(2025, town.alae)] == ("le SIRET",)
    assert choices[(2025, town.alsh)] == ("le nom du régisseur",)


# --- the portal ------------------------------------------------------------------------------------------------


@pytest.fixture
def client(town: Town):
    from fastapi.testclient import TestClient

    from app.web.app import create_app
    from app.web.security import Limits

    app = create_app(
        town.db,
        secret_key="un-secret-de-test-assez-long-pour-signer-les-cookies",
        public_url="https://portail.ville.example",
        limits=Limits.relaxed(),
    )
    with TestClient(app, base_url="http://portail.test") as c:
        yield c


def _login(client, identifier: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text).group(1)
    done = client.post(
        "/connexion",
        data={"csrf": token, "identifiant": identifier, "mot_de_passe": PORTAL_PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303


def test_the_portal_lists_the_family_s_certificates_and_serves_its_own_only(town: Town, client):
    assert client.get("/attestations", follow_redirects=False).headers["location"] == "/connexion"
    _login(client, "martin01")
    page = client.get("/attestations")
    assert page.status_code == 200
    text = " ".join(
        re.sub(r"<[^>]+>", " ", html.unescape(page.text))
        .replace("\u00a0", " ")
        .replace("\u202f", " ")
        .split()
    )
    assert "Mes attestations" in text and "38,00 €" in text and "ALAE de l'école Jules-Ferry" in text
    assert f'href="/attestations/2025/{town.alsh}.pdf"' in page.text
    pdf = client.get(f"/attestations/2025/{town.alsh}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "Famille MARTIN" in _text(pdf.content)
    client.cookies.clear()
    _login(client, "bernard01")
    # BERNARD asks for MARTIN's structure and year, with MARTIN's id in every way a URL can carry it: its own only
    for path in (
        f"/attestations/2025/{town.alae}.pdf",
        f"/attestations/2025/{town.alae}.pdf?famille={town.martin}",
    ):
        refused = client.get(path)
        assert refused.status_code == 404 and "MARTIN" not in refused.text
    own = client.get(f"/attestations/2025/{town.alsh}.pdf?famille={town.martin}")
    assert own.status_code == 200
    text = _text(own.content)
    assert "Famille BERNARD" in text and "MARTIN" not in text
    assert client.get("/attestations/2027/1.pdf").status_code in (400, 404)
    with town.db.reading() as uow:
        s = uow.session
        assert s.get(Structure, town.alsh).siret == SIRET


# --- the structure's SIRET and régisseur ----------------------------------------------------------------------


def test_the_structure_form_takes_a_siret_with_its_check_digit_and_the_regisseur(town: Town):
    from app.services.errors import FieldErrors
    from app.services.setup.structures import StructureInput, structure_details, update_structure

    db = town.db
    with db.writing() as uow:
        admin = Agent(login="admin2", full_name="Adèle Admin", role=Role.ADMIN, created_at=NOW)
        uow.session.add(admin)
        uow.session.flush()
        boss = Actor(admin.id, Role.ADMIN, admin.full_name)
        uow.commit()
    typed = StructureInput(
        name="ALSH de Montech", city="Montech", siret="218 201 256 00012", regisseur_name="X"
    )
    for wrong in ("218 201 256 00012", "21820125600", "2182012560001A"):
        typed.siret = wrong
        with pytest.raises(FieldErrors) as refused:
            update_structure(db, boss, town.alsh, typed)
        assert refused.value.fields["siret"].startswith("SIRET invalide : «")
    assert next(d for d in structure_details(db) if d.id == town.alsh).siret == SIRET  # nothing changed
    typed.siret, typed.regisseur_name = "732 829 320 00074", "  Jean   Dupuis "
    update_structure(db, boss, town.alsh, typed)
    detail = next(d for d in structure_details(db) if d.id == town.alsh)
    assert (detail.siret, detail.regisseur_name) == ("73282932000074", "Jean Dupuis")
    typed.siret = ""
    update_structure(db, boss, town.alsh, typed)
    assert next(d for d in structure_details(db) if d.id == town.alsh).siret == ""


def eligible_child_day(db: Database, family_id: int, activity_code: str = "CLSH-PV") -> tuple[int, int]:
    """For another test (the role matrix): a child of 4 added to a family, with a day of this year charged by the
    lifecycle (the first of the activity's days before today). Returns (year, structure id) of its certificate."""
    from app.clock import local_today
    from app.models import Activity

    today = local_today(db.clock)
    with db.writing() as uow:
        s = uow.session
        family = s.get(Family, family_id)
        child = Child(first_name="Zoé", last_name=family.name.title(), birth_date=date(today.year - 4, 3, 3))
        family.children.append(child)
        s.flush()
        day = s.scalar(
            select(ActivityDay)
            .join(Activity)
            .where(
                Activity.code == activity_code,
                ActivityDay.day >= date(today.year, 1, 1),
                ActivityDay.day < today,
            )
            .order_by(ActivityDay.day)
        )
        who = s.scalar(select(Agent).where(Agent.system.is_(True)))
        _book(s, Actor(who.id, who.role, who.full_name), family, child, day.activity, day.day, 1300)
        uow.commit()
        return today.year, day.activity.structure_id


def test_the_command_line_writes_the_year_s_certificates(town: Town, db_url: str, tmp_path: Path):
    from tests.test_cli import run_app

    folder = tmp_path / "attestations 2025"
    done = run_app("attestations", "--db", db_url, "--year", "2025", str(folder))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 familles éligibles, 3 attestations enregistrées dans")
    assert "2 e-mails mis en attente d’envoi, 1 famille sans adresse e-mail." in done.stdout
    assert len(list(folder.glob("*.pdf"))) == 3
    from datetime import date as real_date

    next_year = real_date.today().year + 1  # the command's clock is the system's
    # a refused year leaves no new folder
    for year, refusal in (
        (next_year, f"Erreur : L'année {next_year} n'a pas commencé"),
        (next_year - 1, f"Erreur : L'année {next_year - 1} n'est pas terminée"),
    ):
        absent = tmp_path / f"refusé {year}" / "attestations"
        refused = run_app("attestations", "--db", db_url, "--year", str(year), str(absent))
        assert refused.returncode == 2 and refused.stderr.startswith(refusal), refused.stderr
        assert not absent.parent.exists()
