"""CSV import of SIMs: upload -> preview (a dry run) -> confirm, all or nothing.

The file: a header line naming the columns, then one SIM per line. Columns `iccid, msisdn,
imsi` are required; `status, partner_code, tariff_code, action, activation_code` are optional
(any other column, e.g. the `reason` of a rejects file sent back, is ignored). Comma or
semicolon, UTF-8 (with or without BOM) or Windows-1251 are detected (Russian Excel saves `;` and
cp1251; an Excel `sep=;` first line is understood too).

Meaning of a row (`action` empty = `upsert`):
- upsert, ICCID unknown: a new SIM (empty status = `in_stock`, empty codes = none);
- upsert, ICCID known: the SIM takes the row's MSISDN and IMSI, and its status, partner, tariff
  and activation code where the row gives one (an empty cell keeps the SIM's value); a row that
  changes nothing is "unchanged", so the same file imported twice changes nothing;
- delete: the SIM goes, unless it is in use (a subscriber, or any history: ledger entries,
  payments, requests, blocks, tickets, ...); an ICCID that is not there is "unchanged".

Every row is checked (format and Luhn digit, known status/partner/tariff, duplicates inside the
file, an MSISDN or IMSI held by ANOTHER SIM in the database — even one this file deletes or
renumbers: swaps take two files —, deletes of SIMs in use, status changes of SIMs with a
subscriber, assigning an inactive partner or an archived tariff). One reason per rejected row,
the first found in REASONS order. If any row is rejected, nothing is imported.

How it stays fast and small for a million rows: the file is streamed twice (a sniffing pass for
the encoding and sha256, then a parsing pass), rows are validated in chunks and loaded into a
TEMP staging table (COPY on PostgreSQL, executemany on SQLite); the checks against the file
itself and the database, the counts, the samples for the preview and the writes are set-based
SQL over that table. The report holds counts and the first `sample_size` rows of each kind;
the rejects go to a CSV file or stream. On PostgreSQL the writing run takes an advisory lock,
so two imports at once run one after the other (the second sees the first's SIMs); on SQLite
the first write takes the database's write lock for the same effect. On PostgreSQL more than
PAYSIM_IMPORT_CHUNK_ROWS new SIMs are committed in paced chunks before the rest (see _apply_in_chunks:
why, and how it stays all or nothing).

Public: the names in `__all__` below (the import, the upload's steps, the report and the values
of the file's format); every module (apply, checks, reading, report, run, staging, uploads) is
internal.
"""

from paysim_app.sims.importing.apply import LOCK_KEY
from paysim_app.sims.importing.reading import normalise_msisdn
from paysim_app.sims.importing.report import (
    ACTIONS,
    COLUMNS,
    FILE_ERRORS,
    KIND_FIELD,
    KINDS,
    OPTIONAL,
    PERMISSION,
    REASONS,
    REQUIRED,
    SAMPLE_ROWS,
    ImportReport,
    ImportRow,
    cli_actor,
    error_text,
    reason_text,
)
from paysim_app.sims.importing.run import import_sims
from paysim_app.sims.importing.staging import CHUNK_ROWS, ROWS, STAGE
from paysim_app.sims.importing.uploads import (
    MAX_UPLOAD_BYTES,
    StoredImport,
    UploadWriter,
    confirm_upload,
    discard_upload,
    imports_dir,
    is_small,
    preview_upload,
    read_rejects,
    receive_upload,
    rejects_name,
    run_upload_job,
    store_upload,
    tidy_after,
)

__all__ = [
    "ACTIONS",
    "CHUNK_ROWS",
    "COLUMNS",
    "FILE_ERRORS",
    "KINDS",
    "KIND_FIELD",
    "LOCK_KEY",
    "MAX_UPLOAD_BYTES",
    "OPTIONAL",
    "PERMISSION",
    "REASONS",
    "REQUIRED",
    "ROWS",
    "SAMPLE_ROWS",
    "STAGE",
    "ImportReport",
    "ImportRow",
    "StoredImport",
    "UploadWriter",
    "cli_actor",
    "confirm_upload",
    "discard_upload",
    "error_text",
    "import_sims",
    "is_small",
    "imports_dir",
    "normalise_msisdn",
    "preview_upload",
    "read_rejects",
    "reason_text",
    "receive_upload",
    "rejects_name",
    "run_upload_job",
    "store_upload",
    "tidy_after",
]
