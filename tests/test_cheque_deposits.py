"""Bordereaux de remise de chèques (issue 34, item 4): the cheques not yet deposited, a numbered deposit of the
chosen ones (gapless per structure and year, a cheque in one deposit at most, never a reversed payment's), its PDF
read back, two counters depositing the same cheques at once, and the refusals that write nothing."""

from __future__ import annotations

import io
import shutil
import threading
from datetime import date, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.db import make_engine
from app.models import (
    AuditEntry,
    ChequeDeposit,
    ChequeDepositItem,
    DepositCounter,
    Payment,
    PaymentMethod,
    Role,
)
from app.models import WalletKind as W
from app.services import auth
from app.services.actors import Actor
from app.services.documents.deposit_slip import deposit_slip_pdf
from app.services.errors import PermissionDenied, UnknownEntity, ValidationError
from app.services.families.forgetting import BalanceChoice, anonymise_family
from app.services.invariants import check
from app.services.money import deposits
from app.services.money.cash_closing import CountedInput, close_cash, day_expected
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
from tests.test_shared_security import logins, town  # noqa: F401 - the shared server's fixtures

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


def close_till(db: Database, sid: int, clerk: Actor | None = None) -> None:
    """The agent counts his till of today at ``sid`` as expected and closes it: its cheques may be deposited."""
    clerk = clerk or actor(db, Role.AGENT)
    expected = {e.method: e for e in day_expected(db, clerk, sid)}
    euros = lambda c: f"{c // 100},{c % 100:02d}"  # noqa: E731
    cheque, card = expected[PaymentMethod.CHEQUE], expected[PaymentMethod.CARD]
    counted = CountedInput(
        euros(expected[PaymentMethod.CASH].cents),
        str(cheque.count),
        euros(cheque.cents),
        "",
        euros(card.cents),
    )
    close_cash(db, clerk, sid, counted, key=new_operation_key())


def take(db: Database, sid: int, rows: list[tuple], *, reverse: tuple[int, ...] = ()) -> list[int]:
    """``rows`` (family, amount, bank, number[, drawer]) taken as cheques by the agent on a day of its own (the
    day after the last payment of the structure), then ``reverse`` of them (indexes) reversed by the régisseur,
    then the till closed; the clock stays on that day at 17:00."""
    with db.reading() as uow:
        last = uow.session.scalar(select(func.max(Payment.business_date)).where(Payment.structure_id == sid))
    today = max(DAY, last + timedelta(days=1)) if last else DAY
    db.clock.set(paris(today, time(9, 0)))
    ids = [pay(db, sid, *row) for row in rows]
    for i in reverse:
        reverse_payment(
            db, actor(db, Role.SUPERVISOR), ids[i], "chèque sans provision", key=new_operation_key()
        )
    close_till(db, sid)
    db.clock.set(paris(today, time(17, 0)))
    return ids


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
def day(demo_rw):
    """The demonstration and three cheques taken on 27/11/2026 at ALSH Montech, their till closed: 40,00 € signed by
    Jean-Pierre Martin, 25,50 € and 18,00 € by their families."""
    db = demo_rw
    sid = structure_of(db, "CLSH-PV")
    martin, durand, petit = (new_family(db, name)[0] for name in ("Martin", "Durand", "Petit"))
    cheques = take(
        db,
        sid,
        [
            (martin, "40", "Crédit Agricole", "1000001", "Jean-Pierre Martin"),
            (durand, "25,50", "Banque Postale", "2000002"),
            (petit, "18", "CIC", "3000003"),
        ],
    )
    return db, sid, cheques, (martin, durand, petit)


def test_three_cheques_make_the_first_deposit_of_the_year_and_its_slip(day):
    db, sid, cheques, _families = day
    boss = actor(db, Role.SUPERVISOR)
    listed = undeposited_cheques(db, boss, sid, DAY, DAY)
    assert [(c.bank, c.number, c.drawer, c.family, c.cents) for c in listed] == [
        ("Crédit Agricole", "1000001", "Jean-Pierre Martin", "MARTIN", 4000),
        ("Banque Postale", "2000002", "DURAND", "DURAND", 2550),  # no drawer typed: the family's name
        ("CIC", "3000003", "PETIT", "PETIT", 1800),
    ]
    assert [c.payment_id for c in listed] == cheques and all(c.day == DAY for c in listed)
    assert {(c.agent, c.till_open) for c in listed} == {(actor(db, Role.AGENT).name, False)}
    assert len({c.receipt for c in listed}) == 3 and all(c.receipt.startswith("2026-") for c in listed)
    before_day = undeposited_cheques(db, boss, sid)
    assert set(cheques) <= {c.payment_id for c in before_day}  # without a range: every day's

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


def test_a_second_deposit_cannot_take_them_again_and_uses_no_number(day):
    db, sid, cheques, (martin, _, _) = day
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
    [fresh] = take(db, sid, [(martin, "12", "LCL", "4000004")])
    second = deposit(db, sid, [cheques[2], fresh])
    assert (second.number, second.cheque_count, second.total_cents) == ("REM-2026-0002", 2, 1800 + 1200)


def test_the_primary_key_is_the_last_guard_and_its_clash_names_the_cheque(day, monkeypatch):
    """Were the check passed by (another transaction committing between it and the insert), the primary key on
    the payment refuses the second deposit: said as the check says it, nothing written, no number used."""
    db, sid, cheques, _ = day
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


def test_two_counters_depositing_overlapping_cheques_at_once(day):
    db, sid, cheques, families = day
    numbers = []
    for rnd in range(3):
        if rnd:
            cheques = take(db, sid, [(f, "10", "LCL", f"5{rnd}0000{i}") for i, f in enumerate(families)])
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


def test_a_reversed_payment_s_cheque_is_neither_listed_nor_deposited(day):
    db, sid, _, families = day
    boss = actor(db, Role.SUPERVISOR)
    taken = take(db, sid, [(f, "10", "LCL", f"800000{i}") for i, f in enumerate(families)], reverse=(1,))
    listed = {c.payment_id for c in undeposited_cheques(db, boss, sid)}
    assert taken[1] not in listed and {taken[0], taken[2]} <= listed
    before = written(db)
    with pytest.raises(
        DepositRefused, match=r"^Le chèque n° 8000001 \(reçu 2026-\d{6}\) a été annulé : il ne se "
    ):
        deposit(db, sid, taken)
    assert written(db) == before
    assert deposit(db, sid, [taken[0], taken[2]]).number == "REM-2026-0001"


def test_a_cheque_of_a_till_still_open_is_listed_but_waits_for_its_closing(day):
    db, sid, cheques, (martin, _, _) = day
    boss = actor(db, Role.SUPERVISOR)
    db.clock.set(paris(NEXT, time(9, 0)))
    waiting = pay(db, sid, martin, "30", "LCL", "9000009")
    [row] = undeposited_cheques(db, boss, sid, NEXT, NEXT)
    assert (row.payment_id, row.till_open, row.agent) == (waiting, True, actor(db, Role.AGENT).name)
    before = written(db)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, sid, [*cheques, waiting])
    assert str(refused.value) == (
        f"Le chèque n° 9000009 (reçu {row.receipt}) est dans la caisse de {row.agent} du 30/11/2026, pas encore "
        "clôturée : il se remet une fois cette caisse comptée et clôturée. Rien n'a été enregistré."
    )
    assert written(db) == before
    close_till(db, sid)
    assert deposit(db, sid, [*cheques, waiting]).cheque_count == 4


def test_cash_another_structure_s_cheque_an_unknown_payment_and_no_cheque_are_refused(day):
    db, sid, cheques, (martin, _, _) = day
    db.clock.set(paris(NEXT, time(9, 0)))  # a day whose tills are open: these are refused before that
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


def test_a_plain_agent_may_neither_list_nor_deposit_nor_print(day):
    db, sid, cheques, _ = day
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


def test_the_deposit_is_audited(day):
    db, sid, cheques, _ = day
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


def test_an_anonymised_family_s_cheque_reads_erased(day):
    db, sid, cheques, (martin, durand, _) = day
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


def test_a_long_deposit_runs_over_pages_with_its_header_on_each(day):
    db, sid, cheques, families = day
    many = cheques + take(
        db, sid, [(families[i % 3], "7", "Banque Populaire", f"70000{i:02d}") for i in range(57)]
    )
    made = deposit(db, sid, many)
    assert (made.cheque_count, made.total_cents) == (60, 8350 + 57 * 700)
    reader = PdfReader(io.BytesIO(deposit_slip_pdf(db, actor(db, Role.SUPERVISOR), made.id)))
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(pages) == 2
    for i, page in enumerate(pages, start=1):
        assert "N° Banque N° du chèque Tireur Reçu Montant" in page and f"Page {i}/2" in page
    assert "60 chèques" in pages[-1] and "7000056" in pages[-1]


def test_the_checker_sees_a_deposit_that_does_not_add_up(day):
    db, sid, cheques, _ = day
    made = deposit(db, sid, cheques)
    assert check(db) == []
    with db.writing() as uow:  # as the database's owner (a counter's login may not change a deposit)
        uow.session.get(ChequeDeposit, made.id).total_cents = 8000
        uow.session.get(DepositCounter, (sid, 2026)).last_seq = 2
        uow.commit()
    assert check(db) == [
        f"Bordereaux de remise de chèques mal numérotés : structure {sid}, année 2026 (compteur 2, 1 bordereau).",
        f"Bordereau REM-2026-0001 (structure {sid}) : 3 chèques pour 8000 centimes annoncés, 3 pour 8350 trouvés.",
    ]


@pytest.mark.posix_only(reason="starts PostgreSQL from /usr/lib/postgresql with su and sh (PasswordServer)")
@pytest.mark.skipif(shutil.which("psql") is None, reason="psql (PostgreSQL's client) not installed")
def test_on_a_shared_server_the_counters_login_deposits_but_cannot_change_a_deposit(logins):  # noqa: F811
    """Through the counters' credential (``pg_security``): an agent takes three cheques and closes his till, the
    régisseur lists, deposits and prints them — the payments, append-only for that login, are read and never
    locked — while the deposit and its cheques cannot be changed nor deleted, even by a counter that would send
    the SQL itself."""
    from tests.test_shared_security import COUNTER, COUNTER_PW

    server = logins
    desk, clerk_desk = server.db(COUNTER, COUNTER_PW), server.db(COUNTER, COUNTER_PW)
    boss = auth.login(desk, "mdurand", "demo", workstation="GUICHET-REMISE").actor
    clerk = auth.login(clerk_desk, "kbenali", "demo", workstation="GUICHET-CAISSE").actor
    sid = int(server.owner("SELECT structure_id FROM activities WHERE code = 'CLSH-PV'"))
    family = int(server.owner("SELECT min(id) FROM families WHERE anonymized_at IS NULL"))
    taken = [
        record_payment(
            clerk_desk,
            clerk,
            sid,
            PaymentInput(family, W.ALSH, PaymentMethod.CHEQUE, "12", "LCL", f"{1234560 + i}"),
            key=new_operation_key(),
        ).payment_id
        for i in range(3)
    ]
    close_till(clerk_desk, sid, clerk)
    waiting = {c.payment_id: c for c in undeposited_cheques(desk, boss, sid)}
    assert all(not waiting[i].till_open for i in taken)
    chosen = taken
    made = create_deposit(desk, boss, sid, chosen, key=new_operation_key())
    assert (made.number, made.cheque_count) == ("REM-2026-0001", 3)
    assert made.total_cents == 3 * 1200
    with pytest.raises(DepositRefused, match="est déjà dans le bordereau REM-2026-0001"):
        create_deposit(desk, boss, sid, chosen[1:], key=new_operation_key())
    assert "REM-2026-0001" in text_of(deposit_slip_pdf(desk, boss, made.id))
    for sql in (
        f"UPDATE cheque_deposits SET total_cents = 1 WHERE id = {made.id}",
        f"DELETE FROM cheque_deposit_items WHERE deposit_id = {made.id}",
        f"DELETE FROM cheque_deposits WHERE id = {made.id}",
    ):
        result = server.psql(COUNTER, COUNTER_PW, sql)
        assert result.returncode != 0 and "permission denied" in result.stderr, (sql, result.stderr)
    assert server.owner(f"SELECT count(*) FROM cheque_deposit_items WHERE deposit_id = {made.id}") == "3"
    auth.logout(desk)
    auth.logout(clerk_desk)


def test_a_cheque_missing_at_its_till_s_closing_is_listed_unticked_until_found(day):
    """The agent counts his till cheque by cheque and one is not in his drawer: the closing records it missing, the
    régisseur's list says so (the dialog leaves it unticked), and once found it is deposited like the others."""
    db, sid, _, (martin, durand, _) = day
    boss, clerk = actor(db, Role.SUPERVISOR), actor(db, Role.AGENT)
    db.clock.set(paris(NEXT, time(9, 0)))
    here, lost = pay(db, sid, martin, "30", "LCL", "7000007"), pay(db, sid, durand, "12", "CIC", "7000008")
    expected = {e.method: e for e in day_expected(db, clerk, sid)}
    cash = expected[PaymentMethod.CASH].cents
    close_cash(
        db,
        clerk,
        sid,
        CountedInput(f"{cash // 100},{cash % 100:02d}", comment="chèque introuvable", cheques_present=[here]),
        key=new_operation_key(),
    )
    rows = {c.payment_id: c for c in undeposited_cheques(db, boss, sid, NEXT, NEXT)}
    assert (rows[here].missing, rows[lost].missing) == (False, True)
    assert deposit(db, sid, [here, lost]).cheque_count == 2  # found again: the régisseur ticks it himself


def test_the_cheques_taken_before_the_deposits_began_are_neither_listed_nor_deposited(day):
    """A town upgrading to the version with the bordereaux has years of cheques already at the bank: migration 0013
    sets each structure's ``cheque_deposits_since`` to the day of the upgrade, and the older cheques stay out."""
    from app.models import Structure

    db, sid, cheques, _ = day
    boss = actor(db, Role.SUPERVISOR)
    db.clock.set(paris(NEXT, time(9, 0)))
    with db.writing() as uow:
        uow.session.get(Structure, sid).cheque_deposits_since = NEXT
        uow.commit()
    assert {c.payment_id for c in undeposited_cheques(db, boss, sid)}.isdisjoint(cheques)
    before = written(db)
    with pytest.raises(
        DepositRefused, match=r"^Le chèque n° 1000001 .* avant les bordereaux de l'application"
    ):
        deposit(db, sid, cheques)
    assert written(db) == before
