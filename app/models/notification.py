"""Notification outbox (e-mails sent by a job, never lost, never twice) and structure messages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum
from .enums import OutboxStatus


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(120), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    """The RFC 5322 Message-ID, fixed at the first attempt and kept for every retry."""
    claimed_until: Mapped[datetime | None]
    """A sending job holds the message until then; after it (job killed), another run may take it."""


class InfoMessage(Base):
    """An information message of a structure, shown on the home screen between two dates."""

    __tablename__ = "info_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120), info={"label": "titre du message"})
    body: Mapped[str] = mapped_column(Text, info={"label": "texte du message", "length": 4000})
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_at: Mapped[datetime]
