"""A deterministic city-scale dataset, bulk-loaded with SQLAlchemy Core (executemany in large batches).

Full size: 5,000 families, 8,000 children, 3 structures (two Wednesday clubs and a holiday centre), five school
years (2022-2023 … 2026-2027) of ALAE Wednesdays and ALSH periods, about 1,000,000 reservations in every state
with their charges, and 50,000 payments with gapless receipts. ``quick`` is about a tenth of it.
"""

from __future__ import annotations

import random
import time as systime
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import Engine, insert, select

from app.clock import PARIS
from app.models import (
    TILL_METHODS,
    Activity,
    ActivityDay,
    ActivityKind,
    Adult,
    Agent,
    CafCategory,
    Child,
    DeadlineKind,
    Family,
    LedgerEntry,
    LedgerKind,
    OpeningKind,
    Payment,
    Period,
    PeriodOpeningRule,
    ReceiptCounter,
    Reservation,
    ReservationStatus,
    Role,
    Structure,
    Wallet,
    WalletKind,
    search_key,
)
from app.services.booking import calendar
from app.services.money.till import receipt_number
from app.services.uow import Database

YEARS = ["2022-2023", "2023-2024", "2024-2025", "2025-2026", "2026-2027"]
BENCH_TODAY = date(2026, 6, 1)  # summer bookings are open (since 6 May): plenty of days to book
LEVELS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]


@dataclass(frozen=True)
class Size:
    families: int
    children: int
    years: list[str]
    alae_capacity: int
    alsh_capacity: int
    payments: int

    @classmethod
    def full(cls) -> Size:
        return cls(5000, 8000, YEARS, 1900, 700, 50_000)

    @classmethod
    def quick(cls) -> Size:
        return cls(500, 800, YEARS[-2:], 190, 80, 5_000)


@dataclass
class Loaded:
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    alae_ids: list[int] = field(default_factory=list)
    alsh_id: int = 0
    alsh_summer_id: int = 0
    structure_ids: list[int] = field(default_factory=list)


def _wed_deadline(prefix: str) -> dict:
    return {
        f"{prefix}_kind": DeadlineKind.LAST_WEEKDAY,
        f"{prefix}_days": None,
        f"{prefix}_skip_weekdays": "",
        f"{prefix}_skip_public_holidays": False,
        f"{prefix}_weekday": 6,
        f"{prefix}_at": time(23, 59),
    }


def _counted(prefix: str, days: int, skip: str) -> dict:
    return {
        f"{prefix}_kind": DeadlineKind.COUNTED_DAYS,
        f"{prefix}_days": days,
        f"{prefix}_skip_weekdays": skip,
        f"{prefix}_skip_public_holidays": False,
        f"{prefix}_weekday": None,
        f"{prefix}_at": time(23, 59),
    }


def _batches(engine: Engine, table, rows: list[dict], size: int = 20_000) -> None:
    with engine.begin() as conn:
        for i in range(0, len(rows), size):
            conn.execute(insert(table), rows[i : i + size])


def build(db: Database, size: Size, seed: int = 42) -> Loaded:
    """Fill an empty, migrated database. Deterministic for a given size and seed."""
    started = systime.perf_counter()
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    engine = db.engine
    loaded = Loaded(0.0)
    now = datetime.combine(BENCH_TODAY, time(8, 0), tzinfo=PARIS).astimezone(UTC)

    # --- reference data through the ORM (small) ---------------------------------------------------------
    with db.writing() as uow:
        s = uow.session
        first = int(size.years[0][:4])
        calendar.seed_school_holidays(s, "C", [f"{first - 1}-{first}", *size.years])
        calendar.seed_public_holidays(s, range(first - 1, int(size.years[-1][5:]) + 1))
        structures = [
            Structure(code=f"S{i}", name=n, city="Montech", school_zone="C")
            for i, n in enumerate(["ALAE Centre", "ALAE Lalande", "ALSH Montech"])
        ]
        s.add_all(structures)
        s.flush()
        agents = [
            Agent(
                login=f"agent{i}",
                full_name=f"Agent {i}",
                role=Role.AGENT if i else Role.SUPERVISOR,
                created_at=now,
                structures=structures,
            )
            for i in range(4)
        ]
        s.add_all(agents)
        alae = [
            Activity(
                structure_id=structures[i].id,
                code="ALAE",
                name=f"ALAE Mercredi – {structures[i].name}",
                kind=ActivityKind.ALAE_WEDNESDAY,
                wallet_kind=WalletKind.ALAE,
                price_cents=650,
                default_capacity=size.alae_capacity,
                waitlist_enabled=False,
                opening_kind=OpeningKind.ROLLING,
                horizon_days=90,
                **_wed_deadline("book_deadline"),
                **_wed_deadline("cancel_deadline"),
                day_starts_at=time(13, 30),
                day_ends_at=time(18, 30),
                caf_category=CafCategory.PERISCOLAIRE,
            )
            for i in range(2)
        ]
        alsh_common = {
            "structure_id": structures[2].id,
            "kind": ActivityKind.ALSH_HOLIDAYS,
            "wallet_kind": WalletKind.ALSH,
            "price_cents": 1300,
            "default_capacity": size.alsh_capacity,
            "waitlist_enabled": True,
            "opening_kind": OpeningKind.PERIOD,
            **_counted("book_deadline", 2, "4,5"),
            **_counted("cancel_deadline", 15, ""),
            "day_starts_at": time(7, 30),
            "day_ends_at": time(18, 30),
            "caf_category": CafCategory.EXTRASCOLAIRE,
        }
        pv = Activity(code="CLSH-PV", name="CLSH Petites vacances", **alsh_common)
        ete = Activity(code="CLSH-ETE", name="CLSH Vacances d'été", **alsh_common)
        s.add_all([*alae, pv, ete])
        s.flush()
        for year in size.years:
            for a in alae:
                calendar.add_alae_days(s, a, "C", year)
            for holiday in calendar.school_holidays(s, "C", year):
                if holiday.name.startswith("Pont"):
                    continue
                if holiday.start_date.month in (6, 7):
                    calendar.add_period(
                        s,
                        ete,
                        holiday,
                        PeriodOpeningRule.FIXED_DATE,
                        fixed=date(holiday.start_date.year, 5, 6),
                    )
                else:
                    calendar.add_period(s, pv, holiday, PeriodOpeningRule.WEEKS_BEFORE, weeks=5)
        uow.commit()
        loaded.structure_ids = [x.id for x in structures]
        loaded.alae_ids = [a.id for a in alae]
        loaded.alsh_id, loaded.alsh_summer_id = pv.id, ete.id
        agent_ids = [a.id for a in agents]
        days = list(
            s.execute(
                select(
                    ActivityDay.id,
                    ActivityDay.activity_id,
                    ActivityDay.day,
                    ActivityDay.capacity,
                    ActivityDay.period_id,
                )
            ).all()
        )
        openings = dict(s.execute(select(Period.id, Period.opening_date)).all())

    # --- families, adults, children, wallets ---------------------------------------------------------------
    surnames = [fake.last_name() for _ in range(size.families)]
    families, adults, children, wallets = [], [], [], []
    child_rows: list[tuple[int, int, int]] = []  # (child id, family id, structure index)
    per_family = [1] * size.families
    for _ in range(size.children - size.families):
        per_family[rng.randrange(size.families)] += 1
    child_id = 0
    for fid in range(1, size.families + 1):
        name = surnames[fid - 1]
        parent = fake.first_name()
        phone = f"05 63 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        email = None if rng.random() < 0.12 else f"famille{fid}@example.org"
        kids = [fake.first_name() for _ in range(per_family[fid - 1])]
        families.append(
            {
                "id": fid,
                "name": name.upper(),
                "email": email,
                "phone": phone,
                "address": "",
                "postal_code": "82700",
                "city": "Montech",
                "quotient_familial": rng.randint(300, 2500),
                "notes": "",
                "created_at": now,
                "name_key": search_key(name),
                "search_text": search_key(name, parent, email, phone.replace(" ", ""), *kids),
            }
        )
        adults.append(
            {
                "family_id": fid,
                "first_name": parent,
                "last_name": name,
                "relationship_label": "parent",
                "phone": phone,
                "email": email,
            }
        )
        home = rng.randrange(2)
        for kid in kids:
            child_id += 1
            children.append(
                {
                    "id": child_id,
                    "family_id": fid,
                    "first_name": kid,
                    "last_name": name,
                    "birth_date": date(2014 + rng.randrange(9), rng.randint(1, 12), rng.randint(1, 28)),
                    "school_level": rng.choice(LEVELS),
                    "notes": "",
                }
            )
            child_rows.append((child_id, fid, home))
        for k, kind in enumerate(WalletKind):
            wallets.append({"id": (fid - 1) * 3 + k + 1, "family_id": fid, "kind": kind, "balance_cents": 0})
    _batches(engine, Family.__table__, families)
    _batches(engine, Adult.__table__, adults)
    _batches(engine, Child.__table__, children)
    wallet_of = {(w["family_id"], w["kind"]): w["id"] for w in wallets}

    # --- reservations and their charges -------------------------------------------------------------------
    reservations, entries = [], []
    balances: defaultdict[int, int] = defaultdict(int)
    by_structure = [[c for c in child_rows if c[2] == i] for i in range(2)]
    res_id = 0
    alae_set = set(loaded.alae_ids)
    for day_id, activity_id, the_day, capacity, period_id in days:
        if activity_id in alae_set:
            pool = by_structure[loaded.alae_ids.index(activity_id)]
            wanted = min(len(pool), int(capacity * rng.uniform(0.85, 1.05)))
            price, kind, asked_from = 650, WalletKind.ALAE, the_day - timedelta(days=rng.randint(8, 80))
        else:
            pool = child_rows
            wanted = min(len(pool), int(capacity * rng.uniform(0.6, 1.25)))
            price, kind = 1300, WalletKind.ALSH
            asked_from = openings.get(period_id, the_day - timedelta(days=30))
        chosen = rng.sample(pool, wanted)
        accepted = 0
        position = 0
        for cid, fid, _home in chosen:
            res_id += 1
            asked = datetime.combine(
                asked_from + timedelta(days=rng.randint(0, 6)), time(rng.randint(8, 19)), tzinfo=PARIS
            ).astimezone(UTC) + timedelta(seconds=res_id % 3600)
            transmitted = asked + timedelta(hours=12) if asked < now else None
            row = {
                "id": res_id,
                "child_id": cid,
                "activity_day_id": day_id,
                "requested_at": asked,
                "decided_at": asked,
                "transmitted_at": transmitted,
                "waitlist_position": None,
                "refusal_reason": None,
                "price_cents": None,
                "cancelled_at": None,
                "attendance": None,
                "certificate_at": None,
                "override_reason": None,
                "agent_id": None,
                "batch_id": None,
            }
            if accepted < capacity and rng.random() > 0.04:
                accepted += 1
                row.update(status=ReservationStatus.ACCEPTED, price_cents=price)
                if the_day < BENCH_TODAY:
                    row["attendance"] = "absent" if rng.random() < 0.05 else "present"
                wallet = wallet_of[(fid, kind)]
                entries.append(
                    {
                        "wallet_id": wallet,
                        "kind": LedgerKind.CHARGE,
                        "amount_cents": -price,
                        "label": f"Réservation {the_day:%d/%m/%Y}",
                        "created_at": asked,
                        "business_date": asked.astimezone(PARIS).date(),
                        "reservation_id": res_id,
                    }
                )
                balances[wallet] -= price
            elif accepted >= capacity and activity_id not in alae_set:
                position += 1
                row.update(status=ReservationStatus.WAITLISTED, waitlist_position=position)
            elif rng.random() < 0.5:
                row.update(
                    status=ReservationStatus.REFUSED,
                    refusal_reason="Complet : plus de place disponible ce jour-là",
                )
            else:
                row.update(status=ReservationStatus.CANCELLED, cancelled_at=asked + timedelta(days=1))
            reservations.append(row)

    # --- payments with gapless receipts: most families end in credit, a few in debit -----------------------
    payments = []
    per_wallet = size.payments / max(1, sum(1 for v in balances.values() if v < 0))
    for wallet_id, spent in sorted(balances.items()):
        fid, kind = (wallet_id - 1) // 3 + 1, list(WalletKind)[(wallet_id - 1) % 3]
        target = (
            -rng.choice([650, 1300, 2600]) if rng.random() < 0.08 else rng.choice([0, 1300, 2000, 5000, 9000])
        )
        total = target - spent
        if total <= 0:
            continue
        parts = max(1, min(int(per_wallet * rng.uniform(0.5, 1.5)), total // 500 or 1))
        amounts = [total // parts] * parts
        amounts[-1] += total - sum(amounts)
        structure_id = (
            loaded.structure_ids[2] if kind is WalletKind.ALSH else loaded.structure_ids[rng.randrange(2)]
        )
        for amount in amounts:
            paid = datetime.combine(
                BENCH_TODAY - timedelta(days=rng.randint(1, 365 * len(size.years))),
                time(rng.randint(8, 17), rng.randint(0, 59)),
                tzinfo=PARIS,
            )
            payments.append(
                {
                    "structure_id": structure_id,
                    "family_id": fid,
                    "wallet_id": wallet_id,
                    "receipt_year": paid.year,
                    "receipt_seq": 0,
                    "receipt_number": "",
                    "method": rng.choice(TILL_METHODS),
                    "amount_cents": amount,
                    "paid_at": paid.astimezone(UTC),
                    "business_date": paid.date(),
                    "agent_id": rng.choice(agent_ids),
                }
            )
    payments.sort(key=lambda r: (r["structure_id"], r["paid_at"]))
    counters: defaultdict[tuple[int, int], int] = defaultdict(int)
    for i, p in enumerate(payments, start=1):
        key = (p["structure_id"], p["receipt_year"])
        counters[key] += 1
        p["id"] = i
        p["receipt_seq"] = counters[key]
        p["receipt_number"] = receipt_number(key[1], counters[key])
        entries.append(
            {
                "wallet_id": p["wallet_id"],
                "kind": LedgerKind.PAYMENT,
                "amount_cents": p["amount_cents"],
                "label": f"Règlement {p['receipt_number']}",
                "created_at": p["paid_at"],
                "business_date": p["business_date"],
                "payment_id": i,
            }
        )
        balances[p["wallet_id"]] += p["amount_cents"]
    for w in wallets:
        w["balance_cents"] = balances.get(w["id"], 0)
    _batches(engine, Wallet.__table__, wallets)
    _batches(engine, Reservation.__table__, reservations)
    _batches(engine, Payment.__table__, payments)
    for e in entries:
        e.setdefault("reservation_id", None)
        e.setdefault("payment_id", None)
    _batches(engine, LedgerEntry.__table__, entries)
    _batches(
        engine,
        ReceiptCounter.__table__,
        [{"structure_id": k[0], "year": k[1], "last_seq": v} for k, v in counters.items()],
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("families", "children", "wallets", "reservations", "payments"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    loaded.seconds = systime.perf_counter() - started
    loaded.counts = {
        "families": len(families),
        "children": len(children),
        "activity_days": len(days),
        "reservations": len(reservations),
        "ledger_entries": len(entries),
        "payments": len(payments),
    }
    return loaded
