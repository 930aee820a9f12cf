"""A SIM order's prepayment: the first top-up, paid right after the order, before the order
has a SIM.

A balance belongs to a SIM, and the order has none yet, so the money is held on the order: a
`Payment` whose purpose is the order (`order_id`, `sim_id` empty), paid on the provider's hosted
page exactly like a top-up with a new card (billing.checkout: the same page, 3-D Secure there,
the same webhooks and return look-ups, the same compare-and-set settlement, so it succeeds
once). Settling it moves nothing in the ledger: no SIM, no balance, no commission yet.

- When the order gets its SIM (sims.orders: the activation that puts the SIM on the ordering
  contract), `credit_to_sim` writes the held amount to that SIM's ledger in the same
  transaction, as a top-up (`payments.credit_posting`), and accrues the SIM's partner's
  commission, as a settled top-up does. It is a compare-and-set on the payment's empty
  `sim_id`: a repeated or retried completion credits nothing more. What was already given back
  (a refund, a lost dispute) is not credited.
- When the order is cancelled or rejected, `give_back` refunds the payment through the gateway
  (the refund path of the admin's payment card: `payments.refund_whole`, the same idempotency
  key as an admin's refund of all of it, booked once by the gateway's refund id) and the
  customer is told (kind `order_status` is the order's; the refund's own notice is
  `prepayment_refunded`). A page still open is closed first, so nothing can be paid on it any
  more; a page paid meanwhile is refunded at once. A gateway that does not answer leaves the
  refund due: `follow_up` (the payment janitor, and every later look at the order) tries again.
- A prepayment that settles after its order moved on (the customer paid on the page while the
  order was approved, or cancelled) is credited or refunded by the settlement itself
  (`_on_settlement`).

One prepayment per order (the partial unique index `uq_payment_order_prepaid`: the one in
flight, held or credited, or given back); a failed or expired attempt may be followed by another.
The callers (sims.orders) check who pays for which order; the amount's limits are the top-up's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from paysim_app.billing import checkout, ledger, payments, topups
from paysim_app.core import form_keys, notify
from paysim_app.core.errors import DomainError
from paysim_app.core.unit_of_work import verb
from paysim_app.models import Commission, Payment, Sim, SimOrder
from paysim_app.models.base import utcnow
from paysim_app.payments import Gateway
from paysim_app.settings import get_settings

log = logging.getLogger("paysim.prepayments")
_T = Payment.__table__
# the order statuses in which its held money goes back to the card
GIVE_BACK = ("cancelled", "rejected")
# a live prepayment: the one the order has (at most one, by the unique index)
LIVE = ("pending", "succeeded", "refunded")


@dataclass(frozen=True)
class Prepayment:
    payment_id: int
    order_id: int
    amount_kop: int
    # pending (on the hosted page) | held (paid, on the order) | credited (on `sim_id`) |
    # refund_due (the order ended; the gateway did not answer yet) | refunded |
    # failed | expired (an attempt that took nothing: another may follow)
    state: str
    refunded_kop: int
    sim_id: int | None
    msisdn: str
    decline_code: str | None
    paid_at: datetime | None
    redirect_url: str = ""  # the hosted page while it is open


def _state(payment: Payment, order_status: str | None) -> str:
    if payment.status == "pending":
        return "pending"
    if payment.status in ("failed", "expired", "requires_action"):
        return "failed" if payment.status != "expired" else "expired"
    if payment.status == "refunded":
        return "refunded"
    if payment.sim_id is not None:
        return "credited"
    if order_status in GIVE_BACK:
        return "refund_due"
    return "held"


def _view(session: Session, payment: Payment) -> Prepayment:
    order_status = session.execute(
        select(SimOrder.status).where(SimOrder.id == payment.order_id)
    ).scalar()
    msisdn = ""
    if payment.sim_id is not None:
        msisdn = session.execute(select(Sim.msisdn).where(Sim.id == payment.sim_id)).scalar() or ""
    open_page = payment.status == "pending" and bool(payment.checkout_url)
    return Prepayment(
        payment_id=payment.id,
        order_id=payment.order_id,
        amount_kop=payment.amount_kop,
        state=_state(payment, order_status),
        refunded_kop=payment.refunded_kop,
        sim_id=payment.sim_id,
        msisdn=msisdn,
        decline_code=payment.decline_code if payment.status != "pending" else None,
        paid_at=payment.completed_at if payment.status != "pending" else None,
        redirect_url=payment.checkout_url if open_page else "",
    )


def _latest(session: Session, order_id: int) -> Payment | None:
    """The order's live prepayment, or else its latest attempt."""
    rows = (
        session.execute(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc())
        )
        .scalars()
        .all()
    )
    live = [p for p in rows if p.status in LIVE]
    return (live or rows or [None])[0]


@verb
def of_order(session: Session, order_id: int) -> Prepayment | None:
    """What the order's prepayment is now (None: never paid for). The caller checks who asks."""
    payment = _latest(session, order_id)
    if payment is None:
        return None
    session.refresh(payment)
    return _view(session, payment)


@verb
def held_amounts(session: Session, order_ids: list[int]) -> dict[int, tuple[int, str]]:
    """{order id: (amount, state)} of the orders' live prepayments (the lists' "prepaid")."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Payment, SimOrder.status)
        .join(SimOrder, SimOrder.id == Payment.order_id)
        .where(Payment.order_id.in_(order_ids), Payment.status.in_(LIVE))
    ).all()
    return {p.order_id: (p.amount_kop, _state(p, s)) for p, s in rows}


def return_urls(order_id: int, payment_id: int) -> tuple[str, str]:
    """(success, cancel): the order's page in the cabinet; the cancel URL says the payer gave
    up."""
    base = get_settings().paysim_public_url.rstrip("/")
    page = f"{base}/cabinet/order/{order_id}?prepayment={payment_id}"
    return page, f"{page}&back=1"


@verb
def start(
    session: Session,
    gateway: Gateway,
    *,
    order_id: int,
    subscriber_id: int,
    payer_user_id: int,
    amount_kop: int,
    request_key: str,
    locale: str = "ru",
) -> Prepayment:
    """Pay `amount_kop` for the order on the provider's hosted page (the outcome's
    `redirect_url`). The caller has checked that the order is the payer's and still open.

    The same form posted twice returns the first payment; a prepayment still on its page is
    that one again (its page, or a new one once the old page has closed unpaid); an order
    already paid for is refused (`prepay.error.exists`)."""
    topups.check_amount(amount_kop)
    key = form_keys.scoped(f"prepay:{order_id}", request_key, field="request_key")
    earlier = session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar()
    if earlier is not None:
        session.refresh(earlier)
        return _view(session, earlier)
    current = _latest(session, order_id)
    if current is not None and current.status == "pending":
        if (
            current.checkout_url
            and current.amount_kop == amount_kop
            and (current.checkout_expires_at is None or current.checkout_expires_at > utcnow())
        ):
            return _view(session, current)
        # its page closed unpaid, never opened, or is for another amount: closed and settled
        # before another may start (paid meanwhile: the order has its prepayment)
        session.commit()  # nothing written yet; SQLite's lock is free for the provider's page
        if checkout.follow_payment(session, gateway, current.id, abandoned=True) == "pending":
            raise DomainError("prepay.error.in_flight")
        session.refresh(current)
    if current is not None and current.status in ("succeeded", "refunded"):
        raise DomainError("prepay.error.exists")
    payment = Payment(
        sim_id=None,
        order_id=order_id,
        subscriber_id=subscriber_id,
        partner_id=None,  # the SIM's partner, once credited to it
        payer_user_id=payer_user_id,
        amount_kop=amount_kop,
        method="card",
        gateway=gateway.name,
        idempotency_key=key,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise DomainError("prepay.error.exists") from None
    payment_id = payment.id
    session.commit()
    success, cancel = return_urls(order_id, payment_id)
    checkout.open_payment_page(
        session, gateway, payment, locale=locale, success_url=success, cancel_url=cancel
    )
    return _view(session, session.get(Payment, payment_id))


@verb
def follow(
    session: Session, gateway: Gateway, order_id: int, payment_id: int, *, abandoned: bool = False
) -> Prepayment | None:
    """Back from the hosted page (the return URL): ask the provider what became of the order's
    payment `payment_id` (another order's: nothing asked, None) and apply it."""
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None or payment.order_id != order_id:
        return None
    if payment.status == "pending" and payment.checkout_session:
        checkout.follow_payment(session, gateway, payment.id, abandoned=bool(abandoned))
    follow_up(session, gateway, order_id)
    return of_order(session, order_id)


# -- the order moves on -------------------------------------------------------------------------
@verb
def credit_to_sim(session: Session, order_id: int, sim_id: int) -> int:
    """The order got its SIM: its held prepayment goes to that SIM's balance (a top-up entry)
    and accrues the SIM's partner's commission, in the caller's transaction. Once: a payment
    already credited (or none held) moves nothing. Returns the kopecks credited."""
    partner_id = session.execute(select(Sim.partner_id).where(Sim.id == sim_id)).scalar()
    row = session.execute(
        update(_T)
        .where(
            _T.c.order_id == order_id,
            _T.c.status == "succeeded",
            _T.c.sim_id.is_(None),
        )
        .values(sim_id=sim_id, partner_id=partner_id)
        .returning(_T.c.id, _T.c.amount_kop, _T.c.refunded_kop, _T.c.chargeback_kop)
    ).first()
    if row is None:
        return 0
    for obj in list(session.identity_map.values()):  # a loaded Payment must follow
        if isinstance(obj, Payment) and obj.id == row.id:
            session.expire(obj)
    kept = row.amount_kop - row.refunded_kop - row.chargeback_kop
    if kept <= 0:
        return 0
    ledger.post(session, payments.credit_posting(sim_id, row.id, kept))
    if partner_id is not None:
        _accrue(session, row, partner_id)
    return kept


def _accrue(session: Session, row, partner_id: int) -> None:
    """The dealer's commission, as if the payment had been credited when paid: accrued on the
    whole amount, less the share of what went back while it was held (a refund or a lost
    dispute). A later refund then takes back its share by the same arithmetic as for any
    payment (payments._reverse_commission), and a refund of the rest takes back all of it."""
    payments.accrue_commissions(session, [_Accrual(row.id, partner_id, row.amount_kop)])
    given_back = row.refunded_kop + row.chargeback_kop
    accrual = session.execute(
        select(Commission).where(Commission.payment_id == row.id, Commission.kind == "accrual")
    ).scalar_one_or_none()
    if not given_back or accrual is None:
        return
    back = min(accrual.amount_kop, payments.commission_of(given_back, accrual.rate_bp))
    if back:
        session.add(
            Commission(
                partner_id=partner_id,
                payment_id=row.id,
                kind="reversal",
                rate_bp=accrual.rate_bp,
                amount_kop=-back,
            )
        )
        session.flush()


@dataclass(frozen=True)
class _Accrual:
    id: int
    partner_id: int
    amount_kop: int


@verb
def give_back(
    session: Session, gateway: Gateway | None, order_id: int, *, close_page: bool = True
) -> str:
    """The order was cancelled or rejected: its prepayment goes back to the card. A page still
    open is closed first (one paid meanwhile is refunded; closing commits, so a caller in the
    middle of its transaction passes `close_page=False`: a payment made on the page later is
    given back when it settles). Returns what became of it: none |
    refunded | refund_due (the gateway did not answer: tried again later) | credited (not
    held: nothing to give back here)."""
    payment = _latest(session, order_id)
    if payment is None:
        return "none"
    gateway = gateway or _gateway()
    if payment.status == "pending" and payment.checkout_session and close_page:
        payment_id = payment.id
        session.commit()  # the order's end first: the provider's page is closed after it
        payment = session.get(Payment, payment_id)
        checkout.follow_payment(session, gateway, payment.id, abandoned=True)
        session.refresh(payment)
    if payment.status != "succeeded":
        return "refunded" if payment.status == "refunded" else "none"
    if payment.sim_id is not None:
        return "credited"
    given = payments.refund_whole(
        session,
        gateway,
        payment.id,
        comment=f"order #{order_id} closed: prepayment back",
    )
    if given <= 0:
        return "refund_due"
    _tell_refunded(session, payment.id)
    return "refunded"


def _tell_refunded(session: Session, payment_id: int) -> None:
    row = session.execute(
        select(_T.c.order_id, _T.c.amount_kop, _T.c.payer_user_id).where(_T.c.id == payment_id)
    ).one()
    if row.payer_user_id is None:
        return
    notify.notify_user(
        session,
        row.payer_user_id,
        "prepayment_refunded",
        {"no": row.order_id, "amount_kop": row.amount_kop},
        dedup_key=f"prepayment_refunded:{payment_id}",
    )


@verb
def follow_up(session: Session, gateway: Gateway | None, order_id: int) -> str:
    """Bring the order's money in line with the order: credit a prepayment held on an order
    that has its SIM (paid after the approval), give back one held on a cancelled or rejected
    order. Returns what it did (see give_back; "credited" also for a credit made now)."""
    order = session.get(SimOrder, order_id)
    if order is None:
        return "none"
    session.refresh(order)
    if order.status == "active" and order.sim_id is not None:
        return "credited" if credit_to_sim(session, order_id, order.sim_id) else "none"
    if order.status in GIVE_BACK:
        return give_back(session, gateway, order_id)
    return "none"


@verb
def follow_up_due(session: Session, gateway: Gateway, *, limit: int = 100) -> int:
    """The janitor: prepayments still held on orders that ended or got their SIM (a gateway
    that did not answer a refund, a payment settled in between). Returns how many it moved."""
    rows = session.execute(
        select(Payment.order_id)
        .join(SimOrder, SimOrder.id == Payment.order_id)
        .where(
            Payment.status == "succeeded",
            Payment.sim_id.is_(None),
            SimOrder.status.in_((*GIVE_BACK, "active")),
        )
        .order_by(Payment.id)
        .limit(limit)
    ).scalars()
    moved = 0
    for order_id in list(rows):
        if follow_up(session, gateway, order_id) in ("refunded", "credited"):
            moved += 1
        session.commit()
    return moved


def _gateway() -> Gateway:
    from paysim_app.payments import get_gateway  # the settings decide, as for a verb

    return get_gateway()


@payments.after_settlement
def _on_settlement(session: Session, changed: dict[int, str]) -> None:
    """A prepayment that succeeded after its order moved on is credited or given back now."""
    succeeded = [pid for pid, status in changed.items() if status == "succeeded"]
    if not succeeded:
        return
    orders = session.execute(
        select(_T.c.order_id)
        .join(SimOrder.__table__, SimOrder.__table__.c.id == _T.c.order_id)
        .where(
            _T.c.id.in_(succeeded),
            _T.c.sim_id.is_(None),
            SimOrder.__table__.c.status.in_((*GIVE_BACK, "active")),
        )
    ).scalars()
    for order_id in list(orders):
        try:
            follow_up(session, None, order_id)
        except DomainError as exc:  # a refund refused here is left to the janitor
            log.warning("order %s: prepayment not followed up: %s", order_id, exc)
