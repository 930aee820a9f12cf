"""accounts.consent: the versioned legal texts, consent at registration, asking again after a
new version (the actor is consent_due until they accept), publishing (privacy.edit, audited)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from paysim_app.accounts import consent, identity
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.models import AuditLog, ConsentRecord, LegalText
from tests.conftest import PASSWORD


def _records(session, user_id):
    return session.exec(
        select(ConsentRecord).where(ConsentRecord.user_id == user_id).order_by(ConsentRecord.id)
    ).all()


def test_first_versions_are_published_on_first_use(session):
    texts = consent.current_texts(session)
    assert [(x.doc, x.version) for x in texts] == [("personal_data", 1), ("terms", 1)]
    pd = texts[0]
    assert "PaySim" in pd.body_ru and "152-ФЗ" in pd.body_ru and "152-FZ" in pd.body_en
    assert pd.title("en").startswith("Consent")
    consent.current_texts(session)  # a second call publishes nothing more
    assert len(session.exec(select(LegalText)).all()) == 2


def test_registration_needs_both_consents_and_records_them(session):
    for pd, terms in ((False, False), (True, False), (False, True)):
        with pytest.raises(ValidationError) as err:
            identity.start_registration(
                session, "new@example.ru", PASSWORD, "Нина", personal_data=pd, terms=terms
            )
        assert err.value.code == "consent.required" and err.value.field == "consent"
    session.rollback()
    assert identity._find_user(session, "email", "new@example.ru") is None
    reg = identity.start_registration(
        session,
        "new@example.ru",
        PASSWORD,
        "Нина",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36",
        ip="203.0.113.5",
        personal_data=True,
        terms=True,
    )
    session.commit()
    assert reg.actor is not None and not reg.actor.consent_due
    rows = _records(session, reg.actor.user_id)
    assert [(r.doc, r.version, r.source) for r in rows] == [
        ("personal_data", 1, "registration"),
        ("terms", 1, "registration"),
    ]
    assert rows[0].ip == "203.0.113.5" and rows[0].user_agent == "Chrome 120 · Linux"
    assert rows[0].subscriber_id == reg.actor.subscriber_id


def test_phone_registration_records_consent_when_the_code_is_entered(session, monkeypatch):
    sent = {}
    from paysim_app.accounts import verification

    real = verification.send_code

    def keep(*args, **kwargs):
        res = real(*args, **kwargs)
        sent["pending"] = kwargs.get("pending")
        return res

    monkeypatch.setattr(verification, "send_code", keep)
    with pytest.raises(ValidationError):
        identity.start_registration(session, "+79161112233", PASSWORD, "Олег")
    identity.start_registration(
        session, "+79161112233", PASSWORD, "Олег", ip="198.51.100.7", personal_data=True, terms=True
    )
    session.commit()
    assert json.loads(sent["pending"])["consent"]["ip"] == "198.51.100.7"
    code = session.exec(select(verification.PhoneCode)).first()
    assert code is not None


def test_register_and_sign_in_needs_consents(session):
    with pytest.raises(ValidationError):
        identity.register_and_sign_in(session, "x@example.ru", PASSWORD)
    token, actor = identity.register_and_sign_in(
        session, "x@example.ru", PASSWORD, personal_data=True, terms=True
    )
    assert token and not actor.consent_due


def test_a_new_version_asks_again_until_accepted(session, factory):
    sub = factory.subscriber()
    admin = factory.superadmin()
    assert not identity.actor_for(
        session, identity._find_user(session, "email", sub.login)
    ).consent_due
    token, _ = identity.sign_in(session, sub.login, PASSWORD)
    session.commit()
    view = consent.publish_version(session, admin, "terms", "Новые условия", "New terms")
    session.commit()
    assert view.version == 2 and view.title_ru == "Условия оказания услуг PaySim"
    actor = identity.resolve_session(session, token)
    assert actor.consent_due  # signed in already: asked at their next page
    pending = consent.pending_texts(session, actor)
    assert [(p.doc, p.version) for p in pending] == [("terms", 2)]
    # acceptance of an older version than the current one is refused
    with pytest.raises(ValidationError) as err:
        consent.accept_current(session, actor, {"terms": 1})
    assert err.value.code == "consent.changed"
    assert consent.accept_current(session, actor, {"terms": 2}, ip="10.0.0.1") == 1
    session.commit()
    assert not identity.resolve_session(session, token).consent_due
    assert _records(session, sub.user_id)[-1].source == "sign_in"
    # staff are never asked
    assert not identity.actor_for(
        session, identity._find_user(session, "email", admin.login)
    ).consent_due
    assert consent.pending_texts(session, admin) == []


def test_an_account_without_any_consent_is_asked(session):
    actor = identity.register_subscriber(session, "old@example.ru", PASSWORD)
    assert actor.consent_due


def test_publishing_needs_privacy_edit_checks_input_and_is_audited(session, factory):
    support = factory.admin(ROLE_SUPPORT)
    with pytest.raises(PermissionDenied):
        consent.publish_version(session, support, "terms", "a", "b")
    with pytest.raises(PermissionDenied):
        consent.publish_version(session, None, "terms", "a", "b")
    admin = factory.superadmin()
    with pytest.raises(ValidationError) as err:
        consent.publish_version(session, admin, "other", "a", "b")
    assert err.value.field == "doc"
    with pytest.raises(ValidationError) as err:
        consent.publish_version(session, admin, "terms", "   ", "b")
    assert err.value.field == "body_ru"
    with pytest.raises(ValidationError) as err:
        consent.publish_version(session, admin, "terms", "a", "b" * 20_001)
    assert err.value.field == "body_en"
    v = consent.publish_version(session, admin, "personal_data", "Текст", "Text", "Согласие 2")
    session.commit()
    assert (v.version, v.title_ru) == (2, "Согласие 2")
    entry = session.exec(select(AuditLog).where(AuditLog.action == "legal_text.publish")).one()
    assert json.loads(entry.after)["version"] == 2
    history = consent.text_history(session, admin)
    assert [(h.doc, h.version) for h in history][0] == ("personal_data", 2)
    with pytest.raises(PermissionDenied):
        consent.text_history(session, factory.subscriber())


def test_record_consents_refuses_without_ticks_and_keeps_the_reference(session):
    with pytest.raises(ValidationError):
        consent.record_consents(session, personal_data=True, terms=False, source="dealer_sale")
    versions = consent.record_consents(
        session,
        personal_data=True,
        terms=True,
        source="dealer_sale",
        reference="activation_request:7",
    )
    assert versions == [1, 1]
    rows = session.exec(select(ConsentRecord)).all()
    assert {r.reference for r in rows} == {"activation_request:7"}
