"""Two-factor sign-in on the pages: the QR code with its key, the code field, the recovery codes
shown once (shared by the sign-in page's steps and the profile), and the profile's card where an
admin or a partner's user turns it on, makes new recovery codes or turns it off
(accounts.two_factor checks the user, the role's requirement and every code)."""

from __future__ import annotations

import reflex as rx

from paysim_app.accounts import two_factor
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import LocaleView, SessionState
from paysim_app.ui.components.forms import error_banner
from paysim_app.ui.components.i18n import tr

MAX_CODE = 64  # characters of a typed code passed on


def typed_code(form_data: dict) -> str:
    """The code field of a form; the browser may send anything, so coerce and cap."""
    value = form_data.get("code", "") if isinstance(form_data, dict) else ""
    return value[:MAX_CODE] if isinstance(value, str) else ""


# -- widgets ------------------------------------------------------------------------------------
def qr_block(qr, secret) -> rx.Component:
    """The otpauth:// QR code (an SVG data URI) and the key as text, for typing by hand."""
    return rx.flex(
        rx.image(
            src=qr,
            alt=tr("two_factor.qr_alt"),
            width="200px",
            height="200px",
            id="two-factor-qr",
            style={"image_rendering": "pixelated", "border_radius": "8px"},
        ),
        rx.vstack(
            rx.text(tr("two_factor.secret_label"), size="2", weight="medium"),
            rx.code(
                secret,
                size="3",
                id="two-factor-secret",
                style={"overflow_wrap": "anywhere", "letter_spacing": "0.05em"},
            ),
            spacing="1",
            min_width="0",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="center", sm="center"),
        spacing="4",
        width="100%",
    )


def code_input(
    id_: str = "code", label_key: str = "two_factor.code_field", **bound
) -> rx.Component:
    """The code field (`bound`: value/on_change when a state holds it)."""
    return rx.vstack(
        rx.el.label(tr(label_key), html_for=id_, style={"font_weight": "500"}),
        rx.input(
            **bound,
            id=id_,
            name="code",
            autocomplete="one-time-code",
            input_mode="text",
            max_length=MAX_CODE,
            size="3",
            width="100%",
            style={"font_family": "var(--code-font-family)", "letter_spacing": "0.1em"},
        ),
        spacing="1",
        width="100%",
    )


def recovery_codes_block(codes, on_done, id_: str = "recovery-codes") -> rx.Component:
    """The recovery codes, shown once, and the button that closes them."""
    return rx.vstack(
        rx.heading(tr("two_factor.codes_title"), size="4", as_="h2"),
        rx.callout(tr("two_factor.codes_hint"), icon="key-round", color_scheme="amber"),
        rx.grid(
            rx.foreach(
                codes,
                lambda c: rx.code(c, size="3", class_name="recovery-code", text_align="center"),
            ),
            columns="2",
            spacing="2",
            width="100%",
            id=id_,
        ),
        rx.button(
            tr("two_factor.codes_done"),
            size="3",
            width="100%",
            on_click=on_done,
            id="codes-done",
        ),
        spacing="3",
        width="100%",
    )


# -- the profile's card -------------------------------------------------------------------------
class TwoFactorState(LocaleView, SessionState):
    """The profile's two-factor card. The key and the recovery codes sit in the state only
    while this user's own tab shows them (they are for the user's eyes)."""

    loaded: bool = False
    may: bool = False
    enabled: bool = False
    required: bool = False
    left: int = 0
    phase: str = ""  # "" | "enrol" (QR shown, waiting for the first code) | "codes"
    qr: str = ""
    secret: str = ""
    codes: list[str] = []
    code: str = ""  # the code field (the card's buttons share it)
    error: str = ""
    message: str = ""

    def _show(self) -> object:
        res = self._call(two_factor.status)
        if not res:
            return res.redirect
        s = res.value
        self.loaded, self.may, self.enabled = True, s.may_enrol, s.enabled
        self.required, self.left = s.required, s.recovery_left
        return None

    def _take_code(self) -> str:
        code, self.code, self.message = self.code, "", ""
        return code[:MAX_CODE]

    def _codes(self, codes) -> None:
        self.phase, self.codes, self.qr, self.secret = "codes", list(codes), "", ""

    @access("signed-in")
    @rx.event
    def load(self):
        self.phase, self.codes, self.qr, self.secret = "", [], "", ""
        self.error, self.message = "", ""
        return self._show()

    @access("signed-in")
    @rx.event
    def start(self):
        self.error, self.message = "", ""
        res = self._call(two_factor.start_enrolment)
        if not res:
            self.error = res.error
            return res.redirect
        self.phase, self.qr, self.secret = "enrol", res.value.qr, res.value.secret
        return None

    @access("signed-in")
    @rx.event
    def set_code(self, value: str):
        self.code = value[:MAX_CODE] if isinstance(value, str) else ""

    @access("signed-in")
    @rx.event
    def cancel(self):
        self.phase, self.qr, self.secret, self.error = "", "", "", ""

    @access("signed-in")
    @rx.event
    def confirm(self, _form: dict | None = None):
        res = self._call(two_factor.confirm_enrolment, self._take_code())
        if not res:
            self.error = res.error
            return res.redirect
        self.error, self.message = "", self._t("two_factor.enabled_done")
        self._codes(res.value)
        self._show()

    @access("signed-in")
    @rx.event
    def regenerate(self):
        res = self._call(two_factor.regenerate_recovery_codes, self._take_code())
        if not res:
            self.error = res.error
            return res.redirect
        self.error = ""
        self._codes(res.value)
        self._show()

    @access("signed-in")
    @rx.event
    def disable(self):
        res = self._call(two_factor.disable_two_factor, self._take_code())
        if not res:
            self.error = res.error
            return res.redirect
        self.error, self.message = "", self._t("two_factor.disabled_done")
        self._show()

    @access("signed-in")
    @rx.event
    def codes_done(self):
        self.phase, self.codes = "", []

    @rx.var
    def state_text(self) -> str:
        if not self.enabled:
            return self._vt("two_factor.state_off")
        return self._vt("two_factor.state_on", left=self.left)


def _profile_code(label_key: str = "two_factor.code_field") -> rx.Component:
    s = TwoFactorState
    return code_input("profile-code", label_key, value=s.code, on_change=s.set_code)


def _enabled_view() -> rx.Component:
    s = TwoFactorState
    return rx.vstack(
        rx.cond(s.required, rx.text(tr("two_factor.state_required"), size="2")),
        _profile_code("two_factor.current_code"),
        rx.flex(
            rx.button(
                tr("two_factor.regenerate"),
                variant="outline",
                size="3",
                on_click=s.regenerate,
                id="two-factor-regenerate",
            ),
            rx.cond(
                ~s.required,
                rx.button(
                    tr("two_factor.disable"),
                    color_scheme="red",
                    variant="soft",
                    size="3",
                    on_click=s.disable,
                    id="two-factor-disable",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _enrol_view() -> rx.Component:
    s = TwoFactorState
    return rx.form(
        rx.vstack(
            rx.text(tr("two_factor.enrol_scan"), size="2"),
            qr_block(s.qr, s.secret),
            _profile_code(),
            rx.flex(
                rx.button(
                    tr("two_factor.enrol_button"), type="submit", size="3", id="two-factor-confirm"
                ),
                rx.button(
                    tr("two_factor.cancel"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                    on_click=s.cancel,
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=s.confirm,
        reset_on_submit=False,
        width="100%",
    )


def two_factor_card() -> rx.Component:
    """For the partner's and the admin's profile pages; loads itself when shown."""
    s = TwoFactorState
    return rx.card(
        rx.vstack(
            rx.heading(tr("two_factor.card_title"), size="4", as_="h2"),
            rx.cond(
                s.message != "",
                rx.callout(s.message, icon="check", color_scheme="green", id="two-factor-message"),
            ),
            error_banner(s.error, "two-factor-error"),
            rx.match(
                s.phase,
                ("codes", recovery_codes_block(s.codes, s.codes_done)),
                ("enrol", _enrol_view()),
                rx.vstack(
                    rx.text(s.state_text, size="2", id="two-factor-state"),
                    rx.cond(
                        s.enabled,
                        _enabled_view(),
                        rx.button(
                            tr("two_factor.start"),
                            size="3",
                            on_click=s.start,
                            id="two-factor-start",
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="480px",
        id="two-factor-card",
        display=rx.cond(s.loaded & s.may, "block", "none"),
        on_mount=s.load,
    )
