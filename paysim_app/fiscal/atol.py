"""ATOL Online, protocol v4 (ФФД 1.05): the one module that speaks to a real cash register.

    POST {base}/v4/getToken                     {"login", "pass"} -> {"token"}  (valid 24 h)
    POST {base}/v4/{group}/sell | sell_refund   header Token -> {"uuid", "status": "wait"}
    GET  {base}/v4/{group}/report/{uuid}        header Token -> {"status": wait|done|fail,
                                                 "payload": {fn_number, fiscal_document_number,
                                                 fiscal_document_attribute, ...}}

ATOL dedupes documents on `external_id`: posting one it already has answers error 33 with the
uuid of the first, which is taken as that document (a resend after a timeout registers nothing
twice). A connection failure, a timeout or a 5xx raises FiscalUnavailable (the receipt waits for
the next run); a token ATOL no longer accepts is fetched anew once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx

from paysim_app.fiscal.base import (
    FiscalData,
    FiscalDocument,
    FiscalResult,
    FiscalUnavailable,
    vat_amount_kop,
)

MOSCOW = timezone(timedelta(hours=3))
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
TOKEN_ERRORS = {4, 5, 6, 11, 12, 13}  # missing, invalid or expired token: get a new one
EXISTING_EXTERNAL_ID = 33
PAYMENT_TYPES = {"cash": 0, "electronic": 1}


def vat_tag(vat: str) -> str:
    """The receipt's VAT rate as ATOL names it: "none", "vat0", "vat20", "vat22"..."""
    return "none" if vat == "none" else f"vat{vat}"


def _rub(kop: int) -> float:
    return round(kop / 100, 2)


def document_body(doc: FiscalDocument) -> dict:
    """The JSON of a sell / sell_refund request."""
    client = {"email": doc.client_email} if doc.client_email else {"phone": doc.client_phone}
    tag = vat_tag(doc.vat)
    vat = {"type": tag}
    if doc.vat != "none":
        vat["sum"] = _rub(vat_amount_kop(doc.amount_kop, doc.vat))
    return {
        "external_id": doc.external_id,
        "receipt": {
            "client": client,
            "company": {
                "email": doc.seller_email,
                "sno": doc.tax_system,
                "inn": doc.seller_inn,
                "payment_address": doc.payment_address,
            },
            "items": [
                {
                    "name": doc.item_name[:128],
                    "price": _rub(doc.amount_kop),
                    "quantity": 1.0,
                    "sum": _rub(doc.amount_kop),
                    "measurement_unit": "усл.",
                    "payment_method": "advance" if doc.advance else "full_payment",
                    "payment_object": "payment" if doc.advance else "service",
                    "vat": vat,
                }
            ],
            "payments": [{"type": PAYMENT_TYPES[doc.payment_type], "sum": _rub(doc.amount_kop)}],
            "vats": [vat],
            "total": _rub(doc.amount_kop),
        },
        "timestamp": doc.created_at.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M:%S"),
    }


def _error_text(error: dict | None) -> str:
    if not error:
        return ""
    return f"{error.get('code', '')}: {error.get('text', '')}".strip(": ")[:480]


class AtolFiscal:
    name = "atol"

    def __init__(
        self,
        *,
        login: str,
        password: str,
        group_code: str,
        api_base: str = "https://online.atol.ru/possystem",
        client: httpx.Client | None = None,
    ) -> None:
        self._login, self._password, self._group = login, password, group_code
        self._base = api_base.rstrip("/") + "/v4"
        self._client = client or httpx.Client(timeout=TIMEOUT)
        self._token = ""

    # -- HTTP ---------------------------------------------------------------------------------
    def _send(self, method: str, url: str, body: dict | None = None, token: str = "") -> dict:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token:
            headers["Token"] = token
        try:
            response = self._client.request(method, url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise FiscalUnavailable(f"ATOL: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise FiscalUnavailable(f"ATOL answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise FiscalUnavailable(f"ATOL answered {response.status_code} without JSON") from exc
        if not isinstance(data, dict):
            raise FiscalUnavailable("ATOL answered an unexpected document")
        return data

    def _get_token(self) -> str:
        data = self._send(
            "POST", f"{self._base}/getToken", {"login": self._login, "pass": self._password}
        )
        if data.get("error") or not data.get("token"):
            # wrong credentials will not mend themselves by retrying soon, but they may be
            # fixed in the settings: the receipts wait rather than fail for good
            raise FiscalUnavailable(f"ATOL getToken: {_error_text(data.get('error'))}")
        self._token = data["token"]
        return self._token

    def _authorised(self, method: str, url: str, body: dict | None = None) -> dict:
        token = self._token or self._get_token()
        data = self._send(method, url, body, token)
        code = (data.get("error") or {}).get("code")
        if code in TOKEN_ERRORS:
            data = self._send(method, url, body, self._get_token())
        return data

    # -- the protocol ------------------------------------------------------------------------
    def register(self, document: FiscalDocument) -> FiscalResult:
        data = self._authorised(
            "POST", f"{self._base}/{self._group}/{document.kind}", document_body(document)
        )
        error = data.get("error")
        uuid = str(data.get("uuid") or "")
        if error and error.get("code") == EXISTING_EXTERNAL_ID and uuid:
            return self.report(uuid)  # sent before (a lost answer): that document it is
        if error or not uuid:
            return FiscalResult("fail", uuid, error=_error_text(error) or "ATOL: no uuid")
        return self._result(data, uuid)

    def report(self, uuid: str) -> FiscalResult:
        data = self._authorised("GET", f"{self._base}/{self._group}/report/{uuid}")
        return self._result(data, uuid)

    @staticmethod
    def _result(data: dict, uuid: str) -> FiscalResult:
        status = data.get("status")
        if status == "done":
            payload = data.get("payload") or {}
            try:
                registered = datetime.strptime(
                    str(payload.get("receipt_datetime", "")), "%d.%m.%Y %H:%M:%S"
                ).replace(tzinfo=MOSCOW)
            except ValueError:
                registered = datetime.now(UTC)
            return FiscalResult(
                "done",
                uuid,
                FiscalData(
                    fn_number=str(payload.get("fn_number", "")),
                    fd_number=str(payload.get("fiscal_document_number", "")),
                    fpd=str(payload.get("fiscal_document_attribute", "")),
                    ecr_number=str(payload.get("ecr_registration_number", "")),
                    registered_at=registered.astimezone(UTC),
                ),
            )
        if status == "fail":
            return FiscalResult("fail", uuid, error=_error_text(data.get("error")) or "ATOL: fail")
        if status == "wait":
            return FiscalResult("wait", uuid)
        if data.get("error"):  # e.g. "no such document" on a report
            return FiscalResult("fail", uuid, error=_error_text(data.get("error")))
        raise FiscalUnavailable(f"ATOL answered status {status!r}")
