"""security (issue 27): wrong passwords counted and locked per workstation; the personal data of the append-only
tables sealed with a key per family (``services.sealing``), so that an anonymisation erases it; the town's settings
(the retention period)

The rows written before this version are sealed here: the audit trail's before, after and reason of every family's
row, the ledger's labels and reasons, the cheques' bank and number. A family already anonymised gets a key that is
thrown away at once (its old rows become unreadable, as they should have been). The names still written in clear in
rows that belong to no family (the families of a closed day, those without an e-mail in a nightly run) become
numbers. The operation keys of earlier operations are forgotten (their stored outcomes held children's names; an
operation started before the upgrade is checked before it is made again).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:41:36.279901
"""

import json
import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base
from app.services.sealing import encrypt

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_log", "ledger_entries", "payments", "operation_keys")
WIDENED = {
    "audit_log": {"reason": 400},
    "ledger_entries": {"label": 200, "reason": 400},
    "payments": {"cheque_bank": 80, "cheque_number": 40},
}
"""The columns that hold sealed text from now on (longer than the text itself), and their former lengths."""


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("workstation", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_login_failures_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agent_id", "workstation", name=op.f("pk_login_failures")),
    )
    op.create_table(
        "family_keys",
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_family_keys_family_id_families"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_family_keys")),
    )
    op.create_table(
        "town_settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_town_settings")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch_op:
            for column, length in columns.items():
                batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text())
    _seal_existing_rows()
    if sqlite:  # the rebuilt tables lost their triggers; the operation keys are append-only too from now on
        _append_only_triggers("CREATE")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM family_keys")).scalar():
        raise RuntimeError(
            "Retour avant 0008 impossible : les données personnelles des écritures définitives sont scellées par "
            "famille et la version précédente ne saurait plus les lire. Restaurez une sauvegarde faite avant la "
            "mise à jour."
        )
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        _append_only_triggers("DROP")
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch_op:
            for column, length in columns.items():
                batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=length))
    if sqlite:
        _append_only_triggers("CREATE", tables=APPEND_ONLY[:3])
    op.drop_table("town_settings")
    op.drop_table("family_keys")
    op.drop_table("login_failures")


def _append_only_triggers(what: str, tables: Sequence[str] = APPEND_ONLY) -> None:
    for table in tables:
        for statement in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{statement.lower()}")
            if what == "CREATE":
                op.execute(
                    f"CREATE TRIGGER {table}_no_{statement.lower()} BEFORE {statement} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} : écritures définitives, {statement} refusé'); END"
                )


def _seal_existing_rows() -> None:
    bind = op.get_bind()
    families = sa.table("families", sa.column("id"), sa.column("anonymized_at"))
    keys_table = sa.table("family_keys", sa.column("family_id"), sa.column("key", sa.LargeBinary))
    keys: dict[int, bytes] = {}
    for family_id, anonymised in bind.execute(sa.select(families.c.id, families.c.anonymized_at)).all():
        keys[family_id] = os.urandom(32)
        if anonymised is None:  # an anonymised family's key is not kept: its old rows become unreadable
            bind.execute(keys_table.insert().values(family_id=family_id, key=keys[family_id]))

    def sealed(family_id: int, text: str | None) -> str | None:
        return None if text is None else encrypt(keys[family_id], family_id, text)

    def sealed_json(family_id: int, value: object) -> object:
        if value is None:
            return None
        return {
            "sealed": encrypt(
                keys[family_id], family_id, json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            )
        }

    audit = sa.table(
        "audit_log",
        sa.column("id"),
        sa.column("family_id"),
        sa.column("action"),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("reason"),
    )
    _update(
        audit,
        [
            {
                "_id": row.id,
                "before": sealed_json(row.family_id, row.before),
                "after": sealed_json(row.family_id, row.after),
                "reason": sealed(row.family_id, row.reason),
            }
            for row in bind.execute(sa.select(audit).where(audit.c.family_id.is_not(None))).all()
        ],
    )
    for row in bind.execute(
        sa.select(audit).where(
            audit.c.family_id.is_(None), audit.c.action.in_(("activity_day.close", "nightly.transmit"))
        )
    ).all():
        after = dict(row.after or {})
        for name in ("families", "without_email"):
            if isinstance(after.get(name), list):
                after[name] = len(after[name])  # names of families: a count
        bind.execute(audit.update().where(audit.c.id == row.id).values(after=after))

    ledger = sa.table(
        "ledger_entries", sa.column("id"), sa.column("wallet_id"), sa.column("label"), sa.column("reason")
    )
    wallets = sa.table("wallets", sa.column("id"), sa.column("family_id"))
    entries = sa.select(ledger.c.id, ledger.c.label, ledger.c.reason, wallets.c.family_id).join(
        wallets, wallets.c.id == ledger.c.wallet_id
    )
    _update(
        ledger,
        [
            {
                "_id": row.id,
                "label": sealed(row.family_id, row.label),
                "reason": sealed(row.family_id, row.reason),
            }
            for row in bind.execute(entries).all()
        ],
    )

    payments = sa.table(
        "payments",
        sa.column("id"),
        sa.column("family_id"),
        sa.column("cheque_bank"),
        sa.column("cheque_number"),
    )
    cheques = sa.select(payments).where(
        sa.or_(payments.c.cheque_bank.is_not(None), payments.c.cheque_number.is_not(None))
    )
    _update(
        payments,
        [
            {
                "_id": row.id,
                "cheque_bank": sealed(row.family_id, row.cheque_bank),
                "cheque_number": sealed(row.family_id, row.cheque_number),
            }
            for row in bind.execute(cheques).all()
        ],
    )
    bind.execute(sa.text("DELETE FROM operation_keys"))


def _update(table: sa.TableClause, rows: list[dict[str, object]]) -> None:
    """Many rows at once (one statement, executed for each): ``_id`` and the new values of the columns."""
    if not rows:
        return
    values = {name: sa.bindparam(name, type_=table.c[name].type) for name in rows[0] if name != "_id"}
    op.get_bind().execute(table.update().where(table.c.id == sa.bindparam("_id")).values(values), rows)
