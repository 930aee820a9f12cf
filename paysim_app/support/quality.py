"""Quick quality ratings (1-5 stars on voice, internet speed or coverage) and browser speed tests.

A speed test is measured in the subscriber's browser against /api/speedtest/ (the LibreSpeed
method) and stored here with the SIM, the time and the user agent; a rating may point at one of
the actor's own speed tests. Ownership of the SIM is checked on every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from paysim_app.core import rate_limits, signing
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.models import QualityRating, Sim, SpeedTest
from paysim_app.models.quality import RATING_ASPECTS

ASPECTS = RATING_ASPECTS  # voice | speed (internet speed) | coverage
MAX_COMMENT = 1000
MAX_MBPS = 10_000.0  # anything faster than 10 Gbit/s over 4G is not a measurement
MAX_PING_MS = 60_000.0
MAX_USER_AGENT = 300
RECENT = 20


@dataclass(frozen=True)
class SpeedFigures:
    ping_ms: float
    jitter_ms: float
    download_mbps: float
    upload_mbps: float


@dataclass(frozen=True)
class SpeedTestRow:
    id: int
    sim_id: int | None
    msisdn: str
    ping_ms: int
    jitter_ms: int
    download_kbps: int
    upload_kbps: int
    created_at: datetime


@dataclass(frozen=True)
class RatingRow:
    id: int
    sim_id: int | None
    msisdn: str
    aspect: str
    stars: int
    comment: str
    speed_test_id: int | None
    created_at: datetime


def _number(value: object, name: str, limit: float) -> float:
    """A finite number in [0, limit]; booleans and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("quality.error.figure", field=name)
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > limit:
        raise ValidationError("quality.error.figure", field=name)
    return number


def check_figures(figures: SpeedFigures) -> SpeedFigures:
    return SpeedFigures(
        ping_ms=_number(figures.ping_ms, "ping_ms", MAX_PING_MS),
        jitter_ms=_number(figures.jitter_ms, "jitter_ms", MAX_PING_MS),
        download_mbps=_number(figures.download_mbps, "download_mbps", MAX_MBPS),
        upload_mbps=_number(figures.upload_mbps, "upload_mbps", MAX_MBPS),
    )


# a test runs ping + download + upload for at most 30 s each: the pass outlives the longest
PASS_SECONDS = 120
PASS_PURPOSE = "speedtest"


@verb
def speed_test_pass(session: Session, actor: Actor, sim_id: int, ip: str = "") -> str:
    """A short-lived signed pass for the speed test's byte endpoints (garbage, empty), which
    serve nothing without one: a test started from one of the actor's SIMs' pages, at most
    rate_limits "speedtest.ip" tests an hour from one address."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="quality.edit")
    rate_limits.hit(session, "speedtest.ip", ip)
    return signing.sign({"u": actor.user_id, "s": sim.id}, PASS_PURPOSE, PASS_SECONDS)


def check_speed_test_pass(token: str) -> None:
    """PermissionDenied unless `token` is a pass speed_test_pass issued that is still valid."""
    signing.unsign(token, PASS_PURPOSE)


@verb
def record_speed_test(
    session: Session, actor: Actor, sim_id: int, figures: SpeedFigures, user_agent: str = ""
) -> int:
    """Store one measured result for one of the actor's SIMs; returns its id."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="quality.edit")
    good = check_figures(figures)
    row = SpeedTest(
        sim_id=sim.id,
        user_id=actor.user_id,
        ping_ms=round(good.ping_ms),
        jitter_ms=round(good.jitter_ms),
        download_kbps=round(good.download_mbps * 1000),
        upload_kbps=round(good.upload_mbps * 1000),
        user_agent=(user_agent or "")[:MAX_USER_AGENT],
    )
    session.add(row)
    session.flush()
    return row.id


@verb
def rate(
    session: Session,
    actor: Actor,
    sim_id: int,
    aspect: str,
    stars: int,
    comment: str = "",
    speed_test_id: int | None = None,
) -> int:
    """One quick rating of one aspect for one of the actor's SIMs; returns its id."""
    require_role(actor, "subscriber")
    sim = owned_sim(session, actor, sim_id, admin_permission="quality.edit")
    if aspect not in ASPECTS:
        raise ValidationError("quality.error.aspect", field="aspect")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError("quality.error.stars", field="stars")
    comment = (comment or "").strip() if isinstance(comment, str) else None
    if comment is None:
        raise ValidationError("error.invalid", field="comment")
    if len(comment) > MAX_COMMENT:
        raise ValidationError("quality.error.comment", field="comment", max=MAX_COMMENT)
    if speed_test_id is not None:
        test = session.get(SpeedTest, speed_test_id) if isinstance(speed_test_id, int) else None
        # the actor's own result, measured on this SIM (anything else: the same refusal)
        if test is None or test.user_id != actor.user_id or test.sim_id != sim.id:
            raise PermissionDenied()
    row = QualityRating(
        sim_id=sim.id,
        user_id=actor.user_id,
        aspect=aspect,
        stars=stars,
        comment=comment,
        speed_test_id=speed_test_id,
    )
    session.add(row)
    session.flush()
    return row.id


@dataclass(frozen=True)
class RatingToReport:
    """A low rating the subscriber is about to send to support with a new ticket."""

    id: int
    sim_id: int | None
    aspect: str
    stars: int
    comment: str


# the ticket category a rating of each aspect goes to
TICKET_CATEGORY = {"voice": "connection", "coverage": "connection", "speed": "speed"}


def _own_unlinked(session: Session, actor: Actor, model, row_id: object):
    """The actor's own rating or speed test not yet sent to support; anything else (another
    user's, a missing one, one already with a ticket, a forged id) gets the same refusal."""
    require_role(actor, "subscriber")
    row = session.get(model, row_id) if isinstance(row_id, int) else None
    if row is None or row.user_id != actor.user_id or row.ticket_id is not None:
        raise PermissionDenied()
    return row


@verb
def own_rating(session: Session, actor: Actor, rating_id: object) -> QualityRating:
    return _own_unlinked(session, actor, QualityRating, rating_id)


@verb
def own_speed_test(session: Session, actor: Actor, test_id: object) -> SpeedTest:
    return _own_unlinked(session, actor, SpeedTest, test_id)


@verb
def speed_test_to_report(session: Session, actor: Actor, test_id: int) -> SpeedTestRow:
    """A speed test the subscriber is about to send to support with a new ticket."""
    row = own_speed_test(session, actor, test_id)
    return SpeedTestRow(
        row.id,
        row.sim_id,
        _msisdns(session, actor).get(row.sim_id, ""),
        row.ping_ms,
        row.jitter_ms,
        row.download_kbps,
        row.upload_kbps,
        row.created_at,
    )


def mbit(kbps: int, locale: str) -> str:
    """kbit/s as Mbit/s for people: two decimals below 10 Mbit/s, one above; "," in Russian."""
    text = f"{kbps / 1000:.{2 if kbps < 10_000 else 1}f}"
    return text.replace(".", ",") if locale == "ru" else text


@verb
def rating_to_report(session: Session, actor: Actor, rating_id: int) -> RatingToReport:
    row = own_rating(session, actor, rating_id)
    return RatingToReport(row.id, row.sim_id, row.aspect, row.stars, row.comment)


def _msisdns(session: Session, actor: Actor) -> dict[int, str]:
    if actor.subscriber_id is None:
        return {}
    return dict(
        session.exec(
            select(Sim.id, Sim.msisdn).where(Sim.subscriber_id == actor.subscriber_id)
        ).all()
    )


@verb
def my_speed_tests(
    session: Session, actor: Actor, sim_id: int | None = None, limit: int = RECENT
) -> list[SpeedTestRow]:
    """The actor's recent results (newest first), optionally for one of their SIMs."""
    require_role(actor, "subscriber")
    query = select(SpeedTest).where(SpeedTest.user_id == actor.user_id)
    if sim_id is not None:
        sim = owned_sim(session, actor, sim_id, admin_permission="quality.view")
        query = query.where(SpeedTest.sim_id == sim.id)
    rows = session.exec(
        query.order_by(SpeedTest.created_at.desc(), SpeedTest.id.desc()).limit(min(limit, 100))
    ).all()
    numbers = _msisdns(session, actor)
    return [
        SpeedTestRow(
            r.id,
            r.sim_id,
            numbers.get(r.sim_id, ""),
            r.ping_ms,
            r.jitter_ms,
            r.download_kbps,
            r.upload_kbps,
            r.created_at,
        )
        for r in rows
    ]


@verb
def my_ratings(
    session: Session, actor: Actor, sim_id: int | None = None, limit: int = RECENT
) -> list[RatingRow]:
    """The actor's recent ratings (newest first), optionally for one of their SIMs."""
    require_role(actor, "subscriber")
    query = select(QualityRating).where(QualityRating.user_id == actor.user_id)
    if sim_id is not None:
        sim = owned_sim(session, actor, sim_id, admin_permission="quality.view")
        query = query.where(QualityRating.sim_id == sim.id)
    rows = session.exec(
        query.order_by(QualityRating.created_at.desc(), QualityRating.id.desc()).limit(
            min(limit, 100)
        )
    ).all()
    numbers = _msisdns(session, actor)
    return [
        RatingRow(
            r.id,
            r.sim_id,
            numbers.get(r.sim_id, ""),
            r.aspect,
            r.stars,
            r.comment,
            r.speed_test_id,
            r.created_at,
        )
        for r in rows
    ]
