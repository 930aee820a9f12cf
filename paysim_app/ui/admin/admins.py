"""/admin/admins: every admin account (a declaration over the one list machinery) and the
invite form; /admin/admins/[user_id]: one admin's card (role, disable / enable, resend the
invitation, reset a lost two-factor authenticator); /admin/admins/roles: the roles, each edited as
a grid of permissions per section, with "require two-factor sign-in".
Seeing needs admins.view, every change admins.manage (the services check it, and guard the
last admin-manager and the acting admin's own right)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from paysim_app.accounts import admins, two_factor
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.overview import staff_lists
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.detail import confirm_callout, info_text
from paysim_app.ui.components.format import moment
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import browser_id, optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import choice

CAN_MANAGE = SessionState.permissions.contains("admins.manage")
INVITE_FIELDS = ("email", "full_name", "role")
NEW = "new"  # the roles page's "a new role" selection


def tabs(active: str) -> rx.Component:
    """Admins | Roles, two links above both pages."""

    def tab(key: str, href: str, name: str) -> rx.Component:
        return rx.link(
            rx.button(
                tr(key),
                variant="solid" if name == active else "soft",
                size="2",
            ),
            href=href,
            id=f"tab-{name}",
        )

    return rx.hstack(
        tab("admin_staff.tab.admins", "/admin/admins", "admins"),
        tab("admin_staff.tab.roles", "/admin/admins/roles", "roles"),
        spacing="2",
    )


# -- the list -------------------------------------------------------------------------------
class AdminAdminsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:admins.view"
    role_options: list[dict[str, str]] = []
    invite: dict[str, str] = {"email": "", "full_name": "", "role": ""}
    invite_error: str = ""
    invite_field: str = ""
    # who is looking, for the "you" mark: the list's own copy (read from SessionState, the rows
    # would make Reflex load this state for every event of every page)
    _viewer_id: int = 0

    def _spec(self):
        return staff_lists.ADMIN_LIST

    def _prepare(self, actor: Actor) -> None:
        self._viewer_id = actor.user_id
        res = self._call(staff_lists.role_choices)  # (already in a worker thread)
        roles = res.value if res else []
        self.role_options = [{"value": ALL, "label": t("list.any", self.locale)}] + [
            {"value": c.value, "label": c.label} for c in roles
        ]
        self.invite = {"email": "", "full_name": "", "role": roles[0].value if roles else ""}
        self.invite_error, self.invite_field = "", ""

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        you = row["id"] == self._viewer_id
        return {
            "name": row["full_name"] or "—",
            "you": t("admin_staff.you", loc) if you else "",
            "href": f"/admin/admins/{row['id']}",
            "email": row["email"] or "—",
            "role": row["role_name"],
            "state": t(
                "admin_staff.state.active" if row["is_active"] else "admin_staff.state.disabled",
                loc,
            ),
            "colour": "green" if row["is_active"] else "gray",
            "last_login": moment(row["last_login_at"], loc) if row["last_login_at"] else "—",
            "created": moment(row["created_at"], loc),
        }

    @access("admin:admins.view")
    @rx.event
    async def load(self):
        return await self._start()

    @access("admin:admins.manage")
    @rx.event
    def set_invite(self, name: str, value: str):
        if name in INVITE_FIELDS:
            self.invite = {**self.invite, name: str(value)[:200]}

    @access("admin:admins.manage")
    @rx.event
    def send_invite(self, _form: dict | None = None):
        self.invite_error, self.invite_field = "", ""
        f = self.invite
        role = browser_id(f["role"])
        res = self._call(admins.invite_admin, f["email"], f["full_name"], role)
        if not res:
            self.invite_error, self.invite_field = res.error, res.field
            return res.redirect
        email = f["email"].strip()
        self.invite = {**self.invite, "email": "", "full_name": ""}
        self.page = 1
        self._fetch()
        return rx.toast.success(self._t("admin_staff.invited", email=email))

    @rx.var
    def role_picks(self) -> list[dict[str, str]]:
        return [o for o in self.role_options if o["value"] != ALL]


COLUMNS = [
    Column("name", "admin_staff.col.name", link="href", hint="you"),
    Column("email", "admin_staff.col.email"),
    Column("role", "admin_staff.col.role"),
    Column("state", "admin_staff.col.active", badge="colour"),
    Column("last_login", "admin_staff.col.last_login", mono=True),
]
FIELDS = [
    FilterField("role", "admin_staff.col.role", dynamic="role_options"),
    FilterField(
        "active",
        "admin_staff.col.active",
        options=[
            (ALL, "list.any"),
            ("yes", "admin_staff.state.active"),
            ("no", "admin_staff.state.disabled"),
        ],
    ),
]
SORTS = [
    ("created_at", "admin_staff.col.created"),
    ("full_name", "admin_staff.col.name"),
    ("email", "admin_staff.col.email"),
    ("role", "admin_staff.col.role"),
    ("last_login_at", "admin_staff.col.last_login"),
]


def _invite_input(name: str, label_key: str, type_: str = "text") -> rx.Component:
    s = AdminAdminsState
    id_ = f"invite-{name.replace('_', '-')}"
    return labelled(
        id_,
        tr(label_key),
        rx.input(
            id=id_,
            type=type_,
            value=s.invite[name],
            on_change=lambda v: s.set_invite(name, v),
            size="3",
            width="100%",
            aria_invalid=rx.cond(s.invite_field == name, "true", "false"),
        ),
    )


def _invite_card() -> rx.Component:
    s = AdminAdminsState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("admin_staff.invite"), size="4", as_="h2"),
                rx.text(tr("admin_staff.invite_hint"), size="2", color=rx.color("gray", 11)),
                rx.grid(
                    _invite_input("email", "admin_staff.field.email", "email"),
                    _invite_input("full_name", "admin_staff.field.full_name"),
                    choice(
                        s.role_picks,
                        s.invite["role"],
                        lambda v: s.set_invite("role", v),
                        "invite-role",
                        "admin_staff.field.role",
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="3",
                    width="100%",
                ),
                error_banner(s.invite_error, id_="invite-error"),
                rx.button(
                    rx.icon("send", size=16),
                    tr("admin_staff_ui.invite_send"),
                    type="submit",
                    size="3",
                    id="invite-submit",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=s.send_invite,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def admins_page() -> rx.Component:
    s = AdminAdminsState
    return shell(
        "admin",
        rx.vstack(
            tabs("admins"),
            rx.cond(CAN_MANAGE, _invite_card()),
            list_view(
                s,
                COLUMNS,
                FIELDS,
                SORTS,
                id_="admin-admins",
                search_key="admin_staff_ui.search",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_staff.title",
    )


# -- one admin ------------------------------------------------------------------------------
class AdminAdminState(SessionState):
    admin: dict[str, str] = {}
    role_options: list[dict[str, str]] = []
    role_value: str = ""
    error: str = ""
    confirm_disable: bool = False
    confirm_reset: bool = False  # "reset two-factor sign-in?" asked

    def _admin_id(self) -> int | None:
        raw = self.router.page.params.get("user_id", "")
        return optional_id(raw)

    def _show(self, user_id: int) -> Outcome:
        res = self._call(admins.admin_detail, user_id)
        if not res:
            return res
        d = res.value
        roles = self._call(staff_lists.role_choices)  # the same right as the card's
        loc = self.locale
        self.admin = {
            "id": str(d.id),
            "name": d.full_name or "—",
            "email": d.email or "—",
            "role": d.role_name,
            "state": t(
                "admin_staff.state.active" if d.is_active else "admin_staff.state.disabled", loc
            ),
            "colour": "green" if d.is_active else "gray",
            "active": "1" if d.is_active else "",
            "self": "1" if d.is_self else "",
            "last_login": moment(d.last_login_at, loc) if d.last_login_at else "—",
            "created": moment(d.created_at, loc),
            "permissions": ", ".join(_permission_words(d.permissions, loc)) or "—",
        }
        enrolled = self._call(two_factor.admin_has_two_factor, d.id)
        self.admin["two_factor"] = "1" if enrolled.value else ""
        self.admin["two_factor_text"] = t(
            "two_factor.admin_on" if enrolled.value else "two_factor.admin_off", loc
        )
        self.role_options = [{"value": c.value, "label": c.label} for c in roles.value or []]
        self.role_value = str(d.role_id)
        return res

    @access("admin:admins.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "admins.view")
        if redirect:
            return redirect
        self.error, self.confirm_disable, self.confirm_reset = "", False, False
        user_id = self._admin_id()
        if user_id is None:
            return rx.redirect("/admin/admins")
        res = self._show(user_id)
        if not res:
            return res.redirect or rx.redirect("/admin/admins")
        return None

    def _on_admin(self, verb, *args, done_key: str):
        """_call of one action on this admin (their id first); when done, the card again and
        a toast."""
        user_id = self._admin_id()
        if user_id is None:
            return rx.redirect("/login")
        self.error, self.confirm_disable, self.confirm_reset = "", False, False
        res = self._call(verb, user_id, *args)
        if not res:
            self.error = res.error
            return res.redirect
        self._show(user_id)
        return rx.toast.success(self._t(done_key))

    @access("admin:admins.manage")
    @rx.event
    def set_role(self, value: str):
        self.role_value = str(value)[:12]

    @access("admin:admins.manage")
    @rx.event
    def assign(self):
        role = browser_id(self.role_value)
        return self._on_admin(admins.assign_role, role, done_key="admin_staff.role_assigned")

    @access("admin:admins.manage")
    @rx.event
    def ask_disable(self, value: bool = True):
        self.confirm_disable = bool(value)

    @access("admin:admins.manage")
    @rx.event
    def disable(self):
        return self._on_admin(admins.set_admin_active, False, done_key="admin_staff.disabled_done")

    @access("admin:admins.manage")
    @rx.event
    def enable(self):
        return self._on_admin(admins.set_admin_active, True, done_key="admin_staff.enabled_done")

    @access("admin:admins.manage")
    @rx.event
    def resend(self):
        return self._on_admin(admins.resend_invitation, done_key="admin_staff.resent")

    @access("admin:admins.manage")
    @rx.event
    def ask_reset_two_factor(self, value: bool = True):
        self.confirm_reset = bool(value)

    @access("admin:admins.manage")
    @rx.event
    def reset_two_factor(self):
        return self._on_admin(two_factor.reset_two_factor, done_key="two_factor.reset_done")


def _permission_words(permissions, loc: str) -> list[str]:
    out = []
    for p in permissions:
        section, right = p.split(".", 1)
        out.append(
            f"{t(f'admin_staff.section.{section}', loc)}: {t(f'admin_staff.right.{right}', loc)}"
        )
    return out


def admin_page() -> rx.Component:
    s = AdminAdminState
    a = s.admin
    manage = rx.card(
        rx.vstack(
            rx.flex(
                choice(
                    s.role_options,
                    s.role_value,
                    s.set_role,
                    "admin-role",
                    "admin_staff.field.role",
                    width="auto",
                ),
                rx.button(tr("admin_staff.assign_role"), size="3", on_click=s.assign, id="assign"),
                spacing="3",
                align="end",
                wrap="wrap",
            ),
            rx.flex(
                rx.cond(
                    a["active"] == "1",
                    rx.cond(
                        a["self"] != "1",
                        rx.button(
                            tr("admin_staff.disable"),
                            color_scheme="red",
                            variant="soft",
                            size="3",
                            on_click=s.ask_disable(True),
                            id="admin-disable",
                        ),
                    ),
                    rx.button(
                        tr("admin_staff.enable"), size="3", on_click=s.enable, id="admin-enable"
                    ),
                ),
                rx.cond(
                    a["active"] == "1",
                    rx.button(
                        tr("admin_staff.resend"),
                        variant="outline",
                        size="3",
                        on_click=s.resend,
                        id="admin-resend",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                s.confirm_disable,
                confirm_callout(
                    "admin_staff_ui.disable_confirm",
                    "admin_staff.disable",
                    "admin_staff_ui.cancel",
                    s.disable,
                    s.ask_disable(False),
                    "admin-disable-yes",
                    spacing="2",
                ),
            ),
            rx.cond(
                a["two_factor"] == "1",
                rx.button(
                    tr("two_factor.reset"),
                    color_scheme="orange",
                    variant="soft",
                    size="3",
                    on_click=s.ask_reset_two_factor(True),
                    id="admin-two-factor-reset",
                ),
            ),
            rx.cond(
                s.confirm_reset,
                confirm_callout(
                    "two_factor.reset_confirm",
                    "two_factor.reset",
                    "admin_staff_ui.cancel",
                    s.reset_two_factor,
                    s.ask_reset_two_factor(False),
                    "admin-two-factor-reset-yes",
                    spacing="2",
                ),
            ),
            error_banner(s.error, id_="admin-error"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
    return shell(
        "admin",
        rx.vstack(
            tabs("admins"),
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.heading(a["name"], size="5", id="admin-name"),
                        rx.badge(a["state"], color_scheme=a["colour"], variant="soft", size="2"),
                        rx.cond(a["self"] == "1", rx.badge(tr("admin_staff.you"), size="2")),
                        align="center",
                        wrap="wrap",
                    ),
                    rx.grid(
                        info_text("admin_staff.col.email", a["email"], "admin-email"),
                        info_text("admin_staff.col.role", a["role"], "admin-role-name"),
                        info_text(
                            "admin_staff.col.last_login", a["last_login"], "admin-last-login"
                        ),
                        info_text("admin_staff.col.created", a["created"], "admin-created"),
                        info_text(
                            "two_factor.admin_state", a["two_factor_text"], "admin-two-factor"
                        ),
                        columns=rx.breakpoints(initial="1", xs="2", md="4"),
                        spacing="3",
                        width="100%",
                    ),
                    info_text("admin_staff.col.permissions", a["permissions"], "admin-permissions"),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            rx.cond(CAN_MANAGE, manage),
            spacing="4",
            width="100%",
        ),
        title_key="admin_staff_ui.card_title",
    )


# -- roles ----------------------------------------------------------------------------------
GROUPS = admins.permission_groups()
ROLE_FIELDS = ("name", "description")


class AdminRolesState(SessionState):
    roles: list[dict[str, str]] = []
    selected: str = ""
    form: dict[str, str] = {"name": "", "description": ""}
    perms: list[str] = []
    is_builtin: bool = False
    holders: list[dict[str, str]] = []
    error: str = ""
    confirm_delete: bool = False
    two_factor_required: bool = False  # the picked role's

    def _list(self) -> None:
        res = self._call(admins.list_roles)
        if not res:
            return
        rows = res.value
        loc = self.locale
        self.roles = [
            {
                "id": str(r.id),
                "name": r.name,
                "builtin": t("admin_staff.role.builtin", loc) if r.is_builtin else "",
                "users": t("admin_staff_ui.role.users", loc, n=r.users, active=r.active_users),
                "rights": t("admin_staff_ui.role.rights", loc, n=len(r.permissions)),
            }
            for r in rows
        ]

    def _pick(self, role_id: str) -> Outcome:
        self.error, self.confirm_delete = "", False
        picked = optional_id(role_id)
        if picked is None:
            self.selected, self.form, self.perms = NEW, {"name": "", "description": ""}, []
            self.is_builtin, self.holders = False, []
            self.two_factor_required = False
            return Outcome()
        res = self._call(admins.role_detail, picked)
        if not res:
            return res
        d = res.value
        self.selected = str(d.id)
        self.form = {"name": d.name, "description": d.description}
        self.perms = list(d.permissions)
        self.is_builtin = d.is_builtin
        self.two_factor_required = bool(self._call(two_factor.role_requires, d.id).value)
        self.holders = [
            {
                "name": u.full_name or u.email,
                "href": f"/admin/admins/{u.id}",
                "email": u.email,
                "state": t(
                    "admin_staff.state.active" if u.is_active else "admin_staff.state.disabled",
                    self.locale,
                ),
                "colour": "green" if u.is_active else "gray",
            }
            for u in d.users
        ]
        return res

    @access("admin:admins.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "admins.view")
        if redirect:
            return redirect
        self._list()
        wanted = self.router.page.params.get("role", "")
        wanted = str(optional_id(wanted) or "")
        first = wanted or (self.roles[0]["id"] if self.roles else NEW)
        if not self._pick(first):
            self._pick(self.roles[0]["id"] if self.roles else NEW)
        return None

    @access("admin:admins.view")
    @rx.event
    def pick(self, role_id: str):
        res = self._pick(str(role_id)[:12])
        if not res:
            self.error = res.error
            return res.redirect
        return None

    @access("admin:admins.manage")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in ROLE_FIELDS:
            self.form = {**self.form, name: str(value)[:300]}

    @access("admin:admins.manage")
    @rx.event
    def toggle_perm(self, permission: str, checked: bool):
        """Ticking an edit or special right ticks the section's view too (the service implies
        it anyway); unticking view unticks the section's other rights."""
        if not isinstance(permission, str) or "." not in permission:
            return
        section = permission.split(".", 1)[0]
        chosen = set(self.perms)
        if checked:
            chosen |= {permission, f"{section}.view"}
        elif permission.endswith(".view"):
            chosen = {p for p in chosen if not p.startswith(f"{section}.")}
        else:
            chosen.discard(permission)
        res = self._call(admins.normalise_permissions, sorted(chosen), public=True)
        if res:
            self.perms = list(res.value)
        else:
            self.error = res.error

    @access("admin:admins.manage")
    @rx.event
    def save(self, _form: dict | None = None):
        self.error, self.confirm_delete = "", False
        name, description, perms = self.form["name"], self.form["description"], list(self.perms)
        if self.selected != NEW and optional_id(self.selected) is None:
            return None  # no role picked yet
        if self.selected == NEW:
            res = self._call(admins.create_role, name, description, perms)
            role_id, done = res.value, "admin_staff.role.created"
        else:
            role_id, done = browser_id(self.selected), "admin_staff.role.saved"
            res = self._call(
                admins.update_role, role_id, name=name, description=description, permissions=perms
            )
        if not res:
            self.error = res.error
            return res.redirect
        self._list()
        self._pick(str(role_id))
        return rx.toast.success(self._t(done))

    @access("admin:admins.manage")
    @rx.event
    def set_two_factor(self, required: bool):
        """Saved at once (its own audited verb), apart from the role's form."""
        self.error = ""
        role_id = optional_id(self.selected)
        if role_id is None:
            return None
        res = self._call(two_factor.set_role_two_factor, role_id, required)
        if not res:
            self.error = res.error
            return res.redirect
        self.two_factor_required = bool(required)
        return rx.toast.success(self._t("two_factor.role_saved"))

    @access("admin:admins.manage")
    @rx.event
    def ask_delete(self, value: bool = True):
        self.confirm_delete = bool(value)

    @access("admin:admins.manage")
    @rx.event
    def delete(self):
        self.error, self.confirm_delete = "", False
        role_id = optional_id(self.selected)
        if role_id is None:
            return None
        res = self._call(admins.delete_role, role_id)
        if not res:
            self.error = res.error
            return res.redirect
        self._list()
        self._pick(self.roles[0]["id"] if self.roles else NEW)
        return rx.toast.success(self._t("admin_staff.role.deleted"))


def _perm_box(permission: str) -> rx.Component:
    s = AdminRolesState
    return rx.checkbox(
        checked=s.perms.contains(permission),
        on_change=lambda v: s.toggle_perm(permission, v),
        disabled=~CAN_MANAGE,
        size="3",
        id=f"perm-{permission.replace('.', '-')}",
        aria_label=permission,
    )


def _right_head(icon: str, label_key: str) -> rx.Component:
    """A column head: icon and word; a phone shows the icon only (the grid stays narrow)."""
    return rx.table.column_header_cell(
        rx.hstack(
            rx.icon(icon, size=16, aria_label=tr(label_key)),
            rx.text(tr(label_key), display=rx.breakpoints(initial="none", sm="inline")),
            spacing="1",
            align="center",
            justify="center",
        ),
        text_align="center",
        title=tr(label_key),
    )


def _grid() -> rx.Component:
    """One row per section: view and edit; a section's special right sits under its name, so
    the grid stays three columns wide on a phone."""
    rows = []
    for g in GROUPS:
        view, edit, *special = g.permissions
        rows.append(
            rx.table.row(
                rx.table.row_header_cell(
                    rx.vstack(
                        rx.text(tr(f"admin_staff.section.{g.section}")),
                        *[
                            rx.el.label(
                                rx.hstack(
                                    _perm_box(p),
                                    rx.text(
                                        tr(f"admin_staff.right.{p.split('.', 1)[1]}"),
                                        size="2",
                                        color=rx.color("gray", 11),
                                    ),
                                    align="center",
                                    spacing="2",
                                )
                            )
                            for p in special
                        ],
                        spacing="1",
                    )
                ),
                rx.table.cell(_perm_box(view), text_align="center"),
                rx.table.cell(_perm_box(edit), text_align="center"),
            )
        )
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(tr("admin_staff_ui.role.section")),
                    _right_head("eye", "admin_staff.right.view"),
                    _right_head("pencil", "admin_staff.right.edit"),
                )
            ),
            rx.table.body(*rows),
            variant="surface",
            size="1",
            width="100%",
            id="perm-grid",
        ),
        overflow_x="auto",
        width="100%",
    )


def _role_list() -> rx.Component:
    s = AdminRolesState
    return rx.vstack(
        rx.foreach(
            s.roles,
            lambda r: rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.text(r["name"], weight="medium"),
                        rx.cond(r["builtin"] != "", rx.badge(r["builtin"], variant="soft")),
                        wrap="wrap",
                        align="center",
                    ),
                    rx.text(r["users"], " · ", r["rights"], size="1", color=rx.color("gray", 11)),
                    spacing="1",
                ),
                on_click=s.pick(r["id"]),
                cursor="pointer",
                width="100%",
                size="1",
                class_name="role-item",
                variant=rx.cond(s.selected == r["id"], "classic", "surface"),
            ),
        ),
        rx.cond(
            CAN_MANAGE,
            rx.button(
                rx.icon("plus", size=16),
                tr("admin_staff.role.new"),
                variant="soft",
                size="3",
                on_click=s.pick(NEW),
                id="role-new",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        id="role-list",
    )


HOLDERS = [
    Column("name", "admin_staff.col.name", link="href"),
    Column("email", "admin_staff.col.email"),
    Column("state", "admin_staff.col.active", badge="colour"),
]


def _role_editor() -> rx.Component:
    s = AdminRolesState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(
                    rx.cond(s.selected == NEW, tr("admin_staff.role.new"), s.form["name"]),
                    size="4",
                    as_="h2",
                    id="role-title",
                ),
                rx.grid(
                    labelled(
                        "role-name",
                        tr("admin_staff.role.name"),
                        rx.input(
                            id="role-name",
                            value=s.form["name"],
                            on_change=lambda v: s.set_field("name", v),
                            disabled=s.is_builtin | ~CAN_MANAGE,
                            size="3",
                            width="100%",
                        ),
                    ),
                    labelled(
                        "role-description",
                        tr("admin_staff.role.description"),
                        rx.input(
                            id="role-description",
                            value=s.form["description"],
                            on_change=lambda v: s.set_field("description", v),
                            disabled=~CAN_MANAGE,
                            size="3",
                            width="100%",
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    s.selected != NEW,
                    rx.vstack(
                        rx.el.label(
                            rx.flex(
                                rx.switch(
                                    checked=s.two_factor_required,
                                    on_change=s.set_two_factor,
                                    disabled=~CAN_MANAGE,
                                    size="3",
                                    id="role-two-factor",
                                ),
                                rx.text(tr("two_factor.role_required"), weight="medium"),
                                spacing="2",
                                align="center",
                            ),
                        ),
                        rx.text(
                            tr("two_factor.role_required_hint"),
                            size="1",
                            color=rx.color("gray", 11),
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.text(tr("admin_staff.role.permissions"), weight="medium"),
                rx.text(tr("admin_staff.role.view_implied"), size="1", color=rx.color("gray", 11)),
                _grid(),
                error_banner(s.error, id_="role-error"),
                rx.cond(
                    CAN_MANAGE,
                    rx.flex(
                        rx.button(
                            tr("admin_staff_ui.role.save"), type="submit", size="3", id="role-save"
                        ),
                        rx.cond(
                            (s.selected != NEW) & ~s.is_builtin & (s.holders.length() == 0),
                            rx.button(
                                tr("admin_staff.role.delete"),
                                color_scheme="red",
                                variant="soft",
                                size="3",
                                type="button",
                                on_click=s.ask_delete(True),
                                id="role-delete",
                            ),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                ),
                rx.cond(
                    s.confirm_delete,
                    confirm_callout(
                        "admin_staff_ui.role.delete_confirm",
                        "admin_staff.role.delete",
                        "admin_staff_ui.cancel",
                        s.delete,
                        s.ask_delete(False),
                        "role-delete-yes",
                        button_type="button",
                        spacing="2",
                    ),
                ),
                rx.cond(
                    s.selected != NEW,
                    rx.vstack(
                        rx.text(tr("admin_staff.role.holders"), weight="medium"),
                        data_table(
                            HOLDERS, s.holders, "admin_staff.role.no_holders", "role-holders"
                        ),
                        spacing="2",
                        width="100%",
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


def roles_page() -> rx.Component:
    return shell(
        "admin",
        rx.vstack(
            tabs("roles"),
            rx.grid(
                _role_list(),
                _role_editor(),
                columns=rx.breakpoints(initial="1", md="1fr 3fr"),
                spacing="4",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_staff_ui.roles_title",
    )
