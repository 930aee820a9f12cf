"""Quick quality ratings and browser speed tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

RATING_ASPECTS = ("voice", "speed", "coverage")


class SpeedTest(SQLModel, table=True):
    __tablename__ = "speed_test"
    __table_args__ = (
        CheckConstraint("ping_ms >= 0 AND jitter_ms >= 0", name="ck_speed_test_ping"),
        CheckConstraint("download_kbps >= 0 AND upload_kbps >= 0", name="ck_speed_test_rates"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int | None = Field(default=None, foreign_key="sim.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    ping_ms: int
    jitter_ms: int
    download_kbps: int
    upload_kbps: int
    user_agent: str = Field(default="", max_length=300)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")  # sent to support with
    created_at: datetime = Field(default_factory=utcnow)


class QualityRating(SQLModel, table=True):
    __tablename__ = "quality_rating"
    __table_args__ = (
        one_of("aspect", RATING_ASPECTS, "ck_rating_aspect"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="ck_rating_stars"),
        Index("ix_rating_stars_created", "stars", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int | None = Field(default=None, foreign_key="sim.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    aspect: str = Field(max_length=16)
    stars: int
    comment: str = Field(default="", max_length=1000)
    speed_test_id: int | None = Field(default=None, foreign_key="speed_test.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = Field(default_factory=utcnow)
