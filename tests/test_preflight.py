"""`make prod` refuses demo defaults and a missing PostgreSQL or Redis, naming what to set."""

from __future__ import annotations

import pytest

from paysim_app import preflight
from paysim_app.cli import main
from paysim_app.payments.sandbox import BUILTIN_WEBHOOK_SECRET
from paysim_app.settings import Settings

GOOD = {
    "database_url": "postgresql://paysim:pw@db/paysim",
    "redis_url": "redis://cache:6379/0",
    "paysim_demo": False,
    "paysim_secret_key": "k" * 48,
    "paysim_gateway": "stripe",
    "stripe_secret_key": "sk_live_x",
    "stripe_webhook_secret": "whsec_x",
    "paysim_public_url": "https://my.paysim.example",
    "smtp_host": "smtp.example",
    "paysim_fiscal_provider": "atol",
    "paysim_seller_inn": "7700000009",
    "atol_login": "paysim",
    "atol_password": "pw",
    "atol_group_code": "group_1",
    "paysim_sms_provider": "smpp",
    "smpp_host": "127.0.0.1",  # nothing listens on port 1: the command's bind check fails fast
    "smpp_port": 1,
    "smpp_system_id": "paysim",
    "smpp_password": "pw",
}


def test_production_settings_pass_without_warnings():
    settings = Settings(**GOOD)
    assert preflight.problems(settings) == [] and preflight.warnings(settings) == []


def test_each_demo_default_is_named():
    cases = {
        "DATABASE_URL": {"database_url": "sqlite:///data/paysim.db"},
        "REDIS_URL": {"redis_url": None},
        "PAYSIM_DEMO": {"paysim_demo": True},
        "PAYSIM_SECRET_KEY": {"paysim_secret_key": preflight.DEMO_SECRET},
        "STRIPE_SECRET_KEY": {"stripe_secret_key": ""},
        "STRIPE_API_BASE": {"stripe_api_base": "http://127.0.0.1:12111"},
    }
    for name, change in cases.items():
        found = preflight.problems(Settings(**{**GOOD, **change}))
        assert len(found) == 1 and found[0].startswith(name), (name, found)
    short = preflight.problems(Settings(**{**GOOD, "paysim_secret_key": "short"}))
    assert short[0].startswith("PAYSIM_SECRET_KEY")


def test_sandbox_and_plain_http_are_warnings_only():
    settings = Settings(
        **{**GOOD, "paysim_gateway": "sandbox", "paysim_public_url": "http://10.0.0.5"}
    )
    assert preflight.problems(settings) == []
    assert [w.split("=")[0].split(" ")[0] for w in preflight.warnings(settings)] == [
        "PAYSIM_GATEWAY",
        "PAYSIM_PUBLIC_URL",
    ]


def test_the_sandbox_gateway_needs_its_own_webhook_secret():
    sandbox = {**GOOD, "paysim_gateway": "sandbox"}
    for weak in ("", " ", BUILTIN_WEBHOOK_SECRET):
        found = preflight.problems(Settings(**{**sandbox, "stripe_webhook_secret": weak}))
        assert len(found) == 1 and found[0].startswith("STRIPE_WEBHOOK_SECRET"), (weak, found)
        assert BUILTIN_WEBHOOK_SECRET in found[0]
    assert (
        preflight.problems(Settings(**{**sandbox, "stripe_webhook_secret": "whsec_" + "r" * 32}))
        == []
    )
    # demo mode is refused as a whole (PAYSIM_DEMO), not once more for its built-in secret
    demo = preflight.problems(
        Settings(**{**sandbox, "paysim_demo": True, "stripe_webhook_secret": ""})
    )
    assert [line.split(" ")[0] for line in demo] == ["PAYSIM_DEMO"]


def test_the_command_fails_on_demo_settings(monkeypatch, capsys):
    monkeypatch.setattr("paysim_app.cli.get_settings", lambda: Settings(paysim_demo=True))
    assert main(["preflight"]) == 1
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "PAYSIM_SECRET_KEY" in err and "PAYSIM_DEMO" in err


def test_an_unreachable_redis_is_named(monkeypatch, capsys):
    bad = {**GOOD, "redis_url": "redis://127.0.0.1:1/0"}
    monkeypatch.setattr("paysim_app.cli.get_settings", lambda: Settings(**bad))
    assert main(["preflight"]) == 1
    assert "REDIS_URL does not answer" in capsys.readouterr().err


def test_the_database_is_asked_about_connections_and_autovacuum(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's settings")
    settings = Settings(**{**GOOD, "database_url": db_url})
    found = preflight.database_warnings(settings, workers=1000)
    assert any("max_connections" in line for line in found)
    assert all("max_connections" not in line for line in preflight.database_warnings(settings, 1))


def test_an_unreachable_database_is_named():
    settings = Settings(**{**GOOD, "database_url": "postgresql://nobody@127.0.0.1:1/none"})
    [line] = preflight.database_warnings(settings, workers=2)
    assert line.startswith("DATABASE_URL does not answer")


def test_a_wrong_rate_limit_override_is_named():
    found = preflight.problems(Settings(**{**GOOD, "paysim_rate_limits": "card.ip=sometimes"}))
    assert len(found) == 1 and "sometimes" in found[0]
    found = preflight.problems(Settings(**{**GOOD, "paysim_rate_limits": "cards.ip=5/hour"}))
    assert len(found) == 1 and "cards.ip" in found[0]
    assert preflight.problems(Settings(**{**GOOD, "paysim_rate_limits": "card.ip=20/hour"})) == []
