"""The contract every online cash register (54-ФЗ) fulfils; billing.receipts speaks only this.

A receipt is handed over once under its `external_id` (the provider dedupes on it, so sending it
again after a timeout never registers it twice) and then asked for by the provider's document id
until it is registered or refused. A provider that cannot be reached raises FiscalUnavailable:
the receipt stays pending and is tried again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

DocumentKind = Literal["sell", "sell_refund"]  # приход, возврат прихода
PaymentType = Literal["electronic", "cash"]
# the VAT rates a receipt may carry (settings.paysim_vat): "none" is "без НДС"
VAT_RATES = ("none", "0", "5", "7", "10", "20", "22")


@dataclass(frozen=True)
class FiscalDocument:
    """What the cash register is asked to register: one line of services, paid in full (or an
    advance for them)."""

    kind: DocumentKind
    external_id: str
    created_at: datetime  # when the payment (or the refund) happened, UTC
    item_name: str  # "Оплата услуг связи, номер +7…, ICCID …"
    amount_kop: int
    vat: str  # one of VAT_RATES
    payment_type: PaymentType
    client_email: str  # where the registry sends the electronic receipt (or a phone below)
    client_phone: str
    seller_inn: str
    seller_email: str
    payment_address: str  # the place of settlement: the site's address for payments online
    tax_system: str  # СНО: osn | usn_income | usn_income_outcome | esn | patent
    # an advance (54-ФЗ: признак способа расчёта "аванс", предмет расчёта "платёж"): a SIM
    # order's prepayment, paid before there is a SIM to serve; else a payment for the service
    advance: bool = False


@dataclass(frozen=True)
class FiscalData:
    """The registered receipt's fiscal attributes."""

    fn_number: str  # ФН: the fiscal drive's number
    fd_number: str  # ФД: the fiscal document's number
    fpd: str  # ФПД: the fiscal sign
    ecr_number: str  # РН ККТ: the register's registration number
    registered_at: datetime  # UTC


@dataclass(frozen=True)
class FiscalResult:
    """`wait`: accepted, not registered yet (ask again by `uuid`); `done`: registered, `data`
    says how; `fail`: refused for good, `error` says why."""

    status: Literal["wait", "done", "fail"]
    uuid: str
    data: FiscalData | None = None
    error: str = ""


class FiscalUnavailable(Exception):
    """The provider could not be asked (down, timing out, answering 5xx): try again later."""


def vat_amount_kop(amount_kop: int, vat: str) -> int:
    """The VAT included in a gross amount (rate / (100 + rate)), rounded half up to the kopeck."""
    rate = 0 if vat == "none" else int(vat)
    return (amount_kop * rate * 2 + (100 + rate)) // (2 * (100 + rate))


class FiscalProvider(Protocol):
    name: str

    def register(self, document: FiscalDocument) -> FiscalResult:
        """Hand the receipt over (again: the same external id answers with the same document)."""
        ...

    def report(self, uuid: str) -> FiscalResult:
        """Where the document handed over under `uuid` stands."""
        ...
