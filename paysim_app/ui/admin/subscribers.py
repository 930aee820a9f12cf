"""/admin/subscribers: every contract (a declaration over the one list machinery);
/admin/subscribers/[subscriber_id]: one contract's card: personal data, notes, SIMs, the last
payments, open tickets and requests, and the actions (deactivate / reactivate, reset link,
balance correction). Reading needs subscribers.view; the actions need subscribers.edit (the
services check it; the page only hides what the role cannot do)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.core import form_keys
from paysim_app.core.listing import NONE, parse_amount_kop
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.overview import people_lists
from paysim_app.subscribers import CONTRACT_STATUSES, contracts
from paysim_app.ui.access import access
from paysim_app.ui.admin.contract_desk import put_sims_block
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.advanced_search import related_links
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.detail import call_on_record, form_input, info_text
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id, optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice, static_choice

STATUS_COLOURS = {"active": "green", "inactive": "gray"}
SIM_COLOURS = {
    "in_stock": "gray",
    "awaiting_activation": "amber",
    "active": "green",
    "suspended": "orange",
    "blocked": "red",
    "deactivated": "gray",
}
TICKET_COLOURS = {"new": "blue", "open": "amber", "waiting": "gray"}
CAN_EDIT = SessionState.permissions.contains("subscribers.edit")


class AdminSubscribersState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:subscribers.view"
    partner_options: list[dict[str, str]] = []

    def _spec(self):
        return people_lists.SUBSCRIBER_LIST

    def _prepare(self, actor: Actor) -> None:
        partners = self._call(people_lists.partner_choices).value or []
        loc = self.locale
        self.partner_options = [
            {"value": ALL, "label": t("list.any", loc)},
            {"value": NONE, "label": t("people_ui.sub.no_partner", loc)},
        ] + [{"value": c.value, "label": c.label} for c in partners]

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        balance = int(row["balance_kop"] or 0)
        return {
            "contract": row["contract_no"],
            "href": f"/admin/subscribers/{row['id']}",
            "name": row["full_name"] or "—",
            "email": row["email"] or "",
            "phone": phone(row["phone"]) if row["phone"] else "—",
            "status": t(f"admin_subscribers.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "sims": str(row["sim_count"] or 0),
            "balance": money(balance, loc),
            "tone": "neg" if balance < 0 else "",
            "partner": row["partner_name"] or "—",
            "created": moment(row["created_at"], loc),
        }

    @access("admin:subscribers.view")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("contract", "admin_subscribers.col.contract_no", mono=True, link="href"),
    Column("name", "admin_subscribers.col.full_name", hint="email"),
    Column("phone", "admin_subscribers.col.phone", mono=True),
    Column("status", "admin_subscribers.col.status", badge="colour"),
    Column("sims", "admin_subscribers.col.sim_count", align="right"),
    Column("balance", "admin_subscribers.col.balance", align="right", tone="tone"),
    Column("partner", "admin_subscribers.col.partner"),
    Column("created", "admin_subscribers.col.created", mono=True),
]
FIELDS = [
    FilterField(
        "status",
        "admin_subscribers.col.status",
        options=[(ALL, "list.any")]
        + [(s, f"admin_subscribers.status.{s}") for s in CONTRACT_STATUSES],
    ),
    FilterField("partner", "admin_subscribers.col.partner", dynamic="partner_options"),
    FilterField("created_from", "people_ui.created_from", "date"),
    FilterField("created_to", "people_ui.created_to", "date"),
]
SORTS = [
    ("created_at", "admin_subscribers.col.created"),
    ("contract_no", "admin_subscribers.col.contract_no"),
    ("full_name", "admin_subscribers.col.full_name"),
    ("balance", "admin_subscribers.col.balance"),
    ("sim_count", "admin_subscribers.col.sim_count"),
    ("status", "admin_subscribers.col.status"),
]


def subscribers_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            rx.cond(
                CAN_EDIT,
                rx.link(
                    rx.button(rx.icon("plus", size=16), tr("contract_desk.open"), size="2"),
                    href="/admin/subscribers/new",
                    id="new-contract",
                ),
            ),
            list_view(
                AdminSubscribersState,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="admin-subscribers",
                search_key="people_ui.sub.search",
            ),
            spacing="3",
            width="100%",
        ),
        title_key="admin_subscribers.title",
    )


# -- one contract -------------------------------------------------------------------------------
FORM_FIELDS = ("full_name", "email", "phone", "address", "document_no")
CORRECTION_FIELDS = ("sim", "sign", "amount", "comment")
EMPTY_CORRECTION = {"sim": "", "sign": "credit", "amount": "", "comment": ""}


class AdminSubscriberState(SessionState):
    sub: dict[str, str] = {}
    form: dict[str, str] = dict.fromkeys(FORM_FIELDS, "")
    notes: str = ""
    sims: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []
    tickets: list[dict[str, str]] = []
    requests: list[dict[str, str]] = []
    sim_options: list[dict[str, str]] = []
    correction: dict[str, str] = EMPTY_CORRECTION
    # the open correction form's key, sent with it: the same form posted twice corrects once
    correction_key: str = ""
    form_error: str = ""
    field: str = ""
    notes_error: str = ""
    action_error: str = ""
    correction_error: str = ""
    confirm_deactivate: bool = False
    deactivate_comment: str = ""

    def _subscriber_id(self) -> int | None:
        raw = self.router.page.params.get("subscriber_id", "")
        return optional_id(raw)

    def _show(self, subscriber_id: int) -> bool:
        """The card again; False when it cannot be shown (gone, or nobody signed in)."""
        res = self._call(contracts.subscriber_detail, subscriber_id)
        if not res:
            return False
        d, loc = res.value, self.locale
        self.sub = {
            "id": str(d.id),
            "contract_no": d.contract_no,
            "title": f"{d.contract_no} · {d.full_name or '—'}",
            "status": d.status,
            "status_text": t(f"admin_subscribers.status.{d.status}", loc),
            "colour": STATUS_COLOURS.get(d.status, "gray"),
            "balance": money(d.total_balance_kop, loc),
            "partner": d.partner_name or "—",
            "login": d.login or "—",
            "account": t(
                "people_ui.sub.account_on" if d.account_active else "people_ui.sub.account_off", loc
            ),
            "last_login": moment(d.last_login_at, loc) if d.last_login_at else "—",
            "created": moment(d.created_at, loc),
            "document": t(f"contract_desk.doc.{d.document_type}", loc) if d.document_type else "—",
            "has_account": "1" if d.user_id is not None else "",
        }
        self.form = {
            "full_name": d.full_name,
            "email": d.email,
            "phone": d.phone,
            "address": d.address,
            "document_no": d.document_no,
        }
        self.notes = d.notes
        self.sims = [
            {
                "msisdn": phone(s.msisdn),
                "href": f"/admin/sims/{s.id}",
                "iccid": s.iccid,
                "status": t(f"sim.status.{s.status}", loc),
                "colour": SIM_COLOURS.get(s.status, "gray"),
                "balance": money(s.balance_kop, loc),
                "tone": "neg" if s.balance_kop < 0 else "",
                "tariff": s.tariff_name or "—",
                "autopay": t("people_ui.yes" if s.autopay_enabled else "people_ui.no", loc),
            }
            for s in d.sims
        ]
        self.sim_options = [
            {"value": str(s.id), "label": f"{phone(s.msisdn)} · {money(s.balance_kop, loc)}"}
            for s in d.sims
        ]
        if self.correction.get("sim") not in {o["value"] for o in self.sim_options}:
            first = self.sim_options[0]["value"] if self.sim_options else ""
            self._open_correction(first)
        self.payments = [
            {
                "at": moment(p.created_at, loc),
                "href": f"/admin/payments/{p.id}",
                "no": f"#{p.id}",
                "sim": phone(p.msisdn),
                "amount": money(p.amount_kop, loc),
                "method": t(f"statement.method.{p.method}", loc),
                "status": t(f"statement.status.{p.status}", loc),
            }
            for p in d.payments
        ]
        self.tickets = [
            {
                "no": f"#{tk.id}",
                "href": f"/admin/support/{tk.id}",
                "subject": tk.subject,
                "status": t(f"admin_support.status.{tk.status}", loc),
                "colour": TICKET_COLOURS.get(tk.status, "gray"),
                "priority": t(f"admin_support.priority.{tk.priority}", loc),
                "updated": moment(tk.updated_at, loc),
            }
            for tk in d.open_tickets
        ]
        self.requests = [
            {
                "kind": t(f"admin_subscribers.request.{r.kind}", loc),
                "sim": phone(r.msisdn),
                "href": f"/admin/sims/{r.sim_id}",
                "at": moment(r.created_at, loc),
            }
            for r in d.open_requests
        ]
        return True

    def _open_correction(self, sim: str = "") -> None:
        """An empty correction form, with a fresh key."""
        self.correction = {**EMPTY_CORRECTION, "sim": sim}
        self.correction_key = form_keys.new_key()

    def _reset_messages(self) -> None:
        self.form_error, self.field, self.notes_error = "", "", ""
        self.action_error, self.correction_error = "", ""

    @access("admin:subscribers.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "subscribers.view")
        if redirect:
            return redirect
        self._reset_messages()
        self.confirm_deactivate, self.deactivate_comment = False, ""
        self._open_correction()
        subscriber_id = self._subscriber_id()
        if subscriber_id is None or not self._show(subscriber_id):
            return rx.redirect("/admin/subscribers")
        return None

    def _on_card(self, verb, *args, **kwargs) -> Outcome:
        """A verb on this contract (see call_on_record)."""
        return call_on_record(self, self._subscriber_id(), verb, *args, **kwargs)

    @access("admin:subscribers.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)[:300]}

    @access("admin:subscribers.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        f = self.form
        res = self._on_card(
            contracts.update_subscriber,
            f["full_name"],
            f["email"],
            f["phone"],
            f["address"],
            f["document_no"],
            error_attr="form_error",
        )
        if res:
            return rx.toast.success(self._t("admin_subscribers.saved"))
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def set_notes(self, value: str):
        self.notes = str(value)[:6000]

    @access("admin:subscribers.edit")
    @rx.event
    def save_notes(self, _form: dict | None = None):
        res = self._on_card(contracts.set_notes, self.notes, error_attr="notes_error")
        if res:
            return rx.toast.success(self._t("people_ui.sub.notes_saved"))
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def ask_deactivate(self, value: bool = True):
        self.confirm_deactivate = bool(value)

    @access("admin:subscribers.edit")
    @rx.event
    def set_deactivate_comment(self, value: str):
        self.deactivate_comment = str(value)[:600]

    @access("admin:subscribers.edit")
    @rx.event
    def deactivate(self):
        comment = self.deactivate_comment
        self.confirm_deactivate = False
        res = self._on_card(contracts.deactivate_subscriber, comment)
        if res:
            self.deactivate_comment = ""
            return rx.toast.success(self._t("admin_subscribers.deactivated"))
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def reactivate(self):
        res = self._on_card(contracts.reactivate_subscriber)
        if res:
            return rx.toast.success(self._t("admin_subscribers.reactivated"))
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def send_reset(self):
        res = self._on_card(contracts.send_password_reset)
        if res:
            return rx.toast.success(self._t("admin_subscribers.reset_sent", to=res.value))
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def set_correction(self, name: str, value: str):
        if name in CORRECTION_FIELDS:
            self.correction = {**self.correction, name: str(value)[:600]}

    @access("admin:subscribers.edit")
    @rx.event
    def correct(self, form: dict | None = None):
        """Post the correction as the form sent it (its values and its key): a second post of
        the same form, even after this page has cleared it, answers as the first one did."""
        sent = form if isinstance(form, dict) else {}
        c = {k: str(sent.get(k, self.correction[k]))[:600] for k in CORRECTION_FIELDS}
        key = str(sent.get("form_key") or self.correction_key)[:100]
        text = c["amount"].strip()
        negative = c["sign"] == "debit"
        if text[:1] in ("-", "\u2212"):
            negative, text = True, text[1:].strip()
        elif text[:1] == "+":
            text = text[1:].strip()
        sim_id = browser_id(c["sim"])

        def correct(actor, subscriber_id):  # the amount's own refusal reads as the verb's
            amount = parse_amount_kop(text, "amount")
            return contracts.correct_balance(
                actor,
                subscriber_id,
                sim_id,
                -amount if negative else amount,
                c["comment"],
                form_key=key,
            )

        res = self._on_card(correct, error_attr="correction_error")
        if res:
            self._open_correction(c["sim"])
            return rx.toast.success(
                self._t(
                    "admin_subscribers.corrected",
                    balance_kop=money(res.value.balance_after_kop, self.locale),
                )
            )
        return res.redirect


def _input(name: str, label_key: str, **kw) -> rx.Component:
    s = AdminSubscriberState
    return form_input(s, name, label_key, f"sub-{name}", read_only=~CAN_EDIT, **kw)


def _summary() -> rx.Component:
    s = AdminSubscriberState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(s.sub["title"], size="5", id="sub-title"),
                rx.badge(
                    s.sub["status_text"],
                    color_scheme=s.sub["colour"],
                    variant="soft",
                    size="2",
                    id="sub-status",
                ),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.grid(
                info_text("people_ui.sub.total_balance", s.sub["balance"], "sub-balance"),
                info_text("admin_subscribers.col.partner", s.sub["partner"], "sub-partner"),
                info_text("admin_subscribers.col.created", s.sub["created"], "sub-created"),
                info_text("contract_desk.document_type", s.sub["document"], "sub-document-type"),
                info_text("admin_subscribers.login", s.sub["login"], "sub-login"),
                info_text("people_ui.sub.account", s.sub["account"], "sub-account"),
                info_text("people_ui.sub.last_login", s.sub["last_login"], "sub-last-login"),
                columns=rx.breakpoints(initial="1", xs="2", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.cond(CAN_EDIT, _actions()),
            error_banner(s.action_error, id_="sub-action-error"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _actions() -> rx.Component:
    s = AdminSubscriberState
    return rx.vstack(
        rx.flex(
            rx.cond(
                s.sub["status"] == "active",
                rx.button(
                    rx.icon("user-x", size=16),
                    tr("admin_subscribers.deactivate"),
                    color_scheme="red",
                    variant="soft",
                    size="3",
                    on_click=s.ask_deactivate(True),
                    id="sub-deactivate",
                ),
                rx.button(
                    rx.icon("user-check", size=16),
                    tr("admin_subscribers.reactivate"),
                    variant="soft",
                    size="3",
                    on_click=s.reactivate,
                    id="sub-reactivate",
                ),
            ),
            rx.cond(
                (s.sub["status"] == "active") & (s.sub["has_account"] == "1"),
                rx.button(
                    rx.icon("key-round", size=16),
                    tr("admin_subscribers.reset_link"),
                    variant="outline",
                    size="3",
                    on_click=s.send_reset,
                    id="sub-reset",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            s.confirm_deactivate,
            rx.callout(
                rx.vstack(
                    rx.text(tr("admin_subscribers.deactivate_confirm")),
                    rx.input(
                        id="sub-deactivate-comment",
                        value=s.deactivate_comment,
                        on_change=s.set_deactivate_comment,
                        placeholder=tr("people_ui.sub.deactivate_comment"),
                        size="2",
                        width="100%",
                    ),
                    rx.hstack(
                        rx.button(
                            tr("admin_subscribers.deactivate"),
                            color_scheme="red",
                            size="2",
                            on_click=s.deactivate,
                            id="sub-deactivate-yes",
                        ),
                        rx.button(
                            tr("people_ui.cancel"),
                            variant="soft",
                            size="2",
                            on_click=s.ask_deactivate(False),
                        ),
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                ),
                color_scheme="red",
                icon="triangle_alert",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _personal() -> rx.Component:
    s = AdminSubscriberState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("admin_subscribers.personal"), size="4", as_="h2"),
                rx.grid(
                    _input("full_name", "admin_subscribers.full_name"),
                    _input("email", "admin_subscribers.email", type="email"),
                    _input("phone", "admin_subscribers.phone", type="tel"),
                    _input("document_no", "admin_subscribers.document_no"),
                    rx.box(_input("address", "admin_subscribers.address"), grid_column="1 / -1"),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(tr("admin_subscribers.login_hint"), size="1", color=rx.color("gray", 11)),
                error_banner(s.form_error, id_="sub-form-error"),
                rx.cond(
                    CAN_EDIT,
                    rx.button(tr("people_ui.save"), type="submit", size="3", id="sub-save"),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _notes() -> rx.Component:
    s = AdminSubscriberState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("admin_subscribers.notes"), size="4", as_="h2"),
                rx.text_area(
                    id="sub-notes",
                    value=s.notes,
                    on_change=s.set_notes,
                    size="3",
                    width="100%",
                    rows="4",
                    read_only=~CAN_EDIT,
                    aria_label=tr("admin_subscribers.notes"),
                ),
                error_banner(s.notes_error, id_="sub-notes-error"),
                rx.cond(
                    CAN_EDIT,
                    rx.button(
                        tr("people_ui.sub.save_notes"),
                        type="submit",
                        size="3",
                        variant="soft",
                        id="sub-notes-save",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save_notes,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _correction() -> rx.Component:
    s = AdminSubscriberState
    c = s.correction
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("admin_subscribers.correction"), size="4", as_="h2"),
                rx.grid(
                    choice(
                        s.sim_options,
                        c["sim"],
                        lambda v: s.set_correction("sim", v),
                        "corr-sim",
                        "people_ui.sub.correction_sim",
                    ),
                    static_choice(
                        [("credit", "people_ui.sub.credit"), ("debit", "people_ui.sub.debit")],
                        c["sign"],
                        lambda v: s.set_correction("sign", v),
                        "corr-sign",
                        "people_ui.sub.direction",
                    ),
                    labelled(
                        "corr-amount",
                        tr("admin_subscribers.correction_amount"),
                        rx.input(
                            id="corr-amount",
                            name="amount",
                            value=c["amount"],
                            on_change=lambda v: s.set_correction("amount", v),
                            input_mode="decimal",
                            size="3",
                            width="100%",
                            aria_invalid=rx.cond(s.field == "amount", "true", "false"),
                        ),
                    ),
                    rx.box(
                        labelled(
                            "corr-comment",
                            tr("admin_subscribers.correction_comment"),
                            rx.input(
                                id="corr-comment",
                                name="comment",
                                value=c["comment"],
                                on_change=lambda v: s.set_correction("comment", v),
                                size="3",
                                width="100%",
                                aria_invalid=rx.cond(s.field == "comment", "true", "false"),
                            ),
                        ),
                        grid_column="1 / -1",
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                error_banner(s.correction_error, id_="corr-error"),
                # what the selects chose and the form's key travel with the form
                rx.el.input(type="hidden", name="sim", value=c["sim"]),
                rx.el.input(type="hidden", name="sign", value=c["sign"]),
                rx.el.input(type="hidden", name="form_key", value=s.correction_key),
                rx.button(tr("people_ui.sub.correct"), type="submit", size="3", id="corr-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.correct,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


SIMS = [
    Column("msisdn", "admin_sims.col.msisdn", mono=True, link="href"),
    Column("iccid", "admin_sims.col.iccid", mono=True),
    Column("status", "admin_sims.col.status", badge="colour"),
    Column("tariff", "admin_sims.col.tariff"),
    Column("autopay", "people_ui.sub.autopay"),
    Column("balance", "admin_sims.col.balance", align="right", tone="tone"),
]
PAYMENTS = [
    Column("no", "admin_payments.col.id", mono=True, link="href"),
    Column("at", "admin_payments.col.date", mono=True),
    Column("sim", "admin_payments.col.sim", mono=True),
    Column("method", "admin_payments.col.method"),
    Column("amount", "admin_payments.col.amount", align="right"),
    Column("status", "admin_payments.col.status"),
]
TICKETS = [
    Column("no", "admin_support.col.number", mono=True, link="href"),
    Column("subject", "admin_support.col.subject"),
    Column("status", "admin_support.col.status", badge="colour"),
    Column("priority", "admin_support.col.priority"),
    Column("updated", "admin_support.col.updated", mono=True),
]
REQUESTS = [
    Column("kind", "people_ui.sub.request_kind"),
    Column("sim", "admin_sims.col.msisdn", mono=True, link="href"),
    Column("at", "people_ui.sub.request_at", mono=True),
]


def _section(title_key: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(tr(title_key), size="4", as_="h2"), *children, spacing="2", width="100%"
    )


def subscriber_page() -> rx.Component:
    s = AdminSubscriberState
    return shell(
        "admin",
        rx.cond(
            s.sub.contains("id"),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=16), tr("people_ui.sub.back")),
                    href="/admin/subscribers",
                    size="2",
                ),
                _summary(),
                related_links("subscriber", s.sub["id"]),
                _section(
                    "admin_subscribers.sims",
                    rx.cond(
                        SessionState.permissions.contains("sims.view"),
                        data_table(SIMS, s.sims, "people_ui.sub.no_sims", "sub-sims"),
                        data_table(
                            [c._replace(link=None) for c in SIMS],
                            s.sims,
                            "people_ui.sub.no_sims",
                            "sub-sims",
                        ),
                    ),
                ),
                rx.cond(
                    SessionState.permissions.contains("activations.edit")
                    & (s.sub["status"] == "active"),
                    put_sims_block(),
                ),
                rx.cond(CAN_EDIT & (s.sim_options.length() > 0), _correction()),
                rx.grid(
                    _personal(),
                    _notes(),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="4",
                    width="100%",
                ),
                _section(
                    "admin_subscribers.tickets",
                    data_table(TICKETS, s.tickets, "people_ui.sub.no_tickets", "sub-tickets"),
                ),
                _section(
                    "admin_subscribers.requests",
                    data_table(REQUESTS, s.requests, "people_ui.sub.no_requests", "sub-requests"),
                ),
                _section(
                    "admin_subscribers.payments",
                    rx.cond(
                        SessionState.permissions.contains("payments.view"),
                        data_table(
                            PAYMENTS, s.payments, "people_ui.sub.no_payments", "sub-payments"
                        ),
                        data_table(
                            [c._replace(link=None) for c in PAYMENTS],
                            s.payments,
                            "people_ui.sub.no_payments",
                            "sub-payments",
                        ),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title_key="people_ui.sub.card_title",
    )
