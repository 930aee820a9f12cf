"""A period of dates (from, to) that statistics pages share: the state part with its default
(the last twelve months) and the form with a Show button."""

from __future__ import annotations

from datetime import date

import reflex as rx

from paysim_app.core import utcnow
from paysim_app.core.errors import ValidationError
from paysim_app.i18n.formats import moscow_date
from paysim_app.ui.access import PERIOD, access
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr

PERIOD_FIELDS = ("date_from", "date_to")


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 12 months: from the first day of the month eleven months back to today."""
    today = today or moscow_date(utcnow())
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), today


class PeriodMixin(rx.State, mixin=True):
    """Two date inputs (YYYY-MM-DD) and the error of the last attempt to use them."""

    date_from: str = ""
    date_to: str = ""
    period_error: str = ""

    def _reset_period(self) -> None:
        start, end = default_period()
        self.date_from, self.date_to, self.period_error = start.isoformat(), end.isoformat(), ""

    def _period(self) -> tuple[date, date]:
        try:
            return date.fromisoformat(self.date_from), date.fromisoformat(self.date_to)
        except ValueError:
            raise ValidationError("admin_partners.error.date", field="date_from") from None

    @access(PERIOD)
    @rx.event
    def set_date(self, name: str, value: str):
        if name in PERIOD_FIELDS:
            setattr(self, name, str(value)[:10])


def period_form(state, id_: str) -> rx.Component:
    """From / To date inputs and a Show button; the period's error under them."""

    def date_input(name: str, suffix: str, label_key: str) -> rx.Component:
        control_id = f"{id_}-{suffix}"
        return labelled(
            control_id,
            tr(label_key),
            rx.input(
                id=control_id,
                type="date",
                value=getattr(state, name),
                size="3",
                width="100%",
                on_change=lambda v: state.set_date(name, v),
            ),
        )

    return rx.form(
        rx.vstack(
            rx.flex(
                rx.box(date_input("date_from", "from", "admin_partners.period.from"), flex="1"),
                rx.box(date_input("date_to", "to", "admin_partners.period.to"), flex="1"),
                rx.button(
                    rx.icon("calendar-search", size=16),
                    tr("admin_partners.period.show"),
                    type="submit",
                    size="3",
                    id=f"{id_}-show",
                ),
                spacing="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            error_banner(state.period_error, id_=f"{id_}-error"),
            spacing="2",
            width="100%",
        ),
        on_submit=state.show,
        reset_on_submit=False,
        width="100%",
    )
