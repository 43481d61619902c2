"""the family's reference (issue 29): the town's own file number, kept by the import and shown in searches

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("families") as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_families_reference"), ["reference"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("families") as batch_op:
        batch_op.drop_index(batch_op.f("ix_families_reference"))
        batch_op.drop_column("reference")
