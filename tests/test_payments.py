"""Money at the counter: payments with gapless receipts, reversals, adjustments, aids, the receipt PDF."""

from __future__ import annotations

import io
import multiprocessing as mp
import traceback
from datetime import date, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.models import (
    AuditEntry,
    ClosingStatus,
    DayClosing,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Role,
)
from app.models import WalletKind as W
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import recap
from app.services.bounds import BadArgument
from app.services.documents.receipt import receipt_pdf
from app.services.errors import PermissionDenied, ReasonRequired, ValidationError
from app.services.families.edit import FieldErrors
from app.services.invariants import violations
from app.services.money.aids import add_aid, family_aids
from app.services.money.payments import (
    PaymentInput,
    adjust,
    ledger_rows,
    payment_rows,
    record_payment,
    reverse_payment,
)
from app.services.money.till import DayClosed, TillClosed
from app.services.sealing import opened
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, balance, new_family, row_counts, structure_of

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def pay(db, family_id, amount="65", method=PaymentMethod.CASH, role=Role.AGENT, **cheque):
    return record_payment(
        db,
        actor(db, role),
        structure_of(db, "CLSH-PV"),
        PaymentInput(family_id, W.ALSH, method, amount, **cheque),
        key=new_operation_key(),
    )


def _norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def test_payment_gets_the_next_receipt_number_and_credits_the_wallet(db):
    family_id, _ = new_family(db)
    with db.reading() as uow:
        last = uow.session.scalar(
            select(func.max(Payment.receipt_seq)).where(
                Payment.structure_id == structure_of(db, "CLSH-PV"), Payment.receipt_year == 2026
            )
        )
    first = pay(db, family_id, "65,00 €")
    second = pay(
        db, family_id, "13", PaymentMethod.CHEQUE, cheque_bank="La Banque Postale", cheque_number="0012345"
    )
    assert (first.number, second.number) == (f"2026-{last + 1:06d}", f"2026-{last + 2:06d}")
    assert balance(db, family_id) == 7800 == second.balance_after_cents
    rows = payment_rows(db, family_id)
    assert [r.receipt_number for r in rows] == [second.number, first.number]
    assert rows[0].method == "Chèque n° 0012345" and rows[1].agent == "Sophie Martin"
    assert [e.running_cents for e in ledger_rows(db, family_id)] == [7800, 6500]
    assert violations_of(db) == []


def violations_of(db):
    with db.reading() as uow:
        return violations(uow.session)


@pytest.mark.parametrize(
    ("amount", "method", "cheque", "field", "words"),
    [
        ("-5", PaymentMethod.CASH, {}, "amount", "positif"),
        ("0", PaymentMethod.CASH, {}, "amount", "positif"),
        ("12,345", PaymentMethod.CASH, {}, "amount", "deux décimales"),
        ("abc", PaymentMethod.CASH, {}, "amount", "Montant invalide"),
        ("10000,01", PaymentMethod.CARD, {}, "amount", "trop élevé"),
        ("", PaymentMethod.CASH, {}, "amount", "manquant"),
        (
            "30",
            PaymentMethod.CHEQUE,
            {"cheque_bank": "CIC"},
            "cheque_number",
            "numéro du chèque est obligatoire",
        ),
        ("30", PaymentMethod.CHEQUE, {"cheque_number": "123"}, "cheque_bank", "banque du chèque"),
    ],
)
def test_bad_payments_are_refused_and_write_nothing(db, amount, method, cheque, field, words):
    family_id, _ = new_family(db)
    before = row_counts(db)
    with pytest.raises(FieldErrors) as info:
        pay(db, family_id, amount, method, **cheque)
    assert field in info.value.fields and words in str(info.value)
    assert row_counts(db) == before and balance(db, family_id) == 0


def test_reversal_is_for_supervisors_keeps_the_payment_and_happens_once(db):
    family_id, _ = new_family(db)
    receipt = pay(db, family_id, "40")
    with pytest.raises(PermissionDenied):
        reverse_payment(
            db, actor(db, Role.AGENT), receipt.payment_id, "erreur de saisie", key=new_operation_key()
        )
    with pytest.raises(ReasonRequired, match="^Indiquez le motif de l'annulation du règlement.$"):
        reverse_payment(db, actor(db, Role.SUPERVISOR), receipt.payment_id, "  ", key=new_operation_key())
    with pytest.raises(BadArgument, match="Clé d'opération : 8 caractères au moins"):  # a retry needs its key
        reverse_payment(db, actor(db, Role.SUPERVISOR), receipt.payment_id, "erreur", key="")
    reverse_payment(
        db, actor(db, Role.SUPERVISOR), receipt.payment_id, "erreur de saisie", key=new_operation_key()
    )
    assert balance(db, family_id) == 0
    with pytest.raises(ValidationError, match="déjà annulé"):
        reverse_payment(db, actor(db, Role.SUPERVISOR), receipt.payment_id, "encore", key=new_operation_key())
    rows = payment_rows(db, family_id)
    assert len(rows) == 1 and rows[0].reversed
    with db.reading() as uow:
        kinds = sorted(
            e.kind
            for e in uow.session.scalars(
                select(LedgerEntry).where(LedgerEntry.payment_id == receipt.payment_id)
            )
        )
        assert kinds == [LedgerKind.PAYMENT, LedgerKind.REVERSAL]
        stored = uow.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "payment.reverse"))
        assert stored.startswith("sealed:v1:")  # the family's key opens it; its anonymisation erases it
        assert opened(uow.session, stored) == "erreur de saisie"
    assert violations_of(db) == []


def test_adjustment_is_for_supervisors_with_a_reason(db):
    family_id, _ = new_family(db)
    sid = structure_of(db, "CLSH-PV")
    with pytest.raises(PermissionDenied):
        adjust(db, actor(db, Role.AGENT), sid, family_id, W.ALAE, "-6,50", "geste", key=new_operation_key())
    with pytest.raises(ReasonRequired, match="^Indiquez le motif de l'ajustement.$"):
        adjust(db, actor(db, Role.SUPERVISOR), sid, family_id, W.ALAE, "-6,50", "", key=new_operation_key())
    with pytest.raises(ValidationError):
        adjust(db, actor(db, Role.SUPERVISOR), sid, family_id, W.ALAE, "0", "rien", key=new_operation_key())
    adjust(
        db,
        actor(db, Role.SUPERVISOR),
        sid,
        family_id,
        W.ALAE,
        "-6,50",
        "journée oubliée",
        key=new_operation_key(),
    )
    assert balance(db, family_id) == -650


def test_a_closed_day_refuses_payments_reversals_and_adjustments(db):
    family_id, _ = new_family(db)
    receipt = pay(db, family_id, "20")
    sid = structure_of(db, "CLSH-PV")
    with db.writing() as uow:
        for role in (Role.AGENT, Role.SUPERVISOR):
            uow.session.add(
                DayClosing(
                    structure_id=sid,
                    agent_id=actor(db, role).agent_id,
                    business_date=NOW.date(),
                    status=ClosingStatus.CLOSED,
                    closed_at=NOW,
                )
            )
        uow.commit()
    before = row_counts(db)
    with pytest.raises(DayClosed, match="clôturée"):
        pay(db, family_id, "10")
    with pytest.raises(TillClosed, match="caisse de Sophie Martin du 26/11/2026, déjà clôturée"):
        reverse_payment(db, actor(db, Role.SUPERVISOR), receipt.payment_id, "erreur", key=new_operation_key())
    with pytest.raises(DayClosed):
        adjust(db, actor(db, Role.SUPERVISOR), sid, family_id, W.ALSH, "5", "geste", key=new_operation_key())
    assert row_counts(db) == before


def test_receipt_pdf_says_number_family_amount_method_agent_and_date(db):
    family_id, _ = new_family(db, "Dupont-Lefèvre")
    receipt = pay(
        db, family_id, "65", PaymentMethod.CHEQUE, cheque_bank="Crédit Agricole", cheque_number="7654321"
    )
    text = _norm(
        "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(receipt_pdf(db, receipt.payment_id))).pages
        )
    )
    for expected in (
        receipt.number,
        "DUPONT-LEFÈVRE",
        "65,00 €",
        "Chèque n° 7654321 (Crédit Agricole)",
        "Sophie Martin",
        "26 novembre 2026 à 10:00",
        "ALSH Montech",
        "Page 1/1",
    ):
        assert expected in text, expected


def test_aids_recorded_at_the_counter_change_recap_prices(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    with db.reading() as uow:
        from app.models import AidKind, AidType

        caf = uow.session.scalar(select(AidType.id).where(AidType.kind == AidKind.CAF))
    with pytest.raises(FieldErrors) as info:
        add_aid(db, actor(db, Role.AGENT), family_id, caf, [], "abc", date(2026, 9, 1), date(2026, 8, 1))
    assert set(info.value.fields) == {"amount", "wallets", "dates"}
    add_aid(db, actor(db, Role.AGENT), family_id, caf, [W.ALSH], "4", date(2026, 9, 1), date(2027, 8, 31))
    assert [(a.amount_cents, a.current) for a in family_aids(db, family_id, NOW.date())] == [(400, True)]
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD)
    assert recap(db, actor(db, Role.AGENT), basket).additions[0].amount_cents == 900


def _counter(url: str, family_ids: list[int], structure_id: int, agent_id: int, barrier, results) -> None:
    from app.db import make_engine
    from app.services.actors import Actor
    from app.services.uow import Database

    db = Database(make_engine(url), FixedClock(NOW))
    numbers, errors = [], []
    try:
        barrier.wait(timeout=120)
        for family_id in family_ids:
            try:
                numbers.append(
                    record_payment(
                        db,
                        Actor(agent_id, Role.AGENT),
                        structure_id,
                        PaymentInput(family_id, W.ALSH, PaymentMethod.CASH, "10"),
                        key=new_operation_key(),
                    ).number
                )
            except Exception:  # noqa: BLE001
                errors.append(traceback.format_exc())
    finally:
        db.engine.dispose()
        results.put((numbers, errors))


def test_concurrent_payments_get_gapless_unique_receipts(db):
    """8 counters taking 6 payments each at the same moment: 48 distinct numbers, no gap, ledger consistent."""
    sid = structure_of(db, "CLSH-PV")
    families = [new_family(db, f"Payeur{i}")[0] for i in range(48)]
    with db.reading() as uow:
        last = (
            uow.session.scalar(
                select(func.max(Payment.receipt_seq)).where(
                    Payment.structure_id == sid, Payment.receipt_year == 2026
                )
            )
            or 0
        )
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    url = db.engine.url.render_as_string(hide_password=False)
    agent_id = actor(db, Role.AGENT).agent_id
    procs = [
        ctx.Process(target=_counter, args=(url, families[i::8], sid, agent_id, barrier, results))
        for i in range(8)
    ]
    for p in procs:
        p.start()
    collected = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [e for _, errs in collected for e in errs] == []
    numbers = sorted(n for nums, _ in collected for n in nums)
    assert numbers == [f"2026-{seq:06d}" for seq in range(last + 1, last + 49)]
    assert violations_of(db) == []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["pay", "reverse", "adjust", "book"]), st.integers(1, 9000)), max_size=8
    )
)
def test_wallet_balances_equal_ledger_sums_after_random_operations(db, ops):
    family_id, (child,) = new_family(db, balance_cents=0)
    receipts = []
    for op, n in ops:
        try:
            if op == "pay":
                receipts.append(pay(db, family_id, f"{n // 100},{n % 100:02d}").payment_id)
            elif op == "reverse" and receipts:
                reverse_payment(
                    db, actor(db, Role.SUPERVISOR), receipts.pop(), "test", key=new_operation_key()
                )
            elif op == "adjust":
                adjust(
                    db,
                    actor(db, Role.SUPERVISOR),
                    structure_of(db, "CLSH-PV"),
                    family_id,
                    W.ALAE,
                    f"-{n // 100 or 1}",
                    "t",
                    key=new_operation_key(),
                )
            elif op == "book":
                basket = Basket(family_id)
                basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 21 + n % 4), Action.ADD)
                from app.services.booking.validation import confirm

                confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
        except (ValidationError, FieldErrors) as exc:
            assert str(exc)
        except Exception as exc:  # a domain refusal (balance, deadline…) is fine, anything else is not
            from app.services.errors import DomainError

            assert isinstance(exc, DomainError), exc
        assert violations_of(db) == []
