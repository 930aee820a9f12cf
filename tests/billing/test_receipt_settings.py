"""The receipts' settings: the cash register the settings name, and what preflight says of them
(like the card gateway's sandbox, the sandbox cash register is a warning, not a refusal)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paysim_app import preflight
from paysim_app.fiscal.atol import AtolFiscal
from paysim_app.fiscal.sandbox import SandboxFiscal
from paysim_app.settings import Settings
from tests.test_preflight import GOOD


def test_atol_without_its_credentials_is_refused_by_name():
    for missing in ("atol_login", "atol_password", "atol_group_code"):
        found = preflight.problems(Settings(**{**GOOD, missing: ""}))
        assert any("ATOL_LOGIN, ATOL_PASSWORD and ATOL_GROUP_CODE" in p for p in found), missing


def test_a_real_cash_register_with_the_demo_seller_is_refused():
    found = preflight.problems(Settings(**{**GOOD, "paysim_seller_inn": preflight.DEMO_SELLER_INN}))
    assert any("PAYSIM_SELLER_INN" in p for p in found)


def test_the_sandbox_cash_register_is_a_warning_only():
    settings = Settings(**{**GOOD, "paysim_fiscal_provider": "sandbox"})
    assert preflight.problems(settings) == []
    assert any("PAYSIM_FISCAL_PROVIDER=sandbox" in w for w in preflight.warnings(settings))


def test_the_defaults_are_the_sandbox_and_a_vat_rate_of_the_law():
    settings = Settings(_env_file=None)
    assert (settings.paysim_fiscal_provider, settings.paysim_vat) == ("sandbox", "22")


@pytest.mark.parametrize(
    "change",
    [{"paysim_vat": "18"}, {"paysim_fiscal_provider": "orange"}, {"paysim_tax_system": "x"}],
)
def test_unknown_values_are_refused_when_the_settings_are_read(change):
    with pytest.raises(ValidationError):
        Settings(**{**GOOD, **change})


def test_the_settings_pick_the_provider(monkeypatch):
    from paysim_app import fiscal
    from paysim_app.settings import get_settings

    try:
        for name, kind in (("sandbox", SandboxFiscal), ("atol", AtolFiscal)):
            monkeypatch.setenv("PAYSIM_FISCAL_PROVIDER", name)
            get_settings.cache_clear()
            fiscal.get_provider.cache_clear()
            assert isinstance(fiscal.get_provider(), kind)
    finally:
        get_settings.cache_clear()
        fiscal.get_provider.cache_clear()
