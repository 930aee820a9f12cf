"""The shell of the public pages (no sign-in): header, content, footer.

Use it for every page a visitor opens without signing in (the tariffs, the coverage check, how
to connect)::

    from paysim_app.ui.components.public_shell import public_shell

    def coverage_page() -> rx.Component:
        return public_shell(
            rx.text(...),                  # the page's content, any components
            title_key="coverage.title",    # the page's one <h1>, an i18n key (optional)
            lead_key="coverage.lead",      # a line under the heading (optional)
        )

The header has the logo, the public links (Тарифы /tariffs, Покрытие /coverage, Как подключиться
/connect; the current one is marked with aria-current), the language switch and «Войти» (/login);
the footer repeats the links and offers registration. The content sits in the page's one <main>,
inside `ready_fieldset`, 1100 px wide at most; from 360 px wide the header's links wrap onto a
second line. The page itself needs no on_load of its own for the shell (it reads only the
session's locale); register the page with its data loader as any other.
"""

from __future__ import annotations

import reflex as rx

from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.forms import ready_fieldset
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import language_switch
from paysim_app.ui.components.nav import PUBLIC

# (i18n key, path): the public sections, in the header's and the footer's order
PUBLIC_LINKS = tuple((item.key, item.path) for item in PUBLIC)


def _logo() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("signal", color=rx.color("accent", 10)),
            rx.heading("PaySim", size="5"),
            align="center",
            spacing="2",
        ),
        href="/tariffs",
        underline="none",
        color=rx.color("gray", 12),
        aria_label="PaySim",
    )


def _nav_link(key: str, path: str) -> rx.Component:
    # the page you are on is plain text (underlined), not a link to itself
    return rx.cond(
        SessionState.router.page.path == path,
        rx.text(
            tr(key),
            as_="span",
            size="2",
            weight="bold",
            color=rx.color("gray", 12),
            text_decoration="underline",
            text_decoration_color=rx.color("accent", 9),
            text_decoration_thickness="2px",
            text_underline_offset="6px",
            aria_current="page",
            padding="0.35em 0.1em",
            white_space="nowrap",
        ),
        rx.link(
            tr(key),
            href=path,
            underline="none",
            size="2",
            weight="medium",
            color=rx.color("gray", 12),
            padding="0.35em 0.1em",
            white_space="nowrap",
        ),
    )


def public_header() -> rx.Component:
    links = rx.el.nav(
        rx.hstack(
            *[_nav_link(key, path) for key, path in PUBLIC_LINKS],
            spacing="4",
            wrap="wrap",
            align="center",
        ),
        aria_label=tr("public.nav.label"),
    )
    return rx.el.header(
        rx.flex(
            rx.hstack(
                _logo(),
                # plain <div>s: Radix's .rt-Box {display: block} comes after emotion's rules
                rx.el.div(links, display=rx.breakpoints(initial="none", sm="block")),
                align="center",
                spacing="6",
            ),
            rx.spacer(),
            rx.hstack(
                language_switch(),
                rx.link(
                    rx.button(rx.icon("log-in", size=16), tr("public.nav.sign_in"), size="2"),
                    href="/login",
                    id="public-sign-in",
                ),
                align="center",
                spacing="3",
            ),
            rx.el.div(
                links,
                display=rx.breakpoints(initial="block", sm="none"),
                width="100%",
            ),
            align="center",
            wrap="wrap",
            gap="0.5em 1em",
            padding="0.75em 1em",
            max_width="1100px",
            margin="0 auto",
            width="100%",
            box_sizing="border-box",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def public_footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.vstack(
                _logo(),
                rx.text(tr("app.tagline"), size="2", color=rx.color("gray", 11)),
                spacing="1",
            ),
            rx.spacer(),
            rx.flex(
                *[
                    rx.link(tr(key), href=path, size="2", color=rx.color("gray", 11))
                    for key, path in PUBLIC_LINKS
                ],
                rx.link(tr("public.nav.sign_in"), href="/login", size="2"),
                rx.link(tr("public.nav.register"), href="/register", size="2"),
                wrap="wrap",
                gap="0.5em 1.25em",
            ),
            wrap="wrap",
            gap="1em",
            align="center",
            padding="1.5em 1em",
            max_width="1100px",
            margin="0 auto",
            width="100%",
            box_sizing="border-box",
        ),
        border_top=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        width="100%",
    )


def public_shell(*content: rx.Component, title_key: str = "", lead_key: str = "") -> rx.Component:
    """A public page: the header, `content` in the page's one <main> (under an <h1> of
    `title_key` and a lead line of `lead_key` when given), the footer."""
    heading = []
    if title_key:
        heading.append(rx.heading(tr(title_key), size="7", as_="h1"))
    if lead_key:
        heading.append(rx.text(tr(lead_key), size="3", color=rx.color("gray", 11)))
    return rx.box(
        public_header(),
        rx.el.main(
            rx.vstack(*heading, spacing="2", margin_bottom="1.25em") if heading else rx.fragment(),
            ready_fieldset(*content),
            padding=rx.breakpoints(initial="1.25em 1em", sm="2em 1.5em"),
            width="100%",
            max_width="1100px",
            margin="0 auto",
            box_sizing="border-box",
            flex="1",
        ),
        public_footer(),
        display="flex",
        flex_direction="column",
        width="100%",
        min_height="100vh",
        background_color=rx.color("gray", 2),
        lang=SessionState.locale,
    )
