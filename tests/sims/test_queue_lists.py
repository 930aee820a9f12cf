"""The Activation and Blocking sections' lists (sims/queue_lists.py) over the one list
machinery: filters, search, refusals, export; the SIM lookup of the "block a SIM" form and the
admin's preview of a tariff change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from paysim_app.core.errors import NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import ListQuery, fetch_page
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import ActivationRequest, SimBalance, TariffChangeRequest
from paysim_app.models.base import utcnow
from paysim_app.overview import list_export
from paysim_app.sims import blocks, own_sims, tariff_changes
from paysim_app.sims import queue_lists as q
from tests.sims.test_activations import admin_with

SPECS = (q.ACTIVATION_LIST, q.TARIFF_CHANGE_LIST, q.BLOCK_LIST, q.UNBLOCK_LIST)


def ids(session, actor, spec, **kw) -> list[int]:
    return sorted(r["id"] for r in fetch_page(session, actor, spec, ListQuery(**kw)).rows)


# -- activation requests ------------------------------------------------------------------------
@pytest.fixture
def queue(session, factory):
    """A partner's sale (pending), a subscriber's claim (pending), a rejected old sale of
    another partner filed 40 days ago."""
    tariff = factory.tariff("Оптимум", fee_kop=65000)
    shop = factory.partner("Связь-Маркет")
    kiosk = factory.partner("Киоск")
    alice = factory.subscriber("alice@example.ru", full_name="Алиса Кузнецова")
    sale_sim = factory.sim(None, partner=shop, tariff=tariff, status="awaiting_activation")
    sale = ActivationRequest(
        sim_id=sale_sim.id,
        requester_user_id=shop.user.id,
        partner_id=shop.partner.id,
        tariff_id=tariff.id,
        customer_name="Мария Сидорова",
        customer_phone="+79165550102",
    )
    stock = factory.sim(None, partner=kiosk, tariff=tariff)
    stock.activation_code_hash = own_sims.activation_code_hash("PACK-1234")
    session.commit()
    claim_id = own_sims.claim_sim(session, alice, stock.iccid, "PACK-1234")
    old_sim = factory.sim(None, partner=kiosk, tariff=tariff)
    old = ActivationRequest(
        sim_id=old_sim.id,
        requester_user_id=kiosk.user.id,
        partner_id=kiosk.partner.id,
        tariff_id=tariff.id,
        customer_name="Пётр Старый",
        customer_phone="+79160000001",
        status="rejected",
        reason="Нет паспорта",
        created_at=utcnow() - timedelta(days=40),
    )
    session.add_all([sale, old])
    session.commit()
    return {
        "admin": factory.superadmin(),
        "sale": sale.id,
        "claim": claim_id,
        "old": old.id,
        "sale_sim": sale_sim,
        "stock": stock,
        "shop": shop,
        "kiosk": kiosk,
        "tariff": tariff,
        "alice": alice,
    }


def test_activation_rows_filter_by_status_requester_and_partner(session, queue):
    admin = queue["admin"]
    assert ids(session, admin, q.ACTIVATION_LIST) == sorted(
        [queue["sale"], queue["claim"], queue["old"]]
    )
    pending = ids(session, admin, q.ACTIVATION_LIST, filters={"status": "pending"})
    assert pending == sorted([queue["sale"], queue["claim"]])
    assert ids(session, admin, q.ACTIVATION_LIST, filters={"requester": "subscriber"}) == [
        queue["claim"]
    ]
    assert ids(session, admin, q.ACTIVATION_LIST, filters={"requester": "partner"}) == sorted(
        [queue["sale"], queue["old"]]
    )
    shop = str(queue["shop"].partner.id)
    assert ids(session, admin, q.ACTIVATION_LIST, filters={"partner": shop}) == [queue["sale"]]
    row = fetch_page(session, admin, q.ACTIVATION_LIST, ListQuery(filters={"partner": shop}))
    assert row.rows[0]["partner_name"] == "Связь-Маркет"
    assert row.rows[0]["requester_role"] == "partner"


def test_activation_rows_filter_by_period(session, queue):
    admin = queue["admin"]
    today = moscow_date(utcnow()).isoformat()
    recent = ids(session, admin, q.ACTIVATION_LIST, filters={"date_from": today})
    assert recent == sorted([queue["sale"], queue["claim"]])
    long_ago = (moscow_date(utcnow()) - timedelta(days=30)).isoformat()
    assert ids(session, admin, q.ACTIVATION_LIST, filters={"date_to": long_ago}) == [queue["old"]]


def test_activation_search_by_number_iccid_and_customer_name(session, queue):
    admin = queue["admin"]
    sale_sim = queue["sale_sim"]
    local = sale_sim.msisdn[2:]
    for text in (
        sale_sim.msisdn,
        "8" + local,
        f"{local[:3]} {local[3:6]}-{local[6:8]}-{local[8:]}",
    ):
        assert ids(session, admin, q.ACTIVATION_LIST, search=text) == [queue["sale"]], text
    assert ids(session, admin, q.ACTIVATION_LIST, search=local[-6:]) == [queue["sale"]]
    assert ids(session, admin, q.ACTIVATION_LIST, search=queue["stock"].iccid) == [queue["claim"]]
    assert ids(session, admin, q.ACTIVATION_LIST, search="сидорова") == [queue["sale"]]
    # a subscriber's claim carries the contract holder's name
    assert ids(session, admin, q.ACTIVATION_LIST, search="КУЗНЕЦОВА") == [queue["claim"]]
    assert ids(session, admin, q.ACTIVATION_LIST, search="100%_") == []


def test_activation_filters_refuse_unknown_values(session, queue):
    admin = queue["admin"]
    for filters in (
        {"status": "done"},
        {"requester": "admin"},
        {"partner": "abc"},
        {"date_from": "31.12.2025"},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError):
            fetch_page(session, admin, q.ACTIVATION_LIST, ListQuery(filters=filters))


def test_choices_offer_partners_and_only_tariffs_on_sale(session, factory, queue):
    factory.tariff("Архивный", is_archived=True)
    admin = queue["admin"]
    partners = [c.label for c in q.partner_choices(session, admin)]
    assert partners == sorted(partners) and "Киоск" in partners
    tariffs = [c.label for c in q.tariff_choices(session, admin)]
    assert "Оптимум" in tariffs and "Архивный" not in tariffs


# -- tariff-change requests ----------------------------------------------------------------------
@pytest.fixture
def changes(session, factory):
    optimum = factory.tariff("Оптимум", fee_kop=60000, is_public=True)
    maximum = factory.tariff("Максимум", fee_kop=90000, is_public=True)
    bob = factory.subscriber("boris@example.ru", full_name="Борис Тарифов")
    sim = factory.sim(bob, tariff=optimum, balance_kop=50000, billing_day=1)
    other = factory.sim(bob, tariff=optimum)
    pending = tariff_changes.request_change(session, bob, sim.id, maximum.id, "now")
    old = TariffChangeRequest(
        sim_id=other.id,
        requester_user_id=bob.user_id,
        from_tariff_id=optimum.id,
        to_tariff_id=maximum.id,
        effective="next_period",
        status="rejected",
        reason="Нет",
        created_at=utcnow() - timedelta(days=20),
    )
    session.add(old)
    session.commit()
    return {
        "admin": factory.superadmin(),
        "pending": pending,
        "old": old.id,
        "sim": sim,
        "bob": bob,
    }


def test_tariff_change_rows_filter_by_status_period_and_search(session, changes):
    admin = changes["admin"]
    assert ids(session, admin, q.TARIFF_CHANGE_LIST, filters={"status": "pending"}) == [
        changes["pending"]
    ]
    assert ids(session, admin, q.TARIFF_CHANGE_LIST, filters={"status": "rejected"}) == [
        changes["old"]
    ]
    week_ago = (moscow_date(utcnow()) - timedelta(days=7)).isoformat()
    assert ids(session, admin, q.TARIFF_CHANGE_LIST, filters={"date_from": week_ago}) == [
        changes["pending"]
    ]
    assert ids(session, admin, q.TARIFF_CHANGE_LIST, search=changes["sim"].msisdn) == [
        changes["pending"]
    ]
    assert len(ids(session, admin, q.TARIFF_CHANGE_LIST, search="тарифов")) == 2


def test_tariff_change_preview_is_what_approval_settles(session, changes):
    admin, on = changes["admin"], date(2026, 3, 11)  # billing day 1: 21 of 31 days left
    preview = q.tariff_change_detail(session, admin, changes["pending"], on=on)
    assert (preview.when, preview.days_left, preview.period_days) == ("now", 21, 31)
    assert preview.difference_kop == (30000 * 21 * 2 + 31) // 62  # 20323 kopecks
    assert preview.balance_short_kop == 0 and preview.can_decide
    later = q.tariff_change_detail(session, admin, changes["pending"], "next_period", on=on)
    assert (later.difference_kop, later.effective_date) == (0, date(2026, 4, 1))
    decision = tariff_changes.approve_change(session, admin, changes["pending"], on=on)
    session.commit()
    assert decision.difference_kop == preview.difference_kop
    done = q.tariff_change_detail(session, admin, changes["pending"], on=on)
    assert (done.status, done.can_decide) == ("approved", False)


def test_tariff_change_preview_says_how_much_the_balance_lacks(session, factory, changes):
    # (a direct write: only the preview's arithmetic is under test)
    session.get(SimBalance, changes["sim"].id).balance_kop = 0
    session.commit()
    session.expire_all()  # the SIM loaded earlier read its balance before
    preview = q.tariff_change_detail(
        session, changes["admin"], changes["pending"], on=date(2026, 3, 11)
    )
    assert preview.balance_short_kop == preview.difference_kop > 0


def test_tariff_change_preview_refusals(session, factory, changes):
    with pytest.raises(NotFound):
        q.tariff_change_detail(session, changes["admin"], 10**9)
    with pytest.raises(NotFound):
        q.tariff_change_detail(session, changes["admin"], "1")  # type: ignore[arg-type]
    viewer = admin_with(session, "activations.view")
    assert not q.tariff_change_detail(session, viewer, changes["pending"]).can_decide
    for actor in (factory.support(), changes["bob"], None):
        with pytest.raises(PermissionDenied):
            q.tariff_change_detail(session, actor, changes["pending"])


# -- blocks and unblock requests -----------------------------------------------------------------
@pytest.fixture
def blocked(session, factory):
    """Alice blocked her lost SIM and asks to unblock it; an admin blocked Bob's for debt and
    another for fraud, then lifted that one."""
    tariff = factory.tariff()
    alice = factory.subscriber("alisa.lost@example.ru", full_name="Алиса Кузнецова")
    bob = factory.subscriber("bob.debt@example.ru", full_name="Борис Должников")
    admin = factory.superadmin()
    lost_sim = factory.sim(alice, tariff=tariff)
    debt_sim = factory.sim(bob, tariff=tariff)
    fraud_sim = factory.sim(bob, tariff=tariff)
    lost = own_sims.block_sim(session, alice, lost_sim.id, "lost")
    ask = own_sims.request_unblock(session, alice, lost_sim.id, "нашлась")
    debt = blocks.block_sim(session, admin, debt_sim.id, "debt", "не платит")
    fraud = blocks.block_sim(session, admin, fraud_sim.id, "fraud")
    blocks.lift_block(session, admin, fraud)
    session.commit()
    return {
        "admin": admin,
        "lost": lost,
        "ask": ask,
        "debt": debt,
        "fraud": fraud,
        "lost_sim": lost_sim,
        "debt_sim": debt_sim,
        "alice": alice,
    }


def test_block_rows_filter_by_state_reason_and_unblock_request(session, blocked):
    admin = blocked["admin"]
    assert ids(session, admin, q.BLOCK_LIST, filters={"status": "active"}) == sorted(
        [blocked["lost"], blocked["debt"]]
    )
    assert ids(session, admin, q.BLOCK_LIST, filters={"status": "lifted"}) == [blocked["fraud"]]
    assert ids(session, admin, q.BLOCK_LIST, filters={"reason": "debt"}) == [blocked["debt"]]
    assert ids(session, admin, q.BLOCK_LIST, filters={"unblock": "yes"}) == [blocked["lost"]]
    today = moscow_date(utcnow()).isoformat()
    assert len(ids(session, admin, q.BLOCK_LIST, filters={"date_from": today})) == 3
    assert ids(session, admin, q.BLOCK_LIST, filters={"date_to": "2000-01-01"}) == []
    rows = fetch_page(session, admin, q.BLOCK_LIST, ListQuery(filters={"unblock": "yes"})).rows
    assert (rows[0]["blocked_by_role"], rows[0]["unblock_requested"]) == ("subscriber", True)
    for bad in ({"status": "gone"}, {"reason": "bored"}, {"unblock": "no"}):
        with pytest.raises(ValidationError):
            fetch_page(session, admin, q.BLOCK_LIST, ListQuery(filters=bad))


def test_block_search_by_number_iccid_and_name(session, blocked):
    admin = blocked["admin"]
    assert ids(session, admin, q.BLOCK_LIST, search=blocked["debt_sim"].msisdn) == [blocked["debt"]]
    assert ids(session, admin, q.BLOCK_LIST, search=blocked["lost_sim"].iccid) == [blocked["lost"]]
    assert ids(session, admin, q.BLOCK_LIST, search="должников") == sorted(
        [blocked["debt"], blocked["fraud"]]
    )


def test_unblock_rows_filter_by_status(session, blocked):
    admin = blocked["admin"]
    assert ids(session, admin, q.UNBLOCK_LIST, filters={"status": "pending"}) == [blocked["ask"]]
    blocks.reject_unblock(session, admin, blocked["ask"], "Сначала погасите долг")
    session.commit()
    assert ids(session, admin, q.UNBLOCK_LIST, filters={"status": "pending"}) == []
    assert ids(session, admin, q.UNBLOCK_LIST, filters={"status": "rejected"}) == [blocked["ask"]]
    assert ids(session, admin, q.BLOCK_LIST, filters={"unblock": "yes"}) == []


def test_pending_counts_follow_the_permissions(session, factory, blocked, changes):
    assert q.pending_counts(session, blocked["admin"]) == {
        "activations": 0,
        "tariff_changes": 1,
        "unblock_requests": 1,
    }
    assert q.pending_counts(session, admin_with(session, "blocks.view")) == {"unblock_requests": 1}
    assert q.pending_counts(session, factory.support()) == {}


# -- the SIM lookup of the block form -------------------------------------------------------------
def test_find_sim_by_number_in_any_form_or_iccid(session, factory, blocked):
    admin = blocked["admin"]
    sim = blocked["debt_sim"]
    local = sim.msisdn[2:]
    for text in (
        sim.msisdn,
        "8" + local,
        f"+7 ({local[:3]}) {local[3:6]}-{local[6:8]}-{local[8:]}",
    ):
        hit = q.find_sim(session, admin, text)
        assert (hit.id, hit.status, hit.blockable) == (sim.id, "blocked", False), text
    stock = factory.sim(None)
    hit = q.find_sim(session, admin, f" {stock.iccid} ")
    assert (hit.id, hit.blockable, hit.subscriber_name) == (stock.id, True, "")
    assert q.find_sim(session, admin, sim.iccid).subscriber_name == "Борис Должников"


@pytest.mark.parametrize("text", ["", "12345", "not a number", "+1 555 123 4567"])
def test_find_sim_refuses_what_is_not_a_number_or_iccid(session, blocked, text):
    with pytest.raises(ValidationError) as err:
        q.find_sim(session, blocked["admin"], text)
    assert (err.value.code, err.value.field) == ("queues.error.sim_number", "sim")


def test_find_sim_of_an_unknown_number(session, blocked):
    with pytest.raises(ValidationError) as err:
        q.find_sim(session, blocked["admin"], "+7 999 000-00-00")
    assert err.value.code == "queues.error.sim_unknown"


# -- refusals and export ----------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_the_support_operator_and_non_admins_are_refused(session, factory, spec):
    subscriber = factory.subscriber()
    partner = factory.partner()
    for actor in (factory.support(), subscriber, partner.actor, None):
        with pytest.raises(PermissionDenied):
            fetch_page(session, actor, spec, ListQuery())
        with pytest.raises(PermissionDenied):
            list(list_export.csv_chunks(session, actor, spec, ListQuery(), "ru"))


def test_each_section_needs_its_own_permission(session, factory):
    blocks_only = admin_with(session, "blocks.view")
    activations_only = admin_with(session, "activations.view")
    for spec in (q.ACTIVATION_LIST, q.TARIFF_CHANGE_LIST):
        fetch_page(session, activations_only, spec, ListQuery())
        with pytest.raises(PermissionDenied):
            fetch_page(session, blocks_only, spec, ListQuery())
    for spec in (q.BLOCK_LIST, q.UNBLOCK_LIST):
        fetch_page(session, blocks_only, spec, ListQuery())
        with pytest.raises(PermissionDenied):
            fetch_page(session, activations_only, spec, ListQuery())
    support = factory.support()
    for call in (
        lambda: q.partner_choices(session, support),
        lambda: q.tariff_choices(session, support),
        lambda: q.find_sim(session, support, "+79990000000"),
        lambda: q.find_sim(session, activations_only, "+79990000000"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_the_four_lists_export_as_csv(session, queue, blocked):
    specs = list_export.lists()
    assert {"activations", "tariff_changes", "blocks", "unblock_requests"} <= set(specs)
    csv = "".join(
        list_export.csv_chunks(
            session,
            queue["admin"],
            q.ACTIVATION_LIST,
            ListQuery(filters={"status": "pending"}),
            "ru",
        )
    )
    lines = csv.strip().splitlines()
    assert len(lines) == 3 and "Мария Сидорова" in csv and "Ждёт решения" in csv
    csv = "".join(
        list_export.csv_chunks(session, blocked["admin"], q.BLOCK_LIST, ListQuery(), "en")
    )
    assert "Suspected fraud" in csv and "Lifted" in csv and "не платит" in csv
    for spec in (q.TARIFF_CHANGE_LIST, q.UNBLOCK_LIST):
        assert "".join(list_export.csv_chunks(session, queue["admin"], spec, ListQuery(), "en"))
