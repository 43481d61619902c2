"""the portal's sessions kept in the database (issue 30): revocable sessions, the failures of unknown identifiers
kept as an account's, and the attempts counted per client address across every worker

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_portal_sessions_family_id_families"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    with op.batch_alter_table("portal_sessions") as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_sessions_family_id"), ["family_id"], unique=False)
    op.create_table(
        "portal_login_guards",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_portal_login_guards")),
    )
    with op.batch_alter_table("portal_login_guards") as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_login_guards_updated_at"), ["updated_at"], unique=False)
    op.create_table(
        "portal_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    with op.batch_alter_table("portal_attempts") as batch_op:
        batch_op.create_index("ix_portal_attempts_kind_key_at", ["kind", "key_hash", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_attempts_at"), ["at"], unique=False)
    # the reset e-mails sent by the older versions kept their link (its token) in the outbox: erased
    op.execute(
        "UPDATE outbox_messages SET body = '(message envoyé ; lien effacé)' "
        "WHERE kind = 'portal_reset' AND status = 'sent'"
    )


def downgrade() -> None:
    with op.batch_alter_table("portal_attempts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_attempts_at"))
        batch_op.drop_index("ix_portal_attempts_kind_key_at")
    op.drop_table("portal_attempts")
    with op.batch_alter_table("portal_login_guards") as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_login_guards_updated_at"))
    op.drop_table("portal_login_guards")
    with op.batch_alter_table("portal_sessions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sessions_family_id"))
    op.drop_table("portal_sessions")
