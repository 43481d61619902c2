"""what towns ask the counter for beyond booking (issue 34): the structure's SIRET and régisseur; an activity's
meal part, daily hours and CAF category; an agent's right to the health files; the children's health files and
contacts; the cheque deposits, numbered per structure and year

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cheque_deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("cheque_count", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("cheque_count > 0", name=op.f("ck_cheque_deposits_count_positive")),
        sa.CheckConstraint("seq > 0", name=op.f("ck_cheque_deposits_seq_positive")),
        sa.CheckConstraint("total_cents > 0", name=op.f("ck_cheque_deposits_total_positive")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_cheque_deposits_agent_id_agents"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_cheque_deposits_structure_id_structures"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheque_deposits")),
        sa.UniqueConstraint("structure_id", "number", name=op.f("uq_cheque_deposits_structure_id_number")),
        sa.UniqueConstraint(
            "structure_id", "year", "seq", name=op.f("uq_cheque_deposits_structure_id_year_seq")
        ),
    )
    op.create_table(
        "deposit_counters",
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["structures.id"],
            name=op.f("fk_deposit_counters_structure_id_structures"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("structure_id", "year", name=op.f("pk_deposit_counters")),
    )
    op.create_table(
        "child_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("emergency", "pickup", name="contact_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("relation", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_child_contacts_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_contacts")),
    )
    with op.batch_alter_table("child_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_contacts_child_id"), ["child_id"], unique=False)

    op.create_table(
        "child_health",
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("has_allergy", sa.Boolean(), nullable=False),
        sa.Column("allergies", sa.Text(), nullable=False),
        sa.Column("pai", sa.Boolean(), nullable=False),
        sa.Column("pai_until", sa.Date(), nullable=True),
        sa.Column("diet", sa.String(length=200), nullable=False),
        sa.Column("doctor_name", sa.String(length=120), nullable=False),
        sa.Column("doctor_phone", sa.String(length=30), nullable=False),
        sa.Column("photos_allowed", sa.Boolean(), nullable=True),
        sa.Column("photos_answered_on", sa.Date(), nullable=True),
        sa.Column("leave_alone_allowed", sa.Boolean(), nullable=True),
        sa.Column("leave_alone_answered_on", sa.Date(), nullable=True),
        sa.Column("medical_allowed", sa.Boolean(), nullable=True),
        sa.Column("medical_answered_on", sa.Date(), nullable=True),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("pai OR pai_until IS NULL", name=op.f("ck_child_health_pai_until_only_with_pai")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_health_child_id_children"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_child_health")),
    )
    op.create_table(
        "cheque_deposit_items",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["cheque_deposits.id"],
            name=op.f("fk_cheque_deposit_items_deposit_id_cheque_deposits"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_cheque_deposit_items_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_cheque_deposit_items")),
    )
    with op.batch_alter_table("cheque_deposit_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cheque_deposit_items_deposit_id"), ["deposit_id"], unique=False)

    caf_category = sa.Enum(
        "periscolaire", "extrascolaire", name="caf_category", native_enum=False, create_constraint=True
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meal_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("day_starts_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("day_ends_at", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("caf_category", sa.String(length=13), nullable=True))
    # The existing activities get their kind's usual hours and category (ALAE Wednesday afternoon 13:30–18:30,
    # périscolaire; ALSH day 7:30–18:30, extrascolaire), which the administrator can change afterwards.
    activities = sa.table(
        "activities",
        sa.column("kind", sa.String()),
        sa.column("day_starts_at", sa.Time()),
        sa.column("day_ends_at", sa.Time()),
        sa.column("caf_category", sa.String()),
    )
    for kind, starts, ends, category in (
        ("alae_wednesday", time(13, 30), time(18, 30), "periscolaire"),
        ("alsh_holidays", time(7, 30), time(18, 30), "extrascolaire"),
    ):
        op.execute(
            activities.update()
            .where(activities.c.kind == kind)
            .values(day_starts_at=starts, day_ends_at=ends, caf_category=category)
        )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.alter_column("day_starts_at", existing_type=sa.Time(), nullable=False)
        batch_op.alter_column("day_ends_at", existing_type=sa.Time(), nullable=False)
        batch_op.alter_column(
            "caf_category", existing_type=sa.String(length=13), type_=caf_category, nullable=False
        )
        batch_op.create_check_constraint(op.f("ck_activities_meal_non_negative"), "meal_cents >= 0")
        batch_op.create_check_constraint(op.f("ck_activities_day_hours"), "day_ends_at > day_starts_at")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("health_access", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("siret", sa.String(length=14), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("regisseur_name", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("cheque_deposits_since", sa.Date(), nullable=True))
    # The cheques a town took before this version went to the bank with a paper slip made by hand: the deposits
    # start with the cheques taken from today (a structure created afterwards has None: every cheque).
    structures = sa.table("structures", sa.column("cheque_deposits_since", sa.Date()))
    op.execute(
        structures.update().values(cheque_deposits_since=datetime.now(ZoneInfo("Europe/Paris")).date())
    )
    op.create_table(
        "missing_cheques",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("closing_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closing_id"],
            ["day_closings.id"],
            name=op.f("fk_missing_cheques_closing_id_day_closings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_missing_cheques_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_missing_cheques")),
    )
    with op.batch_alter_table("missing_cheques", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_missing_cheques_closing_id"), ["closing_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("missing_cheques", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missing_cheques_closing_id"))
    op.drop_table("missing_cheques")
    with op.batch_alter_table("structures", schema=None) as batch_op:
        batch_op.drop_column("cheque_deposits_since")
        batch_op.drop_column("regisseur_name")
        batch_op.drop_column("siret")

    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("health_access")

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_activities_day_hours"), type_="check")
        batch_op.drop_constraint(op.f("ck_activities_meal_non_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_activities_caf_category"), type_="check")
        batch_op.drop_column("caf_category")
        batch_op.drop_column("day_ends_at")
        batch_op.drop_column("day_starts_at")
        batch_op.drop_column("meal_cents")

    with op.batch_alter_table("cheque_deposit_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cheque_deposit_items_deposit_id"))

    op.drop_table("cheque_deposit_items")
    op.drop_table("child_health")
    with op.batch_alter_table("child_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_contacts_child_id"))

    op.drop_table("child_contacts")
    op.drop_table("deposit_counters")
    op.drop_table("cheque_deposits")
