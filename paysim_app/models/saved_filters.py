"""A user's saved filter sets: a list's state in the address under a name of the user's own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import utcnow


class SavedFilter(SQLModel, table=True):
    """One named filter set of one user for one list (core.listing's URL query, as saved)."""

    __tablename__ = "saved_filter"
    __table_args__ = (
        UniqueConstraint("user_id", "list_name", "name", name="uq_saved_filter_user_list_name"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    list_name: str = Field(max_length=40)
    name: str = Field(max_length=60)
    query: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
