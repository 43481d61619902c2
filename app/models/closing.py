"""End-of-day cash closing (clôture de caisse) per agent, structure and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import ClosingStatus, PaymentMethod


class DayClosing(Base):
    __tablename__ = "day_closings"
    __table_args__ = (UniqueConstraint("structure_id", "agent_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="RESTRICT"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    business_date: Mapped[date]
    status: Mapped[ClosingStatus] = mapped_column(str_enum(ClosingStatus, "closing_status"))
    discrepancy_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    comment: Mapped[str] = mapped_column(Text, default="", info={"label": "commentaire", "length": 400})
    closed_at: Mapped[datetime]
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    validated_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    """Who counted, when a régisseur closes another agent's past day (``late``); None: the agent himself."""
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Closed after its day, by a régisseur (a till left open)."""

    lines: Mapped[list[ClosingLine]] = relationship(
        back_populates="closing", cascade="all, delete-orphan", order_by="ClosingLine.method"
    )


class ClosingLine(Base):
    """Expected (from the day's receipts) and counted totals for one payment method."""

    __tablename__ = "closing_lines"
    __table_args__ = (
        UniqueConstraint("closing_id", "method"),
        CheckConstraint("counted_count IS NULL OR counted_count >= 0", name="count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    closing_id: Mapped[int] = mapped_column(ForeignKey("day_closings.id", ondelete="CASCADE"))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    expected_cents: Mapped[int] = mapped_column(BigInteger)
    expected_count: Mapped[int]
    counted_cents: Mapped[int | None] = mapped_column(BigInteger)
    counted_count: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(200))

    closing: Mapped[DayClosing] = relationship(back_populates="lines")


class MissingCheque(Base):
    """A cheque of a till that its agent did not have when counting it (« Cocher les chèques… » left it unticked):
    the régisseur's deposit dialog leaves it unticked and says so, until it is found."""

    __tablename__ = "missing_cheques"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), primary_key=True)
    closing_id: Mapped[int] = mapped_column(ForeignKey("day_closings.id", ondelete="CASCADE"), index=True)
