"""Payments, the append-only ledger, saved cards and autopay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from paysim_app.models.base import one_of, utcnow

PAYMENT_METHODS = ("card", "autopay", "partner", "correction")
# "expired": the subscriber left the provider's hosted page without paying (billing.checkout)
# "requires_action": an off-session (autopay) charge the bank wants the subscriber to confirm
# (3-D Secure); nothing was taken, it waits for them until `confirm_by` (billing.confirmations)
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "refunded", "expired", "requires_action")
CARD_SETUP_STATUSES = ("open", "complete", "expired")
PAYMENT_REFUND_KINDS = ("refund", "total")
LEDGER_KINDS = ("topup", "monthly_fee", "refund", "adjustment", "addon")
AUTOPAY_MODES = ("monthly", "threshold")
# a payment's chargeback, as its card holder's bank disputes it (billing.disputes): open while
# the bank decides, then won (the money stays) or lost (it goes back to the card holder)
DISPUTE_STATES = ("open", "won", "lost")
AUTOPAY_RUN_STATUSES = ("pending", "succeeded", "failed", "skipped", "requires_action")


class Payment(SQLModel, table=True):
    """Money that came (or tried to come) in for a SIM."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_kop > 0", name="ck_payment_amount"),
        # refunds (whole or in parts) never give back more than came in
        CheckConstraint(
            "refunded_kop >= 0 AND refunded_kop <= amount_kop", name="ck_payment_refunded"
        ),
        one_of("method", PAYMENT_METHODS, "ck_payment_method"),
        one_of("status", PAYMENT_STATUSES, "ck_payment_status"),
        # a payment is for a SIM, or held on a SIM order until the order gets its SIM
        CheckConstraint("sim_id IS NOT NULL OR order_id IS NOT NULL", name="ck_payment_target"),
        # one prepayment per order: the one in flight, held (or credited), or given back
        Index(
            "uq_payment_order_prepaid",
            "order_id",
            unique=True,
            postgresql_where=text(
                "order_id IS NOT NULL AND status IN ('pending', 'succeeded', 'refunded')"
            ),
            sqlite_where=text(
                "order_id IS NOT NULL AND status IN ('pending', 'succeeded', 'refunded')"
            ),
        ),
        # totals of a period read amounts and statuses from the index on PostgreSQL
        Index("ix_payment_created", "created_at", postgresql_include=["amount_kop", "status"]),
        Index("ix_payment_sim_created", "sim_id", "created_at"),
        Index("ix_payment_subscriber_created", "subscriber_id", "created_at"),
        Index("ix_payment_partner_created", "partner_id", "created_at"),
        Index("ix_payment_status_created", "status", "created_at"),
        # the header search finds card payments by the card's last four digits
        Index(
            "ix_payment_card_last4",
            "card_last4",
            postgresql_where=text("card_last4 <> ''"),
            sqlite_where=text("card_last4 <> ''"),
        ),
        # a dealer's cash top-ups, newest first (the admin's payments by partner and method)
        Index(
            "ix_payment_partner_cash",
            "partner_id",
            "id",
            postgresql_where=text("method = 'partner'"),
            sqlite_where=text("method = 'partner'"),
        ),
        # a partner's takings for a period: only succeeded payments, amounts in the index on PG
        Index(
            "ix_payment_partner_succeeded",
            "partner_id",
            "created_at",
            postgresql_include=["amount_kop"],
            postgresql_where=text("status = 'succeeded'"),
            sqlite_where=text("status = 'succeeded'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    # None while a SIM order's prepayment is held on its order (billing.prepayments): the
    # order's SIM is set, and credited, when the order gets it
    sim_id: int | None = Field(default=None, foreign_key="sim.id")
    order_id: int | None = Field(default=None, foreign_key="sim_order.id")
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id")
    partner_id: int | None = Field(default=None, foreign_key="partner.id")
    payer_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    card_id: int | None = Field(default=None, foreign_key="saved_card.id")
    amount_kop: int
    # given back so far (PaymentRefund rows); the status becomes "refunded" when it is all of it
    refunded_kop: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    method: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16)
    decline_code: str | None = Field(default=None, max_length=64)
    card_brand: str = Field(default="", max_length=20)
    card_last4: str = Field(default="", max_length=4)
    gateway: str = Field(default="sandbox", max_length=16)
    gateway_ref: str | None = Field(default=None, max_length=100, index=True)
    idempotency_key: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    # paid on the provider's hosted page (billing.checkout): its session, where the subscriber
    # was sent, until when it is open, and whether the card is to be saved
    checkout_session: str | None = Field(default=None, max_length=120, index=True)
    checkout_url: str = Field(default="", max_length=1000)
    checkout_expires_at: datetime | None = None
    # waiting for the subscriber's confirmation (3-D Secure) of an autopay charge until then
    confirm_by: datetime | None = None
    save_card: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # disputed by the card holder's bank (billing.disputes): open | won | lost, None if never;
    # what a lost dispute took back (debited from the SIM once, its commission reversed)
    dispute: str | None = Field(default=None, max_length=8, index=True)
    chargeback_kop: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # left pending past the provider's memory of its idempotency key and not found there: the
    # janitor leaves it to a person ("unknown, check by hand"), who settles it on its card
    unknown_since: datetime | None = None


class PaymentRefund(SQLModel, table=True):
    """One refund of (part of) a payment, keyed by `ref`, unique, so it is applied once however
    often and however concurrently it is reported:
    - kind "refund": one refund the gateway knows by its id (`re_...`), or an admin's refund of
      a payment no gateway holds (`manual:<payment id>:<refunded before>`);
    - kind "total": the gateway told only its running total of refunds (`event:<event id>`), and
      that total was more than the refunds known by id; a refund reported later by its id is
      then first taken as one of those (see billing.payments).
    `applied_kop` is what the row moved in the books (0 when an earlier total already had it);
    each row that moved money has its ledger entry and its commission reversal."""

    __tablename__ = "payment_refund"
    __table_args__ = (
        CheckConstraint("amount_kop > 0", name="ck_payment_refund_amount"),
        CheckConstraint(
            "applied_kop >= 0 AND applied_kop <= amount_kop", name="ck_payment_refund_applied"
        ),
        one_of("kind", PAYMENT_REFUND_KINDS, "ck_payment_refund_kind"),
        UniqueConstraint("ref", name="uq_payment_refund_ref"),
    )
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    ref: str = Field(max_length=120)
    kind: str = Field(default="refund", max_length=8)
    amount_kop: int
    applied_kop: int = Field(default=0)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    comment: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class PaymentDispute(SQLModel, table=True):
    """A chargeback of a payment, as the provider reports it (Stripe's Dispute `dp_...`).
    `status` is the provider's own word (needs_response, under_review, won, lost,
    warning_closed...), `state` what it means here (open | won | lost). A lost dispute debits
    the SIM once: `debited_kop` is set by a compare-and-set from 0, with the ledger entry and
    the commission reversal in the same transaction."""

    __tablename__ = "payment_dispute"
    __table_args__ = (
        CheckConstraint("amount_kop > 0", name="ck_payment_dispute_amount"),
        CheckConstraint("debited_kop >= 0", name="ck_payment_dispute_debited"),
        one_of("state", DISPUTE_STATES, "ck_payment_dispute_state"),
        UniqueConstraint("ref", name="uq_payment_dispute_ref"),
    )
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    ref: str = Field(max_length=120)
    amount_kop: int
    reason: str = Field(default="", max_length=40)
    status: str = Field(max_length=32)
    state: str = Field(default="open", max_length=8)
    evidence_due_at: datetime | None = None
    # the provider's time of the newest event applied: an older one arriving late changes
    # nothing (events come in any order)
    event_at: int = Field(default=0)
    debited_kop: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class PaymentDisputeEvent(SQLModel, table=True):
    """The history of a dispute: each provider event once (by its id), in the order it
    happened at the provider."""

    __tablename__ = "payment_dispute_event"
    __table_args__ = (UniqueConstraint("event_id", name="uq_payment_dispute_event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="payment_dispute.id", index=True)
    event_id: str = Field(max_length=120)
    kind: str = Field(max_length=40)  # charge.dispute.created / updated / closed ...
    status: str = Field(max_length=32)
    amount_kop: int
    event_at: int = Field(default=0)  # the provider's time (Unix seconds)
    created_at: datetime = Field(default_factory=utcnow)


class LedgerEntry(SQLModel, table=True):
    """Append-only: sim.balance_kop == sum(amount_kop) for that SIM, always."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("amount_kop <> 0", name="ck_ledger_amount"),
        one_of("kind", LEDGER_KINDS, "ck_ledger_kind"),
        # at most one monthly fee per SIM and billing period ('YYYY-MM'); NULLs never collide
        UniqueConstraint("sim_id", "fee_period", name="uq_ledger_fee_period"),
        # a form posted twice (a double click, a replayed event) writes one entry
        Index("uq_ledger_form_key", "form_key", unique=True),
        Index("ix_ledger_sim_created", "sim_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id")
    kind: str = Field(max_length=16)
    amount_kop: int
    balance_after_kop: int
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    fee_period: str | None = Field(default=None, max_length=7)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    comment: str = Field(default="", max_length=500)
    form_key: str | None = Field(default=None, max_length=100)  # core.form_keys
    created_at: datetime = Field(default_factory=utcnow)


class SavedCard(SQLModel, table=True):
    """A gateway token with what the user needs to recognise the card. Never the number."""

    __tablename__ = "saved_card"
    __table_args__ = (
        CheckConstraint("exp_month BETWEEN 1 AND 12", name="ck_card_exp_month"),
        CheckConstraint("length(last4) = 4", name="ck_card_last4"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    gateway: str = Field(default="sandbox", max_length=16)
    gateway_token: str = Field(max_length=100)
    gateway_customer: str = Field(default="", max_length=100)
    brand: str = Field(max_length=20)
    last4: str = Field(max_length=4)
    exp_month: int
    exp_year: int
    is_default: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class CardSetup(SQLModel, table=True):
    """A card being added on the provider's hosted page (a setup session): open until the
    provider reports it complete (then `card_id` is the card it saved) or expired."""

    __tablename__ = "card_setup"
    __table_args__ = (one_of("status", CARD_SETUP_STATUSES, "ck_card_setup_status"),)
    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    gateway: str = Field(default="sandbox", max_length=16)
    key: str = Field(max_length=100, unique=True)  # ours, in the session's metadata
    session_id: str | None = Field(default=None, max_length=120, unique=True)
    url: str = Field(default="", max_length=1000)
    status: str = Field(default="open", max_length=12)
    card_id: int | None = Field(default=None, foreign_key="saved_card.id")
    decline_code: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    completed_at: datetime | None = None


class SandboxCheckout(SQLModel, table=True):
    """The sandbox gateway's own hosted-page sessions (payments.sandbox): kept in the database
    so that every worker of the app serves the same test page. Never card numbers."""

    __tablename__ = "sandbox_checkout"
    id: str = Field(primary_key=True, max_length=80)
    idempotency_key: str = Field(max_length=120, unique=True)
    mode: str = Field(max_length=8)  # payment | setup
    status: str = Field(default="open", max_length=12)  # open | complete | expired
    amount_kop: int | None = None
    description: str = Field(default="", max_length=200)
    locale: str = Field(default="ru", max_length=5)
    customer: str = Field(default="", max_length=100)
    metadata_json: str = Field(default="{}", max_length=1000)
    save_card: bool = Field(default=False)
    success_url: str = Field(max_length=1000)
    cancel_url: str = Field(max_length=1000)
    intent_id: str = Field(max_length=80)  # pi_sb_... (payment) or seti_sb_... (setup)
    intent_status: str = Field(default="requires_payment_method", max_length=32)
    decline_code: str | None = Field(default=None, max_length=64)
    # the card of the last attempt: a token and what people see of it
    card_token: str = Field(default="", max_length=100)
    card_brand: str = Field(default="", max_length=20)
    card_last4: str = Field(default="", max_length=4)
    card_exp_month: int | None = None
    card_exp_year: int | None = None
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class AutopaySetting(SQLModel, table=True):
    __tablename__ = "autopay_setting"
    __table_args__ = (
        one_of("mode", AUTOPAY_MODES, "ck_autopay_mode"),
        CheckConstraint(
            "fixed_amount_kop IS NULL OR fixed_amount_kop > 0", name="ck_autopay_fixed"
        ),
        CheckConstraint("topup_kop IS NULL OR topup_kop > 0", name="ck_autopay_topup"),
        CheckConstraint("monthly_cap_kop IS NULL OR monthly_cap_kop > 0", name="ck_autopay_cap"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id", unique=True)
    card_id: int = Field(foreign_key="saved_card.id", index=True)
    mode: str = Field(default="monthly", max_length=16)
    fixed_amount_kop: int | None = None  # monthly: None pays the tariff's fee
    threshold_kop: int | None = None
    topup_kop: int | None = None
    monthly_cap_kop: int | None = None
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AutopayRun(SQLModel, table=True):
    """One attempt of an autopay charge; unique per SIM, period and attempt number."""

    __tablename__ = "autopay_run"
    __table_args__ = (
        one_of("status", AUTOPAY_RUN_STATUSES, "ck_autopay_run_status"),
        one_of("mode", AUTOPAY_MODES, "ck_autopay_run_mode"),
        UniqueConstraint("sim_id", "period", "mode", "attempt", name="uq_autopay_run_attempt"),
        Index("ix_autopay_run_retry", "status", "next_retry_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sim_id: int = Field(foreign_key="sim.id")
    period: str = Field(max_length=10)  # 'YYYY-MM' for monthly, 'YYYY-MM-DD#n' for threshold
    mode: str = Field(default="monthly", max_length=16)
    attempt: int = Field(default=1)
    status: str = Field(default="pending", max_length=16)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    decline_code: str | None = Field(default=None, max_length=64)
    next_retry_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


RECEIPT_KINDS = ("sell", "sell_refund")  # 54-ФЗ: приход, возврат прихода
RECEIPT_STATUSES = ("pending", "registered", "failed")


class Receipt(SQLModel, table=True):
    """The cash receipt of a succeeded payment ("sell") or of one refund of it ("sell_refund").
    `external_id` is unique: one receipt per payment and per refund however often it is asked
    for, and the id the cash-register provider dedupes on, so a resend never registers twice.
    pending -> registered (the fiscal data filled in) | failed (`last_error` says why)."""

    __tablename__ = "receipt"
    __table_args__ = (
        CheckConstraint("amount_kop > 0", name="ck_receipt_amount"),
        one_of("kind", RECEIPT_KINDS, "ck_receipt_kind"),
        one_of("status", RECEIPT_STATUSES, "ck_receipt_status"),
        UniqueConstraint("external_id", name="uq_receipt_external_id"),
        # the fiscal job's queue: pending receipts due for an attempt
        Index("ix_receipt_status_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    refund_id: int | None = Field(default=None, foreign_key="payment_refund.id", unique=True)
    kind: str = Field(default="sell", max_length=12)
    external_id: str = Field(max_length=64)
    amount_kop: int
    vat: str = Field(max_length=8)  # settings' rate when it was made: none | 0 | 10 | 20 | 22 ...
    status: str = Field(default="pending", max_length=12)
    provider: str = Field(default="", max_length=16)  # the cash register that took it
    provider_uuid: str = Field(default="", max_length=64)  # its document id, polled till done
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    # the fiscal data (ФН, ФД, ФПД, РН ККТ, the register's date and time)
    fn_number: str = Field(default="", max_length=20)
    fd_number: str = Field(default="", max_length=20)
    fpd: str = Field(default="", max_length=20)
    ecr_number: str = Field(default="", max_length=20)
    fiscal_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
