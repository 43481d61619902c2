"""Reservations: child × activity day, with status, waitlist position, transmission and attendance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import Attendance, ReservationStatus

if TYPE_CHECKING:
    from .activity import ActivityDay
    from .family import Child

LIVE_PREDICATE = "status IN ('accepted', 'waitlisted')"


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        # One live (accepted or waitlisted) reservation per child and activity day, enforced by the database.
        Index(
            "uq_reservations_live_child_day",
            "child_id",
            "activity_day_id",
            unique=True,
            sqlite_where=text(LIVE_PREDICATE),
            postgresql_where=text(LIVE_PREDICATE),
        ),
        Index("ix_reservations_child_status", "child_id", "status"),
        Index("ix_reservations_day_status", "activity_day_id", "status", "waitlist_position"),
        Index("ix_reservations_transmitted", "transmitted_at", "requested_at"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
            name="waitlist_position_iff_waitlisted",
        ),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_non_negative"),
        CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL", name="refusal_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="RESTRICT"))
    activity_day_id: Mapped[int] = mapped_column(ForeignKey("activity_days.id", ondelete="RESTRICT"))
    status: Mapped[ReservationStatus] = mapped_column(str_enum(ReservationStatus, "reservation_status"))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    waitlist_position: Mapped[int | None]
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    price_cents: Mapped[int | None]
    transmitted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    attendance: Mapped[Attendance | None] = mapped_column(str_enum(Attendance, "attendance"))
    certificate_at: Mapped[datetime | None]
    override_reason: Mapped[str | None] = mapped_column(String(300), info={"label": "motif du dépassement"})
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="RESTRICT"))
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)

    child: Mapped[Child] = relationship()
    activity_day: Mapped[ActivityDay] = relationship()
