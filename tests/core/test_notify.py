"""Notifications: texts from the catalogue in the recipient's language, e-mail copies, dedup."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import select

from paysim_app.billing import autopay, cards, ledger
from paysim_app.core import notify
from paysim_app.i18n import EN, RU, t
from paysim_app.i18n.formats import day, money, phone
from paysim_app.models import Notification, Subscriber, User
from paysim_app.payments.declines import DECLINE_CODES
from tests.money_helpers import (
    GW,
    LONG_AGO,
    bill,
    count,
    emails,
    fresh,
    notifications,
    saved_card_row,
    top_up_on_page,
    travel,
)

MONEY_KINDS = (
    "sim_suspended",
    "sim_restored",
    "autopay_ok",
    "autopay_failed",
    "autopay_failed_hard",
    "autopay_cap",
    "autopay_off_no_card",
    "card_expiring",
    "low_balance",
)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def subscriber(factory, session, locale="ru", login=None):
    actor = factory.subscriber(login=login)
    user = fresh(session, User, actor.user_id)
    user.locale = locale
    session.commit()
    return replace(actor, locale=locale)


def assert_rendered(note: Notification, locale: str) -> None:
    """A finished text: from the catalogue, every placeholder filled."""
    for shown in (note.title, note.body):
        assert shown and not PLACEHOLDER.search(shown), (note.kind, shown)
        assert "notify." not in shown and "decline." not in shown, (note.kind, shown)
    catalogue = RU if locale == "ru" else EN
    assert f"notify.{note.kind}.title" in catalogue and f"notify.{note.kind}.body" in catalogue


@pytest.mark.parametrize("kind", MONEY_KINDS)
def test_every_money_message_has_ru_and_en_text(kind):
    for part in ("title", "body"):
        key = f"notify.{kind}.{part}"
        assert RU.get(key) and EN.get(key) and RU[key] != EN[key], key


@pytest.mark.parametrize("code", DECLINE_CODES)
def test_every_decline_code_has_a_reason_and_advice(code):
    for key in (f"decline.{code}", f"decline.{code}.advice"):
        assert RU.get(key) and EN.get(key), key


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_suspension_text_in_the_users_language(session, factory, locale):
    sub = subscriber(factory, session, locale)
    sim = factory.sim(sub, balance_kop=10000)
    ledger.post(session, ledger.Posting(sim.id, "monthly_fee", -50000, fee_period="2026-11"))
    session.commit()
    [note] = notifications(session, sub, "sim_suspended")
    assert note.title == t("notify.sim_suspended.title", locale, msisdn=phone(sim.msisdn))
    assert note.body == t(
        "notify.sim_suspended.body", locale, debt_kop=money(40000, locale), msisdn=phone(sim.msisdn)
    )
    assert money(40000, locale) in note.body
    assert_rendered(note, locale)
    [mail] = emails(session)
    assert (mail.to_address, mail.subject, mail.body, mail.kind) == (
        sub.login,
        note.title,
        note.body,
        "sim_suspended",
    )


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_money_message_is_rendered_completely(session, factory, locale):
    """Drive each service that writes a notification and read what the subscriber got."""
    sub = subscriber(factory, session, locale)
    tariff = factory.tariff(fee_kop=50000)
    with travel(date(2026, 10, 20)):
        sim = factory.sim(sub, tariff=tariff, billing_day=5, activated_at=LONG_AGO)
        poor = factory.sim(sub, tariff=tariff, billing_day=5, activated_at=LONG_AGO)
        capped = factory.sim(
            sub, tariff=tariff, billing_day=5, balance_kop=100000, activated_at=LONG_AGO
        )
        low = factory.sim(sub, tariff=tariff, billing_day=8, activated_at=LONG_AGO)
        good = saved_card_row(session, sub, default=True, exp_month=11, exp_year=2026)
        bad = saved_card_row(session, sub, "4000000000009995")
        auth = saved_card_row(session, sub, "4000002760003184")
        autopay.set_autopay(session, sub, sim.id, autopay.AutopayForm("monthly", good.id))
        autopay.set_autopay(session, sub, poor.id, autopay.AutopayForm("monthly", bad.id))
        autopay.set_autopay(
            session, sub, capped.id, autopay.AutopayForm("monthly", auth.id, monthly_cap_kop=40000)
        )
        session.commit()
    bill(session, date(2026, 11, 5))  # ok, failed (+retry), cap, suspended, low balance, expiry
    bill(session, date(2026, 11, 6))
    bill(session, date(2026, 11, 9))
    bill(session, date(2026, 11, 14))  # the last retry: gives up
    with travel(date(2026, 11, 15)):
        top_up_on_page(session, sub, poor.id, 50000, "restore-0001")
        cards.delete_card(session, sub, GW, bad.id)  # autopay moves to the default card
        cards.delete_card(session, sub, GW, auth.id)
        cards.delete_card(session, sub, GW, good.id)  # no card left: autopay off
        session.commit()
    got = notifications(session, sub)
    assert {n.kind for n in got} == set(MONEY_KINDS)
    for note in got:
        assert_rendered(note, locale)
    [failed] = [n for n in got if n.kind == "autopay_failed"][:1]
    assert t("decline.insufficient_funds", locale) in failed.body
    assert t("decline.insufficient_funds.advice", locale) in failed.body
    assert day(date(2026, 11, 6)) in failed.body
    [expiring] = [n for n in got if n.kind == "card_expiring"]
    assert "30.11.2026" in expiring.body
    [warning] = [n for n in got if n.kind == "low_balance"]
    assert money(50000, locale) in warning.body and phone(low.msisdn) in warning.title
    # one e-mail per notification; the receipts of the payments that went through are e-mails
    # of their own (billing.receipts)
    assert len([m for m in emails(session) if m.kind != "receipt"]) == len(got)


def test_dedup_key_sends_once_per_user(session, factory):
    a, b = factory.subscriber(), factory.subscriber()
    assert notify.notify_user(session, a.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="same")
    assert not notify.notify_user(
        session, a.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="same"
    )
    session.commit()
    assert not notify.notify_user(
        session, a.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="same"
    )
    assert notify.notify_user(session, b.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="same")
    # without a key, every call is a message
    assert notify.notify_user(session, a.user_id, "sim_restored", {"msisdn": "x"})
    session.commit()
    assert len(notifications(session, a)) == 2 and len(notifications(session, b)) == 1
    assert len(emails(session, to=a.login)) == 2


def test_dedup_format_per_sim(session, factory):
    sub = factory.subscriber()
    one, two = factory.sim(sub), factory.sim(sub)
    items = [(one.id, "sim_restored", {}), (two.id, "sim_restored", {})]
    assert notify.notify_sim_owners(session, items, dedup="restored:{sim}:{kind}") == 2
    assert notify.notify_sim_owners(session, items, dedup="restored:{sim}:{kind}") == 0
    session.commit()
    keys = sorted(n.dedup_key for n in notifications(session, sub))
    assert keys == [f"restored:{one.id}:sim_restored", f"restored:{two.id}:sim_restored"]


def test_sims_without_an_active_owner_are_skipped(session, factory):
    sub = factory.subscriber()
    nobody = factory.sim()  # in stock
    owned = factory.sim(sub)
    assert (
        notify.notify_sim_owners(
            session, [(nobody.id, "sim_restored", {}), (999_999, "sim_restored", {})]
        )
        == 0
    )
    user = fresh(session, User, sub.user_id)
    user.is_active = False
    session.commit()
    assert notify.notify_sim_owners(session, [(owned.id, "sim_restored", {})]) == 0
    assert notify.notify_sim_owners(session, []) == 0
    assert not notify.notify_user(session, 999_999, "sim_restored")
    session.commit()
    assert count(session, Notification) == 0 and emails(session) == []


def test_email_goes_to_the_contract_address_and_only_if_there_is_one(session, factory):
    by_phone = factory.subscriber(login="+79161234567")
    sim = factory.sim(by_phone)
    notify.notify_sim_owners(session, [(sim.id, "sim_restored", {})])
    session.commit()
    assert len(notifications(session, by_phone)) == 1 and emails(session) == []
    contract = session.exec(select(Subscriber).where(Subscriber.id == by_phone.subscriber_id)).one()
    contract.email = "bills@example.ru"
    session.commit()
    notify.notify_sim_owners(session, [(sim.id, "sim_restored", {})])
    session.commit()
    assert [m.to_address for m in emails(session)] == ["bills@example.ru"]


def test_inbox_newest_first_unread_and_mark_read(session, factory):
    sub, other = factory.subscriber(), factory.subscriber()
    with travel(date(2026, 11, 1)):
        notify.notify_user(session, sub.user_id, "sim_restored", {"msisdn": "first"})
    with travel(date(2026, 11, 2)):
        notify.notify_user(session, sub.user_id, "sim_restored", {"msisdn": "second"})
        notify.notify_user(session, other.user_id, "sim_restored", {"msisdn": "theirs"})
    session.commit()
    rows = notify.list_notifications(session, sub)
    assert ["second" in r.title for r in rows] == [True, False]
    assert all(r.unread for r in rows)
    assert notify.unread_count(session, sub) == 2
    notify.mark_all_read(session, sub)
    session.commit()
    assert notify.unread_count(session, sub) == 0
    assert not any(r.unread for r in notify.list_notifications(session, sub))
    assert notify.unread_count(session, other) == 1
    assert len(notify.list_notifications(session, sub, limit=1)) == 1


def test_two_workers_warning_at_once_send_one_message(session, factory, new_session, backend):
    """Both look before either has written: the second insert finds the first one's row and
    gives up quietly instead of failing the whole transaction."""
    sub = factory.subscriber()
    first, second = new_session(), new_session()
    assert notify.notify_user(
        first, sub.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="race"
    )  # written, not committed yet
    results, errors = [], []

    def other_worker():
        try:
            results.append(
                notify.notify_user(
                    second, sub.user_id, "sim_restored", {"msisdn": "x"}, dedup_key="race"
                )
            )
            second.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            second.rollback()

    thread = threading.Thread(target=other_worker)
    thread.start()
    if backend == "postgres":  # let the other worker reach the row lock before we commit
        probe, pause = new_session(), threading.Event()
        for _ in range(2000):
            probe.rollback()
            waiting = probe.exec(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).one()[0]
            if waiting or not thread.is_alive():
                break
            pause.wait(0.005)
    first.commit()
    thread.join(timeout=30)
    assert not errors, errors
    assert results == [False]
    assert len(notifications(session, sub)) == 1
    assert len(emails(session)) == 1
