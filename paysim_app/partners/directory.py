"""Admin: partners (dealers) and their users.

Create, edit (the commission rate applies to payments from now on: each accrual keeps the rate
of its day), deactivate / activate (a mark: see the note below), delete (only a partner without
SIMs, subscribers, payments, commissions, requests or tickets, whose users never did anything),
and the partner's users: invite (an account with role partner and a set-password link by
e-mail, through the password-reset machinery), disable / enable, and, listed with whether their
two-factor sign-in is on, its reset (accounts.two_factor.reset_partner_user), and the daily
limit of its cash top-ups (set_cash_limit; billing.partner_topups enforces it). Every write is
audited.

Deactivating a partner does not, by itself, stop its users from signing in: accounts.identity
checks the user's own is_active only. Disable the users as well to shut them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, delete, func, select
from sqlmodel import Session, SQLModel
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as ru_inn

from paysim_app.accounts import identity
from paysim_app.core import audit
from paysim_app.core.checks import apply_changes, check_code, check_text, code_taken, set_flag
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.logins import normalise_email, normalise_phone
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.models import (
    ActivationRequest,
    Commission,
    Partner,
    Payment,
    Sim,
    Subscriber,
    Ticket,
    TwoFactor,
    User,
)


# --------------------------------------------------------------------------- checks
def check_inn(raw: object, field: str = "inn") -> str:
    """A Russian INN: 10 digits (organisation) or 12 (individual), check digits valid."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("error.required", field=field)
    try:
        return ru_inn.validate(raw.strip())
    except StdnumError:
        raise ValidationError("admin_catalogue.error.inn", field=field) from None


def check_email(raw: object, field: str = "contact_email") -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("error.required", field=field)
    email = normalise_email(raw)
    if email is None or len(email) > 254:
        raise ValidationError("admin_catalogue.error.email", field=field)
    return email


def check_phone(raw: object, field: str = "contact_phone") -> str:
    """'' when not given; else +7 and 10 digits."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    phone = normalise_phone(raw) if isinstance(raw, str) else None
    if phone is None:
        raise ValidationError("admin_catalogue.error.phone", field=field)
    return phone


def percent_to_bp(raw: object, field: str = "commission_percent") -> int:
    """'5', '7,5', '12.25', 5, Decimal('5.5') -> basis points 500, 750, 1225, 500, 550.
    0..100 %, at most two decimals."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError("admin_catalogue.error.commission", field=field)
    text = raw if isinstance(raw, str) else str(raw)
    text = text.strip().replace(",", ".").removesuffix("%").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError("admin_catalogue.error.commission", field=field) from None
    bp = value * 100
    if not value.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise ValidationError("admin_catalogue.error.commission", field=field)
    return int(bp)


# --------------------------------------------------------------------------- views
@dataclass(frozen=True)
class PartnerView:
    id: int
    code: str
    name: str
    inn: str
    contact_email: str
    contact_phone: str
    address: str
    commission_bp: int  # 1000 = 10.00 %
    is_active: bool
    sims: int
    active_subscribers: int
    users: int
    created_at: datetime
    cash_daily_limit_kop: int | None = None  # None: no limit


@dataclass(frozen=True)
class PartnerUserView:
    id: int
    partner_id: int
    email: str
    full_name: str
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    two_factor: bool = False  # their authenticator is on (an enrolment begun is not)


def _sims_of_partner():
    return (
        select(func.count(Sim.id))
        .where(Sim.partner_id == Partner.id)
        .correlate(Partner)
        .scalar_subquery()
    )


def _active_subscribers_of_partner():
    return (
        select(func.count(Subscriber.id))
        .where(Subscriber.partner_id == Partner.id, Subscriber.status == "active")
        .correlate(Partner)
        .scalar_subquery()
    )


def partner_rows_select(actor: Actor | None = None) -> Select:
    """Every partner with its SIMs and active subscribers; unfiltered, unsorted."""
    return select(
        Partner.id.label("id"),
        Partner.code.label("code"),
        Partner.name.label("name"),
        Partner.inn.label("inn"),
        Partner.contact_email.label("contact_email"),
        Partner.contact_phone.label("contact_phone"),
        Partner.commission_bp.label("commission_bp"),
        Partner.is_active.label("is_active"),
        Partner.created_at.label("created_at"),
        _sims_of_partner().label("sims"),
        _active_subscribers_of_partner().label("active_subscribers"),
    )


def _load(session: Session, partner_id: object) -> Partner:
    partner = session.get(Partner, partner_id) if isinstance(partner_id, int) else None
    if partner is None:
        raise NotFound()
    return partner


def _view(session: Session, partner: Partner) -> PartnerView:
    sims, subscribers = session.execute(
        select(_sims_of_partner(), _active_subscribers_of_partner()).where(Partner.id == partner.id)
    ).one()
    users = session.execute(
        select(func.count(User.id)).where(User.partner_id == partner.id)
    ).scalar_one()
    return PartnerView(
        id=partner.id,
        code=partner.code,
        name=partner.name,
        inn=partner.inn,
        contact_email=partner.contact_email,
        contact_phone=partner.contact_phone,
        address=partner.address,
        commission_bp=partner.commission_bp,
        is_active=partner.is_active,
        sims=sims,
        active_subscribers=subscribers,
        users=users,
        created_at=partner.created_at,
        cash_daily_limit_kop=partner.cash_daily_limit_kop,
    )


def _user_view(user: User, two_factor: bool = False) -> PartnerUserView:
    return PartnerUserView(
        id=user.id,
        partner_id=user.partner_id,
        email=user.email or "",
        full_name=user.full_name,
        is_active=user.is_active,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        two_factor=bool(two_factor),
    )


def _users_with_two_factor(where) -> Select:
    """The users matching `where`, each with whether their two-factor sign-in is on: one
    outer join, not a query per user."""
    on = (TwoFactor.user_id == User.id) & TwoFactor.enabled_at.is_not(None)
    return (
        select(User, TwoFactor.user_id.is_not(None))
        .outerjoin(TwoFactor, on)
        .where(where)
        .order_by(User.id)
    )


def _fields(name, inn, contact_email, contact_phone, address, commission_percent) -> dict:
    return {
        "name": check_text(name, "name", 200, required=True),
        "inn": check_inn(inn),
        "contact_email": check_email(contact_email),
        "contact_phone": check_phone(contact_phone),
        "address": check_text(address, "address", 300),
        "commission_bp": percent_to_bp(commission_percent),
    }


# --------------------------------------------------------------------------- partners
@verb
def get_partner(session: Session, actor: Actor, partner_id: int) -> PartnerView:
    require(actor, "partners.view")
    return _view(session, _load(session, partner_id))


@verb
def create_partner(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    inn: str,
    contact_email: str,
    commission_percent: str | int | Decimal,
    contact_phone: str = "",
    address: str = "",
) -> PartnerView:
    require(actor, "partners.edit")
    code = check_code(code)
    fields = _fields(name, inn, contact_email, contact_phone, address, commission_percent)
    if code_taken(session, Partner, code):
        raise ValidationError("admin_catalogue.error.code_taken", field="code")
    partner = Partner(code=code, **fields)
    session.add(partner)
    session.flush()
    audit.record(
        session, actor, "partner.create", "partner", partner.id, None, {"code": code, **fields}
    )
    return _view(session, partner)


@verb
def update_partner(
    session: Session,
    actor: Actor,
    partner_id: int,
    *,
    name: str,
    inn: str,
    contact_email: str,
    commission_percent: str | int | Decimal,
    contact_phone: str = "",
    address: str = "",
) -> PartnerView:
    """Everything but the code (CSV files refer to it). A new commission rate applies to the
    payments from now on; past accruals keep their rate."""
    require(actor, "partners.edit")
    partner = _load(session, partner_id)
    wanted = _fields(name, inn, contact_email, contact_phone, address, commission_percent)
    apply_changes(session, actor, partner, wanted, "partner.update", "partner")
    return _view(session, partner)


# the highest daily limit an admin may set: 100 000 000 ₽ (an int column holds it)
CASH_LIMIT_MAX_KOP = 10_000_000_000


@verb
def set_cash_limit(
    session: Session, actor: Actor, partner_id: int, limit_kop: int | None
) -> PartnerView:
    """What the partner's cash top-ups may add up to in one Moscow day, in kopecks; None
    lifts the limit. A limit below what was already taken today refuses the next top-up only."""
    require(actor, "partners.edit")
    if limit_kop is not None and (
        isinstance(limit_kop, bool)
        or not isinstance(limit_kop, int)
        or not 0 <= limit_kop <= CASH_LIMIT_MAX_KOP
    ):
        raise ValidationError(
            "admin_partners.error.cash_limit", field="cash_limit", max=CASH_LIMIT_MAX_KOP // 100
        )
    partner = _load(session, partner_id)
    before = partner.cash_daily_limit_kop
    if before != limit_kop:
        partner.cash_daily_limit_kop = limit_kop
        session.add(partner)
        audit.record(
            session,
            actor,
            "partner.cash_limit",
            "partner",
            partner.id,
            {"cash_daily_limit_kop": before},
            {"cash_daily_limit_kop": limit_kop},
        )
        session.flush()
    return _view(session, partner)


@verb
def set_partner_active(
    session: Session, actor: Actor, partner_id: int, active: bool
) -> PartnerView:
    """Mark the partner active or inactive (its users are not disabled by this: see above)."""
    require(actor, "partners.edit")
    partner = _load(session, partner_id)
    actions = ("partner.activate", "partner.deactivate")
    set_flag(session, actor, partner, "is_active", active, actions, "partner")
    return _view(session, partner)


@verb
def deactivate_partner(session: Session, actor: Actor, partner_id: int) -> PartnerView:
    return set_partner_active(session, actor, partner_id, False)


@verb
def activate_partner(session: Session, actor: Actor, partner_id: int) -> PartnerView:
    return set_partner_active(session, actor, partner_id, True)


def _usage(session: Session, partner_id: int) -> dict[str, int]:
    def n(model, column) -> int:
        return session.execute(
            select(func.count()).select_from(model).where(column == partner_id)
        ).scalar_one()

    return {
        "sims": n(Sim, Sim.partner_id),
        "subscribers": n(Subscriber, Subscriber.partner_id),
        "payments": n(Payment, Payment.partner_id),
        "commissions": n(Commission, Commission.partner_id),
        "activation_requests": n(ActivationRequest, ActivationRequest.partner_id),
        "tickets": n(Ticket, Ticket.partner_id),
    }


def _users_have_history(session: Session, user_ids: list[int]) -> bool:
    """Does any row that is not deleted with a user (every foreign key to user_account without
    ON DELETE CASCADE: payments, requests, tickets, audit entries...) name one of them? A key
    with ON DELETE SET NULL (an outbox row's addressee) only forgets the user, so it does not
    count."""
    users = User.__table__
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is users.c.id and (fk.ondelete or "").upper() not in (
                "CASCADE",
                "SET NULL",
            ):
                hit = session.execute(
                    select(fk.parent).where(fk.parent.in_(user_ids)).limit(1)
                ).first()
                if hit is not None:
                    return True
    return False


@verb
def delete_partner(session: Session, actor: Actor, partner_id: int) -> None:
    """Only a partner that has nothing: no SIMs, subscribers, payments, commissions, activation
    requests or tickets. Its users go with it, unless one of them did something that the
    history keeps (then the answer is the same: deactivate instead)."""
    require(actor, "partners.edit")
    partner = _load(session, partner_id)
    usage = _usage(session, partner.id)
    if any(usage.values()):
        raise DomainError("admin_catalogue.error.partner_in_use", **usage)
    users = list(
        session.execute(
            select(User.id, User.email).where(User.partner_id == partner.id).order_by(User.id)
        ).all()
    )
    before = {
        "code": partner.code,
        "name": partner.name,
        "inn": partner.inn,
        "users": [email for _, email in users],
    }
    if users and _users_have_history(session, [uid for uid, _ in users]):
        raise DomainError("admin_catalogue.error.partner_users_history")
    # their sessions, reset links and notifications go with them (ON DELETE CASCADE)
    session.execute(delete(User).where(User.partner_id == partner.id))
    session.execute(delete(Partner).where(Partner.id == partner.id))
    for obj in list(session.identity_map.values()):
        if obj is partner or (isinstance(obj, User) and obj.partner_id == partner_id):
            session.expunge(obj)
    audit.record(session, actor, "partner.delete", "partner", partner_id, before, None)


# --------------------------------------------------------------------------- partner users
@verb
def partner_users(session: Session, actor: Actor, partner_id: int) -> list[PartnerUserView]:
    require(actor, "partners.view")
    partner = _load(session, partner_id)
    rows = session.execute(_users_with_two_factor(User.partner_id == partner.id)).all()
    return [_user_view(user, on) for user, on in rows]


@verb
def invite_partner_user(
    session: Session,
    actor: Actor,
    partner_id: int,
    email: str,
    full_name: str = "",
    base_url: str | None = None,
) -> PartnerUserView:
    """A new account with role partner for this partner, signing in by e-mail; it gets a link to
    set its password (the password-reset link, through the outbox). Until then no password
    works: the stored hash is of a random secret nobody knows."""
    require(actor, "partners.edit")
    partner = _load(session, partner_id)
    if not partner.is_active:
        raise DomainError("admin_catalogue.error.partner_inactive")
    login = check_email(email, field="email")
    full_name = check_text(full_name, "full_name", 200)
    taken = session.execute(select(User.id).where(func.lower(User.email) == login)).first()
    if taken is not None:
        raise ValidationError("auth.login_taken", field="email")
    user = identity.add_user_without_password(
        session, "partner", full_name, email=login, partner_id=partner.id
    )
    identity.send_reset_link(session, user, base_url)
    audit.record(
        session,
        actor,
        "partner_user.invite",
        "user",
        user.id,
        None,
        {"partner_id": partner.id, "email": login, "full_name": full_name},
    )
    return _user_view(user)


def _partner_user(session: Session, partner_id: object, user_id: object) -> User:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.role != "partner" or user.partner_id != partner_id:
        raise NotFound()
    return user


@verb
def resend_partner_invite(
    session: Session, actor: Actor, partner_id: int, user_id: int, base_url: str | None = None
) -> None:
    """A fresh set-password link for one of the partner's users (the old ones still expire)."""
    require(actor, "partners.edit")
    user = _partner_user(session, partner_id, user_id)
    if not user.is_active:
        raise DomainError("admin_catalogue.error.user_disabled")
    identity.send_reset_link(session, user, base_url)
    audit.record(session, actor, "partner_user.resend_invite", "user", user.id, None, None)


@verb
def set_partner_user_active(
    session: Session, actor: Actor, partner_id: int, user_id: int, active: bool
) -> PartnerUserView:
    """Disable (every session of the user ends at once) or enable one of the partner's users."""
    require(actor, "partners.edit")
    user = _partner_user(session, partner_id, user_id)
    if user.is_active != bool(active):
        identity.set_user_active(session, actor, user.id, bool(active))  # audits user.set_active
        session.flush()
    _, on = session.execute(_users_with_two_factor(User.id == user.id)).one()
    return _user_view(user, on)
