"""Form building blocks: a labelled input with its error (a free one, or one bound to a state's
form dict), an error banner, a card page."""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.components.i18n import tr


def field(
    name: str,
    label_key: str,
    error: rx.Var | str = "",
    type_: str = "text",
    placeholder_key: str | None = None,
    autocomplete: str = "",
    hint_key: str | None = None,
) -> rx.Component:
    """<label> + input + the field's error (announced to screen readers)."""
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=name, font_size="14px", font_weight="500"),
        rx.input(
            id=name,
            name=name,
            type=type_,
            placeholder=tr(placeholder_key) if placeholder_key else "",
            auto_complete=autocomplete or None,
            size="3",
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false")
            if not isinstance(error, str)
            else None,
        ),
        rx.cond(
            error != "",
            rx.text(error, color=rx.color("red", 11), size="2", role="alert", id=f"{name}-error"),
        )
        if not isinstance(error, str)
        else rx.fragment(),
        rx.text(tr(hint_key), size="1", color=rx.color("gray", 11)) if hint_key else rx.fragment(),
        spacing="1",
        width="100%",
        align="start",
    )


def error_banner(message: rx.Var, id_: str = "form-error") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(
            message, icon="triangle_alert", color_scheme="red", role="alert", id=id_, width="100%"
        ),
    )


def ready_fieldset(*children: rx.Component, **props) -> rx.Component:
    """The page's controls, disabled until the page's data has arrived.

    The HTML is served pre-rendered, so a fast user can type before the websocket has hydrated
    the page and its on_load handler has filled the state. That state then re-renders the
    controlled inputs and drops what was typed (and a form submitted that early would go out as
    a plain GET with its fields in the URL). `is_hydrated` turns true only after on_load has run,
    on the first load and after every in-app navigation."""
    not_ready = ~rx.State.is_hydrated
    return rx.el.fieldset(
        *children, disabled=not_ready, aria_busy=not_ready, class_name="page-ready", **props
    )


def labelled(
    id_: str, label: rx.Var | str, control: rx.Component, error: rx.Var | None = None
) -> rx.Component:
    """A label over any control, with the control's error under it (announced when it shows)."""
    return rx.vstack(
        rx.el.label(label, html_for=id_, font_size="14px", font_weight="500"),
        control,
        rx.cond(
            error != "",
            rx.text(error, color=rx.color("red", 11), size="2", role="alert", id=f"{id_}-error"),
        )
        if error is not None
        else rx.fragment(),
        spacing="1",
        width="100%",
        align="start",
    )


def invalid(error: rx.Var) -> rx.Var:
    """aria-invalid for a control whose error var is not empty."""
    return rx.cond(error != "", "true", "false")


def field_error(state, name: str, error: rx.Var | None = None) -> rx.Var:
    """The form's error (`error`, else state.form_error) while it belongs to field `name`
    (state.field), else empty."""
    return rx.cond(state.field == name, state.form_error if error is None else error, "")


def form_input(
    state,
    name: str,
    label_key: str,
    id_: str,
    *,
    error: rx.Var | None = None,
    values: rx.Var | None = None,
    on_change=None,
    **props,
) -> rx.Component:
    """A labelled input of one key of a form dict a state holds: shows values[name] (state.form
    by default), writes it back with on_change(name, value) (state.set_field by default) and is
    marked invalid while state.field == name; `error` (a var, see field_error) shows under it.
    Other props (type, input_mode, read_only, auto_complete...) go to the input."""
    values = state.form if values is None else values
    write = state.set_field if on_change is None else on_change
    return labelled(
        id_,
        tr(label_key),
        rx.input(
            id=id_,
            value=values[name],
            size="3",
            width="100%",
            on_change=lambda v: write(name, v),
            aria_invalid=rx.cond(state.field == name, "true", "false"),
            **props,
        ),
        error,
    )


def tick(
    id_: str,
    label_key: str,
    checked: rx.Var,
    on_change,
    error: rx.Var,
    error_shown: rx.Var,
    *more: rx.Component,
) -> rx.Component:
    """A checkbox inside its label (whose text is also its aria-label), the label's sentence
    going on with `more` (a link...), and `error` under it while `error_shown`."""
    text = rx.text(tr(label_key), " ", *more) if more else tr(label_key)
    return rx.vstack(
        rx.text(
            rx.flex(
                rx.checkbox(
                    checked=checked,
                    on_change=on_change,
                    size="3",
                    id=id_,
                    aria_label=tr(label_key),
                ),
                text,
                spacing="2",
                align="start",
            ),
            as_="label",
            size="2",
        ),
        rx.cond(
            error_shown,
            rx.text(error, color=rx.color("red", 11), size="2", role="alert"),
        ),
        spacing="1",
        width="100%",
    )


def form_card(*children: rx.Component, on_submit, spacing: str = "3") -> rx.Component:
    """A narrow card holding one form (its inputs keep their values after a submit, so a
    refused form can be corrected)."""
    return rx.card(
        rx.form(
            rx.vstack(*children, spacing=spacing, width="100%"),
            on_submit=on_submit,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        max_width="560px",
        size="3",
    )
