"""messaging.sms and sms_parts: GSM 03.38 or UCS-2 and the parts of a long text (split), the
sandbox sender's log, and the choice of sender by PAYSIM_SMS_PROVIDER."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paysim_app.messaging import sms, sms_parts
from paysim_app.messaging.base import PermanentFailure, Sms
from paysim_app.messaging.smpp import SmppSender
from paysim_app.messaging.sms import GSM7, UCS2, MessageTooLong, split
from paysim_app.settings import get_settings

GSM_CHARS = "".join(sms_parts.GSM_BASIC) + "".join(sms_parts.GSM_EXTENSION)
# Cyrillic, an emoji beyond the BMP (a surrogate pair in UTF-16), the extension table, Latin
MIXED = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЯ😀🇷{}[]€^~|\\ aZ09.,!?\n"


def cost(part: str, coding: int) -> int:
    per = sms_parts.septets if coding == GSM7 else sms_parts.code_units
    return sum(map(per, part))


def check(text: str) -> tuple[int, list[str]]:
    coding, parts = split(text)
    assert "".join(parts) == text
    assert coding == (GSM7 if sms_parts.is_gsm(text) else UCS2)
    single, most = (160, 153) if coding == GSM7 else (70, 67)
    if len(parts) == 1:
        assert cost(text, coding) <= single
    else:
        assert cost(text, coding) > single
        for i, part in enumerate(parts):
            assert 0 < cost(part, coding) <= most
            if i + 1 < len(parts):  # full: the next part's first character did not fit
                nxt = parts[i + 1][0]
                assert cost(part + nxt, coding) > most
    for part in parts:  # each part encodes on its own: no torn escape or surrogate pair
        assert sms_parts.decode(sms_parts.encode(part, coding), coding) == part
        assert len(sms_parts.encode(part, coding)) == (
            cost(part, coding) if coding == GSM7 else 2 * cost(part, coding)
        )
    return coding, parts


@given(st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=700))
def test_gsm_texts_rejoin_and_fit(text):
    assert check(text)[0] == GSM7


@given(st.text(alphabet=st.sampled_from(MIXED), max_size=400))
def test_mixed_texts_rejoin_and_fit(text):
    check(text)


@given(st.text(max_size=300))
def test_any_text_rejoins_and_fits(text):
    check(text)


def test_the_limits_by_hand():
    assert split("a" * 160) == (GSM7, ["a" * 160])
    assert split("a" * 161) == (GSM7, ["a" * 153, "a" * 8])
    assert split("я" * 70) == (UCS2, ["я" * 70])
    assert split("я" * 71) == (UCS2, ["я" * 67, "я" * 4])
    # the extension table costs two septets: 80 euro signs fit one SMS, 81 do not, and the
    # parts cut between characters (76 x 2 = 152 septets; a 77th would need 154)
    assert split("€" * 80) == (GSM7, ["€" * 80])
    assert split("€" * 81) == (GSM7, ["€" * 76, "€" * 5])
    # an emoji is two UTF-16 code units: it moves whole to the next part
    text = "я" * 66 + "😀" + "я" * 10
    assert split(text) == (UCS2, ["я" * 66, "😀" + "я" * 10])


def test_the_alphabet_decides_the_coding():
    assert split("Your code: 123456. PaySim")[0] == GSM7
    assert split("Код подтверждения: 123456")[0] == UCS2
    assert split("Price 100 € {net}")[0] == GSM7
    assert split("§ 5 ¿Qué?")[0] == GSM7  # '§' is GSM 0x5F
    assert split("a`b")[0] == UCS2  # the backtick is not in GSM 03.38
    assert sms_parts.encode("@£$ß§", GSM7) == bytes((0x00, 0x01, 0x02, 0x1E, 0x5F))
    assert sms_parts.encode("{€}", GSM7) == b"\x1b\x28\x1b\x65\x1b\x29"


def test_too_long_is_refused_for_good():
    split("a" * 153 * 255)  # 255 parts fit an 8-bit header
    with pytest.raises(MessageTooLong):
        split("a" * (153 * 255 + 1))
    with pytest.raises(PermanentFailure) as caught:
        sms.SandboxSmsSender(demo=False).send(Sms("+79161234567", "я" * 67 * 256, "1"))
    assert not caught.value.bounced and "too long" in caught.value.reason


# ------------------------------------------------------------------------------ the sandbox

CODE_TEXT = (
    "PaySim: код 482913, никому его не сообщайте. Ссылка: https://x.test/r?t=AbCdEfGh12345678XyZ"
)


def test_the_sandbox_masks_the_number_and_codes_outside_demo(caplog):
    caplog.set_level(logging.INFO, logger="paysim.sms")
    with sms.SandboxSmsSender(demo=False) as sender:
        ids = sender.send(Sms("+79161234567", CODE_TEXT, "17"))
    assert len(ids) == 2 and all(i.startswith("sandbox-") for i in ids) and ids[0] != ids[1]
    logged = caplog.text
    assert "+79161234567" not in logged and "9161234567" not in logged
    assert "482913" not in logged and "AbCdEfGh12345678XyZ" not in logged
    assert "+7••••••••67" in logged and "никому его не сообщайте" in logged
    assert "ref=17 parts=2 ucs2" in logged


def test_the_sandbox_logs_everything_in_demo_mode(caplog):
    caplog.set_level(logging.INFO, logger="paysim.sms")
    [only] = sms.SandboxSmsSender(demo=True).send(Sms("+79161234567", "Code 482913", "18"))
    assert only.startswith("sandbox-")
    assert "+79161234567" in caplog.text and "Code 482913" in caplog.text
    assert "gsm7" in caplog.text


def test_the_settings_choose_the_sender(monkeypatch):
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("PAYSIM_SMS_PROVIDER", "sandbox")
        monkeypatch.setenv("PAYSIM_DEMO", "1")
        sender = sms.get_sms_sender()
        assert isinstance(sender, sms.SandboxSmsSender) and sender.demo
        get_settings.cache_clear()
        for name, value in {
            "PAYSIM_SMS_PROVIDER": "smpp",
            "SMPP_HOST": "smsc.internal",
            "SMPP_PORT": "2776",
            "SMPP_SYSTEM_ID": "paysim",
            "SMPP_PASSWORD": "pw",
            "SMPP_SOURCE_ADDR": "+79000000000",
            "SMPP_TIMEOUT": "3.5",
        }.items():
            monkeypatch.setenv(name, value)
        sender = sms.get_sms_sender()
        assert isinstance(sender, SmppSender)
        assert (sender.host, sender.port, sender.system_id, sender.password) == (
            "smsc.internal",
            2776,
            "paysim",
            "pw",
        )
        assert (sender.source_addr, sender.timeout) == ("+79000000000", 3.5)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
