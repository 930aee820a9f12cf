"""A subscriber's personal data under 152-FZ: everything the operator holds about them as one
archive, and the closing of their account.

The archive (`data_archive`, the owner only; audited) is a ZIP of JSON files: profile,
contract, SIMs, payments, ledger, tickets with their messages, notifications, consents, usage by
month, saved cards and sessions; never a secret (token hashes, card tokens, PUK and activation
codes, staff-only notes).

Closing: the subscriber asks, confirming with their password (`request_closure`); the request
waits in the console's queue (CLOSURE_LIST, privacy.view) until an admin with privacy.edit
closes the account (`close_account`, audited). The rule for SIMs: every SIM of the contract must
be blocked or deactivated and hold no money (a positive balance is refunded first), otherwise
the closing is refused with the numbers that stand in the way. Closing keeps what the law
requires -- payments, the ledger, the contract (its number and dates), the SIMs' history and the
consents -- and removes or masks the rest: names, e-mail, phone (so both can register again),
address and ID document are removed; sign-ins ended; saved cards marked removed and their
gateway tokens dropped, autopay off; the texts of notifications, support tickets, quality
comments, activation requests and SIM orders masked; browsers, second factor, preferences and
saved filters deleted; the files they attached to support tickets are deleted from the disk
once the closing is committed (support.attachments' folder; a file another message still names
is kept). The subscriber is told by e-mail or SMS at the address they had. A new request tells
the admins who close accounts (kind `closure_new`, privacy.edit), once per request.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, event, func, or_, update
from sqlmodel import Session, select

from paysim_app.accounts import consent, hash_password, identity
from paysim_app.core import audit, notify
from paysim_app.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from paysim_app.core.listing import FilterDef, ListSpec, contains
from paysim_app.core.outbox import queue_email, queue_sms
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import (
    ActivationRequest,
    AuthSession,
    AutopaySetting,
    ClosureRequest,
    KnownBrowser,
    LedgerEntry,
    Notification,
    NotificationPreference,
    Payment,
    QualityRating,
    RecoveryCode,
    SavedCard,
    SavedFilter,
    Sim,
    Subscriber,
    Tariff,
    Ticket,
    TicketMessage,
    TwoFactor,
    User,
)
from paysim_app.models.base import utcnow
from paysim_app.models.orders import SimOrder
from paysim_app.models.privacy import CLOSURE_STATUSES
from paysim_app.models.usage import UsageDay
from paysim_app.settings import get_settings
from paysim_app.support import attachments

log = logging.getLogger("paysim.privacy")

VIEW, EDIT = "privacy.view", "privacy.edit"
MASK = "***"
CLOSABLE_SIM_STATUSES = ("blocked", "deactivated")
# columns never written to an archive, whatever the table
SECRET_COLUMNS = frozenset(
    {
        "token_hash",
        "password_hash",
        "gateway_token",
        "gateway_customer",
        "activation_code_hash",
        "puk",
        "idempotency_key",
        "checkout_session",
        "checkout_url",
        "attachment_path",
        "secret",
    }
)
ROW_CAP = 100_000  # rows of one file (a ledger over many years stays far below)


# -- the archive ---------------------------------------------------------------------------------
def _own_contract(session: Session, actor: Actor | None) -> tuple[User, Subscriber]:
    if actor is None or actor.role != "subscriber" or actor.subscriber_id is None:
        raise PermissionDenied()
    sub = session.get(Subscriber, actor.subscriber_id)
    user = session.get(User, actor.user_id)
    if sub is None or user is None or sub.user_id != user.id:
        raise PermissionDenied()
    return user, sub


def _plain(row, drop: frozenset[str] = frozenset()) -> dict:
    data = row.model_dump() if hasattr(row, "model_dump") else dict(row._mapping)
    return {k: v for k, v in data.items() if k not in SECRET_COLUMNS and k not in drop}


def _all(session: Session, stmt) -> list[dict]:
    return [_plain(r) for r in session.exec(stmt.limit(ROW_CAP)).all()]


def _usage_by_month(session: Session, sims: list[Sim]) -> list[dict]:
    months: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    msisdn = {s.id: s.msisdn for s in sims}
    rows = session.exec(
        select(UsageDay).where(UsageDay.sim_id.in_(list(msisdn))).limit(ROW_CAP)
    ).all()
    for r in rows:
        key = (msisdn[r.sim_id], f"{r.day:%Y-%m}")
        months[key][0] += r.bytes_up
        months[key][1] += r.bytes_down
    return [
        {"msisdn": m, "month": month, "bytes_up": up, "bytes_down": down}
        for (m, month), (up, down) in sorted(months.items())
    ]


@dataclass(frozen=True)
class Archive:
    filename: str
    data: bytes
    files: tuple[str, ...]


@verb
def data_archive(session: Session, actor: Actor | None) -> Archive:
    """Everything held about the signed-in subscriber, as a ZIP of JSON files (theirs only;
    audited as `privacy.archive`)."""
    user, sub = _own_contract(session, actor)
    sims = session.exec(select(Sim).where(Sim.subscriber_id == sub.id).order_by(Sim.id)).all()
    sim_ids = [s.id for s in sims] or [-1]
    tariffs = {
        i: n
        for i, n in session.exec(
            select(Tariff.id, Tariff.name).where(
                Tariff.id.in_([s.tariff_id for s in sims if s.tariff_id] or [-1])
            )
        ).all()
    }
    tickets = session.exec(
        select(Ticket)
        .where(or_(Ticket.subscriber_id == sub.id, Ticket.author_user_id == user.id))
        .order_by(Ticket.id)
        .limit(ROW_CAP)
    ).all()
    messages = defaultdict(list)
    if tickets:
        for m in session.exec(
            select(TicketMessage)
            .where(
                TicketMessage.ticket_id.in_([x.id for x in tickets]),
                TicketMessage.is_internal.is_(False),
            )
            .order_by(TicketMessage.id)
            .limit(ROW_CAP)
        ).all():
            messages[m.ticket_id].append(_plain(m, frozenset({"is_internal"})))
    files = {
        "profile.json": {
            "account": _plain(user, frozenset({"admin_role_id", "partner_id"})),
        },
        "contract.json": _plain(sub),
        "sims.json": [
            {**_plain(s), "balance_kop": s.balance_kop, "tariff": tariffs.get(s.tariff_id, "")}
            for s in sims
        ],
        "payments.json": _all(
            session,
            select(Payment)
            .where(or_(Payment.subscriber_id == sub.id, Payment.sim_id.in_(sim_ids)))
            .order_by(Payment.id),
        ),
        "ledger.json": _all(
            session,
            select(LedgerEntry).where(LedgerEntry.sim_id.in_(sim_ids)).order_by(LedgerEntry.id),
        ),
        "tickets.json": [{**_plain(x), "messages": messages[x.id]} for x in tickets],
        "notifications.json": _all(
            session,
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id),
        ),
        "consents.json": [c.__dict__ for c in consent.consents_of(session, user.id, sub.id)],
        "usage_by_month.json": _usage_by_month(session, sims),
        "cards.json": _all(session, select(SavedCard).where(SavedCard.subscriber_id == sub.id)),
        "sessions.json": _all(
            session,
            select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.id),
        ),
        "sim_orders.json": _all(session, select(SimOrder).where(SimOrder.subscriber_id == sub.id)),
        "quality_ratings.json": _all(
            session, select(QualityRating).where(QualityRating.user_id == user.id)
        ),
    }
    now = utcnow()
    readme = (
        f"PaySim: personal data of contract {sub.contract_no}, {now:%Y-%m-%d %H:%M} UTC.\n"
        "Amounts are in kopecks (1/100 rouble); times are UTC (ISO 8601).\n"
        "Данные абонента по договору; суммы в копейках, время в UTC.\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=1, default=str))
    audit.record(
        session, actor, "privacy.archive", "subscriber", sub.id, None, {"files": len(files)}
    )
    filename = f"paysim-{sub.contract_no}-{moscow_date(now):%Y%m%d}.zip"
    return Archive(filename, buffer.getvalue(), ("README.txt", *files))


# -- asking to close ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClosureView:
    id: int
    status: str
    requested_at: datetime


def _pending(session: Session, subscriber_id: int) -> ClosureRequest | None:
    return session.exec(
        select(ClosureRequest).where(
            ClosureRequest.subscriber_id == subscriber_id, ClosureRequest.status == "pending"
        )
    ).first()


@verb
def my_closure(session: Session, actor: Actor | None) -> ClosureView | None:
    """The subscriber's request to close waiting for an admin, if any."""
    _, sub = _own_contract(session, actor)
    row = _pending(session, sub.id)
    return ClosureView(row.id, row.status, row.requested_at) if row else None


@verb
def request_closure(
    session: Session, actor: Actor | None, password: str, ip: str = ""
) -> ClosureView:
    """Ask to close the account, confirmed with the password (a wrong one counts like a
    sign-in's). One pending request per contract."""
    user, sub = _own_contract(session, actor)
    if not isinstance(password, str) or not password:
        raise ValidationError("error.required", field="password")
    try:
        identity.check_password(session, actor.login, password, ip)
    except DomainError as err:
        raise ValidationError(err.code, field="password", **err.params) from None
    if _pending(session, sub.id) is not None:
        raise ValidationError("privacy.error.pending")
    row = ClosureRequest(subscriber_id=sub.id, user_id=user.id, contract_no=sub.contract_no)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "privacy.closure_request",
        "closure_request",
        row.id,
        None,
        {"status": "pending", "contract_no": sub.contract_no},
    )
    notify.tell_queue(session, "closure_new", row.id, no=row.id, contract=sub.contract_no)
    return ClosureView(row.id, row.status, row.requested_at)


@verb
def withdraw_closure(session: Session, actor: Actor | None) -> None:
    """The subscriber changed their mind while the request still waits."""
    _, sub = _own_contract(session, actor)
    row = _pending(session, sub.id)
    if row is None:
        raise ValidationError("privacy.error.not_pending")
    row.status, row.decided_at = "withdrawn", utcnow()
    audit.record(
        session,
        actor,
        "privacy.closure_withdraw",
        "closure_request",
        row.id,
        {"status": "pending"},
        {"status": "withdrawn"},
    )


# -- the console's queue ----------------------------------------------------------------------------
_C = ClosureRequest


def _closure_select(_actor: Actor):
    return select(
        _C.id.label("id"),
        _C.requested_at.label("requested_at"),
        _C.contract_no.label("contract_no"),
        Subscriber.full_name.label("full_name"),
        _C.status.label("status"),
        _C.decided_at.label("decided_at"),
    ).join(Subscriber, Subscriber.id == _C.subscriber_id)


def _search(stmt, text: str):
    return stmt.where(contains(_C.contract_no, text) | contains(Subscriber.full_name, text))


CLOSURE_LIST = ListSpec(
    name="closures",
    permission=VIEW,
    columns=_closure_select,
    sorts={"requested_at": _C.requested_at},
    default_sort="requested_at",
    key=_C.id,
    filters=(
        FilterDef("status", lambda s, v: s.where(_C.status == v), "choice", CLOSURE_STATUSES),
    ),
    search=_search,
)


# -- closing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Closed:
    request_id: int
    contract_no: str


def _tell(session: Session, user: User | None, sub: Subscriber) -> None:
    """The notice goes to the address they had (before it is removed)."""
    locale = user.locale if user is not None else "ru"
    email = (user.email if user else None) or sub.email
    phone = (user.phone if user else None) or sub.phone
    user_id = user.id if user else None
    if email:
        queue_email(
            session,
            email,
            t("privacy.closed_mail.subject", locale),
            t("privacy.closed_mail.body", locale, contract=sub.contract_no),
            "privacy_closed",
            user_id=user_id,
            locale=locale,
        )
    elif phone:
        queue_sms(
            session,
            phone,
            t("privacy.closed_sms", locale, contract=sub.contract_no),
            "sms_privacy_closed",
            user_id=user_id,
            locale=locale,
        )


def _attached_files(session: Session, user_id: int) -> list[str]:
    """The stored names of the files the person attached to support tickets."""
    return sorted(
        set(
            session.execute(
                select(TicketMessage.attachment_path).where(
                    TicketMessage.author_user_id == user_id, TicketMessage.attachment_path != ""
                )
            ).scalars()
        )
    )


def _delete_files_after_commit(session: Session, names: list[str]) -> None:
    """Delete the person's attachment files from the disk once the closing is committed (a
    closing rolled back keeps them, with the messages that name them). Each upload is stored
    under a random name of its own, so no other message names them."""
    wanted = [n for n in names if attachments.is_stored_name(n)]
    if not wanted:
        return

    over: list[bool] = []  # the transaction ended: committed (files deleted) or rolled back

    def after_commit(_committed: Session) -> None:
        if over:
            return
        over.append(True)
        folder = Path(get_settings().paysim_attachments_dir)
        for name in wanted:
            try:
                (folder / name).unlink(missing_ok=True)
            except OSError as exc:  # the sweep of unreferenced files takes it later
                log.warning("closing: attachment %s not deleted: %s", name, exc)

    def after_rollback(_rolled_back: Session) -> None:
        over.append(False)

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_rollback", after_rollback)


def _mask_user(session: Session, user: User) -> None:
    uid = user.id
    _delete_files_after_commit(session, _attached_files(session, uid))
    identity.revoke_all_sessions(session, uid)
    session.execute(update(AuthSession).where(AuthSession.user_id == uid).values(user_agent=""))
    for model in (KnownBrowser, TwoFactor, RecoveryCode, NotificationPreference, SavedFilter):
        session.execute(delete(model).where(model.user_id == uid))
    session.execute(
        update(Notification).where(Notification.user_id == uid).values(title=MASK, body="")
    )
    session.execute(
        update(TicketMessage)
        .where(TicketMessage.author_user_id == uid)
        .values(body=MASK, attachment_name="", attachment_path="")
    )
    session.execute(update(QualityRating).where(QualityRating.user_id == uid).values(comment=""))
    # the login is removed, so that the e-mail and the phone may register again
    user.email, user.phone = f"closed-{uid}@closed.invalid", None
    user.full_name, user.phone_verified_at, user.is_active = "", None, False
    user.password_hash = hash_password(secrets.token_urlsafe(24))


@verb
def close_account(session: Session, actor: Actor | None, request_id: int) -> Closed:
    """Close the account of a pending request (privacy.edit; audited). Refused while a SIM of
    the contract is working or holds money (DomainError privacy.error.sims_first)."""
    require(actor, EDIT)
    valid = isinstance(request_id, int) and not isinstance(request_id, bool)
    row = session.get(ClosureRequest, request_id, with_for_update=True) if valid else None
    if row is None:
        raise NotFound()
    if row.status != "pending":
        raise ValidationError("privacy.error.not_pending")
    sub = session.get(Subscriber, row.subscriber_id)
    sims = session.exec(select(Sim).where(Sim.subscriber_id == sub.id).order_by(Sim.id)).all()
    standing = [
        s.msisdn for s in sims if s.status not in CLOSABLE_SIM_STATUSES or s.balance_kop > 0
    ]
    if standing:
        raise DomainError("privacy.error.sims_first", sims=", ".join(standing[:10]))
    user = session.get(User, sub.user_id) if sub.user_id else None
    _tell(session, user, sub)
    counts = {
        "sims": len(sims),
        "payments": session.exec(
            select(func.count()).select_from(Payment).where(Payment.subscriber_id == sub.id)
        ).one(),
    }
    if user is not None:
        _mask_user(session, user)
    session.execute(
        update(SavedCard)
        .where(SavedCard.subscriber_id == sub.id)
        .values(
            deleted_at=func.coalesce(SavedCard.deleted_at, utcnow()),
            is_default=False,
            gateway_token="",
            gateway_customer="",
        )
    )
    if sims:
        sim_ids = [s.id for s in sims]
        session.execute(
            update(AutopaySetting).where(AutopaySetting.sim_id.in_(sim_ids)).values(enabled=False)
        )
        session.execute(
            update(ActivationRequest)
            .where(ActivationRequest.sim_id.in_(sim_ids))
            .values(customer_name=MASK, customer_phone="", customer_email="", customer_document="")
        )
    session.execute(
        update(Ticket).where(Ticket.subscriber_id == sub.id).values(subject=MASK, rating_comment="")
    )
    session.execute(
        update(SimOrder)
        .where(SimOrder.subscriber_id == sub.id)
        .values(customer_name=MASK, customer_phone="", document_no="", address="")
    )
    sub.full_name, sub.email, sub.phone, sub.address = MASK, "", "", ""
    sub.document_type, sub.document_no, sub.notes, sub.status = "", "", "", "inactive"
    row.status, row.decided_at, row.decided_by = "closed", utcnow(), actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        "privacy.close_account",
        "subscriber",
        sub.id,
        {"status": "pending", "contract_no": sub.contract_no},
        {"status": "closed", "request_id": row.id, **counts},
    )
    return Closed(row.id, sub.contract_no)
