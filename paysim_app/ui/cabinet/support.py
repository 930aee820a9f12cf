"""/cabinet/support: the subscriber's tickets (a list of the one list machinery: status and
topic filters, a search of subjects and messages, the advanced search, the address) and the
form of a new ticket; /cabinet/support/[ticket_id]: one ticket's thread with a reply box, the
close button and, once support has resolved it, a 1-5 rating of the answer."""

from __future__ import annotations

from dataclasses import asdict
from typing import ClassVar

import reflex as rx

from paysim_app.i18n import t
from paysim_app.support import quality, ticketing
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView
from paysim_app.ui.cabinet.state import CabinetState, plain
from paysim_app.ui.components import tickets
from paysim_app.ui.components.advanced_search import advanced_panel
from paysim_app.ui.components.attach import AttachMixin, file_picker
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.forms import error_banner, form_card, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id, optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, filter_card, list_pager
from paysim_app.ui.components.listing import ListMixin
from paysim_app.ui.components.pickers import choice, static_choice
from paysim_app.ui.components.tickets import ALL

NO_SIM = "none"
NEW_ERRORS = dict.fromkeys(("category", "subject", "body", "sim"), "")
UPLOAD_ID = "ticket-file"
REPLY_UPLOAD_ID = "reply-file"
FORM_IDS = {"subject": "support-subject", "body": "support-body"}


class SupportState(ListMixin, AttachMixin, CabinetState):
    """The own tickets as a list over support.ticketing.OWN_TICKET_LIST (the one list
    machinery: filters, search, the advanced search, sort, pages, the address), shown as the
    cabinet's ticket cards, beside the new ticket's form."""

    ATTACH_ACCESS: ClassVar[str] = "subscriber"
    LIST_ACCESS: ClassVar[str] = "subscriber"
    new_category: str = "other"
    new_sim: str = NO_SIM
    errors: dict[str, str] = NEW_ERRORS
    rating_note: str = ""  # the low rating (from the dashboard) that goes with the new ticket
    _rating_id: int = 0
    speed_note: str = ""  # the speed test (from /cabinet/quality) that goes with it
    _speed_test_id: int = 0

    def _upload_id(self) -> str:
        return UPLOAD_ID

    def _spec(self):
        return ticketing.OWN_TICKET_LIST

    def _role(self) -> str:
        return "subscriber"

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "number": t("support.number", loc, id=row["id"]),
            "href": f"/cabinet/support/{row['id']}",
            "subject": row["subject"],
            "category": t(f"support.category.{row['category']}", loc),
            "status": t(f"support.status.{row['status']}", loc),
            "colour": tickets.STATUS_COLOURS.get(row["status"], "gray"),
            "updated": moment(row["updated_at"], loc),
            "sim": phone(row["msisdn"]) if row["msisdn"] else "",
        }

    def _prepare(self, actor) -> None:
        """The contract's SIMs (the new ticket's choice), and what a link brought with it: a
        low rating or a speed test that goes with the new ticket."""
        self._load_sims(actor)
        self.new_category, self.new_sim, self.errors = "other", NO_SIM, NEW_ERRORS
        self._forget_file()
        self._take_rating(actor)
        self._take_speed_test(actor)

    @access("subscriber")
    @rx.event
    async def load(self):
        return await self._start()

    def _take_speed_test(self, actor) -> None:
        """?speedtest=<id>: a speed test result goes with the new ticket (own ones only)."""
        self._speed_test_id, self.speed_note = 0, ""
        wanted = self._query_int("speedtest")
        if not wanted:
            return
        res = self._call(quality.speed_test_to_report, wanted)
        if not res:
            return
        r = res.value
        self._speed_test_id, self.new_category = r.id, "speed"
        self.new_sim = str(r.sim_id) if r.sim_id else self.new_sim
        self.speed_note = self._t(
            "support.speed_note",
            when=moment(r.created_at, self.locale),
            down=quality.mbit(r.download_kbps, self.locale),
            up=quality.mbit(r.upload_kbps, self.locale),
            ping=r.ping_ms,
        )

    def _take_rating(self, actor) -> None:
        """?rating=<id>: the dashboard's low rating goes with the new ticket (own ones only)."""
        self._rating_id, self.rating_note = 0, ""
        wanted = self._query_int("rating")
        if not wanted:
            return
        res = self._call(quality.rating_to_report, wanted)
        if not res:
            return
        r = res.value
        self._rating_id = r.id
        self.new_category = quality.TICKET_CATEGORY.get(r.aspect, "other")
        self.new_sim = str(r.sim_id) if r.sim_id else NO_SIM
        self.rating_note = self._t(
            "support.rating_note",
            stars="★" * r.stars + "☆" * (5 - r.stars),
            aspect=self._t(f"quality.aspect.{r.aspect}"),
        )

    @access("subscriber")
    @rx.event
    def set_new(self, name: str, value: str):
        """The new ticket's selects (the service checks the values again)."""
        value = str(value)
        if name == "category" and value in ticketing.CATEGORIES:
            self.new_category = value
        elif name == "sim" and (value == NO_SIM or optional_id(value)):
            self.new_sim = value

    @access("subscriber")
    @rx.event
    def submit(self, form: dict):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        self.errors = NEW_ERRORS
        form = form if isinstance(form, dict) else {}
        sim_id = None if self.new_sim == NO_SIM else browser_id(self.new_sim)
        res = self._call(
            ticketing.open_ticket,
            self.new_category,
            form.get("subject", ""),
            form.get("body", ""),
            sim_id,
            self._file(),
            rating_id=self._rating_id or None,
            speed_test_id=self._speed_test_id or None,
        )
        if not res:
            if res.field == "attachment":
                self.attach_error = res.error
            elif res.field:
                self.errors = {**NEW_ERRORS, res.field: res.error}
            else:
                return res.redirect or rx.toast.error(res.error)
            return None
        self.new_category, self.new_sim = "other", NO_SIM
        self._forget_file()
        self._rating_id, self.rating_note = 0, ""
        self._speed_test_id, self.speed_note = 0, ""
        # the new ticket shows first: the list back to its defaults
        self.filters = dict.fromkeys(self.filters, "")
        self.search, self.page, self._push = "", 1, True
        self._applied, self.adv_rows = [], []
        self.sort, self.descending = self._spec().default_sort, True
        shown = self._fetch()
        return [
            *[rx.set_value(id_, "") for id_ in FORM_IDS.values()],
            *(shown if isinstance(shown, list) else [shown]),
            rx.toast.success(self._t("support.opened")),
            rx.scroll_to("support-list-title"),
        ]

    @rx.var
    def new_sim_options(self) -> list[dict[str, str]]:
        return [
            {"value": NO_SIM, "label": t("support.sim_none", self.view_locale)},
            *self.sim_options,
        ]


class TicketState(LocaleView, AttachMixin, CabinetState):
    ATTACH_ACCESS: ClassVar[str] = "subscriber"
    ticket: dict = {}  # the thread (the own ticket only), or {} when refused

    def _upload_id(self) -> str:
        return REPLY_UPLOAD_ID

    @access("subscriber")
    @rx.event
    def download(self, message_id: str):
        """A file of the own ticket (ownership checked by the service)."""
        return self._send_file(ticketing.attachment, message_id)

    rating: str = ""  # "1".."5" chosen in the rating form
    reply_error: str = ""
    rate_error: str = ""

    def _route_ticket_id(self) -> int:
        path = str(self.router.url.path or "").rstrip("/")
        return browser_id(path.rsplit("/", 1)[-1])

    def _show(self, actor, ticket_id: int) -> bool:
        res = self._call(ticketing.ticket_thread, ticket_id)
        self.ticket = plain(asdict(res.value)) if res else {}
        return bool(res)

    def _on_ticket(self, verb, *args, done_key: str, error_var: str):
        """Call one verb on the shown ticket, then show it again: a refused value goes to
        `error_var`, any other refusal is a toast."""
        ticket_id = self.ticket.get("id", -1) if self.ticket else -1
        setattr(self, error_var, "")
        res = self._call(verb, ticket_id, *args)
        if res.redirect is not None:
            return res.redirect
        if res.field:
            setattr(self, error_var, res.error)
            return None
        self._show(None, ticket_id)
        if not res:
            return rx.toast.error(res.error)
        return rx.toast.success(self._t(done_key))

    @access("subscriber")
    @rx.event
    def load(self):
        actor, redirect = self._open()
        if redirect:
            return redirect
        self.rating, self.reply_error, self.rate_error = "", "", ""
        self._forget_file()
        self._show(actor, self._route_ticket_id())
        return None

    @access("subscriber")
    @rx.event
    def reply(self, form: dict):
        body = form.get("reply", "") if isinstance(form, dict) else ""
        file = self._file()
        result = self._on_ticket(
            ticketing.reply, body, file, done_key="support.replied", error_var="reply_error"
        )
        if self.reply_error:
            return result
        self._forget_file()
        return [rx.set_value("reply", ""), result]

    @access("subscriber")
    @rx.event
    def close(self):
        return self._on_ticket(
            ticketing.close_ticket, done_key="support.closed", error_var="reply_error"
        )

    @access("subscriber")
    @rx.event
    def set_rating(self, value: str):
        if str(value) in {"1", "2", "3", "4", "5"}:
            self.rating = str(value)

    @access("subscriber")
    @rx.event
    def rate(self, form: dict):
        comment = str(form.get("rating_comment", "")) if isinstance(form, dict) else ""
        stars = int(self.rating) if self.rating else 0
        return self._on_ticket(
            ticketing.rate_ticket, stars, comment, done_key="support.rated", error_var="rate_error"
        )

    @rx.var
    def head(self) -> dict[str, str]:
        tk, loc = self.ticket, self.view_locale
        if not tk:
            return {
                "found": "",
                "number": "",
                "subject": "",
                "category": "",
                "status": "",
                "colour": "gray",
                "sim": "",
                "created": "",
                "can_reply": "",
                "can_close": "",
                "can_rate": "",
                "rated": "",
                "rating_comment": "",
            }
        return tickets.head_row(tk, loc) | {
            "can_reply": "1" if tk["can_reply"] else "",
            "can_close": "1" if tk["can_close"] else "",
            "can_rate": "1" if tk["can_rate"] else "",
            "rated": t("support.your_rating", loc, rating=tk["rating"]) if tk["rating"] else "",
            "rating_comment": tk["rating_comment"],
        }

    @rx.var
    def messages(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            tickets.message_row(m, loc) | {"id": str(m["id"]), "file": m.get("attachment_name", "")}
            for m in (self.ticket.get("messages", []) if self.ticket else [])
        ]


# -- the list page -------------------------------------------------------------------------------


def _new_ticket() -> rx.Component:
    e = SupportState.errors
    return form_card(
        rx.heading(tr("support.new"), size="4", as_="h2"),
        rx.text(tr("support.new_hint"), size="2", color=rx.color("gray", 11)),
        rx.cond(
            SupportState.rating_note != "",
            rx.callout(SupportState.rating_note, icon="star", id="rating-note", width="100%"),
        ),
        rx.cond(
            SupportState.speed_note != "",
            rx.callout(SupportState.speed_note, icon="gauge", id="speed-note", width="100%"),
        ),
        static_choice(
            [(c, f"support.category.{c}") for c in ticketing.CATEGORIES],
            SupportState.new_category,
            lambda v: SupportState.set_new("category", v),
            "support-category",
            "support.category",
        ),
        *tickets.subject_body_fields(e, "support-subject", "support-body"),
        rx.cond(
            SupportState.sim_options.length() > 0,
            choice(
                SupportState.new_sim_options,
                SupportState.new_sim,
                lambda v: SupportState.set_new("sim", v),
                "support-sim",
                "support.sim",
            ),
        ),
        file_picker(SupportState, UPLOAD_ID),
        error_banner(e["category"], "support-category-error"),
        error_banner(e["sim"], "support-sim-error"),
        rx.button(
            rx.icon("send", size=16), tr("support.send"), type="submit", size="3", id="support-send"
        ),
        on_submit=SupportState.submit,
    )


STATUS_OPTIONS = [(ALL, "support.all")] + [(x, f"support.status.{x}") for x in ticketing.STATUSES]
CATEGORY_OPTIONS = [(ALL, "support.all")] + [
    (c, f"support.category.{c}") for c in ticketing.CATEGORIES
]
FIELDS = [
    FilterField("status", "support.filter_status", options=STATUS_OPTIONS),
    FilterField("category", "support.filter_category", options=CATEGORY_OPTIONS),
]
SORTS = [
    ("updated_at", "support.col.updated"),
    ("created_at", "own_lists.tickets.created"),
    ("status", "support.col.status"),
]


def _ticket_list() -> rx.Component:
    """The list column: the shared filter card and advanced search, the own tickets as the
    cabinet's ticket cards (or the empty note), the shared pager."""
    s = SupportState
    return rx.vstack(
        rx.heading(tr("support.list"), size="4", as_="h2", id="support-list-title"),
        filter_card(s, FIELDS, SORTS, "own_lists.tickets.search"),
        advanced_panel(s),
        rx.cond(
            s.rows.length() > 0,
            rx.vstack(
                rx.foreach(s.rows, tickets.ticket_card),
                spacing="2",
                width="100%",
                id="support-tickets",
            ),
            rx.text(tr("support.empty"), color=rx.color("gray", 11), id="support-empty"),
        ),
        list_pager(s, "support-pager"),
        spacing="3",
        width="100%",
        min_width="0",
    )


def support_page() -> rx.Component:
    # one column at every width: the shared filter card needs the page's width (beside the
    # form its selects and buttons had half of it), the new ticket's form follows the list
    return shell(
        "cabinet",
        rx.vstack(
            _ticket_list(),
            rx.box(_new_ticket(), width="100%", max_width="760px"),
            spacing="5",
            width="100%",
        ),
        title_key="support.title",
    )


# -- the thread page -----------------------------------------------------------------------------


def _message(m: rx.Var) -> rx.Component:
    return tickets.message_bubble(
        m,
        rx.cond(
            m["file"] != "",
            rx.button(
                rx.icon("paperclip", size=14),
                m["file"],
                size="1",
                variant="soft",
                on_click=TicketState.download(m["id"]),
                class_name="attachment",
                margin_top="0.4em",
            ),
        ),
    )


def _close_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("circle-check", size=16),
                tr("support.close"),
                variant="soft",
                color_scheme="gray",
                size="3",
                id="close-ticket",
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("support.close")),
            rx.alert_dialog.description(tr("support.close_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(tr("support.cancel"), variant="soft")),
                rx.alert_dialog.action(
                    rx.button(tr("support.close"), on_click=TicketState.close, id="confirm-close")
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
            max_width="420px",
        ),
    )


def _rating_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("support.rate_title"), size="4", as_="h2"),
                rx.radio_group.root(
                    rx.hstack(
                        *[
                            rx.el.label(
                                rx.hstack(
                                    rx.radio_group.item(value=str(n)),
                                    rx.text(str(n)),
                                    align="center",
                                    spacing="1",
                                ),
                                min_height="32px",
                            )
                            for n in range(1, 6)
                        ],
                        spacing="4",
                        wrap="wrap",
                    ),
                    value=TicketState.rating,
                    on_change=TicketState.set_rating,
                    id="rating",
                ),
                labelled(
                    "rating-comment",
                    tr("support.rate_comment"),
                    rx.text_area(
                        id="rating-comment",
                        name="rating_comment",
                        rows="3",
                        width="100%",
                        max_length=ticketing.RATING_COMMENT_MAX,
                    ),
                ),
                error_banner(TicketState.rate_error, "rate-error"),
                rx.button(
                    rx.icon("star", size=16),
                    tr("support.rate_send"),
                    type="submit",
                    size="3",
                    id="send-rating",
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=TicketState.rate,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        id="rating-card",
    )


def ticket_page() -> rx.Component:
    h = TicketState.head
    thread = rx.vstack(
        rx.vstack(*tickets.ticket_head(h, size="2"), spacing="1", width="100%"),
        tickets.thread_messages(TicketState, _message),
        rx.cond(h["can_rate"] != "", _rating_form()),
        rx.cond(
            h["rated"] != "",
            rx.callout(
                h["rated"], icon="star", color_scheme="green", id="ticket-rated", width="100%"
            ),
        ),
        rx.cond(
            h["can_reply"] != "",
            tickets.reply_form(TicketState, attach=file_picker(TicketState, REPLY_UPLOAD_ID)),
            tickets.closed_note(),
        ),
        rx.cond(h["can_close"] != "", _close_button()),
        spacing="4",
        width="100%",
        max_width="760px",
    )
    return tickets.ticket_page_frame(
        "cabinet", h, thread, "/cabinet/support", "support.thread_title"
    )
