"""subscribers.privacy: the data archive (its files, the owner's only, no secrets, audited),
asking to close (the password, one pending request), and closing (privacy.edit; refused while
a SIM works or holds money; keeps payments, the ledger, the contract and the consents; removes
or masks the rest; the e-mail can register again; the subscriber is told)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlmodel import select

from paysim_app.accounts import identity
from paysim_app.core.errors import DomainError, PermissionDenied, ValidationError
from paysim_app.core.notify import notify_user
from paysim_app.core.permissions import ROLE_SUPPORT
from paysim_app.models import (
    AuditLog,
    AuthSession,
    ClosureRequest,
    ConsentRecord,
    LedgerEntry,
    Notification,
    OutboxEmail,
    SavedCard,
    Sim,
    SimBalance,
    Subscriber,
    Ticket,
    TicketMessage,
    User,
)
from paysim_app.subscribers import privacy
from paysim_app.support import ticketing
from tests.conftest import PASSWORD


@pytest.fixture
def alice(session, factory):
    actor = factory.subscriber("alice@example.ru", full_name="Алиса Данных")
    sim = factory.sim(actor, balance_kop=12300)
    factory.card(actor)
    identity.sign_in(session, actor.login, PASSWORD, user_agent="Mozilla/5.0 Firefox/120.0")
    ticketing.open_ticket(session, actor, "other", "Медленный интернет", "Вечером медленно")
    notify_user(session, actor.user_id, "low_balance", {"msisdn": sim.msisdn, "balance": "1 ₽"})
    session.commit()
    return actor, sim


def _zip(archive) -> dict:
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        return {n: z.read(n).decode() for n in z.namelist()}


def test_the_archive_holds_everything_and_no_secret(session, alice):
    actor, sim = alice
    archive = privacy.data_archive(session, actor)
    session.commit()
    files = _zip(archive)
    assert archive.filename.startswith("paysim-PS-") and archive.filename.endswith(".zip")
    for name in (
        "profile.json",
        "contract.json",
        "sims.json",
        "payments.json",
        "ledger.json",
        "tickets.json",
        "notifications.json",
        "consents.json",
        "usage_by_month.json",
        "cards.json",
        "sessions.json",
    ):
        assert name in files, name
    data = {n: json.loads(v) for n, v in files.items() if n.endswith(".json")}
    assert data["profile.json"]["account"]["email"] == "alice@example.ru"
    assert data["contract.json"]["full_name"] == "Алиса Данных"
    assert [s["msisdn"] for s in data["sims.json"]] == [sim.msisdn]
    assert data["ledger.json"][0]["amount_kop"] == 12300
    assert data["tickets.json"][0]["subject"] == "Медленный интернет"
    assert data["tickets.json"][0]["messages"][0]["body"] == "Вечером медленно"
    assert {c["doc"] for c in data["consents.json"]} == {"personal_data", "terms"}
    assert data["sessions.json"] and "token_hash" not in data["sessions.json"][0]
    assert "low_balance" in {n["kind"] for n in data["notifications.json"]}
    everything = "".join(files.values())
    for secret in ("token_hash", "password_hash", "gateway_token", "puk", "$2b$"):
        assert secret not in everything, secret
    entry = session.exec(select(AuditLog).where(AuditLog.action == "privacy.archive")).one()
    assert entry.actor_user_id == actor.user_id


def test_only_a_subscriber_gets_their_own_archive(session, factory, alice):
    for stranger in (None, factory.superadmin(), factory.partner().actor):
        with pytest.raises(PermissionDenied):
            privacy.data_archive(session, stranger)
    bob = factory.subscriber(full_name="Борис")
    files = _zip(privacy.data_archive(session, bob))
    assert "Алиса" not in "".join(files.values())


def test_asking_to_close_needs_the_password_and_waits_once(session, alice):
    actor, _ = alice
    with pytest.raises(ValidationError) as err:
        privacy.request_closure(session, actor, "wrong-password")
    assert err.value.field == "password"
    with pytest.raises(ValidationError):
        privacy.request_closure(session, actor, "")
    view = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    assert view.status == "pending" and privacy.my_closure(session, actor).id == view.id
    with pytest.raises(ValidationError) as err:
        privacy.request_closure(session, actor, PASSWORD)
    assert err.value.code == "privacy.error.pending"
    privacy.withdraw_closure(session, actor)
    session.commit()
    assert privacy.my_closure(session, actor) is None
    with pytest.raises(ValidationError):
        privacy.withdraw_closure(session, actor)


def test_closing_is_refused_while_a_sim_works_or_holds_money(session, factory, alice):
    actor, sim = alice
    admin = factory.superadmin()
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    with pytest.raises(DomainError) as err:
        privacy.close_account(session, admin, request.id)
    assert err.value.code == "privacy.error.sims_first" and sim.msisdn in err.value.params["sims"]
    session.rollback()
    row = session.get(Sim, sim.id)
    row.status = "blocked"  # blocked, but 123 roubles on it
    session.commit()
    with pytest.raises(DomainError):
        privacy.close_account(session, admin, request.id)
    session.rollback()
    assert session.get(ClosureRequest, request.id).status == "pending"
    assert session.get(User, actor.user_id).email == "alice@example.ru"


def test_closing_needs_privacy_edit(session, factory, alice):
    actor, _ = alice
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    for who in (factory.admin(ROLE_SUPPORT), actor, None):
        with pytest.raises(PermissionDenied):
            privacy.close_account(session, who, request.id)


def test_closing_keeps_what_the_law_requires_and_masks_the_rest(session, factory, alice):
    actor, sim = alice
    admin = factory.superadmin()
    row = session.get(Sim, sim.id)
    row.status = "deactivated"
    entry = LedgerEntry(
        sim_id=sim.id, kind="refund", amount_kop=-12300, balance_after_kop=0, comment="refund"
    )
    session.get(SimBalance, sim.id).balance_kop = 0
    session.add(entry)
    session.commit()
    ledger_before = len(session.exec(select(LedgerEntry)).all())
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    closed = privacy.close_account(session, admin, request.id)
    session.commit()
    assert closed.contract_no.startswith("PS-")
    user = session.get(User, actor.user_id)
    sub = session.get(Subscriber, actor.subscriber_id)
    assert user.email != "alice@example.ru" and user.phone is None and not user.is_active
    assert user.full_name == "" and sub.full_name == privacy.MASK
    assert (sub.email, sub.phone, sub.address, sub.document_no) == ("", "", "", "")
    assert sub.contract_no == closed.contract_no and sub.status == "inactive"
    # kept: the ledger, the SIM on its contract, the consents
    assert len(session.exec(select(LedgerEntry)).all()) == ledger_before
    assert session.get(Sim, sim.id).subscriber_id == sub.id
    assert session.exec(select(ConsentRecord).where(ConsentRecord.user_id == user.id)).all()
    # removed or masked
    assert all(s.revoked_at is not None for s in session.exec(select(AuthSession)).all())
    card = session.exec(select(SavedCard)).one()
    assert card.deleted_at is not None and card.gateway_token == ""
    theirs = select(Notification).where(Notification.user_id == user.id)
    assert {n.title for n in session.exec(theirs).all()} == {privacy.MASK}
    assert session.exec(select(Ticket)).one().subject == privacy.MASK
    assert session.exec(select(TicketMessage)).one().body == privacy.MASK
    # told at the address they had, and the request is done (audited)
    told = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "privacy_closed")).one()
    assert told.to_address == "alice@example.ru" and closed.contract_no in told.body
    assert session.get(ClosureRequest, request.id).status == "closed"
    audit = session.exec(select(AuditLog).where(AuditLog.action == "privacy.close_account")).one()
    assert audit.actor_user_id == admin.user_id and "Алиса" not in audit.after
    # the session no longer signs in; the e-mail registers again
    with pytest.raises(DomainError):
        identity.sign_in(session, "alice@example.ru", PASSWORD)
    again = identity.register_subscriber(session, "alice@example.ru", PASSWORD, consent=True)
    assert again.subscriber_id != sub.id
    with pytest.raises(ValidationError):
        privacy.close_account(session, admin, request.id)  # not pending any more


def test_the_queue_lists_requests_for_privacy_view(session, factory, alice):
    from paysim_app.core.listing import ListQuery, fetch_page

    actor, _ = alice
    privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    page = fetch_page(session, factory.superadmin(), privacy.CLOSURE_LIST, ListQuery())
    assert [(r["full_name"], r["status"]) for r in page.rows] == [("Алиса Данных", "pending")]
    with pytest.raises(PermissionDenied):
        fetch_page(session, factory.admin(ROLE_SUPPORT), privacy.CLOSURE_LIST, ListQuery())


# -- the loose ends: attachment files, the admins' notice --------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def _closable(session, sim) -> None:
    row = session.get(Sim, sim.id)
    row.status = "deactivated"
    session.get(SimBalance, sim.id).balance_kop = 0
    session.add(
        LedgerEntry(
            sim_id=sim.id, kind="refund", amount_kop=-12300, balance_after_kop=0, comment="refund"
        )
    )
    session.commit()


@pytest.fixture
def files(tmp_path, monkeypatch):
    from paysim_app.settings import get_settings

    folder = tmp_path / "attachments"
    monkeypatch.setattr(get_settings(), "paysim_attachments_dir", str(folder))
    return folder


def test_closing_deletes_the_persons_attachment_files_and_keeps_the_operators(
    session, factory, alice, files
):
    from paysim_app.support import attachments, inbox

    actor, sim = alice
    admin = factory.superadmin()
    shot = attachments.save(PNG, "экран.png", actor)
    ticket_id = ticketing.open_ticket(
        session, actor, "other", "Не работает", "Смотрите снимок", attachment=shot
    )
    session.commit()  # a file is stored (and counted) as it is chosen, before its message
    second = attachments.save(PDF, "договор.pdf", actor)
    ticketing.reply(session, actor, ticket_id, "И ещё файл", attachment=second)
    session.commit()
    answer = attachments.save(PDF, "инструкция.pdf", admin)
    inbox.reply_to_ticket(session, admin, ticket_id, "Инструкция во вложении", attachment=answer)
    session.commit()
    assert {p.name for p in files.iterdir()} == {shot.stored, second.stored, answer.stored}
    _closable(session, sim)
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    privacy.close_account(session, admin, request.id)
    # nothing leaves the disk before the closing is committed
    assert (files / shot.stored).exists()
    session.commit()
    assert {p.name for p in files.iterdir()} == {answer.stored}  # the operator's answer stays
    mine = session.exec(
        select(TicketMessage).where(TicketMessage.author_user_id == actor.user_id)
    ).all()
    assert mine and all(m.attachment_path == "" and m.attachment_name == "" for m in mine)
    # the ticket's history is kept (masked), the payments and the ledger too
    assert session.exec(select(LedgerEntry)).all()


def test_a_closing_rolled_back_keeps_the_files(session, factory, alice, files):
    from paysim_app.support import attachments

    actor, sim = alice
    shot = attachments.save(PNG, "экран.png", actor)
    ticketing.open_ticket(session, actor, "other", "Снимок", "Вот", attachment=shot)
    _closable(session, sim)
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    privacy.close_account(session, factory.superadmin(), request.id)
    session.rollback()
    session.commit()
    assert (files / shot.stored).exists()
    assert session.get(ClosureRequest, request.id).status == "pending"


def test_a_closing_request_tells_the_admins_who_close_accounts_once(session, factory, alice):
    actor, _ = alice
    closer = factory.superadmin()
    support = factory.admin(ROLE_SUPPORT)  # sees subscribers, closes no account
    request = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    told = session.exec(select(Notification).where(Notification.kind == "closure_new")).all()
    assert {n.user_id for n in told} == {closer.user_id}
    assert told[0].title == f"Запрос на закрытие учётной записи №{request.id}"
    assert session.get(Subscriber, actor.subscriber_id).contract_no in told[0].body
    # withdrawn and asked again: a new request, a new notice; the old one counts as handled
    privacy.withdraw_closure(session, actor)
    again = privacy.request_closure(session, actor, PASSWORD)
    session.commit()
    titles = [
        n.title
        for n in session.exec(
            select(Notification).where(
                Notification.kind == "closure_new", Notification.user_id == closer.user_id
            )
        ).all()
    ]
    assert len(titles) == 2 and titles[1].endswith(f"№{again.id}")
    assert support.user_id not in {n.user_id for n in told}
