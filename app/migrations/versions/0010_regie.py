"""the régie's day (issue 28): the structure's régie (name, act) for receipts and the arrêté; a cash closing made
late by a régisseur (who counted, marked late); a cheque's drawer (tireur)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("structures") as batch_op:
        batch_op.add_column(sa.Column("regie_name", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(sa.Column("regie_act", sa.String(length=160), server_default="", nullable=False))
    with op.batch_alter_table("day_closings") as batch_op:
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            op.f("fk_day_closings_closed_by_id_agents"),
            "agents",
            ["closed_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    with op.batch_alter_table("payments") as batch_op:
        batch_op.add_column(sa.Column("cheque_drawer", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch_op:
        batch_op.drop_column("cheque_drawer")
    with op.batch_alter_table("day_closings") as batch_op:
        batch_op.drop_constraint(op.f("fk_day_closings_closed_by_id_agents"), type_="foreignkey")
        batch_op.drop_column("late")
        batch_op.drop_column("closed_by_id")
    with op.batch_alter_table("structures") as batch_op:
        batch_op.drop_column("regie_act")
        batch_op.drop_column("regie_name")
