"""Support tickets as the subscriber's cabinet and the partner cabinet both show them: the list
(filters, cards, pager), the thread (header, message bubbles, reply box) and the page frames.
Every piece takes the state class it is bound to, so each cabinet keeps its own state, handlers
and element ids. The plain helpers build the rows the states' computed vars return."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import reflex as rx

from paysim_app.i18n import t
from paysim_app.support import ticketing
from paysim_app.ui.cabinet.state import plain
from paysim_app.ui.components.data_table import pager
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.forms import error_banner, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.pickers import static_choice

ALL = "all"
STATUS_COLOURS = {
    "new": "blue",
    "open": "amber",
    "waiting": "orange",
    "resolved": "green",
    "closed": "gray",
}


def when(iso: str, loc: str) -> str:
    return moment(datetime.fromisoformat(iso), loc) if iso else ""


# -- state helpers (plain Python, called from the states' handlers and vars) ---------------------


def run_list(state, actor, page_size: int) -> None:
    """Fetch one page of the signed-in actor's tickets into `state` (tickets, total, page, pages,
    list_error) with its status/category/search filters. `actor`, the one the caller resolved,
    is the one state._call runs the verb as (the door's answer for this event)."""
    state.list_error = ""
    res = state._call(
        ticketing.list_tickets,
        status="" if state.status_filter == ALL else state.status_filter,
        category="" if state.category_filter == ALL else state.category_filter,
        search=state.search,
        page=state.page,
        page_size=page_size,
    )
    if not res:
        state.tickets, state.total, state.pages = [], 0, 1
        state.list_error = res.error
        return
    found = res.value
    state.tickets = [plain(asdict(r)) for r in found.rows]
    state.total, state.page, state.pages = found.total, found.page, found.pages


def set_list_filter(state, name: str, value: str) -> bool:
    """Set the status or category filter to a known value; True when the list must reload."""
    if name == "status" and (value == ALL or value in ticketing.STATUSES):
        state.status_filter = value
    elif name == "category" and (value == ALL or value in ticketing.CATEGORIES):
        state.category_filter = value
    else:
        return False
    state.page = 1
    return True


def apply_search(state, form: dict | None) -> None:
    if isinstance(form, dict) and "search" in form:
        state.search = str(form["search"])[: ticketing.SEARCH_MAX]
    state.page = 1


def turn_page(state, step: int) -> bool:
    """Move one page back or on; True when the page changed (the list must reload)."""
    target = state.page + (1 if str(step) == "1" else -1)
    if 1 <= target <= state.pages:
        state.page = target
        return True
    return False


def card_rows(tickets: list[dict], loc: str, href_base: str) -> list[dict[str, str]]:
    return [
        {
            "id": str(r["id"]),
            "href": f"{href_base}/{r['id']}",
            "number": t("support.number", loc, id=r["id"]),
            "subject": r["subject"],
            "category": t(f"support.category.{r['category']}", loc),
            "status": t(f"support.status.{r['status']}", loc),
            "colour": STATUS_COLOURS.get(r["status"], "gray"),
            "updated": when(r["updated_at"], loc),
            "sim": phone(r["msisdn"]) if r["msisdn"] else "",
        }
        for r in tickets
    ]


def pager_rows(total: int, page: int, pages: int, loc: str) -> dict[str, str]:
    return {
        "summary": t("support.found", loc, n=total),
        "page": t("support.page", loc, page=page, pages=pages),
    }


def head_row(tk: dict, loc: str) -> dict[str, str]:
    """The thread header's texts common to both cabinets (the ticket must be non-empty)."""
    return {
        "found": "1",
        "number": t("support.number", loc, id=tk["id"]),
        "subject": tk["subject"],
        "category": t(f"support.category.{tk['category']}", loc),
        "status": t(f"support.status.{tk['status']}", loc),
        "colour": STATUS_COLOURS.get(tk["status"], "gray"),
        "sim": t("support.about_sim", loc, number=phone(tk["msisdn"])) if tk["msisdn"] else "",
        "created": when(tk["created_at"], loc),
    }


def message_row(m: dict, loc: str) -> dict[str, str]:
    return {
        "mine": "1" if m["mine"] else "",
        "who": t("support.me" if m["mine"] else "support.agent", loc),
        "body": m["body"],
        "when": when(m["created_at"], loc),
    }


# -- the list page -------------------------------------------------------------------------------


def ticket_card(r: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(r["number"], size="1", color=rx.color("gray", 11)),
                    rx.badge(
                        r["status"],
                        color_scheme=r["colour"],
                        variant="soft",
                        high_contrast=True,
                        class_name="ticket-status",
                    ),
                    justify="between",
                    align="center",
                    width="100%",
                ),
                rx.text(
                    r["subject"],
                    weight="bold",
                    size="3",
                    class_name="ticket-subject",
                    overflow_wrap="anywhere",
                ),
                rx.hstack(
                    rx.text(r["category"], size="2"),
                    rx.cond(
                        r["sim"] != "", rx.text(r["sim"], size="2", color=rx.color("gray", 11))
                    ),
                    rx.spacer(),
                    rx.text(r["updated"], size="1", color=rx.color("gray", 11)),
                    width="100%",
                    wrap="wrap",
                    spacing="2",
                    align="center",
                ),
                spacing="1",
                width="100%",
            ),
            width="100%",
            size="1",
        ),
        href=r["href"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="ticket-card",
    )


def ticket_filters(state, search_id: str, find_id: str = "") -> rx.Component:
    """Status and topic selects and the subject search form of `state`'s list."""
    statuses = [(ALL, "support.all")] + [(x, f"support.status.{x}") for x in ticketing.STATUSES]
    categories = [(ALL, "support.all")] + [
        (c, f"support.category.{c}") for c in ticketing.CATEGORIES
    ]
    find_props = {"id": find_id} if find_id else {}
    return rx.vstack(
        rx.grid(
            static_choice(
                statuses,
                state.status_filter,
                lambda v: state.set_filter("status", v),
                "filter-status",
                "support.filter_status",
            ),
            static_choice(
                categories,
                state.category_filter,
                lambda v: state.set_filter("category", v),
                "filter-category",
                "support.filter_category",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.form(
            labelled(
                search_id,
                tr("support.search"),
                rx.hstack(
                    rx.input(
                        id=search_id,
                        name="search",
                        size="3",
                        flex="1",
                        max_length=ticketing.SEARCH_MAX,
                        type="search",
                    ),
                    rx.button(
                        rx.icon("search", size=16),
                        tr("support.find"),
                        size="3",
                        type="submit",
                        **find_props,
                    ),
                    width="100%",
                ),
            ),
            on_submit=state.apply,
            reset_on_submit=False,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def subject_body_fields(errors, subject_id: str, body_id: str) -> tuple[rx.Component, ...]:
    """The new ticket's subject input and message text area with their errors."""
    return (
        labelled(
            subject_id,
            tr("support.subject"),
            rx.input(
                id=subject_id,
                name="subject",
                size="3",
                width="100%",
                max_length=ticketing.SUBJECT_MAX,
                aria_invalid=invalid(errors["subject"]),
            ),
            errors["subject"],
        ),
        labelled(
            body_id,
            tr("support.body"),
            rx.text_area(
                id=body_id,
                name="body",
                rows="5",
                width="100%",
                max_length=ticketing.BODY_MAX,
                aria_invalid=invalid(errors["body"]),
            ),
            errors["body"],
        ),
    )


def ticket_list_page(
    area: str,
    state,
    filters: rx.Component,
    new_ticket: rx.Component,
    title_key: str,
    heading_id: str = "",
) -> rx.Component:
    """The list column (heading, filters, cards or the empty note, pager) beside the new ticket
    form, in the `area`'s shell."""
    p = state.pager_text
    heading_props = {"id": heading_id} if heading_id else {}
    return shell(
        area,
        rx.grid(
            rx.vstack(
                rx.heading(tr("support.list"), size="4", as_="h2", **heading_props),
                filters,
                error_banner(state.list_error, "support-list-error"),
                rx.cond(
                    state.ticket_cards.length() > 0,
                    rx.vstack(
                        rx.foreach(state.ticket_cards, ticket_card),
                        spacing="2",
                        width="100%",
                        id="support-tickets",
                    ),
                    rx.text(tr("support.empty"), color=rx.color("gray", 11), id="support-empty"),
                ),
                pager(
                    p["summary"],
                    p["page"],
                    state.page > 1,
                    state.page < state.pages,
                    state.turn(-1),
                    state.turn(1),
                    "support-pager",
                ),
                spacing="3",
                width="100%",
                min_width="0",
            ),
            new_ticket,
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="5",
            width="100%",
            align="start",
        ),
        title_key=title_key,
    )


# -- the thread page -----------------------------------------------------------------------------


def message_bubble(m: rx.Var, *extra: rx.Component) -> rx.Component:
    """One message, the own ones on the right; `extra` goes under the text (an attachment)."""
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
            *extra,
            background_color=rx.cond(mine, rx.color("accent", 3), rx.color("gray", 3)),
            border_radius="12px",
            padding="0.6em 0.9em",
            max_width="min(560px, 90%)",
            class_name=rx.cond(mine, "ticket-message mine", "ticket-message"),
        ),
        justify=rx.cond(mine, "end", "start"),
        width="100%",
    )


def reply_form(
    state, *more_buttons: rx.Component, attach: rx.Component | None = None
) -> rx.Component:
    """The reply text area, a file picker when `attach` is given, and the send button (beside
    `more_buttons` when given)."""
    send = rx.button(
        rx.icon("send", size=16),
        tr("support.reply"),
        type="submit",
        size="3",
        id="send-reply",
    )
    buttons = rx.flex(send, *more_buttons, spacing="3", wrap="wrap") if more_buttons else send
    return rx.form(
        rx.vstack(
            rx.text_area(
                id="reply",
                name="reply",
                rows="4",
                width="100%",
                placeholder=tr("support.reply_placeholder"),
                max_length=ticketing.BODY_MAX,
                aria_invalid=invalid(state.reply_error),
            ),
            error_banner(state.reply_error, "reply-error"),
            attach if attach is not None else rx.fragment(),
            buttons,
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=state.reply,
        reset_on_submit=False,
        width="100%",
    )


def ticket_head(h, **badge_props) -> tuple[rx.Component, ...]:
    """Number and status badge, subject, topic/SIM/created line of the thread."""
    return (
        rx.hstack(
            rx.text(h["number"], size="2", color=rx.color("gray", 11), id="ticket-number"),
            rx.badge(
                h["status"],
                color_scheme=h["colour"],
                variant="soft",
                high_contrast=True,  # amber and orange text on their tint fail WCAG AA (axe)
                **badge_props,
                id="ticket-status",
            ),
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
    )


def thread_messages(state, bubble) -> rx.Component:
    return rx.vstack(
        rx.foreach(state.messages, bubble),
        spacing="2",
        width="100%",
        id="ticket-thread",
    )


def closed_note() -> rx.Component:
    return rx.callout(tr("support.closed_note"), icon="lock", id="ticket-closed", width="100%")


def ticket_page_frame(
    area: str, h, thread: rx.Component, back_href: str, title_key: str
) -> rx.Component:
    """The back link above the thread, or the not-found note, in the `area`'s shell."""
    return shell(
        area,
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), tr("support.back"), align="center"),
                href=back_href,
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
        title_key=title_key,
    )
