"""Autopay charges that wait for the subscriber's confirmation (3-D Secure off-session).

An off-session charge (monthly or below-threshold autopay) whose bank wants the card holder to
authenticate cannot succeed: nobody is there to confirm (Stripe: the PaymentIntent ends
`requires_payment_method` with `authentication_required`; the sandbox: test card 3184). Such a
payment does not fail: it becomes "requires_action" ("waiting for your confirmation") until
`confirm_by` (WAIT after the attempt), its autopay run too, and
- the subscriber gets a notification and an e-mail with a link to the autopay page of that SIM
  (signed, for this payment only, expiring with the wait; the page is the cabinet's, so only the
  payment's owner, signed in, sees anything), where "Confirm payment" sends them to the
  provider's hosted page for exactly that amount (`start_confirmation`);
- the autopay retry schedule leaves it alone: a waiting run has no retry date, and no new
  off-session attempt is claimed for the SIM while one waits (autopay.claim);
- it ends through `payments.settle` like every payment (credited once): paid on the page,
  failed there (the bank's check not passed), or, when the wait runs out, failed with
  `authentication_required` (checkout.expire_stale, the janitor). A page left unpaid puts the
  payment back to waiting while there is time left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from paysim_app.billing import checkout
from paysim_app.core import notify, signing
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied
from paysim_app.core.permissions import Actor, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import AutopayRun, Payment
from paysim_app.models.base import utcnow
from paysim_app.payments import Gateway
from paysim_app.payments.declines import normalise
from paysim_app.settings import get_settings

WAIT = timedelta(hours=72)
LINK_PURPOSE = "autopay-confirm"
_T = Payment.__table__
_RUN = AutopayRun.__table__


@dataclass(frozen=True)
class Waiting:
    """A payment waiting for its owner's confirmation, as the autopay page shows it."""

    payment_id: int
    sim_id: int
    amount_kop: int
    card_label: str
    created_at: datetime
    confirm_by: datetime
    on_page: bool  # the hosted page is open right now


def needs_confirmation(status: str, decline_code: str | None) -> bool:
    """An off-session outcome that only the card holder can complete."""
    return status == "failed" and normalise(decline_code) == "authentication_required"


def link(payment_id: int, sim_id: int, confirm_by: datetime) -> str:
    """The e-mail's link: the SIM's autopay page with a token naming this payment only, valid
    until the wait ends."""
    ttl = max(60, int((confirm_by - utcnow()).total_seconds()))
    token = signing.sign({"p": payment_id}, LINK_PURPOSE, ttl_seconds=ttl)
    base = get_settings().paysim_public_url.rstrip("/")
    return f"{base}/cabinet/autopay?sim={sim_id}&confirm={token}"


@checkout.holds_payments
@verb
def hold(session: Session, held: list[tuple[int, str | None]]) -> list[int]:
    """Make pending autopay payments (payment id, the provider's reference) wait for their
    owner: compare-and-set on "pending", so a payment someone else settled is left alone.
    Their runs wait too (no retry date) and the owners are told, with the link. Returns the
    payments this call put on hold."""
    if not held:
        return []
    now = utcnow()
    until = now + WAIT
    won = list(
        session.execute(
            update(_T)
            .where(
                _T.c.id.in_([pid for pid, _ in held]),
                _T.c.status == "pending",
                _T.c.method == "autopay",
            )
            .values(
                status="requires_action", decline_code="authentication_required", confirm_by=until
            )
            .returning(_T.c.id)
        ).scalars()
    )
    taken = set(won)
    refs = [{"pid": pid, "ref": ref} for pid, ref in held if ref and pid in taken]
    if refs:  # the provider's reference of the attempt, when it gave one (one executemany)
        session.execute(
            update(_T)
            .where(_T.c.id == bindparam("pid"), _T.c.gateway_ref.is_(None))
            .values(gateway_ref=bindparam("ref")),
            refs,
        )
    if not won:
        return []
    session.execute(
        update(_RUN)
        .where(_RUN.c.payment_id.in_(won))
        .values(
            status="requires_action", decline_code="authentication_required", next_retry_at=None
        )
    )
    rows = session.execute(
        select(_T.c.id, _T.c.sim_id, _T.c.amount_kop).where(_T.c.id.in_(won))
    ).all()
    notify.notify_sim_owners(
        session,
        [
            (
                r.sim_id,
                "autopay_confirm",
                {
                    "amount_kop": r.amount_kop,
                    "until": moscow_date(until),
                    "link": link(r.id, r.sim_id, until),
                },
            )
            for r in rows
        ],
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Payment) and obj.id in won:
            session.expire(obj)
    return won


@verb
def waiting_for_sim(session: Session, sim_id: int) -> list[Waiting]:
    rows = session.execute(
        select(Payment)
        .where(
            Payment.sim_id == sim_id,
            Payment.method == "autopay",
            Payment.confirm_by.is_not(None),
            Payment.status.in_(("requires_action", "pending")),
        )
        .order_by(Payment.id.desc())
        .limit(5)
    ).scalars()
    return [
        Waiting(
            payment_id=p.id,
            sim_id=p.sim_id,
            amount_kop=p.amount_kop,
            card_label=f"{p.card_brand.capitalize()} •••• {p.card_last4}" if p.card_last4 else "",
            created_at=p.created_at,
            confirm_by=p.confirm_by,
            on_page=p.status == "pending",
        )
        for p in rows
    ]


def _owned(session: Session, actor: Actor, payment_id: int) -> Payment:
    require_role(actor, "subscriber")
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if (
        payment is None
        or actor.subscriber_id is None
        or payment.subscriber_id != actor.subscriber_id
        or payment.method != "autopay"
        or payment.confirm_by is None
    ):
        raise NotFound("error.not_found")
    session.refresh(payment)  # as it stands now, not as this session first read it
    return payment


@verb
def payment_of_link(session: Session, actor: Actor, token: str) -> int:
    """The payment an e-mail's link names, when it is the signed-in subscriber's own; a forged,
    altered or expired link, or one naming someone else's payment, is "not found"."""
    try:
        payload = signing.unsign(token, LINK_PURPOSE)
    except PermissionDenied:
        raise NotFound("autopay.confirm.error.link") from None
    payment_id = payload.get("p")
    try:
        return _owned(session, actor, payment_id).id
    except NotFound:
        raise NotFound("autopay.confirm.error.link") from None


@verb
def start_confirmation(
    session: Session, actor: Actor, gateway: Gateway, payment_id: int, *, locale: str = "ru"
) -> str:
    """ "Confirm payment": the hosted page for this payment (its amount, the subscriber's
    customer at the provider, so the saved card is offered there); returns its URL. A second
    click while the page is open returns the same page."""
    payment = _owned(session, actor, payment_id)
    now = utcnow()
    if payment.status == "pending" and payment.checkout_url:
        return payment.checkout_url
    if payment.status != "requires_action" or _aware(payment.confirm_by) <= now:
        raise DomainError("autopay.confirm.error.closed")
    from paysim_app.models import SavedCard  # the card's customer at the provider

    card = session.get(SavedCard, payment.card_id) if payment.card_id else None
    return checkout.open_confirmation_page(
        session,
        gateway,
        payment.id,
        customer=card.gateway_customer if card else "",
        locale=locale,
    )


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
