"""/admin/privacy: the queue of requests to close an account (a declaration over the one list
machinery, subscribers.privacy.CLOSURE_LIST; privacy.view to see it, privacy.edit to close the
selected accounts, each on its own so one refusal keeps the others); /admin/privacy/texts: the
current legal texts, their published versions, and the form that publishes a new one
(privacy.edit; accounts.consent)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.accounts import consent
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.subscribers import privacy
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

STATUS_COLOURS = {"pending": "amber", "closed": "gray", "withdrawn": "blue"}
CAN_EDIT = SessionState.permissions.contains("privacy.edit")


class AdminClosuresState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:privacy.view"
    notice: str = ""

    def _spec(self):
        return privacy.CLOSURE_LIST

    def _prepare(self, actor: Actor) -> None:
        self.notice = ""

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        status = row["status"]
        return {
            "requested": moment(row["requested_at"], loc),
            "contract": row["contract_no"],
            "name": row["full_name"] or "—",
            "status": t(f"privacy.status.{status}", loc),
            "colour": STATUS_COLOURS.get(status, "gray"),
            "decided": moment(row["decided_at"], loc) if row["decided_at"] else "",
        }

    @access("admin:privacy.view")
    @rx.event
    async def load(self):
        return await self._start()

    @access("admin:privacy.edit")
    @rx.event
    def close_selected(self):
        """Close the selected requests' accounts, each on its own: a refusal (a working SIM,
        money left) is reported with its contract and keeps the others."""
        done, refusals = 0, []
        for request_id in [n for n in map(browser_id, self.selected) if n > 0]:
            res = self._call(privacy.close_account, request_id)
            if res.redirect is not None:
                return res.redirect
            if res:
                done += 1
            else:
                refusals.append(res.error)
        self._fetch(count=False)
        parts = [t("privacy.closed_n", self.locale, n=done)] if done else []
        self.notice = " ".join(parts + refusals)
        return rx.toast.success(self.notice) if done and not refusals else None


COLUMNS = [
    Column("requested", "privacy.col.requested", mono=True),
    Column("contract", "privacy.col.contract", mono=True),
    Column("name", "privacy.col.name"),
    Column("status", "privacy.col.status", badge="colour"),
    Column("decided", "privacy.col.decided", mono=True),
]
FIELDS = [
    FilterField(
        "status",
        "privacy.col.status",
        options=[(ALL, "privacy.filter.all_statuses")]
        + [(s, f"privacy.status.{s}") for s in ("pending", "closed", "withdrawn")],
    ),
]
SORTS = [("requested_at", "privacy.col.requested")]


def _close_bar() -> rx.Component:
    s = AdminClosuresState
    return rx.cond(
        CAN_EDIT,
        rx.card(
            rx.flex(
                rx.text(tr("privacy.selected"), " ", s.selected.length(), weight="medium"),
                rx.button(
                    rx.icon("user-x", size=16),
                    tr("privacy.close_selected"),
                    size="3",
                    color_scheme="red",
                    on_click=s.close_selected,
                    id="privacy-close-selected",
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
    )


def closures_page() -> rx.Component:
    s = AdminClosuresState
    return shell(
        "admin",
        rx.vstack(
            rx.flex(
                rx.text(tr("privacy.rule"), size="2", color=rx.color("gray", 11), flex="1"),
                rx.link(tr("privacy.texts_link"), href="/admin/privacy/texts", id="privacy-texts"),
                spacing="3",
                wrap="wrap",
                width="100%",
                align="center",
            ),
            list_view(
                s,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="closures-table",
                search_key="privacy.search",
                empty_key="privacy.empty",
                selectable=True,
                bulk=_close_bar(),
                extra=rx.cond(
                    s.notice != "",
                    rx.callout(s.notice, icon="info", id="privacy-notice", width="100%"),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="privacy.admin.title",
    )


# --------------------------------------------------------------------------- the legal texts

TEXT_FIELDS = ("doc", "title_ru", "title_en", "body_ru", "body_en")
TEXT_LIMITS = {"doc": 20, "title_ru": 200, "title_en": 200, "body_ru": 20000, "body_en": 20000}
EMPTY_TEXT = {**dict.fromkeys(TEXT_FIELDS, ""), "doc": "personal_data"}


class LegalTextsState(SessionState):
    history: list[dict[str, str]] = []  # at most 50 versions
    form: dict[str, str] = EMPTY_TEXT
    error: str = ""
    field: str = ""

    def _reload(self) -> None:
        res = self._call(consent.text_history)
        loc = self.locale
        self.history = [
            {
                "key": f"{v.doc}-{v.version}",
                "doc": t(f"privacy.doc.{v.doc}", loc),
                "version": str(v.version),
                "date": f"{moscow_date(v.published_at):%d.%m.%Y}",
                "title": v.title(loc),
            }
            for v in (res.value if res else [])
        ]

    @access("admin:privacy.view")
    @rx.event
    def load(self):
        actor, redirect = self._gate("admin", "privacy.view")
        if redirect:
            return redirect
        self.form, self.error, self.field = dict(EMPTY_TEXT), "", ""
        self._reload()
        return None

    @access("admin:privacy.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in TEXT_FIELDS:
            self.form = {**self.form, name: str(value)[: TEXT_LIMITS[name] + 1]}
            if self.field == name:  # the field's error goes once it is edited
                self.error, self.field = "", ""

    @access("admin:privacy.edit")
    @rx.event
    def publish(self, _form: dict | None = None):
        f = self.form
        self.error, self.field = "", ""
        res = self._call(
            consent.publish_version,
            f["doc"],
            f["body_ru"],
            f["body_en"],
            f["title_ru"],
            f["title_en"],
        )
        if not res:
            self.error, self.field = res.error, res.field or ""
            return res.redirect
        self.form = dict(EMPTY_TEXT)
        self._reload()
        return rx.toast.success(self._t("privacy.texts.published", version=res.value.version))


def _area(name: str, label_key: str, rows: str) -> rx.Component:
    s = LegalTextsState
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=f"legal-{name}", font_size="14px", font_weight="500"),
        rx.text_area(
            id=f"legal-{name}",
            value=s.form[name],
            rows=rows,
            width="100%",
            on_change=lambda v: s.set_field(name, v),
        ),
        rx.cond(
            s.field == name,
            rx.text(s.error, color=rx.color("red", 11), size="2", role="alert"),
        ),
        spacing="1",
        width="100%",
    )


def _publish_form() -> rx.Component:
    s = LegalTextsState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("privacy.texts.publish"), size="4", as_="h2"),
                rx.text(tr("privacy.texts.hint"), size="2", color=rx.color("gray", 11)),
                rx.el.label(
                    tr("privacy.texts.doc"),
                    html_for="legal-doc",
                    font_size="14px",
                    font_weight="500",
                ),
                rx.select.root(
                    rx.select.trigger(id="legal-doc", width="100%"),
                    rx.select.content(
                        rx.select.item(tr("privacy.doc.personal_data"), value="personal_data"),
                        rx.select.item(tr("privacy.doc.terms"), value="terms"),
                    ),
                    value=s.form["doc"],
                    on_change=lambda v: s.set_field("doc", v),
                    size="3",
                ),
                _area("title_ru", "privacy.texts.title_ru", "1"),
                _area("title_en", "privacy.texts.title_en", "1"),
                _area("body_ru", "privacy.texts.body_ru", "8"),
                _area("body_en", "privacy.texts.body_en", "8"),
                rx.cond(
                    (s.error != "") & ~s.field.contains("_"),
                    rx.callout(s.error, icon="triangle_alert", color_scheme="red", width="100%"),
                ),
                rx.button(tr("privacy.texts.publish"), type="submit", size="3", id="legal-publish"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=s.publish,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        max_width="760px",
    )


def _history() -> rx.Component:
    s = LegalTextsState
    return rx.card(
        rx.vstack(
            rx.heading(tr("privacy.texts.history"), size="4", as_="h2"),
            # a list, not a table: nothing in it can take the focus, so a table scrolling
            # sideways on a phone would be a region the keyboard cannot reach
            rx.vstack(
                rx.foreach(
                    s.history,
                    lambda h: rx.flex(
                        rx.box(
                            rx.text(h["doc"], size="2", weight="medium"),
                            rx.text(h["title"], size="1"),
                            flex="1 1 14rem",
                        ),
                        rx.text(tr("privacy.texts.version"), ": ", h["version"], size="2"),
                        rx.text(h["date"], size="2", color=rx.color("gray", 11)),
                        gap="1rem",
                        wrap="wrap",
                        align="baseline",
                        width="100%",
                        padding_y="0.5rem",
                        border_bottom=f"1px solid {rx.color('gray', 5)}",
                        key=h["key"],
                    ),
                ),
                spacing="0",
                width="100%",
                id="legal-history",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="760px",
    )


def texts_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            rx.link(tr("privacy.admin.title"), href="/admin/privacy"),
            rx.cond(CAN_EDIT, _publish_form()),
            _history(),
            spacing="4",
            width="100%",
        ),
        title_key="privacy.texts.title",
    )
