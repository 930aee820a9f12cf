"""Two-factor sign-in: a user's TOTP authenticator, their one-time recovery codes, the short-lived
second step of a sign-in, and the browsers a user has signed in from (for the new-browser notice).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

CHALLENGE_KINDS = ("code", "enrol")


class TwoFactor(SQLModel, table=True):
    """A user's authenticator. The TOTP secret is kept encrypted (core.outbox.seal); until a
    correct code confirms it (`enabled_at`) the row is an enrolment in progress. `last_step` is
    the last accepted 30-second time step: a code is never accepted twice."""

    __tablename__ = "two_factor"
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    secret_sealed: str = Field(max_length=400)
    enabled_at: datetime | None = None
    last_step: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class RecoveryCode(SQLModel, table=True):
    """One of a user's one-time recovery codes; only a keyed digest is kept."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SignInChallenge(SQLModel, table=True):
    """The second step of a sign-in whose password was right: a code is owed ("code"), or the
    authenticator must first be enrolled ("enrol"). Bound to the user, to the login typed (its
    throttle counts wrong codes) and to the browser's device id (a digest)."""

    __tablename__ = "sign_in_challenge"
    __table_args__ = (one_of("kind", CHALLENGE_KINDS, "ck_sign_in_challenge_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    device_hash: str = Field(max_length=64)
    identifier: str = Field(max_length=300)
    kind: str = Field(max_length=8)
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


class KnownBrowser(SQLModel, table=True):
    """A browser (its long-lived random device id, as a digest) a user has signed in from."""

    __tablename__ = "known_browser"
    __table_args__ = (UniqueConstraint("user_id", "device_hash", name="uq_known_browser"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    device_hash: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=300)
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
