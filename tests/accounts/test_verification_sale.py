"""A dealer's customer sold a SIM with a phone and no e-mail: the set-password link goes to
that phone by SMS (never "to the phone" as an e-mail), and setting the password through it
proves the phone."""

from __future__ import annotations

import re
from datetime import date

from paysim_app.accounts import identity
from paysim_app.core.outbox import SECRET, render_for_sending
from paysim_app.models import Subscriber, User
from paysim_app.sims import activations
from tests.money_helpers import emails, travel
from tests.sims.test_activations import sale, world  # noqa: F401  (the fixture)

NEW_PASSWORD = "Another-pass2"


def test_a_phone_only_customer_gets_the_set_password_link_by_sms(session, factory, world):  # noqa: F811
    request = sale(session, factory, world, customer_email="")
    with travel(date(2026, 3, 15)):
        result = activations.approve_activation(session, world["admin"], request.id)
        session.commit()
    assert result.set_password_sent
    sub = session.get(Subscriber, result.subscriber_id)
    user = session.get(User, sub.user_id)
    assert (user.email, user.phone, user.phone_verified_at) == (None, "+79165550102", None)

    assert emails(session, kind="set_password") == []
    [sms] = emails(session, kind="sms_set_password")
    assert (sms.channel, sms.to_address, sms.subject) == ("sms", "+79165550102", "")
    assert SECRET in sms.body and sub.contract_no in sms.body
    text = render_for_sending(sms)
    assert text.startswith(f"PaySim: договор {sub.contract_no}, номер +7 ")
    token = re.search(r"/reset\?token=(\S+)", text).group(1)

    with travel(date(2026, 3, 16)):  # the link works for days
        identity.reset_password(session, token, NEW_PASSWORD)
        session.commit()
        session.expire_all()
        assert session.get(User, user.id).phone_verified_at is not None
        _token, actor = identity.sign_in(session, "+79165550102", NEW_PASSWORD)
    assert actor.subscriber_id == sub.id
