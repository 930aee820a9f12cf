"""Admin: partners — create, edit, deactivate, delete only what has no history; partner users
invited with a set-password link, disabled and enabled; refusals change nothing; audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.core.errors import (
    AuthError,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from paysim_app.core.outbox import render_for_sending
from paysim_app.models import (
    AuditLog,
    AuthSession,
    Commission,
    Partner,
    PasswordResetToken,
    Payment,
    Subscriber,
    Ticket,
    User,
)
from paysim_app.partners import directory
from tests.money_helpers import emails

GOOD_INN = "7707083893"  # a real 10-digit company INN
GOOD_INN12 = "500100732259"  # a 12-digit individual's INN
LINK_RE = re.compile(r"/reset\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def admin(factory):
    return factory.superadmin()


def audits(session, action: str) -> list[AuditLog]:
    session.expire_all()
    return list(
        session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
    )


def new_partner(session, admin, **kw) -> directory.PartnerView:
    fields = {
        "code": "svyaz",
        "name": "ООО «Связь»",
        "inn": GOOD_INN,
        "contact_email": "Office@Svyaz.example.com",
        "contact_phone": "8 (495) 123-00-01",
        "address": "г. Дмитров",
        "commission_percent": "7,5",
    }
    fields.update(kw)
    view = directory.create_partner(session, admin, **fields)
    session.commit()
    return view


def test_create_partner_normalises_and_audits(session, admin):
    view = new_partner(session, admin)
    assert (view.code, view.inn, view.contact_email, view.contact_phone, view.commission_bp) == (
        "SVYAZ",
        GOOD_INN,
        "office@svyaz.example.com",
        "+74951230001",
        750,
    )
    assert (view.is_active, view.sims, view.active_subscribers, view.users) == (True, 0, 0, 0)
    [row] = audits(session, "partner.create")
    after = json.loads(row.after)
    assert (row.entity, row.entity_id, row.actor_user_id) == (
        "partner",
        str(view.id),
        admin.user_id,
    )
    assert after["commission_bp"] == 750 and after["inn"] == GOOD_INN
    assert directory.get_partner(session, admin, view.id) == view
    # a sole trader's 12-digit INN, no phone, whole-number percent
    other = new_partner(
        session, admin, code="ip-ivanov", inn=GOOD_INN12, contact_phone="", commission_percent=10
    )
    assert (other.inn, other.contact_phone, other.commission_bp) == (GOOD_INN12, "", 1000)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("code", "a", "admin_catalogue.error.code"),
        ("code", "код", "admin_catalogue.error.code"),
        ("name", " ", "error.required"),
        ("name", "x" * 201, "admin_catalogue.error.too_long"),
        ("inn", "", "error.required"),
        ("inn", "7707083894", "admin_catalogue.error.inn"),  # wrong check digit
        ("inn", "770708389", "admin_catalogue.error.inn"),  # 9 digits
        ("inn", "77070838931", "admin_catalogue.error.inn"),  # 11 digits
        ("inn", "500100732258", "admin_catalogue.error.inn"),
        ("inn", "77O7083893", "admin_catalogue.error.inn"),
        ("contact_email", "", "error.required"),
        ("contact_email", "office@", "admin_catalogue.error.email"),
        ("contact_email", "no at sign", "admin_catalogue.error.email"),
        ("contact_phone", "+1 202 555 0100", "admin_catalogue.error.phone"),
        ("contact_phone", "12345", "admin_catalogue.error.phone"),
        ("address", "x" * 301, "admin_catalogue.error.too_long"),
        ("commission_percent", "100.01", "admin_catalogue.error.commission"),
        ("commission_percent", "-1", "admin_catalogue.error.commission"),
        ("commission_percent", "5.555", "admin_catalogue.error.commission"),
        ("commission_percent", "пять", "admin_catalogue.error.commission"),
        ("commission_percent", "NaN", "admin_catalogue.error.commission"),
        ("commission_percent", None, "admin_catalogue.error.commission"),
    ],
)
def test_bad_partner_data_is_refused(session, admin, field, value, code):
    with pytest.raises(ValidationError) as err:
        new_partner(session, admin, **{field: value})
    assert (err.value.code, err.value.field) == (code, field)
    session.rollback()
    assert not session.exec(select(Partner)).all()
    assert not audits(session, "partner.create")


def test_commission_limits_and_taken_code(session, admin):
    assert new_partner(session, admin, code="zero", commission_percent="0").commission_bp == 0
    assert (
        new_partner(session, admin, code="all", commission_percent="100 %").commission_bp == 10000
    )
    with pytest.raises(ValidationError) as err:
        new_partner(session, admin, code="Zero")
    assert (err.value.code, err.value.field) == ("admin_catalogue.error.code_taken", "code")


def test_support_operator_and_others_are_refused(session, factory, admin):
    view = new_partner(session, admin)
    user = directory.invite_partner_user(session, admin, view.id, "seller@svyaz.example.com")
    session.commit()
    view = directory.get_partner(session, admin, view.id)
    support = factory.support()
    own = factory.partner()
    for actor in (support, own.actor, factory.subscriber(), None):
        for call in (
            lambda a: directory.get_partner(session, a, view.id),
            lambda a: new_partner(session, a, code="new"),
            lambda a: directory.update_partner(
                session,
                a,
                view.id,
                name="X",
                inn=GOOD_INN,
                contact_email="a@b.ru",
                commission_percent=1,
            ),
            lambda a: directory.deactivate_partner(session, a, view.id),
            lambda a: directory.activate_partner(session, a, view.id),
            lambda a: directory.delete_partner(session, a, view.id),
            lambda a: directory.partner_users(session, a, view.id),
            lambda a: directory.invite_partner_user(session, a, view.id, "x@svyaz.example.com"),
            lambda a: directory.resend_partner_invite(session, a, view.id, user.id),
            lambda a: directory.set_partner_user_active(session, a, view.id, user.id, False),
        ):
            with pytest.raises(PermissionDenied):
                call(actor)
    session.rollback()
    assert directory.get_partner(session, admin, view.id) == view
    assert session.get(User, user.id).is_active
    assert not session.exec(
        select(AuditLog).where(AuditLog.actor_user_id.in_([support.user_id, own.user.id]))
    ).all()


def test_edit_records_only_what_changed(session, admin):
    view = new_partner(session, admin)
    edited = directory.update_partner(
        session,
        admin,
        view.id,
        name="ООО «Связь»",
        inn=GOOD_INN,
        contact_email="office@svyaz.example.com",
        contact_phone="+7 495 123-00-02",
        address="г. Дмитров",
        commission_percent="10",
    )
    session.commit()
    assert (edited.contact_phone, edited.commission_bp, edited.code) == (
        "+74951230002",
        1000,
        "SVYAZ",
    )
    [row] = audits(session, "partner.update")
    assert json.loads(row.before) == {"contact_phone": "+74951230001", "commission_bp": 750}
    assert json.loads(row.after) == {"contact_phone": "+74951230002", "commission_bp": 1000}
    with pytest.raises(ValidationError) as err:
        directory.update_partner(
            session,
            admin,
            view.id,
            name="X",
            inn="123",
            contact_email="a@b.ru",
            commission_percent=1,
        )
    assert err.value.field == "inn"
    with pytest.raises(NotFound):
        directory.get_partner(session, admin, 999_999)


def test_deactivate_and_activate_are_marks(session, factory, admin):
    view = new_partner(session, admin)
    assert not directory.deactivate_partner(session, admin, view.id).is_active
    session.commit()
    [row] = audits(session, "partner.deactivate")
    assert (json.loads(row.before), json.loads(row.after)) == (
        {"is_active": True},
        {"is_active": False},
    )
    directory.deactivate_partner(session, admin, view.id)  # twice: nothing more
    assert len(audits(session, "partner.deactivate")) == 1
    # an inactive partner gets no new users
    with pytest.raises(DomainError) as err:
        directory.invite_partner_user(session, admin, view.id, "new@svyaz.example.com")
    assert err.value.code == "admin_catalogue.error.partner_inactive"
    assert directory.activate_partner(session, admin, view.id).is_active
    session.commit()
    assert len(audits(session, "partner.activate")) == 1


def test_invite_a_partner_user_who_sets_a_password_and_signs_in(session, admin):
    view = new_partner(session, admin)
    user = directory.invite_partner_user(
        session, admin, view.id, " Seller@Svyaz.example.com ", "Пётр Продавцов"
    )
    session.commit()
    assert (user.email, user.full_name, user.partner_id, user.is_active) == (
        "seller@svyaz.example.com",
        "Пётр Продавцов",
        view.id,
        True,
    )
    row = session.get(User, user.id)
    assert (row.role, row.partner_id) == ("partner", view.id)
    [mail] = emails(session, "seller@svyaz.example.com", "password_reset")
    token = LINK_RE.search(render_for_sending(mail)).group(1)
    [audit_row] = audits(session, "partner_user.invite")
    assert json.loads(audit_row.after) == {
        "partner_id": view.id,
        "email": "seller@svyaz.example.com",
        "full_name": "Пётр Продавцов",
    }
    assert token not in audit_row.after
    # no password works before the link is used
    with pytest.raises(AuthError):
        identity.sign_in(session, "seller@svyaz.example.com", "")
    identity.reset_password(session, token, "Новый-пароль-1")
    session.commit()
    _, actor = identity.sign_in(session, "seller@svyaz.example.com", "Новый-пароль-1")
    assert (actor.role, actor.partner_id) == ("partner", view.id)
    assert [u.email for u in directory.partner_users(session, admin, view.id)] == [user.email]
    assert directory.get_partner(session, admin, view.id).users == 1

    directory.resend_partner_invite(session, admin, view.id, user.id)
    session.commit()
    assert len(emails(session, "seller@svyaz.example.com", "password_reset")) == 2
    assert len(audits(session, "partner_user.resend_invite")) == 1


def test_bad_invitations_are_refused(session, factory, admin):
    view = new_partner(session, admin)
    taken = factory.subscriber("busy@example.ru")
    for email, code in (
        ("BUSY@example.ru", "auth.login_taken"),
        ("not-an-email", "admin_catalogue.error.email"),
        ("", "error.required"),
    ):
        with pytest.raises(ValidationError) as err:
            directory.invite_partner_user(session, admin, view.id, email)
        assert (err.value.code, err.value.field) == (code, "email")
    with pytest.raises(NotFound):
        directory.invite_partner_user(session, admin, 999_999, "x@example.ru")
    session.rollback()
    assert session.exec(select(User).where(User.role == "partner")).all() == []
    assert not emails(session, kind="password_reset")
    assert taken.login == "busy@example.ru"


def test_disable_and_enable_a_partner_user(session, factory, admin):
    bundle = factory.partner()
    identity.sign_in(session, bundle.login, bundle.password)
    session.commit()
    other = factory.partner()
    # the user must belong to the partner named
    with pytest.raises(NotFound):
        directory.set_partner_user_active(session, admin, other.partner.id, bundle.user.id, False)
    with pytest.raises(NotFound):
        directory.set_partner_user_active(session, admin, bundle.partner.id, admin.user_id, False)
    view = directory.set_partner_user_active(
        session, admin, bundle.partner.id, bundle.user.id, False
    )
    session.commit()
    assert not view.is_active
    sessions = session.exec(select(AuthSession).where(AuthSession.user_id == bundle.user.id)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    with pytest.raises(AuthError):
        identity.sign_in(session, bundle.login, bundle.password)
    with pytest.raises(DomainError) as err:
        directory.resend_partner_invite(session, admin, bundle.partner.id, bundle.user.id)
    assert err.value.code == "admin_catalogue.error.user_disabled"
    [row] = audits(session, "user.set_active")
    assert (row.entity_id, json.loads(row.after)) == (str(bundle.user.id), {"is_active": False})
    assert directory.set_partner_user_active(
        session, admin, bundle.partner.id, bundle.user.id, True
    ).is_active
    session.commit()
    assert len(audits(session, "user.set_active")) == 2
    identity.sign_in(session, bundle.login, bundle.password)


def test_delete_a_partner_without_history_with_its_invited_users(session, admin):
    view = new_partner(session, admin)
    user = directory.invite_partner_user(session, admin, view.id, "seller@svyaz.example.com")
    session.commit()
    directory.delete_partner(session, admin, view.id)
    session.commit()
    session.expire_all()
    assert session.get(Partner, view.id) is None and session.get(User, user.id) is None
    assert not session.exec(select(PasswordResetToken)).all()  # went with the user
    [row] = audits(session, "partner.delete")
    before = json.loads(row.before)
    assert (before["code"], before["users"], row.after) == (
        "SVYAZ",
        ["seller@svyaz.example.com"],
        "",
    )


def test_delete_is_refused_for_a_partner_with_anything(session, factory, admin):
    def refused(partner_id: int, code: str = "admin_catalogue.error.partner_in_use"):
        with pytest.raises(DomainError) as err:
            directory.delete_partner(session, admin, partner_id)
        assert err.value.code == code
        session.rollback()
        assert session.get(Partner, partner_id) is not None
        return err.value.params

    with_sim = factory.partner()
    factory.sim(partner=with_sim)
    assert refused(with_sim.partner.id)["sims"] == 1

    with_subscriber = factory.partner()
    sub = factory.subscriber()
    session.get(Subscriber, sub.subscriber_id).partner_id = with_subscriber.partner.id
    session.commit()
    assert refused(with_subscriber.partner.id)["subscribers"] == 1

    with_payment = factory.partner()
    sim = factory.sim(factory.subscriber())
    payment = Payment(
        sim_id=sim.id,
        partner_id=with_payment.partner.id,
        amount_kop=10000,
        method="partner",
        status="succeeded",
        idempotency_key="p-1",
    )
    session.add(payment)
    session.flush()
    session.add(
        Commission(
            partner_id=with_payment.partner.id, payment_id=payment.id, rate_bp=500, amount_kop=500
        )
    )
    session.commit()
    usage = refused(with_payment.partner.id)
    assert (usage["payments"], usage["commissions"]) == (1, 1)

    # nothing of its own, but its user opened a ticket: the history keeps the user
    with_ticket_user = factory.partner()
    session.add(Ticket(author_user_id=with_ticket_user.user.id, subject="Вопрос"))
    session.commit()
    refused(with_ticket_user.partner.id, "admin_catalogue.error.partner_users_history")
    assert session.get(User, with_ticket_user.user.id) is not None

    # an admin action of the user's (an audit row naming it as the actor) counts too
    audited = factory.partner()
    session.add(AuditLog(actor_user_id=audited.user.id, action="x", entity="y"))
    session.commit()
    refused(audited.partner.id, "admin_catalogue.error.partner_users_history")
    assert not audits(session, "partner.delete")


def test_partner_rows_select_counts_sims_and_active_subscribers(session, factory, admin):
    busy, idle = factory.partner(), factory.partner()
    for status in ("active", "inactive", "active"):
        sub = factory.subscriber()
        row = session.get(Subscriber, sub.subscriber_id)
        row.partner_id, row.status = busy.partner.id, status
        factory.sim(sub, partner=busy)
    factory.sim(partner=busy)
    factory.sim(partner=idle)
    rows = {r["id"]: r for r in session.execute(directory.partner_rows_select()).mappings()}
    assert (rows[busy.partner.id]["sims"], rows[busy.partner.id]["active_subscribers"]) == (4, 2)
    assert (rows[idle.partner.id]["sims"], rows[idle.partner.id]["active_subscribers"]) == (1, 0)
    assert {"code", "name", "inn", "commission_bp", "is_active", "created_at"} <= set(
        rows[idle.partner.id]
    )
    view = directory.get_partner(session, admin, busy.partner.id)
    assert (view.sims, view.active_subscribers, view.users) == (4, 2, 1)
