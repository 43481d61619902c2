"""Online payments by card (docs/regie.md) through eopayment's PayFiP client and a test double of PayFiP on
loopback, on SQLite and PostgreSQL: paid once whatever the notifications do, refused and abandoned write nothing
else, forged notifications write nothing, the worker settles what nobody announced and expires what never ended, and
a process killed between PayFiP's « paid » and our commit loses nothing and doubles nothing."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, func, select

from app.clock import FixedClock, paris
from app.models import (
    AuditEntry,
    LedgerEntry,
    OnlinePayment,
    OnlinePaymentStatus,
    OutboxMessage,
    Payment,
    PaymentMethod,
    PaymentSettings,
    Role,
    Wallet,
    WalletKind,
)
from app.services.actors import Actor
from app.services.errors import DomainError, FieldErrors, PermissionDenied, WrongFamily
from app.services.invariants import check
from app.services.money import online
from app.services.money.online import (
    LIFETIME,
    NotificationRefused,
    OnlinePaymentClosed,
    PaymentSettingsInput,
    UnknownOnlinePayment,
    save_payment_settings,
    settle_due_online_payments,
    settle_online_payment,
    start_online_payment,
)
from app.services.money.online_backends import PaymentGateway
from app.services.sealing import opened
from app.services.uow import Database, new_operation_key
from tests.helpers import KILLED_EXIT, actor, balance, new_family, row_counts, structure_of
from tests.payfip_double import PARIS, PayFiPDouble

NOW = paris(date(2026, 11, 26), time(10, 0))
PORTAL = "https://portail.ville.example"
PAYFIP = {"numcli": "123456", "saisie": "T"}


def wallet_of(db: Database, family_id: int, kind: WalletKind = WalletKind.ALSH) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(Wallet.id).where(Wallet.family_id == family_id, Wallet.kind == kind))


def family(db: Database, name: str = "Enligne", **kwargs) -> tuple[int, int, Actor]:
    family_id, _children = new_family(db, name, **kwargs)
    with db.writing() as uow:  # a portal account (the family acts for itself)
        from app.models import Family
        from app.services.security import hash_password

        row = uow.session.get(Family, family_id)
        row.portal_login, row.portal_password_hash = (
            f"{name.lower()}01",
            hash_password("mot-de-passe-famille"),
        )
        uow.commit()
    return family_id, wallet_of(db, family_id), Actor.family(family_id, name)


def idop_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["idop"][0]


def money_rows(db: Database) -> dict[str, int]:
    with db.reading() as uow:
        s = uow.session
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (Payment, LedgerEntry, AuditEntry, OutboxMessage)
        }


def row(db: Database, reference: str) -> OnlinePayment:
    with db.reading() as uow:
        return uow.session.scalar(select(OnlinePayment).where(OnlinePayment.reference == reference))


# --- paid, once -----------------------------------------------------------------------------------------------


def test_a_paid_payment_is_recorded_once_with_its_receipt_ledger_audit_and_email(town, gateway, double):
    db, alsh = town
    family_id, wallet_id, who = family(db, balance_cents=1_000)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "50,00 €")
    assert start.url.startswith(f"{double.url}/tpa/paiementws.web?idop=")
    op = double.operations[idop_of(start.url)]
    # what PayFiP received: our reference, the amount in cents, the family's e-mail, the portal's addresses
    assert (op.refdet, op.montant, op.numcli, op.saisie, op.exer) == (
        start.reference,
        "5000",
        "123456",
        "T",
        "2026",
    )
    assert op.urlnotif == f"{PORTAL}/paiement/notification/{start.reference}"
    assert op.urlredirect == f"{PORTAL}/paiement/retour/{start.reference}"
    pending = row(db, start.reference)
    assert pending.status is OnlinePaymentStatus.PENDING and pending.order_id == op.idop and pending.test_mode
    before = money_rows(db)

    double.pay(op.idop, "P")
    state = settle_online_payment(db, gateway, start.reference, f"idOp={op.idop}")

    assert state.status is OnlinePaymentStatus.PAID and state.receipt_number.startswith("2026-")
    assert balance(db, family_id) == 1_000 + 5_000
    after = money_rows(db)
    assert {k: after[k] - before[k] for k in after} == {
        "payments": 1,
        "ledger_entries": 1,
        "audit_log": 1,
        "outbox_messages": 1,
    }
    with db.reading() as uow:
        s = uow.session
        payment = s.scalar(select(Payment).where(Payment.method == PaymentMethod.ONLINE))
        assert (
            payment.structure_id,
            payment.family_id,
            payment.wallet_id,
            payment.amount_cents,
            payment.agent_id,
        ) == (alsh, family_id, wallet_id, 5_000, None)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "payment.online"))
        assert (entry.agent_id, entry.family_id, opened(s, entry.after)["reference"]) == (
            None,
            family_id,
            start.reference,
        )
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "online_receipt"))
        assert (
            payment.receipt_number in mail.subject and "50,00" in mail.body and start.reference in mail.body
        )
        # the receipt is in the structure's own gapless sequence, after the counter's receipts
        last = s.scalar(
            select(func.max(Payment.receipt_seq)).where(
                Payment.structure_id == alsh, Payment.id != payment.id
            )
        )
        assert payment.receipt_seq == (last or 0) + 1
    paid = row(db, start.reference)
    assert (
        paid.transaction_id.startswith(f"{start.reference} {op.idop} ") and paid.business_date == NOW.date()
    )
    assert check(db) == []


def test_the_same_notification_five_times_and_from_eight_threads_records_one_payment(town, gateway, double):
    db, alsh = town
    family_id, wallet_id, who = family(db)
    first = start_online_payment(db, gateway, who, alsh, wallet_id, "20")
    second = start_online_payment(db, gateway, who, alsh, wallet_id, "30")
    for start in (first, second):
        double.pay(idop_of(start.url), "P")
    for _ in range(5):
        assert settle_online_payment(db, gateway, first.reference, f"idOp={idop_of(first.url)}").status is (
            OnlinePaymentStatus.PAID
        )
    results, errors = [], []
    go = threading.Barrier(8)

    def notify() -> None:
        try:
            go.wait(10)
            results.append(
                settle_online_payment(db, gateway, second.reference, f"idOp={idop_of(second.url)}")
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=notify) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 8
    assert {r.status for r in results} == {OnlinePaymentStatus.PAID} and len(
        {r.receipt_number for r in results}
    ) == 1
    with db.reading() as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Payment).where(Payment.method == PaymentMethod.ONLINE)
            )
            == 2
        )
    assert balance(db, family_id) == 5_000
    assert check(db) == []


# --- refused, abandoned, never heard of ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "status"), [("R", OnlinePaymentStatus.REFUSED), ("A", OnlinePaymentStatus.ABANDONED)]
)
def test_a_refused_or_abandoned_payment_is_marked_and_nothing_else_is_written(
    town, gateway, double, result, status
):
    db, alsh = town
    family_id, wallet_id, who = family(db, balance_cents=500)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "40,00")
    before = money_rows(db)
    # PayFiP's A (the family cancelled) is believed once the page has been quiet two minutes (eopayment's rule)
    double.pay(idop_of(start.url), result, at=datetime.now(PARIS) - timedelta(minutes=5))
    state = settle_online_payment(db, gateway, start.reference, "")
    assert state.status is status and state.receipt_number is None
    assert money_rows(db) == before and balance(db, family_id) == 500
    # a late notification changes nothing more
    assert settle_online_payment(db, gateway, start.reference, "").status is status
    assert row(db, start.reference).checks == 1 and money_rows(db) == before
    assert check(db) == []


def test_an_abandonment_within_two_minutes_waits_for_payfip_to_confirm_it(town, gateway, double):
    """eopayment reads PayFiP's A as « still running » for two minutes (the page is still open): pending."""
    db, alsh = town
    _family_id, wallet_id, who = family(db)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "40,00")
    double.pay(idop_of(start.url), "A")
    assert settle_online_payment(db, gateway, start.reference).status is OnlinePaymentStatus.PENDING


def test_a_return_without_notification_is_settled_from_payfips_status(town, gateway, double):
    db, alsh = town
    family_id, wallet_id, who = family(db)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "12,34")
    double.pay(idop_of(start.url), "P", notify=False)
    # the family's return carries nothing: what PayFiP says decides
    assert settle_online_payment(db, gateway, start.reference, "").status is OnlinePaymentStatus.PAID
    assert double.calls["recupererDetailPaiementSecurise"] == 1
    assert balance(db, family_id) == 1_234


def test_the_worker_settles_a_payment_nobody_announced_and_expires_one_never_paid(town, gateway, double):
    db, alsh = town
    family_id, wallet_id, who = family(db)
    announced = start_online_payment(db, gateway, who, alsh, wallet_id, "25")
    silent = start_online_payment(db, gateway, who, alsh, wallet_id, "35")
    never = start_online_payment(db, gateway, who, alsh, wallet_id, "45")
    double.pay(idop_of(silent.url), "P", notify=False)
    settle_online_payment(db, gateway, announced.reference)  # PayFiP: still running (P5)
    assert settle_due_online_payments(db, gateway).lines() == []  # nothing due before a quarter of an hour

    db.clock.set(NOW + timedelta(minutes=16))
    report = settle_due_online_payments(db, gateway)
    assert (report.paid, report.waiting, report.ended) == (1, 2, 0)
    assert row(db, silent.reference).status is OnlinePaymentStatus.PAID and balance(db, family_id) == 3_500

    db.clock.set(NOW + LIFETIME + timedelta(minutes=1))
    report = settle_due_online_payments(db, gateway)
    assert (report.paid, report.ended) == (0, 2)
    assert {row(db, r).status for r in (announced.reference, never.reference)} == {
        OnlinePaymentStatus.EXPIRED
    }
    assert settle_due_online_payments(db, gateway).lines() == [] and check(db) == []


def test_a_payment_site_that_does_not_answer_is_asked_again_never_expired_blindly(town, gateway, double):
    db, alsh = town
    family_id, wallet_id, who = family(db)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "60")
    idop = idop_of(start.url)
    double.pay(idop, "P", notify=False)
    with PayFiPDouble() as elsewhere:  # a double that answers, while the one PayFiP knows is stopped
        pass
    blind = PaymentGateway(PORTAL, payfip_double=elsewhere.url)
    db.clock.set(NOW + LIFETIME + timedelta(minutes=5))
    with pytest.raises(DomainError, match="vérifié automatiquement.*Ne payez pas une seconde fois"):
        settle_online_payment(db, blind, start.reference)
    assert settle_due_online_payments(db, blind).unanswered == 1
    assert row(db, start.reference).status is OnlinePaymentStatus.PENDING
    db.clock.set(NOW + LIFETIME + timedelta(minutes=25))
    assert settle_due_online_payments(db, gateway).paid == 1 and balance(db, family_id) == 6_000


# --- forged notifications -------------------------------------------------------------------------------------------


def test_forged_notifications_write_nothing(town, gateway, double, caplog):
    db, alsh = town
    family_a, wallet_a, who_a = family(db, "Alpha")
    family_b, wallet_b, who_b = family(db, "Beta")
    a = start_online_payment(db, gateway, who_a, alsh, wallet_a, "50")
    b = start_online_payment(db, gateway, who_b, alsh, wallet_b, "50")
    double.pay(idop_of(b.url), "P")
    before = money_rows(db) | row_counts(db)

    with pytest.raises(UnknownOnlinePayment):  # a reference we never made
        settle_online_payment(db, gateway, "GE20261126ZZZZZZZZZZ", "idOp=123")
    with pytest.raises(NotificationRefused, match="autre paiement"):  # A's address, B's payment
        settle_online_payment(db, gateway, a.reference, f"idOp={idop_of(b.url)}")
    double.operations[idop_of(a.url)].montant = "500000"  # PayFiP says another amount
    double.pay(idop_of(a.url), "P")
    with pytest.raises(NotificationRefused, match=r"montant 5\W000,00"):
        settle_online_payment(db, gateway, a.reference, f"idOp={idop_of(a.url)}")
    assert money_rows(db) | row_counts(db) == before
    assert row(db, a.reference).status is OnlinePaymentStatus.PENDING and balance(db, family_a) == 0
    assert "notification refused" in caplog.text and "unknown reference" in caplog.text
    # B's own notification, whoever sends it, credits B and only B
    settle_online_payment(db, gateway, b.reference, f"idOp={idop_of(b.url)}")
    assert (balance(db, family_a), balance(db, family_b)) == (0, 5_000)
    assert online.online_payment_state(db, family_a, b.reference) is None  # A cannot read B's payment
    assert check(db) == []


# --- bad input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "au moins 1,00"),
        ("-5", "au moins 1,00"),
        ("0,99", "au moins 1,00"),
        ("10 000 000", "hors limites"),
        ("1000,01", "1 000,00 € au plus"),
        ("cinquante", "Montant invalide"),
        ("", "Montant manquant"),
        ("12,345", "deux décimales"),
    ],
)
def test_a_bad_amount_is_refused_in_french_and_writes_nothing(town, gateway, double, amount, words):
    db, alsh = town
    _family_id, wallet_id, who = family(db)
    before = row_counts(db)
    with pytest.raises(FieldErrors) as refused:
        start_online_payment(db, gateway, who, alsh, wallet_id, amount)
    assert words in str(refused.value).replace("\u202f", " ").replace("\xa0", " ")
    assert row_counts(db) == before and double.calls == {}


def test_another_familys_wallet_a_closed_structure_or_no_email_are_refused_and_write_nothing(
    town, gateway, double
):
    db, alsh = town
    _a, _wallet_a, who_a = family(db, "Alpha")
    other, wallet_b, _who_b = family(db, "Beta")
    _c, wallet_c, who_c = family(db, "Sansmail", email=None)
    before = row_counts(db)
    with pytest.raises(WrongFamily, match="pas celui de votre famille"):
        start_online_payment(db, gateway, who_a, alsh, wallet_b, "50")
    with pytest.raises(FieldErrors, match="adresse e-mail"):
        start_online_payment(db, gateway, who_c, alsh, wallet_c, "50")
    alae = structure_of(db, "ALAE-MER")
    with pytest.raises(
        OnlinePaymentClosed, match="pas ouvert pour ALAE"
    ):  # the demonstration's: refused here
        start_online_payment(
            db, PaymentGateway(PORTAL, allow_demo=False), who_a, alae, wallet_of(db, _a), "50"
        )
    with pytest.raises(DomainError, match="ne gère pas le porte-monnaie ALSH"):
        start_online_payment(db, gateway, who_a, alae, wallet_of(db, _a), "50")
    save_payment_settings(
        db, actor(db, Role.ADMIN), alsh, PaymentSettingsInput("payfip_ws", dict(PAYFIP), False)
    )
    before = row_counts(db)
    with pytest.raises(OnlinePaymentClosed, match="réglez au guichet"):
        start_online_payment(db, gateway, who_a, alsh, wallet_of(db, _a), "50")
    with pytest.raises(DomainError):  # an agent is not a family paying online
        start_online_payment(db, gateway, actor(db, Role.AGENT), alsh, wallet_b, "50")
    assert row_counts(db) == before and double.calls == {} and balance(db, other) == 0


def test_the_payment_site_refusing_to_open_a_page_sends_the_family_nowhere(town, gateway, double):
    db, alsh = town
    _family_id, wallet_id, who = family(db)
    with pytest.MonkeyPatch.context() as patch:  # an answer that is not PayFiP's: the site is not reached
        patch.setattr(double, "_create", lambda args: (500, b"<oops/>"))
        with pytest.raises(DomainError, match="site de paiement ne répond pas"):
            start_online_payment(db, gateway, who, alsh, wallet_id, "50")
    save_payment_settings(
        db,
        actor(db, Role.ADMIN),
        alsh,
        PaymentSettingsInput("payfip_ws", {"numcli": "999999", "saisie": "T"}, True),
    )
    with pytest.raises(DomainError, match="a refusé d'ouvrir ce paiement.*numéro de client inconnu"):
        start_online_payment(db, gateway, who, alsh, wallet_id, "50")  # PayFiP does not know that régie
    with db.reading() as uow:
        ended = list(uow.session.scalars(select(OnlinePayment)))
    assert {(e.status, e.order_id) for e in ended} == {(OnlinePaymentStatus.ABANDONED, None)} and len(
        ended
    ) == 2
    assert double.operations == {} and check(db) == []


# --- the structure's settings --------------------------------------------------------------------------------------


def test_payment_settings_are_an_administrators_checked_against_the_backend_and_never_hold_a_secret(town):
    db, alsh = town
    with pytest.raises(PermissionDenied):
        save_payment_settings(
            db, actor(db, Role.SUPERVISOR), alsh, PaymentSettingsInput("payfip_ws", PAYFIP, True)
        )
    with pytest.raises(FieldErrors, match="6 chiffres|pas valable"):
        save_payment_settings(
            db,
            actor(db, Role.ADMIN),
            alsh,
            PaymentSettingsInput("payfip_ws", {"numcli": "12AB", "saisie": "T"}, True),
        )
    with pytest.raises(FieldErrors, match="n'est pas un choix"):
        save_payment_settings(
            db,
            actor(db, Role.ADMIN),
            alsh,
            PaymentSettingsInput("payfip_ws", {"numcli": "123456", "saisie": "Q"}, True),
        )
    with pytest.raises(FieldErrors, match="secret ne s'enregistre pas"):
        save_payment_settings(
            db,
            actor(db, Role.ADMIN),
            alsh,
            PaymentSettingsInput("systempayv2", {"vads_site_id": "12345678", "secret_test": "abc"}, True),
        )
    with pytest.raises(FieldErrors, match="inconnu"):
        save_payment_settings(db, actor(db, Role.ADMIN), alsh, PaymentSettingsInput("bitcoin", {}, True))
    save_payment_settings(
        db,
        actor(db, Role.ADMIN),
        alsh,
        PaymentSettingsInput("payfip_ws", {"numcli": "654321", "saisie": "W"}, True),
    )
    view = online.payment_settings(db, alsh)
    assert (view.backend, view.options, view.enabled, view.test_mode) == (
        "payfip_ws",
        {"numcli": "654321", "saisie": "W"},
        True,
        False,
    )
    with db.reading() as uow:
        audited = uow.session.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "structure.payment_settings")
            .order_by(AuditEntry.id.desc())
        )
    assert (
        audited.after["options"] == {"numcli": "654321", "saisie": "W"}
        and audited.before["options"] == PAYFIP
    )


def test_a_secret_option_is_read_from_the_servers_environment_or_keyring(monkeypatch, tmp_path):
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from app.services.money.online_backends import read_secret, secret_env, store_secret

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)

    assert secret_env("ALSH-MONTECH", "secret_test") == "GUICHET_PAIEMENT_ALSH_MONTECH_SECRET_TEST"
    monkeypatch.setenv("GUICHET_PAIEMENT_ALSH_MONTECH_SECRET_TEST", "depuis-l-environnement")
    assert read_secret("ALSH-MONTECH", "secret_test") == "depuis-l-environnement"
    store_secret("ALAE-MONTECH", "secret_test", "dans-le-trousseau")
    assert read_secret("ALAE-MONTECH", "secret_test") == "dans-le-trousseau"


# --- killed between PayFiP's « paid » and our commit -----------------------------------------------------------------


def _settle_and_die(url: str, double_url: str, reference: str, out) -> None:
    """Settle a paid payment, and be killed (SIGKILL) just before the COMMIT that records it."""
    from sqlalchemy import event

    from app.db import make_engine
    from tests.helpers import kill_hard

    db = Database(make_engine(url), FixedClock(NOW))

    def die_before_commit(session) -> None:
        recorded = session.scalar(select(OnlinePayment.status).where(OnlinePayment.reference == reference))
        if recorded is OnlinePaymentStatus.PAID:  # written, not committed
            out.send(("dying", os.getpid()))
            kill_hard(os.getpid())

    event.listen(db.write_factory, "before_commit", die_before_commit)
    try:
        settle_online_payment(db, PaymentGateway(PORTAL, payfip_double=double_url), reference)
        out.send(("settled",))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.send(("error", repr(exc)))


def test_a_process_killed_between_payfips_paid_and_our_commit_loses_nothing_and_doubles_nothing(
    town, gateway, double
):
    db, alsh = town
    family_id, wallet_id, who = family(db)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "75")
    double.pay(idop_of(start.url), "P")
    before = money_rows(db)
    ctx = mp.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_settle_and_die,
        args=(db.engine.url.render_as_string(hide_password=False), double.url, start.reference, writer),
        daemon=True,
    )
    child.start()
    writer.close()
    assert reader.poll(60) and reader.recv()[0] == "dying"
    child.join(30)
    assert child.exitcode == KILLED_EXIT
    assert double.calls["recupererDetailPaiementSecurise"] == 1  # PayFiP had said « paid »
    assert money_rows(db) == before and row(db, start.reference).status is OnlinePaymentStatus.PENDING
    assert balance(db, family_id) == 0

    db.clock.set(NOW + timedelta(minutes=16))  # the worker's next look at it
    assert settle_due_online_payments(db, gateway).paid == 1
    assert settle_due_online_payments(db, gateway).paid == 0
    assert balance(db, family_id) == 7_500
    after = money_rows(db)
    assert after["payments"] - before["payments"] == 1 and check(db) == []


def test_the_payment_site_is_asked_what_it_knows_of_the_regie_before_families_are_let_in(
    town, gateway, double
):
    """``python -m app payment-check``: PayFiP's ``recupererDetailClient`` names the régie of the numcli."""
    from app.services.money.online import check_payment_site

    db, alsh = town
    assert check_payment_site(db, gateway, alsh) == (
        "PayFiP connaît le client 123456 : COMMUNE DE TEST / REGIE ENFANCE JEUNESSE."
    )
    assert double.calls == {"recupererDetailClient": 1}
    with PayFiPDouble() as gone:
        pass
    with pytest.raises(DomainError, match="site de paiement ne répond pas"):
        check_payment_site(db, PaymentGateway(PORTAL, payfip_double=gone.url), alsh)
    with pytest.raises(OnlinePaymentClosed, match="pas ouvert pour ALAE Montech"):  # no settings of its own
        with db.writing() as uow:
            uow.session.execute(
                delete(PaymentSettings).where(PaymentSettings.structure_id == structure_of(db, "ALAE-MER"))
            )
            uow.commit()
        check_payment_site(db, gateway, structure_of(db, "ALAE-MER"))


def test_the_worker_checks_the_amount_as_a_notification_does(town, gateway, double, caplog):
    """PayFiP says another amount: the notification is refused, and so is the worker's look at it — the payment stays
    pending (flagged in its row and the log), nothing is credited, the other payments of the round go on."""
    db, alsh = town
    family_id, wallet_id, who = family(db)
    odd = start_online_payment(db, gateway, who, alsh, wallet_id, "50")
    fine = start_online_payment(db, gateway, who, alsh, wallet_id, "20")
    double.operations[idop_of(odd.url)].montant = "100"
    for start in (odd, fine):
        double.pay(idop_of(start.url), "P")
    with pytest.raises(NotificationRefused, match=r"montant 1,00\W€ au lieu de 50,00"):
        settle_online_payment(db, gateway, odd.reference)
    db.clock.set(NOW + LIFETIME + timedelta(minutes=5))  # even past the hour: never expired on such an answer
    report = settle_due_online_payments(db, gateway)
    assert (report.paid, report.unanswered) == (1, 1) and balance(db, family_id) == 2_000
    flagged = row(db, odd.reference)
    assert flagged.status is OnlinePaymentStatus.PENDING and "montant 1,00" in flagged.bank_status
    assert caplog.text.count("notification refused (montant") == 2 and check(db) == []


def test_a_real_portal_refuses_the_demonstrations_site_and_test_payments_even_when_notified(
    town, gateway, double
):
    """The demonstration's site believes any notification, and PayFiP's mode T takes test cards: a real town's
    portal (``allow_demo``/``allow_test`` off) offers neither, starts neither and settles neither."""
    from app.services.money.online import online_wallets

    db, alsh = town
    family_id, wallet_id, who = family(db)
    demo = PaymentGateway(
        PORTAL
    )  # a trial portal on the same base: the ALAE structure takes the demonstration's site
    alae_wallet = wallet_of(db, family_id, WalletKind.ALAE)
    started = start_online_payment(db, demo, who, structure_of(db, "ALAE-MER"), alae_wallet, "30")
    forged = f"transaction_id={parse_qs(urlsplit(started.url).query)['transaction_id'][0]}&ok=1&signed=1&amount=30.00"
    real = PaymentGateway(PORTAL, allow_demo=False, allow_test=False, payfip_double=double.url)
    before = money_rows(db) | row_counts(db)
    with pytest.raises(NotificationRefused, match="pas accepté par ce portail"):
        settle_online_payment(db, real, started.reference, forged)
    assert money_rows(db) | row_counts(db) == before and balance(db, family_id) == 0
    assert [w.structures for w in online_wallets(db, real, family_id)] == [[], [], []]  # neither offered
    with pytest.raises(OnlinePaymentClosed):  # PayFiP in mode T: not on a real portal
        start_online_payment(db, real, who, alsh, wallet_id, "30")
    validation = PaymentGateway(PORTAL, allow_demo=False, allow_test=True, payfip_double=double.url)
    assert [w.structures for w in online_wallets(db, validation, family_id) if w.kind is WalletKind.ALSH] == [
        [(alsh, "ALSH Montech")]
    ]  # the DGFiP's validation: GUICHET_PAIEMENT_ESSAIS=1
    assert (
        settle_online_payment(db, demo, started.reference, forged).status is OnlinePaymentStatus.PAID
    )  # a trial


def test_a_payment_expired_then_said_paid_by_the_site_is_recorded_once(town, gateway, double, caplog):
    """Expired is our guess after an hour, not the bank's word: a late « paid » still credits the wallet, once."""
    db, alsh = town
    family_id, wallet_id, who = family(db)
    start = start_online_payment(db, gateway, who, alsh, wallet_id, "40")
    db.clock.set(NOW + LIFETIME + timedelta(minutes=1))
    assert settle_due_online_payments(db, gateway).ended == 1  # PayFiP: still running (P5) after an hour
    assert row(db, start.reference).status is OnlinePaymentStatus.EXPIRED
    double.pay(idop_of(start.url), "P")  # PayFiP's late word
    for _ in range(2):
        assert settle_online_payment(db, gateway, start.reference).status is OnlinePaymentStatus.PAID
    assert balance(db, family_id) == 4_000 and "paid after it was expired" in caplog.text
    with db.reading() as uow:
        late = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.online"))
        assert opened(uow.session, late.after)["late"] is True  # sealed with the family's key
    assert check(db) == []
    refused = start_online_payment(db, gateway, who, alsh, wallet_id, "10")
    double.pay(idop_of(refused.url), "R", at=datetime.now(PARIS) - timedelta(minutes=5))
    settle_online_payment(db, gateway, refused.reference)
    double.operations[idop_of(refused.url)].resultrans = "P"  # the bank's refusal was its word: final
    assert settle_online_payment(db, gateway, refused.reference).status is OnlinePaymentStatus.REFUSED


def test_a_counter_cannot_record_an_online_payment(town):
    from app.services.money.payments import PaymentInput, record_payment

    db, alsh = town
    family_id, _wallet, _who = family(db)
    before = row_counts(db)
    with pytest.raises(FieldErrors, match="« Carte en ligne » est le paiement des familles sur le portail"):
        record_payment(
            db,
            actor(db, Role.AGENT),
            alsh,
            PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.ONLINE, "30,00"),
            key=new_operation_key(),
        )
    assert row_counts(db) == before
