"""Cash receipts (54-ФЗ): one for every succeeded payment ("приход") and one for every refund of
it ("возврат прихода"), registered by an online cash register (`paysim_app.fiscal`), printed
as a PDF and e-mailed to the subscriber.

- A payment that settles as succeeded gets its receipt in the settlement's own transaction
  (`payments.after_settlement`), with the e-mail that carries it attached; the receipt's
  `external_id` is unique, so it is made once however often it is asked for. A payment that
  succeeded before receipts existed (or the demo's history) gets its receipt on first download.
- A refund that moved money gets its refund receipt from the fiscal job's first step
  (`queue_refund_receipts`): refunds are booked in several places (the admin's, the gateway's
  webhook, a running total), and a sweep over `payment_refund` misses none of them.
- `send_pending` (the scheduler's fiscal job) hands pending receipts to the cash register and
  asks again for those it accepted, one commit per receipt: a provider that is down leaves them
  pending for a later run (never failed, never lost), a refusal fails them with its reason.
- `receipt_pdf` checks who asks: the payment's subscriber, the dealer whose cash top-up it is, or
  an admin with payments.view; anyone else gets NotFound, as for a payment that does not exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.billing import payments
from paysim_app.core import bulk, outbox
from paysim_app.core.errors import NotFound
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.fiscal import (
    FiscalDocument,
    FiscalProvider,
    FiscalResult,
    FiscalUnavailable,
    get_provider,
    vat_amount_kop,
)
from paysim_app.i18n import t
from paysim_app.i18n.formats import money, phone
from paysim_app.models import Partner, Payment, Sim, Subscriber, User
from paysim_app.models.base import utcnow
from paysim_app.models.billing import PaymentRefund, Receipt
from paysim_app.settings import ROOT, get_settings

log = logging.getLogger("paysim.receipts")
_R = Receipt.__table__
FONTS = ROOT / "assets" / "fonts"  # DejaVu Sans (assets/fonts/LICENSE-DejaVu.txt)
# a receipt for money that came in: a correction is the operator's own entry, not a sale
RECEIPT_METHODS = ("card", "autopay", "partner")
RECEIPT_STATUSES = ("succeeded", "refunded")  # a payment refunded in part stays "succeeded"
BATCH = 200  # receipts the fiscal job handles per run
POLL_AFTER = timedelta(seconds=30)  # a document the register has not finished: ask again then
MAX_BACKOFF = timedelta(hours=1)


def has_receipt(status: str, method: str) -> bool:
    """Whether a payment in this status and of this method has a receipt to download."""
    return status in RECEIPT_STATUSES and method in RECEIPT_METHODS


def external_id(payment_id: int, refund_id: int | None = None) -> str:
    """The id the cash register dedupes on: one per payment, one per refund."""
    if refund_id is None:
        return f"paysim-sell-{payment_id}"
    return f"paysim-refund-{refund_id}"


def _insert_receipts(session: Session, rows: list[dict]) -> list[int]:
    """INSERT ... ON CONFLICT (external_id) DO NOTHING; the ids of the rows it added."""
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now, vat = utcnow(), get_settings().paysim_vat
    added = []
    for row in rows:
        new_id = session.execute(
            dialect.insert(_R)
            .values(
                status="pending",
                vat=vat,
                provider="",
                provider_uuid="",
                attempts=0,
                last_error="",
                fn_number="",
                fd_number="",
                fpd="",
                ecr_number="",
                created_at=now,
                **row,
            )
            .on_conflict_do_nothing(index_elements=["external_id"])
            .returning(_R.c.id)
        ).scalar()
        if new_id is not None:
            added.append(new_id)
    return added


@payments.after_settlement
def _on_settlement(session: Session, changed: dict[int, str]) -> None:
    """Every payment that has just succeeded gets its receipt and the e-mail carrying it."""
    succeeded = [pid for pid, status in changed.items() if status == "succeeded"]
    if not succeeded:
        return
    P = Payment.__table__
    rows = session.execute(
        select(P.c.id, P.c.amount_kop)
        .where(bulk.id_in(session, P.c.id, succeeded), P.c.method.in_(RECEIPT_METHODS))
        .order_by(P.c.id)
    ).all()
    # one statement for the billing cycle's thousands: a plain bulk insert (these payments
    # left "pending" just now, in this transaction, so none of them has a receipt yet)
    now, vat = utcnow(), get_settings().paysim_vat
    ids = bulk.insert_rows(
        session,
        _R,
        [
            {
                "payment_id": r.id,
                "refund_id": None,
                "kind": "sell",
                "external_id": external_id(r.id),
                "amount_kop": r.amount_kop,
                "vat": vat,
                "status": "pending",
                "provider": "",
                "provider_uuid": "",
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": "",
                "fn_number": "",
                "fd_number": "",
                "fpd": "",
                "ecr_number": "",
                "fiscal_at": None,
                "created_at": now,
            }
            for r in rows
        ],
    )
    _mail_receipts(session, ids)


def _mail_receipts(session: Session, receipt_ids: list[int]) -> None:
    """The subscriber's e-mail for each receipt, in their language, with the PDF attached."""
    if not receipt_ids:
        return
    rows = session.execute(
        select(
            Receipt.id,
            Receipt.kind,
            Receipt.amount_kop,
            Receipt.payment_id,
            Sim.msisdn,
            Subscriber.email,
            User.email,
            User.locale,
        )
        .join(Payment, Payment.id == Receipt.payment_id)
        .join(Sim, Sim.id == Payment.sim_id, isouter=True)  # none: a SIM order's prepayment
        .join(Subscriber, Subscriber.id == Payment.subscriber_id)
        .join(User, User.id == Subscriber.user_id, isouter=True)
        .where(bulk.id_in(session, Receipt.id, receipt_ids))
        .order_by(Receipt.id)
    ).all()
    mails = []
    for rid, kind, amount, payment_id, msisdn, contact, login_email, locale in rows:
        to = contact or login_email or ""
        if not to:
            continue
        loc = "en" if locale == "en" else "ru"
        params = {
            "no": rid,
            "payment": payment_id,
            "amount": money(amount, loc),
            "msisdn": phone(msisdn or ""),
        }
        mails.append(
            (
                to,
                t(f"receipt.email.{kind}.subject", loc, **params),
                t(f"receipt.email.{kind}.body", loc, **params),
                "receipt",
                outbox.attachment_ref("receipt", rid),
            )
        )
    outbox.queue_emails(session, mails)


@verb
def queue_refund_receipts(session: Session) -> int:
    """A refund receipt for every refund that moved money and has none yet (with its e-mail).
    Returns how many it made."""
    F = PaymentRefund.__table__
    P = Payment.__table__
    missing = session.execute(
        select(F.c.id, F.c.payment_id, F.c.applied_kop)
        .join(P, P.c.id == F.c.payment_id)
        .join(_R, _R.c.refund_id == F.c.id, isouter=True)
        .where(_R.c.id.is_(None), F.c.applied_kop > 0, P.c.method.in_(RECEIPT_METHODS))
        .order_by(F.c.id)
        .limit(1000)
    ).all()
    added = _insert_receipts(
        session,
        [
            {
                "payment_id": r.payment_id,
                "refund_id": r.id,
                "kind": "sell_refund",
                "external_id": external_id(r.payment_id, r.id),
                "amount_kop": r.applied_kop,
            }
            for r in missing
        ],
    )
    _mail_receipts(session, added)
    return len(added)


# -- fiscalisation ---------------------------------------------------------------------------


def _document(session: Session, receipt: Receipt) -> FiscalDocument:
    settings = get_settings()
    payment = session.get(Payment, receipt.payment_id)
    sim = session.get(Sim, payment.sim_id) if payment.sim_id is not None else None
    subscriber = session.get(Subscriber, payment.subscriber_id) if payment.subscriber_id else None
    user = session.get(User, subscriber.user_id) if subscriber and subscriber.user_id else None
    email = (subscriber.email if subscriber else "") or (user.email if user else "") or ""
    when = payment.completed_at or payment.created_at
    item = (
        t("receipt.item", "ru", msisdn=phone(sim.msisdn), iccid=sim.iccid)
        if sim is not None
        else t("receipt.item_prepaid", "ru", no=payment.order_id)
    )
    if receipt.refund_id is not None:
        when = session.get(PaymentRefund, receipt.refund_id).created_at
    return FiscalDocument(
        kind=receipt.kind,  # type: ignore[arg-type]
        external_id=receipt.external_id,
        created_at=when,
        item_name=item,
        amount_kop=receipt.amount_kop,
        vat=receipt.vat,
        payment_type="cash" if payment.method == "partner" else "electronic",
        client_email=email,
        client_phone=""
        if email
        else (subscriber.phone if subscriber else "") or (sim.msisdn if sim else ""),
        seller_inn=settings.paysim_seller_inn,
        seller_email=settings.paysim_seller_email,
        payment_address=settings.paysim_payment_address or settings.paysim_public_url,
        tax_system=settings.paysim_tax_system,
        advance=payment.order_id is not None,  # paid on a SIM order, before its SIM
    )


def _backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(minutes=2 ** min(attempts, 10)))


def _apply(session: Session, receipt_id: int, provider: str, result: FiscalResult) -> str:
    values: dict = {"provider": provider, "provider_uuid": result.uuid or ""}
    if result.status == "done" and result.data is not None:
        d = result.data
        values.update(
            status="registered",
            fn_number=d.fn_number[:20],
            fd_number=d.fd_number[:20],
            fpd=d.fpd[:20],
            ecr_number=d.ecr_number[:20],
            fiscal_at=d.registered_at,
            next_attempt_at=None,
            last_error="",
        )
    elif result.status == "fail":
        values.update(status="failed", next_attempt_at=None, last_error=result.error[:500])
    else:
        values.update(next_attempt_at=utcnow() + POLL_AFTER)
    session.execute(
        update(_R)
        .where(_R.c.id == receipt_id, _R.c.status == "pending")
        .values(attempts=_R.c.attempts + 1, **values)
    )
    return values.get("status", "pending")


@verb
def send_pending(session: Session, provider: FiscalProvider | None = None) -> dict[str, int]:
    """The fiscal job: refund receipts first, then every pending receipt that is due goes to
    the cash register (or, once it has a document id there, is asked for by it). One commit per
    receipt, so the provider's document id is kept as soon as it is known. Returns counts."""
    provider = provider or get_provider()
    counts = {"queued": queue_refund_receipts(session), "registered": 0, "failed": 0}
    counts.update(waiting=0, unavailable=0)
    session.commit()
    now = utcnow()
    due = (
        session.execute(
            select(Receipt)
            .where(
                Receipt.status == "pending",
                (Receipt.next_attempt_at.is_(None)) | (Receipt.next_attempt_at <= now),
            )
            .order_by(Receipt.id)
            .limit(BATCH)
        )
        .scalars()
        .all()
    )
    for receipt in due:
        try:
            if receipt.provider_uuid and receipt.provider == provider.name:
                result = provider.report(receipt.provider_uuid)
            else:
                result = provider.register(_document(session, receipt))
        except Exception as exc:  # noqa: BLE001 - one receipt never holds up the others
            # unavailable: the provider is down; anything else is a fault of ours (logged with
            # its traceback): either way the receipt waits for a later run, the next ones go on
            unavailable = isinstance(exc, FiscalUnavailable)
            session.rollback()
            session.execute(
                update(_R)
                .where(_R.c.id == receipt.id, _R.c.status == "pending")
                .values(
                    attempts=_R.c.attempts + 1,
                    next_attempt_at=utcnow() + _backoff(receipt.attempts),
                    last_error=(str(exc) if unavailable else f"{type(exc).__name__}: {exc}")[:500],
                )
            )
            session.commit()
            counts["unavailable"] += 1
            if unavailable:
                log.warning("receipt %s: cash register unavailable: %s", receipt.id, exc)
            else:
                log.exception("receipt %s: could not be sent", receipt.id)
            continue
        status = _apply(session, receipt.id, provider.name, result)
        session.commit()
        counts[{"registered": "registered", "failed": "failed"}.get(status, "waiting")] += 1
        if status == "failed":
            log.warning("receipt %s refused by %s: %s", receipt.id, provider.name, result.error)
    return counts


# -- reading and printing ------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalView:
    status: str  # pending | registered | failed
    provider: str
    fn_number: str
    fd_number: str
    fpd: str
    ecr_number: str
    fiscal_at: datetime | None
    error: str


@dataclass(frozen=True)
class RefundView:
    receipt_no: int | None
    created_at: datetime
    amount_kop: int
    fiscal: FiscalView | None


@dataclass(frozen=True)
class ReceiptView:
    """Everything a printed receipt shows."""

    receipt_no: int
    payment_id: int
    created_at: datetime  # when the payment was made (completed)
    amount_kop: int
    vat: str
    method: str  # card | autopay | partner
    card_brand: str
    card_last4: str
    partner_name: str
    msisdn: str
    iccid: str
    client: str  # the buyer's e-mail or phone
    fiscal: FiscalView
    refunds: tuple[RefundView, ...]
    order_id: int | None = None  # a SIM order's prepayment (no SIM when it was paid)


def _fiscal(r) -> FiscalView:
    return FiscalView(
        r.status, r.provider, r.fn_number, r.fd_number, r.fpd, r.ecr_number, r.fiscal_at,
        r.last_error,
    )  # fmt: skip


def _visible(actor: Actor, payment: Payment | None) -> bool:
    if payment is None or not has_receipt(payment.status, payment.method):
        return False
    if actor.role == "subscriber":
        return actor.subscriber_id is not None and payment.subscriber_id == actor.subscriber_id
    if actor.role == "partner":  # the dealer's own cash top-ups
        return (
            actor.partner_id is not None
            and payment.partner_id == actor.partner_id
            and payment.method == "partner"
        )
    return actor.can("payments.view")


def _sell_receipt(session: Session, payment: Payment) -> Receipt:
    """The payment's receipt, made now if it has none (a payment from before receipts)."""
    found = session.execute(
        select(Receipt).where(Receipt.external_id == external_id(payment.id))
    ).scalar_one_or_none()
    if found is not None:
        return found
    _insert_receipts(
        session,
        [
            {
                "payment_id": payment.id,
                "refund_id": None,
                "kind": "sell",
                "external_id": external_id(payment.id),
                "amount_kop": payment.amount_kop,
            }
        ],
    )
    return session.execute(
        select(Receipt).where(Receipt.external_id == external_id(payment.id))
    ).scalar_one()


@verb
def receipt_view(session: Session, actor: Actor | None, payment_id: int) -> ReceiptView:
    """What the payment's receipt shows; NotFound for anyone who may not see it."""
    payment = session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if actor is None or not _visible(actor, payment):
        raise NotFound("error.not_found")
    receipt = _sell_receipt(session, payment)
    sim = session.get(Sim, payment.sim_id) if payment.sim_id is not None else None
    subscriber = session.get(Subscriber, payment.subscriber_id) if payment.subscriber_id else None
    user = session.get(User, subscriber.user_id) if subscriber and subscriber.user_id else None
    partner = session.get(Partner, payment.partner_id) if payment.partner_id else None
    refunds = session.execute(
        select(PaymentRefund, Receipt)
        .join(Receipt, Receipt.refund_id == PaymentRefund.id, isouter=True)
        .where(PaymentRefund.payment_id == payment.id, PaymentRefund.applied_kop > 0)
        .order_by(PaymentRefund.id)
    ).all()
    email = (subscriber.email if subscriber else "") or (user.email if user else "") or ""
    return ReceiptView(
        receipt_no=receipt.id,
        payment_id=payment.id,
        created_at=payment.completed_at or payment.created_at,
        amount_kop=payment.amount_kop,
        vat=receipt.vat,
        method=payment.method,
        card_brand=payment.card_brand,
        card_last4=payment.card_last4,
        partner_name=partner.name if partner else "",
        msisdn=sim.msisdn if sim else "",
        iccid=sim.iccid if sim else "",
        client=email
        or phone((subscriber.phone if subscriber else "") or (sim.msisdn if sim else "")),
        fiscal=_fiscal(receipt),
        refunds=tuple(
            RefundView(
                r.id if r else None,
                refund.created_at,
                refund.applied_kop,
                _fiscal(r) if r else None,
            )
            for refund, r in refunds
        ),
        order_id=payment.order_id if sim is None else None,
    )


@verb
def receipt_pdf(
    session: Session, actor: Actor | None, payment_id: int, locale: str = "ru"
) -> tuple[str, bytes]:
    """(file name, PDF) of the payment's receipt, in the reader's language."""
    view = receipt_view(session, actor, payment_id)
    loc = "en" if locale == "en" else "ru"
    return t("receipt.file", loc, no=view.payment_id), render_pdf(view, loc)


@outbox.attachment_renderer("receipt")
@verb
def receipt_attachment(session: Session, receipt_id: int, locale: str | None) -> outbox.Attachment:
    """The PDF an outgoing e-mail carries (`outbox.attachment_ref("receipt", id)`), for the
    sender: the receipt as it stands when the e-mail leaves, in its subscriber's language
    unless `locale` says otherwise."""
    receipt = session.get(Receipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None:
        raise NotFound("error.not_found")
    if locale is None:
        locale = session.execute(
            select(User.locale)
            .join(Subscriber, Subscriber.user_id == User.id)
            .join(Payment, Payment.subscriber_id == Subscriber.id)
            .where(Payment.id == receipt.payment_id)
        ).scalar_one_or_none()
    loc = "en" if locale == "en" else "ru"
    system = Actor(user_id=0, role="admin", permissions=frozenset({"payments.view"}))
    view = receipt_view(session, system, receipt.payment_id)
    return outbox.Attachment(
        t("receipt.file", loc, no=view.payment_id), "application/pdf", render_pdf(view, loc)
    )


@dataclass(frozen=True)
class ReceiptState:
    """A receipt's registration as the admin's payment card shows it."""

    receipt_no: int
    kind: str
    amount_kop: int
    status: str
    fd_number: str
    error: str


@verb
def receipt_states(session: Session, actor: Actor, payment_id: int) -> list[ReceiptState]:
    """The payment's receipts (sale, refunds) and where their registration stands."""
    from paysim_app.core.permissions import require

    require(actor, "payments.view")
    rows = session.execute(
        select(Receipt).where(Receipt.payment_id == payment_id).order_by(Receipt.id)
    ).scalars()
    return [
        ReceiptState(r.id, r.kind, r.amount_kop, r.status, r.fd_number, r.last_error) for r in rows
    ]


@verb
def pending_count(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(_R).where(_R.c.status == "pending")
    ).scalar_one()


# -- the PDF ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fonts_ok() -> bool:
    return (FONTS / "DejaVuSans.ttf").exists() and (FONTS / "DejaVuSans-Bold.ttf").exists()


def _moscow(value: datetime) -> str:
    return value.astimezone(ZoneInfo(get_settings().paysim_timezone)).strftime("%d.%m.%Y %H:%M")


def _vat_label(vat: str, loc: str) -> str:
    return t("receipt.vat_none", loc) if vat == "none" else t("receipt.vat", loc, rate=vat)


def _pay_method(view: ReceiptView, loc: str) -> str:
    if view.method == "partner":
        return t("receipt.method.partner", loc, partner=view.partner_name or "—")
    card = f"{view.card_brand.capitalize() or t('receipt.card', loc)} •••• {view.card_last4}"
    key = "receipt.method.autopay" if view.method == "autopay" else "receipt.method.card"
    return t(key, loc, card=card if view.card_last4 else t("receipt.card", loc))


def _fiscal_lines(f: FiscalView, loc: str) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if f.status == "registered":
        lines += [
            (t("receipt.fn", loc), f.fn_number),
            (t("receipt.fd", loc), f.fd_number),
            (t("receipt.fpd", loc), f.fpd),
            (t("receipt.ecr", loc), f.ecr_number),
        ]
        if f.fiscal_at:
            lines.append((t("receipt.fiscal_at", loc), _moscow(f.fiscal_at)))
        registry = "receipt.registry.sandbox" if f.provider == "sandbox" else "receipt.registry.ok"
        lines.append((t("receipt.registry", loc), t(registry, loc)))
    elif f.status == "failed":
        lines.append((t("receipt.registry", loc), t("receipt.registry.failed", loc)))
    else:
        lines.append((t("receipt.registry", loc), t("receipt.registry.pending", loc)))
    return lines


def render_pdf(view: ReceiptView, loc: str = "ru") -> bytes:
    """The receipt as a one-column PDF (DejaVu Sans: Cyrillic, ₽ and • print as text)."""
    from fpdf import FPDF  # local: only printing a receipt needs it

    settings = get_settings()
    pdf = FPDF(format=(110, 250))
    pdf.set_title(t("receipt.title", loc) + f" {view.receipt_no}")
    pdf.set_author(settings.paysim_seller_name)
    pdf.set_creator("PaySim")
    pdf.set_margins(8, 8, 8)
    pdf.set_auto_page_break(True, margin=8)
    if _fonts_ok():
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        family = "DejaVu"
    else:  # pragma: no cover - the fonts ship in the repository
        raise RuntimeError(f"the receipt fonts are missing from {FONTS}")
    pdf.add_page()
    width = pdf.epw

    def text(value: str, size: float = 8.5, bold: bool = False, align: str = "L") -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(width, size * 0.5, value, align=align, new_x="LMARGIN", new_y="NEXT")

    def pair(label: str, value: str, bold: bool = False) -> None:
        pdf.set_font(family, "B" if bold else "", 8.5)
        y = pdf.get_y()
        pdf.multi_cell(width * 0.45, 4.3, label, new_x="LMARGIN", new_y="NEXT")
        label_end = pdf.get_y()
        pdf.set_xy(pdf.l_margin + width * 0.45, y)
        pdf.multi_cell(width * 0.55, 4.3, value, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), label_end))

    def rule() -> None:
        pdf.ln(1.5)
        pdf.set_draw_color(150, 150, 150)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_dash_pattern()
        pdf.ln(2)

    text(settings.paysim_seller_name, 10, bold=True, align="C")
    text(t("receipt.inn", loc, inn=settings.paysim_seller_inn), align="C")
    if settings.paysim_seller_address:
        text(settings.paysim_seller_address, 7.5, align="C")
    text(
        t(
            "receipt.place",
            loc,
            place=settings.paysim_payment_address or settings.paysim_public_url,
        ),
        7.5,
        align="C",
    )
    pdf.ln(2)
    text(t("receipt.title", loc), 12, bold=True, align="C")
    text(t("receipt.kind.sell", loc), 10, bold=True, align="C")
    rule()
    pair(t("receipt.no", loc), str(view.receipt_no))
    pair(t("receipt.payment_no", loc), str(view.payment_id))
    pair(t("receipt.when", loc), _moscow(view.created_at) + " " + t("receipt.msk", loc))
    pair(t("receipt.tax_system", loc), t(f"receipt.sno.{settings.paysim_tax_system}", loc))
    rule()
    item = (
        t("receipt.item_prepaid", loc, no=view.order_id)
        if view.order_id is not None
        else t("receipt.item", loc, msisdn=phone(view.msisdn), iccid=view.iccid)
    )
    text(item, bold=True)
    pair(
        t("receipt.quantity", loc),
        f"1 × {money(view.amount_kop, loc)} = {money(view.amount_kop, loc)}",
    )
    pair(t("receipt.subject", loc), t("receipt.subject.service", loc))
    pair(t("receipt.settlement", loc), t("receipt.settlement.full", loc))
    pair(_vat_label(view.vat, loc), money(vat_amount_kop(view.amount_kop, view.vat), loc))
    rule()
    pair(t("receipt.total", loc), money(view.amount_kop, loc), bold=True)
    pay_key = "receipt.cash" if view.method == "partner" else "receipt.electronic"
    pair(t(pay_key, loc), money(view.amount_kop, loc))
    pair(
        t("receipt.vat_total", loc, vat=_vat_label(view.vat, loc)),
        money(vat_amount_kop(view.amount_kop, view.vat), loc),
    )
    pair(t("receipt.method", loc), _pay_method(view, loc))
    pair(t("receipt.client", loc), view.client)
    rule()
    for label, value in _fiscal_lines(view.fiscal, loc):
        pair(label, value)
    if view.fiscal.provider == "sandbox":
        pdf.ln(1)
        text(t("receipt.sandbox_note", loc), 7.5, align="C")
    for refund in view.refunds:
        rule()
        text(t("receipt.kind.sell_refund", loc), 10, bold=True, align="C")
        if refund.receipt_no is not None:
            pair(t("receipt.no", loc), str(refund.receipt_no))
        pair(t("receipt.when", loc), _moscow(refund.created_at) + " " + t("receipt.msk", loc))
        pair(t("receipt.refund_total", loc), money(refund.amount_kop, loc), bold=True)
        pair(
            t("receipt.vat_total", loc, vat=_vat_label(view.vat, loc)),
            money(vat_amount_kop(refund.amount_kop, view.vat), loc),
        )
        fiscal = refund.fiscal or FiscalView("pending", "", "", "", "", "", None, "")
        for label, value in _fiscal_lines(fiscal, loc):
            pair(label, value)
    pdf.ln(3)
    text(t("receipt.thanks", loc), 8, align="C")
    return bytes(pdf.output())
