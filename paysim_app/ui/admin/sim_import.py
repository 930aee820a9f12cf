"""/admin/sims/import: CSV or .xlsx import of SIMs — upload -> preview (a dry run) -> confirm.

The uploaded file is streamed to the imports folder under a random name (sims.importing);
the check and the import run as background tasks (a million rows take tens of seconds, longer
than a state lock may be held) in a separate low-priority process (jobs/offload.py: the
worker's other tabs keep its event loop) and keep only counts and the first rows of each kind
in the state. Confirm checks the stored file again against the database as it is then; it imports
nothing while any row is rejected. Every handler re-checks `sims.import` (and so does the
service).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from paysim_app.i18n import t
from paysim_app.jobs.offload import run_in_process
from paysim_app.sims import SIM_STATUSES, importing
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.icons import callout_with_icon, chosen_icon
from paysim_app.ui.components.import_preview import count_grid, preview_table, upload_card
from paysim_app.ui.components.layout import shell

PERMISSION = importing.PERMISSION
UPLOAD_ID = "import-upload"
UI_ROWS = 100  # rows of each kind the page shows (the counts are complete)
KINDS = importing.KINDS
NO_COUNTS = dict.fromkeys(KINDS, 0)
TONES = {"ok": "green", "warn": "amber", "bad": "red"}

COLUMNS = {
    "create": [
        Column("line", "sim_import.col.line", mono=True),
        Column("iccid", "sim_import.col.iccid", mono=True),
        Column("msisdn", "sim_import.col.msisdn", mono=True),
        Column("imsi", "sim_import.col.imsi", mono=True),
        Column("status", "sim_import.col.status"),
        Column("partner", "sim_import.col.partner"),
        Column("tariff", "sim_import.col.tariff"),
    ],
    "update": [
        Column("line", "sim_import.col.line", mono=True),
        Column("iccid", "sim_import.col.iccid", mono=True),
        Column("msisdn", "sim_import.col.msisdn", mono=True),
        Column("changes", "sim_import.col.changes"),
    ],
    "delete": [
        Column("line", "sim_import.col.line", mono=True),
        Column("iccid", "sim_import.col.iccid", mono=True),
    ],
    "unchanged": [
        Column("line", "sim_import.col.line", mono=True),
        Column("iccid", "sim_import.col.iccid", mono=True),
        Column("msisdn", "sim_import.col.msisdn", mono=True),
    ],
    "reject": [
        Column("line", "sim_import.col.line", mono=True),
        Column("iccid", "sim_import.col.iccid", mono=True),
        Column("msisdn", "sim_import.col.msisdn", mono=True),
        Column("imsi", "sim_import.col.imsi", mono=True),
        Column("reason", "sim_import.col.reason"),
    ],
}
TABLE_IDS = {
    "create": "import-create",
    "update": "import-update",
    "delete": "import-delete",
    "unchanged": "import-unchanged",
    "reject": "import-rejects",
}


def _display_row(row: importing.ImportRow, loc: str) -> dict[str, str]:
    number = phone(row.msisdn) if row.msisdn.startswith("+7") and len(row.msisdn) == 12 else ""
    status = t(f"sim.status.{row.status}", loc) if row.status in SIM_STATUSES else ""
    return {
        "line": str(row.line),
        "iccid": row.iccid,
        "msisdn": number or row.msisdn,
        "imsi": row.imsi,
        "status": status or row.status,
        "partner": row.partner_code or "—",
        "tariff": row.tariff_code or "—",
        "changes": "; ".join(row.changes),
        "reason": importing.reason_text(row.reason, loc, row.ref) if row.reason else "",
    }


class SimImportState(LocaleView, SessionState):
    file_name: str = ""  # the uploaded file as the user called it
    phase: str = ""  # "" (choose a file) | "checking" | "preview" | "importing" | "done"
    counts: dict[str, int] = NO_COUNTS
    info: str = ""  # "File x.csv: 1000 rows, encoding ..."
    result: str = ""
    result_tone: str = ""  # ok | warn | bad
    error: str = ""
    create_rows: list[dict[str, str]] = []
    update_rows: list[dict[str, str]] = []
    delete_rows: list[dict[str, str]] = []
    unchanged_rows: list[dict[str, str]] = []
    reject_rows: list[dict[str, str]] = []
    _stored: str = ""  # the random name of the stored upload: backend only
    _seq: int = 0  # a newer upload makes an older background result stale

    # -- helpers ----------------------------------------------------------------------------
    def _clear(self) -> None:
        self.phase, self.counts, self.info = "", NO_COUNTS, ""
        self.result, self.result_tone, self.error = "", "", ""
        self.create_rows, self.update_rows, self.delete_rows = [], [], []
        self.unchanged_rows, self.reject_rows = [], []

    def _upload(self) -> importing.StoredImport:
        return importing.StoredImport(self.file_name, self._stored)

    def _show(self, report: importing.ImportReport, confirmed: bool) -> None:
        loc = self.locale
        self.counts = report.counts()
        for kind in KINDS:
            rows = [_display_row(r, loc) for r in report.samples.get(kind, ())[:UI_ROWS]]
            setattr(self, f"{kind}_rows", rows)
        self.info = ""
        if report.error:
            self.phase = "preview"
            self.error = importing.error_text(report, loc)
            self.result, self.result_tone = "", ""
            return
        self.error = ""
        self.info = self._t(
            "sim_import.file_xlsx" if report.encoding == "xlsx" else "sim_import.file",
            name=report.file_name,
            rows=report.rows,
            encoding=report.encoding,
            delimiter=report.delimiter,
        )
        numbers = {
            "created": report.created,
            "updated": report.updated,
            "deleted": report.deleted,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        }
        if report.rejected:
            key = "sim_import.nothing_imported" if confirmed else "sim_import.dry_run_rejects"
            self.result, self.result_tone = self._t(key, **numbers), "bad"
        elif confirmed:
            self.result, self.result_tone = self._t("sim_import.applied", **numbers), "ok"
        elif report.created + report.updated + report.deleted == 0:
            self.result, self.result_tone = self._t("sim_import.nothing_to_do"), "warn"
        else:
            self.result, self.result_tone = self._t("sim_import.dry_run_ok", **numbers), "ok"
        self.phase = "done" if confirmed and report.applied else "preview"

    # -- events -----------------------------------------------------------------------------
    @access("admin:sims.import")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", PERMISSION)
        if redirect:
            return redirect
        if self._stored:
            self._call(importing.discard_upload, self._upload())
        self.file_name, self._stored = "", ""
        self._clear()
        return None

    @access("admin:sims.import")
    @rx.event
    async def preview(self, files: list[rx.UploadFile]):
        """Store the chosen file (streamed, size-limited), then check it in the background."""
        _, redirect = self._gate("admin", PERMISSION)
        if redirect:
            return redirect
        if self.phase in ("checking", "importing"):
            return None
        self._clear()
        if not files:
            self.error = self._t("sim_import.no_file")
            return None
        upload = files[0]
        res = await self._call_async(
            importing.receive_upload, upload.file, upload.name or "import.csv"
        )
        if not res:
            self.error = res.error
            return res.redirect or rx.clear_selected_files(UPLOAD_ID)
        stored = res.value
        if self._stored:
            self._call(importing.discard_upload, self._upload())
        self.file_name, self._stored = stored.name, stored.stored
        self._seq += 1
        self.phase = "checking"
        return [rx.clear_selected_files(UPLOAD_ID), SimImportState.run_preview]

    @access("admin:sims.import")
    @rx.event(background=True)
    async def run_preview(self):
        await self._work(importing.preview_upload, confirmed=False)

    @access("admin:sims.import")
    @rx.event
    def confirm(self):
        """Import the previewed file: it is checked again against the database first."""
        _, redirect = self._gate("admin", PERMISSION)
        if redirect:
            return redirect
        if self.phase != "preview" or not self._stored or self.counts.get("reject", 0):
            return None
        self._seq += 1
        self.phase = "importing"
        return SimImportState.run_confirm

    @access("admin:sims.import")
    @rx.event(background=True)
    async def run_confirm(self):
        await self._work(importing.confirm_upload, confirmed=True)

    async def _work(self, job, confirmed: bool) -> None:
        async with self:
            actor = self._actor()
            seq, upload = self._seq, self._upload()
            if actor is None or not actor.can(PERMISSION) or not upload.stored:
                self.phase = ""
                return
        # _call_async's work, with the actor looked up above and the verb in the import process
        # (jobs/offload.py) instead of a thread: a background task changes its state only inside
        # `async with self`, and the import must not hold the state meanwhile. The job's refusal
        # comes back raised and is read like any verb's (SessionState._outcome).
        # a small file in a thread here: starting the low-priority process costs more than it
        runner = asyncio.to_thread if importing.is_small(upload) else run_in_process
        done = asyncio.ensure_future(
            runner(importing.run_upload_job, job, upload, actor, confirmed)
        )
        await asyncio.wait([done])
        async with self:
            res = self._outcome(done.result)
            if self._seq != seq:
                return
            if not res:
                self.phase, self.error = "preview", res.error
                return
            self._show(res.value, confirmed)
            if res.value.applied:
                self._stored = ""

    @access("admin:sims.import")
    @rx.event
    def download_rejects(self):
        _, redirect = self._gate("admin", PERMISSION)
        if redirect:
            return redirect
        res = self._call(importing.read_rejects, self._upload())
        if not res:
            return res.redirect or rx.toast.error(res.error)
        name, data = res.value
        return rx.download(data=data, filename=name)

    @access("admin:sims.import")
    @rx.event
    def reset_upload(self):
        _, redirect = self._gate("admin", PERMISSION)
        if redirect:
            return redirect
        if self.phase in ("checking", "importing"):
            return None
        if self._stored:
            self._call(importing.discard_upload, self._upload())
        self.file_name, self._stored = "", ""
        self._seq += 1
        self._clear()
        return rx.clear_selected_files(UPLOAD_ID)

    @rx.var
    def can_confirm(self) -> bool:
        return (
            self.phase == "preview"
            and self.error == ""
            and self.counts.get("reject", 0) == 0
            and sum(self.counts.values()) > 0
        )

    @rx.var
    def shown(self) -> dict[str, str]:
        """'Showing the first 100 of 250.' under each table that shows only part of its rows."""
        out = {}
        for kind in KINDS:
            shown, total = len(getattr(self, f"{kind}_rows")), self.counts.get(kind, 0)
            out[kind] = (
                self._vt("sim_import.first_rows", shown=shown, total=total) if total > shown else ""
            )
        return out

    @rx.var
    def busy(self) -> bool:
        return self.phase in ("checking", "importing")


# --------------------------------------------------------------------------- the page


def _count_label(kind: str) -> rx.Var | str:
    """What a count card says: once imported, what was done of the kinds that change SIMs."""
    if kind not in ("create", "update", "delete"):
        return tr(f"sim_import.count.{kind}")
    done = SimImportState.phase == "done"
    return rx.cond(done, tr(f"sim_import.done.{kind}"), tr(f"sim_import.count.{kind}"))


def _counts() -> rx.Component:
    counts = SimImportState.counts
    return count_grid(counts, KINDS, _count_label, "import-count", "5", id_="import-counts")


def _table(kind: str, rows) -> rx.Component:
    note = rx.cond(
        SimImportState.shown[kind] != "",
        rx.text(SimImportState.shown[kind], size="1", color=rx.color("gray", 11)),
    )
    title, columns = f"sim_import.table.{kind}", COLUMNS[kind]
    shown = SimImportState.counts[kind] > 0
    return preview_table(
        shown, title, columns, rows, "sim_import.empty_kind", TABLE_IDS[kind], note
    )


def _upload_card() -> rx.Component:
    return upload_card(
        UPLOAD_ID,
        "sim_import.intro",
        "sim_import.choose_file",
        importing.MAX_UPLOAD_BYTES,
        "import-selected",
        rx.hstack(
            rx.button(
                rx.cond(SimImportState.phase == "checking", rx.spinner(size="2"), rx.fragment()),
                tr("sim_import.preview"),
                on_click=SimImportState.preview(rx.upload_files(upload_id=UPLOAD_ID)),
                disabled=SimImportState.busy,
                id="import-preview",
                size="3",
            ),
            rx.cond(
                SimImportState.file_name != "",
                rx.button(
                    tr("sim_import.reset"),
                    on_click=SimImportState.reset_upload,
                    disabled=SimImportState.busy,
                    variant="soft",
                    color_scheme="gray",
                    id="import-reset",
                    size="3",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
    )


def _actions() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.cond(SimImportState.phase == "importing", rx.spinner(size="2"), rx.fragment()),
                tr("sim_import.confirm"),
                on_click=SimImportState.confirm,
                disabled=~SimImportState.can_confirm | SimImportState.busy,
                id="import-confirm",
                size="3",
                color_scheme="green",
            ),
            rx.cond(
                SimImportState.counts["reject"] > 0,
                rx.button(
                    rx.icon("download", size=16),
                    tr("sim_import.download_rejects"),
                    on_click=SimImportState.download_rejects,
                    variant="soft",
                    id="import-download-rejects",
                    size="3",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            SimImportState.counts["reject"] > 0,
            rx.text(tr("sim_import.confirm_disabled"), size="2", color=rx.color("gray", 11)),
        ),
        spacing="2",
        width="100%",
    )


def sim_import_page() -> rx.Component:
    result = rx.cond(
        SimImportState.result != "",
        callout_with_icon(
            SimImportState.result,
            chosen_icon(
                SimImportState.result_tone, {"ok": "circle_check", "bad": "circle_x"}, "info"
            ),
            color_scheme=rx.match(
                SimImportState.result_tone, *[(k, v) for k, v in TONES.items()], "gray"
            ),
            id="import-result",
            width="100%",
        ),
    )
    preview = rx.cond(
        (SimImportState.phase == "preview") | (SimImportState.phase == "done"),
        rx.cond(
            SimImportState.error == "",
            rx.vstack(
                rx.text(
                    SimImportState.info, size="2", color=rx.color("gray", 11), id="import-info"
                ),
                _counts(),
                result,
                rx.cond(SimImportState.phase == "preview", _actions()),
                _table("reject", SimImportState.reject_rows),
                _table("create", SimImportState.create_rows),
                _table("update", SimImportState.update_rows),
                _table("delete", SimImportState.delete_rows),
                _table("unchanged", SimImportState.unchanged_rows),
                spacing="4",
                width="100%",
            ),
        ),
    )
    return shell(
        "admin",
        rx.vstack(
            _upload_card(),
            error_banner(SimImportState.error, "import-error"),
            rx.cond(
                SimImportState.busy,
                rx.hstack(
                    rx.spinner(size="3"), rx.text(SimImportState.file_name), id="import-busy"
                ),
            ),
            preview,
            spacing="4",
            width="100%",
        ),
        title_key="sim_import.title",
    )
