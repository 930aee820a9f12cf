"""/admin/partners: every partner (a declaration over the one list machinery);
/admin/partners/new: the create form; /admin/partners/[partner_id]: one partner's card: the edit
form with field errors, activate / deactivate, delete (refused while the partner has anything),
its users (invite, disable / enable, resend the link, reset a lost two-factor sign-in after a
confirmation) and its statistics (ui/admin/partner_stats).
Reading needs partners.view; the actions need partners.edit (the services check it; the page only
hides what the role cannot do)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import reflex as rx

from paysim_app.accounts import two_factor
from paysim_app.i18n import t
from paysim_app.partners import directory
from paysim_app.partners.partner_lists import PARTNER_LIST, PARTNER_STATES
from paysim_app.ui.access import access
from paysim_app.ui.admin.partner_cash import cash_limit_block
from paysim_app.ui.admin.partner_stats import partner_stats_block
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.advanced_search import related_links
from paysim_app.ui.components.data_table import Column
from paysim_app.ui.components.detail import call_on_record, confirm_callout, field_error, form_input
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id, optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

STATUS_COLOURS = {"active": "green", "inactive": "gray"}
CAN_EDIT = SessionState.permissions.contains("partners.edit")


def percent(bp: int, locale: str) -> str:
    """Basis points as people write a percentage: 1000 -> '10', 750 -> '7,5' (ru)."""
    text = f"{Decimal(bp) / 100:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", ",") if locale == "ru" else text


def _state_key(active: bool) -> str:
    return "active" if active else "inactive"


class AdminPartnersState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:partners.view"

    def _spec(self):
        return PARTNER_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        state = _state_key(row["is_active"])
        return {
            "code": row["code"],
            "name": row["name"],
            "href": f"/admin/partners/{row['id']}",
            "inn": row["inn"] or "—",
            "commission": percent(row["commission_bp"], loc),
            "sims": str(row["sims"] or 0),
            "subscribers": str(row["active_subscribers"] or 0),
            "status": t(f"admin_partners.status.{state}", loc),
            "colour": STATUS_COLOURS[state],
            "created": moment(row["created_at"], loc),
        }

    @access("admin:partners.view")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("code", "admin_partners.col.code", mono=True),
    Column("name", "admin_partners.col.name", link="href"),
    Column("inn", "admin_partners.col.inn", mono=True),
    Column("commission", "admin_partners.col.commission", align="right"),
    Column("sims", "admin_partners.col.sims", align="right"),
    Column("subscribers", "admin_partners.col.subscribers", align="right"),
    Column("status", "admin_partners.col.status", badge="colour"),
]
FIELDS = [
    FilterField(
        "status",
        "admin_partners.col.status",
        options=[(ALL, "list.any")] + [(s, f"admin_partners.status.{s}") for s in PARTNER_STATES],
    ),
]
SORTS = [
    ("created_at", "admin_partners.col.created"),
    ("name", "admin_partners.col.name"),
    ("sims", "admin_partners.col.sims"),
]


def partners_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            rx.hstack(
                rx.cond(
                    CAN_EDIT,
                    rx.link(
                        rx.button(rx.icon("plus", size=16), tr("admin_partners.new"), size="3"),
                        href="/admin/partners/new",
                        id="partner-new",
                    ),
                ),
                rx.link(
                    rx.button(
                        rx.icon("chart-column", size=16),
                        tr("admin_partners.stats"),
                        size="3",
                        variant="soft",
                    ),
                    href="/admin/partners/stats",
                    id="partners-stats",
                ),
                spacing="2",
                wrap="wrap",
            ),
            list_view(
                AdminPartnersState,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="admin-partners",
                search_key="admin_partners.search",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_partners.title",
    )


# -- one partner ----------------------------------------------------------------------------------
FORM_FIELDS = (
    "code",
    "name",
    "inn",
    "contact_email",
    "contact_phone",
    "address",
    "commission_percent",
)
INVITE_FIELDS = ("email", "full_name")


class AdminPartnerState(SessionState):
    partner: dict[str, str] = {}
    form: dict[str, str] = dict.fromkeys(FORM_FIELDS, "")
    form_error: str = ""
    field: str = ""
    action_error: str = ""
    confirm_delete: bool = False
    users: list[dict[str, str]] = []
    invite: dict[str, str] = dict.fromkeys(INVITE_FIELDS, "")
    invite_error: str = ""
    invite_field: str = ""
    confirm_reset: str = ""  # the user whose "reset two-factor sign-in?" is asked ("" none)

    def _partner_id(self) -> int | None:
        raw = self.router.page.params.get("partner_id", "")
        return optional_id(raw)

    def _show(self, partner_id: int) -> bool:
        """The card again; False when it cannot be shown (gone, or nobody signed in)."""
        found = self._call(directory.get_partner, partner_id)
        listed = self._call(directory.partner_users, partner_id) if found else found
        if not listed:
            return False
        p, users, loc = found.value, listed.value, self.locale
        state = _state_key(p.is_active)
        self.partner = {
            "id": str(p.id),
            "title": f"{p.name} · {p.code}",
            "code": p.code,
            "active": "1" if p.is_active else "",
            "status": t(f"admin_partners.status.{state}", loc),
            "colour": STATUS_COLOURS[state],
            "created": moment(p.created_at, loc),
            "sims": str(p.sims),
            "sims_href": f"/admin/sims?partner={p.id}",
        }
        self.form = {
            "code": p.code,
            "name": p.name,
            "inn": p.inn,
            "contact_email": p.contact_email,
            "contact_phone": phone(p.contact_phone) if p.contact_phone else "",
            "address": p.address,
            "commission_percent": percent(p.commission_bp, loc),
        }
        self.users = [
            {
                "id": str(u.id),
                "email": u.email,
                "name": u.full_name or "—",
                "active": "1" if u.is_active else "",
                "status": t(
                    "admin_partners.user.active" if u.is_active else "admin_partners.user.disabled",
                    loc,
                ),
                "colour": "green" if u.is_active else "gray",
                "last_login": moment(u.last_login_at, loc) if u.last_login_at else "—",
                "two_factor": "1" if u.two_factor else "",
            }
            for u in users
        ]
        return True

    def _reset_messages(self) -> None:
        self.form_error, self.field, self.action_error = "", "", ""
        self.invite_error, self.invite_field = "", ""

    @access("admin:partners.view")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "partners.view")
        if redirect:
            return redirect
        self._reset_messages()
        self.confirm_delete, self.confirm_reset = False, ""
        self.invite = dict.fromkeys(INVITE_FIELDS, "")
        partner_id = self._partner_id()
        if partner_id is None:  # /admin/partners/new
            self.partner, self.users = {}, []
            self.form = {**dict.fromkeys(FORM_FIELDS, ""), "commission_percent": "10"}
            return None
        if not self._show(partner_id):
            return rx.redirect("/admin/partners")
        return None

    def _on_card(self, verb, *args, **kwargs) -> Outcome:
        """A verb on this partner (see call_on_record)."""
        return call_on_record(self, self._partner_id(), verb, *args, **kwargs)

    @access("admin:partners.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)[:300]}

    @access("admin:partners.edit")
    @rx.event
    def save(self, _form: dict | None = None):
        f = self.form
        values = {
            "name": f["name"],
            "inn": f["inn"],
            "contact_email": f["contact_email"],
            "contact_phone": f["contact_phone"],
            "address": f["address"],
            "commission_percent": f["commission_percent"],
        }
        if self._partner_id() is None:
            return self._create(values)
        res = self._on_card(directory.update_partner, error_attr="form_error", **values)
        if res:
            return rx.toast.success(self._t("admin_partners.saved"))
        return res.redirect

    def _create(self, values: dict):
        self._reset_messages()
        res = self._call(directory.create_partner, code=self.form["code"], **values)
        if not res:
            self.form_error, self.field = res.error, res.field
            return res.redirect
        return [
            rx.toast.success(self._t("admin_partners.created")),
            rx.redirect(f"/admin/partners/{res.value.id}"),
        ]

    @access("admin:partners.edit")
    @rx.event
    def set_active(self, active: bool):
        active = bool(active)
        res = self._on_card(directory.set_partner_active, active)
        if res:
            key = "admin_partners.activated" if active else "admin_partners.deactivated"
            return rx.toast.success(self._t(key))
        return res.redirect

    @access("admin:partners.edit")
    @rx.event
    def ask_delete(self, value: bool = True):
        self.confirm_delete = bool(value)

    @access("admin:partners.edit")
    @rx.event
    def delete(self):
        partner_id = self._partner_id()
        if partner_id is None:
            return rx.redirect("/login")
        self.confirm_delete = False
        self._reset_messages()
        res = self._call(directory.delete_partner, partner_id)
        if not res:
            self.action_error = res.error
            return res.redirect
        return [rx.toast.success(self._t("admin_partners.deleted")), rx.redirect("/admin/partners")]

    # -- users ---------------------------------------------------------------------------------
    @access("admin:partners.edit")
    @rx.event
    def set_invite(self, name: str, value: str):
        if name in INVITE_FIELDS:
            self.invite = {**self.invite, name: str(value)[:254]}

    @access("admin:partners.edit")
    @rx.event
    def send_invite(self, _form: dict | None = None):
        email, name = self.invite["email"], self.invite["full_name"]
        res = self._on_card(
            directory.invite_partner_user,
            email,
            name,
            error_attr="invite_error",
            field_attr="invite_field",
        )
        if res:
            self.invite = dict.fromkeys(INVITE_FIELDS, "")
            return rx.toast.success(self._t("admin_partners.invite.done", email=res.value.email))
        return res.redirect

    @access("admin:partners.edit")
    @rx.event
    def set_user_active(self, user_id: str, active: bool):
        uid = browser_id(user_id)
        active = bool(active)
        res = self._on_card(
            directory.set_partner_user_active,
            uid,
            active,
            error_attr="invite_error",
            field_attr="invite_field",
        )
        if res:
            key = (
                "admin_partners.user.enabled_done"
                if active
                else "admin_partners.user.disabled_done"
            )
            return rx.toast.success(self._t(key))
        return res.redirect

    @access("admin:partners.edit")
    @rx.event
    def resend_invite(self, user_id: str):
        uid = browser_id(user_id)
        res = self._on_card(
            directory.resend_partner_invite,
            uid,
            error_attr="invite_error",
            field_attr="invite_field",
        )
        if res:
            return rx.toast.success(self._t("admin_partners.user.resent"))
        return res.redirect

    @access("admin:partners.edit")
    @rx.event
    def ask_reset_two_factor(self, user_id: str):
        """The confirmation under one user's row (any non-id closes it)."""
        uid = browser_id(user_id)
        self.confirm_reset = str(uid) if uid > 0 else ""

    @access("admin:partners.edit")
    @rx.event
    def reset_two_factor(self):
        """The confirmed reset of the asked user (the verb checks the right and that the user is
        this partner's)."""
        uid = browser_id(self.confirm_reset)
        self.confirm_reset = ""
        if uid < 0:
            return None
        res = self._on_card(
            two_factor.reset_partner_user,
            uid,
            error_attr="invite_error",
            field_attr="invite_field",
        )
        if res:
            return rx.toast.success(self._t("two_factor.reset_done"))
        return res.redirect


# -- the card's components -------------------------------------------------------------------------
def _field(name: str, label_key: str, **kw) -> rx.Component:
    s = AdminPartnerState
    id_ = f"partner-{name.replace('_', '-')}"
    error = field_error(s, name)
    return form_input(s, name, label_key, id_, error=error, read_only=~CAN_EDIT, **kw)


def _form() -> rx.Component:
    s = AdminPartnerState
    is_new = ~s.partner.contains("id")
    code = rx.cond(
        is_new,
        _field("code", "admin_partners.field.code", auto_capitalize="characters"),
        rx.vstack(
            rx.text(tr("admin_partners.field.code"), size="2", weight="medium"),
            rx.code(s.partner["code"], size="3", id="partner-code-fixed"),
            rx.text(tr("admin_partners.code_hint"), size="1", color=rx.color("gray", 11)),
            spacing="1",
        ),
    )
    return rx.card(
        rx.form(
            rx.vstack(
                rx.grid(
                    code,
                    _field("name", "admin_partners.field.name"),
                    _field("inn", "admin_partners.field.inn", input_mode="numeric"),
                    _field(
                        "commission_percent",
                        "admin_partners.field.commission",
                        input_mode="decimal",
                    ),
                    _field("contact_email", "admin_partners.field.email", type="email"),
                    _field("contact_phone", "admin_partners.field.phone", type="tel"),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3",
                    width="100%",
                ),
                _field("address", "admin_partners.field.address"),
                # an error that belongs to no field (e.g. a refusal) shows above the buttons
                error_banner(rx.cond(s.field == "", s.form_error, ""), id_="partner-form-error"),
                rx.cond(
                    CAN_EDIT,
                    rx.button(
                        rx.cond(is_new, tr("admin_partners.create"), tr("admin_partners.save")),
                        type="submit",
                        size="3",
                        id="partner-save",
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


def _actions() -> rx.Component:
    s = AdminPartnerState
    return rx.cond(
        CAN_EDIT,
        rx.vstack(
            rx.hstack(
                rx.cond(
                    s.partner["active"] == "1",
                    rx.button(
                        tr("admin_partners.deactivate"),
                        variant="soft",
                        color_scheme="orange",
                        size="3",
                        on_click=s.set_active(False),
                        id="partner-deactivate",
                    ),
                    rx.button(
                        tr("admin_partners.activate"),
                        variant="soft",
                        color_scheme="green",
                        size="3",
                        on_click=s.set_active(True),
                        id="partner-activate",
                    ),
                ),
                rx.button(
                    tr("admin_partners.delete"),
                    variant="soft",
                    color_scheme="red",
                    size="3",
                    on_click=s.ask_delete(True),
                    id="partner-delete",
                ),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                s.confirm_delete,
                confirm_callout(
                    "admin_partners.delete_confirm",
                    "admin_partners.delete",
                    "admin_partners.cancel",
                    s.delete,
                    s.ask_delete(False),
                    "partner-delete-yes",
                    spacing="2",
                ),
            ),
            error_banner(s.action_error, id_="partner-action-error"),
            spacing="2",
            width="100%",
        ),
    )


def _summary() -> rx.Component:
    s = AdminPartnerState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(s.partner["title"], size="5", id="partner-title"),
                rx.badge(
                    s.partner["status"],
                    color_scheme=s.partner["colour"],
                    variant="soft",
                    size="2",
                    id="partner-status",
                ),
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.hstack(
                rx.text(tr("admin_partners.col.created"), ": ", s.partner["created"], size="2"),
                rx.link(
                    tr("admin_partners.col.sims"),
                    ": ",
                    s.partner["sims"],
                    href=s.partner["sims_href"],
                    size="2",
                    id="partner-sims-link",
                ),
                spacing="4",
                wrap="wrap",
            ),
            related_links("partner", s.partner["id"]),
            _actions(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _user_row(u: rx.Var) -> rx.Component:
    s = AdminPartnerState
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(u["email"], weight="medium", overflow_wrap="anywhere"),
                rx.text(u["name"], " · ", u["last_login"], size="1", color=rx.color("gray", 11)),
                spacing="0",
                min_width="0",
                flex="1",
            ),
            rx.badge(u["status"], color_scheme=u["colour"], variant="soft"),
            rx.cond(
                u["two_factor"] == "1",
                rx.badge(tr("two_factor.user_on"), color_scheme="blue", variant="soft"),
            ),
            rx.cond(
                CAN_EDIT,
                rx.hstack(
                    rx.cond(
                        u["two_factor"] == "1",
                        rx.button(
                            tr("two_factor.reset"),
                            variant="soft",
                            color_scheme="orange",
                            size="2",
                            on_click=s.ask_reset_two_factor(u["id"]),
                            class_name="partner-user-two-factor-reset",
                        ),
                    ),
                    rx.cond(
                        u["active"] == "1",
                        rx.fragment(
                            rx.button(
                                tr("admin_partners.user.resend"),
                                variant="ghost",
                                size="2",
                                on_click=s.resend_invite(u["id"]),
                            ),
                            rx.button(
                                tr("admin_partners.user.disable"),
                                variant="soft",
                                color_scheme="orange",
                                size="2",
                                on_click=s.set_user_active(u["id"], False),
                            ),
                        ),
                        rx.button(
                            tr("admin_partners.user.enable"),
                            variant="soft",
                            color_scheme="green",
                            size="2",
                            on_click=s.set_user_active(u["id"], True),
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            s.confirm_reset == u["id"],
            rx.box(
                confirm_callout(
                    "two_factor.reset_user_confirm",
                    "two_factor.reset",
                    "admin_partners.cancel",
                    s.reset_two_factor,
                    s.ask_reset_two_factor(""),
                    "partner-user-two-factor-reset-yes",
                    spacing="2",
                ),
                margin_top="0.5rem",
            ),
        ),
        width="100%",
        size="1",
        class_name="partner-user",
    )


def _invite_input(name: str, label_key: str, **kw) -> rx.Component:
    s = AdminPartnerState
    id_ = f"invite-{name.replace('_', '-')}"
    return rx.box(
        labelled(
            id_,
            tr(label_key),
            rx.input(
                id=id_,
                value=s.invite[name],
                size="3",
                width="100%",
                on_change=lambda v: s.set_invite(name, v),
                aria_invalid=rx.cond(s.invite_field == name, "true", "false"),
                **kw,
            ),
        ),
        flex="1",
        min_width="200px",
    )


def _users() -> rx.Component:
    s = AdminPartnerState
    return rx.vstack(
        rx.heading(tr("admin_partners.users"), size="4", as_="h2"),
        rx.cond(
            s.users.length() > 0,
            rx.vstack(
                rx.foreach(s.users, _user_row), spacing="2", width="100%", id="partner-users"
            ),
            rx.text(
                tr("admin_partners.users_empty"),
                color=rx.color("gray", 11),
                id="partner-users-empty",
            ),
        ),
        rx.cond(
            CAN_EDIT,
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.text(tr("admin_partners.invite"), size="2", weight="medium"),
                        rx.flex(
                            _invite_input("email", "admin_partners.invite.email", type="email"),
                            _invite_input("full_name", "admin_partners.invite.name"),
                            rx.button(
                                rx.icon("send", size=16),
                                tr("admin_partners.invite.submit"),
                                type="submit",
                                size="3",
                                id="invite-submit",
                            ),
                            spacing="3",
                            align="end",
                            wrap="wrap",
                            width="100%",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=s.send_invite,
                    reset_on_submit=False,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        error_banner(s.invite_error, id_="invite-error"),
        spacing="3",
        width="100%",
    )


def partner_page() -> rx.Component:
    s = AdminPartnerState
    return shell(
        "admin",
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), tr("admin_partners.all_partners")),
                href="/admin/partners",
                id="back-to-partners",
            ),
            rx.cond(
                s.partner.contains("id"),
                rx.vstack(
                    _summary(),
                    cash_limit_block(),
                    partner_stats_block(),
                    rx.heading(tr("admin_partners.edit"), size="4", as_="h2"),
                    _form(),
                    _users(),
                    spacing="4",
                    width="100%",
                ),
                rx.vstack(
                    rx.heading(tr("admin_partners.new_title"), size="4", as_="h2"),
                    _form(),
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_partners.card_title",
    )
