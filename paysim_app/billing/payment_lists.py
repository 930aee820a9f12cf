"""The admin's payments: every payment from subscribers and partners, with filters and totals
of the filtered set, one payment's card (gateway reference, decline reason, autopay attempts,
what was refunded of it and by which refunds), and the refund (payments.refund_payment does
the money)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from paysim_app.billing.payments import display_status
from paysim_app.core.errors import NotFound
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListQuery,
    ListSpec,
    SearchField,
    date_range,
    digits,
    filtered,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor, require
from paysim_app.core.text_search import among, has_latin, name_parts, sim_number_part
from paysim_app.core.unit_of_work import verb
from paysim_app.models import AutopayRun, Commission, Partner, Payment, Sim, Subscriber, User
from paysim_app.models.billing import (
    DISPUTE_STATES,
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    PaymentRefund,
)


def _columns(actor: Actor):
    return (
        select(
            Payment.id.label("id"),
            Payment.created_at.label("created_at"),
            Payment.amount_kop.label("amount_kop"),
            Payment.refunded_kop.label("refunded_kop"),
            Payment.method.label("method"),
            Payment.status.label("status"),
            Payment.decline_code.label("decline_code"),
            Payment.card_brand.label("card_brand"),
            Payment.card_last4.label("card_last4"),
            Payment.gateway_ref.label("gateway_ref"),
            Payment.dispute.label("dispute"),
            Payment.unknown_since.label("unknown_since"),
            Sim.msisdn.label("msisdn"),
            Payment.sim_id.label("sim_id"),
            Subscriber.full_name.label("subscriber"),
            Payment.subscriber_id.label("subscriber_id"),
            Partner.name.label("partner"),
        )
        .select_from(Payment)
        # LEFT: every payment has its SIM (NOT NULL foreign key), and a left join the count does
        # not need can be dropped by PostgreSQL
        .outerjoin(Sim, Sim.id == Payment.sim_id)
        .outerjoin(Subscriber, Subscriber.id == Payment.subscriber_id)
        .outerjoin(Partner, Partner.id == Payment.partner_id)
    )


def search_payments(stmt, text: str):
    """#123 or 123: a payment id; four digits: a payment id or a card's last four (also typed
    as *4242 or •••• 4242: the card only); a gateway reference; a number (any part); a name
    (the subscriber's, typo-tolerant)."""
    text = text.strip()
    card = re.fullmatch(r"[*•·.\s]+(\d{4})", text)
    if card:
        return stmt.where(Payment.card_last4 == card.group(1))
    if re.fullmatch(r"\d{4}", text):
        return stmt.where(or_(Payment.id == int(text), Payment.card_last4 == text))
    if re.fullmatch(r"#?\d{1,9}", text) and len(digits(text)) < 7:
        return stmt.where(Payment.id == int(digits(text)))
    if re.fullmatch(r"[\d\s()+-]+", text) and len(digits(text)) >= 3:
        part = phone_part(text)
        if len(part) == 10:
            return stmt.where(Sim.msisdn == "+7" + part)
        return stmt.where(sim_number_part(Sim, part, Sim.msisdn.like(f"%{part}%")))
    if re.fullmatch(r"[A-Za-z0-9_:-]{6,100}", text) and any(ch.isdigit() for ch in text):
        return stmt.where(Payment.gateway_ref == text)
    names = select(Subscriber.id).where(name_parts(Subscriber.full_name, text))
    return stmt.where(among(Payment.subscriber_id, names, ("names", text), share=has_latin(text)))


PAYMENT_LIST = ListSpec(
    name="payments",
    permission="payments.view",
    columns=_columns,
    # ids grow with time: "newest first" walks the primary key backwards
    sorts={
        "created_at": Payment.id,
        "amount": Payment.amount_kop,
        "status": Payment.status,
    },
    default_sort="created_at",
    key=Payment.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(Payment.status == v), "choice", PAYMENT_STATUSES),
        FilterDef("method", lambda s, v: s.where(Payment.method == v), "choice", PAYMENT_METHODS),
        # disputed payments: any of them, or those whose dispute is open / won / lost
        FilterDef(
            "dispute",
            lambda s, v: s.where(
                Payment.dispute.is_not(None) if v == "any" else Payment.dispute == v
            ),
            "choice",
            ("any", *DISPUTE_STATES),
        ),
        *date_range(Payment.created_at, "date_from", "date_to"),
        FilterDef("amount_min", lambda s, v: s.where(Payment.amount_kop >= v), "amount"),
        FilterDef("amount_max", lambda s, v: s.where(Payment.amount_kop <= v), "amount"),
        FilterDef("subscriber", id_filter(Payment.subscriber_id), "int"),
        FilterDef("partner", id_filter(Payment.partner_id), "int"),
        FilterDef("sim", id_filter(Payment.sim_id), "int"),
    ),
    search=search_payments,
    export=(
        ExportColumn("id", "admin_payments.col.id"),
        ExportColumn("created_at", "admin_payments.col.date", "time"),
        ExportColumn("msisdn", "admin_payments.col.sim"),
        ExportColumn("subscriber", "admin_payments.col.subscriber"),
        ExportColumn("partner", "admin_payments.col.partner"),
        ExportColumn("method", "admin_payments.col.method", "word", "statement.method."),
        ExportColumn("amount_kop", "admin_payments.col.amount", "money"),
        ExportColumn("refunded_kop", "admin_payments.col.refunded", "money"),
        ExportColumn("status", "admin_payments.col.status", "word", "statement.status."),
        ExportColumn("decline_code", "admin_payments.decline"),
        ExportColumn("gateway_ref", "admin_payments.col.gateway_ref"),
    ),
    fields=(
        SearchField("created_at", Payment.created_at, "date", "admin_payments.col.date"),
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
        SearchField(
            "method",
            Payment.method,
            "choice",
            "admin_payments.col.method",
            PAYMENT_METHODS,
            "statement.method.",
        ),
        SearchField(
            "subscriber",
            Payment.subscriber_id,
            "ref",
            "admin_payments.col.subscriber",
            ref="subscriber",
        ),
        SearchField(
            "partner", Payment.partner_id, "ref", "admin_payments.col.partner", ref="partner"
        ),
        SearchField("msisdn", Sim.msisdn, "text", "admin_payments.col.sim"),
        SearchField("card_last4", Payment.card_last4, "text", "admin_payments.col.card"),
        SearchField("gateway_ref", Payment.gateway_ref, "text", "admin_payments.col.gateway_ref"),
        SearchField("decline_code", Payment.decline_code, "text", "admin_payments.decline"),
    ),
)


@dataclass(frozen=True)
class Totals:
    count: int
    amount_kop: int  # of every status
    succeeded_kop: int  # payments standing (also those partly refunded)
    refunded_kop: int  # given back, whole and in parts


@verb
def totals(session: Session, actor: Actor, query: ListQuery) -> Totals:
    """Sums of the filtered set (computed when the filters change, not on every page turn)."""
    actor = PAYMENT_LIST.check(actor)
    inner = filtered(PAYMENT_LIST, actor, query).subquery()
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(inner.c.amount_kop), 0),
            func.coalesce(func.sum(inner.c.amount_kop).filter(inner.c.status == "succeeded"), 0),
            func.coalesce(func.sum(inner.c.refunded_kop), 0),
        )
    ).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


@dataclass(frozen=True)
class Attempt:
    period: str
    mode: str
    attempt: int
    status: str
    decline_code: str | None
    created_at: datetime
    next_retry_at: datetime | None


@dataclass(frozen=True)
class RefundLine:
    created_at: datetime
    applied_kop: int  # what it gave back in the books (0: an earlier total had counted it)
    ref: str  # the gateway's refund id, or how it was known
    by: str  # the admin who made it; "" for the gateway's own


@dataclass(frozen=True)
class PaymentCard:
    id: int
    created_at: datetime
    completed_at: datetime | None
    amount_kop: int
    method: str
    status: str
    decline_code: str | None
    card: str
    gateway: str
    gateway_ref: str
    idempotency_key: str
    sim_id: int | None  # None: a SIM order's prepayment held on its order
    msisdn: str
    subscriber_id: int | None
    subscriber: str
    partner: str
    commission_kop: int
    refundable: bool
    refunded_kop: int = 0
    display_status: str = ""  # status, or "partly_refunded" (statement.status.* has words)
    dispute: str | None = None  # open | won | lost (billing.disputes)
    chargeback_kop: int = 0  # what a lost dispute took back
    unknown: bool = False  # "unknown, check by hand" (payments.settle_by_hand)
    can_settle: bool = False  # ... and this admin may settle it
    can_act: bool = False  # this admin may move money on it (payments.refund)
    refunds: list[RefundLine] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)


@verb
def payment_card(session: Session, actor: Actor, payment_id: int) -> PaymentCard:
    require(actor, "payments.view")
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None:
        raise NotFound("error.not_found")
    sim = session.get(Sim, payment.sim_id) if payment.sim_id is not None else None
    subscriber = session.get(Subscriber, payment.subscriber_id) if payment.subscriber_id else None
    partner = session.get(Partner, payment.partner_id) if payment.partner_id else None
    commission = session.execute(
        select(func.coalesce(func.sum(Commission.amount_kop), 0)).where(
            Commission.payment_id == payment.id
        )
    ).scalar_one()
    # the autopay attempts of the same SIM and period tell the retry story of this payment
    own = (
        session.execute(select(AutopayRun).where(AutopayRun.payment_id == payment.id))
        .scalars()
        .first()
    )
    attempts: list[AutopayRun] = []
    if own is not None:
        attempts = list(
            session.execute(
                select(AutopayRun)
                .where(
                    AutopayRun.sim_id == own.sim_id,
                    AutopayRun.period == own.period,
                    AutopayRun.mode == own.mode,
                )
                .order_by(AutopayRun.attempt)
            ).scalars()
        )
    refunds = [
        RefundLine(r.created_at, r.applied_kop, r.ref, name or email or "")
        for r, name, email in session.execute(
            select(PaymentRefund, User.full_name, User.email)
            .join(User, User.id == PaymentRefund.actor_user_id, isouter=True)
            .where(PaymentRefund.payment_id == payment.id)
            .order_by(PaymentRefund.id)
        ).all()
    ]
    card = f"{payment.card_brand} ·{payment.card_last4}".strip() if payment.card_last4 else ""
    return PaymentCard(
        id=payment.id,
        created_at=payment.created_at,
        completed_at=payment.completed_at,
        amount_kop=payment.amount_kop,
        method=payment.method,
        status=payment.status,
        decline_code=payment.decline_code,
        card=card,
        gateway=payment.gateway,
        gateway_ref=payment.gateway_ref or "",
        idempotency_key=payment.idempotency_key,
        sim_id=payment.sim_id,
        msisdn=sim.msisdn if sim else "",
        subscriber_id=payment.subscriber_id,
        subscriber=subscriber.full_name if subscriber else "",
        partner=partner.name if partner else "",
        commission_kop=int(commission),
        refundable=payment.status == "succeeded"
        and payment.dispute not in ("open", "lost")
        and actor.can("payments.refund"),
        refunded_kop=payment.refunded_kop,
        display_status=display_status(
            payment.status,
            payment.refunded_kop,
            payment.dispute,
            payment.unknown_since is not None,
        ),
        dispute=payment.dispute,
        chargeback_kop=payment.chargeback_kop,
        unknown=payment.status == "pending" and payment.unknown_since is not None,
        can_act=actor.can("payments.refund"),
        can_settle=payment.status == "pending"
        and payment.unknown_since is not None
        and actor.can("payments.refund"),
        refunds=refunds,
        attempts=[
            Attempt(
                a.period, a.mode, a.attempt, a.status, a.decline_code, a.created_at, a.next_retry_at
            )
            for a in attempts
        ],
    )
