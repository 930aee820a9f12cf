"""/admin/payments: every payment with filters and the totals of the filtered set;
/admin/payments/[payment_id]: one payment (gateway reference, decline reason, autopay
attempts) and its refund."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import ClassVar

import reflex as rx

from paysim_app.accounts import identity
from paysim_app.api.receipts import receipt_link
from paysim_app.billing import (
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    disputes,
    payment_lists,
    payments,
    receipts,
    statement,
)
from paysim_app.i18n import t
from paysim_app.ui.access import access
from paysim_app.ui.auth.session import Outcome, SessionState
from paysim_app.ui.components.data_table import Column, data_table
from paysim_app.ui.components.detail import info_text
from paysim_app.ui.components.format import moment, money, phone
from paysim_app.ui.components.forms import error_banner, labelled
from paysim_app.ui.components.i18n import tr
from paysim_app.ui.components.ids import optional_id
from paysim_app.ui.components.layout import shell
from paysim_app.ui.components.list_view import FilterField, list_view
from paysim_app.ui.components.listing import ALL, ListMixin

_info = partial(info_text, mono=True)  # the payment card shows codes

STATUS_COLOURS = {
    "succeeded": "green",
    "failed": "red",
    "pending": "amber",
    "partly_refunded": "orange",
    "refunded": "gray",
    "disputed": "crimson",
    "dispute_won": "green",
    "dispute_lost": "red",
    "unknown": "amber",
}
DISPUTE_COLOURS = {"open": "crimson", "won": "green", "lost": "red"}


class AdminPaymentsState(ListMixin, SessionState):
    LIST_ACCESS: ClassVar[str] = "admin:payments.view"
    totals_text: str = ""
    _totals_seq: int = 0

    def _spec(self):
        return payment_lists.PAYMENT_LIST

    def _format(self, row: dict, loc: str) -> dict[str, str]:
        code = row["decline_code"] or ""
        shown = payments.display_status(
            row["status"], row["refunded_kop"], row["dispute"], row["unknown_since"] is not None
        )
        if shown == "partly_refunded":
            reason = statement.refunded_of(row["refunded_kop"], row["amount_kop"], loc)
        else:
            reason = t(f"decline.{code}", loc) if code else ""
        return {
            "no": f"#{row['id']}",
            "href": f"/admin/payments/{row['id']}",
            "date": moment(row["created_at"], loc),
            "amount": money(row["amount_kop"], loc),
            "method": t(f"statement.method.{row['method']}", loc),
            "status": t(f"statement.status.{shown}", loc),
            "colour": STATUS_COLOURS.get(shown, "gray"),
            "reason": reason,
            "sim": phone(row["msisdn"]),
            "subscriber": row["subscriber"] or "—",
            "partner": row["partner"] or "—",
        }

    def _after_fetch(self, count: bool):
        if not count or self.list_error:
            return None
        # the sums of a big filtered set take longer than a page: the rows show at once and
        # the totals follow from a background task
        self._totals_seq += 1
        self.totals_text = self._t("admin_payments.totals_wait")
        return AdminPaymentsState.load_totals

    @access("admin:payments.view")
    @rx.event(background=True)
    async def load_totals(self):
        async with self:
            seq, query, loc = self._totals_seq, self._query(), self.locale
            actor = self._actor()
        if actor is None:
            return
        # _call_async's work, with the actor looked up above: a background task changes its
        # state only inside `async with self`, and the sums must not hold the state meanwhile
        res = await asyncio.to_thread(self._outcome, lambda: payment_lists.totals(actor, query))
        if not res:
            return
        tot = res.value
        text = t(
            "admin_payments.totals",
            loc,
            count=tot.count,
            amount=money(tot.amount_kop, loc),
            succeeded=money(tot.succeeded_kop, loc),
            refunded=money(tot.refunded_kop, loc),
        )
        async with self:
            if self._totals_seq == seq:  # the filters have not changed meanwhile
                self.totals_text = text

    @access("admin:payments.view")
    @rx.event
    async def load(self):
        return await self._start()


COLUMNS = [
    Column("no", "admin_payments.col.id", mono=True, link="href"),
    Column("date", "admin_payments.col.date", mono=True),
    Column("sim", "admin_payments.col.sim", mono=True),
    Column("subscriber", "admin_payments.col.subscriber"),
    Column("partner", "admin_payments.col.partner"),
    Column("method", "admin_payments.col.method"),
    Column("amount", "admin_payments.col.amount", align="right"),
    Column("status", "admin_payments.col.status", badge="colour", hint="reason"),
]
FIELDS = [
    FilterField("date_from", "admin_payments.date_from", "date"),
    FilterField("date_to", "admin_payments.date_to", "date"),
    FilterField(
        "status",
        "admin_payments.col.status",
        options=[(ALL, "list.any")] + [(s, f"statement.status.{s}") for s in PAYMENT_STATUSES],
    ),
    FilterField(
        "method",
        "admin_payments.col.method",
        options=[(ALL, "list.any")] + [(m, f"statement.method.{m}") for m in PAYMENT_METHODS],
    ),
    FilterField(
        "dispute",
        "admin_payments.dispute.filter",
        options=[(ALL, "list.any"), ("any", "admin_payments.dispute.any")]
        + [(d, f"admin_payments.dispute.state.{d}") for d in ("open", "won", "lost")],
    ),
    FilterField("amount_min", "admin_payments.amount_min", "amount"),
    FilterField("amount_max", "admin_payments.amount_max", "amount"),
]
SORTS = [
    ("created_at", "admin_payments.col.date"),
    ("amount", "admin_payments.col.amount"),
    ("status", "admin_payments.col.status"),
]


def payments_page() -> rx.Component:
    s = AdminPaymentsState
    return shell(
        "admin",
        list_view(
            s,
            COLUMNS,
            FIELDS,
            SORTS,
            id_="admin-payments",
            search_key="admin_payments.search",
            extra=rx.text(s.totals_text, size="2", weight="medium", id="payments-totals"),
        ),
        title_key="admin_payments.title",
    )


class AdminPaymentState(SessionState):
    payment: dict = {}
    attempts: list[dict[str, str]] = []
    refunds: list[dict[str, str]] = []
    receipt_rows: list[dict[str, str]] = []
    disputes: list[dict[str, str]] = []
    dispute_steps: list[dict[str, str]] = []
    comment: str = ""
    amount: str = ""
    error: str = ""
    settle_comment: str = ""
    settle_error: str = ""

    def _payment_id(self) -> int | None:
        raw = self.router.page.params.get("payment_id", "")
        return optional_id(raw)

    def _show(self, payment_id: int) -> Outcome:
        res = self._call(payment_lists.payment_card, payment_id)
        if not res:
            return res
        card = res.value
        loc = self.locale
        code = card.decline_code or ""
        self.payment = {
            "id": str(card.id),
            "title": f"#{card.id} · {money(card.amount_kop, loc)}",
            "date": moment(card.created_at, loc),
            "completed": moment(card.completed_at, loc) if card.completed_at else "—",
            "method": t(f"statement.method.{card.method}", loc),
            "status": t(f"statement.status.{card.display_status}", loc),
            "colour": STATUS_COLOURS.get(card.display_status, "gray"),
            "refunded": t(
                "admin_payments.refunded_value",
                loc,
                refunded=money(card.refunded_kop, loc),
                amount=money(card.amount_kop, loc),
            )
            if card.refunded_kop
            else "—",
            "refund_label": t(
                "admin_payments.refund_rest",
                loc,
                amount=money(card.amount_kop - card.refunded_kop, loc),
            )
            if card.refunded_kop
            else t("admin_payments.refund", loc),
            "decline": f"{code}: {t(f'decline.{code}', loc)}" if code else "—",
            "card": card.card or "—",
            "gateway": card.gateway,
            "gateway_ref": card.gateway_ref or "—",
            "idempotency": card.idempotency_key,
            "sim": phone(card.msisdn) if card.sim_id else "—",
            # a prepayment held on a SIM order has no SIM yet: no link
            "sim_href": f"/admin/sims/{card.sim_id}" if card.sim_id else "",
            "subscriber": card.subscriber or "—",
            "partner": card.partner or "—",
            "commission": money(card.commission_kop, loc),
            "refundable": "1" if card.refundable else "",
            "refund_amount_label": t(
                "admin_payments.refund_amount",
                loc,
                amount=money(card.amount_kop - card.refunded_kop - card.chargeback_kop, loc),
            ),
            "unknown": "1" if card.unknown else "",
            "can_settle": "1" if card.can_settle else "",
            "unknown_text": t("admin_payments.unknown_text", loc, ikey=card.idempotency_key),
            # the sandbox plays the card holder's bank (billing.disputes.simulate_dispute)
            "simulate": "1"
            if card.can_act
            and card.gateway == "sandbox"
            and card.method in ("card", "autopay")
            and card.status in ("succeeded", "refunded")
            and card.dispute in (None, "open")
            else "",
            "dispute": card.dispute or "",
            "receipt": "1" if receipts.has_receipt(card.status, card.method) else "",
        }
        states = self._call(receipts.receipt_states, payment_id)
        self.receipt_rows = [
            {
                "no": f"№ {r.receipt_no}",
                "kind": t(f"receipt.kind.{r.kind}", loc),
                "amount": money(r.amount_kop, loc),
                "state": t(f"receipt.state.{r.status}", loc, fd=r.fd_number, error=r.error or "—"),
            }
            for r in (states.value if states else [])
        ]
        found = self._call(disputes.payment_disputes, payment_id)
        self.disputes, self.dispute_steps = [], []
        for d in found.value if found else []:
            self.disputes.append(
                {
                    "ref": d.ref,
                    "amount": money(d.amount_kop, loc),
                    "reason": d.reason or "—",
                    "status": d.status,
                    "state": t(f"admin_payments.dispute.state.{d.state}", loc),
                    "colour": DISPUTE_COLOURS.get(d.state, "gray"),
                    "due": moment(d.evidence_due_at, loc) if d.evidence_due_at else "—",
                    "opened": moment(d.created_at, loc),
                    "closed": moment(d.closed_at, loc) if d.closed_at else "—",
                    "debited": money(-d.debited_kop, loc) if d.debited_kop else "—",
                }
            )
            self.dispute_steps += [
                {
                    "date": moment(step.at, loc) if step.at else "—",
                    "event": step.kind,
                    "status": step.status,
                    "amount": money(step.amount_kop, loc),
                }
                for step in d.history
            ]
        self.attempts = [
            {
                "period": a.period,
                "no": str(a.attempt),
                "status": a.status + (f" ({a.decline_code})" if a.decline_code else ""),
                "next": moment(a.next_retry_at, loc) if a.next_retry_at else "—",
            }
            for a in card.attempts
        ]
        self.refunds = [
            {
                "date": moment(r.created_at, loc),
                "amount": money(-r.applied_kop, loc) if r.applied_kop else "—",
                "ref": r.ref,
                "by": r.by or t("admin_payments.refund_by_gateway", loc),
            }
            for r in card.refunds
        ]
        return res

    @access("admin:payments.view")
    @rx.event
    def load(self):
        _actor, redirect = self._gate("admin", "payments.view")
        if redirect:
            return redirect
        self.comment, self.error, self.amount = "", "", ""
        self.settle_comment, self.settle_error = "", ""
        payment_id = self._payment_id()
        if payment_id is None:
            return rx.redirect("/admin/payments")
        res = self._show(payment_id)
        if not res:
            return res.redirect or rx.redirect("/admin/payments")
        return None

    @access("admin:payments.view")
    @rx.event
    def download_receipt(self):
        """The payment's receipt as a PDF: a signed link to api/receipts.py, which checks the
        session and the permission again."""
        payment_id = self._payment_id()
        sid = self._call(identity.session_id_of, self.auth_token, public=True).value
        if payment_id is None or sid is None or self._actor() is None:
            return rx.redirect("/login")
        return rx.download(
            url=receipt_link(sid, payment_id, self.locale),
            filename=self._t("receipt.file", no=payment_id),
        )

    @access("admin:payments.refund")
    @rx.event
    def set_comment(self, value: str):
        self.comment = str(value)[:500]

    @access("admin:payments.refund")
    @rx.event
    def set_amount(self, value: str):
        self.amount = str(value)[:20]

    @access("admin:payments.refund")
    @rx.event
    def refund(self, form: dict | None = None):
        payment_id = self._payment_id()
        if payment_id is None:
            return rx.redirect("/login")
        self.error = ""
        # what the form held when it was sent: the fields' own on_change is debounced, so a
        # quick Enter could otherwise refund with the amount of the moment before (an empty
        # amount refunds all that is left)
        if isinstance(form, dict):
            for name, limit in (("amount", 20), ("comment", 500)):
                if isinstance(form.get(name), str):
                    setattr(self, name, form[name][:limit])
        # the verb resolves the payment gateway itself; an empty amount refunds all that is left
        res = self._call(payments.refund_payment, payment_id, self.comment, amount_text=self.amount)
        if not res:
            self.error = res.error
            return res.redirect
        self.comment, self.amount = "", ""
        self._show(payment_id)
        return rx.toast.success(self._t("admin_payments.refunded"))

    @access("admin:payments.refund")
    @rx.event
    def set_settle_comment(self, value: str):
        self.settle_comment = str(value)[:500]

    @access("admin:payments.refund")
    @rx.event
    def settle_by_hand(self, outcome: str):
        """A payment left "unknown, check by hand": what the provider's dashboard shows."""
        payment_id = self._payment_id()
        if payment_id is None:
            return rx.redirect("/login")
        self.settle_error = ""
        res = self._call(payments.settle_by_hand, payment_id, str(outcome), self.settle_comment)
        if not res:
            self.settle_error = res.error
            return res.redirect
        self.settle_comment = ""
        self._show(payment_id)
        return rx.toast.success(self._t("admin_payments.unknown_done"))

    @access("admin:payments.refund")
    @rx.event
    def simulate_dispute(self, outcome: str):
        """The sandbox plays the card holder's bank: its event comes back through the webhook,
        and the card follows it (follow_dispute)."""
        payment_id = self._payment_id()
        if payment_id is None:
            return rx.redirect("/login")
        res = self._call(disputes.simulate_dispute, payment_id, str(outcome))
        if not res:
            return rx.toast.error(res.error)
        return [
            rx.toast.info(self._t("admin_payments.dispute.simulated")),
            AdminPaymentState.follow_dispute,
        ]

    @access("admin:payments.view")
    @rx.event(background=True)
    async def follow_dispute(self):
        """Show the card again until the sandbox's event has arrived (a few seconds at most)."""
        async with self:
            payment_id, before = self._payment_id(), self.payment.get("dispute", "")
            steps = len(self.dispute_steps)
        if payment_id is None:
            return
        for _ in range(20):
            await asyncio.sleep(0.5)
            async with self:
                if self._actor() is None:
                    return
                self._show(payment_id)
                if self.payment.get("dispute", "") != before or len(self.dispute_steps) != steps:
                    return


REFUNDS = [
    Column("date", "admin_payments.col.date", mono=True),
    Column("amount", "admin_payments.col.amount", align="right"),
    Column("ref", "admin_payments.refund_ref", mono=True),
    Column("by", "admin_payments.refund_by"),
]
RECEIPTS = [
    Column("no", "receipt.col", mono=True),
    Column("kind", "receipt.col.kind"),
    Column("amount", "admin_payments.col.amount", align="right"),
    Column("state", "receipt.col.state"),
]
DISPUTES = [
    Column("ref", "admin_payments.dispute.ref", mono=True),
    Column("amount", "admin_payments.col.amount", align="right"),
    Column("reason", "admin_payments.dispute.reason", mono=True),
    Column("state", "admin_payments.col.status", badge="colour", hint="status"),
    Column("due", "admin_payments.dispute.due", mono=True),
    Column("debited", "admin_payments.dispute.debited", align="right"),
]
DISPUTE_STEPS = [
    Column("date", "admin_payments.col.date", mono=True),
    Column("event", "admin_payments.dispute.event", mono=True),
    Column("status", "admin_payments.dispute.status", mono=True),
    Column("amount", "admin_payments.col.amount", align="right"),
]
ATTEMPTS = [
    Column("period", "admin_payments.attempt.period", mono=True),
    Column("no", "admin_payments.attempt.no"),
    Column("status", "admin_payments.attempt.status"),
    Column("next", "admin_payments.attempt.next", mono=True),
]


def payment_page() -> rx.Component:
    s = AdminPaymentState
    p = s.payment
    return shell(
        "admin",
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.heading(p["title"], size="5", id="payment-title"),
                        rx.badge(
                            p["status"],
                            color_scheme=p["colour"],
                            variant="soft",
                            size="2",
                            id="payment-status",
                        ),
                        align="center",
                        wrap="wrap",
                    ),
                    rx.grid(
                        _info("admin_payments.col.date", p["date"], "payment-date"),
                        _info("admin_payments.completed", p["completed"], "payment-completed"),
                        _info("admin_payments.col.method", p["method"], "payment-method"),
                        _info("admin_payments.decline", p["decline"], "payment-decline"),
                        _info("admin_payments.col.card", p["card"], "payment-card"),
                        _info("admin_payments.gateway", p["gateway"], "payment-gateway"),
                        _info("admin_payments.col.gateway_ref", p["gateway_ref"], "payment-ref"),
                        _info("admin_payments.idempotency", p["idempotency"], "payment-key"),
                        rx.vstack(
                            rx.text(
                                tr("admin_payments.col.sim"), size="1", color=rx.color("gray", 11)
                            ),
                            rx.cond(
                                p["sim_href"] != "",
                                rx.link(p["sim"], href=p["sim_href"], id="payment-sim"),
                                rx.text(p["sim"], size="2", id="payment-sim"),
                            ),
                            spacing="0",
                        ),
                        _info(
                            "admin_payments.col.subscriber", p["subscriber"], "payment-subscriber"
                        ),
                        _info("admin_payments.col.partner", p["partner"], "payment-partner"),
                        _info("admin_payments.commission", p["commission"], "payment-commission"),
                        _info("admin_payments.refunded_total", p["refunded"], "payment-refunded"),
                        columns=rx.breakpoints(initial="1", xs="2", md="3"),
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            rx.cond(
                p["receipt"] == "1",
                rx.vstack(
                    rx.flex(
                        rx.heading(tr("receipt.states"), size="4", as_="h2"),
                        rx.button(
                            rx.icon("file-down", size=16),
                            tr("receipt.download"),
                            variant="outline",
                            size="3",
                            type="button",
                            on_click=s.download_receipt,
                            id="payment-receipt",
                        ),
                        justify="between",
                        align="center",
                        wrap="wrap",
                        gap="2",
                        width="100%",
                    ),
                    data_table(RECEIPTS, s.receipt_rows, "receipt.none", "payment-receipts"),
                    spacing="2",
                    width="100%",
                ),
            ),
            _unknown_card(s),
            rx.cond(
                s.disputes.length() > 0,
                rx.vstack(
                    rx.heading(tr("admin_payments.dispute"), size="4", as_="h2"),
                    data_table(
                        DISPUTES, s.disputes, "admin_payments.refunds_empty", "payment-disputes"
                    ),
                    rx.heading(tr("admin_payments.dispute.history"), size="3", as_="h3"),
                    data_table(
                        DISPUTE_STEPS,
                        s.dispute_steps,
                        "admin_payments.refunds_empty",
                        "payment-dispute-history",
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
            _simulate_card(s),
            rx.cond(
                s.refunds.length() > 0,
                rx.vstack(
                    rx.heading(tr("admin_payments.refunds"), size="4", as_="h2"),
                    data_table(
                        REFUNDS, s.refunds, "admin_payments.refunds_empty", "payment-refunds"
                    ),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.heading(tr("admin_payments.attempts"), size="4", as_="h2"),
            data_table(ATTEMPTS, s.attempts, "admin_payments.attempts_empty", "payment-attempts"),
            rx.cond(
                p["refundable"] == "1",
                rx.card(
                    rx.form(
                        rx.vstack(
                            labelled(
                                "refund-amount",
                                p["refund_amount_label"],
                                rx.input(
                                    id="refund-amount",
                                    name="amount",
                                    value=s.amount,
                                    on_change=s.set_amount,
                                    input_mode="decimal",
                                    autocomplete="off",
                                    size="3",
                                    width="100%",
                                    max_width="16em",
                                ),
                            ),
                            labelled(
                                "refund-comment",
                                tr("admin_payments.refund_comment"),
                                rx.text_area(
                                    id="refund-comment",
                                    name="comment",
                                    value=s.comment,
                                    on_change=s.set_comment,
                                    size="3",
                                    width="100%",
                                ),
                            ),
                            error_banner(s.error, id_="refund-error"),
                            rx.button(
                                # with an amount typed, that amount; else all that is left
                                rx.cond(
                                    s.amount != "",
                                    tr("admin_payments.refund_part"),
                                    p["refund_label"],
                                ),
                                color_scheme="red",
                                size="3",
                                type="submit",
                                id="refund-submit",
                            ),
                            spacing="3",
                            width="100%",
                        ),
                        on_submit=s.refund,
                        reset_on_submit=False,
                    ),
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title_key="admin_payments.card_title",
    )


def _unknown_card(s) -> rx.Component:
    """ "Unknown, check by hand": what the janitor could not settle past a day, and the
    admin's two answers (what the provider's dashboard shows)."""
    p = s.payment
    return rx.cond(
        p["unknown"] == "1",
        rx.callout.root(
            rx.vstack(
                rx.heading(tr("admin_payments.unknown"), size="4", as_="h2"),
                rx.text(p["unknown_text"], size="2"),
                rx.cond(
                    p["can_settle"] == "1",
                    rx.vstack(
                        labelled(
                            "settle-comment",
                            tr("admin_payments.unknown_comment"),
                            rx.text_area(
                                id="settle-comment",
                                value=s.settle_comment,
                                on_change=s.set_settle_comment,
                                size="3",
                                width="100%",
                            ),
                        ),
                        error_banner(s.settle_error, id_="settle-error"),
                        rx.flex(
                            rx.button(
                                tr("admin_payments.unknown_succeeded"),
                                color_scheme="green",
                                size="3",
                                type="button",
                                on_click=s.settle_by_hand("succeeded"),
                                id="settle-succeeded",
                            ),
                            rx.button(
                                tr("admin_payments.unknown_failed"),
                                color_scheme="gray",
                                variant="outline",
                                size="3",
                                type="button",
                                on_click=s.settle_by_hand("failed"),
                                id="settle-failed",
                            ),
                            gap="2",
                            wrap="wrap",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            width="100%",
            id="payment-unknown",
        ),
    )


def _simulate_card(s) -> rx.Component:
    """The sandbox only: an admin plays the card holder's bank."""
    p = s.payment
    return rx.cond(
        p["simulate"] == "1",
        rx.card(
            rx.vstack(
                rx.text(tr("admin_payments.dispute.simulate"), size="2", weight="medium"),
                rx.flex(
                    rx.cond(
                        p["dispute"] == "",
                        rx.button(
                            tr("admin_payments.dispute.simulate_open"),
                            variant="outline",
                            color_scheme="crimson",
                            size="3",
                            type="button",
                            on_click=s.simulate_dispute("open"),
                            id="dispute-open",
                        ),
                        rx.fragment(
                            rx.button(
                                tr("admin_payments.dispute.simulate_won"),
                                variant="outline",
                                color_scheme="green",
                                size="3",
                                type="button",
                                on_click=s.simulate_dispute("won"),
                                id="dispute-won",
                            ),
                            rx.button(
                                tr("admin_payments.dispute.simulate_lost"),
                                variant="outline",
                                color_scheme="red",
                                size="3",
                                type="button",
                                on_click=s.simulate_dispute("lost"),
                                id="dispute-lost",
                            ),
                        ),
                    ),
                    gap="2",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="payment-simulate",
        ),
    )
