"""messaging.smpp against a local fake SMSC (tests/messaging/fake_smsc.py): what goes on the wire
(codings, concatenation headers, addresses), one bind per delivery run, and each kind of
failure mapped to a temporary or permanent one; preflight's SMPP checks."""

from __future__ import annotations

import socket
import time

import pytest
from smpplib import consts

from paysim_app import preflight
from paysim_app.messaging.base import PermanentFailure, Sms, TemporaryFailure
from paysim_app.messaging.smpp import SmppSender
from paysim_app.settings import Settings
from tests.messaging.fake_smsc import PASSWORD, SYSTEM_ID

TO = "+79161234567"
LONG_RU = (
    "Здравствуйте! Баланс SIM-карты +7 916 123-45-67 меньше 50 ₽. Пополните его картой в "
    "личном кабинете или включите автоплатёж, чтобы интернет не отключился в конце месяца. "
    "Ваш PaySim 😀"
)


def sender(fake, **kw) -> SmppSender:
    kw = {"timeout": 2.0, **kw}
    return SmppSender(
        "127.0.0.1", fake.port, kw.pop("system_id", SYSTEM_ID), kw.pop("password", PASSWORD), **kw
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_latin_text_goes_as_one_gsm_part(fake_smsc):
    with sender(fake_smsc) as sms:
        ids = sms.send(Sms(TO, "PaySim: your code is 482913", "41"))
    [sent] = fake_smsc.submitted
    assert ids == [sent.message_id] and sent.message_id
    assert (sent.data_coding, sent.esm_class, sent.registered_delivery) == (0, 0, 1)
    assert sent.short_message == b"PaySim: your code is 482913"
    assert (sent.source_addr_ton, sent.source_addr_npi, sent.source_addr) == (5, 0, "PaySim")
    assert (sent.dest_addr_ton, sent.dest_addr_npi, sent.destination_addr) == (1, 1, "79161234567")
    assert fake_smsc.commands == ["bind_transmitter", "submit_sm", "unbind"]


def test_cyrillic_goes_as_ucs2(fake_smsc):
    with sender(fake_smsc) as sms:
        sms.send(Sms(TO, "Код: 482913", "42"))
    [sent] = fake_smsc.submitted
    assert sent.data_coding == 8 and sent.esm_class == 0
    assert sent.short_message == "Код: 482913".encode("utf-16-be")


def test_a_long_cyrillic_text_is_concatenated_and_reassembles(fake_smsc):
    with sender(fake_smsc) as sms:
        ids = sms.send(Sms(TO, LONG_RU, "300"))
    parts = fake_smsc.submitted
    assert len(parts) == len(ids) == 3 and ids == [p.message_id for p in parts]
    for seq, part in enumerate(parts, start=1):
        assert part.esm_class == 0x40 and part.data_coding == 8
        # IEI 0, 8-bit reference = the row id modulo 256, the same for every part
        assert part.udh == bytes((5, 0, 3, 300 % 256, 3, seq))
        assert len(part.short_message) <= 140
    assert fake_smsc.texts() == [("79161234567", LONG_RU)]
    assert "😀" in parts[-1].text  # the surrogate pair went whole


def test_gsm_extension_characters_cost_two_septets_and_are_never_torn(fake_smsc):
    text = "Tariff {Home} [4G] ~ 100€ | " * 7  # 196 characters, 252 septets
    with sender(fake_smsc) as sms:
        sms.send(Sms(TO, text, "7"))
    parts = fake_smsc.submitted
    assert len(parts) == 2 and all(p.data_coding == 0 for p in parts)
    for part in parts:
        body = part.short_message[6:]
        assert len(body) <= 153 and not body.endswith(b"\x1b")
    assert b"\x1b\x28Home\x1b\x29" in parts[0].short_message
    assert fake_smsc.texts() == [("79161234567", text)]


def test_numbers_as_the_sender(fake_smsc):
    for source, ton_npi in (("+79000000001", (1, 1)), ("79000000001", (1, 1)), ("0500", (2, 1))):
        with sender(fake_smsc, source_addr=source) as sms:
            sms.send(Sms(TO, "hi", "1"))
        sent = fake_smsc.submitted[-1]
        assert (sent.source_addr_ton, sent.source_addr_npi) == ton_npi
        assert sent.source_addr == source.removeprefix("+")


def test_one_bind_serves_the_whole_run(fake_smsc):
    sms = sender(fake_smsc)
    for n in range(5):
        sms.send(Sms(TO, f"message {n}", str(n)))
    sms.close()
    sms.close()  # twice is harmless
    assert fake_smsc.commands == ["bind_transmitter"] + ["submit_sm"] * 5 + ["unbind"]
    assert [text for _, text in fake_smsc.texts()] == [f"message {n}" for n in range(5)]


@pytest.mark.parametrize(
    "status", [consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL, consts.SMPP_ESME_RSYSERR]
)
def test_throttling_and_busy_smsc_are_temporary(fake_smsc, status):
    fake_smsc.answer_next(status)
    with sender(fake_smsc) as sms:
        with pytest.raises(TemporaryFailure) as caught:
            sms.send(Sms(TO, "hello", "5"))
        assert f"0x{status:02X}" in caught.value.reason
        assert sms.send(Sms(TO, "hello", "5"))  # the same link, the next try goes
    assert fake_smsc.commands.count("bind_transmitter") == 1
    assert fake_smsc.texts() == [("79161234567", "hello")]


def test_throttled_in_the_middle_of_a_long_message(fake_smsc):
    fake_smsc.answer_next(consts.SMPP_ESME_ROK)
    fake_smsc.answer_next(consts.SMPP_ESME_RTHROTTLED)
    with sender(fake_smsc) as sms:
        with pytest.raises(TemporaryFailure, match="RTHROTTLED"):
            sms.send(Sms(TO, LONG_RU, "9"))
        sms.send(Sms(TO, LONG_RU, "9"))  # the next try sends it whole
    assert fake_smsc.texts() == [("79161234567", LONG_RU)]


def test_an_invalid_number_bounces(fake_smsc):
    fake_smsc.status_for["79990000000"] = consts.SMPP_ESME_RINVDSTADR
    with sender(fake_smsc) as sms:
        with pytest.raises(PermanentFailure) as caught:
            sms.send(Sms("+79990000000", "hello", "5"))
        assert caught.value.bounced and "RINVDSTADR" in caught.value.reason
        # other destination errors are permanent, but the number itself was not refused
        fake_smsc.answer_next(consts.SMPP_ESME_RINVDSTTON)
        with pytest.raises(PermanentFailure) as caught:
            sms.send(Sms(TO, "hello", "6"))
        assert not caught.value.bounced
        # a number that is not +<digits> never reaches the SMSC
        for bad in ("89161234567", "+7 916 123-45-67", "", "+0123456789"):
            with pytest.raises(PermanentFailure) as caught:
                sms.send(Sms(bad, "hello", "7"))
            assert caught.value.bounced
    assert len(fake_smsc.submitted) == 2


def test_smsc_down_is_temporary():
    # a refused connection fails at once, not after the timeout (kept long, so that a busy
    # machine cannot make a fast refusal look like a wait)
    sms = SmppSender("127.0.0.1", free_port(), SYSTEM_ID, PASSWORD, timeout=30)
    started = time.monotonic()
    with pytest.raises(TemporaryFailure, match="cannot reach the SMSC at 127.0.0.1"):
        sms.send(Sms(TO, "hello", "5"))
    assert time.monotonic() - started < 15
    sms.close()


def test_after_the_smsc_was_unreachable_the_run_sends_no_more(fake_smsc):
    fake_smsc.down()
    sms = sender(fake_smsc)
    with pytest.raises(TemporaryFailure, match="cannot reach"):
        sms.send(Sms(TO, "one", "1"))
    fake_smsc.up()  # back on the same port, but this run has given up: the rest waits
    with pytest.raises(TemporaryFailure, match="cannot reach"):
        sms.send(Sms(TO, "two", "2"))
    sms.close()
    assert fake_smsc.connections == 0
    with sender(fake_smsc) as next_run:
        assert next_run.send(Sms(TO, "two", "2"))


def test_a_link_dropped_once_is_bound_again(fake_smsc):
    fake_smsc.drop_connections(after=2)  # the bind and the first part, then the line goes
    with sender(fake_smsc) as sms:
        ids = sms.send(Sms(TO, LONG_RU, "12"))
    assert len(ids) == 3 and sms.binds == 2 and fake_smsc.connections == 2
    assert fake_smsc.texts() == [("79161234567", LONG_RU)]


def test_a_link_dropped_twice_in_one_message_is_temporary(fake_smsc):
    fake_smsc.drop_connections(after=2, times=5)
    with sender(fake_smsc) as sms:
        with pytest.raises(TemporaryFailure, match="dropped twice"):
            sms.send(Sms(TO, LONG_RU, "12"))
    assert fake_smsc.connections == 2


def test_a_link_cut_between_messages_is_bound_again(fake_smsc):
    with sender(fake_smsc) as sms:
        sms.send(Sms(TO, "first", "1"))
        fake_smsc.down()  # the SMSC restarts: its connections go
        fake_smsc.up()
        sms.send(Sms(TO, "second", "2"))
    assert [text for _, text in fake_smsc.texts()] == ["first", "second"]
    assert fake_smsc.commands.count("bind_transmitter") == 2


def test_a_silent_smsc_times_out_as_temporary_once_per_run(fake_smsc):
    fake_smsc.silent = True
    with sender(fake_smsc, timeout=0.3) as sms:
        started = time.monotonic()
        for n in range(3):  # one timeout, then the run's other messages fail at once
            with pytest.raises(TemporaryFailure, match="did not answer in 0.3 s"):
                sms.send(Sms(TO, "hello", str(n)))
        assert time.monotonic() - started < 1.0
    assert sms.binds == 1 and fake_smsc.commands == ["bind_transmitter", "submit_sm"]
    fake_smsc.silent = False
    with sender(fake_smsc) as next_run:  # a fresh link: no late answer is misread
        assert next_run.send(Sms(TO, "again", "6"))


def test_a_wrong_password_is_temporary_names_the_setting_and_is_not_retried(fake_smsc):
    with sender(fake_smsc, password="wrong") as sms:
        for _ in range(3):
            with pytest.raises(TemporaryFailure) as caught:
                sms.send(Sms(TO, "hello", "5"))
            assert "refused the bind as 'paysim'" in caught.value.reason
            assert "RINVPASWD" in caught.value.reason and "SMPP_PASSWORD" in caught.value.reason
    assert fake_smsc.binds == [(SYSTEM_ID, consts.SMPP_ESME_RINVPASWD)]  # one try per run
    assert fake_smsc.submitted == []
    with sender(fake_smsc, system_id="nobody") as sms:
        with pytest.raises(TemporaryFailure, match="SMPP_SYSTEM_ID"):
            sms.send(Sms(TO, "hello", "5"))


def test_a_refused_source_address_is_temporary_and_named(fake_smsc):
    fake_smsc.answer_next(consts.SMPP_ESME_RINVSRCADR)
    with sender(fake_smsc) as sms:
        with pytest.raises(TemporaryFailure, match="check SMPP_SOURCE_ADDR"):
            sms.send(Sms(TO, "hello", "5"))


def test_a_source_address_smpp_cannot_carry_is_a_setting_to_fix(fake_smsc):
    with sender(fake_smsc, source_addr="ПэйСим") as sms:
        with pytest.raises(TemporaryFailure, match="SMPP_SOURCE_ADDR"):
            sms.send(Sms(TO, "hello", "5"))
    assert fake_smsc.connections == 0


def test_the_smscs_own_enquire_link_is_answered_while_waiting(fake_smsc):
    fake_smsc.enquire_first = 1
    with sender(fake_smsc) as sms:
        assert sms.send(Sms(TO, "one", "1"))
        assert sms.send(Sms(TO, "two", "2"))
    assert fake_smsc.commands == [
        "bind_transmitter",
        "submit_sm",
        "enquire_link_resp",
        "submit_sm",
        "unbind",
    ]


# ------------------------------------------------------------------------------ preflight

SMPP = {
    "paysim_sms_provider": "smpp",
    "smpp_host": "smsc.internal",
    "smpp_system_id": "paysim",
    "smpp_password": "pw",
}


def test_preflight_names_missing_or_oversized_smpp_settings():
    assert preflight.smpp_problems(Settings(**SMPP)) == []
    cases = {
        "SMPP_HOST": {"smpp_host": ""},
        "SMPP_PASSWORD": {"smpp_password": "nine-char"},
        "SMPP_SYSTEM_ID": {"smpp_system_id": "x" * 16},
        "SMPP_SYSTEM_TYPE": {"smpp_system_type": "y" * 13},
        "SMPP_SOURCE_ADDR": {"smpp_source_addr": "ПэйСим"},
    }
    for name, change in cases.items():
        found = preflight.problems(Settings(**{**SMPP, **change}))
        assert any(line.startswith(name) for line in found), (name, found)
    for source in ("TwelveLetter", "+7900123456789012", "a,b"):
        assert preflight.smpp_problems(Settings(**{**SMPP, "smpp_source_addr": source}))
    sandbox = preflight.warnings(Settings())
    assert any(line.startswith("PAYSIM_SMS_PROVIDER=sandbox") for line in sandbox)
    assert not any("SMS_PROVIDER" in line for line in preflight.warnings(Settings(**SMPP)))


def test_preflight_binds_to_the_smsc(fake_smsc):
    good = {**SMPP, "smpp_host": "127.0.0.1", "smpp_port": fake_smsc.port, "smpp_timeout": 2}
    good.update(smpp_system_id=SYSTEM_ID, smpp_password=PASSWORD)
    assert preflight.smpp_bindable(Settings(**good)) is None
    assert fake_smsc.commands == ["bind_transmitter", "unbind"]
    wrong = preflight.smpp_bindable(Settings(**{**good, "smpp_password": "nope"}))
    assert wrong and wrong.startswith("SMPP: SMSC at 127.0.0.1") and "SMPP_PASSWORD" in wrong
    down = preflight.smpp_bindable(Settings(**{**good, "smpp_port": free_port()}))
    assert down and "cannot reach" in down


def test_the_preflight_command_names_a_refused_bind(fake_smsc, monkeypatch, capsys):
    from paysim_app.cli import main

    settings = Settings(
        **{
            **SMPP,
            "smpp_host": "127.0.0.1",
            "smpp_port": fake_smsc.port,
            "smpp_system_id": SYSTEM_ID,
            "smpp_password": "nope",
            "smpp_timeout": 2,
        }
    )
    monkeypatch.setattr("paysim_app.cli.get_settings", lambda: settings)
    assert main(["preflight"]) == 1
    err = capsys.readouterr().err
    assert "error: SMPP: SMSC at 127.0.0.1" in err and "check SMPP_PASSWORD" in err
    assert fake_smsc.binds == [(SYSTEM_ID, consts.SMPP_ESME_RINVPASWD)]
