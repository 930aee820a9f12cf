"""Adding a SIM the subscriber already has (its ICCID and the code on its pack) to the contract:
one form and its state, shown on /cabinet/sims and on the empty cabinet's dashboard."""

from __future__ import annotations

import reflex as rx

from paysim_app.sims import own_sims
from paysim_app.ui.access import access
from paysim_app.ui.cabinet.state import CabinetState
from paysim_app.ui.components.forms import error_banner, form_card, invalid, labelled
from paysim_app.ui.components.i18n import tr

NO_ERRORS = {"iccid": "", "code": ""}


class ClaimSimState(CabinetState):
    claim_errors: dict[str, str] = NO_ERRORS
    claim_error: str = ""

    @access("subscriber")
    @rx.event
    def clear(self):
        """The form shown again (another page, the dashboard after /cabinet/sims): no old errors."""
        self.claim_errors, self.claim_error = NO_ERRORS, ""

    @access("subscriber")
    @rx.event
    def claim(self, form: dict):
        self.claim_errors, self.claim_error = NO_ERRORS, ""
        res = self._call(
            own_sims.claim_sim,
            str(form.get("iccid", "")),
            str(form.get("code", "")),
            ip=self._client_ip(),
        )
        if not res:
            if res.field in NO_ERRORS:
                self.claim_errors = {**NO_ERRORS, res.field: res.error}
            else:
                self.claim_error = res.error
            return res.redirect
        return [
            rx.set_value("iccid", ""),
            rx.set_value("code", ""),
            rx.toast.success(self._t("sims.claim_sent")),
        ]


def claim_sim_form() -> rx.Component:
    def code_input(name: str, label_key: str, **props) -> rx.Component:
        error = ClaimSimState.claim_errors[name]
        return labelled(
            name,
            tr(label_key),
            rx.input(
                id=name, name=name, size="3", width="100%", aria_invalid=invalid(error), **props
            ),
            error,
        )

    return rx.box(
        form_card(
            rx.heading(tr("sims.add_title"), size="4", as_="h2"),
            rx.text(tr("sims.add_hint"), size="2", color=rx.color("gray", 11)),
            code_input("iccid", "sims.iccid", input_mode="numeric", placeholder="8970 1990 ..."),
            code_input("code", "sims.code", auto_complete="off"),
            error_banner(ClaimSimState.claim_error, id_="claim-error"),
            rx.button(tr("sims.add_button"), type="submit", size="3", id="claim-sim"),
            on_submit=ClaimSimState.claim,
        ),
        id="add-sim",
        on_mount=ClaimSimState.clear,
        width="100%",
        scroll_margin_top="80px",
    )
