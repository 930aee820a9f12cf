"""What people type as a login: e-mail addresses and Russian phone numbers."""

from __future__ import annotations

import pytest

from paysim_app.core.errors import ValidationError
from paysim_app.core.logins import format_phone, normalise_phone, parse_login


@pytest.mark.parametrize(
    "raw",
    [
        "+7 999 123-45-67",
        "89991234567",
        "8 (999) 123 45 67",
        "79991234567",
        "9991234567",
        "+7(999)1234567",
        "  +7 999 123 45 67  ",
    ],
)
def test_normalise_phone_accepts_the_usual_ways_of_writing_a_number(raw):
    assert normalise_phone(raw) == "+79991234567"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "123",
        "+1 212 555 0100",  # not a +7 number
        "+44 20 7946 0958",
        "+7 999 123-45-678",  # one digit too many
        "+7 999 123-45-6",  # one digit short: must not become +7 7999 123-45-6
        "999 123-45-6",
        "69991234567",
    ],
)
def test_normalise_phone_refuses_what_is_not_a_russian_number(raw):
    assert normalise_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan@example.ru", ("email", "ivan@example.ru")),
        ("  Ivan.Petrov@Example.RU ", ("email", "ivan.petrov@example.ru")),
        ("+7 999 123-45-67", ("phone", "+79991234567")),
        ("89991234567", ("phone", "+79991234567")),
    ],
)
def test_parse_login(raw, expected):
    assert parse_login(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "abc", "123", "+1 212 555 0100", "a@", "@example.ru", "a@b", "a b@c.ru"]
)
def test_parse_login_refuses_bad_input_with_a_field_error(raw):
    with pytest.raises(ValidationError) as err:
        parse_login(raw)
    assert err.value.code == "auth.login_invalid"
    assert err.value.field == "login"


def test_parse_login_names_the_given_field():
    with pytest.raises(ValidationError) as err:
        parse_login("abc", field="email")
    assert err.value.field == "email"


def test_parse_login_treats_none_as_empty():
    with pytest.raises(ValidationError):
        parse_login(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+79991234567", "+7 999 123-45-67"),
        ("+74951234567", "+7 495 123-45-67"),
        ("+12125550100", "+12125550100"),  # not ours: shown as stored
        ("", ""),
    ],
)
def test_format_phone(e164, shown):
    assert format_phone(e164) == shown


def test_format_phone_round_trips_with_normalise_phone():
    shown = format_phone("+79990000001")
    assert shown == "+7 999 000-00-01"
    assert normalise_phone(shown) == "+79990000001"
