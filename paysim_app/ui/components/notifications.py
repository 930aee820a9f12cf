"""The notification centre every shell shares: the header badge (unread count), the list page
(the one list machinery: kind / SIM / read filters, pages in SQL, mark selected or all read)
and the channel preferences card (a kind x channel table; security rows locked).

Each tree declares a leaf state (`class XNotificationsState(NotificationsMixin, SessionState)`
with its LIST_ACCESS and `_role`) and calls notifications_page.notifications_page(tree, state)
(a module of its own: the shell's header shows this module's badge). Every handler goes
through core.notify's verbs, which act on the signed-in actor's own rows only: the ids a
browser sends are never trusted.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.core import notify
from paysim_app.core.permissions import Actor
from paysim_app.i18n import t
from paysim_app.ui.access import LIST, SIGNED_IN, access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.format import moment, phone
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.listing import ALL, ListMixin
from paysim_app.ui.components.pickers import native_select, var_options

PATHS = {"cabinet": "/cabinet/notifications", "partner": "/partner/notifications"}
PATHS["admin"] = "/admin/notifications"


# --------------------------------------------------------------------------- the badge


class NotificationBadgeState(LocaleView, SessionState):
    unread: int = 0

    @access(SIGNED_IN)
    @rx.event
    async def refresh(self):
        """The count of the signed-in user's unread notifications (one indexed count)."""
        res = await self._call_async(notify.count_unread)
        self.unread = int(res.value) if res else 0

    @rx.var
    def badge_text(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)

    @rx.var
    def badge_label(self) -> str:
        return t("notify_centre.badge", self.view_locale, n=self.unread)


def notification_badge(tree: str) -> rx.Component:
    """The bell in the header with the unread count; counted again on every page."""
    s = NotificationBadgeState
    return rx.link(
        rx.box(
            rx.icon("bell", size=20),
            rx.cond(
                s.unread > 0,
                rx.badge(
                    s.badge_text,
                    color_scheme="red",
                    variant="solid",
                    radius="full",
                    position="absolute",
                    top="-8px",
                    right="-10px",
                    id="notify-badge-count",
                ),
            ),
            position="relative",
            display="flex",
            align_items="center",
        ),
        href=PATHS[tree],
        aria_label=s.badge_label,
        title=s.badge_label,
        color=rx.color("gray", 12),
        padding="0.25em 0.5em",
        id="notify-badge",
        on_mount=s.refresh,
    )


# --------------------------------------------------------------------------- the list


class NotificationsMixin(ListMixin, mixin=True):
    kind_options: list[dict[str, str]] = []
    sim_options: list[dict[str, str]] = []
    mark_message: str = ""

    def _spec(self):
        return notify.NOTIFICATION_LIST

    def _prepare(self, actor: Actor) -> None:
        loc = self.locale
        anything = [{"value": ALL, "label": t("list.any", loc)}]
        self.kind_options = anything + [
            {"value": k, "label": t(f"notify_centre.kind.{k}", loc)}
            for k in notify.kinds_for(actor.role)
        ]
        self._call(notify.settle_handled)  # an admin's notices of items dealt with: read
        sims = self._call(notify.notification_sims).value or []
        self.sim_options = anything + [
            {"value": str(s.id), "label": phone(s.msisdn) + (f" · {s.label}" if s.label else "")}
            for s in sims
        ]
        self.mark_message = ""

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        unread = row["read_at"] is None
        return {
            "when": moment(row["created_at"], loc),
            "kind": t(f"notify_centre.kind.{row['kind']}", loc)
            if row["kind"] in notify.KINDS
            else row["kind"],
            "message": row["title"],
            "body": row["body"],
            "sim": phone(row["msisdn"]) if row["msisdn"] else "—",
            "state": t(f"notify_centre.state.{'unread' if unread else 'read'}", loc),
            "colour": "blue" if unread else "gray",
        }

    @access(LIST)
    @rx.event
    async def mark_selected(self):
        res = await self._call_async(notify.mark_read, list(self.selected))
        if not res:
            self.list_error = res.error
            return res.redirect
        self.mark_message = t("notify_centre.marked", self.locale, n=res.value)
        return await self._refetch()

    @access(LIST)
    @rx.event
    async def mark_all(self):
        res = await self._call_async(notify.mark_everything_read)
        if not res:
            self.list_error = res.error
            return res.redirect
        self.mark_message = ""
        return await self._refetch()

    async def _refetch(self):
        """The page again, and the header's count with it."""
        done = await self._fetch_async(count=True)
        return [e for e in (done, NotificationBadgeState.refresh) if e is not None]


# --------------------------------------------------------------------------- preferences


class NotificationPrefsState(SessionState):
    prefs: list[dict[str, str]] = []  # kind, label, channel, locked ("1" / ""), channel_label
    choices: dict[str, list[dict[str, str]]] = {}  # kind -> [{value, label}] it may take
    sms_possible: bool = False

    def _show(self, rows: list) -> None:
        loc = self.locale
        self.prefs = [
            {
                "kind": r.kind,
                "label": t(f"notify_centre.kind.{r.kind}", loc),
                "channel": r.channel,
                "channel_label": t(f"notify_centre.channel.{r.channel}", loc),
                "locked": "1" if r.locked else "",
            }
            for r in rows
        ]
        self.choices = {
            r.kind: [
                {"value": c, "label": t(f"notify_centre.channel.{c}", loc)} for c in r.channels
            ]
            for r in rows
        }
        self.sms_possible = any("sms" in r.channels for r in rows)

    @access(SIGNED_IN)
    @rx.event
    async def load(self):
        res = await self._call_async(notify.get_preferences)
        if res:
            self._show(res.value)
        return res.redirect

    @access(SIGNED_IN)
    @rx.event
    async def choose(self, kind: str, channel: str):
        res = await self._call_async(notify.set_channel, kind, channel)
        if not res:
            return res.redirect or rx.toast.error(res.error)
        again = await self._call_async(notify.get_preferences)
        if again:
            self._show(again.value)
        return rx.toast.success(t("notify_centre.prefs.saved", self.locale))


def _pref_row(row: rx.Var) -> rx.Component:
    s = NotificationPrefsState
    return rx.table.row(
        rx.table.cell(rx.text(row["label"], size="2"), min_width="8em"),
        rx.table.cell(
            rx.cond(
                row["locked"] != "",
                rx.hstack(
                    rx.icon("lock", size=14, color=rx.color("gray", 11), aria_hidden="true"),
                    rx.text(row["channel_label"], size="2"),
                    spacing="2",
                    align="center",
                    title=tr("notify_centre.prefs.locked"),
                ),
                native_select(
                    var_options(s.choices[row["kind"]]),
                    value=row["channel"],
                    on_change=lambda v: s.choose(row["kind"], v),
                    id="pref-" + row["kind"],
                    aria_label=row["label"],
                ),
            ),
        ),
        id="pref-row-" + row["kind"],
    )


def preferences_card() -> rx.Component:
    s = NotificationPrefsState
    return rx.card(
        rx.vstack(
            rx.heading(tr("notify_centre.prefs.title"), size="4", as_="h2"),
            rx.text(tr("notify_centre.prefs.intro"), size="2", color=rx.color("gray", 11)),
            rx.cond(
                ~s.sms_possible,
                rx.text(tr("notify_centre.prefs.no_sms"), size="1", color=rx.color("gray", 11)),
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(tr("notify_centre.prefs.kind")),
                            rx.table.column_header_cell(tr("notify_centre.prefs.channel")),
                        )
                    ),
                    rx.table.body(rx.foreach(s.prefs, _pref_row)),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.hstack(
                rx.icon("lock", size=14, color=rx.color("gray", 11), aria_hidden="true"),
                rx.text(tr("notify_centre.prefs.locked"), size="1", color=rx.color("gray", 11)),
                spacing="2",
                align="center",
                id="notify-prefs-locked",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="notify-prefs",
        on_mount=s.load,
    )
