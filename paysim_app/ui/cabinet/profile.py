"""/cabinet/profile: personal data, language, how each kind of notification reaches them, the
password change (the shared PasswordState block) and the browsers signed in to the account."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import profile
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.cabinet.privacy import privacy_card
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.bounced import bounced_note
from paysim_app.ui.components.format import phone
from paysim_app.ui.components.forms import error_banner, form_card, invalid, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.login_change import login_card
from paysim_app.ui.components.notifications import preferences_card
from paysim_app.ui.components.profile import password_form
from paysim_app.ui.components.sessions import sessions_card

FIELDS = ("full_name", "email", "phone", "address")
LIMITS = {"full_name": 200, "email": 254, "phone": 40, "address": 300}
NO_ERRORS = dict.fromkeys((*FIELDS, "form"), "")


class ProfileState(LocaleView, CabinetState):
    full_name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    login: str = ""
    contract_no: str = ""
    errors: dict[str, str] = NO_ERRORS

    def _fill(self, data: profile.Profile) -> None:
        self.full_name, self.email, self.address = data.full_name, data.email, data.address
        self.phone = phone(data.phone) if data.phone else ""
        self.login, self.contract_no = data.login, data.contract_no

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

    @rx.var
    def login_text(self) -> str:
        return t(
            "profile.login_hint", self.view_locale, login=self.login, contract=self.contract_no
        )


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


def cabinet_profile_page() -> rx.Component:
    return shell(
        "cabinet",
        rx.grid(
            rx.vstack(_personal_form(), _language(), preferences_card(), spacing="4", width="100%"),
            rx.vstack(
                login_card(),
                password_form(),
                sessions_card(),
                privacy_card(),
                spacing="4",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        title_key="profile.title",
    )
