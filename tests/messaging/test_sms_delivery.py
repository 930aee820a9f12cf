"""SMS rows of the outbox drained by messaging.delivery through the real SMPP sender into the
local fake SMSC: delivered (the code put back, Cyrillic in UCS-2, a long text in parts), throttled
then delivered at the next try, a wrong SMPP password waiting with its reason, and an invalid
number failed for good."""

from __future__ import annotations

from datetime import timedelta

from smpplib import consts

from paysim_app.core import outbox
from paysim_app.db import session_scope
from paysim_app.messaging import delivery
from paysim_app.models import OutboxEmail
from paysim_app.models.base import utcnow

PHONE = "+79161234567"
LONG = "Баланс SIM-карты меньше 50 ₽. " * 6  # 180 characters: 3 UCS-2 parts


def queue(phone: str, body: str, secret: str = "") -> int:
    with session_scope() as session:
        row = outbox.queue_sms(session, phone, body, "sms_test", secret)
        session.flush()
        return row.id


def state(row_id: int) -> tuple[str, int, str, str]:
    with session_scope() as session:
        row = session.get(OutboxEmail, row_id)
        return row.status, row.attempts, row.last_error, row.message_id


def run(minutes_later: int = 0) -> dict[str, int]:
    return delivery.deliver_due(now=utcnow() + timedelta(minutes=minutes_later))


def test_sms_rows_go_through_smpp_are_retried_and_fail_with_the_reason(db_url, smpp_env):
    fake = smpp_env
    code = queue(PHONE, "PaySim: код " + outbox.SECRET, secret="482913")
    long = queue(PHONE, LONG)
    assert run() == {"claimed": 2, "sent": 2, "retry": 0, "failed": 0, "lost": 0}
    assert fake.texts() == [("79161234567", "PaySim: код 482913"), ("79161234567", LONG)]
    assert fake.commands.count("bind_transmitter") == 1  # one bind for the run
    status, attempts, error, ids = state(code)
    assert (status, attempts, error) == ("sent", 1, "") and ids == fake.accepted[0].message_id
    assert state(long)[3] == ",".join(s.message_id for s in fake.accepted[1:])
    assert all(s.data_coding == 8 for s in fake.accepted)

    # throttled: waits with the reason, then goes at the next try
    fake.reset()
    fake.answer_next(consts.SMPP_ESME_RTHROTTLED)
    throttled = queue(PHONE, "Second")
    assert run()["retry"] == 1
    status, attempts, error, _ = state(throttled)
    assert (status, attempts) == ("waiting", 1) and "RTHROTTLED" in error
    assert run()["claimed"] == 0  # not due before its backoff
    assert run(minutes_later=2)["sent"] == 1
    assert state(throttled)[:2] == ("sent", 2) and fake.texts() == [("79161234567", "Second")]

    # an invalid number: failed for good with the SMSC's reason
    fake.reset()
    fake.status_for["79990000000"] = consts.SMPP_ESME_RINVDSTADR
    bad = queue("+79990000000", "Third")
    assert run()["failed"] == 1
    status, attempts, error, _ = state(bad)
    assert (status, attempts) == ("failed", 1) and "RINVDSTADR" in error


def test_a_wrong_smpp_password_keeps_every_message_waiting(db_url, smpp_env, monkeypatch):
    from paysim_app.settings import get_settings

    monkeypatch.setenv("SMPP_PASSWORD", "wrong")
    get_settings.cache_clear()
    rows = [queue(PHONE, f"Message {n}") for n in range(3)]
    assert run()["retry"] == 3
    assert smpp_env.binds == [("paysim", consts.SMPP_ESME_RINVPASWD)]  # asked once per run
    for row_id in rows:
        status, _, error, _ = state(row_id)
        assert status == "waiting" and "SMPP_PASSWORD" in error
