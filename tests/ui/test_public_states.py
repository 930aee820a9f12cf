"""The public tariff page's state (no sign-in: active tariffs only, what each add-on does, the
order link), the empty cabinet's add-a-SIM form (one state for the dashboard and /cabinet/sims)
and the cabinet's door keeping the page's query for after sign-in."""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import unquote

import pytest
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401
from paysim_app.db import session_scope
from paysim_app.i18n import EN
from paysim_app.models import ActivationRequest, AddonService, Sim
from paysim_app.sims import own_sims
from paysim_app.ui.auth.states import LoginState, RegisterState
from paysim_app.ui.cabinet.claim_sim import ClaimSimState
from paysim_app.ui.cabinet.home import CabinetHomeState
from paysim_app.ui.public.tariffs import PublicTariffsState, addon_effect
from tests.conftest import PASSWORD
from tests.ui.test_money_states import _router, _run, _state
from tests.ui.test_state_security import _leaf, _signed_in


@pytest.fixture
def catalogue(factory):
    home = factory.tariff("Дом 50", fee_kop=50000, data_gb=50, speed_mbps=50)
    unlimited = factory.tariff("Безлимит", fee_kop=150000, data_gb=None, speed_mbps=100)
    old = factory.tariff("Архивный", fee_kop=10000, is_archived=True)
    factory.session.add(
        AddonService(code="gb10", name="+10 ГБ", price_kop=20000, kind="data_pack", data_gb=10)
    )
    factory.session.commit()
    return home, unlimited, old


def test_a_visitor_sees_the_active_tariffs_with_an_order_link(db_url, catalogue):
    home, unlimited, old = catalogue
    state = _leaf(PublicTariffsState)  # nobody signed in
    _run(PublicTariffsState.load, state)

    cards = state.tariff_cards
    assert [c["name"] for c in cards] == ["Дом 50", "Безлимит"]
    assert cards[0]["href"] == f"/cabinet/order?tariff={home.id}"
    assert cards[0]["data"] == "50 ГБ в месяц" and cards[0]["speed"] == "до 50 Мбит/с"
    assert "128 кбит/с" in cards[0]["limited"]
    assert cards[1]["data"] == "Безлимитный интернет"
    assert "500" in cards[0]["fee"] and "₽" in cards[0]["fee"]
    assert str(old.id) not in {c["id"] for c in cards}
    [pack] = state.addon_cards
    assert pack["effect"] == "+10 ГБ к пакету текущего месяца" and pack["kind"] == "Пакет трафика"

    state.locale = "en"

    state._follow_locale()  # as the door does before its next event
    assert state.tariff_cards[1]["data"] == EN["tariffs.unlimited"]
    assert state.addon_cards[0]["effect"] == "+10 GB on top of this month's allowance"


@pytest.mark.parametrize(
    ("addon", "words"),
    [
        ({"kind": "night_unlimited", "night_from_hour": 1, "night_to_hour": 7}, "с 01:00 до 07:00"),
        ({"kind": "speed_booster", "speed_mbps": 200}, "до 200 Мбит/с"),
        ({"kind": "static_ip"}, "IPv4"),
        ({"kind": "other", "description": "Что-то своё"}, "Что-то своё"),
        ({"kind": "other", "description": ""}, "Другая услуга"),
    ],
)
def test_what_an_addon_does_in_words(addon, words):
    assert words in addon_effect(addon, "ru")


def test_the_empty_cabinet_adds_a_sim_from_its_pack(db_url, factory):
    factory.subscriber("alice@example.ru")
    stock = factory.sim(None)
    stock.activation_code_hash = own_sims.activation_code_hash("AB12-CD34")
    factory.session.commit()

    home = _state(CabinetHomeState)
    assert home.sims == []  # the dashboard shows the empty cabinet

    state = _leaf(ClaimSimState)
    state.auth_token = _signed_in("alice@example.ru")
    _run(ClaimSimState.claim, state, {"iccid": "1234", "code": "AB12-CD34"})
    assert state.claim_errors["iccid"] and not state.claim_errors["code"]
    _run(ClaimSimState.claim, state, {"iccid": stock.iccid, "code": "<script>"})
    assert state.claim_errors["code"] and not state.claim_errors["iccid"]
    _run(ClaimSimState.claim, state, {"iccid": stock.iccid, "code": "WRONG-1"})
    assert state.claim_error and state.claim_errors == {"iccid": "", "code": ""}
    with session_scope() as session:
        assert session.exec(select(ActivationRequest)).first() is None

    out = _run(ClaimSimState.claim, state, {"iccid": stock.iccid, "code": "ab12 cd34"})
    assert out and not state.claim_error
    with session_scope() as session:
        assert session.get(Sim, stock.id).status == "awaiting_activation"
        assert session.exec(select(ActivationRequest)).one().status == "pending"


def test_a_visitor_cannot_claim_a_sim(db_url, factory):
    stock = factory.sim(None)
    state = _leaf(ClaimSimState)
    out = _run(ClaimSimState.claim, state, {"iccid": stock.iccid, "code": "AB12-CD34"})
    assert out is not None  # sent to sign in
    with session_scope() as session:
        assert session.get(Sim, stock.id).status == "in_stock"


def test_a_signed_out_visitor_comes_back_to_the_page_with_its_query(db_url):
    state = _leaf(CabinetHomeState)
    state.router = _router("/cabinet/order?tariff=3")
    actor, redirect = state._gate("subscriber")
    assert actor is None
    target = str(redirect)
    assert "/login?next=" in target
    assert "/cabinet/order?tariff=3" in unquote(target)


def _register(path: str, login: str):
    state = _leaf(RegisterState)
    state.router = _router(path)
    _run(RegisterState.on_load, state)
    form = {
        "login": login,
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "full_name": "Вера",
        "consent_personal_data": "on",
        "consent_terms": "on",
    }
    return state, asyncio.run(RegisterState.submit.fn(state, form))


@pytest.mark.parametrize(
    ("path", "landing"),
    [
        ("/register", "/cabinet"),
        ("/register?next=%2Fcabinet%2Forder%3Ftariff%3D3", "/cabinet/order?tariff=3"),
        ("/register?next=%2Fadmin", "/cabinet"),  # not the subscriber's tree
        ("/register?next=https%3A%2F%2Fevil.example", "/cabinet"),
    ],
)
def test_a_new_subscriber_lands_on_the_cabinet_or_the_page_it_was_going_to(db_url, path, landing):
    state, out = _register(path, "vera@example.ru")
    assert state.errors == {}
    assert f'"{landing}"' in str(out) or f"'{landing}'" in str(out)


def test_sign_in_and_registration_pass_on_where_the_visitor_was_going(db_url):
    login = _leaf(LoginState)
    login.router = _router("/login?next=%2Fcabinet%2Forder%3Ftariff%3D3")
    assert login.register_href == "/register?next=%2Fcabinet%2Forder%3Ftariff%3D3"
    register = _leaf(RegisterState)
    register.router = _router("/register?next=%2Fcabinet%2Forder%3Ftariff%3D3")
    assert register.login_href == "/login?next=%2Fcabinet%2Forder%3Ftariff%3D3"
    plain = _leaf(LoginState)
    plain.router = _router("/login")
    assert plain.register_href == "/register"


def _refusal_to_the_signed_out(path: str, tab: str = "", handler: str = "load") -> str:
    """What the door answers a signed-out tab at `path` whose event needs a subscriber."""
    from reflex_base.event import Event

    from paysim_app.ui.auth.session import SessionState
    from paysim_app.ui.door import Door, Refused

    session = _leaf(SessionState)
    session.router = _router(path)
    if tab:
        session.router = dataclasses.replace(
            session.router, session=dataclasses.replace(session.router.session, client_token=tab)
        )
    event = Event(name=f"{CabinetHomeState.get_full_name()}.{handler}", payload={})
    found = (CabinetHomeState, handler, getattr(CabinetHomeState, handler))
    update = Door()._refuse(event, Refused("needs subscriber"), None, session, found)
    return str(update.events)


def test_a_refused_event_sends_a_signed_out_tab_to_sign_in_with_where_it_was_going():
    answer = unquote(_refusal_to_the_signed_out("/cabinet/order?tariff=3"))
    assert "/login?next=/cabinet/order?tariff=3" in answer


def test_events_refused_together_send_the_tab_to_sign_in_once(monkeypatch):
    """A page's load and its shell's on_mount are refused together; a second redirect to the
    same address reached the sign-in page and loaded it again, wiping what had been typed. An
    event the page sends by itself gets no second one; the visitor's own actions do."""
    from paysim_app.ui import door

    clock = [1000.0]
    monkeypatch.setattr(door.time, "monotonic", lambda: clock[0])
    page = "/cabinet/payments"
    assert "/login?next=" in unquote(_refusal_to_the_signed_out(page, "tab-1"))
    assert "_redirect" not in _refusal_to_the_signed_out(page, "tab-1")
    # the visitor's own action (its answer may have been lost) is always answered
    assert "/login?next=" in unquote(_refusal_to_the_signed_out(page, "tab-1", "select_sim"))
    assert "/login?next=" in unquote(_refusal_to_the_signed_out(page, "tab-2"))  # another tab
    assert "/login?next=" in unquote(_refusal_to_the_signed_out("/cabinet", "tab-1"))  # elsewhere
    clock[0] += door.SENT_FOR + 0.1  # a later click (its answer lost): sent again
    assert "/login?next=" in unquote(_refusal_to_the_signed_out("/cabinet", "tab-1"))


def test_a_stray_event_on_a_public_page_leaves_the_visitor_where_they_are():
    """A signed-out visitor follows a tariff's order link from /coverage: the cabinet shell's
    first event (the notification badge's on_mount) can leave the browser stamped with
    /coverage, because React runs it before the router's location follows. The door refuses it
    without a redirect; the order page's own on_load sends the tab to sign in with its ?next=.
    On the sign-in page itself a stray event must not drop the ?next= either."""
    for page in ("/coverage/", "/tariffs", "/login?next=%2Fcabinet%2Forder%3Ftariff%3D3"):
        answer = _refusal_to_the_signed_out(page)
        assert "_redirect" not in answer and "/login" not in answer, page


def test_the_consent_page_sends_a_signed_out_tab_to_sign_in():
    assert "/login" in _refusal_to_the_signed_out("/consent")
