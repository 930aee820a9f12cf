"""/partner/support: the partner's tickets (shared by its users) with status, topic and subject
filters and pages, and the form of a new ticket; /partner/support/[ticket_id]: the thread with a
reply box and the close button. The same services as the subscriber's pages
(services.support checks that the ticket is the partner's own) and the same ticket card."""

from __future__ import annotations

from dataclasses import asdict

import reflex as rx

from paysim_app.db import session_scope
from paysim_app.i18n import t
from paysim_app.services import support
from paysim_app.services.errors import DomainError, ValidationError
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.cabinet.state import browser_id, plain
from paysim_app.ui.cabinet.support import ALL, STATUS_COLOURS, _ticket_card, _when
from paysim_app.ui.components.data_table import pager
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.forms import error_banner, form_card, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.pickers import static_choice

PAGE_SIZE = 10
NEW_ERRORS = dict.fromkeys(("category", "subject", "body"), "")
FORM_IDS = ("p-support-subject", "p-support-body", "p-support-search")


class PartnerSupportState(SessionState):
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

    def _run(self, actor) -> None:
        self.list_error = ""
        try:
            with session_scope() as session:
                found = support.list_tickets(
                    session,
                    actor,
                    status="" if self.status_filter == ALL else self.status_filter,
                    category="" if self.category_filter == ALL else self.category_filter,
                    search=self.search,
                    page=self.page,
                    page_size=PAGE_SIZE,
                )
        except DomainError as err:
            self.tickets, self.total, self.pages = [], 0, 1
            self.list_error = self._error(err)
            return
        self.tickets = [plain(asdict(r)) for r in found.rows]
        self.total, self.page, self.pages = found.total, found.page, found.pages

    def _partner(self):
        actor = self._actor()
        return actor if actor is not None and actor.role == "partner" else None

    @rx.event
    def load(self):
        actor, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.status_filter, self.category_filter, self.search, self.page = ALL, ALL, "", 1
        self.new_category, self.errors = "other", NEW_ERRORS
        self._run(actor)
        return None

    @rx.event
    def set_filter(self, name: str, value: str):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        value = str(value)
        if name == "status" and (value == ALL or value in support.STATUSES):
            self.status_filter = value
        elif name == "category" and (value == ALL or value in support.CATEGORIES):
            self.category_filter = value
        else:
            return None
        self.page = 1
        self._run(actor)
        return None

    @rx.event
    def apply(self, form: dict | None = None):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        if isinstance(form, dict) and "search" in form:
            self.search = str(form["search"])[: support.SEARCH_MAX]
        self.page = 1
        self._run(actor)
        return None

    @rx.event
    def turn(self, step: int):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        target = self.page + (1 if str(step) == "1" else -1)
        if 1 <= target <= self.pages:
            self.page = target
            self._run(actor)
        return None

    @rx.event
    def set_category(self, value: str):
        if str(value) in support.CATEGORIES:
            self.new_category = str(value)

    @rx.event
    def submit(self, form: dict):
        actor = self._partner()
        if actor is None:
            return rx.redirect("/login")
        self.errors = NEW_ERRORS
        form = form if isinstance(form, dict) else {}
        try:
            with session_scope() as session:
                support.open_ticket(
                    session,
                    actor,
                    self.new_category,
                    form.get("subject", ""),
                    form.get("body", ""),
                )
        except ValidationError as err:
            field = err.field if err.field in NEW_ERRORS else "body"
            self.errors = {**NEW_ERRORS, field: self._error(err)}
            return None
        except DomainError as err:
            return rx.toast.error(self._error(err))
        self.new_category = "other"
        self.status_filter, self.category_filter, self.search, self.page = ALL, ALL, "", 1
        self._run(actor)
        return [
            *[rx.set_value(id_, "") for id_ in FORM_IDS],
            rx.toast.success(self._t("support.opened")),
        ]

    @rx.var
    def ticket_cards(self) -> list[dict[str, str]]:
        loc = self.locale
        return [
            {
                "id": str(r["id"]),
                "href": f"/partner/support/{r['id']}",
                "number": t("support.number", loc, id=r["id"]),
                "subject": r["subject"],
                "category": t(f"support.category.{r['category']}", loc),
                "status": t(f"support.status.{r['status']}", loc),
                "colour": STATUS_COLOURS.get(r["status"], "gray"),
                "updated": _when(r["updated_at"], loc),
                "sim": phone(r["msisdn"]) if r["msisdn"] else "",
            }
            for r in self.tickets
        ]

    @rx.var
    def pager_text(self) -> dict[str, str]:
        loc = self.locale
        return {
            "summary": t("support.found", loc, n=self.total),
            "page": t("support.page", loc, page=self.page, pages=self.pages),
        }


class PartnerTicketState(SessionState):
    ticket: dict = {}
    reply_error: str = ""

    def _show(self, actor, ticket_id: int) -> None:
        try:
            with session_scope() as session:
                self.ticket = plain(asdict(support.ticket_thread(session, actor, ticket_id)))
        except DomainError:
            self.ticket = {}

    def _act(self, operation, done_key: str):
        actor = self._actor()
        if actor is None or actor.role != "partner":
            return rx.redirect("/login")
        ticket_id = self.ticket.get("id", -1) if self.ticket else -1
        self.reply_error = ""
        try:
            with session_scope() as session:
                operation(session, actor, ticket_id)
        except ValidationError as err:
            self.reply_error = self._error(err)
            return None
        except DomainError as err:
            self._show(actor, ticket_id)
            return rx.toast.error(self._error(err))
        self._show(actor, ticket_id)
        return rx.toast.success(self._t(done_key))

    @rx.event
    def load(self):
        actor, redirect = self._gate("partner")
        if redirect:
            return redirect
        self.reply_error = ""
        path = str(self.router.url.path or "").rstrip("/")
        self._show(actor, browser_id(path.rsplit("/", 1)[-1]))
        return None

    @rx.event
    def reply(self, form: dict):
        body = form.get("reply", "") if isinstance(form, dict) else ""
        result = self._act(lambda s, a, tid: support.reply(s, a, tid, body), "support.replied")
        if self.reply_error:
            return result
        return [rx.set_value("reply", ""), result]

    @rx.event
    def close(self):
        return self._act(support.close_ticket, "support.closed")

    @rx.var
    def head(self) -> dict[str, str]:
        tk, loc = self.ticket, self.locale
        if not tk:
            return dict.fromkeys(
                ("found", "number", "subject", "category", "status", "sim", "created", "open"), ""
            ) | {"colour": "gray"}
        return {
            "found": "1",
            "number": t("support.number", loc, id=tk["id"]),
            "subject": tk["subject"],
            "category": t(f"support.category.{tk['category']}", loc),
            "status": t(f"support.status.{tk['status']}", loc),
            "colour": STATUS_COLOURS.get(tk["status"], "gray"),
            "sim": t("support.about_sim", loc, number=phone(tk["msisdn"])) if tk["msisdn"] else "",
            "created": _when(tk["created_at"], loc),
            "open": "1" if tk["can_reply"] else "",
        }

    @rx.var
    def messages(self) -> list[dict[str, str]]:
        loc = self.locale
        return [
            {
                "mine": "1" if m["mine"] else "",
                "who": t("support.me" if m["mine"] else "support.agent", loc),
                "body": m["body"],
                "when": _when(m["created_at"], loc),
            }
            for m in (self.ticket.get("messages", []) if self.ticket else [])
        ]


# -- the list page -------------------------------------------------------------------------------


def _filters() -> rx.Component:
    s = PartnerSupportState
    statuses = [(ALL, "support.all")] + [(x, f"support.status.{x}") for x in support.STATUSES]
    categories = [(ALL, "support.all")] + [(c, f"support.category.{c}") for c in support.CATEGORIES]
    return rx.vstack(
        rx.grid(
            static_choice(
                statuses,
                s.status_filter,
                lambda v: s.set_filter("status", v),
                "filter-status",
                "support.filter_status",
            ),
            static_choice(
                categories,
                s.category_filter,
                lambda v: s.set_filter("category", v),
                "filter-category",
                "support.filter_category",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.form(
            labelled(
                "p-support-search",
                tr("support.search"),
                rx.hstack(
                    rx.input(
                        id="p-support-search",
                        name="search",
                        size="3",
                        flex="1",
                        max_length=support.SEARCH_MAX,
                        type="search",
                    ),
                    rx.button(
                        rx.icon("search", size=16), tr("support.find"), size="3", type="submit"
                    ),
                    width="100%",
                ),
            ),
            on_submit=s.apply,
            reset_on_submit=False,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _new_ticket() -> rx.Component:
    s = PartnerSupportState
    e = s.errors
    return form_card(
        rx.heading(tr("support.new"), size="4", as_="h2"),
        static_choice(
            [(c, f"support.category.{c}") for c in support.CATEGORIES],
            s.new_category,
            s.set_category,
            "p-support-category",
            "support.category",
        ),
        labelled(
            "p-support-subject",
            tr("support.subject"),
            rx.input(
                id="p-support-subject",
                name="subject",
                size="3",
                width="100%",
                max_length=support.SUBJECT_MAX,
                aria_invalid=invalid(e["subject"]),
            ),
            e["subject"],
        ),
        labelled(
            "p-support-body",
            tr("support.body"),
            rx.text_area(
                id="p-support-body",
                name="body",
                rows="5",
                width="100%",
                max_length=support.BODY_MAX,
                aria_invalid=invalid(e["body"]),
            ),
            e["body"],
        ),
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
    s = PartnerSupportState
    p = s.pager_text
    return shell(
        "partner",
        rx.grid(
            rx.vstack(
                rx.heading(tr("support.list"), size="4", as_="h2"),
                _filters(),
                error_banner(s.list_error, "support-list-error"),
                rx.cond(
                    s.ticket_cards.length() > 0,
                    rx.vstack(
                        rx.foreach(s.ticket_cards, _ticket_card),
                        spacing="2",
                        width="100%",
                        id="support-tickets",
                    ),
                    rx.text(tr("support.empty"), color=rx.color("gray", 11), id="support-empty"),
                ),
                pager(
                    p["summary"],
                    p["page"],
                    s.page > 1,
                    s.page < s.pages,
                    s.turn(-1),
                    s.turn(1),
                    "support-pager",
                ),
                spacing="3",
                width="100%",
                min_width="0",
            ),
            _new_ticket(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="5",
            width="100%",
            align="start",
        ),
        title_key="partner_money.support_title",
    )


# -- the thread page -----------------------------------------------------------------------------


def _message(m: rx.Var) -> rx.Component:
    mine = m["mine"] != ""
    return rx.flex(
        rx.box(
            rx.hstack(
                rx.text(m["who"], size="1", weight="bold"),
                rx.text(m["when"], size="1", color=rx.color("gray", 11)),
                spacing="2",
                wrap="wrap",
            ),
            rx.text(m["body"], size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
            background_color=rx.cond(mine, rx.color("accent", 3), rx.color("gray", 3)),
            border_radius="12px",
            padding="0.6em 0.9em",
            max_width="min(560px, 90%)",
            class_name=rx.cond(mine, "ticket-message mine", "ticket-message"),
        ),
        justify=rx.cond(mine, "end", "start"),
        width="100%",
    )


def _reply_box() -> rx.Component:
    s = PartnerTicketState
    return rx.form(
        rx.vstack(
            rx.text_area(
                id="reply",
                name="reply",
                rows="4",
                width="100%",
                placeholder=tr("support.reply_placeholder"),
                max_length=support.BODY_MAX,
                aria_invalid=invalid(s.reply_error),
            ),
            error_banner(s.reply_error, "reply-error"),
            rx.flex(
                rx.button(
                    rx.icon("send", size=16),
                    tr("support.reply"),
                    type="submit",
                    size="3",
                    id="send-reply",
                ),
                rx.button(
                    rx.icon("circle-check", size=16),
                    tr("support.close"),
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                    type="button",
                    on_click=s.close,
                    id="close-ticket",
                ),
                gap="3",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=s.reply,
        reset_on_submit=False,
        width="100%",
    )


def partner_ticket_page() -> rx.Component:
    s = PartnerTicketState
    h = s.head
    thread = rx.vstack(
        rx.hstack(
            rx.text(h["number"], size="2", color=rx.color("gray", 11), id="ticket-number"),
            rx.badge(h["status"], color_scheme=h["colour"], variant="soft", id="ticket-status"),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.heading(h["subject"], size="5", as_="h2", id="ticket-subject", overflow_wrap="anywhere"),
        rx.hstack(
            rx.text(h["category"], size="2"),
            rx.cond(h["sim"] != "", rx.text(h["sim"], size="2", color=rx.color("gray", 11))),
            rx.text(h["created"], size="2", color=rx.color("gray", 11)),
            spacing="3",
            wrap="wrap",
        ),
        rx.vstack(rx.foreach(s.messages, _message), spacing="2", width="100%", id="ticket-thread"),
        rx.cond(
            h["open"] != "",
            _reply_box(),
            rx.callout(tr("support.closed_note"), icon="lock", id="ticket-closed", width="100%"),
        ),
        spacing="3",
        width="100%",
        max_width="760px",
    )
    return shell(
        "partner",
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), tr("support.back"), align="center"),
                href="/partner/support",
                id="support-back",
            ),
            rx.cond(
                h["found"] != "",
                thread,
                rx.callout(tr("support.not_found"), icon="info", id="ticket-not-found"),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="partner_money.thread_title",
    )
