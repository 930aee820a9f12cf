"""The demo seed: counts, sign-ins, the money rule, commissions, determinism.

Self-contained: every database here is a tmp_path file, a copy of one made by `alembic upgrade
head` and seeded once per test run (tests/demo_databases.py; no fixtures from tests/conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from stdnum import luhn

from paysim_app import db as app_db
from paysim_app import demo
from paysim_app.accounts import identity
from paysim_app.billing import ledger
from paysim_app.billing.cycle import fee_posting
from paysim_app.billing.payments import commission_of, credit_posting
from paysim_app.catalogue.addons import purchase_posting
from paysim_app.db import make_engine
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    AuditLog,
    AutopayRun,
    AutopaySetting,
    Block,
    Commission,
    LedgerEntry,
    Notification,
    Partner,
    Payment,
    QualityRating,
    SavedCard,
    Sim,
    SimAddon,
    SpeedTest,
    Subscriber,
    Tariff,
    TariffChangeRequest,
    Ticket,
    TicketMessage,
    User,
)
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.overview import dashboards
from paysim_app.settings import get_settings
from tests.demo_databases import MSK, NOW, TODAY, migrated_copy, seeded_copy

DECLINE_CODES = {
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "incorrect_cvc",
    "authentication_required",
}


def _fresh_engine(tmp_path_factory, path) -> Engine:
    """An engine on a database just migrated to head (a copy of one migrated once per run)."""
    return make_engine(migrated_copy(tmp_path_factory, path))


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> Iterator[None]:
    """Fast bcrypt and a throwaway default database; settings caches cleared and restored."""
    scratch = tmp_path_factory.mktemp("demo-env")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAYSIM_BCRYPT_ROUNDS", "4")
        mp.setenv("DATABASE_URL", f"sqlite:///{scratch / 'unused.db'}")
        mp.setenv("PAYSIM_TIMEZONE", "Europe/Moscow")
        get_settings.cache_clear()
        app_db.get_engine.cache_clear()
        yield
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()


@pytest.fixture(scope="module")
def seeded(demo_env, tmp_path_factory) -> Iterator[tuple[Engine, dict, float]]:
    """The demo seeded on a fresh database with TODAY and NOW (a copy of this run's seed "a")."""
    path = tmp_path_factory.mktemp("seed-a") / "a.db"
    counts, seconds = seeded_copy(tmp_path_factory, "a", path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine, counts, seconds
    engine.dispose()


@pytest.fixture
def session(seeded) -> Iterator[Session]:
    engine, _, _ = seeded
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _demo_subscriber(session: Session) -> Subscriber:
    user = session.exec(select(User).where(User.email == demo.DEMO_SUBSCRIBER_EMAIL)).one()
    return session.exec(select(Subscriber).where(Subscriber.user_id == user.id)).one()


# --------------------------------------------------------------------------- counts and shape


def test_seed_reports_counts(seeded, session):
    # its time is measured by bench/demo_seed.py, not asserted here
    _, counts, _ = seeded
    assert counts["sims"] == 300
    assert counts["tariffs"] == 4
    assert counts["partners"] == 2
    assert counts["payments"] == session.exec(select(func.count()).select_from(Payment)).one()
    assert 600 <= counts["payments"] <= 1500
    assert counts["payments_failed"] > 0
    for key in (
        "commissions",
        "tickets",
        "ticket_messages",
        "quality_ratings",
        "speed_tests",
        "notifications",
        "audit_entries",
        "activation_requests",
        "tariff_change_requests",
        "blocks",
        "saved_cards",
        "autopay_settings",
    ):
        assert counts[key] > 0, key


def test_tariffs_and_addons(session):
    tariffs = {t.code: t for t in session.exec(select(Tariff)).all()}
    assert set(tariffs) == {"START", "OPTIMUM", "MAXIMUM", "OLD_UNLIM"}
    assert [c for c, t in tariffs.items() if t.is_archived] == ["OLD_UNLIM"]
    assert (
        tariffs["START"].monthly_fee_kop,
        tariffs["START"].data_gb,
        tariffs["START"].speed_mbps,
    ) == (35000, 15, 20)
    assert (tariffs["OPTIMUM"].monthly_fee_kop, tariffs["OPTIMUM"].data_gb) == (65000, 50)
    assert (tariffs["MAXIMUM"].monthly_fee_kop, tariffs["MAXIMUM"].data_gb) == (99000, None)
    assert tariffs["OLD_UNLIM"].monthly_fee_kop == 50000
    addons = session.exec(select(AddonService)).all()
    assert len(addons) == 4
    assert all(a.price_kop > 0 and a.period_days > 0 for a in addons)


def test_partners_and_their_users(session):
    partners = {p.code: p for p in session.exec(select(Partner)).all()}
    assert set(partners) == {"SVYAZ", "NETPOINT"}
    assert partners["SVYAZ"].commission_bp == 1000
    assert partners["NETPOINT"].commission_bp == 750
    for partner in partners.values():
        users = session.exec(select(User).where(User.partner_id == partner.id)).all()
        assert len(users) == 1
        assert users[0].role == "partner" and users[0].is_active
    demo_partner = session.exec(select(User).where(User.email == demo.DEMO_PARTNER_EMAIL)).one()
    assert demo_partner.partner_id == partners["SVYAZ"].id


@pytest.mark.parametrize(
    ("login", "role", "admin_permission"),
    [
        ("demo@paysim.demo", "subscriber", None),
        ("+79990000001", "subscriber", None),
        ("+7 999 000-00-01", "subscriber", None),
        ("partner@paysim.demo", "partner", None),
        ("admin@paysim.demo", "admin", "admins.manage"),
        ("support@paysim.demo", "admin", "support.edit"),
    ],
)
def test_demo_logins_sign_in(seeded, login, role, admin_permission):
    engine, _, _ = seeded
    with Session(engine, expire_on_commit=False) as s:
        token, actor = identity.sign_in(s, login, demo.DEMO_PASSWORD)
        s.rollback()  # leave the shared database as the seed wrote it
    assert token
    assert actor.role == role
    if role == "subscriber":
        assert actor.subscriber_id is not None and actor.full_name == "Иван Петров"
    if role == "partner":
        assert actor.partner_id is not None
    if admin_permission:
        assert actor.can(admin_permission)
    if login.startswith("support"):
        assert not actor.can("sims.view") and not actor.can("admins.manage")


def test_subscribers(session):
    subs = session.exec(select(Subscriber)).all()
    with_login = [s for s in subs if s.user_id is not None]
    assert len(with_login) == 11  # the demo subscriber and ten more who can sign in
    contract_nos = [s.contract_no for s in subs]
    assert len(set(contract_nos)) == len(contract_nos)
    assert all(re.fullmatch(r"PS-\d{7}", c) for c in contract_nos)
    sims_per_sub = Counter(
        session.exec(select(Sim.subscriber_id).where(Sim.subscriber_id.is_not(None))).all()
    )
    demo_sub = _demo_subscriber(session)
    for sub in subs:
        expected = (4, 4) if sub.id == demo_sub.id else (1, 3)
        assert expected[0] <= sims_per_sub[sub.id] <= expected[1], sub.full_name
    # every other login subscriber signs in with the demo password too
    other = session.get(User, with_login[-1].user_id)
    with Session(session.get_bind(), expire_on_commit=False) as s:
        _, actor = identity.sign_in(s, other.email or other.phone, demo.DEMO_PASSWORD)
        s.rollback()
    assert actor.role == "subscriber"
    demo_user = session.get(User, demo_sub.user_id)
    assert (demo_user.email, demo_user.phone) == ("demo@paysim.demo", "+79990000001")
    # a subscriber sold by a dealer has that dealer on the contract and on its SIMs
    for sub in subs:
        if sub.partner_id is not None:
            partners = set(session.exec(select(Sim.partner_id).where(Sim.subscriber_id == sub.id)))
            assert partners == {sub.partner_id}


def test_sims_numbers_and_statuses(session):
    sims = session.exec(select(Sim)).all()
    assert len(sims) == 300
    statuses = Counter(s.status for s in sims)
    assert set(statuses) == set(SIM_STATUSES)
    for sim in sims:
        assert re.fullmatch(r"897010\d{13}", sim.iccid), sim.iccid
        assert luhn.is_valid(sim.iccid)
        assert re.fullmatch(r"\+79\d{9}", sim.msisdn)
        assert re.fullmatch(r"25001\d{10}", sim.imsi)
    for column in ("iccid", "msisdn", "imsi"):
        values = [getattr(s, column) for s in sims]
        assert len(set(values)) == 300, column
    user_phones = set(session.exec(select(User.phone).where(User.phone.is_not(None))))
    assert not user_phones & {s.msisdn for s in sims}
    in_stock = [s for s in sims if s.status == "in_stock"]
    assert sum(1 for s in in_stock if s.partner_id) > len(in_stock) / 2
    assert all(s.subscriber_id is None and s.balance_kop == 0 for s in in_stock)
    for sim in sims:
        if sim.status in ("active", "suspended", "blocked", "deactivated"):
            assert sim.subscriber_id and sim.tariff_id and sim.activated_at, sim.iccid
    assert all(s.balance_kop < 0 for s in sims if s.status == "suspended")
    assert all(s.balance_kop >= 0 for s in sims if s.status == "active")
    assert any(s.partner_id and s.subscriber_id for s in sims)  # sold by a dealer


def test_demo_subscriber_sims_cards_and_autopay(session):
    demo_sub = _demo_subscriber(session)
    sims = {s.label: s for s in session.exec(select(Sim).where(Sim.subscriber_id == demo_sub.id))}
    assert set(sims) == {"Дом", "Дача", "Планшет", "Камеры"}
    home, dacha, tablet = sims["Дом"], sims["Дача"], sims["Планшет"]
    assert (home.status, dacha.status, tablet.status) == ("active", "suspended", "blocked")
    assert sims["Камеры"].status == "active"  # its usage story: tests/test_demo_usage.py
    assert home.balance_kop > 0 and dacha.balance_kop < 0
    assert session.get(Tariff, home.tariff_id).code == "OPTIMUM"
    blocks = session.exec(select(Block).where(Block.sim_id == tablet.id)).all()
    assert len(blocks) == 1
    assert (blocks[0].reason, blocks[0].lifted_at) == ("lost", None)
    assert tablet.status_before_block == blocks[0].previous_status == "active"

    cards = {
        c.last4: c
        for c in session.exec(select(SavedCard).where(SavedCard.subscriber_id == demo_sub.id))
    }
    assert set(cards) == {"4242", "4444"}
    visa, master = cards["4242"], cards["4444"]
    assert (visa.brand, visa.is_default, visa.gateway_token) == ("visa", True, "pm_card_visa")
    assert master.brand == "mastercard" and not master.is_default
    assert master.gateway_token.startswith("pm_")
    # Mastercard expires at the end of its month, within 30 days of the reference day
    nxt = date(master.exp_year + master.exp_month // 12, master.exp_month % 12 + 1, 1)
    assert 0 <= (nxt - timedelta(days=1) - TODAY).days <= 30
    assert date(visa.exp_year, visa.exp_month, 1) > TODAY + timedelta(days=60)

    autopay = session.exec(select(AutopaySetting).where(AutopaySetting.sim_id == home.id)).one()
    assert (autopay.mode, autopay.enabled, autopay.card_id) == ("monthly", True, visa.id)
    runs = session.exec(select(AutopayRun).where(AutopayRun.sim_id == home.id)).all()
    assert runs and {r.status for r in runs} == {"succeeded", "failed"}
    for run in runs:
        payment = session.get(Payment, run.payment_id)
        assert payment.method == "autopay" and payment.status == run.status
    assert session.exec(select(SimAddon).where(SimAddon.sim_id == home.id)).first() is not None


# --------------------------------------------------------------------------- payments and money


def test_payments_methods_declines_and_span(session):
    payments = session.exec(select(Payment)).all()
    succeeded = [p for p in payments if p.status == "succeeded"]
    failed = [p for p in payments if p.status == "failed"]
    assert {p.method for p in succeeded} == {"card", "autopay", "partner"}
    assert {p.decline_code for p in failed} == DECLINE_CODES
    assert all(p.decline_code is None for p in succeeded)
    assert len({p.idempotency_key for p in payments}) == len(payments)
    for p in payments:
        assert p.amount_kop > 0
        if p.method in ("card", "autopay"):
            assert p.card_brand in ("visa", "mastercard") and re.fullmatch(r"\d{4}", p.card_last4)
        sim = session.get(Sim, p.sim_id)
        assert sim.subscriber_id is not None or sim.status != "in_stock"
        assert p.subscriber_id == sim.subscriber_id
    times = sorted(p.created_at for p in payments)
    assert times[-1] <= NOW
    first_day = times[0].astimezone(MSK).date()
    assert TODAY - timedelta(days=186) <= first_day <= TODAY - timedelta(days=170)
    months = {t.astimezone(MSK).strftime("%Y-%m") for t in times}
    assert len(months) >= 6


def test_todays_payments_show_on_the_admin_overview(session):
    admin = session.exec(select(User).where(User.email == demo.DEMO_ADMIN_EMAIL)).one()
    overview = dashboards.admin_overview(session, identity.actor_for(session, admin), now=NOW)
    assert overview.payments_today_count >= 3
    assert overview.payments_today_kop > 0


def test_money_rule_balance_is_the_sum_of_the_ledger(session):
    entries = session.exec(select(LedgerEntry).order_by(LedgerEntry.created_at, LedgerEntry.id))
    by_sim: dict[int, list[LedgerEntry]] = defaultdict(list)
    for e in entries:
        by_sim[e.sim_id].append(e)
    sims = session.exec(select(Sim)).all()
    with_entries = 0
    for sim in sims:
        rows = by_sim.get(sim.id, [])
        assert sim.balance_kop == sum(e.amount_kop for e in rows), sim.iccid
        running = 0
        for e in rows:
            running += e.amount_kop
            assert e.balance_after_kop == running, (sim.iccid, e.id)
            assert e.amount_kop != 0
        if rows:
            with_entries += 1
            assert rows[-1].balance_after_kop == sim.balance_kop
            assert max(r.id for r in rows) == rows[-1].id  # ids follow time within a SIM
    assert with_entries > 100
    # and the same rule in SQL, the way a consistency check would ask it
    mismatched = session.exec(
        select(func.count())
        .select_from(Sim)
        .where(
            Sim.balance_kop
            != select(func.coalesce(func.sum(LedgerEntry.amount_kop), 0))
            .where(LedgerEntry.sim_id == Sim.id)
            .scalar_subquery()
        )
    ).one()
    assert mismatched == 0


def test_ledger_links_payments_and_fees(session):
    entries = session.exec(select(LedgerEntry)).all()
    payments = {p.id: p for p in session.exec(select(Payment)).all()}
    topups = [e for e in entries if e.kind == "topup"]
    assert {e.kind for e in entries} == {"topup", "monthly_fee", "addon"}
    # every successful payment has exactly one top-up entry of the same amount; failed: none
    per_payment = Counter(e.payment_id for e in topups)
    for pid, payment in payments.items():
        if payment.status == "succeeded":
            assert per_payment[pid] == 1, pid
        else:
            assert per_payment[pid] == 0, pid
    for e in topups:
        assert e.amount_kop == payments[e.payment_id].amount_kop
        assert e.sim_id == payments[e.payment_id].sim_id
    fees = [e for e in entries if e.kind == "monthly_fee"]
    assert len(fees) > 300
    periods = Counter((e.sim_id, e.fee_period) for e in fees)
    assert max(periods.values()) == 1  # at most one monthly fee per SIM and period
    fee_amounts = {-t.monthly_fee_kop for t in session.exec(select(Tariff)).all()}
    for e in fees:
        assert re.fullmatch(r"\d{4}-\d{2}", e.fee_period)
        assert e.fee_period == e.created_at.astimezone(MSK).strftime("%Y-%m")
        assert e.amount_kop in fee_amounts and e.payment_id is None
    assert all(e.fee_period is None for e in entries if e.kind != "monthly_fee")
    # a SIM pays fees only from its activation on
    for e in fees[:50]:
        assert session.get(Sim, e.sim_id).activated_at <= e.created_at


def test_ledger_entries_have_the_shape_the_app_writes(session):
    """Each kind of entry is what the app's own code writes for it (settlement, the billing
    cycle, an add-on bought in the cabinet), field by field but the ids and the time."""

    def shape(row: LedgerEntry | dict) -> dict:
        data = row if isinstance(row, dict) else row.model_dump()
        return {k: v for k, v in data.items() if k not in ("id", "created_at")}

    addons = {a.name: a for a in session.exec(select(AddonService)).all()}
    seen = set()
    for e in session.exec(select(LedgerEntry).order_by(LedgerEntry.id)).all():
        if e.kind == "topup":
            posting = credit_posting(e.sim_id, e.payment_id, e.amount_kop)
        elif e.kind == "monthly_fee":
            posting = fee_posting(e.sim_id, -e.amount_kop, e.fee_period)
        else:
            sim = session.get(Sim, e.sim_id)
            sub = session.get(Subscriber, sim.subscriber_id) if sim.subscriber_id else None
            posting = purchase_posting(e.sim_id, addons[e.comment], sub.user_id if sub else None)
        assert shape(e) == shape(ledger.entry_row(posting, e.balance_after_kop, e.created_at))
        seen.add(e.kind)
    assert seen == {"topup", "monthly_fee", "addon"}


def test_commissions_only_for_partner_sold_sims(session):
    partners = {p.id: p for p in session.exec(select(Partner)).all()}
    commissions = {c.payment_id: c for c in session.exec(select(Commission)).all()}
    assert commissions
    for payment in session.exec(select(Payment)).all():
        sim = session.get(Sim, payment.sim_id)
        if payment.status == "succeeded" and sim.partner_id is not None:
            c = commissions.pop(payment.id)
            assert c.partner_id == sim.partner_id == payment.partner_id
            assert c.rate_bp == partners[sim.partner_id].commission_bp
            # the app's own rule (half up), not a copy of it: the demo cannot drift from it
            assert c.amount_kop == commission_of(payment.amount_kop, c.rate_bp)
        else:
            assert payment.id not in commissions
    assert commissions == {}  # none left over: no commission without a partner-sold payment


# --------------------------------------------------------------------------- the other screens


def test_requests_tickets_quality_notifications_audit(session):
    demo_sub = _demo_subscriber(session)
    demo_user_id = demo_sub.user_id
    partner_user = session.exec(select(User).where(User.email == demo.DEMO_PARTNER_EMAIL)).one()
    admin = session.exec(select(User).where(User.email == demo.DEMO_ADMIN_EMAIL)).one()

    requests = session.exec(select(ActivationRequest)).all()
    assert {"pending", "approved", "rejected"} <= {r.status for r in requests}
    pending = [r for r in requests if r.status == "pending"]
    requester_roles = {session.get(User, r.requester_user_id).role for r in pending}
    assert requester_roles == {"partner", "subscriber"}
    for r in pending:
        assert session.get(Sim, r.sim_id).status == "awaiting_activation"
    for r in requests:
        if r.status != "pending":
            assert r.decided_by_user_id == admin.id and r.decided_at is not None

    changes = session.exec(select(TariffChangeRequest)).all()
    assert any(c.status == "pending" and c.requester_user_id == demo_user_id for c in changes)

    tickets = session.exec(select(Ticket)).all()
    assert len({t.status for t in tickets}) >= 4
    assert any(t.author_user_id == demo_user_id for t in tickets)
    assert any(
        t.author_user_id == partner_user.id and t.partner_id == partner_user.partner_id
        for t in tickets
    )
    for t in tickets:
        messages = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == t.id))
        assert len(messages.all()) >= 1

    assert len(session.exec(select(QualityRating)).all()) >= 2
    assert session.exec(select(SpeedTest)).first() is not None
    notes = session.exec(select(Notification).where(Notification.user_id == demo_user_id)).all()
    assert len(notes) >= 3 and any(n.read_at is None for n in notes)

    audit = session.exec(select(AuditLog)).all()
    actions = {a.action for a in audit}
    assert {"activation.approve", "activation.reject", "tariff_change.approve"} <= actions
    # the admin decides; a dealer's sale (an ordered SIM handed out) is the dealer's own request
    assert all(
        a.actor_user_id == admin.id
        for a in audit
        if a.action.startswith("activation.") and a.action != "activation.request"
    )


def test_all_timestamps_are_before_now(session):
    for model, column in (
        (Payment, Payment.created_at),
        (LedgerEntry, LedgerEntry.created_at),
        (Sim, Sim.created_at),
        (Ticket, Ticket.updated_at),
        (Notification, Notification.created_at),
        (ActivationRequest, ActivationRequest.created_at),
    ):
        newest = session.exec(select(func.max(column))).one()
        newest = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
        assert newest <= NOW, model.__name__


# --------------------------------------------------------------------------- determinism, refusal


def _fingerprint(engine: Engine) -> dict:
    with Session(engine) as s:
        return {
            "sims": s.exec(
                select(Sim.iccid, Sim.msisdn, Sim.status, Sim.balance_kop).order_by(Sim.id)
            ).all(),
            "payments": s.exec(
                select(
                    Payment.amount_kop, Payment.status, Payment.decline_code, Payment.created_at
                ).order_by(Payment.id)
            ).all(),
            "ledger": s.exec(
                select(
                    LedgerEntry.sim_id, LedgerEntry.amount_kop, LedgerEntry.balance_after_kop
                ).order_by(LedgerEntry.id)
            ).all(),
            "subscribers": s.exec(
                select(Subscriber.contract_no, Subscriber.full_name).order_by(Subscriber.id)
            ).all(),
        }


def test_seed_is_deterministic(seeded, tmp_path_factory, tmp_path):
    """A second seed, made independently on another fresh database, writes the same rows."""
    engine_a, counts_a, _ = seeded
    counts_b, _ = seeded_copy(tmp_path_factory, "b", tmp_path / "b.db")
    engine_b = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        a, b = _fingerprint(engine_a), _fingerprint(engine_b)
    finally:
        engine_b.dispose()
    assert counts_a == counts_b
    assert [r[:2] for r in a["sims"]] == [r[:2] for r in b["sims"]]  # iccid, msisdn
    assert [r[0] for r in a["payments"]] == [r[0] for r in b["payments"]]  # amounts
    assert a == b


def test_seeding_a_seeded_database_is_refused_and_changes_nothing(seeded):
    engine, counts, _ = seeded
    with Session(engine, expire_on_commit=False) as s:
        with pytest.raises(demo.DemoSeedError, match="empty database"):
            demo.seed_demo(s, today=TODAY, now=NOW)
        s.rollback()
        assert demo.count_rows(s) == counts
        assert demo.database_has_users(s)


def test_seed_accepts_a_database_with_only_an_admin(demo_env, tmp_path_factory, tmp_path):
    engine = _fresh_engine(tmp_path_factory, tmp_path / "c.db")
    try:
        with Session(engine, expire_on_commit=False) as s:
            assert not demo.database_has_users(s)
            identity.create_admin(s, "ops@example.com", "Ops-pass-123", "Superadmin")
            s.commit()
            counts = demo.seed_demo(s)  # the default reference day: today in Moscow
            s.commit()
            assert counts["sims"] == 300 and counts["users"] == 16
            start, end = dashboards.moscow_day_bounds()
            today_paid = s.exec(
                select(func.count())
                .select_from(Payment)
                .where(
                    Payment.status == "succeeded",
                    Payment.created_at >= start,
                    Payment.created_at < end,
                )
            ).one()
            assert today_paid > 0
    finally:
        engine.dispose()
