"""Pieces of the admin detail pages: labelled value tiles and their grid, the title row with a
status badge, the back link, a tab label with a pending count, the "are you sure" callout, the
reason + reject form of the queues. The text input bound to a state's form dict (form_input,
field_error) is forms.py's, imported from here too."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.auth.session import Outcome
from paysim_app.ui.components.forms import field_error as field_error
from paysim_app.ui.components.forms import form_input as form_input
from paysim_app.ui.components.forms import labelled
from paysim_app.ui.components.i18n import tr

MONO = "var(--code-font-family)"


def call_on_record(
    state,
    record_id: int | None,
    verb,
    *args,
    error_attr: str = "action_error",
    field_attr: str = "field",
    **kwargs,
) -> Outcome:
    """state._call of a verb on the record a card page shows (its id first, after the actor): a
    refusal lands in `error_attr` (a bad value also names its field in `field_attr`); success
    shows the card again. `state` answers `_reset_messages()` and `_show(record_id)`."""
    if record_id is None:
        return Outcome(redirect=rx.redirect("/login"))
    state._reset_messages()
    res = state._call(verb, record_id, *args, **kwargs)
    if res:
        state._show(record_id)
    else:
        setattr(state, error_attr, res.error)
        setattr(state, field_attr, res.field)
    return res


def info(label_key: str, value, id_: str, href=None, mono: bool = False) -> rx.Component:
    """A label over a value (a link when `href` is a non-empty var); the id is on the value."""
    shown = (
        rx.cond(href != "", rx.link(value, href=href), rx.text(value))
        if href is not None
        else rx.text(value)
    )
    return rx.vstack(
        rx.text(tr(label_key), size="1", color=rx.color("gray", 11)),
        rx.box(shown, id=id_, **({"font_family": MONO} if mono else {})),
        spacing="0",
        min_width="0",
        overflow_wrap="anywhere",
    )


def info_text(label_key: str, value, id_: str, mono: bool = False) -> rx.Component:
    """A label over a plain text value carrying the id."""
    return rx.vstack(
        rx.text(tr(label_key), size="1", color=rx.color("gray", 11)),
        rx.text(value, id=id_, **({"font_family": MONO} if mono else {}), overflow_wrap="anywhere"),
        spacing="0",
        min_width="0",
    )


def info_grid(*items: rx.Component) -> rx.Component:
    return rx.grid(
        *items,
        columns=rx.breakpoints(initial="1", xs="2", md="3"),
        spacing="3",
        width="100%",
    )


def title_row(title, status, colour, id_: str) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="5", id=f"{id_}-title"),
        rx.badge(status, color_scheme=colour, variant="soft", size="2", id=f"{id_}-status"),
        align="center",
        wrap="wrap",
    )


def back_link(href: str, key: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), rx.text(tr(key)), align="center", spacing="1"),
        href=href,
        id="back-link",
    )


def tab_label(key: str, count) -> rx.Component:
    """A tab's title with an amber badge counting what waits (hidden at zero)."""
    return rx.hstack(
        rx.text(tr(key)),
        rx.cond(count > 0, rx.badge(count, color_scheme="amber", variant="solid", radius="full")),
        spacing="2",
        align="center",
    )


def confirm_callout(
    text_key: str,
    yes_key: str,
    cancel_key: str,
    on_yes,
    on_no,
    yes_id: str,
    *,
    colour: str = "red",
    yes_colour: str = "red",
    button_type: str | None = None,
    row=rx.flex,
    **row_props,
) -> rx.Component:
    """The question, the confirming button and a cancel button in a warning callout."""
    typed = {"type": button_type} if button_type else {}
    return rx.callout(
        row(
            rx.text(tr(text_key)),
            rx.button(
                tr(yes_key), color_scheme=yes_colour, size="2", **typed, on_click=on_yes, id=yes_id
            ),
            rx.button(tr(cancel_key), variant="soft", size="2", **typed, on_click=on_no),
            **row_props,
            wrap="wrap",
            align="center",
        ),
        color_scheme=colour,
        icon="triangle_alert",
        width="100%",
    )


REASON_MAX = 600  # what the states keep of a typed reason (the domain allows 500: its error)


def submitted_reason(state, form: object) -> str:
    """The reason as reject_form submitted it, kept in state.reason. The text area's on_change is
    debounced, so its last keystrokes may still be on their way when the button is pressed; the
    form's own value is the one the user sees."""
    value = form.get("reason") if isinstance(form, dict) else None
    if isinstance(value, str):
        state.reason = value[:REASON_MAX]
    return state.reason


def reject_form(state, id_: str) -> rx.Component:
    """The reason (required: a field error when empty) and the reject button; the handler reads
    the reason with submitted_reason."""
    return rx.form(
        rx.vstack(
            labelled(
                f"{id_}-reason",
                tr("queues.reject_reason"),
                rx.text_area(
                    id=f"{id_}-reason",
                    name="reason",
                    value=state.reason,
                    on_change=state.set_reason,
                    size="3",
                    width="100%",
                    aria_invalid=rx.cond(state.reason_error != "", "true", "false"),
                ),
                state.reason_error,
            ),
            rx.button(
                tr("queues.reject"),
                color_scheme="red",
                variant="soft",
                size="3",
                type="submit",
                id=f"{id_}-reject",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=state.reject,
        reset_on_submit=False,
        width="100%",
    )


def tabs_header(state, *triggers: rx.Component, panel: rx.Component) -> rx.Component:
    """The tab strip of a two-list page, bound to state.tab / state.set_tab, over the chosen
    tab's panel (one panel whose value follows the tab: the chosen trigger's aria-controls
    names it)."""
    return rx.tabs.root(
        rx.tabs.list(*triggers, size="2"),
        rx.tabs.content(
            panel,
            value=state.tab,
            tab_index=-1,  # the panel holds controls: no tab stop of its own
            padding_top="var(--space-4)",
        ),
        value=state.tab,
        on_change=state.set_tab,
        width="100%",
    )
