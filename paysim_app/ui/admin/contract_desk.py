"""The back office's own contracts on the pages (subscribers.contract_desk):

- /admin/subscribers/new: the new contract's form (subscribers.edit); on success, the contract's
  card, where the next block puts SIMs on it;
- `put_sims_block`, on the subscriber's card (activations.edit): a type-ahead search of the
  stock by number or ICCID, the chosen SIMs, a tariff, and one button that activates them;
- `move_block`, on the admin SIM card (subscribers.edit): a type-ahead search of the active
  contracts and a reason.

Every handler takes anything (the door checks the types; the verbs check the values): ids come
as the suggestions' strings and are looked up again by the verbs.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.sims import queue_lists
from paysim_app.subscribers import DOCUMENT_TYPES, contract_desk
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.pickers import choice, static_choice

NEW_FIELDS = ("full_name", "document_type", "document_no", "phone", "email", "address")
EMPTY_NEW = {**dict.fromkeys(NEW_FIELDS, ""), "document_type": "passport"}
TEXT_MAX = 300
CHOSEN_MAX = contract_desk.PUT_MAX


def _suggestions(found) -> list[dict[str, str]]:
    return [{"id": str(s.id), "label": s.label, "hint": s.hint} for s in found]


# -- a new contract -----------------------------------------------------------------------------
class NewContractState(SessionState):
    form: dict[str, str] = EMPTY_NEW
    error: str = ""
    field: str = ""

    @access("admin:subscribers.edit")
    @rx.event
    def load(self):
        _, redirect = self._gate("admin", "subscribers.edit")
        if redirect:
            return redirect
        self.form, self.error, self.field = dict(EMPTY_NEW), "", ""
        return None

    @access("admin:subscribers.edit")
    @rx.event
    def set_field(self, name: str, value: str):
        if name in NEW_FIELDS:
            self.form = {**self.form, name: str(value)[:TEXT_MAX]}

    @access("admin:subscribers.edit")
    @rx.event
    def create(self, _form: dict | None = None):
        f = self.form
        res = self._call(
            contract_desk.create_contract,
            f["full_name"],
            f["document_type"],
            f["document_no"],
            f["phone"],
            f["email"],
            f["address"],
        )
        if not res:
            self.error, self.field = res.error, res.field
            return res.redirect
        self.error, self.field = "", ""
        self.form = dict(EMPTY_NEW)
        return [
            rx.toast.success(self._t("contract_desk.created", contract=res.value.contract_no)),
            rx.redirect(f"/admin/subscribers/{res.value.subscriber_id}"),
        ]


def _text_input(name: str, label_key: str, **kw) -> rx.Component:
    s = NewContractState
    id_ = f"new-{name}"
    return labelled(
        id_,
        tr(label_key),
        rx.input(
            value=s.form[name],
            on_change=lambda v: s.set_field(name, v),
            id=id_,
            name=name,
            size="3",
            width="100%",
            max_length=TEXT_MAX,
            **kw,
        ),
        rx.cond(s.field == name, s.error, ""),
    )


def new_contract_page() -> rx.Component:
    s = NewContractState
    return shell(
        "admin",
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=16), tr("people_ui.sub.back")),
                href="/admin/subscribers",
                size="2",
            ),
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.text(tr("contract_desk.hint"), size="2", color=rx.color("gray", 11)),
                        rx.cond(s.field == "", error_banner(s.error, "new-error")),
                        _text_input("full_name", "contract_desk.full_name", auto_complete="name"),
                        rx.grid(
                            static_choice(
                                [(d, f"contract_desk.doc.{d}") for d in DOCUMENT_TYPES],
                                s.form["document_type"],
                                lambda v: s.set_field("document_type", v),
                                "new-document_type",
                                "contract_desk.document_type",
                            ),
                            _text_input("document_no", "contract_desk.document_no"),
                            _text_input(
                                "phone", "contract_desk.phone", type="tel", auto_complete="tel"
                            ),
                            _text_input(
                                "email", "contract_desk.email", type="email", auto_complete="email"
                            ),
                            columns=rx.breakpoints(initial="1", sm="2"),
                            spacing="3",
                            width="100%",
                        ),
                        _text_input("address", "contract_desk.address"),
                        rx.button(
                            tr("contract_desk.create"), type="submit", size="3", id="new-create"
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=s.create,
                    width="100%",
                ),
                width="100%",
                max_width="720px",
            ),
            spacing="4",
            width="100%",
        ),
        title_key="contract_desk.heading",
    )


# -- SIMs from stock on the subscriber's card ---------------------------------------------------
class PutSimsState(SessionState):
    query: str = ""
    found: list[dict[str, str]] = []
    searched: bool = False
    chosen: list[dict[str, str]] = []
    tariff_options: list[dict[str, str]] = []
    tariff_id: str = ""
    error: str = ""

    def _subscriber_id(self) -> int | None:
        return optional_id(self.router.page.params.get("subscriber_id", ""))

    @access("admin:subscribers.view")
    @rx.event
    def load(self):
        """The block's tariffs (the card's own load shows the rest); nothing for a role without
        activations.edit, which does not see the block."""
        self.query, self.found, self.searched, self.chosen, self.error = "", [], False, [], ""
        self.tariff_options, self.tariff_id = [], ""
        actor = self._actor()
        if actor is None or not actor.can("activations.edit"):
            return None
        res = self._call(queue_lists.tariff_choices)
        self.tariff_options = [{"value": c.value, "label": c.label} for c in res.value or []]
        offered = [o["value"] for o in self.tariff_options]
        self.tariff_id = offered[0] if offered else ""
        return None

    @access("admin:activations.edit")
    @rx.event
    def search(self, value: str):
        self.query = str(value)[: contract_desk.QUERY_MAX]
        res = self._call(contract_desk.stock_sims, self.query)
        taken = {c["id"] for c in self.chosen}
        self.found = [s for s in _suggestions(res.value or []) if s["id"] not in taken]
        self.searched = len("".join(ch for ch in self.query if ch.isdigit())) >= 3
        return res.redirect

    @access("admin:activations.edit")
    @rx.event
    def pick(self, sim_id: str):
        hit = next((s for s in self.found if s["id"] == str(sim_id)), None)
        if hit is None or len(self.chosen) >= CHOSEN_MAX:
            return
        self.chosen = [*self.chosen, hit]
        # the box empties for the next number (an empty search says nothing)
        self.query, self.found, self.searched = "", [], False

    @access("admin:activations.edit")
    @rx.event
    def drop(self, sim_id: str):
        self.chosen = [c for c in self.chosen if c["id"] != str(sim_id)]

    @access("admin:activations.edit")
    @rx.event
    def set_tariff(self, value: str):
        if any(o["value"] == str(value) for o in self.tariff_options):
            self.tariff_id = str(value)

    @access("admin:activations.edit")
    @rx.event
    def put(self):
        subscriber_id = self._subscriber_id()
        if subscriber_id is None:
            return rx.redirect("/admin/subscribers")
        ids = [int(c["id"]) for c in self.chosen]
        tariff = optional_id(self.tariff_id)
        res = self._call(contract_desk.put_sims, subscriber_id, ids, tariff)
        if not res:
            self.error = res.error
            return res.redirect
        self.error, self.query, self.found, self.chosen, self.searched = "", "", [], [], False
        key = (
            "contract_desk.put.done_link"
            if res.value.set_password_sent
            else "contract_desk.put.done"
        )
        return [
            rx.toast.success(self._t(key, count=len(res.value.sim_ids))),
            rx.redirect(f"/admin/subscribers/{subscriber_id}"),  # the card again
        ]


def _found_row(hit: rx.Var, on_pick, id_prefix: str) -> rx.Component:
    return rx.button(
        rx.hstack(
            rx.text(hit["label"], font_family="var(--code-font-family)"),
            rx.text(hit["hint"], size="1", color=rx.color("gray", 11), overflow_wrap="anywhere"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_click=on_pick(hit["id"]),
        variant="soft",
        color_scheme="gray",
        type="button",
        width="100%",
        justify="start",
        height="auto",
        padding="0.5em",
        id=f"{id_prefix}-" + hit["id"],
    )


def type_ahead(
    value: rx.Var,
    on_change,
    found: rx.Var,
    searched: rx.Var,
    on_pick,
    id_: str,
    label_key: str,
    none_key: str,
) -> rx.Component:
    """A search box whose matches appear under it as buttons as one types (debounced)."""
    return rx.vstack(
        labelled(
            id_,
            tr(label_key),
            rx.debounce_input(
                rx.input(
                    value=value,
                    on_change=on_change,
                    id=id_,
                    size="3",
                    width="100%",
                    type="search",
                    auto_complete="off",
                ),
                debounce_timeout=300,
            ),
        ),
        rx.cond(
            found.length() > 0,
            rx.vstack(
                rx.foreach(found, lambda h: _found_row(h, on_pick, f"{id_}-hit")),
                spacing="1",
                width="100%",
                id=f"{id_}-hits",
            ),
            rx.cond(searched, rx.text(tr(none_key), size="2", color=rx.color("gray", 11))),
        ),
        spacing="2",
        width="100%",
    )


def _chosen_row(c: rx.Var) -> rx.Component:
    s = PutSimsState
    return rx.badge(
        rx.hstack(
            rx.text(c["label"], font_family="var(--code-font-family)"),
            rx.icon_button(
                rx.icon("x", size=14),
                on_click=s.drop(c["id"]),
                size="1",
                variant="ghost",
                type="button",
                aria_label=c["label"],
            ),
            align="center",
            spacing="1",
        ),
        size="2",
        variant="surface",
        id="put-chosen-" + c["id"],
    )


def put_sims_block() -> rx.Component:
    s = PutSimsState
    return rx.card(
        rx.vstack(
            rx.heading(tr("contract_desk.put.heading"), size="4", as_="h2"),
            error_banner(s.error, "put-error"),
            type_ahead(
                s.query,
                s.search,
                s.found,
                s.searched,
                s.pick,
                "put-search",
                "contract_desk.put.search",
                "contract_desk.put.none",
            ),
            rx.cond(
                s.chosen.length() > 0,
                rx.vstack(
                    rx.text(tr("contract_desk.put.chosen"), size="2", weight="medium"),
                    rx.flex(rx.foreach(s.chosen, _chosen_row), wrap="wrap", spacing="2"),
                    rx.flex(
                        choice(
                            s.tariff_options,
                            s.tariff_id,
                            s.set_tariff,
                            "put-tariff",
                            "contract_desk.put.tariff",
                            width="auto",
                        ),
                        rx.button(
                            tr("contract_desk.put.submit"),
                            on_click=s.put,
                            size="3",
                            id="put-submit",
                            type="button",
                        ),
                        spacing="3",
                        align="end",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                    id="put-chosen",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="put-sims",
    )


# -- a move on the admin SIM card ---------------------------------------------------------------
class MoveSimState(SessionState):
    open: bool = False
    query: str = ""
    found: list[dict[str, str]] = []
    searched: bool = False
    target: dict[str, str] = {}
    reason: str = ""
    error: str = ""

    def _sim_id(self) -> int | None:
        return optional_id(self.router.page.params.get("sim_id", ""))

    def _clear(self) -> None:
        self.query, self.found, self.searched, self.target = "", [], False, {}
        self.reason, self.error = "", ""

    @access("admin:subscribers.edit")
    @rx.event
    def toggle(self, value: bool = True):
        self.open = bool(value)
        self._clear()

    @access("admin:subscribers.edit")
    @rx.event
    def search(self, value: str):
        self.query = str(value)[: contract_desk.QUERY_MAX]
        res = self._call(contract_desk.contracts_found, self.query)
        self.found = _suggestions(res.value or [])
        self.searched = len(self.query.strip()) >= 2
        return res.redirect

    @access("admin:subscribers.edit")
    @rx.event
    def pick(self, subscriber_id: str):
        hit = next((s for s in self.found if s["id"] == str(subscriber_id)), None)
        if hit is not None:
            self.target, self.found, self.searched = hit, [], False
            self.query = f"{hit['hint']} · {hit['label']}"

    @access("admin:subscribers.edit")
    @rx.event
    def set_reason(self, value: str):
        self.reason = str(value)[:600]

    @access("admin:subscribers.edit")
    @rx.event
    def move(self, _form: dict | None = None):
        sim_id = self._sim_id()
        if sim_id is None:
            return rx.redirect("/admin/sims")
        target = optional_id(self.target.get("id", ""))
        res = self._call(contract_desk.move_sim, sim_id, target, self.reason)
        if not res:
            self.error = res.error
            return res.redirect
        self._clear()
        self.open = False
        done = self._t("contract_desk.move.done", contract=res.value.to_contract_no)
        return [rx.toast.success(done), rx.redirect(f"/admin/sims/{sim_id}")]


def move_block() -> rx.Component:
    s = MoveSimState
    return rx.cond(
        SessionState.permissions.contains("subscribers.edit"),
        rx.card(
            rx.cond(
                s.open,
                rx.vstack(
                    rx.heading(tr("contract_desk.move.heading"), size="4", as_="h2"),
                    rx.text(tr("contract_desk.move.hint"), size="2", color=rx.color("gray", 11)),
                    error_banner(s.error, "move-error"),
                    type_ahead(
                        s.query,
                        s.search,
                        s.found,
                        s.searched,
                        s.pick,
                        "move-search",
                        "contract_desk.move.search",
                        "contract_desk.move.none",
                    ),
                    labelled(
                        "move-reason",
                        tr("contract_desk.move.reason"),
                        rx.text_area(
                            value=s.reason,
                            on_change=s.set_reason,
                            id="move-reason",
                            width="100%",
                            max_length=500,
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            tr("contract_desk.move.submit"),
                            on_click=s.move,
                            disabled=~s.target.contains("id"),
                            id="move-submit",
                            type="button",
                        ),
                        rx.button(
                            tr("contract_desk.cancel"),
                            on_click=s.toggle(False),
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.button(
                    rx.icon("arrow-right-left", size=16),
                    tr("contract_desk.move.heading"),
                    on_click=s.toggle(True),
                    variant="soft",
                    id="move-open",
                    type="button",
                ),
            ),
            width="100%",
            id="move-sim",
        ),
    )


__all__ = [
    "MoveSimState",
    "NewContractState",
    "PutSimsState",
    "move_block",
    "new_contract_page",
    "put_sims_block",
    "type_ahead",
]
