"""The admin's Partners list and the dealer's own payments list: declarations over
core.listing.

The admin's SELECT comes from partners.partner_rows_select (every partner with its SIMs and
active subscribers); the permission check (partners.view) from the spec. Search: a code, a name
(typo-tolerant), an INN, the contact phone or e-mail (any part).

PARTNER_PAYMENT_LIST (/partner/payments) is scoped to the acting partner inside its SELECT,
like the dealer's other lists (partners.cabinet): another partner's payment, SIM or
subscriber never shows, whatever id or condition the browser sends."""

from __future__ import annotations

import re

from sqlalchemy import func, literal_column, or_, select

from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    date_range,
    digits,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor
from paysim_app.core.text_search import name_matches, sim_number_part
from paysim_app.models import Commission, Partner, Payment, Sim, Subscriber
from paysim_app.models.billing import PAYMENT_METHODS, PAYMENT_STATUSES
from paysim_app.partners.cabinet import require_partner
from paysim_app.partners.directory import partner_rows_select

PARTNER_STATES = ("active", "inactive")


def _state(stmt, value: str):
    return stmt.where(Partner.is_active == (value == "active"))


def search_partners(stmt, text: str):
    """Digits (a phone's +7 / 8 ignored): an INN, a code or the contact phone, any part;
    otherwise a code, the contact e-mail (any part) or the name (every word, typo-tolerant:
    core.text_search.name_matches)."""
    text = text.strip()
    if re.fullmatch(r"[\d\s()+-]+", text) and digits(text):
        d = digits(text)
        return stmt.where(
            or_(
                Partner.inn.like(f"%{d}%"),
                contains(Partner.code, d),
                Partner.contact_phone.like(f"%{phone_part(text)}%"),
            )
        )
    return stmt.where(
        or_(
            contains(Partner.code, text),
            name_matches(Partner.name, text),
            contains(Partner.contact_email, text),
        )
    )


PARTNER_LIST = ListSpec(
    name="partners",
    permission="partners.view",
    columns=lambda actor: partner_rows_select(actor),
    sorts={
        "name": Partner.name,
        "created_at": Partner.created_at,
        # a labelled subquery of the SELECT: ordered by its output name
        "sims": literal_column("sims"),
    },
    default_sort="created_at",
    key=Partner.id,
    filters=(FilterDef("status", _state, "choice", PARTNER_STATES),),
    search=search_partners,
    export=(
        ExportColumn("code", "admin_partners.col.code"),
        ExportColumn("name", "admin_partners.col.name"),
        ExportColumn("inn", "admin_partners.col.inn"),
        ExportColumn("contact_email", "admin_partners.field.email"),
        ExportColumn("contact_phone", "admin_partners.field.phone"),
        # basis points / 100 = percent with two decimals, written like an amount (10,00)
        ExportColumn("commission_bp", "admin_partners.col.commission", "money"),
        ExportColumn("sims", "admin_partners.col.sims"),
        ExportColumn("active_subscribers", "admin_partners.col.subscribers"),
        ExportColumn("is_active", "admin_partners.col.status", "word", "admin_partners.active."),
        ExportColumn("created_at", "admin_partners.col.created", "time"),
    ),
    fields=(
        SearchField("code", Partner.code, "text", "admin_partners.col.code"),
        SearchField("name", Partner.name, "text", "admin_partners.col.name"),
        SearchField("inn", Partner.inn, "text", "admin_partners.col.inn"),
        SearchField("email", Partner.contact_email, "text", "admin_partners.field.email"),
        SearchField("phone", Partner.contact_phone, "text", "admin_partners.field.phone"),
        # basis points typed as a percent with two decimals, as the export writes them
        SearchField("commission", Partner.commission_bp, "money", "admin_partners.col.commission"),
        SearchField("active", Partner.is_active, "bool", "admin_partners.col.status"),
        SearchField("created_at", Partner.created_at, "date", "admin_partners.col.created"),
    ),
)


# -- the dealer's own payments: its subscribers' and its cash top-ups, with its commission --------
def _commission_of_payment():
    """The partner's commission on one payment: its accrual less the reversals of its refunds
    (read per row of the page through the commission's payment index)."""
    return (
        select(func.coalesce(func.sum(Commission.amount_kop), 0))
        .where(Commission.payment_id == Payment.id)
        .scalar_subquery()
    )


_COMMISSION = _commission_of_payment()


def _payment_columns(actor: Actor):
    """The payments credited to SIMs of the acting partner (Payment.partner_id: the SIM's dealer
    when the money came, who earns the commission): card and autopay payments of its
    subscribers and its own cash top-ups. No card details or gateway references."""
    return (
        select(
            Payment.id.label("id"),
            Payment.created_at.label("created_at"),
            Payment.amount_kop.label("amount_kop"),
            Payment.refunded_kop.label("refunded_kop"),
            Payment.method.label("method"),
            Payment.status.label("status"),
            Payment.dispute.label("dispute"),
            Payment.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Subscriber.full_name.label("subscriber"),
            Subscriber.contract_no.label("contract_no"),
            _COMMISSION.label("commission_kop"),
        )
        .select_from(Payment)
        .outerjoin(Sim, Sim.id == Payment.sim_id)
        .outerjoin(Subscriber, Subscriber.id == Payment.subscriber_id)
        .where(Payment.partner_id == require_partner(actor).partner_id)
    )


def _search_payments(stmt, text: str):
    """#123: a payment; digits: any part of the number; otherwise the subscriber's name (every
    word, typo-tolerant) or contract number."""
    text = text.strip()
    if re.fullmatch(r"#\d{1,12}", text):
        return stmt.where(Payment.id == int(text[1:]))
    if re.fullmatch(r"[\d\s()+-]+", text) and digits(text):
        part = phone_part(text)
        return stmt.where(sim_number_part(Sim, part, Sim.msisdn.like(f"%{part}%")))
    return stmt.where(
        or_(name_matches(Subscriber.full_name, text), contains(Subscriber.contract_no, text))
    )


PARTNER_PAYMENT_LIST = ListSpec(
    name="partner_payments",
    permission="partner",
    columns=_payment_columns,
    # ids grow with time: "newest first" walks the primary key backwards
    sorts={"created_at": Payment.id, "amount": Payment.amount_kop, "status": Payment.status},
    default_sort="created_at",
    key=Payment.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(Payment.status == v), "choice", PAYMENT_STATUSES),
        FilterDef("method", lambda s, v: s.where(Payment.method == v), "choice", PAYMENT_METHODS),
        *date_range(Payment.created_at, "date_from", "date_to"),
        FilterDef("amount_min", lambda s, v: s.where(Payment.amount_kop >= v), "amount"),
        FilterDef("amount_max", lambda s, v: s.where(Payment.amount_kop <= v), "amount"),
        FilterDef("sim", id_filter(Payment.sim_id), "int"),
    ),
    search=_search_payments,
    authorize=require_partner,
    export=(
        ExportColumn("id", "admin_payments.col.id"),
        ExportColumn("created_at", "admin_payments.col.date", "time"),
        ExportColumn("msisdn", "admin_payments.col.sim"),
        ExportColumn("subscriber", "admin_payments.col.subscriber"),
        ExportColumn("contract_no", "partner_cabinet.col.contract"),
        ExportColumn("method", "admin_payments.col.method", "word", "statement.method."),
        ExportColumn("amount_kop", "admin_payments.col.amount", "money"),
        ExportColumn("refunded_kop", "admin_payments.col.refunded", "money"),
        ExportColumn("status", "admin_payments.col.status", "word", "statement.status."),
        ExportColumn("commission_kop", "own_lists.partner_payments.commission", "money"),
    ),
    fields=(
        SearchField("created_at", Payment.created_at, "date", "admin_payments.col.date"),
        SearchField("msisdn", Sim.msisdn, "text", "admin_payments.col.sim"),
        SearchField("subscriber", Subscriber.full_name, "text", "admin_payments.col.subscriber"),
        SearchField("contract_no", Subscriber.contract_no, "text", "partner_cabinet.col.contract"),
        SearchField(
            "method",
            Payment.method,
            "choice",
            "admin_payments.col.method",
            PAYMENT_METHODS,
            "statement.method.",
        ),
        SearchField("amount", Payment.amount_kop, "money", "admin_payments.col.amount"),
        SearchField("refunded", Payment.refunded_kop, "money", "admin_payments.col.refunded"),
        SearchField(
            "status",
            Payment.status,
            "choice",
            "admin_payments.col.status",
            PAYMENT_STATUSES,
            "statement.status.",
        ),
        SearchField("commission", _COMMISSION, "money", "own_lists.partner_payments.commission"),
    ),
)
