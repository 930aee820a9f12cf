"""Limits on abuse (core.rate_limits): fixed windows counted in the database or in Redis,
shared by every worker, refusing with the moment the next try is allowed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from sqlalchemy import func
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.billing import checkout, topups
from paysim_app.core import rate_limits
from paysim_app.core.errors import AuthError, DomainError, ValidationError
from paysim_app.core.rate_limits import TooManyAttempts
from paysim_app.db import session_scope
from paysim_app.models import OutboxEmail, RateCounter
from paysim_app.sims import own_sims
from tests.conftest import PASSWORD
from tests.money_helpers import GW

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_hit_over_the_limit_is_refused_with_the_end_of_the_window(db_url, engine, limits_of):
    limits_of("register.ip=3/hour")
    with time_machine.travel(START, tick=False):
        with session_scope(engine) as s:
            for _ in range(3):
                rate_limits.hit(s, "register.ip", "10.0.0.1")
            with pytest.raises(TooManyAttempts) as refused:
                rate_limits.hit(s, "register.ip", "10.0.0.1")
            rate_limits.hit(s, "register.ip", "10.0.0.2")  # another address has its own window
        assert refused.value.code == "error.too_many"
        assert refused.value.params["at"] == START + timedelta(hours=1)
    with time_machine.travel(START + timedelta(hours=1, seconds=1), tick=False):
        with session_scope(engine) as s:
            rate_limits.hit(s, "register.ip", "10.0.0.1")  # a new window


def test_failures_only_use_the_allowance(db_url, engine, limits_of):
    limits_of("card.ip=2/hour")
    with time_machine.travel(START, tick=False), session_scope(engine) as s:
        for _ in range(5):
            rate_limits.check(s, "card.ip", "10.0.0.1")  # checking counts nothing
        rate_limits.count(s, "card.ip", "10.0.0.1")
        rate_limits.check(s, "card.ip", "10.0.0.1")
        rate_limits.count(s, "card.ip", "10.0.0.1")
        with pytest.raises(TooManyAttempts):
            rate_limits.check(s, "card.ip", "10.0.0.1")
        rate_limits.clear(s, "card.ip", "10.0.0.1")
        rate_limits.check(s, "card.ip", "10.0.0.1")


def test_an_empty_key_is_not_counted(db_url, engine, limits_of):
    limits_of("register.ip=1/hour")
    with session_scope(engine) as s:
        for _ in range(3):
            rate_limits.hit(s, "register.ip", "")
            rate_limits.hit(s, "register.ip", None)
        assert s.execute(select(func.count()).select_from(RateCounter)).scalar_one() == 0


def test_the_count_survives_the_callers_rollback_only_when_committed(db_url, engine, limits_of):
    """Counted in the caller's transaction: a caller that raises after counting commits first."""
    limits_of("sign_in.ip=1/hour")
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        rate_limits.count(s, "sign_in.ip", "10.0.0.9")
        raise RuntimeError("rolled back")
    with session_scope(engine) as s:
        rate_limits.check(s, "sign_in.ip", "10.0.0.9")
        rate_limits.count(s, "sign_in.ip", "10.0.0.9")
        s.commit()
    with session_scope(engine) as s, pytest.raises(TooManyAttempts):
        rate_limits.check(s, "sign_in.ip", "10.0.0.9")


def test_concurrent_hits_never_pass_more_than_the_limit(db_url, engine, limits_of, backend):
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    limits_of("register.ip=10/hour")
    passed, barrier = [], threading.Barrier(16)

    def attempt():
        barrier.wait()
        try:
            with session_scope(engine) as s:
                rate_limits.hit(s, "register.ip", "10.1.1.1")
                s.commit()
            passed.append(1)
        except TooManyAttempts:
            pass

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 10


def test_lapsed_windows_are_swept(db_url, engine, limits_of):
    limits_of("reset.login=1/hour")
    with time_machine.travel(START, tick=False), session_scope(engine) as s:
        rate_limits.hit(s, "reset.login", "email:a@example.com")
        s.commit()
    with time_machine.travel(START + timedelta(hours=2), tick=False), session_scope(engine) as s:
        rate_limits.hit(s, "reset.login", "email:b@example.com")
        assert rate_limits.sweep(s) == 1
        assert s.execute(select(func.count()).select_from(RateCounter)).scalar_one() == 1


def test_a_wrong_override_is_named(monkeypatch):
    for text, word in (("nosuch.rule=1/hour", "nosuch.rule"), ("card.ip=often", "often")):
        monkeypatch.setenv("PAYSIM_RATE_LIMITS", text)
        from paysim_app.settings import get_settings

        get_settings.cache_clear()
        rate_limits.reset_caches()
        with pytest.raises(ValueError, match=word):
            rate_limits.rules()
    monkeypatch.setenv("PAYSIM_RATE_LIMITS", "card.ip = 20/hour; sign_in.ip=60/10 minutes")
    get_settings.cache_clear()
    rate_limits.reset_caches()
    assert str(rate_limits.rules()["card.ip"]) == "20 per 1 hour"
    assert rate_limits.rules()["register.ip"].amount == 10
    rate_limits.reset_caches()


def _redis_url() -> str | None:
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


def test_with_redis_every_worker_shares_the_counters(monkeypatch, limits_of):
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379")
    monkeypatch.setenv("REDIS_URL", url)
    limits_of("speedtest.ip=2/hour")
    key = f"10.9.9.{threading.get_ident() % 250}"
    rate_limits.clear(None, "speedtest.ip", key)
    try:
        rate_limits.hit(None, "speedtest.ip", key)
        rate_limits.reset_caches()  # another worker: a storage of its own, the same counters
        rate_limits.hit(None, "speedtest.ip", key)
        with pytest.raises(TooManyAttempts) as refused:
            rate_limits.hit(None, "speedtest.ip", key)
        wait = refused.value.params["at"] - datetime.now(UTC)
        assert timedelta(minutes=59) < wait <= timedelta(hours=1)
    finally:
        rate_limits.clear(None, "speedtest.ip", key)


# --------------------------------------------------------------------------- where they apply

DECLINED = "4000000000000002"
DYING = "4000000000000341"  # saved fine, then every charge is declined
IP = "203.0.113.7"


def test_registrations_from_one_address(session, limits_of):
    limits_of("register.ip=2/hour")
    for n in range(2):
        identity.register_subscriber(session, f"r{n}@example.ru", PASSWORD, ip=IP)
        session.commit()
    with pytest.raises(TooManyAttempts):
        identity.register_subscriber(session, "r9@example.ru", PASSWORD, ip=IP)
    identity.register_subscriber(session, "r9@example.ru", PASSWORD, ip="203.0.113.8")


def test_wrong_passwords_from_one_address_whatever_the_logins(session, factory, limits_of):
    limits_of("sign_in.ip=3/10 minutes")
    user = factory.subscriber("victim@example.ru")
    for n in range(3):  # three different logins: each below its own lock
        with pytest.raises(AuthError):
            identity.sign_in(session, f"guess{n}@example.ru", "wrong-pass-1", ip=IP)
    with pytest.raises(TooManyAttempts):  # even the right password, from this address
        identity.sign_in(session, "victim@example.ru", PASSWORD, ip=IP)
    token, actor = identity.sign_in(session, "victim@example.ru", PASSWORD, ip="198.51.100.1")
    assert token and actor.user_id == user.user_id


def test_reset_requests_per_address_and_per_login(session, factory, limits_of):
    limits_of("reset.ip=3/hour;reset.login=2/hour")
    factory.subscriber("forgot@example.ru")
    for _ in range(2):
        identity.request_password_reset(session, "forgot@example.ru", ip="198.51.100.1")
        session.commit()
    with pytest.raises(TooManyAttempts):  # a third mail to one login, from anywhere
        identity.request_password_reset(session, "forgot@example.ru", ip="198.51.100.2")
    session.rollback()
    # an address may ask for other logins, up to its own limit; unknown logins count the same
    identity.request_password_reset(session, "nobody1@example.ru", ip=IP)
    identity.request_password_reset(session, "nobody2@example.ru", ip=IP)
    identity.request_password_reset(session, "nobody3@example.ru", ip=IP)
    session.commit()
    with pytest.raises(TooManyAttempts):
        identity.request_password_reset(session, "nobody4@example.ru", ip=IP)
    session.rollback()
    sent = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "password_reset")).all()
    assert len(sent) == 2


def test_wrong_current_passwords_are_counted(session, factory, limits_of):
    limits_of("password.user=2/15 minutes")
    actor = factory.subscriber()
    for _ in range(2):
        with pytest.raises(ValidationError):
            identity.change_password(session, actor, "not-it-123", "Brand-new-pass9")
    with pytest.raises(TooManyAttempts):  # the right one too, until the window ends
        identity.change_password(session, actor, PASSWORD, "Brand-new-pass9")


def test_wrong_activation_codes_from_one_address(session, factory, limits_of):
    limits_of("sim_claim.ip=2/hour")
    stock = factory.sim(None)
    stock.activation_code_hash = own_sims.activation_code_hash("RIGHT1")
    session.commit()
    people = [factory.subscriber() for _ in range(3)]
    for person in people[:2]:  # two accounts, one wrong code each: no per-account lock yet
        with pytest.raises(DomainError, match="claim_refused"):
            own_sims.claim_sim(session, person, stock.iccid, "WRONG1", ip=IP)
    with pytest.raises(TooManyAttempts):
        own_sims.claim_sim(session, people[2], stock.iccid, "RIGHT1", ip=IP)
    assert own_sims.claim_sim(session, people[2], stock.iccid, "RIGHT1", ip="198.51.100.1")


def test_declined_cards_per_subscriber_and_per_address(session, factory, limits_of):
    """Saved cards charged on-session count their declines (a new card is typed on the
    provider's hosted page, where the provider keeps its own limits)."""
    limits_of("card.subscriber=2/hour;card.ip=3/hour")
    tester = factory.subscriber()
    sim = factory.sim(tester)
    dying = factory.card(tester, DYING)
    for n in range(2):
        out = topups.top_up_by_card(
            session, tester, GW, sim_id=sim.id, amount_kop=30000,
            request_key=f"req-decl-{n:04d}", card_id=dying.id, ip=IP,
        )  # fmt: skip
        assert out.status == "failed"
    with pytest.raises(TooManyAttempts):  # this subscriber, from any address
        topups.top_up_by_card(
            session, tester, GW, sim_id=sim.id, amount_kop=30000,
            request_key="req-decl-0009", ip="198.51.100.1",
        )  # fmt: skip
    with pytest.raises(TooManyAttempts):
        checkout.start_card_setup(session, tester, GW)
    # the address: one more decline by another subscriber reaches its limit
    other = factory.subscriber()
    other_sim = factory.sim(other)
    out = topups.top_up_by_card(
        session, other, GW, sim_id=other_sim.id, amount_kop=30000,
        request_key="req-decl-0100", card_id=factory.card(other, DYING).id, ip=IP,
    )  # fmt: skip
    assert out.status == "failed"
    with pytest.raises(TooManyAttempts):
        checkout.start_card_setup(session, other, GW, ip=IP)
    assert checkout.start_card_setup(session, other, GW, ip="198.51.100.1")
    # a good card never uses the allowance
    payer = factory.subscriber()
    payer_sim = factory.sim(payer)
    good = factory.card(payer)
    for n in range(4):
        out = topups.top_up_by_card(
            session, payer, GW, sim_id=payer_sim.id, amount_kop=30000,
            request_key=f"req-good-{n:04d}", card_id=good.id, ip="198.51.100.9",
        )  # fmt: skip
        assert out.status == "succeeded"
