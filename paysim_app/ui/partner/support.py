"""/partner/support: the partner's tickets (shared by its users) with status, topic and subject
filters and pages, and the form of a new ticket; /partner/support/[ticket_id]: the thread with a
reply box and the close button. The same services as the subscriber's pages
(support.ticketing checks that the ticket is the partner's own) and the same ticket card."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from paysim_app.support import ticketing
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.cabinet.state import plain
from paysim_app.ui.components import tickets
from paysim_app.ui.components.forms import error_banner, form_card
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id
from paysim_app.ui.components.pickers import static_choice
from paysim_app.ui.components.tickets import ALL

PAGE_SIZE = 10
NEW_ERRORS = dict.fromkeys(("category", "subject", "body"), "")
FORM_IDS = ("p-support-subject", "p-support-body", "p-support-search")


class PartnerSupportState(LocaleView, SessionState):
    status_filter: str = ALL
    category_filter: str = ALL
    search: str = ""
    page: int = 1
    total: int = 0
    pages: int = 1
    tickets: list[dict] = []
    list_error: str = ""
    new_category: str = "other"
    errors: dict[str, str] = NEW_ERRORS

    def _partner(self):
        actor = self._actor()
        return actor if actor is not None and actor.role == "partner" else None

    @access("partner")
    @rx.event
    def load(self):
        actor, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.status_filter, self.category_filter, self.search, self.page = ALL, ALL, "", 1
        self.new_category, self.errors = "other", NEW_ERRORS
        tickets.run_list(self, actor, PAGE_SIZE)
        return None

    @access("partner")
    @rx.event
    def set_filter(self, name: str, value: str):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        if tickets.set_list_filter(self, name, str(value)):
            tickets.run_list(self, actor, PAGE_SIZE)
        return None

    @access("partner")
    @rx.event
    def apply(self, form: dict | None = None):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        tickets.apply_search(self, form)
        tickets.run_list(self, actor, PAGE_SIZE)
        return None

    @access("partner")
    @rx.event
    def turn(self, step: int):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        if tickets.turn_page(self, step):
            tickets.run_list(self, actor, PAGE_SIZE)
        return None

    @access("partner")
    @rx.event
    def set_category(self, value: str):
        if str(value) in ticketing.CATEGORIES:
            self.new_category = str(value)

    @access("partner")
    @rx.event
    def submit(self, form: dict):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        self.errors = NEW_ERRORS
        form = form if isinstance(form, dict) else {}
        res = self._call(
            ticketing.open_ticket, self.new_category, form.get("subject", ""), form.get("body", "")
        )
        if res.field:  # a value of the form (open_ticket names the field of every one)
            field = res.field if res.field in NEW_ERRORS else "body"
            self.errors = {**NEW_ERRORS, field: res.error}
            return None
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self.new_category = "other"
        self.status_filter, self.category_filter, self.search, self.page = ALL, ALL, "", 1
        tickets.run_list(self, actor, PAGE_SIZE)
        return [
            *[rx.set_value(id_, "") for id_ in FORM_IDS],
            rx.toast.success(self._t("support.opened")),
        ]

    @rx.var
    def ticket_cards(self) -> list[dict[str, str]]:
        return tickets.card_rows(self.tickets, self.view_locale, "/partner/support")

    @rx.var
    def pager_text(self) -> dict[str, str]:
        return tickets.pager_rows(self.total, self.page, self.pages, self.view_locale)


class PartnerTicketState(LocaleView, SessionState):
    ticket: dict = {}
    reply_error: str = ""

    def _show(self, ticket_id: int) -> None:
        res = self._call(ticketing.ticket_thread, ticket_id)
        self.ticket = plain(asdict(res.value)) if res else {}

    def _on_ticket(self, done_key: str, verb, *args):
        """One action on the open ticket through _call, then the thread again. A refused value
        of the reply box (a ValidationError names its field) stays beside the box; any other
        refusal is a toast over the thread as it now is."""
        actor = self._actor()
        if actor is None or actor.role != "partner":
            return rx.redirect("/login")
        ticket_id = self.ticket.get("id", -1) if self.ticket else -1
        self.reply_error = ""
        res = self._call(verb, ticket_id, *args)
        if res.field:
            self.reply_error = res.error
            return None
        if res.redirect is not None:
            return res.redirect
        self._show(ticket_id)
        if not res:
            return rx.toast.error(res.error)
        return rx.toast.success(self._t(done_key))

    @access("partner")
    @rx.event
    def load(self):
        _, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.reply_error = ""
        path = str(self.router.url.path or "").rstrip("/")
        self._show(browser_id(path.rsplit("/", 1)[-1]))
        return None

    @access("partner")
    @rx.event
    def reply(self, form: dict):
        body = form.get("reply", "") if isinstance(form, dict) else ""
        result = self._on_ticket("support.replied", ticketing.reply, body)
        if self.reply_error:
            return result
        return [rx.set_value("reply", ""), result]

    @access("partner")
    @rx.event
    def close(self):
        return self._on_ticket("support.closed", ticketing.close_ticket)

    @rx.var
    def head(self) -> dict[str, str]:
        tk, loc = self.ticket, self.view_locale
        if not tk:
            return dict.fromkeys(
                ("found", "number", "subject", "category", "status", "sim", "created", "open"), ""
            ) | {"colour": "gray"}
        return tickets.head_row(tk, loc) | {"open": "1" if tk["can_reply"] else ""}

    @rx.var
    def messages(self) -> list[dict[str, str]]:
        loc = self.view_locale
        return [
            tickets.message_row(m, loc)
            for m in (self.ticket.get("messages", []) if self.ticket else [])
        ]


# -- the list page -------------------------------------------------------------------------------


def _new_ticket() -> rx.Component:
    s = PartnerSupportState
    e = s.errors
    return form_card(
        rx.heading(tr("support.new"), size="4", as_="h2"),
        static_choice(
            [(c, f"support.category.{c}") for c in ticketing.CATEGORIES],
            s.new_category,
            s.set_category,
            "p-support-category",
            "support.category",
        ),
        *tickets.subject_body_fields(e, "p-support-subject", "p-support-body"),
        error_banner(e["category"], "p-support-category-error"),
        rx.button(
            rx.icon("send", size=16),
            tr("support.send"),
            type="submit",
            size="3",
            id="p-support-send",
        ),
        on_submit=s.submit,
    )


def partner_support_page() -> rx.Component:
    return tickets.ticket_list_page(
        "partner",
        PartnerSupportState,
        tickets.ticket_filters(PartnerSupportState, "p-support-search"),
        _new_ticket(),
        "partner_money.support_title",
    )


# -- the thread page -----------------------------------------------------------------------------


def partner_ticket_page() -> rx.Component:
    s = PartnerTicketState
    h = s.head
    close = rx.button(
        rx.icon("circle-check", size=16),
        tr("support.close"),
        variant="soft",
        color_scheme="gray",
        size="3",
        type="button",
        on_click=s.close,
        id="close-ticket",
    )
    thread = rx.vstack(
        *tickets.ticket_head(h),
        tickets.thread_messages(s, tickets.message_bubble),
        rx.cond(h["open"] != "", tickets.reply_form(s, close), tickets.closed_note()),
        spacing="3",
        width="100%",
        max_width="760px",
    )
    return tickets.ticket_page_frame(
        "partner", h, thread, "/partner/support", "partner_money.thread_title"
    )
