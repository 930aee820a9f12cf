"""/cabinet/profile: personal data, language, e-mail copies of notifications per kind, the
password change (the shared PasswordState block) and the browsers signed in to the account."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import profile
from paysim_app.core.notify import EMAIL_KINDS
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import SessionState
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.bounced import bounced_note
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.forms import error_banner, form_card, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.login_change import login_card
from paysim_app.ui.components.profile import password_form
from paysim_app.ui.components.sessions import sessions_card

FIELDS = ("full_name", "email", "phone", "address")
LIMITS = {"full_name": 200, "email": 254, "phone": 40, "address": 300}
NO_ERRORS = dict.fromkeys((*FIELDS, "form"), "")


class ProfileState(CabinetState):
    full_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    login: str = ""
    contract_no: str = ""
    errors: dict[str, str] = NO_ERRORS
    muted: list[str] = []

    def _fill(self, data: profile.Profile) -> None:
        self.full_name, self.email, self.address = data.full_name, data.email, data.address
        self.phone = phone(data.phone) if data.phone else ""
        self.login, self.contract_no = data.login, data.contract_no
        self.muted = list(data.email_muted)

    @access("subscriber")
    @rx.event
    def load(self):
        actor, redirect = self._open()
        if redirect:
            return redirect
        self.errors = NO_ERRORS
        res = self._call(profile.get_profile)
        if res:
            self._fill(res.value)
        return res.redirect

    @access("subscriber")
    @rx.event
    def set_field(self, name: str, value: str):
        """One setter for the personal-data inputs; only these names can be set."""
        if name in FIELDS:
            setattr(self, name, str(value)[: LIMITS[name]])

    @access("subscriber")
    @rx.event
    def save_personal(self, form_data: dict):
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        form = form_data if isinstance(form_data, dict) else {}
        values = {f: str(form.get(f, getattr(self, f)))[: LIMITS[f] + 1] for f in FIELDS}
        self.errors = NO_ERRORS
        res = self._call(profile.update_profile, **values)
        if not res:
            self.errors = {**NO_ERRORS, (res.field or "form"): res.error}
            return res.redirect
        data = res.value
        self._fill(data)
        self.user_name = data.full_name or self.user_login
        return rx.toast.success(self._t("profile.saved"))

    @access("subscriber")
    @rx.event
    def set_email(self, key: str, enabled: bool):
        """Turn e-mails of one kind, or of a whole group (key = group name), on or off."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login")
        key = str(key)
        kinds = profile.EMAIL_GROUPS.get(key, (key,))
        res = self._call(profile.set_email_enabled, kinds, bool(enabled))
        if not res:
            return res.redirect or rx.toast.error(res.error)
        self.muted = list(res.value)
        return rx.toast.success(self._t("profile.emails_saved"))

    @rx.var
    def email_on(self) -> dict[str, bool]:
        """kind or group -> its e-mails are on (a group: every kind in it)."""
        muted = set(self.muted)
        on = {k: k not in muted for k in EMAIL_KINDS}
        for group, kinds in profile.EMAIL_GROUPS.items():
            on[group] = all(on[k] for k in kinds)
        return on

    @rx.var
    def login_text(self) -> str:
        return t("profile.login_hint", self.locale, login=self.login, contract=self.contract_no)


# --------------------------------------------------------------------------- page


def _personal_form() -> rx.Component:
    def text_input(name: str, label_key: str, **props) -> rx.Component:
        error = ProfileState.errors[name]
        return labelled(
            name,
            tr(label_key),
            rx.input(
                id=name,
                name=name,
                value=getattr(ProfileState, name),
                size="3",
                width="100%",
                max_length=LIMITS[name],
                aria_invalid=invalid(error),
                on_change=lambda v: ProfileState.set_field(name, v),
                **props,
            ),
            error,
        )

    address_error = ProfileState.errors["address"]
    return form_card(
        rx.heading(tr("profile.personal"), size="4", as_="h2"),
        rx.text(ProfileState.login_text, size="2", color=rx.color("gray", 11), id="profile-login"),
        text_input("full_name", "profile.full_name", auto_complete="name"),
        text_input("email", "profile.email", input_mode="email", auto_complete="email"),
        bounced_note(),
        text_input(
            "phone",
            "profile.phone",
            type="tel",
            auto_complete="tel",
            placeholder="+7 XXX XXX-XX-XX",
        ),
        labelled(
            "address",
            tr("profile.address"),
            rx.text_area(
                id="address",
                name="address",
                value=ProfileState.address,
                width="100%",
                max_length=LIMITS["address"],
                rows="2",
                aria_invalid=invalid(address_error),
                on_change=lambda v: ProfileState.set_field("address", v),
            ),
            address_error,
        ),
        error_banner(ProfileState.errors["form"], id_="profile-error"),
        rx.button(tr("profile.save"), type="submit", size="3", id="save-profile"),
        on_submit=ProfileState.save_personal,
    )


def _language() -> rx.Component:
    return rx.card(
        labelled(
            "profile-locale",
            tr("profile.language"),
            rx.select.root(
                rx.select.trigger(id="profile-locale", width="100%"),
                rx.select.content(
                    rx.select.item(tr("profile.language.ru"), value="ru"),
                    rx.select.item(tr("profile.language.en"), value="en"),
                ),
                value=SessionState.locale,
                on_change=SessionState.set_locale,
                size="3",
            ),
        ),
        width="100%",
        max_width="560px",
        size="3",
    )


def _switch(key: str, label_key: str, weight: str = "regular") -> rx.Component:
    return rx.hstack(
        rx.el.label(
            tr(label_key),
            html_for=f"email-{key}",
            font_size="14px",
            font_weight="500" if weight == "medium" else "400",
        ),
        rx.switch(
            id=f"email-{key}",
            checked=ProfileState.email_on[key],
            on_change=lambda v: ProfileState.set_email(key, v),
        ),
        justify="between",
        align="center",
        width="100%",
        min_height="32px",
    )


def _emails() -> rx.Component:
    groups = []
    for group, kinds in profile.EMAIL_GROUPS.items():
        rows = [_switch(group, f"profile.group.{group}", "medium")]
        if len(kinds) > 1:
            rows.append(
                rx.vstack(
                    *[_switch(k, f"profile.kind.{k}") for k in kinds],
                    spacing="1",
                    width="100%",
                    padding_left="1em",
                )
            )
        groups.append(rx.vstack(*rows, spacing="1", width="100%", id=f"emails-{group}"))
    return rx.card(
        rx.vstack(
            rx.heading(tr("profile.emails"), size="4", as_="h2"),
            rx.text(tr("profile.emails_hint"), size="2", color=rx.color("gray", 11)),
            *[item for g in groups for item in (g, rx.divider())][:-1],
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="560px",
        size="3",
    )


def cabinet_profile_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.grid(
            rx.vstack(_personal_form(), _language(), _emails(), spacing="4", width="100%"),
            rx.vstack(login_card(), password_form(), sessions_card(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        title_key="profile.title",
    )
