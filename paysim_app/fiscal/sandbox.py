"""The sandbox cash register (the default; the demo and the tests): every receipt is registered
at once with fiscal data derived from its external id, so the same receipt always gets the same
numbers. Nothing reaches a fiscal data operator: receipts it registers say so."""

from __future__ import annotations

import hashlib

from paysim_app.fiscal.base import FiscalData, FiscalDocument, FiscalResult

FN_NUMBER = "9999078900000000"  # a fiscal drive number no real drive has (ФН 9999…)
ECR_NUMBER = "0000000000000000"


def _digits(seed: str, n: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]


class SandboxFiscal:
    name = "sandbox"

    def __init__(self) -> None:
        self._documents: dict[str, FiscalDocument] = {}

    def register(self, document: FiscalDocument) -> FiscalResult:
        uuid = "sb-" + hashlib.sha256(document.external_id.encode()).hexdigest()[:32]
        self._documents[uuid] = document
        return self._done(uuid, document)

    def report(self, uuid: str) -> FiscalResult:
        document = self._documents.get(uuid)
        if document is None:  # another process registered it: the numbers are the same anyway
            return FiscalResult("fail", uuid, error="sandbox: unknown document")
        return self._done(uuid, document)

    @staticmethod
    def _done(uuid: str, document: FiscalDocument) -> FiscalResult:
        seed = document.external_id
        return FiscalResult(
            "done",
            uuid,
            FiscalData(
                fn_number=FN_NUMBER,
                fd_number=str(int(_digits(seed + ":fd", 6)) % 99999 + 1),
                fpd=_digits(seed + ":fpd", 10),
                ecr_number=ECR_NUMBER,
                registered_at=document.created_at,
            ),
        )
