"""Every user-visible string has a ru and an en entry."""

from __future__ import annotations

import re
from pathlib import Path

from paysim_app.i18n import EN, RU, t
from paysim_app.models.sims import SIM_STATUSES
from paysim_app.ui.components.nav import TITLES, TREES

ROOT = Path(__file__).resolve().parent.parent


def test_catalogues_have_the_same_keys_and_no_empty_text():
    assert set(RU) == set(EN)
    assert all(RU.values()) and all(EN.values())


def test_every_key_the_code_names_exists():
    used = set()
    for path in (ROOT / "paysim_app").rglob("*.py"):
        used |= set(
            re.findall(r"""\b(?:tr|_t|t)\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text())
        )
        used |= set(
            re.findall(r"""DomainError\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text())
        )
        used |= set(re.findall(r"""(?:Error)\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    used |= {item.key for items in TREES.values() for item in items} | set(TITLES.values())
    used |= {f"sim.status.{s}" for s in SIM_STATUSES}
    missing = sorted(k for k in used if k not in RU)
    assert not missing, missing


def test_t_fills_parameters_and_falls_back():
    assert t("auth.locked", "en", minutes=15).endswith("in 15 min.")
    assert "15" in t("auth.locked", "ru", minutes=15)
    assert t("no.such.key", "en") == "no.such.key"
    assert t("auth.sign_in", "xx") == RU["auth.sign_in"]


def test_every_decline_code_and_notification_has_words_in_both_languages():
    from paysim_app.payments.declines import DECLINE_CODES

    keys = [f"decline.{c}" for c in (*DECLINE_CODES, "monthly_cap")]
    keys += [f"{k}.advice" for k in keys]
    kinds = (
        "sim_suspended",
        "sim_restored",
        "autopay_ok",
        "autopay_failed",
        "autopay_failed_hard",
        "autopay_cap",
        "autopay_off_no_card",
        "card_expiring",
        "low_balance",
        "addon_lapsed",
    )
    keys += [f"notify.{k}.{part}" for k in kinds for part in ("title", "body")]
    missing = [k for k in keys if k not in RU or k not in EN]
    assert not missing, missing
