"""Migrations bring an empty database to head, match the models, and the app refuses a schema behind."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.db import (
    check_schema,
    current_revision,
    head_revision,
    include_object,
    is_empty,
    make_engine,
    upgrade,
)
from app.models import Base
from app.services.errors import SchemaBehind


def test_empty_database_migrates_to_head_and_matches_the_models(empty_url):
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object}),
            Base.metadata,
        )
    assert diff == []
    check_schema(engine)
    engine.dispose()


def test_migrating_twice_is_harmless(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_downgrade_to_base_and_back(empty_url):
    engine = make_engine(empty_url)
    upgrade(engine)
    from alembic import command

    from app.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert is_empty(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_schema_behind_is_refused_with_a_french_message(empty_url):
    engine = make_engine(empty_url)
    with pytest.raises(SchemaBehind) as info:
        check_schema(engine)
    assert "n'est pas à jour" in str(info.value)
    assert "python -m app migrate" in str(info.value)
    engine.dispose()


def test_schema_head_constant_matches_the_migration_scripts():
    from app.db import SCHEMA_HEAD, script_heads

    assert script_heads() == [SCHEMA_HEAD]


def test_going_back_before_the_online_payments_is_refused_once_one_is_recorded(empty_url):
    """0007's downgrade: an online payment is append-only and the older schema has no method for it."""
    from datetime import UTC, date, datetime

    from alembic import command

    from app.db import alembic_config
    from app.models import Family, Payment, PaymentMethod, Structure, Wallet, WalletKind
    from app.services.uow import Database

    engine = make_engine(empty_url)
    upgrade(engine)
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with Database(engine).writing() as uow:
        s = uow.session
        structure = Structure(code="ALSH", name="ALSH Montech")
        family = Family(name="DUPONT", created_at=now)
        s.add_all([structure, family])
        s.flush()
        wallet = Wallet(family_id=family.id, kind=WalletKind.ALSH, balance_cents=0)
        s.add(wallet)
        s.flush()
        s.add(
            Payment(
                structure_id=structure.id,
                family_id=family.id,
                wallet_id=wallet.id,
                receipt_year=2026,
                receipt_seq=1,
                receipt_number="2026-000001",
                method=PaymentMethod.ONLINE,
                amount_cents=5000,
                paid_at=now,
                business_date=date(2026, 11, 26),
            )
        )
        uow.commit()
    command.downgrade(alembic_config(engine), "0007")
    with pytest.raises(
        RuntimeError, match="1 règlement « carte en ligne » enregistré : un règlement ne s'efface pas"
    ):
        command.downgrade(alembic_config(engine), "0006")
    assert current_revision(engine) == "0007"
    engine.dispose()


def test_activities_of_an_older_schema_get_their_kinds_hours_and_caf_category(empty_url):
    """0013 fills the new columns of existing activities from their kind: ALAE 13:30–18:30 périscolaire, ALSH
    7:30–18:30 extrascolaire, no meal part; and dates the start of each existing structure's cheque deposits."""
    import sqlalchemy as sa
    from alembic import command

    from app.db import alembic_config

    engine = make_engine(empty_url)
    command.upgrade(alembic_config(engine), "0012")
    deadline = {
        "kind": "counted_days",
        "days": 2,
        "skip_weekdays": "",
        "skip_public_holidays": False,
        "at": "23:59:00",
    }
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO structures (code, name, address, postal_code, city, phone, email, school_zone) VALUES ('S', 'ALSH', '', '', '', '', '', 'C')"
            )
        )
        for code, kind, wallet, opening in (
            ("ALAE", "alae_wednesday", "alae", "rolling"),
            ("CLSH", "alsh_holidays", "alsh", "period"),
        ):
            columns = {
                "structure_id": 1,
                "code": code,
                "name": code,
                "kind": kind,
                "wallet_kind": wallet,
                "price_cents": 1300,
                "default_capacity": 24,
                "waitlist_enabled": True,
                "active": True,
                "opening_kind": opening,
            }
            for prefix in ("book_deadline", "cancel_deadline"):
                columns |= {f"{prefix}_{k}": v for k, v in deadline.items()}
            names = ", ".join(columns)
            conn.execute(
                sa.text(f"INSERT INTO activities ({names}) VALUES ({', '.join(':' + c for c in columns)})"),
                columns,
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, day_starts_at, day_ends_at, caf_category, meal_cents FROM activities ORDER BY code"
            )
        ).all()
        since = conn.execute(sa.text("SELECT cheque_deposits_since FROM structures")).scalar_one()
    # the cheques of the older versions were deposited by hand: the structure's deposits start on the upgrade's day
    assert since is not None
    as_time = [
        (code, str(start)[:5], str(end)[:5], category, meal) for code, start, end, category, meal in rows
    ]
    assert as_time == [
        ("ALAE", "13:30", "18:30", "periscolaire", 0),
        ("CLSH", "07:30", "18:30", "extrascolaire", 0),
    ]
    engine.dispose()
