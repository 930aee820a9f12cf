"""/admin/tariffs: the tariff plans and (tab `?tab=addons`) the add-on services, two
declarations over the one list machinery; /admin/tariffs/new and /admin/tariffs/[tariff_id]:
a tariff's form (a new fee waits for the next month), archive, unarchive, delete;
/admin/addons/new and /admin/addons/[addon_id]: the same for an add-on service."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.catalogue import static_ips, tariffs
from paysim_app.catalogue.catalogue_lists import ADDON_LIST, PUBLIC, STATUSES, TARIFF_LIST
from paysim_app.core.listing import parse_amount_kop, parse_int
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import confirm_callout, field_error, form_input, info_text
from paysim_app.ui.components.format import moment, money
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

ADDONS = "addons"  # the second tab's ?tab= value
CAN_EDIT = SessionState.permissions.contains("tariffs.edit")


def _status(archived: bool, loc: str) -> tuple[str, str]:
    """(the status in words, its badge colour)"""
    if archived:
        return t("admin_tariffs.status.archived", loc), "gray"
    return t("admin_tariffs.status.active", loc), "green"


def _period_start(period: str | None) -> str:
    """'2026-12' -> '01.12.2026' (the day a waiting fee starts)."""
    if not period:
        return ""
    year, month = period.split("-")
    return f"01.{month}.{year}"


def roubles_text(kop: int, loc: str) -> str:
    """What an amount input shows: 600 or 600,50 (600.50 in English); parse_amount_kop reads
    both."""
    whole, frac = divmod(int(kop), 100)
    return str(whole) if not frac else f"{whole}{',' if loc == 'ru' else '.'}{frac:02d}"


def _data(gb: int | None, loc: str) -> str:
    return t("admin_tariffs.unlimited", loc) if gb is None else t("admin_tariffs.gb", loc, gb=gb)


# -- the two lists ------------------------------------------------------------------------------
class AdminTariffsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:tariffs.view"
    tab: str = "tariffs"

    def _spec(self):
        return TARIFF_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        status, colour = _status(row["is_archived"], loc)
        waiting = row["next_monthly_fee_kop"]
        return {
            "name": row["name"],
            "href": f"/admin/tariffs/{row['id']}",
            "code": row["code"],
            "fee": money(row["monthly_fee_kop"], loc),
            "next_fee": t(
                "admin_tariffs.fee_from",
                loc,
                date=_period_start(row["next_fee_period"]),
                fee=money(waiting, loc),
            )
            if waiting is not None
            else "",
            "data": _data(row["data_gb"], loc),
            "speed": t("admin_tariffs.mbps", loc, mbps=row["speed_mbps"]),
            "sims": str(row["sims"]),
            "status": status,
            "colour": colour,
            "public": "" if row["is_public"] else t("admin_tariffs.hidden", loc),
            "created": moment(row["created_at"], loc),
        }

    @access("admin:tariffs.view")
    @rx.event
    async def load(self):
        """One page, two tabs: ?tab=addons loads the add-on list instead (a link between the
        tabs changes the query, and Reflex runs on_load again)."""
        self.tab = ADDONS if self.router.page.params.get("tab") == ADDONS else "tariffs"
        if self.tab == ADDONS:
            return [AdminAddonsState.load, StaticIpPoolState.load]
        return await self._start()


class AdminAddonsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:tariffs.view"

    def _spec(self):
        return ADDON_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        status, colour = _status(row["is_archived"], loc)
        return {
            "name": row["name"],
            "href": f"/admin/addons/{row['id']}",
            "code": row["code"],
            "price": money(row["price_kop"], loc),
            "period": t("admin_tariffs.days", loc, days=row["period_days"]),
            "active": str(row["active"]),
            "status": status,
            "colour": colour,
            "created": moment(row["created_at"], loc),
        }

    @access("admin:tariffs.view")
    @rx.event
    async def load(self):
        return await self._start()


class StaticIpPoolState(SessionState):
    """The static IP pool under the add-on list: its counts and a range to add."""

    counts: str = ""
    range_text: str = ""
    pool_error: str = ""

    def _show(self, pool) -> None:
        self.counts = self._t(
            "admin_tariffs.pool.counts", total=pool.total, used=pool.used, free=pool.free
        )

    @access("admin:tariffs.view")
    @rx.event
    def load(self):
        self.pool_error = ""
        res = self._call(static_ips.summary)
        if not res:
            return res.redirect
        self._show(res.value)
        return None

    @access("admin:tariffs.edit")
    @rx.event
    def set_range(self, value: str):
        self.range_text = str(value)[:100]

    @access("admin:tariffs.edit")
    @rx.event
    def add(self, _form: dict | None = None):
        self.pool_error = ""
        res = self._call(static_ips.add_range, self.range_text)
        if not res:
            self.pool_error = res.error
            return res.redirect
        added, skipped = res.value
        self.range_text = ""
        summary = self._call(static_ips.summary)
        if summary:
            self._show(summary.value)
        return rx.toast.success(self._t("admin_tariffs.pool.added", added=added, skipped=skipped))


STATUS_FIELD = FilterField(
    "status",
    "admin_tariffs.col.status",
    options=[(ALL, "list.any")] + [(s, f"admin_tariffs.status.{s}") for s in STATUSES],
)
TARIFF_COLUMNS = [
    Column("name", "admin_tariffs.col.name", link="href", hint="code"),
    Column("fee", "admin_tariffs.col.fee", align="right", hint="next_fee"),
    Column("data", "admin_tariffs.col.data"),
    Column("speed", "admin_tariffs.col.speed"),
    Column("sims", "admin_tariffs.col.sims", align="right"),
    Column("status", "admin_tariffs.col.status", badge="colour", hint="public"),
    Column("created", "admin_tariffs.col.created", mono=True),
]
TARIFF_FIELDS = [
    STATUS_FIELD,
    FilterField(
        "public",
        "admin_tariffs.col.public",
        options=[(ALL, "list.any")] + [(p, f"admin_tariffs.public.{p}") for p in PUBLIC],
    ),
]
TARIFF_SORTS = [
    ("created_at", "admin_tariffs.col.created"),
    ("name", "admin_tariffs.col.name"),
    ("fee", "admin_tariffs.col.fee"),
    ("sims", "admin_tariffs.col.sims"),
]
ADDON_COLUMNS = [
    Column("name", "admin_tariffs.col.name", link="href", hint="code"),
    Column("price", "admin_tariffs.col.price", align="right"),
    Column("period", "admin_tariffs.col.period"),
    Column("active", "admin_tariffs.col.active", align="right"),
    Column("status", "admin_tariffs.col.status", badge="colour"),
    Column("created", "admin_tariffs.col.created", mono=True),
]
ADDON_SORTS = [
    ("created_at", "admin_tariffs.col.created"),
    ("name", "admin_tariffs.col.name"),
    ("price", "admin_tariffs.col.price"),
    ("active", "admin_tariffs.col.active"),
]


def _tab(key: str, href: str, active: rx.Var, id_: str) -> rx.Component:
    return rx.link(
        rx.text(
            tr(key),
            as_="span",
            weight=rx.cond(active, "bold", "regular"),
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        ),
        href=href,
        id=id_,
        underline="none",
        padding="0.5em 0.25em",
        border_bottom=rx.cond(
            active, f"2px solid {rx.color('accent', 9)}", "2px solid transparent"
        ),
        aria_current=rx.cond(active, "page", "false"),
        white_space="nowrap",
    )


def _tabs() -> rx.Component:
    on_addons = AdminTariffsState.tab == ADDONS
    return rx.hstack(
        _tab("admin_tariffs.tab.tariffs", "/admin/tariffs", ~on_addons, "tab-tariffs"),
        _tab("admin_tariffs.tab.addons", f"/admin/tariffs?tab={ADDONS}", on_addons, "tab-addons"),
        spacing="4",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        role="navigation",
        overflow_x="auto",
    )


def _new_button(key: str, href: str, id_: str) -> rx.Component:
    return rx.cond(
        CAN_EDIT,
        rx.link(rx.button(rx.icon("plus", size=16), tr(key), size="3"), href=href, id=id_),
    )


def _pool() -> rx.Component:
    s = StaticIpPoolState
    return rx.card(
        rx.vstack(
            rx.heading(tr("admin_tariffs.pool.title"), size="4", as_="h2"),
            rx.text(s.counts, size="2", id="pool-counts"),
            rx.cond(
                CAN_EDIT,
                rx.form(
                    rx.vstack(
                        labelled(
                            "pool-range",
                            tr("admin_tariffs.pool.range"),
                            rx.input(
                                id="pool-range",
                                value=s.range_text,
                                size="3",
                                width="100%",
                                max_length=100,
                                on_change=s.set_range,
                                aria_invalid=rx.cond(s.pool_error != "", "true", "false"),
                            ),
                            s.pool_error,
                        ),
                        rx.button(
                            rx.icon("plus", size=16),
                            tr("admin_tariffs.pool.add"),
                            type="submit",
                            size="3",
                            id="pool-add",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=s.add,
                    reset_on_submit=False,
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="static-ip-pool",
    )


def tariffs_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            _tabs(),
            rx.cond(
                AdminTariffsState.tab == ADDONS,
                rx.vstack(
                    _new_button("admin_tariffs.new_addon", "/admin/addons/new", "addon-new"),
                    list_view(
                        AdminAddonsState,
                        ADDON_COLUMNS,
                        [STATUS_FIELD],
                        ADDON_SORTS,
                        id_="admin-addons",
                        search_key="admin_tariffs.search",
                        empty_key="admin_tariffs.addons_empty",
                    ),
                    _pool(),
                    spacing="4",
                    width="100%",
                ),
                rx.vstack(
                    _new_button("admin_tariffs.new", "/admin/tariffs/new", "tariff-new"),
                    list_view(
                        AdminTariffsState,
                        TARIFF_COLUMNS,
                        TARIFF_FIELDS,
                        TARIFF_SORTS,
                        id_="admin-tariffs",
                        search_key="admin_tariffs.search",
                        empty_key="admin_tariffs.empty",
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_tariffs.title",
    )


# -- one tariff / one add-on: the form, archive, delete --------------------------------------------
TARIFF_FORM = (
    "code",
    "name",
    "description",
    "monthly_fee_kop",
    "data_gb",
    "speed_mbps",
    "limited_speed_kbps",
)
TARIFF_FLAGS = ("unlimited", "is_public")
EMPTY_TARIFF = {
    **dict.fromkeys(TARIFF_FORM, ""),
    "speed_mbps": "100",
    "limited_speed_kbps": "128",
    "unlimited": "",
    "is_public": "1",
}
ADDON_PARAMS = ("data_gb", "night_from_hour", "night_to_hour", "speed_mbps")
ADDON_FORM = ("code", "name", "description", "price_kop", "period_days", "kind", *ADDON_PARAMS)
EMPTY_ADDON = {**dict.fromkeys(ADDON_FORM, ""), "period_days": "30", "kind": "other"}
ADDON_KINDS = tuple(tariffs.KIND_PARAMS)


def _kind_params(f: dict) -> dict:
    """The kind and the parameters it needs, read from the form's text (the others None)."""
    kind = f.get("kind", "")
    needed = tariffs.KIND_PARAMS.get(kind, ())
    return {
        "kind": kind,
        **{p: parse_int(f.get(p, ""), p) if p in needed else None for p in ADDON_PARAMS},
    }


class _CatalogueItem(rx.State, mixin=True):
    """What the tariff and the add-on pages share (a mixin: each page keeps its own copy):
    the form's text, its error with the field it belongs to, the delete confirmation."""

    item: dict[str, str] = {}
    form: dict[str, str] = {}
    form_error: str = ""
    field: str = ""
    confirm_delete: bool = False

    def _id_param(self, name: str) -> int | None:
        raw = self.router.page.params.get(name, "")
        return optional_id(raw)

    def _refuse(self, res: Outcome) -> None:
        """The refusal under its field when the form has that field, else in the banner."""
        self.form_error = res.error
        self.field = res.field if res.field in self.form else ""

    def _clear(self) -> None:
        self.form_error, self.field, self.confirm_delete = "", "", False

    # each page names its item and its service calls
    def _item_id(self) -> int | None:
        raise NotImplementedError

    def _show(self, view) -> None:
        raise NotImplementedError

    def _verbs(self):
        """The item's (set_archived, delete) verbs."""
        raise NotImplementedError

    def _list_path(self) -> str:
        raise NotImplementedError

    def _save_form(self, fields_of, create, update, created_key: str, item_path: str):
        """Create (a new page) or update the item from the form: `fields_of(form)` parses the
        fields, the verbs `create(actor, code=..., **fields)` / `update(actor, id, **fields)`
        write them; a new item opens at `item_path/<id>`."""
        self._clear()
        f, item_id = self.form, self._item_id()
        res = self._call(fields_of, f, public=True)  # the form's text as the verb's values
        if res and item_id is None:
            res = self._call(create, code=f.get("code", ""), **res.value)
        elif res:
            res = self._call(update, item_id, **res.value)
        if not res:
            self._refuse(res)
            return res.redirect
        if item_id is None:
            return [
                rx.toast.success(self._t(created_key)),
                rx.redirect(f"{item_path}/{res.value.id}"),
            ]
        self._show(res.value)
        return rx.toast.success(self._t("admin_tariffs.saved"))

    def _archive(self, archived: bool):
        item_id = self._item_id()
        if item_id is None:
            return rx.redirect("/login")
        self._clear()
        res = self._call(self._verbs()[0], item_id, archived)
        if not res:
            self._refuse(res)
            return res.redirect
        self._show(res.value)
        done = "admin_tariffs.archived_done" if archived else "admin_tariffs.unarchived_done"
        return rx.toast.success(self._t(done))

    @access("admin:tariffs.edit")
    @access("admin:tariffs.edit")
    @rx.event
    def archive(self):
        return self._archive(True)

    @access("admin:tariffs.edit")
    @access("admin:tariffs.edit")
    @rx.event
    def unarchive(self):
        return self._archive(False)

    @access("admin:tariffs.edit")
    @access("admin:tariffs.edit")
    @rx.event
    def ask_delete(self, value: bool = True):
        self.confirm_delete = bool(value)

    @access("admin:tariffs.edit")
    @access("admin:tariffs.edit")
    @rx.event
    def delete(self):
        item_id = self._item_id()
        if item_id is None:
            return rx.redirect("/login")
        self._clear()
        res = self._call(self._verbs()[1], item_id)
        if not res:
            self._refuse(res)
            return res.redirect
        return [rx.toast.success(self._t("admin_tariffs.deleted")), rx.redirect(self._list_path())]


class AdminTariffState(_CatalogueItem, SessionState):
    def _item_id(self) -> int | None:
        return self._id_param("tariff_id")

    def _show(self, view: tariffs.TariffView) -> None:
        loc = self.locale
        status, colour = _status(view.is_archived, loc)
        waiting = ""
        if view.next_monthly_fee_kop is not None:
            waiting = t(
                "admin_tariffs.fee_waiting",
                loc,
                date=_period_start(view.next_fee_period),
                fee=money(view.next_monthly_fee_kop, loc),
                current=money(view.monthly_fee_kop, loc),
            )
        self.item = {
            "id": str(view.id),
            "name": view.name,
            "code": view.code,
            "status": status,
            "colour": colour,
            "archived": "1" if view.is_archived else "",
            "fee": money(view.monthly_fee_kop, loc),
            "waiting": waiting,
            "data": _data(view.data_gb, loc),
            "speed": t("admin_tariffs.mbps", loc, mbps=view.speed_mbps),
            "limited_speed": str(view.limited_speed_kbps),
            "public": t(f"admin_tariffs.public.{'yes' if view.is_public else 'no'}", loc),
            "sims": str(view.sims),
            "created": moment(view.created_at, loc),
        }
        self.form = {
            "code": view.code,
            "name": view.name,
            "description": view.description,
            # the fee the admin set last: saving a name change keeps a waiting fee change
            "monthly_fee_kop": roubles_text(view.planned_fee_kop, loc),
            "data_gb": "" if view.data_gb is None else str(view.data_gb),
            "unlimited": "1" if view.data_gb is None else "",
            "speed_mbps": str(view.speed_mbps),
            "limited_speed_kbps": str(view.limited_speed_kbps),
            "is_public": "1" if view.is_public else "",
        }

    @access("admin:tariffs.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "tariffs.view")
        if redirect:
            return redirect
        self._clear()
        tariff_id = self._item_id()
        if tariff_id is None:  # /admin/tariffs/new
            self.item, self.form = {}, dict(EMPTY_TARIFF)
            return None
        res = self._call(tariffs.get_tariff, tariff_id)
        if not res:
            return res.redirect or rx.redirect("/admin/tariffs")
        self._show(res.value)
        return None

    @access("admin:tariffs.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in TARIFF_FORM:
            self.form = {**self.form, name: str(value)[:500]}

    @access("admin:tariffs.edit")
    @rx.event
    def set_flag(self, name: str, value: bool):
        if name in TARIFF_FLAGS:
            self.form = {**self.form, name: "1" if value is True else ""}

    @access("admin:tariffs.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        return self._save_form(
            lambda f: {
                "name": f.get("name", ""),
                "description": f.get("description", ""),
                "monthly_fee_kop": parse_amount_kop(
                    f.get("monthly_fee_kop", ""), "monthly_fee_kop"
                ),
                "data_gb": None
                if f.get("unlimited")
                else parse_int(f.get("data_gb", ""), "data_gb"),
                "speed_mbps": parse_int(f.get("speed_mbps", ""), "speed_mbps"),
                "limited_speed_kbps": parse_int(
                    f.get("limited_speed_kbps", ""), "limited_speed_kbps"
                ),
                "is_public": bool(f.get("is_public")),
            },
            tariffs.create_tariff,
            tariffs.update_tariff,
            "admin_tariffs.created",
            "/admin/tariffs",
        )

    def _verbs(self):
        return tariffs.set_tariff_archived, tariffs.delete_tariff

    def _list_path(self) -> str:
        return "/admin/tariffs"


class AdminAddonState(_CatalogueItem, SessionState):
    def _item_id(self) -> int | None:
        return self._id_param("addon_id")

    def _show(self, view: tariffs.AddonView) -> None:
        loc = self.locale
        status, colour = _status(view.is_archived, loc)
        self.item = {
            "id": str(view.id),
            "name": view.name,
            "code": view.code,
            "status": status,
            "colour": colour,
            "archived": "1" if view.is_archived else "",
            "price": money(view.price_kop, loc),
            "period": t("admin_tariffs.days", loc, days=view.period_days),
            "kind": t(f"addons.kind.{view.kind}", loc),
            "active": str(view.active),
            "bought": str(view.bought),
            "created": moment(view.created_at, loc),
        }
        self.form = {
            "code": view.code,
            "name": view.name,
            "description": view.description,
            "price_kop": roubles_text(view.price_kop, loc),
            "period_days": str(view.period_days),
            "kind": view.kind,
            **{p: "" if getattr(view, p) is None else str(getattr(view, p)) for p in ADDON_PARAMS},
        }

    @access("admin:tariffs.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "tariffs.view")
        if redirect:
            return redirect
        self._clear()
        addon_id = self._item_id()
        if addon_id is None:  # /admin/addons/new
            self.item, self.form = {}, dict(EMPTY_ADDON)
            return None
        res = self._call(tariffs.get_addon, addon_id)
        if not res:
            return res.redirect or rx.redirect(f"/admin/tariffs?tab={ADDONS}")
        self._show(res.value)
        return None

    @access("admin:tariffs.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in ADDON_FORM:
            self.form = {**self.form, name: str(value)[:500]}

    @access("admin:tariffs.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        return self._save_form(
            lambda f: {
                "name": f.get("name", ""),
                "description": f.get("description", ""),
                "price_kop": parse_amount_kop(f.get("price_kop", ""), "price_kop"),
                "period_days": parse_int(f.get("period_days", ""), "period_days"),
                **_kind_params(f),
            },
            tariffs.create_addon,
            tariffs.update_addon,
            "admin_tariffs.addon_created",
            "/admin/addons",
        )

    def _verbs(self):
        return tariffs.set_addon_archived, tariffs.delete_addon

    def _list_path(self) -> str:
        return f"/admin/tariffs?tab={ADDONS}"


# -- the item pages' parts ---------------------------------------------------------------------
def _input(s, prefix: str, name: str, label_key: str, hint_key: str = "", **kw) -> rx.Component:
    id_ = f"{prefix}-{name}"
    return rx.vstack(
        form_input(s, name, label_key, id_, error=field_error(s, name), read_only=~CAN_EDIT, **kw),
        rx.text(tr(hint_key), size="1", color=rx.color("gray", 11)) if hint_key else rx.fragment(),
        spacing="1",
        width="100%",
    )


def _description(s, prefix: str) -> rx.Component:
    id_ = f"{prefix}-description"
    return labelled(
        id_,
        tr("admin_tariffs.field.description"),
        rx.text_area(
            id=id_,
            value=s.form["description"],
            size="3",
            width="100%",
            rows="3",
            on_change=lambda v: s.set_field("description", v),
            read_only=~CAN_EDIT,
        ),
        field_error(s, "description"),
    )


def _summary(s, infos: list[rx.Component], hint_key: str, prefix: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(s.item["name"], size="5", id=f"{prefix}-title"),
                rx.badge(
                    s.item["status"],
                    color_scheme=s.item["colour"],
                    variant="soft",
                    size="2",
                    id=f"{prefix}-status",
                ),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.grid(*infos, columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
            rx.cond(
                s.item["archived"] == "1",
                rx.text(tr(hint_key), size="2", color=rx.color("gray", 11)),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _actions(s, prefix: str) -> rx.Component:
    """Save; for an existing item also archive / unarchive and delete (with a confirmation)."""
    exists = s.item.contains("id")
    return rx.cond(
        CAN_EDIT,
        rx.vstack(
            rx.flex(
                rx.button(
                    rx.cond(exists, tr("admin_tariffs.save"), tr("admin_tariffs.create")),
                    type="submit",
                    size="3",
                    id=f"{prefix}-save",
                ),
                rx.cond(
                    exists,
                    rx.fragment(
                        rx.cond(
                            s.item["archived"] == "1",
                            rx.button(
                                rx.icon("archive-restore", size=16),
                                tr("admin_tariffs.unarchive"),
                                variant="soft",
                                size="3",
                                type="button",
                                on_click=s.unarchive,
                                id=f"{prefix}-unarchive",
                            ),
                            rx.button(
                                rx.icon("archive", size=16),
                                tr("admin_tariffs.archive"),
                                variant="soft",
                                color_scheme="gray",
                                size="3",
                                type="button",
                                on_click=s.archive,
                                id=f"{prefix}-archive",
                            ),
                        ),
                        rx.button(
                            rx.icon("trash-2", size=16),
                            tr("admin_tariffs.delete"),
                            color_scheme="red",
                            variant="soft",
                            size="3",
                            type="button",
                            on_click=s.ask_delete(True),
                            id=f"{prefix}-delete",
                        ),
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                s.confirm_delete,
                confirm_callout(
                    "admin_tariffs.delete_confirm",
                    "admin_tariffs.delete",
                    "admin_tariffs.cancel",
                    s.delete,
                    s.ask_delete(False),
                    f"{prefix}-delete-yes",
                    button_type="button",
                    spacing="2",
                ),
            ),
            spacing="3",
            width="100%",
        ),
    )


def _form(s, prefix: str, *inputs: rx.Component) -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.grid(
                    *inputs, columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"
                ),
                _description(s, prefix),
                error_banner(rx.cond(s.field == "", s.form_error, ""), id_=f"{prefix}-error"),
                _actions(s, prefix),
                spacing="3",
                width="100%",
            ),
            on_submit=s.save,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _back(key: str, href: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), tr(key), align="center", spacing="1"),
        href=href,
        id="catalogue-back",
    )


def _code_input(s, prefix: str) -> rx.Component:
    """The code is typed once, on creation (CSV files and the cabinet refer to it)."""
    return rx.cond(
        s.item.contains("id"),
        rx.fragment(),
        _input(s, prefix, "code", "admin_tariffs.field.code", auto_capitalize="characters"),
    )


def tariff_page() -> rx.Component:
    s = AdminTariffState
    i = s.item
    unlimited = s.form["unlimited"] == "1"
    form = _form(
        s,
        "tariff",
        _code_input(s, "tariff"),
        _input(s, "tariff", "name", "admin_tariffs.field.name"),
        _input(
            s,
            "tariff",
            "monthly_fee_kop",
            "admin_tariffs.field.fee",
            "admin_tariffs.hint.fee",
            input_mode="decimal",
        ),
        _input(s, "tariff", "speed_mbps", "admin_tariffs.field.speed", input_mode="numeric"),
        _input(
            s,
            "tariff",
            "limited_speed_kbps",
            "admin_tariffs.field.limited_speed",
            input_mode="numeric",
        ),
        rx.vstack(
            rx.cond(
                unlimited,
                rx.fragment(),
                _input(s, "tariff", "data_gb", "admin_tariffs.field.data_gb", input_mode="numeric"),
            ),
            rx.text(
                rx.flex(
                    rx.checkbox(
                        checked=unlimited,
                        on_change=lambda v: s.set_flag("unlimited", v),
                        disabled=~CAN_EDIT,
                        size="3",
                        id="tariff-unlimited",
                        aria_label=tr("admin_tariffs.field.unlimited"),
                    ),
                    tr("admin_tariffs.field.unlimited"),
                    spacing="2",
                    align="center",
                ),
                as_="label",
                size="2",
            ),
            spacing="2",
            width="100%",
        ),
        rx.text(
            rx.flex(
                rx.checkbox(
                    checked=s.form["is_public"] == "1",
                    on_change=lambda v: s.set_flag("is_public", v),
                    disabled=~CAN_EDIT,
                    size="3",
                    id="tariff-public",
                    aria_label=tr("admin_tariffs.field.public"),
                ),
                tr("admin_tariffs.field.public"),
                spacing="2",
                align="center",
            ),
            as_="label",
            size="2",
            align_self="end",
        ),
    )
    summary = _summary(
        s,
        [
            info_text("admin_tariffs.col.code", i["code"], "tariff-code-info"),
            info_text("admin_tariffs.info.current_fee", i["fee"], "tariff-fee-info"),
            info_text("admin_tariffs.col.data", i["data"], "tariff-data-info"),
            info_text("admin_tariffs.col.speed", i["speed"], "tariff-speed-info"),
            info_text(
                "admin_tariffs.field.limited_speed", i["limited_speed"], "tariff-limited-info"
            ),
            info_text("admin_tariffs.col.sims", i["sims"], "tariff-sims-info"),
            info_text("admin_tariffs.col.public", i["public"], "tariff-public-info"),
            info_text("admin_tariffs.col.created", i["created"], "tariff-created-info"),
        ],
        "admin_tariffs.archive_hint",
        "tariff",
    )
    waiting = rx.cond(
        i["waiting"] != "",
        rx.callout(
            i["waiting"],
            icon="calendar-clock",
            color_scheme="amber",
            high_contrast=True,  # amber text on its tint is below WCAG AA
            id="tariff-waiting",
        ),
    )
    return shell(
        "admin",
        rx.vstack(
            _back("admin_tariffs.back", "/admin/tariffs"),
            rx.cond(
                i.contains("id"),
                rx.vstack(summary, waiting, form, spacing="4", width="100%"),
                rx.vstack(rx.heading(tr("admin_tariffs.new_title"), size="5"), form, width="100%"),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_tariffs.card_title",
    )


def _kind_select(s) -> rx.Component:
    return labelled(
        "addon-kind",
        tr("admin_tariffs.field.kind"),
        rx.select.root(
            rx.select.trigger(id="addon-kind", width="100%"),
            rx.select.content(
                *[rx.select.item(tr(f"addons.kind.{k}"), value=k) for k in ADDON_KINDS]
            ),
            value=s.form["kind"],
            on_change=lambda v: s.set_field("kind", v),
            disabled=~CAN_EDIT,
            size="3",
        ),
        field_error(s, "kind"),
    )


def addon_page() -> rx.Component:
    s = AdminAddonState
    i = s.item
    form = _form(
        s,
        "addon",
        _code_input(s, "addon"),
        _input(s, "addon", "name", "admin_tariffs.field.name"),
        _input(
            s,
            "addon",
            "price_kop",
            "admin_tariffs.field.price",
            "admin_tariffs.hint.price",
            input_mode="decimal",
        ),
        _input(s, "addon", "period_days", "admin_tariffs.field.period", input_mode="numeric"),
        _kind_select(s),
        rx.cond(
            s.form["kind"] == "data_pack",
            _input(s, "addon", "data_gb", "admin_tariffs.field.pack_gb", input_mode="numeric"),
        ),
        rx.cond(
            s.form["kind"] == "night_unlimited",
            _input(
                s,
                "addon",
                "night_from_hour",
                "admin_tariffs.field.night_from",
                input_mode="numeric",
            ),
        ),
        rx.cond(
            s.form["kind"] == "night_unlimited",
            _input(
                s, "addon", "night_to_hour", "admin_tariffs.field.night_to", input_mode="numeric"
            ),
        ),
        rx.cond(
            s.form["kind"] == "speed_booster",
            _input(
                s, "addon", "speed_mbps", "admin_tariffs.field.booster_speed", input_mode="numeric"
            ),
        ),
    )
    summary = _summary(
        s,
        [
            info_text("admin_tariffs.col.code", i["code"], "addon-code-info"),
            info_text("admin_tariffs.col.price", i["price"], "addon-price-info"),
            info_text("admin_tariffs.col.period", i["period"], "addon-period-info"),
            info_text("admin_tariffs.col.kind", i["kind"], "addon-kind-info"),
            info_text("admin_tariffs.col.active", i["active"], "addon-active-info"),
            info_text("admin_tariffs.info.bought", i["bought"], "addon-bought-info"),
            info_text("admin_tariffs.col.created", i["created"], "addon-created-info"),
        ],
        "admin_tariffs.addon_archive_hint",
        "addon",
    )
    return shell(
        "admin",
        rx.vstack(
            _back("admin_tariffs.back_addons", f"/admin/tariffs?tab={ADDONS}"),
            rx.cond(
                i.contains("id"),
                rx.vstack(summary, form, spacing="4", width="100%"),
                rx.vstack(
                    rx.heading(tr("admin_tariffs.new_addon_title"), size="5"), form, width="100%"
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_tariffs.addon_card_title",
    )
