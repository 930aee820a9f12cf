"""messaging.compose: the e-mail built around an outbox row (no server needed)."""

from __future__ import annotations

from paysim_app.core import outbox
from paysim_app.messaging import compose
from paysim_app.models import OutboxEmail


def _row(session, **kw) -> OutboxEmail:
    kw.setdefault("to_address", "ivan@example.ru")
    kw.setdefault("subject", "Тема")
    kw.setdefault("body", "Текст")
    row = OutboxEmail(**kw)
    session.add(row)
    session.commit()
    return row


def test_message_id_is_stable_per_row_and_takes_smtp_from_s_domain(session):
    row = _row(session)
    first = compose.message_id(row, "PaySim <noreply@mail.example.org>")
    assert first == compose.message_id(row, "PaySim <noreply@mail.example.org>")
    assert first.startswith(f"<outbox.{row.id}.") and first.endswith("@mail.example.org>")
    assert compose.message_id(_row(session), "PaySim <noreply@mail.example.org>") != first


def test_the_html_part_makes_links_clickable_and_escapes_the_rest(session):
    html = compose.render_html(
        "A & B",
        "Первый абзац <i>не курсив</i>.\n\nСсылка: https://pay.example.ru/reset?a=1&b=2.",
        "Подвал",
        "ru",
    )
    assert "A &amp; B" in html and "&lt;i&gt;не курсив&lt;/i&gt;" in html
    assert '<a href="https://pay.example.ru/reset?a=1&amp;b=2"' in html
    assert html.count('<p style="margin:0 0 14px">') == 3  # two paragraphs and the footer
    assert '<html lang="ru">' in html and "PaySim" in html


def test_only_notifications_one_can_switch_off_get_the_unsubscribe_link(session, factory):
    user_id = factory.subscriber("anna@example.ru").user_id
    who = compose.Recipient(user_id, "ru")
    for kind, expected in [
        ("low_balance", True),
        ("ticket_reply", True),
        ("new_sign_in", False),  # a security notice
        ("password_reset", False),
        ("set_password", False),
        ("admin_invite", False),
        ("receipt", False),
        ("", False),
    ]:
        mail = compose.compose_email(session, _row(session, kind=kind), who)
        assert ("List-Unsubscribe" in mail.headers) is expected, kind
        assert ("/api/unsubscribe?token=" in mail.text) is expected, kind
    anonymous = compose.compose_email(
        session, _row(session, kind="low_balance"), compose.Recipient(None, "ru")
    )
    assert "List-Unsubscribe" not in anonymous.headers


def test_the_token_names_the_user_the_kind_and_the_language(session):
    token = compose.unsubscribe_token(42, "low_balance", "en")
    assert compose.read_unsubscribe_token(token) == (42, "low_balance", "en")


def test_the_secret_goes_back_only_into_what_is_sent(session):
    row = outbox.queue_email(
        session, "ivan@example.ru", "Код", f"Ваш код: {outbox.SECRET}", "login_code", "735119"
    )
    session.commit()
    assert "735119" not in row.body and "735119" not in outbox.render_for_staff(row, demo=False)
    mail = compose.compose_email(session, row, compose.Recipient(None, "ru"))
    assert "Ваш код: 735119" in mail.text and "Ваш код: 735119" in mail.html
