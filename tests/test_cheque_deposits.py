"""Bordereaux de remise de chèques (issue 34, item 4): the cheques not yet deposited, a numbered deposit of the
chosen ones (gapless per structure and year, a cheque in one deposit at most, never a reversed payment's), its PDF
read back, two counters depositing the same cheques at once, and the refusals that write nothing."""

from __future__ import annotations

import io
import threading
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.db import make_engine
from app.models import AuditEntry, ChequeDeposit, ChequeDepositItem, DepositCounter, PaymentMethod, Role
from app.models import WalletKind as W
from app.services.documents.deposit_slip import deposit_slip_pdf
from app.services.errors import PermissionDenied, UnknownEntity, ValidationError
from app.services.families.forgetting import BalanceChoice, anonymise_family
from app.services.invariants import check
from app.services.money import deposits
from app.services.money.deposits import (
    DepositRefused,
    NoChequeChosen,
    create_deposit,
    past_deposits,
    undeposited_cheques,
)
from app.services.money.payments import PaymentInput, record_payment, reverse_payment
from app.services.uow import Database, new_operation_key
from tests.helpers import actor, new_family, structure_of

DAY = date(2026, 11, 27)  # the day after the demonstration's: no payment yet
NEXT = date(2026, 11, 30)


def text_of(pdf: bytes) -> str:
    """The PDF's text, its lines joined, its no-break spaces plain."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(
        "\n".join(p.extract_text() for p in pages).replace("\xa0", " ").replace("\u202f", " ").split()
    )


def pay(db: Database, sid: int, family: int, amount: str, *cheque: str, method=PaymentMethod.CHEQUE) -> int:
    return record_payment(
        db,
        actor(db, Role.AGENT),
        sid,
        PaymentInput(family, W.ALSH, method, amount, *cheque),
        key=new_operation_key(),
    ).payment_id


def deposit(db: Database, sid: int, ids: list[int], who: Role = Role.SUPERVISOR):
    return create_deposit(db, actor(db, who), sid, ids, key=new_operation_key())


def written(db: Database) -> tuple[int, int, int, int]:
    """Deposits, their items, the counters' last numbers and the audit trail: what a refusal leaves as it was."""
    with db.reading() as uow:
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(ChequeDeposit)),
            s.scalar(select(func.count()).select_from(ChequeDepositItem)),
            s.scalar(select(func.coalesce(func.sum(DepositCounter.last_seq), 0))),
            s.scalar(select(func.count()).select_from(AuditEntry)),
        )


@pytest.fixture
def town(demo_rw):
    """The demonstration at 27/11/2026 9:00 and three cheques taken that day at ALSH Montech: 40,00 € signed by
    Jean-Pierre Martin, 25,50 € and 18,00 € by their families."""
    db = demo_rw
    db.clock.set(paris(DAY, time(9, 0)))
    sid = structure_of(db, "CLSH-PV")
    martin, durand, petit = (new_family(db, name)[0] for name in ("Martin", "Durand", "Petit"))
    cheques = [
        pay(db, sid, martin, "40", "Crédit Agricole", "1000001", "Jean-Pierre Martin"),
        pay(db, sid, durand, "25,50", "Banque Postale", "2000002"),
        pay(db, sid, petit, "18", "CIC", "3000003"),
    ]
    return db, sid, cheques, (martin, durand, petit)


def test_three_cheques_make_the_first_deposit_of_the_year_and_its_slip(town):
    db, sid, cheques, _families = town
    boss = actor(db, Role.SUPERVISOR)
    listed = undeposited_cheques(db, boss, sid, DAY, DAY)
    assert [(c.bank, c.number, c.drawer, c.family, c.cents) for c in listed] == [
        ("Crédit Agricole", "1000001", "Jean-Pierre Martin", "MARTIN", 4000),
        ("Banque Postale", "2000002", "DURAND", "DURAND", 2550),  # no drawer typed: the family's name
        ("CIC", "3000003", "PETIT", "PETIT", 1800),
    ]
    assert [c.payment_id for c in listed] == cheques and all(c.day == DAY for c in listed)
    assert len({c.receipt for c in listed}) == 3 and all(c.receipt.startswith("2026-") for c in listed)
    before_day = undeposited_cheques(db, boss, sid)
    assert set(cheques) <= {c.payment_id for c in before_day}  # without a range: every day's

    db.clock.set(paris(DAY, time(17, 30)))
    made = deposit(db, sid, cheques)
    assert (made.number, made.cheque_count, made.total_cents) == ("REM-2026-0001", 3, 4000 + 2550 + 1800)
    assert undeposited_cheques(db, boss, sid, DAY, DAY) == []
    rows = past_deposits(db, boss, sid)
    assert [(r.number, r.business_date, r.agent, r.cheque_count, r.total_cents) for r in rows] == [
        ("REM-2026-0001", DAY, boss.name, 3, 8350)
    ]

    pdf = deposit_slip_pdf(db, boss, made.id)
    text = text_of(pdf)
    assert "Bordereau de remise de chèques n° REM-2026-0001" in text
    for c in listed:
        assert f"{c.bank} {c.number} {c.drawer} {c.receipt}" in text, text
    for amount in ("40,00 €", "25,50 €", "18,00 €"):
        assert amount in text
    assert "Total 3 chèques 83,50 €" in text
    assert (
        "Nombre de chèques : 3 – Montant total : 83,50 € (quatre-vingt-trois euros et cinquante centimes)"
        in text
    )
    assert "27 novembre 2026" in text and "Le régisseur" in text and "Cachet de la banque" in text
    assert "Page 1/1" in text
    assert deposit_slip_pdf(db, boss, made.id) != b""  # printed again at will
    assert check(db) == []


def test_a_second_deposit_cannot_take_them_again_and_uses_no_number(town):
    db, sid, cheques, (martin, _, _) = town
    first = deposit(db, sid, cheques[:2])
    assert first.number == "REM-2026-0001"
    receipt = undeposited_cheques(db, actor(db, Role.SUPERVISOR), sid, DAY, DAY)
    assert [c.payment_id for c in receipt] == [cheques[2]]
    before = written(db)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, sid, [cheques[2], cheques[1]])
    with db.reading() as uow:
        from app.models import Payment

        number = uow.session.get(Payment, cheques[1]).receipt_number
    assert str(refused.value) == (
        f"Le chèque n° 2000002 (reçu {number}) est déjà dans le bordereau REM-2026-0001 : un chèque ne se "
        "remet qu'une fois. Rien n'a été enregistré."
    )
    assert written(db) == before
    fresh = pay(db, sid, martin, "12", "LCL", "4000004")
    second = deposit(db, sid, [cheques[2], fresh])
    assert (second.number, second.cheque_count, second.total_cents) == ("REM-2026-0002", 2, 1800 + 1200)


def test_the_primary_key_is_the_last_guard_and_its_clash_names_the_cheque(town, monkeypatch):
    """Were the check passed by (another transaction committing between it and the insert), the primary key on
    the payment refuses the second deposit: said as the check says it, nothing written, no number used."""
    db, sid, cheques, _ = town
    deposit(db, sid, cheques[:1])
    real = deposits._check_chosen
    calls: list[int] = []

    def blind_first(s, structure_id, ids):
        calls.append(1)
        if len(calls) == 1:
            from app.models import Payment

            return list(s.scalars(select(Payment).where(Payment.id.in_(ids)).order_by(Payment.id)))
        return real(s, structure_id, ids)

    monkeypatch.setattr(deposits, "_check_chosen", blind_first)
    before = written(db)
    with pytest.raises(DepositRefused, match=r"n° 1000001 .* est déjà dans le bordereau REM-2026-0001"):
        deposit(db, sid, cheques)
    assert len(calls) == 2 and written(db) == before
    monkeypatch.setattr(deposits, "_check_chosen", real)
    assert deposit(db, sid, cheques[1:]).number == "REM-2026-0002"


def _race(db: Database, sid: int, selections: list[list[int]]) -> list[object]:
    """Each selection deposited by its own counter (its own engine and connections) at the same moment."""
    url = db.engine.url.render_as_string(hide_password=False)
    boss = actor(db, Role.SUPERVISOR)
    go = threading.Barrier(len(selections))
    results: list[object] = [None] * len(selections)

    def counter(i: int) -> None:
        engine = make_engine(url)
        try:
            other = Database(engine, FixedClock(db.clock.now()))
            go.wait(30)
            results[i] = create_deposit(other, boss, sid, selections[i], key=new_operation_key())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=counter, args=(i,)) for i in range(len(selections))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_counters_depositing_overlapping_cheques_at_once(town):
    db, sid, cheques, families = town
    numbers = []
    for rnd in range(3):
        if rnd:
            cheques = [pay(db, sid, f, "10", "LCL", f"5{rnd}0000{i}") for i, f in enumerate(families)]
        first, second = _race(db, sid, [cheques[:2], cheques[1:]])
        won = [r for r in (first, second) if isinstance(r, deposits.DepositMade)]
        lost = [r for r in (first, second) if not isinstance(r, deposits.DepositMade)]
        assert len(won) == 1 and len(lost) == 1, (first, second)
        assert isinstance(lost[0], DepositRefused), repr(lost[0])
        assert f"est déjà dans le bordereau {won[0].number}" in str(lost[0])
        numbers.append(won[0].number)
        left = [c for c in cheques if c not in (cheques[:2] if won[0] is first else cheques[1:])]
        numbers.append(deposit(db, sid, left).number)  # the loser's selection, without the taken cheque
    assert numbers == [f"REM-2026-000{n}" for n in range(1, 7)]
    with db.reading() as uow:
        s = uow.session
        seqs = list(s.scalars(select(ChequeDeposit.seq).where(ChequeDeposit.structure_id == sid)))
        assert sorted(seqs) == list(range(1, 7))
        assert s.scalar(select(DepositCounter.last_seq).where(DepositCounter.structure_id == sid)) == 6
        assert s.scalar(select(func.count()).select_from(ChequeDepositItem)) == 9
    assert check(db) == []


def test_a_reversed_payment_s_cheque_is_neither_listed_nor_deposited(town):
    db, sid, cheques, _ = town
    boss = actor(db, Role.SUPERVISOR)
    reverse_payment(db, boss, cheques[1], "chèque sans provision", key=new_operation_key())
    assert [c.payment_id for c in undeposited_cheques(db, boss, sid, DAY, DAY)] == [cheques[0], cheques[2]]
    before = written(db)
    with pytest.raises(
        DepositRefused, match=r"^Le chèque n° 2000002 \(reçu 2026-\d{6}\) a été annulé : il ne se "
    ):
        deposit(db, sid, cheques)
    assert written(db) == before
    assert deposit(db, sid, [cheques[0], cheques[2]]).number == "REM-2026-0001"


def test_cash_another_structure_s_cheque_an_unknown_payment_and_no_cheque_are_refused(town):
    db, sid, cheques, (martin, _, _) = town
    cash = pay(db, sid, martin, "20", method=PaymentMethod.CASH)
    alae = structure_of(db, "ALAE-MER")
    elsewhere = pay(db, alae, martin, "15", "LCL", "6000006")
    before = written(db)
    with pytest.raises(DepositRefused, match=r"^Le règlement 2026-\d{6} n'est pas un chèque \(Espèces\)"):
        deposit(db, sid, [*cheques, cash])
    with pytest.raises(DepositRefused, match=r"n° 6000006 .* a été encaissé par une autre structure"):
        deposit(db, sid, [cheques[0], elsewhere])
    with pytest.raises(UnknownEntity, match="Règlement inconnu"):
        deposit(db, sid, [cheques[0], 999_999])
    with pytest.raises(NoChequeChosen) as none:
        deposit(db, sid, [])
    assert str(none.value) == "Aucun chèque choisi : cochez au moins un chèque à remettre."
    with pytest.raises(ValidationError, match="Période invalide"):
        undeposited_cheques(db, actor(db, Role.SUPERVISOR), sid, NEXT, DAY)
    assert written(db) == before


def test_a_plain_agent_may_neither_list_nor_deposit_nor_print(town):
    db, sid, cheques, _ = town
    made = deposit(db, sid, cheques[:1])
    agent = actor(db, Role.AGENT)
    before = written(db)
    for call in (
        lambda: undeposited_cheques(db, agent, sid),
        lambda: create_deposit(db, agent, sid, cheques[1:], key=new_operation_key()),
        lambda: past_deposits(db, agent, sid),
        lambda: deposit_slip_pdf(db, agent, made.id),
    ):
        with pytest.raises(PermissionDenied, match=r"^Action réservée à un superviseur \(régisseur\) : "):
            call()
    assert written(db) == before


def test_the_deposit_is_audited(town):
    db, sid, cheques, _ = town
    boss = actor(db, Role.SUPERVISOR)
    made = deposit(db, sid, cheques)
    with db.reading() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "cheque_deposit.create"))
        from app.models import Payment

        receipts = [uow.session.get(Payment, i).receipt_number for i in cheques]
    assert (entry.entity, entry.entity_id, entry.agent_id, entry.structure_id) == (
        "cheque_deposit",
        str(made.id),
        boss.agent_id,
        sid,
    )
    assert entry.after == {
        "number": "REM-2026-0001",
        "cheque_count": 3,
        "total_cents": 8350,
        "receipts": receipts,
    }


def test_an_anonymised_family_s_cheque_reads_erased(town):
    db, sid, cheques, (martin, durand, _) = town
    boss = actor(db, Role.SUPERVISOR)
    for family in (martin, durand):
        anonymise_family(db, boss, family, balance=BalanceChoice.KEEP, key=new_operation_key())
    listed = {c.payment_id: c for c in undeposited_cheques(db, boss, sid, DAY, DAY)}
    assert (listed[cheques[0]].bank, listed[cheques[0]].number, listed[cheques[0]].drawer) == (
        "(effacé)",
    ) * 3
    assert listed[cheques[1]].drawer == "(effacé)"  # no drawer typed: not the family's new name either
    assert listed[cheques[2]].drawer == "PETIT"
    made = deposit(db, sid, cheques)
    text = text_of(deposit_slip_pdf(db, boss, made.id))
    assert "(effacé)" in text and "Jean-Pierre" not in text and "CIC 3000003 PETIT" in text
    with pytest.raises(DepositRefused, match=r"^Le chèque du reçu 2026-\d{6} est déjà dans le bordereau"):
        deposit(db, sid, cheques[:1])


def test_a_long_deposit_runs_over_pages_with_its_header_on_each(town):
    db, sid, cheques, families = town
    many = cheques + [
        pay(db, sid, families[i % 3], "7", "Banque Populaire", f"70000{i:02d}") for i in range(57)
    ]
    made = deposit(db, sid, many)
    assert (made.cheque_count, made.total_cents) == (60, 8350 + 57 * 700)
    reader = PdfReader(io.BytesIO(deposit_slip_pdf(db, actor(db, Role.SUPERVISOR), made.id)))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(pages) == 2
    for i, page in enumerate(pages, start=1):
        assert "N° Banque N° du chèque Tireur Reçu Montant" in page and f"Page {i}/2" in page
    assert "60 chèques" in pages[-1] and "7000056" in pages[-1]
