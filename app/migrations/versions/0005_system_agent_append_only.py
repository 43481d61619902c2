"""system agent, append-only ledger, payments and audit on SQLite

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYSTEM_LOGIN = "systeme"
APPEND_ONLY = ("ledger_entries", "payments", "audit_log")


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("system", sa.Boolean(), server_default=sa.false(), nullable=False))
    agents = sa.table(
        "agents",
        sa.column("login"),
        sa.column("full_name"),
        sa.column("role"),
        sa.column("password_hash"),
        sa.column("active"),
        sa.column("failed_logins"),
        sa.column("must_change_password"),
        sa.column("system"),
        sa.column("created_at"),
    )
    bind = op.get_bind()
    if bind.execute(
        sa.select(sa.func.count()).select_from(agents).where(agents.c.login == SYSTEM_LOGIN)
    ).scalar():
        bind.execute(
            agents.update().where(agents.c.login == SYSTEM_LOGIN).values(system=True, password_hash=None)
        )
    else:
        now = datetime.now(UTC)
        op.bulk_insert(
            agents,
            [
                {
                    "login": SYSTEM_LOGIN,
                    "full_name": "Système (tâches planifiées, ligne de commande)",
                    "role": "admin",
                    "password_hash": None,
                    "active": True,
                    "failed_logins": 0,
                    "must_change_password": False,
                    "system": True,
                    "created_at": now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None),
                }
            ],
        )
    # Older versions queued temporary portal passwords in the outbox: none stays there in clear.
    outbox = sa.table(
        "outbox_messages", sa.column("kind"), sa.column("body"), sa.column("status"), sa.column("last_error")
    )
    bind.execute(
        outbox.update()
        .where(outbox.c.kind == "portal_password")
        .values(body="(effacé : contenait un mot de passe provisoire)")
    )
    bind.execute(
        outbox.update()
        .where(outbox.c.kind == "portal_password", outbox.c.status == "pending")
        .values(
            status="failed",
            last_error="mot de passe provisoire effacé : en réémettre un depuis « Accès portail »",
        )
    )
    if bind.dialect.name == "sqlite":  # PostgreSQL: the counters' role has no UPDATE/DELETE on them (migrate)
        for table in APPEND_ONLY:
            for what in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} : écritures définitives, {what} refusé'); END"
                )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for what in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{what}")
    agents = sa.table("agents", sa.column("login"), sa.column("system"))
    bind.execute(agents.delete().where(agents.c.system.is_(True)))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("system")
