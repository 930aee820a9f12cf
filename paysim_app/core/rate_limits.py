"""Limits on abuse: how often one address or one account may do something costly or guessable.

Each rule is a fixed window of the `limits` library ("10/hour" = ten hits per clock hour). The
counters are shared by every backend worker: in Redis when REDIS_URL is set, otherwise in the
database's `rate_counter` table (a storage of our own that the library drives, below).
PAYSIM_RATE_LIMITS overrides rules by name: "sign_in.ip=60/10 minutes;card.ip=20/hour".

Two ways to count:
- `hit` before doing the thing (a registration, a reset e-mail, a speed test): the hit that
  goes over the limit is refused.
- `check` before and `count` after a failure (a wrong password, a declined card, a wrong
  activation code): only failures use the allowance, so a person who succeeds is never slowed.

A refusal raises TooManyAttempts whose `at` parameter says when the window ends. A hit with an
empty key (no address known, e.g. a job) is not counted.

The database storage counts inside the caller's session when one is given, so on SQLite a
counter never waits for the caller's own open write; a caller that counts a failure and then
raises must commit first (as sign-in does), or the count is rolled back with its transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, literal, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from paysim_app.core import bulk
from paysim_app.core.errors import DomainError
from paysim_app.models import RateCounter
from paysim_app.models.base import utcnow
from paysim_app.settings import get_settings

# name -> default; README "Limits on abuse" lists them with what each counts
RULES: dict[str, str] = {
    "register.ip": "10/hour",  # new accounts from one address
    "sign_in.ip": "30/10 minutes",  # wrong passwords from one address, whatever the login
    "reset.ip": "10/hour",  # password-reset requests from one address
    "reset.login": "3/hour",  # reset e-mails to one login
    "password.user": "5/15 minutes",  # wrong current passwords when changing the password
    "login_change.user": "5/hour",  # confirmations (e-mail or SMS) sent for a new login
    "sms_code.phone": "5/hour",  # one-time SMS codes sent to one number, whatever for
    "sms_code.phone_day": "10/day",  # the same, per day
    "sms_code.ip": "20/hour",  # SMS codes asked for from one address, whatever the numbers
    "sim_claim.ip": "20/hour",  # wrong SIM activation codes from one address
    "card.subscriber": "5/hour",  # declined card attempts of one subscriber
    "card.ip": "10/hour",  # declined card attempts from one address
    "attachments.user": "30/day",  # files one person uploads to support
    "speedtest.ip": "10/hour",  # speed tests started from one address
    "coverage_check.ip": "300/10 minutes",  # coverage checks and type-ahead from one address
    "coverage_lead.ip": "10/hour",  # "no coverage yet" contacts left from one address
    "coverage_lead.contact": "5/day",  # the same, for one phone number or e-mail address
}

_T = RateCounter.__table__
_SESSION: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "paysim_rate_session", default=None
)


class TooManyAttempts(DomainError):
    """Over a limit; `at` (an aware datetime) is when the next try is allowed."""

    code = "error.too_many"


def _parse_overrides(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.replace("\n", ";").split(";"))):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in RULES:
            raise ValueError(f"PAYSIM_RATE_LIMITS: unknown rule {name!r} (known: {sorted(RULES)})")
        parse(value)  # raises ValueError on a wrong limit
        found[name] = value
    return found


def parse_rules(overrides: str) -> dict[str, RateLimitItem]:
    """Every rule with `overrides` (PAYSIM_RATE_LIMITS) applied; ValueError names a wrong one
    (preflight reports it before a production start)."""
    merged = RULES | _parse_overrides(overrides)
    return {name: parse(value) for name, value in merged.items()}


@lru_cache
def rules() -> dict[str, RateLimitItem]:
    return parse_rules(get_settings().paysim_rate_limits)


class DatabaseStorage(Storage):
    """The `limits` storage kept in the `rate_counter` table: one upsert per hit."""

    STORAGE_SCHEME = ["paysim-db"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        own = _SESSION.get()
        if own is not None:
            yield own
            return
        from paysim_app.db import session_scope  # the app's engine; not needed at import

        with session_scope() as session:
            yield session
            session.commit()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        with self._session() as session:
            stmt = bulk.dialect_insert(session, _T).values(
                key=key, hits=amount, expires_at=now + timedelta(seconds=expiry)
            )
            lapsed = _T.c.expires_at <= now
            ends = literal(now + timedelta(seconds=expiry), _T.c.expires_at.type)
            stmt = stmt.on_conflict_do_update(
                index_elements=[_T.c.key],
                set_={
                    "hits": case((lapsed, amount), else_=_T.c.hits + amount),
                    "expires_at": case((lapsed, ends), else_=_T.c.expires_at),
                },
            ).returning(_T.c.hits)
            return int(session.execute(stmt).scalar_one())

    def _row(self, key: str):
        with self._session() as session:
            return session.execute(
                select(_T.c.hits, _T.c.expires_at).where(
                    _T.c.key == key, _T.c.expires_at > utcnow()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return (row.expires_at if row else utcnow()).timestamp()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._session() as session:
            return session.execute(delete(_T)).rowcount

    def clear(self, key: str) -> None:
        with self._session() as session:
            session.execute(delete(_T).where(_T.c.key == key))


@lru_cache
def _limiter() -> FixedWindowRateLimiter:
    url = get_settings().redis_url
    storage = storage_from_string(url) if url else DatabaseStorage()
    return FixedWindowRateLimiter(storage)


def reset_caches() -> None:
    """Forget the parsed rules and the storage (tests that change the settings)."""
    rules.cache_clear()
    _limiter.cache_clear()


@contextlib.contextmanager
def _in(session: Session | None) -> Iterator[FixedWindowRateLimiter]:
    token = _SESSION.set(session)
    try:
        yield _limiter()
    finally:
        _SESSION.reset(token)


def _refusal(
    limiter: FixedWindowRateLimiter, item: RateLimitItem, rule: str, key: str
) -> TooManyAttempts:
    reset_at = limiter.get_window_stats(item, rule, key).reset_time
    return TooManyAttempts(at=datetime.fromtimestamp(max(reset_at, 0), UTC))


def hit(session: Session | None, rule: str, key: object) -> None:
    """Count one use of `rule` by `key`; TooManyAttempts when it goes over (not counted as done)."""
    key = str(key or "")
    if not key:
        return
    item = rules()[rule]
    with _in(session) as limiter:
        if not limiter.hit(item, rule, key):  # the rule's name keeps two rules' keys apart
            raise _refusal(limiter, item, rule, key)


def check(session: Session | None, rule: str, key: object) -> None:
    """TooManyAttempts while `key` has used up `rule` in this window; counts nothing."""
    key = str(key or "")
    if not key:
        return
    item = rules()[rule]
    with _in(session) as limiter:
        if not limiter.test(item, rule, key):
            raise _refusal(limiter, item, rule, key)


def count(session: Session | None, rule: str, key: object) -> None:
    """One failure of `key` against `rule` (never raises: the caller reports the failure)."""
    key = str(key or "")
    if key:
        with _in(session) as limiter:
            limiter.hit(rules()[rule], rule, key)


def clear(session: Session | None, rule: str, key: object) -> None:
    key = str(key or "")
    if key:
        with _in(session) as limiter:
            limiter.clear(rules()[rule], rule, key)


def sweep(session: Session) -> int:
    """Drop the database's lapsed windows (Redis expires its own keys)."""
    return session.execute(delete(_T).where(_T.c.expires_at <= utcnow())).rowcount
