"""The online payment's line (issue 26): PayFiP's notification of a paid payment until the wallet is credited
(``settle_online_payment``: PayFiP asked through eopayment's SOAP client — here the test double on loopback —, the
answer checked, the payment recorded with its receipt, ledger entry, audit and e-mail) against a counter payment of
the same amount (``record_payment``), alternately, on the same database."""

from __future__ import annotations

import random
import time

from sqlalchemy import select

from app.models import Family, PaymentMethod, Wallet, WalletKind
from app.services.actors import Actor, system_actor
from app.services.money.online import PaymentSettingsInput, save_payment_settings, settle_online_payment
from app.services.money.online import start_online_payment as start
from app.services.money.online_backends import PaymentGateway
from app.services.money.payments import PaymentInput, record_payment
from app.services.security import hash_password
from app.services.uow import Database, new_operation_key

from .dataset import Loaded
from .measure import Result, compare

AMOUNT = "50,00"


def _online_families(db: Database, family_ids: list[int]) -> list[tuple[Actor, int]]:
    """The families as they act on the portal (an account and an e-mail), each with its ALSH wallet. One password
    hash for all: argon2 (64 MB) between two measures would leave the processor's caches cold."""
    password = hash_password("bench-paiement")
    with db.writing() as uow:
        s = uow.session
        for family in s.scalars(select(Family).where(Family.id.in_(family_ids))):
            family.portal_login = family.portal_login or f"paie{family.id:06d}"
            family.portal_password_hash = family.portal_password_hash or password
            family.email = family.email or f"famille{family.id}@example.org"
        wallets: dict[int, int] = dict(
            s.execute(
                select(Wallet.family_id, Wallet.id).where(
                    Wallet.family_id.in_(family_ids), Wallet.kind == WalletKind.ALSH
                )
            ).all()
        )
        uow.commit()
    return [(Actor.family(f), wallets[f]) for f in family_ids]


def online_payment(db: Database, loaded: Loaded, quick: bool) -> Result:
    from tests.payfip_double import PayFiPDouble

    rng = random.Random(26)
    runs = 20 if quick else 60
    structure = loaded.structure_ids[2]  # the ALSH structure: its wallet is the one topped up
    with db.reading() as uow:
        s = uow.session
        system = system_actor(s)
        families = list(s.scalars(select(Family.id).where(Family.anonymized_at.is_(None)).limit(3000)))
    payers = _online_families(db, rng.sample(families, runs + 2))
    with PayFiPDouble() as double:
        double.notify_enabled = False  # the notification is the call measured below
        gateway = PaymentGateway("https://portail.bench.example", payfip_double=double.url)
        save_payment_settings(
            db,
            system,
            structure,
            PaymentSettingsInput("payfip_ws", {"numcli": "123456", "saisie": "T"}, True),
        )
        paid = []  # payments paid on PayFiP's page whose notification has not come yet
        for who, wallet in payers:
            started = start(db, gateway, who, structure, wallet, AMOUNT)
            idop = started.url.rpartition("idop=")[2]
            double.pay(idop, "P")
            paid.append((started.reference, f"idOp={idop}"))
        ours, floor = [], []
        for i, (reference, notification) in enumerate(paid):  # the first two warm up
            t0 = time.perf_counter()
            state = settle_online_payment(db, gateway, reference, notification)
            online_ms = (time.perf_counter() - t0) * 1000
            assert state.receipt_number is not None
            t0 = time.perf_counter()
            record_payment(
                db,
                system,
                structure,
                PaymentInput(rng.choice(families), WalletKind.ALSH, PaymentMethod.CASH, AMOUNT),
                key=new_operation_key(),
            )
            counter_ms = (time.perf_counter() - t0) * 1000
            if i >= 2:
                ours.append(online_ms)
                floor.append(counter_ms)
        calls = double.calls.get("recupererDetailPaiementSecurise", 0)
        save_payment_settings(
            db, system, structure, PaymentSettingsInput("payfip_ws", {"numcli": "123456"}, False)
        )
    result = compare(
        "Paiement en ligne : notification → solde crédité",
        ours,
        floor,
        1.5,
        "p50",
        "un règlement au guichet du même montant (record_payment)",
        WHY,
    )
    result.note = f"PayFiP (double de test) interrogé {calls} fois en SOAP"
    return result


WHY = (
    "the notification asks PayFiP for the payment's status (a SOAP round trip through eopayment's zeep client, "
    "to the double on loopback) before recording it; the counter payment needs no such call."
)
