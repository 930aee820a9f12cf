"""The advanced search's panel, one for every list: drawn from the list state's declarations
(ListSpec.fields through the ListMixin's adv_fields / adv_ops / adv_kinds / adv_choices), so
no section writes a form of its own.

A row is a field, an operator that fits the field's kind and its value(s): a text box; two for
"from … to"; a date picker; ticks for "one of"; for a related record (subscriber, partner,
tariff, admin) a box that searches as one types and offers the matches. Rows combine with
AND; "Search" applies them (a new entry in the browser's history). The saved filter sets of
the list are in its "Saved filters" menu, with a name box to save the current ones.
Works at 390 px: the row's controls wrap one under another.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import scoped
from paysim_app.ui.components.pickers import native_select, var_options


def _rid(scope: str, prefix: str, i) -> rx.Var:
    return scoped(scope, prefix) + i.to_string()


def _value_control(state, row, i, scope: str = "") -> rx.Component:
    kind = state.adv_kinds[row["field"]].to(str)
    op = row["op"].to(str)
    text_box = rx.input(
        value=row["value"],
        on_change=lambda v: state.adv_set(i, "value", v),
        size="3",
        width="100%",
        id=_rid(scope, "adv-value-", i),
        aria_label=tr("adv.value"),
        type=rx.cond(kind == "date", "date", "text"),
        input_mode=rx.cond((kind == "money") | (kind == "number"), "decimal", "text"),
    )
    second = rx.input(
        value=row["value2"],
        on_change=lambda v: state.adv_set(i, "value2", v),
        size="3",
        width="100%",
        id=_rid(scope, "adv-value2-", i),
        aria_label=tr("adv.value_to"),
        type=rx.cond(kind == "date", "date", "text"),
        input_mode=rx.cond((kind == "money") | (kind == "number"), "decimal", "text"),
    )
    ticks = rx.flex(
        rx.foreach(
            state.adv_choices[row["field"]].to(list[dict[str, str]]),
            lambda c: rx.el.label(
                rx.checkbox(
                    checked=("," + row["value"].to(str) + ",").contains("," + c["value"] + ","),
                    on_change=lambda _v: state.adv_toggle(i, c["value"]),
                ),
                rx.text(c["label"], size="2"),
                display="flex",
                align_items="center",
                gap="6px",
            ),
        ),
        wrap="wrap",
        spacing="3",
        width="100%",
    )
    picker = rx.vstack(
        rx.input(
            value=row["label"],
            on_change=lambda v: state.adv_lookup(i, v),
            debounce_timeout=300,
            placeholder=tr("adv.pick"),
            size="3",
            width="100%",
            id=_rid(scope, "adv-pick-", i),
            aria_label=tr("adv.value"),
            type="search",
            auto_complete="off",
        ),
        rx.cond(
            (state.adv_hit_row == i) & (state.adv_hits.length() > 0),
            rx.vstack(
                rx.foreach(
                    state.adv_hits,
                    lambda h: rx.button(
                        h["label"],
                        variant="ghost",
                        size="2",
                        type="button",
                        on_click=state.adv_pick(i, h["value"]),
                        class_name="adv-hit",
                    ),
                ),
                role="listbox",
                spacing="1",
                align="start",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
    )
    return rx.cond(
        (op == "empty") | (op == "filled") | (op == "yes") | (op == "no"),
        rx.fragment(),
        rx.match(
            kind,
            ("choice", ticks),
            ("ref", picker),
            rx.cond(
                op == "between",
                rx.hstack(text_box, rx.text("—"), second, width="100%", align="center"),
                text_box,
            ),
        ),
    )


def _row(state, row, i, scope: str = "") -> rx.Component:
    return rx.flex(
        # a phone: one control under another; wider: field, operator and value on one line
        rx.box(
            native_select(
                var_options(state.adv_fields),
                value=row["field"],
                on_change=lambda v: state.adv_set(i, "field", v),
                id=_rid(scope, "adv-field-", i),
                aria_label=tr("adv.field"),
            ),
            width=rx.breakpoints(initial="100%", sm="220px"),
        ),
        rx.box(
            native_select(
                var_options(state.adv_ops[row["field"]].to(list[dict[str, str]])),
                value=row["op"],
                on_change=lambda v: state.adv_set(i, "op", v),
                id=_rid(scope, "adv-op-", i),
                aria_label=tr("adv.operator"),
            ),
            width=rx.breakpoints(initial="100%", sm="170px"),
        ),
        rx.box(_value_control(state, row, i, scope), flex="1", min_width="180px"),
        rx.icon_button(
            rx.icon("x", size=16),
            variant="soft",
            color_scheme="gray",
            size="3",
            type="button",
            on_click=state.adv_remove(i),
            aria_label=tr("adv.remove"),
            id=_rid(scope, "adv-remove-", i),
        ),
        spacing="2",
        wrap="wrap",
        align="start",
        width="100%",
        class_name="adv-row",
    )


def saved_menu(state, scope: str = "") -> rx.Component:
    """The list's menu of the user's saved filter sets: open one, or delete it."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("bookmark", size=16),
                tr("saved_filter.menu"),
                variant="soft",
                size="3",
                type="button",
                id=scoped(scope, "saved-menu"),
            )
        ),
        rx.menu.content(
            rx.cond(
                state.saved_sets.length() > 0,
                rx.foreach(
                    state.saved_sets,
                    lambda s: rx.menu.item(
                        s["name"], on_select=state.open_saved(s["id"]), class_name="saved-set"
                    ),
                ),
                rx.menu.item(tr("saved_filter.none"), disabled=True),
            ),
            rx.cond(
                state.saved_sets.length() > 0,
                rx.fragment(
                    rx.menu.separator(),
                    # the new name is the one typed in the panel's name box
                    rx.menu.sub(
                        rx.menu.sub_trigger(
                            rx.icon("pencil", size=14), " ", tr("saved_filter.rename_menu")
                        ),
                        rx.menu.sub_content(
                            rx.foreach(
                                state.saved_sets,
                                lambda s: rx.menu.item(
                                    s["name"],
                                    on_select=state.rename_saved(s["id"]),
                                    disabled=state.save_name.strip() == "",
                                    class_name="saved-rename",
                                ),
                            )
                        ),
                    ),
                    rx.menu.sub(
                        rx.menu.sub_trigger(
                            rx.icon("trash-2", size=14), " ", tr("saved_filter.delete_menu")
                        ),
                        rx.menu.sub_content(
                            rx.foreach(
                                state.saved_sets,
                                lambda s: rx.menu.item(
                                    s["name"],
                                    color="red",
                                    on_select=state.delete_saved(s["id"]),
                                    class_name="saved-delete",
                                ),
                            )
                        ),
                    ),
                ),
            ),
        ),
    )


def advanced_panel(state, scope: str = "") -> rx.Component:
    """The collapsible "Advanced search" above a list (nothing when the list declares no
    fields: the state's adv_fields is then empty); `scope` starts its ids (ids.scoped)."""
    body = rx.form(
        rx.vstack(
            rx.foreach(state.adv_rows, lambda row, i: _row(state, row, i, scope)),
            rx.flex(
                rx.button(
                    rx.icon("plus", size=16),
                    tr("adv.add"),
                    variant="soft",
                    size="3",
                    type="button",
                    on_click=state.adv_add,
                    id=scoped(scope, "adv-add"),
                ),
                rx.button(
                    rx.icon("search", size=16),
                    tr("adv.apply"),
                    size="3",
                    type="submit",
                    id=scoped(scope, "adv-apply"),
                ),
                # pushes the name box right from 576 px; on a phone it starts its own line
                rx.box(flex="1", display=rx.breakpoints(initial="none", sm="block")),
                rx.input(
                    flex="1",
                    max_width="280px",
                    value=state.save_name,
                    on_change=state.set_save_name,
                    placeholder=tr("saved_filter.name"),
                    aria_label=tr("saved_filter.name"),
                    size="3",
                    max_length=60,
                    id=scoped(scope, "saved-name"),
                    name="saved_name",
                    min_width="180px",
                ),
                rx.button(
                    rx.icon("bookmark-plus", size=16),
                    tr("saved_filter.save"),
                    variant="outline",
                    size="3",
                    type="button",
                    on_click=state.save_filters,
                    id=scoped(scope, "saved-save"),
                ),
                spacing="2",
                wrap="wrap",
                width="100%",
                align="center",
            ),
            rx.cond(
                state.saved_note != "",
                rx.text(state.saved_note, size="2", id=scoped(scope, "saved-note"), role="status"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=state.adv_apply,
        reset_on_submit=False,
        width="100%",
    )
    return rx.cond(
        state.adv_fields.length() > 0,
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.button(
                        # static icons (components/icons.py says why)
                        rx.cond(
                            state.adv_open,
                            rx.icon("chevron-up", size=16),
                            rx.icon("chevron-down", size=16),
                        ),
                        tr("adv.title"),
                        variant="ghost",
                        size="3",
                        type="button",
                        on_click=state.toggle_advanced,
                        aria_expanded=rx.cond(state.adv_open, "true", "false"),
                        id=scoped(scope, "adv-toggle"),
                    ),
                    rx.spacer(),
                    saved_menu(state, scope),
                    width="100%",
                    align="center",
                    wrap="wrap",
                    spacing="2",
                ),
                rx.cond(state.adv_open, body),
                error_banner(state.url_note, id_=scoped(scope, "url-note")),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id=scoped(scope, "adv-panel"),
        ),
    )


def related_links(kind: str, record_id: rx.Var) -> rx.Component:
    """A subscriber's or partner's card: its SIMs, payments and tickets, each as the list
    filtered by it (the condition in the address, so the link can be copied or saved)."""
    return rx.flex(
        *[
            rx.link(
                rx.icon(icon, size=14),
                tr(f"adv.links.{name}"),
                href=f"/admin/{path}?{kind}.eq=" + record_id.to(str),
                size="2",
                id=f"{kind}-{name}-link",
                display="inline-flex",
                align_items="center",
                gap="4px",
            )
            for name, path, icon in (
                ("sims", "sims", "smartphone"),
                ("payments", "payments", "credit-card"),
                ("tickets", "support", "life-buoy"),
            )
        ],
        spacing="4",
        wrap="wrap",
        id=f"{kind}-related",
    )
