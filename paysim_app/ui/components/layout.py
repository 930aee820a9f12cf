"""The shell of every signed-in page: header, side navigation (a drawer below 768 px), content."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.components.forms import ready_fieldset
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.nav import PUBLIC, TITLES, TREES, NavItem
from paysim_app.ui.components.notifications import notification_badge
from paysim_app.ui.components.pickers import native_select

DESKTOP = rx.breakpoints(initial="none", sm="flex")  # Reflex CSS breakpoint sm = 48em = 768 px
MOBILE = rx.breakpoints(initial="flex", sm="none")


def _link(item: NavItem, close_drawer: bool = False) -> rx.Component:
    # styled by class (paysim.css .nav-link), not by props: every link would otherwise get an
    # emotion style of its own, built again on each render of the shell
    link = rx.link(
        rx.icon(item.icon, size=18),
        rx.el.span(tr(item.key)),
        href=item.path,
        underline="none",
        class_name="nav-link",
        aria_current=rx.cond(SessionState.router.page.path == item.path, "page", "false"),
    )
    if close_drawer:
        link = rx.drawer.close(link)
    if item.permission:
        return rx.cond(SessionState.permissions.contains(item.permission), link)
    return link


def _nav(tree: str, close_drawer: bool = False) -> rx.Component:
    return rx.el.nav(
        rx.el.div(*[_link(item, close_drawer) for item in TREES[tree]], class_name="nav-links"),
        aria_label=tr("layout.menu"),
        width="100%",
    )


def language_switch() -> rx.Component:
    # native: the one control in every page's header, so no page loads Radix's select for it
    return native_select(
        rx.el.option("RU", value="ru"),
        rx.el.option("EN", value="en"),
        value=SessionState.locale,
        on_change=SessionState.set_locale,
        aria_label=tr("layout.language"),
        ghost=True,
    )


def _drawer(tree: str) -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.icon_button(
                rx.icon("menu"), variant="ghost", aria_label=tr("layout.menu"), id="menu-button"
            ),
        ),
        rx.drawer.overlay(z_index="50"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.heading("PaySim", size="4"),
                        rx.spacer(),
                        rx.drawer.close(
                            rx.icon_button(rx.icon("x"), variant="ghost", aria_label="×")
                        ),
                        width="100%",
                    ),
                    _slot(tree, "drawer"),
                    _nav(tree, close_drawer=True),
                    padding="1em",
                    spacing="3",
                    width="100%",
                ),
                background_color=rx.color("gray", 1),
                height="100%",
                width="min(80vw, 300px)",
                top="0",
                left="0",
                z_index="60",
                id="nav-drawer",
            )
        ),
        direction="left",
    )


# What a tree shows in the shell's header (the cabinet its SIM switcher, the admin console its
# search box), registered by the tree's own module with @header_slot: the shell knows no tree.
_HEADER_SLOTS: dict[str, Callable[[str], rx.Component]] = {}


def header_slot(tree: str):
    """Register `build(place)` as what `tree`'s header shows: place "header" is the bar,
    "drawer" the top of the phone's menu."""

    def register(build: Callable[[str], rx.Component]) -> Callable[[str], rx.Component]:
        _HEADER_SLOTS[tree] = build
        return build

    return register


def _slot(tree: str, place: str) -> rx.Component:
    build = _HEADER_SLOTS.get(tree)
    return build(place) if build else rx.fragment()


def header(tree: str) -> rx.Component:
    # the banner landmark; Radix's flex renders a <div> whatever its `as_`
    return rx.el.header(
        rx.hstack(
            rx.box(_drawer(tree), display=MOBILE),
            rx.link(
                rx.hstack(
                    rx.icon("signal", color=rx.color("accent", 10)), rx.heading("PaySim", size="5")
                ),
                href=TREES[tree][0].path,
                underline="none",
                color=rx.color("gray", 12),
            ),
            rx.text(tr(TITLES[tree]), color=rx.color("gray", 11), size="2", display=DESKTOP),
            rx.spacer(),
            _slot(tree, "header"),
            notification_badge(tree),
            rx.text(
                SessionState.user_name, size="2", weight="medium", id="user-name", display=DESKTOP
            ),
            language_switch(),
            rx.button(
                rx.icon("log-out", size=16),
                rx.text(tr("auth.sign_out"), display=DESKTOP),
                on_click=SessionState.sign_out,
                variant="soft",
                aria_label=tr("auth.sign_out"),
                id="sign-out",
            ),
            align="center",
            spacing="3",
            padding="0.75em 1em",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            background_color=rx.color("gray", 1),
            width="100%",
        ),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def shell(tree: str, *content: rx.Component, title_key: str = "") -> rx.Component:
    return rx.box(
        header(tree),
        rx.hstack(
            rx.box(
                _nav(tree),
                display=DESKTOP,
                width="230px",
                min_width="230px",
                padding="1em 0.75em",
                border_right=f"1px solid {rx.color('gray', 4)}",
                min_height="calc(100vh - 60px)",
            ),
            # the one main landmark (a Radix box with as_="main" still renders a <div>)
            rx.el.main(
                rx.heading(tr(title_key), size="6", margin_bottom="0.75em", as_="h1")
                if title_key
                else rx.fragment(),
                ready_fieldset(*content),
                padding=rx.breakpoints(initial="1em", sm="1.5em"),
                width="100%",
                max_width="1200px",
                min_width="0",
                box_sizing="border-box",
            ),
            spacing="0",
            align="start",
            width="100%",
        ),
        width="100%",
        min_height="100vh",
        background_color=rx.color("gray", 2),
        lang=SessionState.locale,
    )


def coming_soon(tree: str, title_key: str) -> rx.Component:
    """A section that later issues fill in."""
    return shell(
        tree,
        rx.callout(tr("layout.coming_soon"), icon="info", id="coming-soon"),
        title_key=title_key,
    )


def _public_links() -> rx.Component:
    return rx.el.nav(
        rx.flex(
            *[rx.link(tr(item.key), href=item.path, size="2") for item in PUBLIC],
            wrap="wrap",
            justify="center",
            gap="0.5em 1.25em",
        ),
        aria_label=tr("public.nav.label"),
        id="auth-public-links",
        width="100%",
    )


def auth_card(title_key: str, *children: rx.Component) -> rx.Component:
    """The centred card of the signed-out pages, with the language switch, as the page's one
    main landmark; under it the links to the public pages (tariffs, coverage, how to connect)."""
    return rx.el.main(
        rx.center(
            rx.vstack(
                rx.hstack(
                    rx.hstack(
                        rx.icon("signal", color=rx.color("accent", 10)),
                        rx.heading("PaySim", size="6"),
                    ),
                    rx.spacer(),
                    language_switch(),
                    width="100%",
                    align="center",
                ),
                rx.text(tr("app.tagline"), color=rx.color("gray", 11), size="2"),
                rx.card(
                    ready_fieldset(
                        rx.vstack(
                            rx.heading(tr(title_key), size="5", as_="h1"),
                            *children,
                            spacing="4",
                            width="100%",
                        )
                    ),
                    width="100%",
                    size="3",
                ),
                _public_links(),
                width="100%",
                max_width="420px",
                spacing="3",
            ),
            min_height="100vh",
            padding="1em",
            background_color=rx.color("gray", 2),
            width="100%",
            lang=SessionState.locale,
        )
    )
