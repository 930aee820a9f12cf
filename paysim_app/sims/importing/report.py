"""What an import reports: its vocabulary (columns, kinds of rows, reasons, file errors), the
report and its rows, and their texts in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t

PERMISSION = "sims.import"
REQUIRED = ("iccid", "msisdn", "imsi")
OPTIONAL = ("status", "partner_code", "tariff_code", "action", "activation_code")
COLUMNS = ("iccid", "msisdn", "imsi", "status", "partner_code", "tariff_code", "action")
ACTIONS = ("upsert", "delete")
KINDS = ("create", "update", "delete", "unchanged", "reject")
# row-level reasons, in the order they are looked for (the first one found is reported)
REASONS = (
    "encoding",  # the line's bytes are neither UTF-8 nor sensible Windows-1251
    "cells",  # more cells than the header has columns
    "action_unknown",
    "iccid_missing",
    "iccid_scientific",  # Excel turned it into 8.9E+19
    "iccid_format",
    "iccid_luhn",
    "msisdn_missing",
    "msisdn_scientific",
    "msisdn_format",
    "imsi_missing",
    "imsi_scientific",
    "imsi_format",
    "status_unknown",
    "partner_unknown",
    "tariff_unknown",
    "activation_code_format",
    "duplicate_iccid",  # ref: the line where the ICCID first appears
    "duplicate_msisdn",
    "duplicate_imsi",
    "msisdn_taken",  # ref: the ICCID of the SIM that has it
    "imsi_taken",
    "partner_inactive",
    "tariff_archived",
    "sim_in_use",  # a delete of a SIM with a subscriber or history
    "status_in_use",  # a status change of a SIM with a subscriber
)
# whole-file refusals (ImportReport.error)
FILE_ERRORS = (
    "empty",
    "encoding",
    "not_csv",
    "no_header",
    "missing_columns",
    "quotes",
    "too_large",
    "gone",
    # an .xlsx: not a workbook, password-protected (or an old .xls), unreadable, unpacking to
    # more than core.spreadsheet.MAX_UNPACKED_BYTES, more rows than a sheet holds
    "not_xlsx",
    "xlsx_encrypted",
    "xlsx_broken",
    "xlsx_too_big",
    "xlsx_too_many_rows",
)
SAMPLE_ROWS = 200


@dataclass(frozen=True)
class ImportRow:
    """One line of the file as the preview shows it (display values, not table rows)."""

    line: int
    kind: str  # create | update | delete | unchanged | reject
    iccid: str
    msisdn: str = ""
    imsi: str = ""
    status: str = ""
    partner_code: str = ""
    tariff_code: str = ""
    action: str = "upsert"
    reason: str = ""  # rejects: one of REASONS
    ref: str = ""  # rejects: the first line of a duplicate, or the ICCID holding a number
    changes: tuple[str, ...] = ()  # updates: "field: old → new"


@dataclass(frozen=True)
class ImportReport:
    file_name: str
    sha256: str
    size: int
    dry_run: bool
    applied: bool  # True only when the writes were made (dry_run False and nothing rejected)
    encoding: str = ""
    delimiter: str = ""
    rows: int = 0  # data rows read (blank lines are skipped)
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: int = 0
    samples: dict[str, tuple[ImportRow, ...]] = field(default_factory=dict)  # kind -> first rows
    error: str = ""  # a whole-file refusal: one of FILE_ERRORS ('' when the file was read)
    error_params: dict[str, str] = field(default_factory=dict)
    rejects_written: int = 0  # rows written to the rejects CSV
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and not self.rejected and self.rows > 0

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, KIND_FIELD[k]) for k in KINDS}


KIND_FIELD = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "unchanged": "unchanged",
    "reject": "rejected",
}


def cli_actor() -> Actor:
    """Who `python -m paysim_app import-sims` acts as without --admin: the server's operator
    (whoever may run commands there may change the database anyway); audited without a user."""
    return Actor(
        user_id=0,
        role="admin",
        full_name="command line",
        login="cli",
        locale="en",
        permissions=frozenset({PERMISSION}),
    )


def reason_text(reason: str, locale: str = "ru", ref: str = "") -> str:
    return t(f"sim_import.reason.{reason}", locale, ref=ref)


def error_text(report: ImportReport, locale: str = "ru") -> str:
    return t(f"sim_import.error.{report.error}", locale, **report.error_params)
