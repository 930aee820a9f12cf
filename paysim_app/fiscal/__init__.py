"""Online cash registers (54-ФЗ): the FiscalProvider protocol, the sandbox (the default, no
network) and ATOL Online v4. `get_provider()` picks the one the settings name. Like the card
gateways in `payments`, this package imports no context: billing.receipts speaks to it."""

from __future__ import annotations

from functools import lru_cache

from paysim_app.fiscal.base import (
    VAT_RATES,
    FiscalData,
    FiscalDocument,
    FiscalProvider,
    FiscalResult,
    FiscalUnavailable,
    vat_amount_kop,
)
from paysim_app.settings import get_settings

__all__ = [
    "VAT_RATES",
    "FiscalData",
    "FiscalDocument",
    "FiscalProvider",
    "FiscalResult",
    "FiscalUnavailable",
    "get_provider",
    "vat_amount_kop",
]


@lru_cache
def get_provider() -> FiscalProvider:
    settings = get_settings()
    if settings.paysim_fiscal_provider == "atol":
        from paysim_app.fiscal.atol import AtolFiscal

        return AtolFiscal(
            login=settings.atol_login,
            password=settings.atol_password,
            group_code=settings.atol_group_code,
            api_base=settings.atol_api_base,
        )
    from paysim_app.fiscal.sandbox import SandboxFiscal

    return SandboxFiscal()
