"""The admin's subscriber card names the contract's ID document type (passport, residence
permit, ...) beside its number; a contract from before the back office recorded it shows a dash."""

from __future__ import annotations

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.subscribers import contract_desk
from tests.ui.test_correction_state import _state


@pytest.fixture
def contracts(session, factory):
    factory.admin_user(email="boss@example.ru")
    made = contract_desk.create_contract(
        session,
        factory.superadmin(),
        "Ли Вэй",
        "residence_permit",
        "82 1234567",
        phone="+7 916 000-11-22",
    )
    session.commit()
    old = factory.subscriber("old@example.ru")
    return {"new": made.subscriber_id, "old": old.subscriber_id}


def test_the_card_shows_the_document_type(db_url, contracts):
    state = _state(contracts["new"])
    assert state.sub["document"] == "Вид на жительство"
    assert state.form["document_no"] == "82 1234567"
    assert _state(contracts["old"]).sub["document"] == "—"
