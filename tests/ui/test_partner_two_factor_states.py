"""The partner card's "reset two-factor sign-in" (ui/admin/partners.AdminPartnerState), driven as
the browser drives it and as a hostile client would: the ids of admins, subscribers and another
partner's users, junk in their place, another partner's card, and callers without the right who
got past the door."""

from __future__ import annotations

import pytest
import time_machine
from sqlmodel import select

import paysim_app.paysim_app  # noqa: F401  (every state defined)
from paysim_app.accounts import identity
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.db import session_scope
from paysim_app.models import AuditLog, TwoFactor
from paysim_app.ui.admin.partners import AdminPartnerState
from tests.accounts.test_two_factor import partner_desk
from tests.accounts.test_two_factor_states import START, _console, _enrolled
from tests.ui.test_state_security import _signed_in

S = AdminPartnerState


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _card(login: str, partner_id: int):
    card = _console(S, login, f"/admin/partners/{partner_id}?partner_id={partner_id}")
    assert S.load.fn(card) is None
    return card


def _row(card, user_id: int) -> dict[str, str]:
    return next(u for u in card.users if u["id"] == str(user_id))


def _still_on(*user_ids: int) -> bool:
    with session_scope() as s:
        rows = [s.get(TwoFactor, uid) for uid in user_ids]
        resets = s.exec(select(AuditLog).where(AuditLog.action == "two_factor.reset")).all()
    return all(r is not None and r.enabled_at is not None for r in rows) and not resets


def test_a_partner_desk_resets_a_users_two_factor_from_the_card(db_url, session, factory, clock):
    dealer = factory.partner()
    dealers_tab = _signed_in(dealer.login)  # signed in before enrolling: a live session
    _enrolled(dealer.user)
    desk = partner_desk(session, factory)
    card = _card(desk.login, dealer.partner.id)
    assert _row(card, dealer.user.id)["two_factor"] == "1"
    S.ask_reset_two_factor.fn(card, str(dealer.user.id))
    assert card.confirm_reset == str(dealer.user.id)
    S.ask_reset_two_factor.fn(card, "")  # cancelled
    assert card.confirm_reset == ""
    S.reset_two_factor.fn(card)  # nothing asked: nothing done
    assert _still_on(dealer.user.id)
    S.ask_reset_two_factor.fn(card, str(dealer.user.id))
    S.reset_two_factor.fn(card)
    assert card.confirm_reset == "" and card.invite_error == ""
    assert _row(card, dealer.user.id)["two_factor"] == ""
    with session_scope() as s:
        assert s.get(TwoFactor, dealer.user.id) is None
    assert identity.resolve_session(dealers_tab) is None  # their sessions ended


def test_hostile_ids_reset_nobody(db_url, session, factory, clock):
    dealer, other = factory.partner(), factory.partner()
    admin = factory.admin_user(ROLE_SUPPORT)
    subscriber = factory.subscriber()
    for user in (dealer.user, other.user, admin):
        _enrolled(user)
    desk = partner_desk(session, factory)
    card = _card(desk.login, dealer.partner.id)
    for hostile in (
        str(admin.id),
        str(subscriber.user_id),
        str(other.user.id),
        f" {other.user.id} ",
        "0",
        "-1",
        "abc",
        "٣",
        str(2**31),
        "1" * 100_000,
        None,
        {"id": dealer.user.id},
        [str(dealer.user.id)],
    ):
        S.ask_reset_two_factor.fn(card, hostile)
        S.reset_two_factor.fn(card)
        assert card.confirm_reset == ""
        assert _row(card, dealer.user.id)["two_factor"] == "1"
    assert card.invite_error  # the ids that were ids were refused
    # this partner's user, asked for on another partner's card
    elsewhere = _card(desk.login, other.partner.id)
    S.ask_reset_two_factor.fn(elsewhere, str(dealer.user.id))
    S.reset_two_factor.fn(elsewhere)
    assert elsewhere.invite_error
    assert _still_on(dealer.user.id, other.user.id, admin.id)


def test_the_card_refuses_callers_without_the_right_past_the_door(db_url, session, factory, clock):
    dealer = factory.partner()
    # the dealer's own user, on its own partner's card (signed in before enrolling)
    own = _console(
        S, dealer.login, f"/admin/partners/{dealer.partner.id}?partner_id={dealer.partner.id}"
    )
    _enrolled(dealer.user)
    viewer = partner_desk(session, factory, permissions=("partners.view",))
    card = _card(viewer.login, dealer.partner.id)
    assert _row(card, dealer.user.id)["two_factor"] == "1"  # shown; the button is not
    S.ask_reset_two_factor.fn(card, str(dealer.user.id))
    S.reset_two_factor.fn(card)
    assert card.invite_error
    S.ask_reset_two_factor.fn(own, str(dealer.user.id))
    S.reset_two_factor.fn(own)
    assert _still_on(dealer.user.id)
