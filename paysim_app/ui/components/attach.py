"""One file (a screenshot or PDF, 5 MB) chosen to go with the next ticket message: the state
part every form with a file shares, and its picker.

The file is checked (type read from its bytes) and stored as soon as it is chosen; the state
keeps only its display name for the browser and its random stored name as a backend var, and
the form's service call takes it with `_take_file()`."""

from __future__ import annotations

import reflex as rx

from paysim_app.support import attachments
from paysim_app.ui.access import ATTACH, access
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id

ACCEPT = {
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/webp": [".webp"],
    "application/pdf": [".pdf"],
}


class AttachMixin(rx.State, mixin=True):
    attached_name: str = ""  # shown beside the picker
    attach_error: str = ""
    _attached: str = ""  # the stored (random) name: never sent to the browser

    def _upload_id(self) -> str:
        raise NotImplementedError

    def _may_attach(self, actor) -> bool:
        """Who may store a file here (a customer on their own pages; staff override this)."""
        return actor.role in ("subscriber", "partner")

    @access(ATTACH)
    @rx.event
    async def attach(self, files: list[rx.UploadFile]):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        if not self._may_attach(actor):
            return rx.toast.error(self._t("error.forbidden"))
        self.attach_error = ""
        if not files:
            return None
        data, name = await files[0].read(attachments.MAX_BYTES + 1), files[0].name or ""
        res = await self._call_async(lambda who: attachments.save(data, name, who))
        if not res:  # wrong type or size, or the day's quota is used up
            self.attach_error = res.error
            return res.redirect or rx.clear_selected_files(self._upload_id())
        stored = res.value
        self.attached_name, self._attached = stored.name, stored.stored
        return rx.clear_selected_files(self._upload_id())

    @access(ATTACH)
    @rx.event
    def drop_file(self):
        self.attached_name, self._attached, self.attach_error = "", "", ""

    def _file(self) -> attachments.StoredFile | None:
        return (
            attachments.StoredFile(self.attached_name, self._attached) if self._attached else None
        )

    def _send_file(self, read, message_id: str):
        """A message's file to the browser: `read(session, actor, id)` is the verb that
        checks who may have it and returns (name, bytes, MIME type)."""
        res = self._call(read, browser_id(message_id))
        if not res:  # not theirs, or the file is gone: the same answer
            return res.redirect or rx.toast.error(self._t("error.forbidden"))
        name, data, _ = res.value
        return rx.download(data=data, filename=name)

    def _forget_file(self) -> None:
        self.attached_name, self._attached, self.attach_error = "", "", ""


def _forget_upload(upload_id: str) -> rx.event.EventSpec:
    """A file chosen while the last one is still uploading replaces it. Reflex drops, without a
    word, a new upload to a picker whose last request is still open ("already in progress"):
    the open one is aborted and forgotten here, before the new one starts (rx.cancel_upload only
    aborts, and forgets it a few promise steps too late for the upload queued right after)."""
    controller = rx.Var(f"__upload_controllers_{upload_id}")._as_ref()
    return rx.run_script(f"({controller}?.abort(), delete {controller})")


def file_picker(state, upload_id: str) -> rx.Component:
    """A "choose a file" button (images and PDF), the chosen file's name with a remove button,
    and the file's error. `state` mixes AttachMixin in and answers `_upload_id()` with
    `upload_id`."""
    return rx.vstack(
        # the dropzone's hidden <input type=file> takes its accessible name from this <label>
        rx.el.label(
            rx.text(tr("support.attach"), size="2", weight="medium"),
            rx.upload(
                rx.button(
                    rx.icon("paperclip", size=16),
                    tr("support.attach_button"),
                    variant="soft",
                    type="button",
                    size="2",
                ),
                id=upload_id,
                max_files=1,
                accept=ACCEPT,
                on_drop=[
                    _forget_upload(upload_id),
                    state.attach(rx.upload_files(upload_id=upload_id)),
                ],
                border="none",
                padding="0",
                margin_top="0.25em",
            ),
        ),
        rx.cond(
            state.attached_name != "",
            rx.hstack(
                rx.icon("file-check", size=16, color=rx.color("green", 11)),
                rx.text(state.attached_name, size="2", id=f"{upload_id}-name"),
                rx.icon_button(
                    rx.icon("x", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    type="button",
                    on_click=state.drop_file,
                    aria_label=tr("support.attach_remove"),
                    id=f"{upload_id}-remove",
                ),
                align="center",
                spacing="2",
            ),
        ),
        error_banner(state.attach_error, f"{upload_id}-error"),
        spacing="1",
        width="100%",
    )
