"""The legal texts: /consent asks a subscriber to accept a new version before anything else
(the door sends them here while Actor.consent_due), /legal shows the current texts to anyone
(the registration form links to them); `consent_ticks` is the two boxes of the registration
form, `ticked` reads a box from a form's data."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import consent
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import HOME, LocaleView, SessionState
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import auth_card

DOC_ANCHORS = {"personal_data": "personal-data", "terms": "terms"}


def ticked(form_data: object, name: str) -> bool:
    """A checkbox of a submitted form: Radix sends "on" when it is ticked, nothing otherwise."""
    value = form_data.get(name) if isinstance(form_data, dict) else None
    return value is True or value in ("on", "true", "1")


def _plain(views: list[consent.LegalTextView]) -> list[dict]:
    return [
        {
            "doc": v.doc,
            "anchor": DOC_ANCHORS.get(v.doc, v.doc),
            "version": v.version,
            "title_ru": v.title_ru,
            "title_en": v.title_en,
            "body_ru": v.body_ru,
            "body_en": v.body_en,
            "date": f"{moscow_date(v.published_at):%d.%m.%Y}",
        }
        for v in views
    ]


def _shown(texts: list[dict], locale: str) -> list[dict[str, str]]:
    en = locale == "en"
    return [
        {
            "doc": x["doc"],
            "anchor": x["anchor"],
            "title": x["title_en"] if en else x["title_ru"],
            "body": x["body_en"] if en else x["body_ru"],
            "edition": t("consent.edition", locale, version=x["version"], date=x["date"]),
        }
        for x in texts
    ]


class ConsentState(LocaleView, SessionState):
    """/consent: the current texts the signed-in subscriber has not accepted yet, each with its
    box. The versions shown stay server-side (`_versions`): acceptance is recorded for what
    was shown, and refused if a newer version was published meanwhile."""

    texts: list[dict] = []
    error: str = ""
    _versions: dict[str, int] = {}

    def _fill(self, views: list[consent.LegalTextView]) -> None:
        self.texts = _plain(views)
        self._versions = {v.doc: v.version for v in views}

    @access("signed-in")
    @rx.event
    def load(self):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        self.error = ""
        res = self._call(consent.pending_texts)
        if not res:
            return res.redirect
        if not res.value:  # nothing to accept (staff, or already done)
            return rx.redirect(HOME[actor.role])
        self._fill(res.value)
        return None

    @access("signed-in")
    @rx.event
    def accept(self, form_data: dict):
        if not all(ticked(form_data, f"accept_{doc}") for doc in self._versions):
            self.error = self._t("consent.accept_each")
            return
        res = self._call(
            consent.accept_current,
            dict(self._versions),
            ip=self._client_ip(),
            user_agent=self.router.headers.user_agent,
        )
        if not res:
            if res.code == "consent.changed":  # a newer version: show it
                fresh = self._call(consent.pending_texts)
                if fresh:
                    self._fill(fresh.value)
            self.error = res.error
            return res.redirect
        self.error, self.texts, self._versions = "", [], {}
        return rx.redirect(HOME["subscriber"])

    @rx.var
    def shown(self) -> list[dict[str, str]]:
        return _shown(self.texts, self.view_locale)


class LegalState(LocaleView, SessionState):
    """/legal: the current version of each document, for anyone."""

    texts: list[dict] = []

    @access("public")
    @rx.event
    def load(self):
        res = self._call(consent.current_texts, public=True)
        self.texts = _plain(res.value) if res else []

    @rx.var
    def shown(self) -> list[dict[str, str]]:
        return _shown(self.texts, self.view_locale)


# --------------------------------------------------------------------------- components


def _text_block(x: rx.Var, box: bool) -> rx.Component:
    return rx.vstack(
        rx.heading(x["title"], size="4", as_="h2", id=x["anchor"]),
        rx.text(x["edition"], size="1", color=rx.color("gray", 11)),
        rx.scroll_area(
            rx.text(x["body"], size="2", white_space="pre-wrap"),
            type="auto",
            scrollbars="vertical",
            max_height="260px" if box else "none",
            padding_right="12px",
        ),
        rx.text(
            rx.flex(
                rx.checkbox(name=f"accept_{x['doc']}", size="3", id=f"accept-{x['anchor']}"),
                tr("consent.i_accept"),
                spacing="2",
                align="center",
            ),
            as_="label",
            size="2",
            weight="medium",
        )
        if box
        else rx.fragment(),
        spacing="2",
        width="100%",
        align="start",
    )


def consent_page() -> rx.Component:
    s = ConsentState
    return auth_card(
        "consent.title",
        rx.text(tr("consent.intro"), size="2", id="consent-intro"),
        rx.form(
            rx.vstack(
                rx.foreach(s.shown, lambda x: _text_block(x, True)),
                error_banner(s.error, "consent-error"),
                rx.button(
                    tr("consent.accept"), type="submit", size="3", width="100%", id="consent-accept"
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=s.accept,
            width="100%",
        ),
        rx.button(
            tr("consent.sign_out"),
            variant="ghost",
            size="2",
            on_click=SessionState.sign_out,
            id="consent-sign-out",
        ),
    )


def legal_page() -> rx.Component:
    return auth_card(
        "consent.legal_title",
        rx.foreach(LegalState.shown, lambda x: _text_block(x, False)),
        rx.link(tr("auth.back_to_login"), href="/login", size="2"),
    )


def consent_ticks(error: rx.Var) -> rx.Component:
    """The registration form's two boxes (`consent_personal_data`, `consent_terms`), each
    naming the document with a link to its text, and the form's error for them."""

    def tick(name: str, label_key: str, anchor: str) -> rx.Component:
        return rx.text(
            rx.flex(
                rx.checkbox(
                    name=name, size="3", id=name.replace("_", "-"), aria_label=tr(label_key)
                ),
                rx.text(
                    tr(label_key),
                    " ",
                    rx.link(
                        tr("consent.read"),
                        href=f"/legal#{anchor}",
                        is_external=True,
                        underline="always",
                    ),
                    size="2",
                ),
                spacing="2",
                align="start",
            ),
            as_="label",
            size="2",
        )

    return rx.vstack(
        tick("consent_personal_data", "consent.tick_personal_data", "personal-data"),
        tick("consent_terms", "consent.tick_terms", "terms"),
        rx.cond(
            error != "",
            rx.text(error, color=rx.color("red", 11), size="2", role="alert", id="consent-error"),
        ),
        spacing="2",
        width="100%",
        align="start",
    )
