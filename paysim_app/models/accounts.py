"""Accounts, server-side sessions, password resets, sign-in throttling and limits on abuse,
admin roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

ROLES = ("subscriber", "partner", "admin")
LOCALES = ("ru", "en")


class AdminRole(SQLModel, table=True):
    """A named set of permissions (see core.permissions.PERMISSIONS)."""

    __tablename__ = "admin_role"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    description: str = Field(default="", max_length=255)
    # its admins sign in with a second factor (accounts.two_factor); set by a superadmin
    two_factor_required: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class AdminRolePermission(SQLModel, table=True):
    __tablename__ = "admin_role_permission"
    role_id: int = Field(foreign_key="admin_role.id", primary_key=True, ondelete="CASCADE")
    permission: str = Field(max_length=64, primary_key=True)


class User(SQLModel, table=True):
    """Anyone who signs in: a subscriber, a partner's employee or an admin."""

    __tablename__ = "user_account"
    __table_args__ = (
        one_of("role", ROLES, "ck_user_role"),
        one_of("locale", LOCALES, "ck_user_locale"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="ck_user_login"),
        CheckConstraint(
            "(role = 'admin') = (admin_role_id IS NOT NULL)", name="ck_user_admin_role"
        ),
        CheckConstraint("(role = 'partner') = (partner_id IS NOT NULL)", name="ck_user_partner"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=16, unique=True)
    password_hash: str = Field(max_length=100)
    role: str = Field(max_length=16, index=True)
    full_name: str = Field(default="", max_length=200)
    locale: str = Field(default="ru", max_length=2)
    is_active: bool = Field(default=True)
    admin_role_id: int | None = Field(default=None, foreign_key="admin_role.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    password_changed_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # when the login phone was proven by a code sent to it (registration, reset by SMS, a
    # login change) or by the SMS set-password link; phones that predate codes count as proven
    phone_verified_at: datetime | None = None
    # the address a mail server refused for good (messaging.delivery); while it is still the
    # user's e-mail the cabinet says so. A changed e-mail is not this one, so nothing to clear
    bounced_email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The browser holds the random token; we keep only its SHA-256."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = Field(default="", max_length=300)


class PasswordResetToken(SQLModel, table=True):
    __tablename__ = "password_reset_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class RateCounter(SQLModel, table=True):
    """One fixed window of a limit on abuse (core.rate_limits) when there is no Redis:
    how many hits `key` has had in the window that ends at `expires_at`."""

    __tablename__ = "rate_counter"
    key: str = Field(primary_key=True, max_length=255)
    hits: int = Field(default=0)
    expires_at: datetime = Field(index=True)


class LoginChange(SQLModel, table=True):
    """A new login e-mail or phone waiting for confirmation from that address (a link, or a
    code for a phone). Only a keyed digest of the link's token or the code is kept."""

    __tablename__ = "login_change"
    __table_args__ = (one_of("kind", ("email", "phone"), "ck_login_change_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)
    new_value: str = Field(max_length=254)
    token_hash: str = Field(max_length=64, index=True)
    attempts: int = Field(default=0)  # wrong codes entered
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    confirmed_at: datetime | None = None


PHONE_CODE_PURPOSES = ("register", "reset", "login_change")


class PhoneCode(SQLModel, table=True):
    """A one-time code sent by SMS to `phone` for one purpose (accounts.verification). Only a
    keyed digest bound to the purpose and the phone is kept. `pending` holds what a
    registration creates once the code matches (JSON: the password's hash, name, language);
    `user_id` the account a reset or a login change is for (None: a reset asked for a phone
    that has no account, answered the same way but never sent)."""

    __tablename__ = "phone_code"
    __table_args__ = (
        one_of("purpose", PHONE_CODE_PURPOSES, "ck_phone_code_purpose"),
        Index("ix_phone_code_target", "purpose", "phone", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=16)
    phone: str = Field(max_length=16)
    code_hash: str = Field(max_length=64)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    pending: str = Field(default="", max_length=1000)
    attempts: int = Field(default=0)  # wrong codes entered
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None  # the right code was entered
    voided_at: datetime | None = None  # replaced by a newer code, or too many wrong ones


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per login identifier, whether or not such an account exists."""

    __tablename__ = "login_throttle"
    __table_args__ = (CheckConstraint("failures >= 0", name="ck_throttle_failures"),)
    identifier: str = Field(primary_key=True, max_length=254)
    failures: int = Field(default=0)
    locked_until: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
