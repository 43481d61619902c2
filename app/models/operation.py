"""Operation keys: one row per write that moves money or places, made by the caller before its first try.

The key is inserted in the same transaction as the write, with the write's result, so that a retry after an
unclear end (the connection lost while the COMMIT was on its way) finds what really happened instead of writing
again: one handover of cash is one payment, whatever the network did.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class OperationRecord(Base):
    __tablename__ = "operation_keys"

    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ScheduledJob(Base):
    """A daily job of the worker (the end of day): done once per day however many workers run; a worker holds it
    while it runs (``claimed_until``), and another takes it over if that one dies."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_for: Mapped[date | None]
    """The last day it was done for."""
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_run_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(Text)
