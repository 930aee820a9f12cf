"""Browser journey of /cabinet/tariffs on the real production build: a fresh subscriber sees the
catalogue, previews a switch from the next period and now, requests it, sees it pending and
cancels it; a change the operator approves from the next period shows as scheduled with its
date and is cancelled — driven at 1280 px, every state shot at 390 px and 1280 px. A subscriber with three months of usage sees the
advisor's card, and its button opens the preview of the advised tariff."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select
from stdnum import luhn

from paysim_app.accounts import identity
from paysim_app.billing import cards
from paysim_app.db import make_engine
from paysim_app.i18n.formats import day, money
from paysim_app.models import Sim, Tariff, TariffChangeRequest, User
from paysim_app.models.base import utcnow
from paysim_app.models.usage import UsageDay
from paysim_app.sims import advisor
from paysim_app.sims import tariff_changes as tc
from tests.e2e.conftest import PASSWORD, WIDTHS, enter, shot, shots, unique_number

BILLING_DAY = 28


def _iccid(serial: int) -> str:
    body = f"897011{serial:012d}"
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def subscriber(app_env):
    """A fresh subscriber with one active SIM on the demo tariff «Оптимум» (650 ₽)."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"tariffs{n}-{app_env['port']}@example.ru"
    serial = 9_700_000 + n
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session, login, PASSWORD, full_name="Олег Тарифов", consent=True
        )
        tariff = session.exec(select(Tariff).where(Tariff.code == "OPTIMUM")).one()
        session.add(
            Sim(
                iccid=_iccid(serial),
                msisdn=f"+7999{serial:07d}",
                imsi=f"25099{serial:010d}",
                status="active",
                subscriber_id=actor.subscriber_id,
                tariff_id=tariff.id,
                billing_day=BILLING_DAY,
                activated_at=utcnow(),
            )
        )
        session.commit()
    engine.dispose()
    return {"login": login, "db": app_env["db"]}


GB = 10**9
ADVISED_USAGE = (7_100_000_000, 22_300_000_000, 9_800_000_000)  # bytes in each billing month


@pytest.fixture
def advised(app_env):
    """A subscriber on «Оптимум» (650 ₽, 50 GB) for five months whose last three billing months
    used 7.1, 22.3 and 9.8 GB (usage_day rows, spread over the days): «Старт» (350 ₽, 15 GB)
    with a +10 GB pack (150 ₽) in the second month would have cost 400 ₽ a month."""
    engine = make_engine(f"sqlite:///{app_env['db']}")
    n = unique_number()
    login = f"advised{n}-{app_env['port']}@example.ru"
    serial = 9_700_000 + n
    with Session(engine, expire_on_commit=False) as session:
        actor = identity.register_subscriber(
            session, login, PASSWORD, full_name="Анна Советова", consent=True
        )
        tariff = session.exec(select(Tariff).where(Tariff.code == "OPTIMUM")).one()
        sim = Sim(
            iccid=_iccid(serial),
            msisdn=f"+7999{serial:07d}",
            imsi=f"25099{serial:010d}",
            status="active",
            subscriber_id=actor.subscriber_id,
            tariff_id=tariff.id,
            billing_day=BILLING_DAY,
            activated_at=utcnow() - timedelta(days=150),
        )
        session.add(sim)
        session.flush()
        spans = advisor.complete_periods(BILLING_DAY, cards.today(), date(2000, 1, 1))
        for (start, end), total in zip(spans, ADVISED_USAGE, strict=True):
            days = (end - start).days
            for i in range(days):
                share = total // days + (total % days if i == days - 1 else 0)
                session.add(
                    UsageDay(
                        sim_id=sim.id,
                        day=start + timedelta(days=i),
                        bytes_up=share // 8,
                        bytes_down=share - share // 8,
                    )
                )
        session.commit()
    engine.dispose()
    return {"login": login, "db": app_env["db"]}


def _approve_latest(db: str, login: str) -> None:
    """The operator (the demo superadmin) approves the subscriber's newest request as asked."""
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine, expire_on_commit=False) as session:
        admin = session.exec(select(User).where(User.email == "admin@paysim.demo")).one()
        rid = session.exec(
            select(TariffChangeRequest.id)
            .join(User, User.id == TariffChangeRequest.requester_user_id)
            .where(User.email == login)
            .order_by(TariffChangeRequest.id.desc())
        ).first()
        tc.approve_change(session, identity.actor_for(session, admin), rid)
        session.commit()
    engine.dispose()


def _shot(page, name: str) -> None:
    """A full-page shot from the top (the sticky header would otherwise float mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, name)


def _shots(page, name: str) -> None:
    """`name`-390 and `name`-1280 from the top (see conftest.shots)."""
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, name)


def _plain(text: str) -> str:
    return re.sub(r"\s", "", text)


def _expected_now(old_kop: int, new_kop: int) -> str:
    today = cards.today()
    start, end = tc.current_period(BILLING_DAY, today)
    diff = tc.prorated_difference(old_kop, new_kop, (end - today).days, (end - start).days)
    return _plain(money(abs(diff)))


def test_preview_request_and_cancel_a_tariff_change(new_page, subscriber):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    enter(page, subscriber["login"], "/cabinet/tariffs")
    offers = page.locator(".tariff-card")
    expect(offers).to_have_count(3)  # Старт, Оптимум, Максимум; the archived one is not offered
    expect(page.locator("#tariff-cards")).not_to_contain_text("Безлимит 2024")
    current = offers.filter(has=page.locator(".tariff-current"))
    expect(current).to_have_count(1)
    expect(current.locator(".tariff-name")).to_have_text("Оптимум")
    expect(current.locator(".tariff-choose")).to_have_count(0)
    expect(page.locator("#tariff-requests-empty")).to_be_visible()
    _shots(page, "tariffs")

    offers.filter(has_text="Максимум").locator(".tariff-choose").click()
    preview = page.locator("#tariff-preview")
    expect(preview).to_be_visible()
    expect(page.locator("#preview-new-fee")).to_contain_text("990,00")
    next_date = day(tc.current_period(BILLING_DAY, cards.today())[1])
    expect(page.locator("#preview-date")).to_have_text(next_date)
    expect(page.locator("#preview-today")).to_have_text("Без доплаты и возврата")
    expect(page.locator("#preview-hint")).to_contain_text("ничего не списывается")
    _shots(page, "tariffs-preview-next")

    page.locator("#when-now").click()
    expect(page.locator("#preview-date")).to_contain_text(day(cards.today()))
    expect(page.locator("#preview-hint")).to_contain_text("Разница абонентских плат")
    expected = _expected_now(65000, 99000)
    expect(page.locator("#preview-today")).to_have_text(
        re.compile(r"^\s*" + r"\s*".join(map(re.escape, expected)) + r"\s*$")
    )
    _shots(page, "tariffs-preview-now")

    page.locator("#request-change").click()
    expect(page.locator("#pending-request")).to_be_visible()
    expect(page.locator("#pending-text")).to_contain_text("Максимум")
    expect(preview).to_have_count(0)
    requests = page.locator("#tariff-requests")
    expect(requests).to_contain_text("На рассмотрении")
    expect(requests).to_contain_text("Оптимум → Максимум")
    _shots(page, "tariffs-pending")

    page.reload()  # the request is in the database, not only in this page's state
    expect(page.locator("#pending-request")).to_be_visible()
    page.locator("#cancel-request").click()
    expect(page.locator("#pending-request")).to_have_count(0)
    expect(requests).to_contain_text("Отменена")
    _shots(page, "tariffs-cancelled")

    # from the next period, approved by the operator: scheduled with its date until the cycle
    offers.filter(has_text="Максимум").locator(".tariff-choose").click()
    page.locator("#request-change").click()
    expect(page.locator("#pending-request")).to_be_visible()
    _approve_latest(subscriber["db"], subscriber["login"])
    page.reload()
    expect(page.locator("#scheduled-title")).to_have_text(f"Тариф «Максимум» с {next_date}")
    expect(page.locator("#pending-request")).to_have_count(0)
    expect(requests).to_contain_text("Запланирована")
    expect(current.locator(".tariff-name")).to_have_text("Оптимум")  # until that day
    _shots(page, "tariffs-scheduled")
    page.locator("#cancel-scheduled").click()
    expect(page.locator("#scheduled-change")).to_have_count(0)
    expect(requests).not_to_contain_text("Запланирована")

    # the list of requests filters by status and by tariff name
    page.locator("#rq-status").click()
    page.get_by_role("option", name="Одобрена").click()
    expect(page.locator("#tariff-requests-empty")).to_be_visible()
    page.locator("#rq-status").click()
    page.get_by_role("option", name="Любой").click()
    expect(requests).to_contain_text("Отменена")
    page.locator("#rq-search").fill("максим")
    page.locator("#rq-apply").click()
    expect(requests).to_contain_text("Максимум")
    page.locator("#rq-search").fill("нет такого")
    page.locator("#rq-apply").click()
    expect(page.locator("#tariff-requests-empty")).to_be_visible()


def test_the_page_speaks_english(new_page, subscriber):
    page = new_page(WIDTHS["desktop"])
    enter(page, subscriber["login"], "/cabinet/tariffs")
    expect(page.locator(".tariff-card")).to_have_count(3)
    page.get_by_role("combobox", name=re.compile("Язык|Language")).select_option("en")
    expect(page.get_by_role("heading", name="Tariffs", exact=True)).to_be_visible()
    page.locator(".tariff-card", has_text="Старт").locator(".tariff-choose").click()
    page.locator("#when-now").click()
    expect(page.locator("#tariff-preview")).to_contain_text("Credited to the balance today")
    _shot(page, "tariffs-preview-en-1280")


def test_the_advisor_opens_the_preview_of_the_cheaper_tariff(new_page, advised):
    """Driven at 1280 px (no step differs by width); each state is also shot and checked for
    sideways scrolling at 390 px."""
    page = new_page(WIDTHS["desktop"])
    enter(page, advised["login"], "/cabinet/tariffs")
    expect(page.locator("#advice-title")).to_have_text("Можно платить меньше")
    text = page.locator("#advice-text")
    expect(text).to_contain_text("За ваши последние 3 месяца (7,1")
    expect(text).to_contain_text("тариф «Старт» стоил бы 400,00")
    expect(text).to_contain_text("вместо 650,00")
    expect(text).to_contain_text("экономили бы 250,00")
    periods = page.locator("#advice-periods .advice-period")
    expect(periods).to_have_count(3)
    expect(periods.nth(1)).to_contain_text("22,3")
    expect(periods.nth(1)).to_contain_text("пакеты: +10 ГБ")
    expect(periods.nth(0)).not_to_contain_text("пакеты")
    _shots(page, "tariffs-advice")

    page.locator("#advice-open").click()
    expect(page.locator("#tariff-preview")).to_be_visible()
    expect(page.locator("#tariff-preview")).to_contain_text("Старт")
    expect(page.locator("#preview-new-fee")).to_contain_text("350,00")
    expect(page.locator("#preview-current-fee")).to_contain_text("650,00")
    chosen = page.locator(".tariff-card", has_text="Старт").locator(".tariff-choose")
    expect(chosen).to_have_text("Выбран")
    _shots(page, "tariffs-advice-preview")

    page.get_by_role("combobox", name=re.compile("Язык|Language")).select_option("en")
    expect(page.locator("#advice-title")).to_have_text("You could pay less")
    expect(page.locator("#advice-text")).to_contain_text("Based on your last 3 months (7.1")
    expect(page.locator("#advice-open")).to_have_text("Switch to “Старт”")
    _shots(page, "tariffs-advice-en")
