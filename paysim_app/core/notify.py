"""Notifications: an in-app message and, as the user chooses per kind, the same by e-mail or SMS.

Texts come from the catalogues in the recipient's language (`notify.<kind>.title/.body`);
amounts in params are kopecks (`*_kop` params are formatted as roubles here). A `dedup_key`
makes a warning reach a user once, whoever asks for it how many times.

Channels: every kind has a default (KINDS); a user's NotificationPreference row overrides it:
"app" (in-app only), "email", "sms" (only to a verified phone) or "off" (only the kinds one opts
in to). Security kinds cannot be changed: in-app plus e-mail, or SMS when there is no e-mail.
A copy the account cannot receive falls back: SMS -> e-mail -> in-app only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from paysim_app.core import bulk, outbox
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, SearchField, contains
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import data_size, day, money, phone
from paysim_app.models import Notification, NotificationPreference, Sim, Subscriber, User
from paysim_app.models.base import utcnow

_N = Notification.__table__


def _render(kind: str, locale: str, params: dict) -> tuple[str, str]:
    shown = {}
    for key, value in params.items():
        if key.endswith("_kop") and isinstance(value, int):
            shown[key] = money(value, locale)
        elif key.endswith("_bytes") and isinstance(value, int):
            shown[key] = data_size(value, locale)
        elif isinstance(value, date) and not isinstance(value, datetime):
            shown[key] = day(value, locale)
        elif key == "decline_code":
            shown[key] = value
            shown["reason"] = t(f"decline.{value}", locale)
            shown["advice"] = t(f"decline.{value}.advice", locale)
        else:
            shown[key] = value
    return t(f"notify.{kind}.title", locale, **shown), t(f"notify.{kind}.body", locale, **shown)


SUBSCRIBER, PARTNER, ADMIN = "subscriber", "partner", "admin"
CHANNELS = ("app", "email", "sms", "off")


@dataclass(frozen=True)
class KindSpec:
    roles: frozenset[str]  # who gets it (and sees it among their preferences)
    default: str = "email"  # the channel without a preference row
    locked: bool = False  # a security notice: always in-app + e-mail or SMS
    opt_in: bool = False  # may be "off" (nothing at all), and is by default

    @property
    def channels(self) -> tuple[str, ...]:
        return ("off", "app", "email", "sms") if self.opt_in else ("app", "email", "sms")


def _kinds(roles: tuple[str, ...], names: str, **kw) -> dict[str, KindSpec]:
    return {name: KindSpec(frozenset(roles), **kw) for name in names.split()}


# every kind a user may get, in the order the preferences table lists them
KINDS: dict[str, KindSpec] = {
    **_kinds(
        (SUBSCRIBER, PARTNER, ADMIN), "new_sign_in password_changed", default="email", locked=True
    ),
    **_kinds((SUBSCRIBER,), "card_added", locked=True),
    **_kinds(
        (SUBSCRIBER,),
        "low_balance sim_suspended sim_restored autopay_ok autopay_failed autopay_failed_hard "
        "autopay_cap autopay_confirm autopay_off_no_card card_expiring addon_lapsed partner_topup "
        "activation_approved activation_rejected tariff_change_now tariff_change_approved "
        "tariff_change_rejected tariff_change_applied tariff_change_cancelled sim_blocked "
        "sim_unblocked unblock_rejected data_80 data_100",
    ),
    # an admin moved a SIM between contracts: its old and its new holder
    **_kinds((SUBSCRIBER,), "sim_moved_out sim_moved_in"),
    # a SIM order's every step (sims.orders); its prepayment given back (billing.prepayments)
    **_kinds((SUBSCRIBER,), "order_status prepayment_refunded"),
    **_kinds((SUBSCRIBER, PARTNER), "ticket_reply ticket_resolved"),
    **_kinds((PARTNER,), "partner_activation_approved partner_activation_rejected"),
    **_kinds((PARTNER,), "partner_order_new"),
    **_kinds((PARTNER,), "partner_low_balance", default="off", opt_in=True),
    **_kinds(
        (ADMIN,),
        "ticket_new activation_new unblock_new tariff_change_new dispute_opened dispute_closed "
        "payment_unknown order_new closure_new",
    ),
    # in-app by default: its e-mail copy could fail in turn
    **_kinds((ADMIN,), "message_failed", default="app"),
}
SECURITY_KINDS = tuple(k for k, spec in KINDS.items() if spec.locked)
_UNKNOWN = KindSpec(frozenset())


@dataclass(frozen=True)
class Contact:
    """Where a user's copies may go: locale, e-mail ("" = none), verified phone ("" = none),
    and the channels they chose ({kind: channel})."""

    locale: str
    email: str
    phone: str
    chosen: dict[str, str]


def channel_for(kind: str, contact: Contact) -> str:
    """The channel a notification of `kind` takes for this contact: off, app, email or sms."""
    spec = KINDS.get(kind, _UNKNOWN)
    if spec.locked:
        return "email" if contact.email else "sms" if contact.phone else "app"
    chosen = contact.chosen.get(kind)
    channel = chosen if chosen in spec.channels else spec.default
    if channel == "sms" and not contact.phone:
        channel = "email"
    if channel == "email" and not contact.email:
        channel = "app"
    return channel


def _preferences(session: Session, user_ids) -> dict[int, dict[str, str]]:
    """{user id: {kind: channel}} for these users, in one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    chosen: dict[int, dict[str, str]] = {}
    for uid, kind, channel in session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.kind,
            NotificationPreference.channel,
        ).where(NotificationPreference.user_id.in_(ids))
    ):
        chosen.setdefault(uid, {})[kind] = channel
    return chosen


def _phone_if_verified(phone_no: str | None, verified) -> str:
    """SMS copies go only to a phone its owner has proven (accounts.verification)."""
    return phone_no or "" if verified else ""


def contacts(
    session: Session, user_ids, emails: dict[int, str] | None = None
) -> dict[int, Contact]:
    """Contacts of active users, in two queries (users, preferences). `emails` overrides the
    address (a subscriber's contract e-mail)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.locale, User.email, User.phone, User.phone_verified_at).where(
            User.id.in_(ids), User.is_active
        )
    ).all()
    chosen = _preferences(session, [r[0] for r in rows])
    emails = emails or {}
    return {
        uid: Contact(
            locale,
            emails.get(uid) or email or "",
            _phone_if_verified(phone_no, ok),
            chosen.get(uid, {}),
        )
        for uid, locale, email, phone_no, ok in rows
    }


def _copy(
    session: Session, channel: str, contact: Contact, user_id: int, kind: str, title: str, body: str
) -> None:
    """The e-mail or SMS copy, marked with whom it is for (the sender's language and the
    e-mail's unsubscribe link)."""
    who = {"user_id": user_id, "locale": contact.locale}
    if channel == "email":
        outbox.queue_email(session, contact.email, title, body, kind=kind, **who)
    elif channel == "sms":
        outbox.queue_sms(session, contact.phone, f"{title}. {body}", kind, **who)


def _recipients(session: Session, sim_ids: list[int]) -> dict[int, tuple[int, str, Contact]]:
    """sim id -> (user id, msisdn, contact) of the subscriber who owns it; one query for the
    owners and one for their preferences, however many SIMs."""
    rows = session.execute(
        select(
            Sim.id,
            Sim.msisdn,
            User.id,
            User.locale,
            User.email,
            Subscriber.email,
            User.phone,
            User.phone_verified_at,
        )
        .join(Subscriber, Subscriber.id == Sim.subscriber_id)
        .join(User, User.id == Subscriber.user_id)
        .where(Sim.id.in_(sim_ids), User.is_active)
    ).all()
    chosen = _preferences(session, [r[2] for r in rows])
    return {
        r[0]: (
            r[2],
            r[1],
            Contact(
                r[3],
                r[5] or r[4] or "",
                _phone_if_verified(r[6], r[7]),
                chosen.get(r[2], {}),
            ),
        )
        for r in rows
    }


def notify_user(
    session: Session,
    user_id: int,
    kind: str,
    params: dict | None = None,
    *,
    dedup_key: str | None = None,
    locale: str | None = None,
    email: str | None = None,
    contact: Contact | None = None,
    sim_id: int | None = None,
) -> bool:
    """Add the notification (and its e-mail or SMS copy) in the caller's transaction; False if
    deduplicated, turned off, or the user is gone. `email` overrides the address (a contract's
    e-mail); `contact` spares the lookup (the bulk paths pass it)."""
    if contact is None:
        found = contacts(session, [user_id], {user_id: email} if email else None).get(user_id)
        if found is None:
            return False
        contact = found
    if locale:
        contact = replace(contact, locale=locale)
    channel = channel_for(kind, contact)
    if channel == "off":
        return False
    title, body = _render(kind, contact.locale, params or {})
    if dedup_key:
        # INSERT ... ON CONFLICT DO NOTHING, not "look, then add": two workers warning the same
        # user at once would both see nothing and the second commit would fail on the key
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = session.execute(
            dialect.insert(_N)
            .values(
                user_id=user_id,
                kind=kind,
                title=title,
                body=body,
                dedup_key=dedup_key,
                sim_id=sim_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
            .returning(_N.c.id)
        ).first()
        if inserted is None:
            return False
    else:
        session.add(Notification(user_id=user_id, kind=kind, title=title, body=body, sim_id=sim_id))
    _copy(session, channel, contact, user_id, kind, title, body)
    return True


def notify_sim_owners(
    session: Session, items: list[tuple[int, str, dict]], *, dedup: str | None = None
) -> int:
    """Notify the owners of SIMs: items are (sim id, kind, params). `dedup` (a format string
    with {sim} and {kind}) turns on deduplication. SIMs without an owner are skipped."""
    if not items:
        return 0
    owners = _recipients(session, sorted({sim_id for sim_id, _, _ in items}))
    if dedup:
        sent = 0
        for sim_id, kind, params in items:
            owner = owners.get(sim_id)
            if owner is None:
                continue
            user_id, msisdn, contact = owner
            sent += notify_user(
                session,
                user_id,
                kind,
                {"msisdn": phone(msisdn), **params},
                dedup_key=dedup.format(sim=sim_id, kind=kind),
                contact=contact,
                sim_id=sim_id,
            )
        return sent
    # No deduplication: the billing cycle's thousands of messages go in bulk inserts.
    now = utcnow()
    notes, mails = [], []
    for sim_id, kind, params in items:
        owner = owners.get(sim_id)
        if owner is None:
            continue
        user_id, msisdn, contact = owner
        channel = channel_for(kind, contact)
        if channel == "off":
            continue
        title, body = _render(kind, contact.locale, {"msisdn": phone(msisdn), **params})
        notes.append(
            {
                "user_id": user_id,
                "kind": kind,
                "title": title,
                "body": body,
                "sim_id": sim_id,
                "created_at": now,
            }
        )
        if channel == "email":
            mails.append((contact.email, title, body, kind, "", user_id, contact.locale))
        elif channel == "sms":
            _copy(session, channel, contact, user_id, kind, title, body)
    bulk.insert_rows(session, _N, notes, returning=None)
    outbox.queue_emails(session, mails)
    return len(notes)


def notify_subscriber(session: Session, subscriber_id: int, kind: str, params: dict) -> bool:
    """Notify the contract holder (copies to the contract's e-mail when the login has none)."""
    row = session.execute(
        select(Subscriber.user_id, Subscriber.email).where(Subscriber.id == subscriber_id)
    ).first()
    if row is None or row[0] is None:
        return False
    user_email = session.execute(select(User.email).where(User.id == row[0])).scalar()
    return notify_user(session, row[0], kind, params, email=user_email or row[1] or None)


def notify_admins(
    session: Session, permissions: tuple[str, ...], kind: str, params: dict, *, dedup_key: str
) -> int:
    """Notify every active admin whose role holds one of `permissions` (in-app and the copy they
    chose), once per `dedup_key`. Returns how many were told."""
    from paysim_app.models.accounts import AdminRolePermission  # only admins' roles need it

    roles = select(AdminRolePermission.role_id).where(
        AdminRolePermission.permission.in_(permissions)
    )
    admins = (
        session.execute(
            select(User.id).where(
                User.role == "admin", User.is_active, User.admin_role_id.in_(roles)
            )
        )
        .scalars()
        .all()
    )
    found = contacts(session, admins)
    return sum(
        notify_user(session, uid, kind, params, dedup_key=dedup_key, contact=found[uid])
        for uid in admins
        if uid in found
    )


# the queues admins work, by the permission that works them
QUEUES = {
    "ticket_new": "support.edit",
    "activation_new": "activations.edit",
    "unblock_new": "blocks.edit",
    "tariff_change_new": "activations.edit",
    "order_new": "activations.edit",
    "closure_new": "privacy.edit",
}


def tell_queue(session: Session, kind: str, ref_id: int, **params) -> int:
    """Something new waits in an admin queue (a ticket, a request): the admins whose role may
    work that queue are told, once per item. `msisdn` (E.164) is shown formatted."""
    if "msisdn" in params:
        params["msisdn"] = phone(params["msisdn"] or "")
    return notify_admins(
        session,
        (QUEUES[kind],),
        kind,
        {"id": ref_id, "request": ref_id, **params},
        dedup_key=f"{kind}:{ref_id}",
    )


def notify_partner(
    session: Session, partner_id: int | None, kind: str, params: dict, *, dedup_key: str
) -> int:
    """Notify every active user of a partner (dealer), once per `dedup_key` each."""
    if partner_id is None:
        return 0
    users = (
        session.execute(
            select(User.id).where(
                User.partner_id == partner_id, User.role == "partner", User.is_active
            )
        )
        .scalars()
        .all()
    )
    found = contacts(session, users)
    return sum(
        notify_user(session, uid, kind, params, dedup_key=dedup_key, contact=found[uid])
        for uid in users
        if uid in found
    )


def tell_partner_decision(
    session: Session,
    request,
    msisdn: str,
    *,
    approved: bool,
    contract: str = "",
    reason: str = "",
) -> int:
    """A dealer's activation request (models.ActivationRequest with a partner) was decided:
    every user of that partner is told, once per request. Nothing for a subscriber's own."""
    if getattr(request, "partner_id", None) is None:
        return 0
    kind = "partner_activation_approved" if approved else "partner_activation_rejected"
    params = {
        "request": request.id,
        "msisdn": phone(msisdn),
        "customer": request.customer_name or "—",
        "contract": contract or "—",
        "reason": reason or "—",
    }
    return notify_partner(
        session, request.partner_id, kind, params, dedup_key=f"{kind}:{request.id}"
    )


def notify_partners_low_balance(session: Session, sim_ids: list[int]) -> int:
    """Tell the dealers who sold these SIMs and opted in (partner_low_balance) that a
    subscriber's balance is low; once per SIM and day. Users who did not opt in cost nothing
    but the one query that finds who did."""
    if not sim_ids:
        return 0
    optin = select(NotificationPreference.user_id).where(
        NotificationPreference.kind == "partner_low_balance",
        NotificationPreference.channel != "off",
    )
    rows = session.execute(
        select(User.id, Sim.id, Sim.msisdn, Sim.balance_kop)
        .select_from(Sim)
        .join(User, User.partner_id == Sim.partner_id)
        .where(
            Sim.id.in_(sorted(set(sim_ids))),
            User.is_active,
            User.role == "partner",
            User.id.in_(optin),
        )
    ).all()
    if not rows:
        return 0
    found = contacts(session, [r[0] for r in rows])
    today = utcnow().date().isoformat()
    return sum(
        notify_user(
            session,
            uid,
            "partner_low_balance",
            {"msisdn": phone(msisdn), "balance_kop": balance},
            dedup_key=f"partner_low_balance:{sim_id}:{today}",
            contact=found[uid],
        )
        for uid, sim_id, msisdn, balance in rows
        if uid in found
    )


# --------------------------------------------------------------------------- preferences


def _own_user(session: Session, actor: Actor | None) -> User:
    if actor is None:
        raise PermissionDenied()
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active or user.role != actor.role:
        raise PermissionDenied()
    return user


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    channel: str  # what is chosen (or the default)
    channels: tuple[str, ...]  # what may be chosen for this account now
    locked: bool  # a security notice: shown, not changeable


def kinds_for(role: str) -> tuple[str, ...]:
    return tuple(k for k, spec in KINDS.items() if role in spec.roles)


@verb
def get_preferences(session: Session, actor: Actor | None) -> list[PreferenceRow]:
    """The actor's channel per kind, with the channels this account can use (e-mail only with an
    address, SMS only to a verified phone)."""
    user = _own_user(session, actor)
    contact = contacts(session, [user.id], {user.id: _contract_email(session, user)})[user.id]
    rows = []
    for kind in kinds_for(user.role):
        spec = KINDS[kind]
        usable = tuple(
            c
            for c in spec.channels
            if c in ("off", "app")
            or (c == "email" and contact.email)
            or (c == "sms" and contact.phone)
        )
        rows.append(PreferenceRow(kind, channel_for(kind, contact), usable, spec.locked))
    return rows


def _contract_email(session: Session, user: User) -> str:
    if user.role == SUBSCRIBER and not user.email:
        return (
            session.execute(select(Subscriber.email).where(Subscriber.user_id == user.id)).scalar()
            or ""
        )
    return user.email or ""


def _store(session: Session, user_id: int, kind: str, channel: str) -> None:
    pref = session.get(NotificationPreference, (user_id, kind))
    if pref is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, channel=channel))
    else:
        pref.channel = channel
        pref.updated_at = utcnow()
    session.flush()


@verb
def set_channel(session: Session, actor: Actor | None, kind: str, channel: str) -> str:
    """Choose the channel of one kind for the actor; returns the channel now in force.
    Refuses a kind the actor does not get, a security kind, and a channel the account cannot
    use (SMS without a verified phone, e-mail without an address)."""
    user = _own_user(session, actor)
    if not isinstance(kind, str) or kind not in kinds_for(user.role):
        raise ValidationError("error.invalid", field="kind")
    spec = KINDS[kind]
    if spec.locked:
        raise ValidationError("notify_centre.error.locked", field="kind")
    if not isinstance(channel, str) or channel not in spec.channels:
        raise ValidationError("error.invalid", field="channel")
    contact = contacts(session, [user.id], {user.id: _contract_email(session, user)})[user.id]
    if channel == "sms" and not contact.phone:
        raise ValidationError("notify_centre.error.sms_unverified", field="channel")
    if channel == "email" and not contact.email:
        raise ValidationError("notify_centre.error.no_email", field="channel")
    _store(session, user.id, kind, channel)
    return channel


@verb
def unsubscribe(session: Session, user_id: int, kind: str) -> bool:
    """Turn off the e-mail copy of `kind` for this user (the one-click link in an e-mail): the
    kind goes on in-app only. False for a kind that cannot be switched off (security notices,
    unknown kinds, kinds the user does not get) or an unknown user; True when it is off now."""
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not isinstance(kind, str) or kind not in kinds_for(user.role):
        return False
    spec = KINDS[kind]
    if spec.locked:
        return False
    pref = session.get(NotificationPreference, (user.id, kind))
    current = pref.channel if pref is not None else spec.default
    if current == "email":
        _store(session, user.id, kind, "off" if spec.opt_in else "app")
    return True


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    unread: bool


def list_notifications(session: Session, actor: Actor, limit: int = 30) -> list[NotificationRow]:
    rows = session.execute(
        select(Notification)
        .where(Notification.user_id == actor.user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).scalars()
    return [
        NotificationRow(n.id, n.kind, n.title, n.body, n.created_at, n.read_at is None)
        for n in rows
    ]


def unread_count(session: Session, actor: Actor) -> int:
    return session.execute(
        select(func.count()).where(
            Notification.user_id == actor.user_id, Notification.read_at.is_(None)
        )
    ).scalar_one()


def mark_all_read(session: Session, actor: Actor) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


# --------------------------------------------------------------------------- the centre
MARK_MAX = 100  # ids one call may mark (a page of the list)


def _signed_in(actor: Actor | None) -> Actor:
    if actor is None or actor.role not in (SUBSCRIBER, PARTNER, ADMIN):
        raise PermissionDenied()
    return actor


def _notification_columns(actor: Actor):
    return (
        select(
            Notification.id.label("id"),
            Notification.kind.label("kind"),
            Notification.title.label("title"),
            Notification.body.label("body"),
            Notification.created_at.label("created_at"),
            Notification.read_at.label("read_at"),
            Notification.sim_id.label("sim_id"),
            Sim.msisdn.label("msisdn"),
        )
        .outerjoin(Sim, Sim.id == Notification.sim_id)
        .where(Notification.user_id == actor.user_id)  # only ever the actor's own
    )


NOTIFICATION_LIST = ListSpec(
    name="notifications",
    permission="",
    columns=_notification_columns,
    sorts={"created": Notification.id},
    default_sort="created",
    key=Notification.id,
    filters=(
        FilterDef("kind", lambda s, v: s.where(Notification.kind == v), "choice", tuple(KINDS)),
        FilterDef("sim", lambda s, v: s.where(Notification.sim_id == v), "int"),
        FilterDef(
            "state",
            lambda s, v: s.where(
                Notification.read_at.is_(None)
                if v == "unread"
                else Notification.read_at.isnot(None)
            ),
            "choice",
            ("unread", "read"),
        ),
    ),
    # words of the title or the text, among the actor's own
    search=lambda stmt, text: stmt.where(
        contains(Notification.title, text) | contains(Notification.body, text)
    ),
    authorize=_signed_in,
    export=(
        ExportColumn("created_at", "notify_centre.col.when", "time"),
        ExportColumn("kind", "notify_centre.col.kind", "word", "notify_centre.kind."),
        ExportColumn("msisdn", "notify_centre.col.sim"),
        ExportColumn("title", "notify_centre.col.message"),
        ExportColumn("body", "notify_centre.col.message"),
    ),
    fields=(
        SearchField("created_at", Notification.created_at, "date", "notify_centre.col.when"),
        SearchField(
            "kind",
            Notification.kind,
            "choice",
            "notify_centre.col.kind",
            tuple(KINDS),
            "notify_centre.kind.",
        ),
        SearchField("msisdn", Sim.msisdn, "text", "notify_centre.col.sim"),
        SearchField("title", Notification.title, "text", "notify_centre.col.message"),
        SearchField("read_at", Notification.read_at, "date", "notify_centre.col.state"),
    ),
)


# An admin's notice of something waiting for staff, and when it no longer waits: kind -> (the
# key its dedup_key names, the condition under which that item still waits). Another admin
# decided the request, an operator answered the ticket, the dispute closed, the failed message
# went back to the queue: the notice counts as read, so the badge counts what still waits.
def _waiting_rules() -> dict[str, tuple]:
    from paysim_app.models import (  # only admins' notices need them
        ActivationRequest,
        OutboxEmail,
        TariffChangeRequest,
        Ticket,
        UnblockRequest,
    )
    from paysim_app.models.billing import PaymentDispute
    from paysim_app.models.orders import SimOrder
    from paysim_app.models.privacy import ClosureRequest

    return {
        "ticket_new": (Ticket.id, Ticket.status.in_(("new", "open"))),
        "activation_new": (ActivationRequest.id, ActivationRequest.status == "pending"),
        "unblock_new": (UnblockRequest.id, UnblockRequest.status == "pending"),
        "tariff_change_new": (TariffChangeRequest.id, TariffChangeRequest.status == "pending"),
        "dispute_opened": (PaymentDispute.ref, PaymentDispute.state == "open"),
        "message_failed": (OutboxEmail.id, OutboxEmail.status == "failed"),
        "order_new": (SimOrder.id, SimOrder.status == "new"),
        "closure_new": (ClosureRequest.id, ClosureRequest.status == "pending"),
    }


SETTLE_LOOK = 500  # an admin's newest unread notices of waiting items looked at per count


def _ref_of(kind: str, key: str) -> int | str | None:
    """The item a notice's dedup_key names: "activation_new:12" -> 12, "outbox_failed:7:1700"
    -> 7, "dispute_opened:dp_1" -> "dp_1"; None for a key of another shape."""
    if kind == "dispute_opened":
        ref = key.partition(":")[2]
        return ref or None
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@verb
def settle_handled(session: Session, actor: Actor | None) -> int:
    """Mark read the actor's unread notices of items that no longer wait for staff (admins
    only; one query for the notices, one per kind for the items). How many were marked."""
    actor = _signed_in(actor)
    if actor.role != ADMIN:
        return 0
    rules = _waiting_rules()
    rows = session.execute(
        select(Notification.id, Notification.kind, Notification.dedup_key)
        .where(
            Notification.user_id == actor.user_id,
            Notification.read_at.is_(None),
            Notification.kind.in_(tuple(rules)),
        )
        .order_by(Notification.id.desc())
        .limit(SETTLE_LOOK)
    ).all()
    refs: dict[str, dict[object, list[int]]] = {}
    for nid, kind, key in rows:
        ref = _ref_of(kind, key or "")
        if ref is not None:
            refs.setdefault(kind, {}).setdefault(ref, []).append(nid)
    done: list[int] = []
    for kind, items in refs.items():
        column, waits = rules[kind]
        still = set(session.execute(select(column).where(column.in_(list(items)), waits)).scalars())
        done += [nid for ref, ids in items.items() if ref not in still for nid in ids]
    if not done:
        return 0
    return session.execute(
        update(Notification)
        .where(Notification.id.in_(sorted(done)), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


@verb
def count_unread(session: Session, actor: Actor | None) -> int:
    """The header badge: the actor's unread notifications (ix_notification_user_read); for an
    admin, what still waits (notices of items already dealt with are settled first)."""
    actor = _signed_in(actor)
    settle_handled(session, actor)
    return unread_count(session, actor)


@verb
def mark_read(session: Session, actor: Actor | None, ids: object) -> int:
    """Mark these of the actor's notifications read; ids that are not the actor's (or not ids)
    change nothing. Returns how many were marked now."""
    actor = _signed_in(actor)
    if not isinstance(ids, list | tuple) or len(ids) > MARK_MAX:
        raise ValidationError("error.invalid", field="ids")
    wanted = set()
    for raw in ids:
        text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
        if not text.isdigit() or len(text) > 12:
            raise ValidationError("error.invalid", field="ids")
        wanted.add(int(text))
    if not wanted:
        return 0
    return session.execute(
        update(Notification)
        .where(
            Notification.user_id == actor.user_id,
            Notification.id.in_(sorted(wanted)),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    ).rowcount


@verb
def mark_everything_read(session: Session, actor: Actor | None) -> None:
    mark_all_read(session, _signed_in(actor))


@dataclass(frozen=True)
class SimChoice:
    id: int
    msisdn: str
    label: str


@verb
def notification_sims(session: Session, actor: Actor | None) -> list[SimChoice]:
    """The subscriber's own SIMs, for the filter by SIM (nothing for other roles)."""
    actor = _signed_in(actor)
    if actor.role != SUBSCRIBER or actor.subscriber_id is None:
        return []
    rows = session.execute(
        select(Sim.id, Sim.msisdn, Sim.label)
        .where(Sim.subscriber_id == actor.subscriber_id)
        .order_by(Sim.id)
        .limit(MARK_MAX)
    ).all()
    return [SimChoice(r[0], r[1], r[2] or "") for r in rows]
