"""/admin/sims: every SIM ever entered (a declaration over the one list machinery), bulk
actions on selected rows; /admin/sims/[sim_id]: one SIM's card with its history, edit and
delete; /admin/sims/new: the manual create form."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import reflex as rx

from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.sims import SIM_STATUSES, inventory, usage_view
from paysim_app.ui.access import access
from paysim_app.ui.admin.contract_desk import move_block
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.charts import month_label
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.detail import confirm_callout, form_input, info
from paysim_app.ui.components.format import data_of, data_size, day, moment, money, phone
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id, optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice, native_choice, static_choice

_info = partial(info, mono=True)  # the SIM card shows codes

STATUS_COLOURS = {
    "in_stock": "gray",
    "awaiting_activation": "amber",
    "active": "green",
    "suspended": "orange",
    "blocked": "red",
    "deactivated": "gray",
}


def _choices(rows: list[inventory.Choice], locale: str, none: bool = True) -> list[dict[str, str]]:
    head = [{"value": ALL, "label": t("list.any", locale)}]
    if none:
        head.append({"value": inventory.NONE, "label": t("admin_sims.none", locale)})
    return head + [{"value": c.value, "label": c.label} for c in rows]


class AdminSimsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:sims.view"
    partner_options: list[dict[str, str]] = []
    tariff_options: list[dict[str, str]] = []
    bulk_action: str = "assign_partner"
    bulk_value: str = ""
    bulk_message: str = ""

    def _spec(self):
        return inventory.SIM_LIST

    def _prepare(self, actor: Actor) -> None:
        partners = self._call(inventory.partner_choices)
        tariffs = self._call(inventory.tariff_choices)
        self.partner_options = _choices(partners.value or [], self.locale)
        self.tariff_options = _choices(tariffs.value or [], self.locale)
        self.bulk_message = ""

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        return {
            "msisdn": phone(row["msisdn"]),
            "href": f"/admin/sims/{row['id']}",
            "iccid": row["iccid"],
            "status": t(f"sim.status.{row['status']}", loc),
            "colour": STATUS_COLOURS.get(row["status"], "gray"),
            "balance": money(row["balance_kop"], loc),
            "tone": "neg" if row["balance_kop"] < 0 else "",
            "partner": row["partner"] or "—",
            "subscriber": row["subscriber"] or "—",
            "tariff": row["tariff"] or "—",
            "created": moment(row["created_at"], loc),
        }

    @access("admin:sims.view")
    @rx.event
    async def load(self):
        return await self._start()

    @access("admin:sims.edit")
    @rx.event
    def set_bulk(self, name: str, value: str):
        if name == "action" and value in inventory.BULK_ACTIONS:
            self.bulk_action, self.bulk_value = value, ""
        elif name == "value":
            self.bulk_value = str(value)[:40]

    @access("admin:sims.edit")
    @rx.event
    def run_bulk(self):
        ids = [n for n in map(browser_id, self.selected) if n > 0]
        res = self._call(inventory.bulk, self.bulk_action, ids, self.bulk_value)
        if not res:
            self.bulk_message = res.error
            return res.redirect
        self._fetch(count=False)
        self.bulk_message = self._t(
            "admin_sims.bulk_done", changed=res.value.changed, skipped=res.value.skipped
        )
        return rx.toast.success(self.bulk_message)

    @rx.var
    def bulk_values(self) -> list[dict[str, str]]:
        if self.bulk_action == "assign_partner":
            return [o for o in self.partner_options if o["value"] != ALL]
        loc = self.view_locale
        return [{"value": s, "label": t(f"sim.status.{s}", loc)} for s in inventory.MANUAL_TARGETS]


COLUMNS = [
    Column("msisdn", "admin_sims.col.msisdn", mono=True, link="href"),
    Column("iccid", "admin_sims.col.iccid", mono=True),
    Column("status", "admin_sims.col.status", badge="colour"),
    Column("subscriber", "admin_sims.col.subscriber"),
    Column("partner", "admin_sims.col.partner"),
    Column("tariff", "admin_sims.col.tariff"),
    Column("balance", "admin_sims.col.balance", align="right", tone="tone"),
    Column("created", "admin_sims.col.created", mono=True),
]
FIELDS = [
    FilterField(
        "status",
        "admin_sims.col.status",
        options=[(ALL, "list.any")] + [(s, f"sim.status.{s}") for s in SIM_STATUSES],
    ),
    FilterField("partner", "admin_sims.col.partner", dynamic="partner_options"),
    FilterField("tariff", "admin_sims.col.tariff", dynamic="tariff_options"),
    FilterField(
        "balance",
        "admin_sims.col.balance",
        options=[(ALL, "list.any")]
        + [(b, f"admin_sims.balance.{b}") for b in inventory.BALANCE_FILTERS],
    ),
    FilterField("created_from", "admin_sims.created_from", "date"),
    FilterField("created_to", "admin_sims.created_to", "date"),
]
SORTS = [
    ("created_at", "admin_sims.col.created"),
    ("msisdn", "admin_sims.col.msisdn"),
    ("iccid", "admin_sims.col.iccid"),
    ("balance", "admin_sims.col.balance"),
]


def _bulk_bar() -> rx.Component:
    s = AdminSimsState
    return rx.card(
        rx.flex(
            rx.text(
                tr("admin_sims.selected"),
                " ",
                s.selected.length(),
                weight="medium",
                id="bulk-count",
            ),
            native_choice(
                [(a, f"admin_sims.bulk.{a}") for a in inventory.BULK_ACTIONS],
                s.bulk_action,
                lambda v: s.set_bulk("action", v),
                "bulk-action",
                "admin_sims.bulk.action",
                width="auto",
            ),
            rx.cond(
                s.bulk_action != "deactivate",
                native_choice(
                    s.bulk_values,
                    s.bulk_value,
                    lambda v: s.set_bulk("value", v),
                    "bulk-value",
                    "admin_sims.bulk.value",
                    width="auto",
                    placeholder=True,
                ),
            ),
            rx.button(tr("admin_sims.bulk.run"), size="3", on_click=s.run_bulk, id="bulk-run"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        width="100%",
    )


def sims_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("plus", size=16), tr("admin_sims.new"), size="3"),
                    href="/admin/sims/new",
                    id="sim-new",
                ),
                rx.link(
                    rx.button(
                        rx.icon("upload", size=16),
                        tr("admin_sims.import"),
                        size="3",
                        variant="soft",
                    ),
                    href="/admin/sims/import",
                    id="sim-import",
                ),
                spacing="2",
                wrap="wrap",
            ),
            list_view(
                AdminSimsState,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="admin-sims",
                search_key="admin_sims.search",
                selectable=True,
                bulk=_bulk_bar(),
                extra=rx.cond(
                    AdminSimsState.bulk_message != "",
                    rx.callout(
                        AdminSimsState.bulk_message, icon="info", id="bulk-message", width="100%"
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_sims.title",
    )


# -- one SIM: card, history, edit, delete ----------------------------------------------------
FORM_FIELDS = ("iccid", "msisdn", "imsi", "status", "partner_id", "tariff_id", "activation_code")
EMPTY_FORM = {
    **dict.fromkeys(FORM_FIELDS, ""),
    "status": "in_stock",
    "partner_id": ALL,
    "tariff_id": ALL,
}


class AdminSimState(SessionState):
    sim: dict = {}
    history: list[dict[str, str]] = []
    form: dict[str, str] = EMPTY_FORM
    form_error: str = ""
    field: str = ""
    partner_options: list[dict[str, str]] = []
    tariff_options: list[dict[str, str]] = []
    confirm_delete: bool = False
    usage: dict[str, str] = {}  # the SIM's usage this period, in words
    usage_percent: int = 0
    usage_months: list[dict[str, str]] = []

    def _show_usage(self, sim_id: int, has_tariff: bool) -> None:
        """The usage block: this period's numbers and the last twelve calendar months."""
        card = self._call(usage_view.sim_usage, sim_id)
        months = self._call(usage_view.sim_months, sim_id)
        self.usage, self.usage_percent, self.usage_months = {}, 0, []
        if not (card and months):
            return
        u, loc = card.value, self.locale
        kbps = u.speed_kbps
        speed = (
            t("data_usage.speed_mbps", loc, n=kbps // 1000)
            if kbps >= 1000 and kbps % 1000 == 0
            else t("data_usage.speed_kbps", loc, n=kbps)
        )
        if not has_tariff:  # no allowance to measure against
            sentence = t("data_usage.used_only", loc, used=data_size(u.used_bytes, loc))
        elif u.unlimited:
            sentence = t("data_usage.unlimited", loc, used=data_size(u.used_bytes, loc))
        else:
            sentence = t(
                "data_usage.sentence",
                loc,
                of=data_of(u.used_bytes, u.allowance_bytes or 0, loc),
                left=data_size(u.left_bytes or 0, loc),
                date=u.period_end.strftime("%d.%m"),
            )
        self.usage = {
            "sentence": sentence,
            "unlimited": "1" if u.unlimited or not has_tariff else "",
            "period": t("data_usage.period", loc, start=day(u.period_start), end=day(u.last_day)),
            "speed": t("data_usage.speed_now", loc, speed=speed)
            + (f" ({t('data_usage.limited', loc)})" if u.limited else ""),
            "limited": "1" if u.limited else "",
            "free": t("data_usage.free", loc, free=data_size(u.free_bytes, loc))
            if u.free_bytes
            else "",
            "bar_label": t("data_usage.bar_label", loc, percent=round(u.percent or 0)),
        }
        self.usage_percent = round(u.percent or 0)
        used = [i for i, m in enumerate(months.value) if m.bytes]
        self.usage_months = [  # newest first, from the first month with usage
            {
                "month": month_label(m.month.strftime("%Y-%m"), loc),
                "total": data_size(m.bytes, loc),
                "down": data_size(m.bytes_down, loc),
                "up": data_size(m.bytes_up, loc),
            }
            for m in reversed(months.value[used[0] :] if used else [])
        ]

    def _sim_id(self) -> int | None:
        raw = self.router.page.params.get("sim_id", "")
        return optional_id(raw)

    def _options(self) -> None:
        partners = self._call(inventory.partner_choices).value or []
        tariffs = self._call(inventory.tariff_choices).value or []
        none = [{"value": ALL, "label": t("admin_sims.none", self.locale)}]
        self.partner_options = none + [{"value": c.value, "label": c.label} for c in partners]
        self.tariff_options = none + [{"value": c.value, "label": c.label} for c in tariffs]

    def _show(self, sim_id: int) -> bool:
        """The card again; False when it cannot be shown (gone, or nobody signed in)."""
        res = self._call(inventory.sim_card, sim_id)
        if not res:
            return False
        card, loc = res.value, self.locale
        self.sim = {
            "id": str(card.id),
            "msisdn": phone(card.msisdn),
            "iccid": card.iccid,
            "imsi": card.imsi,
            "status": t(f"sim.status.{card.status}", loc),
            "colour": STATUS_COLOURS.get(card.status, "gray"),
            "balance": money(card.balance_kop, loc),
            "partner": card.partner or "—",
            "subscriber": (f"{card.subscriber} ({card.contract_no})" if card.subscriber else "—"),
            "subscriber_href": f"/admin/subscribers/{card.subscriber_id}"
            if card.subscriber_id
            else "",
            "tariff": card.tariff or "—",
            "activated": moment(card.activated_at, loc) if card.activated_at else "—",
            "created": moment(card.created_at, loc),
            "billing_day": str(card.billing_day),
            "next_tariff": t(
                "admin_sims.next_tariff_value",
                loc,
                name=card.next_tariff,
                date=day(card.next_tariff_on, loc),
            )
            if card.next_tariff
            else "",
            "static_ip": card.static_ip,
            "deletable": "1" if not card.ever_had_subscriber else "",
            "payments_href": f"/admin/payments?sim={card.id}",
        }
        self.history = [
            {
                "at": moment(h.at, loc),
                "what": t(f"admin_sims.history.{h.kind}", loc) + ": " + h.what,
                "detail": h.detail[:200],
                "amount": money(h.amount_kop, loc) if h.amount_kop is not None else "",
            }
            for h in card.history
        ]
        self._show_usage(card.id, bool(card.tariff))
        self.form = {
            "iccid": card.iccid,
            "msisdn": card.msisdn,
            "imsi": card.imsi,
            "status": card.status,
            "partner_id": str(card.partner_id) if card.partner_id else ALL,
            "tariff_id": str(card.tariff_id) if card.tariff_id else ALL,
            "activation_code": "",
        }
        return True

    @access("admin:sims.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "sims.view")
        if redirect:
            return redirect
        self.form_error, self.field, self.confirm_delete = "", "", False
        self._options()
        sim_id = self._sim_id()
        if sim_id is None:  # /admin/sims/new
            self.sim, self.history, self.form = {}, [], dict(EMPTY_FORM)
            self.usage, self.usage_months = {}, []
            return None
        if not self._show(sim_id):
            return rx.redirect("/admin/sims")
        return None

    @access("admin:sims.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)[:40]}

    def _form(self) -> inventory.SimForm:
        f = self.form
        return inventory.SimForm(
            iccid=f["iccid"],
            msisdn=f["msisdn"],
            imsi=f["imsi"],
            status=f["status"],
            partner_id="" if f["partner_id"] == ALL else f["partner_id"],
            tariff_id="" if f["tariff_id"] == ALL else f["tariff_id"],
            activation_code=f["activation_code"],
        )

    @access("admin:sims.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        self.form_error, self.field = "", ""
        sim_id = self._sim_id()
        if sim_id is None:
            res = self._call(inventory.create_sim, self._form())
        else:
            res = self._call(inventory.edit_sim, sim_id, self._form())
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        if sim_id is None:
            return [
                rx.toast.success(self._t("admin_sims.created")),
                rx.redirect(f"/admin/sims/{res.value}"),
            ]
        self._show(sim_id)
        return rx.toast.success(self._t("admin_sims.saved"))

    @access("admin:sims.edit")
    @rx.event
    def ask_delete(self, value: bool = True):
        self.confirm_delete = bool(value)

    @access("admin:sims.edit")
    @rx.event
    def delete(self):
        sim_id = self._sim_id()
        if sim_id is None:
            return rx.redirect("/login")
        self.confirm_delete = False
        res = self._call(inventory.delete_sim, sim_id)
        if not res:
            self.form_error = res.error
            return res.redirect
        return [rx.toast.success(self._t("admin_sims.deleted")), rx.redirect("/admin/sims")]


def _text_input(name: str, label_key: str) -> rx.Component:
    return form_input(AdminSimState, name, label_key, f"sim-{name}")


def _form() -> rx.Component:
    s = AdminSimState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.grid(
                    _text_input("iccid", "admin_sims.col.iccid"),
                    _text_input("msisdn", "admin_sims.col.msisdn"),
                    _text_input("imsi", "admin_sims.col.imsi"),
                    static_choice(
                        [(st, f"sim.status.{st}") for st in SIM_STATUSES],
                        s.form["status"],
                        lambda v: s.set_field("status", v),
                        "sim-status",
                        "admin_sims.col.status",
                    ),
                    choice(
                        s.partner_options,
                        s.form["partner_id"],
                        lambda v: s.set_field("partner_id", v),
                        "sim-partner",
                        "admin_sims.col.partner",
                    ),
                    choice(
                        s.tariff_options,
                        s.form["tariff_id"],
                        lambda v: s.set_field("tariff_id", v),
                        "sim-tariff",
                        "admin_sims.col.tariff",
                    ),
                    _text_input("activation_code", "admin_sims.activation_code"),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3",
                    width="100%",
                ),
                error_banner(s.form_error, id_="sim-form-error"),
                rx.hstack(
                    rx.button(tr("admin_sims.save"), type="submit", size="3", id="sim-save"),
                    rx.cond(
                        s.sim["deletable"] == "1",
                        rx.button(
                            tr("admin_sims.delete"),
                            color_scheme="red",
                            variant="soft",
                            size="3",
                            type="button",
                            on_click=s.ask_delete(True),
                            id="sim-delete",
                        ),
                    ),
                    spacing="2",
                ),
                rx.cond(
                    s.confirm_delete,
                    confirm_callout(
                        "admin_sims.delete_confirm",
                        "admin_sims.delete",
                        "admin_sims.cancel",
                        s.delete,
                        s.ask_delete(False),
                        "sim-delete-yes",
                        row=rx.hstack,
                    ),
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


USAGE_MONTHS = [
    Column("month", "data_usage.col.month"),
    Column("total", "data_usage.col.total", align="right"),
    Column("down", "data_usage.col.down", align="right"),
    Column("up", "data_usage.col.up", align="right"),
]


def _usage() -> rx.Component:
    """The SIM's data usage: this period (a bar and the numbers, the speed) and by month."""
    s = AdminSimState
    u = s.usage
    return rx.vstack(
        rx.heading(tr("data_usage.admin_title"), size="4", as_="h2"),
        rx.card(
            rx.vstack(
                rx.text(u["period"], size="2", color=rx.color("gray", 11)),
                rx.cond(
                    u["unlimited"] == "",
                    rx.progress(
                        value=s.usage_percent,
                        max=100,
                        size="2",
                        color_scheme=rx.cond(u["limited"] != "", "red", "accent"),
                        aria_label=u["bar_label"],
                        id="sim-usage-bar",
                    ),
                ),
                rx.text(u["sentence"], weight="bold", id="sim-usage-sentence"),
                rx.text(u["speed"], size="2", id="sim-usage-speed"),
                rx.cond(u["free"] != "", rx.text(u["free"], size="2")),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        data_table(USAGE_MONTHS, s.usage_months, "data_usage.months_empty", "sim-usage-months"),
        spacing="2",
        width="100%",
        id="sim-usage",
    )


HISTORY = [
    Column("at", "admin_sims.history.at", mono=True),
    Column("what", "admin_sims.history.what", hint="detail"),
    Column("amount", "admin_sims.history.amount", align="right"),
]


def sim_page() -> rx.Component:
    s = AdminSimState
    card = rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(s.sim["msisdn"], size="5", id="sim-title"),
                rx.badge(
                    s.sim["status"],
                    color_scheme=s.sim["colour"],
                    variant="soft",
                    size="2",
                    id="sim-status-badge",
                ),
                rx.spacer(),
                rx.link(tr("admin_sims.payments"), href=s.sim["payments_href"]),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.grid(
                _info("admin_sims.col.iccid", s.sim["iccid"], "info-iccid"),
                _info("admin_sims.col.imsi", s.sim["imsi"], "info-imsi"),
                rx.cond(
                    s.sim["static_ip"] != "",
                    _info("sims.static_ip", s.sim["static_ip"], "info-static-ip"),
                ),
                _info("admin_sims.col.balance", s.sim["balance"], "info-balance"),
                _info(
                    "admin_sims.col.subscriber",
                    s.sim["subscriber"],
                    "info-subscriber",
                    s.sim["subscriber_href"],
                ),
                _info("admin_sims.col.partner", s.sim["partner"], "info-partner-name"),
                _info("admin_sims.col.tariff", s.sim["tariff"], "info-tariff-name"),
                rx.cond(
                    s.sim["next_tariff"] != "",
                    _info("admin_sims.next_tariff", s.sim["next_tariff"], "info-next-tariff"),
                ),
                _info("admin_sims.sort.activated", s.sim["activated"], "info-activated"),
                _info("admin_sims.billing_day", s.sim["billing_day"], "info-billing-day"),
                _info("admin_sims.col.created", s.sim["created"], "info-created"),
                columns=rx.breakpoints(initial="1", xs="2", md="3"),
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
    return shell(
        "admin",
        rx.cond(
            s.sim.contains("id"),
            rx.vstack(
                card,
                rx.cond(s.usage.contains("sentence"), _usage()),
                rx.cond(s.sim["subscriber_href"] != "", move_block()),
                rx.heading(tr("admin_sims.edit"), size="4", as_="h2"),
                _form(),
                rx.heading(tr("admin_sims.history"), size="4", as_="h2"),
                data_table(HISTORY, s.history, "admin_sims.history.empty", "sim-history"),
                spacing="4",
                width="100%",
            ),
            rx.vstack(_form(), width="100%"),
        ),
        title_key="admin_sims.card_title",
    )
