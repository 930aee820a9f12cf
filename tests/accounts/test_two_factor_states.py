"""The sign-in page's second step and the profile's two-factor card, driven as the browser drives
them, and as a hostile client would: no challenge, another user's, huge and odd values."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pyotp
import pytest
import time_machine
from reflex.istate.data import RouterData
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401  (every state defined)
from paysim_app.accounts import identity, two_factor
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.db import session_scope
from paysim_app.models import AdminRole, SignInChallenge, TwoFactor
from paysim_app.ui.admin.admins import AdminAdminState, AdminRolesState
from paysim_app.ui.auth.states import LoginState
from paysim_app.ui.components.two_factor import TwoFactorState
from tests.conftest import PASSWORD
from tests.ui.test_state_security import _leaf, _signed_in

START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
DEVICE = "k" * 43


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _router(path: str = "/login") -> RouterData:
    return RouterData.from_router_data(
        {
            "asPath": path,
            "pathname": path,
            "query": {},
            "headers": {"origin": "http://localhost", "user-agent": "pytest Chrome/120.0"},
        }
    )


def _tab(device: str = DEVICE):
    state = _leaf(LoginState)
    state.router = _router()
    LoginState.set_device.fn(state, device)
    return state


def _password(state, login: str, password: str = PASSWORD):
    return asyncio.run(LoginState.submit.fn(state, {"login": login, "password": password}))


def _code(state, form):
    return asyncio.run(LoginState.submit_code.fn(state, form))


def _enrolled(user) -> str:
    """Enrol the user's authenticator (at START's time step); its secret."""
    with session_scope() as s:
        actor = identity.actor_for(s, user)
        shown = two_factor.start_enrolment(s, actor)
        secret = shown.secret.replace(" ", "")
        two_factor.confirm_enrolment(s, actor, pyotp.TOTP(secret).at(START))
    return secret


def _next_code(secret: str, clock, steps: int = 1) -> str:
    clock.shift(30 * steps)
    return pyotp.TOTP(secret).at(datetime.now(UTC))


@pytest.fixture
def admin(factory, session):
    user = factory.admin_user(ROLE_SUPPORT)
    session.commit()
    return user


def test_the_password_step_leaves_no_session_and_no_secret_in_the_browser(db_url, admin, clock):
    secret = _enrolled(admin)
    tab = _tab()
    _password(tab, admin.email)
    assert tab.step == "code" and tab.auth_token == "" and tab.error == ""
    challenge = tab._challenge
    sent = json.dumps(tab.dict(), default=str)  # what the client may see of the state
    assert challenge and challenge not in sent and DEVICE not in sent

    out = _code(tab, {"code": _next_code(secret, clock)})
    assert tab.auth_token and tab.step == ""
    assert identity.resolve_session(tab.auth_token).user_id == admin.id
    assert "/admin" in str(out)


def test_the_second_step_without_a_challenge_signs_nobody_in(db_url, admin, clock):
    _enrolled(admin)
    tab = _tab()
    for form in ({"code": "123456"}, {}, "not a form", {"code": "1" * 100_000}, {"code": None}):
        _code(tab, form)
        assert tab.auth_token == "" and tab.step == ""
        assert tab.error  # "enter your password again"


def test_another_users_challenge_cannot_be_sent_from_the_browser(db_url, factory, admin, clock):
    secret = _enrolled(admin)
    other = factory.admin_user(ROLE_SUPPORT)
    _enrolled(other)
    mine, theirs = _tab(), _tab("m" * 43)
    _password(mine, admin.email)
    _password(theirs, other.email)
    code = _next_code(secret, clock)
    # the other tab sends my challenge and my code as form fields: they are not read
    _code(theirs, {"code": code, "challenge": mine._challenge, "device": DEVICE})
    assert theirs.auth_token == "" and theirs.error
    assert theirs.step == "code"  # its own challenge stays (one wrong code counted)
    _code(mine, {"code": code})
    assert identity.resolve_session(mine.auth_token).user_id == admin.id


def test_huge_and_wrong_codes_are_refused_and_counted(db_url, admin, clock):
    secret = _enrolled(admin)
    tab = _tab()
    _password(tab, admin.email)
    for bad in (
        "x" * 100_000,
        "12 34 56 78",
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
    ):
        _code(tab, {"code": bad})
        assert tab.auth_token == "" and tab.error
    with session_scope() as s:
        assert s.exec(select(SignInChallenge)).one().attempts == 3


def test_an_expired_challenge_sends_back_to_the_password(db_url, admin, clock):
    secret = _enrolled(admin)
    tab = _tab()
    _password(tab, admin.email)
    code = _next_code(secret, clock, steps=11)  # 5.5 minutes later
    _code(tab, {"code": code})
    assert tab.step == "" and tab.auth_token == "" and tab._challenge == ""


def test_a_browser_without_an_id_gets_one_from_the_server(db_url, admin, clock):
    _enrolled(admin)
    tab = _leaf(LoginState)
    tab.router = _router()
    LoginState.set_device.fn(tab, "<script>")  # not an id: ignored
    assert tab._device == ""
    out = _password(tab, admin.email)
    assert identity.valid_device_id(tab._device) and tab.step == "code"
    assert "paysim_device" in str(out)  # stored in the browser for the next sign-ins


def test_the_enrolment_a_role_requires_then_the_codes_once(db_url, factory, admin, clock):
    boss = factory.superadmin()
    with session_scope() as s:
        two_factor.set_role_two_factor(s, boss, admin.admin_role_id, True)
    tab = _tab()
    _password(tab, admin.email)
    assert tab.step == "enrol" and tab.qr.startswith("data:image/svg+xml") and tab.secret
    assert tab.auth_token == ""
    secret = tab.secret.replace(" ", "")
    _code(tab, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert tab.step == "enrol" and tab.error and tab.auth_token == ""
    _code(tab, {"code": _next_code(secret, clock)})
    assert tab.step == "codes" and len(tab.recovery_codes) == 10 and tab.auth_token
    out = LoginState.codes_done.fn(tab)
    assert tab.recovery_codes == [] and "/admin" in str(out)


def test_the_profile_card_enrols_and_turns_it_off(db_url, factory, clock):
    dealer = factory.partner()
    card = _leaf(TwoFactorState)
    card.auth_token = _signed_in(dealer.login)
    TwoFactorState.load.fn(card)
    assert card.may and not card.enabled
    TwoFactorState.start.fn(card)
    assert card.phase == "enrol" and card.qr
    secret = card.secret.replace(" ", "")
    TwoFactorState.set_code.fn(card, "1" * 100_000)
    assert len(card.code) == 64
    TwoFactorState.confirm.fn(card)
    assert card.error and card.phase == "enrol"
    TwoFactorState.set_code.fn(card, pyotp.TOTP(secret).at(START))
    TwoFactorState.confirm.fn(card)
    assert card.phase == "codes" and len(card.codes) == 10 and card.enabled and card.left == 10
    TwoFactorState.codes_done.fn(card)
    TwoFactorState.set_code.fn(card, _next_code(secret, clock))
    TwoFactorState.disable.fn(card)
    assert not card.enabled and card.message


def test_a_subscriber_has_no_two_factor_card(db_url, factory):
    factory.subscriber("olga@example.ru")
    card = _leaf(TwoFactorState)
    card.auth_token = _signed_in("olga@example.ru")
    TwoFactorState.load.fn(card)
    assert not card.may
    TwoFactorState.start.fn(card)
    assert card.error and card.qr == ""


# -- the admin console ------------------------------------------------------------------------
def _console(cls, login: str, path: str):
    state = _leaf(cls)
    state.auth_token = _signed_in(login)
    state.router = _router_with_query(path)
    return state


def _router_with_query(path: str) -> RouterData:
    page, _, query = path.partition("?")
    return RouterData.from_router_data(
        {
            "asPath": path,
            "pathname": page,
            "query": dict(parse_qsl(query)),
            "headers": {"origin": "http://localhost"},
        }
    )


def test_a_superadmin_resets_an_admins_two_factor_from_the_card(db_url, factory, admin, clock):
    _enrolled(admin)
    boss = factory.admin_user()
    card = _console(AdminAdminState, boss.email, f"/admin/admins/{admin.id}?user_id={admin.id}")
    assert AdminAdminState.load.fn(card) is None
    assert card.admin["two_factor"] == "1"
    AdminAdminState.ask_reset_two_factor.fn(card, True)
    assert card.confirm_reset
    AdminAdminState.reset_two_factor.fn(card)
    assert card.admin["two_factor"] == "" and not card.confirm_reset and card.error == ""
    with session_scope() as s:
        assert s.get(TwoFactor, admin.id) is None


def test_the_console_handlers_refuse_a_non_manager_even_past_the_door(
    db_url, factory, admin, clock
):
    _enrolled(admin)
    support = factory.admin_user(ROLE_SUPPORT)
    # the door refuses these handlers to the support operator; called directly, the verbs do
    card = _console(AdminAdminState, support.email, f"/admin/admins/{admin.id}?user_id={admin.id}")
    AdminAdminState.reset_two_factor.fn(card)
    roles = _console(AdminRolesState, support.email, "/admin/admins/roles")
    roles.selected = str(admin.admin_role_id)
    AdminRolesState.set_two_factor.fn(roles, True)
    assert roles.error and not roles.two_factor_required
    with session_scope() as s:
        assert s.get(TwoFactor, admin.id).enabled_at is not None
        assert not s.get(AdminRole, admin.admin_role_id).two_factor_required


def test_the_role_switch_requires_two_factor(db_url, factory, admin, clock):
    boss = factory.admin_user()
    role_id = admin.admin_role_id
    roles = _console(AdminRolesState, boss.email, f"/admin/admins/roles?role={role_id}")
    AdminRolesState.load.fn(roles)
    assert roles.selected == str(role_id) and not roles.two_factor_required
    AdminRolesState.set_two_factor.fn(roles, True)
    assert roles.two_factor_required and roles.error == ""
    AdminRolesState.pick.fn(roles, str(role_id))
    assert roles.two_factor_required  # read back from the role
    tab = _tab()
    _password(tab, admin.email)
    assert tab.step == "enrol" and tab.auth_token == ""


def test_a_tabs_quick_submits_run_in_turn_and_each_counts(db_url, factory, clock):
    """A tab's submits sent faster than the check answers (the sign-in is a background event):
    none is dropped, they run one after another, and the last answer shown is the last one's."""
    factory.subscriber("quick@example.ru")
    tab = _tab()

    async def six():
        return await asyncio.gather(
            *(
                LoginState.submit.fn(tab, {"login": "quick@example.ru", "password": f"wrong-{n}"})
                for n in range(6)
            )
        )

    asyncio.run(six())
    assert tab.busy is False
    assert "Вход заблокирован" in tab.error  # five wrong passwords counted, the sixth refused


def test_a_late_answer_of_the_pages_script_does_not_void_the_challenge(db_url, admin, clock):
    """The page's script answers with the browser's id after the password was sent (the sign-in
    is a background event): the server had given the tab an id meanwhile and stored it in the
    browser, while the script had made another one. The second step is checked against the id
    the challenge was issued to, so the code still signs in (and no other tab's challenge)."""
    secret = _enrolled(admin)
    tab = _leaf(LoginState)
    tab.router = _router()
    _password(tab, admin.email)  # no id yet: the server makes one
    issued = tab._device
    LoginState.set_device.fn(tab, "n" * 43)  # the script's late answer
    assert tab._device != issued and tab.step == "code"
    _code(tab, {"code": _next_code(secret, clock)})
    assert tab.error == "" and identity.resolve_session(tab.auth_token).user_id == admin.id
    assert tab._challenge == "" and tab._challenge_device == ""
