"""the shared server as a trust boundary (issue 27): each agent's password version (a change or a reset ends his
other sessions); on PostgreSQL, the agents' login checked inside the database, the agents, their structures and their
lockouts changed by an administrator only, and the journal's author stamped by the database (``app.pg_security``)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch_op:
        batch_op.add_column(sa.Column("password_version", sa.Integer(), server_default="0", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        from app import pg_security

        pg_security.install(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from app import pg_security

        pg_security.uninstall(op.get_bind())
    with op.batch_alter_table("agents") as batch_op:
        batch_op.drop_column("password_version")
