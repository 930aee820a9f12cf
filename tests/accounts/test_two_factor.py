"""Two-factor sign-in (accounts.two_factor): enrolment, the second step of a sign-in, recovery
codes, the role's requirement and the superadmin's reset, a partner's user's reset from the
partner's card, and the new-browser notice."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from paysim_app.accounts import admins, identity, two_factor
from paysim_app.core.errors import AuthError, PermissionDenied, ValidationError
from paysim_app.core.permissions import ROLE_SUPERADMIN, ROLE_SUPPORT, Actor
from paysim_app.db import session_scope
from paysim_app.models import (
    AdminRole,
    AuditLog,
    AuthSession,
    KnownBrowser,
    Notification,
    RecoveryCode,
    SignInChallenge,
    TwoFactor,
    User,
)
from paysim_app.partners import directory
from tests.conftest import PASSWORD

START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
DEVICE = "d" * 43
OTHER_DEVICE = "e" * 43


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def sessions_of(session, user_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    ).scalar_one()


def enrol(session, actor) -> tuple[str, tuple[str, ...]]:
    """Enrol `actor`'s authenticator at the current time; (secret, recovery codes)."""
    shown = two_factor.start_enrolment(session, actor)
    secret = shown.secret.replace(" ", "")
    codes = two_factor.confirm_enrolment(session, actor, code_at(secret, datetime.now(UTC)))
    session.commit()
    return secret, codes


def begin(session, login: str, device: str = DEVICE, password: str = PASSWORD):
    step = two_factor.begin_sign_in(session, login, password, "pytest-agent", device_id=device)
    session.commit()
    return step


def finish(session, challenge: str, code: str, device: str = DEVICE):
    done = two_factor.finish_sign_in(session, challenge, device, code, "pytest-agent")
    session.commit()
    return done


def wrong(session, challenge: str, code: str, device: str = DEVICE) -> str:
    with pytest.raises(AuthError) as err:
        two_factor.finish_sign_in(session, challenge, device, code)
    session.rollback()
    return err.value.code


@pytest.fixture
def admin(factory, session):
    user = factory.admin_user(ROLE_SUPPORT)
    session.commit()
    return user


# -- enrolment --------------------------------------------------------------------------------
def test_enrolment_needs_a_right_code_and_gives_ten_recovery_codes(session, factory, admin, clock):
    actor = identity.actor_for(session, admin)
    shown = two_factor.start_enrolment(session, actor)
    secret = shown.secret.replace(" ", "")
    assert shown.uri.startswith("otpauth://totp/PaySim:") and "issuer=PaySim" in shown.uri
    assert admin.email.replace("@", "%40") in shown.uri
    assert shown.qr.startswith("data:image/svg+xml")
    stored = session.get(TwoFactor, admin.id)
    assert secret not in stored.secret_sealed and stored.enabled_at is None  # sealed, pending
    session.commit()

    with pytest.raises(ValidationError) as err:
        two_factor.confirm_enrolment(
            session, actor, "000000" if code_at(secret, START) != "000000" else "111111"
        )
    assert err.value.code == "two_factor.code_wrong"
    session.rollback()
    assert not two_factor.status(session, actor).enabled

    codes = two_factor.confirm_enrolment(session, actor, code_at(secret, START))
    session.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    stored_hashes = session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert not set(c.replace("-", "") for c in codes) & set(stored_hashes)  # digests only
    got = two_factor.status(session, actor)
    assert got.enabled and got.recovery_left == 10 and not got.required
    with pytest.raises(ValidationError):  # a second enrolment over a live one
        two_factor.start_enrolment(session, actor)


def test_subscribers_do_not_enrol(session, factory):
    with pytest.raises(PermissionDenied):
        two_factor.start_enrolment(session, factory.subscriber())


def test_regenerated_recovery_codes_replace_the_old_ones(session, admin, clock):
    actor = identity.actor_for(session, admin)
    secret, old = enrol(session, actor)
    clock.shift(30)
    new = two_factor.regenerate_recovery_codes(
        session, actor, code_at(secret, START + timedelta(seconds=30))
    )
    session.commit()
    assert set(new).isdisjoint(old)
    step = begin(session, admin.email)
    assert wrong(session, step.challenge, old[0]) == "two_factor.code_wrong"
    assert finish(session, step.challenge, new[0]).recovery_left == 9


# -- sign-in ----------------------------------------------------------------------------------
def test_the_password_alone_opens_no_session(session, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    before = sessions_of(session, admin.id)
    with pytest.raises(AuthError) as err:  # the old one-step sign-in refuses
        identity.sign_in(session, admin.email, PASSWORD)
    assert err.value.code == "two_factor.needed"
    step = begin(session, admin.email)
    assert step.kind == "code" and step.challenge and step.token == "" and step.actor is None
    assert sessions_of(session, admin.id) == before
    row = session.execute(select(SignInChallenge)).scalar_one()
    assert row.token_hash != step.challenge and row.expires_at == START + timedelta(minutes=5)

    clock.shift(30)  # the next step's code
    done = finish(session, step.challenge, code_at(secret, START + timedelta(seconds=30)))
    assert done.actor.user_id == admin.id and identity.resolve_session(session, done.token)
    assert sessions_of(session, admin.id) == before + 1
    # the challenge is spent
    assert wrong(session, step.challenge, code_at(secret, START + timedelta(seconds=60))) == (
        "two_factor.challenge_invalid"
    )


def test_a_code_is_never_accepted_twice_and_the_window_is_one_step(session, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))  # used START's code
    step = begin(session, admin.email)
    assert wrong(session, step.challenge, code_at(secret, START)) == "two_factor.code_wrong"
    clock.shift(60)
    now = START + timedelta(seconds=60)
    too_old = code_at(secret, now - timedelta(seconds=60))
    too_new = code_at(secret, now + timedelta(seconds=60))
    for code in {too_old, too_new} - {code_at(secret, now)}:
        assert wrong(session, step.challenge, code) == "two_factor.code_wrong"
    late = code_at(secret, now - timedelta(seconds=30))  # one step back: still fine
    finish(session, step.challenge, late)
    again = begin(session, admin.email)
    # the spent challenge is gone: the table keeps only live ones
    assert session.execute(select(func.count()).select_from(SignInChallenge)).scalar_one() == 1
    assert wrong(session, again.challenge, late) == "two_factor.code_wrong"  # reused
    assert finish(session, again.challenge, code_at(secret, now)).actor.user_id == admin.id


def test_a_recovery_code_works_once(session, admin, clock):
    _, codes = enrol(session, identity.actor_for(session, admin))
    step = begin(session, admin.email)
    done = finish(session, step.challenge, codes[3].upper().replace("-", " "))
    assert done.recovery_left == 9
    step = begin(session, admin.email)
    assert wrong(session, step.challenge, codes[3]) == "two_factor.code_wrong"


def test_the_challenge_expires(session, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    step = begin(session, admin.email)
    clock.shift(timedelta(minutes=5, seconds=1))
    now = START + timedelta(minutes=5, seconds=1)
    assert wrong(session, step.challenge, code_at(secret, now)) == "two_factor.challenge_invalid"


def test_wrong_codes_void_the_challenge_and_lock_the_login(session, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    step = begin(session, admin.email)
    right = code_at(secret, START + timedelta(seconds=30))
    bad = "123456" if right != "123456" else "654321"
    for _ in range(two_factor.MAX_ATTEMPTS):
        assert wrong(session, step.challenge, bad) == "two_factor.code_wrong"
    clock.shift(30)
    # the challenge is void, and the five wrong codes locked the login like wrong passwords
    assert wrong(session, step.challenge, right) == "two_factor.challenge_invalid"
    with pytest.raises(AuthError) as err:
        two_factor.begin_sign_in(session, admin.email, PASSWORD, device_id=DEVICE)
    assert err.value.code == "auth.locked"


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(session, admin, clock):
    enrol(session, identity.actor_for(session, admin))
    for _ in range(identity.MAX_FAILURES - 1):
        step = begin(session, admin.email)
        assert wrong(session, step.challenge, "000001") == "two_factor.code_wrong"
    step = begin(session, admin.email)
    assert wrong(session, step.challenge, "000001") == "two_factor.code_wrong"
    with pytest.raises(AuthError) as err:
        begin(session, admin.email)
    assert err.value.code == "auth.locked"


@pytest.mark.parametrize(
    "challenge, device, code",
    [
        ("", DEVICE, "123456"),
        (None, DEVICE, "123456"),
        (12345, DEVICE, "123456"),
        ("x" * 100_000, DEVICE, "123456"),
        ("OWN", OTHER_DEVICE, "RIGHT"),  # this user's challenge from another browser
        ("OWN", "", "RIGHT"),
        ("OWN", DEVICE, "9" * 100_000),
        ("OWN", DEVICE, ["1", "2"]),
    ],
)
def test_hostile_second_steps_are_refused(session, admin, clock, challenge, device, code):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    step = begin(session, admin.email)
    challenge = step.challenge if challenge == "OWN" else challenge
    code = code_at(secret, START + timedelta(seconds=30)) if code == "RIGHT" else code
    clock.shift(30)
    with pytest.raises(AuthError):
        two_factor.finish_sign_in(session, challenge, device, code)
    session.rollback()
    assert sessions_of(session, admin.id) == 0


def test_another_users_challenge_does_not_sign_in_as_them(session, factory, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    other = factory.admin_user(ROLE_SUPPORT)
    session.commit()
    other_secret, _ = enrol(session, identity.actor_for(session, other))
    mine = begin(session, admin.email)
    theirs = begin(session, other.email, device=OTHER_DEVICE)
    clock.shift(30)
    now = START + timedelta(seconds=30)
    # my browser with their challenge: refused, though the code is theirs and right
    assert wrong(session, theirs.challenge, code_at(other_secret, now)) == (
        "two_factor.challenge_invalid"
    )
    # my challenge with their code: a wrong code
    assert (
        wrong(
            session,
            mine.challenge,
            code_at(other_secret, now)
            if code_at(other_secret, now) != code_at(secret, now)
            else "000000",
        )
        == "two_factor.code_wrong"
    )
    assert finish(session, mine.challenge, code_at(secret, now)).actor.user_id == admin.id


# -- the role's requirement and the superadmin ------------------------------------------------
def test_a_role_that_requires_it_signs_in_only_to_the_enrolment(session, factory, admin, clock):
    boss = factory.superadmin()
    role_id = admin.admin_role_id
    identity.sign_in(session, admin.email, PASSWORD)  # a session from before
    session.commit()
    assert sessions_of(session, admin.id) == 1
    two_factor.set_role_two_factor(session, boss, role_id, True)
    session.commit()
    assert sessions_of(session, admin.id) == 0  # ended: they enrol at the next sign-in
    log = session.execute(select(AuditLog).where(AuditLog.action == "role.two_factor")).scalar_one()
    assert json.loads(log.before) == {"two_factor_required": False}
    assert json.loads(log.after) == {"two_factor_required": True}

    with pytest.raises(AuthError):
        identity.sign_in(session, admin.email, PASSWORD)
    step = begin(session, admin.email)
    assert step.kind == "enrol" and sessions_of(session, admin.id) == 0
    row = session.execute(select(SignInChallenge)).scalar_one()
    assert row.expires_at == START + timedelta(minutes=two_factor.ENROL_MINUTES)
    with pytest.raises(AuthError):  # the enrolment is this browser's only
        two_factor.challenge_enrolment(session, step.challenge, OTHER_DEVICE)
    shown = two_factor.challenge_enrolment(session, step.challenge, DEVICE)
    session.commit()
    secret = shown.secret.replace(" ", "")
    assert wrong(session, step.challenge, "12345") == "two_factor.code_wrong"
    done = finish(session, step.challenge, code_at(secret, START))
    assert len(done.recovery_codes) == 10 and done.actor.user_id == admin.id
    assert two_factor.status(session, done.actor).required
    with pytest.raises(ValidationError) as err:  # required: not to be turned off
        two_factor.disable_two_factor(session, done.actor, code_at(secret, START))
    assert err.value.code == "two_factor.required_by_role"
    session.rollback()
    assert begin(session, admin.email).kind == "code"


def test_an_admin_moved_to_a_role_that_requires_it_is_signed_out(session, factory, admin, clock):
    boss = factory.superadmin()
    two_factor.set_role_two_factor(session, boss, admin.admin_role_id, True)
    moved, enrolled = factory.admin_user(), factory.admin_user()
    session.commit()
    identity.sign_in(session, moved.email, PASSWORD)
    session.commit()
    secret, _ = enrol(session, identity.actor_for(session, enrolled))
    step = begin(session, enrolled.email)
    clock.shift(30)
    finish(session, step.challenge, code_at(secret, START + timedelta(seconds=30)))

    admins.assign_role(session, boss, moved.id, admin.admin_role_id)
    admins.assign_role(session, boss, enrolled.id, admin.admin_role_id)
    session.commit()
    assert sessions_of(session, moved.id) == 0  # signs in again, to the enrolment
    assert sessions_of(session, enrolled.id) == 1  # has an authenticator: stays
    assert begin(session, moved.email).kind == "enrol"


def test_a_superadmin_must_enrol_before_requiring_it_of_their_own_role(session, factory, clock):
    boss = factory.superadmin()
    own_role = session.execute(
        select(AdminRole.id).where(AdminRole.name == ROLE_SUPERADMIN)
    ).scalar_one()
    with pytest.raises(ValidationError) as err:
        two_factor.set_role_two_factor(session, boss, own_role, True)
    assert err.value.code == "two_factor.enrol_yourself_first"
    session.rollback()
    enrol(session, boss)
    two_factor.set_role_two_factor(session, boss, own_role, True)
    session.commit()
    assert two_factor.role_requires(session, boss, own_role)


def test_reset_by_a_superadmin_is_audited_and_ends_the_sessions(session, factory, admin, clock):
    boss = factory.superadmin()
    actor = identity.actor_for(session, admin)
    secret, _ = enrol(session, actor)
    step = begin(session, admin.email)
    clock.shift(30)
    finish(session, step.challenge, code_at(secret, START + timedelta(seconds=30)))
    assert two_factor.admin_has_two_factor(session, boss, admin.id)

    two_factor.reset_two_factor(session, boss, admin.id)
    session.commit()
    assert session.get(TwoFactor, admin.id) is None
    assert sessions_of(session, admin.id) == 0
    assert not two_factor.admin_has_two_factor(session, boss, admin.id)
    log = session.execute(
        select(AuditLog).where(AuditLog.action == "two_factor.reset")
    ).scalar_one()
    assert json.loads(log.before) == {"enabled": True, "recovery_left": 10}
    assert json.loads(log.after) == {"enabled": False, "recovery_left": 0}
    assert log.entity_id == str(admin.id) and log.actor_user_id == boss.user_id
    # the role does not require it: the password alone signs in again
    assert begin(session, admin.email).token


def test_only_a_superadmin_resets_or_sets_the_requirement(session, factory, admin, clock):
    support = factory.support()
    enrol(session, identity.actor_for(session, admin))
    with pytest.raises(PermissionDenied):
        two_factor.reset_two_factor(session, support, admin.id)
    with pytest.raises(PermissionDenied):
        two_factor.set_role_two_factor(session, support, admin.admin_role_id, True)
    with pytest.raises(PermissionDenied):  # not even on oneself
        two_factor.reset_two_factor(session, identity.actor_for(session, admin), admin.id)
    session.rollback()
    assert session.get(TwoFactor, admin.id).enabled_at is not None
    assert not session.get(AdminRole, admin.admin_role_id).two_factor_required
    boss = factory.superadmin()
    for bad in ("1", None, 10**12):
        with pytest.raises((PermissionDenied, ValidationError)):
            two_factor.reset_two_factor(session, boss, bad)
    with pytest.raises(ValidationError):
        two_factor.set_role_two_factor(session, boss, admin.admin_role_id, "yes")


# -- a partner's user, reset from the partner's card ----------------------------------------------
def partner_desk(session, factory, permissions=("partners.view", "partners.edit")) -> Actor:
    """An admin whose role grants `permissions` (by default the partners' pages, view and edit)
    and nothing of the admins' section."""
    boss = factory.superadmin()
    desk = factory.admin_user(ROLE_SUPPORT)
    role_id = admins.create_role(session, boss, f"Desk {desk.id}", permissions=permissions)
    admins.assign_role(session, boss, desk.id, role_id)
    session.commit()
    return identity.actor_for(session, desk)


def signed_in_with_code(session, login: str, secret: str, clock) -> None:
    step = begin(session, login)
    clock.shift(30)
    finish(session, step.challenge, code_at(secret, datetime.now(UTC)))


def resets(session) -> list[AuditLog]:
    return list(
        session.execute(select(AuditLog).where(AuditLog.action == "two_factor.reset")).scalars()
    )


def test_a_partner_desk_resets_a_partner_users_two_factor(session, factory, clock):
    dealer = factory.partner()
    desk = partner_desk(session, factory)
    pid = dealer.partner.id
    secret, _ = enrol(session, dealer.actor)
    signed_in_with_code(session, dealer.login, secret, clock)
    assert sessions_of(session, dealer.user.id) == 1
    second = directory.invite_partner_user(session, desk, pid, "second@example.ru")
    # an enrolment begun and not confirmed is not "on"
    two_factor.start_enrolment(session, identity.actor_for(session, session.get(User, second.id)))
    session.commit()
    listed = {u.email: u.two_factor for u in directory.partner_users(session, desk, pid)}
    assert listed == {dealer.login: True, "second@example.ru": False}

    two_factor.reset_partner_user(session, desk, pid, dealer.user.id)
    session.commit()
    assert session.get(TwoFactor, dealer.user.id) is None
    assert not session.execute(
        select(RecoveryCode).where(RecoveryCode.user_id == dealer.user.id)
    ).first()
    assert sessions_of(session, dealer.user.id) == 0
    (log,) = resets(session)
    assert json.loads(log.before) == {"enabled": True, "recovery_left": 10}
    assert json.loads(log.after) == {"enabled": False, "recovery_left": 0}
    assert log.entity == "user" and log.entity_id == str(dealer.user.id)
    assert log.actor_user_id == desk.user_id
    assert not any(u.two_factor for u in directory.partner_users(session, desk, pid))
    # the password alone signs in again; the user may enrol anew from the profile
    assert begin(session, dealer.login).token


def test_the_user_list_brings_the_two_factor_state_in_one_query(session, engine, factory, clock):
    from sqlalchemy import event

    dealer = factory.partner()
    desk = partner_desk(session, factory)
    for n in range(3):
        directory.invite_partner_user(session, desk, dealer.partner.id, f"seller{n}@example.ru")
    session.commit()
    enrol(session, dealer.actor)
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        users = directory.partner_users(session, desk, dealer.partner.id)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [u.two_factor for u in users] == [True, False, False, False]
    # the partner (unless the session holds it already) and its users with their state
    assert len(statements) <= 2 and sum("two_factor" in s for s in statements) == 1


def test_the_partner_reset_is_refused_without_the_right_or_for_anyone_else(
    session, factory, admin, clock
):
    dealer, other = factory.partner(), factory.partner()
    desk = partner_desk(session, factory)
    viewer = partner_desk(session, factory, permissions=("partners.view",))
    support, boss, subscriber = factory.support(), factory.superadmin(), factory.subscriber()
    secret, _ = enrol(session, dealer.actor)
    enrol(session, other.actor)
    enrol(session, identity.actor_for(session, admin))
    signed_in_with_code(session, dealer.login, secret, clock)
    pid = dealer.partner.id
    for actor in (viewer, support, dealer.actor, subscriber, None):
        with pytest.raises(PermissionDenied):
            two_factor.reset_partner_user(session, actor, pid, dealer.user.id)
    # the right, but not one of this partner's users (both ids come from the browser)
    for partner_id, user_id in (
        (pid, admin.id),
        (pid, subscriber.user_id),
        (pid, other.user.id),
        (other.partner.id, dealer.user.id),
        (pid, str(dealer.user.id)),
        (str(pid), dealer.user.id),
        (None, dealer.user.id),
        (True, dealer.user.id),
        (-1, dealer.user.id),
        (pid, None),
        (pid, True),
        (pid, 0),
        (pid, -dealer.user.id),
        (pid, 2**31),
        (pid, 10**12),
        (pid, 1.0 * dealer.user.id),
        (pid, [dealer.user.id]),
    ):
        with pytest.raises(PermissionDenied):
            two_factor.reset_partner_user(session, desk, partner_id, user_id)
    with pytest.raises(PermissionDenied):  # the admins' reset stays the admins.manage holders'
        two_factor.reset_two_factor(session, desk, admin.id)
    with pytest.raises(PermissionDenied):  # ... and for admins only
        two_factor.reset_two_factor(session, boss, dealer.user.id)
    session.rollback()
    for user_id in (dealer.user.id, other.user.id, admin.id):
        assert session.get(TwoFactor, user_id).enabled_at is not None
    assert sessions_of(session, dealer.user.id) == 1
    assert resets(session) == []


def test_disabling_needs_a_current_code(session, admin, clock):
    actor = identity.actor_for(session, admin)
    secret, _ = enrol(session, actor)
    with pytest.raises(ValidationError):
        two_factor.disable_two_factor(session, actor, "not a code")
    session.rollback()
    clock.shift(30)
    two_factor.disable_two_factor(session, actor, code_at(secret, START + timedelta(seconds=30)))
    session.commit()
    assert not two_factor.status(session, actor).enabled
    assert session.execute(select(func.count()).select_from(RecoveryCode)).scalar_one() == 0
    assert begin(session, admin.email).token  # the password alone again


def test_wrong_codes_of_a_signed_in_user_are_limited(session, admin, clock):
    actor = identity.actor_for(session, admin)
    shown = two_factor.start_enrolment(session, actor)
    session.commit()
    right = code_at(shown.secret.replace(" ", ""), START)
    bad = "000000" if right != "000000" else "111111"
    for _ in range(two_factor.USER_LOCK[1]):
        with pytest.raises(ValidationError):
            two_factor.confirm_enrolment(session, actor, bad)
        session.rollback()
    with pytest.raises(ValidationError) as err:  # locked: even the right code waits
        two_factor.confirm_enrolment(session, actor, right)
    assert err.value.code == "auth.locked"


# -- the new-browser notice -------------------------------------------------------------------
def notices(session, user_id: int) -> list[Notification]:
    return (
        session.execute(
            select(Notification).where(
                Notification.user_id == user_id, Notification.kind == "new_sign_in"
            )
        )
        .scalars()
        .all()
    )


def test_a_sign_in_from_a_new_browser_is_notified(session, factory, clock):
    actor = factory.subscriber("olga@example.ru")
    session.commit()
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"

    def sign_in(device: str) -> None:
        identity.sign_in(
            session, "olga@example.ru", PASSWORD, ua, ip="203.0.113.7", device_id=device
        )
        session.commit()

    sign_in(DEVICE)  # the account's first sign-in: nothing to be new against
    assert notices(session, actor.user_id) == []
    sign_in(DEVICE)  # the same browser
    sign_in("")  # no browser (the CLI, a test): never a notice
    sign_in("short")  # not an id of ours: ignored as well
    assert notices(session, actor.user_id) == []
    sign_in(OTHER_DEVICE)
    (notice,) = notices(session, actor.user_id)
    assert "Chrome 120" in notice.body and "203.0.113.7" in notice.body
    assert "02.03.2026 12:00" in notice.body  # Moscow time
    sign_in(OTHER_DEVICE)
    assert len(notices(session, actor.user_id)) == 1
    digests = session.execute(select(KnownBrowser.device_hash)).scalars().all()
    assert len(digests) == 2 and DEVICE not in digests and OTHER_DEVICE not in digests


def test_the_second_step_notices_a_new_browser_too(session, admin, clock):
    secret, _ = enrol(session, identity.actor_for(session, admin))
    step = begin(session, admin.email)
    clock.shift(30)
    finish(session, step.challenge, code_at(secret, START + timedelta(seconds=30)))  # first ever
    step = begin(session, admin.email, device=OTHER_DEVICE)
    assert notices(session, admin.id) == []  # not before the code
    clock.shift(30)
    finish(session, step.challenge, code_at(secret, START + timedelta(seconds=60)), OTHER_DEVICE)
    assert len(notices(session, admin.id)) == 1


# -- at the same moment -----------------------------------------------------------------------
def test_one_code_sent_twice_at_once_signs_in_once(session, engine, admin, clock):
    """Two browsers (or a replay) racing with the same right code: the conditional UPDATE of
    the last time step lets one through."""
    secret, _ = enrol(session, identity.actor_for(session, admin))
    first, second = begin(session, admin.email), begin(session, admin.email, OTHER_DEVICE)
    clock.shift(30)
    code = code_at(secret, START + timedelta(seconds=30))

    def run(challenge: str, device: str):
        with session_scope(engine) as s:
            return two_factor.finish_sign_in(s, challenge, device, code)

    results = at_once(
        [lambda: run(first.challenge, DEVICE), lambda: run(second.challenge, OTHER_DEVICE)]
    )
    signed = [r for r in results if isinstance(r, two_factor.SignedIn)]
    refused = [r for r in results if isinstance(r, AuthError)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert refused[0].code == "two_factor.code_wrong"
    session.expire_all()
    assert sessions_of(session, admin.id) == 1


def test_one_recovery_code_sent_twice_at_once_works_once(session, engine, admin, clock):
    _, codes = enrol(session, identity.actor_for(session, admin))
    first, second = begin(session, admin.email), begin(session, admin.email, OTHER_DEVICE)

    def run(challenge: str, device: str):
        with session_scope(engine) as s:
            return two_factor.finish_sign_in(s, challenge, device, codes[0])

    results = at_once(
        [lambda: run(first.challenge, DEVICE), lambda: run(second.challenge, OTHER_DEVICE)]
    )
    assert sorted(type(r).__name__ for r in results) == ["AuthError", "SignedIn"], results
    session.expire_all()
    assert sessions_of(session, admin.id) == 1


def at_once(calls) -> list[object]:
    """Each call in its own thread, released together; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
