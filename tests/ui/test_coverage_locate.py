"""'Use my location' on the public coverage check: the handler asks the browser through a
script whose answer comes back to `located`; coordinates fill the fields and are checked, a
refusal or anything else a client may send says why and changes nothing."""

from __future__ import annotations

import pytest

import paysim_app.paysim_app  # noqa: F401
from paysim_app.ui.public.coverage import PublicCoverageState
from tests.coverage.test_coverage_states import _visitor, boss, places  # noqa: F401
from tests.ui.test_money_states import _run


def test_locate_asks_the_browser_and_waits(places):  # noqa: F811
    state = _visitor()
    out = _run(PublicCoverageState.locate, state)
    assert state.locating and state.locate_note == ""
    assert "getCurrentPosition" in str(out) and "located" in str(out)


def test_a_position_fills_the_coordinates_and_checks_them(places):  # noqa: F811
    state = _visitor()
    _run(PublicCoverageState.locate, state)
    out = _run(PublicCoverageState.located, state, {"lat": 56.8587, "lon": 35.9176})
    assert (state.lat, state.lon) == ("56.85870", "35.91760") and not state.locating
    assert "check_point" in str(out)
    _run(PublicCoverageState.check_point, state)
    assert state.quality == "good" and "Тверь" in state.place


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ({"error": "denied"}, "Браузер не дал узнать"),
        ({"error": "unavailable"}, "Не удалось определить"),
        ({"error": "unsupported"}, "не умеет сообщать"),
        ({"error": "<script>"}, "Не удалось определить"),
        ({"lat": "56.8", "lon": "35.9"}, "Не удалось определить"),
        ({"lat": True, "lon": 35.9}, "Не удалось определить"),
        ({"lat": 56.8}, "Не удалось определить"),
        ({}, "Не удалось определить"),
        (None, "Не удалось определить"),
        ("56.8,35.9", "Не удалось определить"),
        ([56.8, 35.9], "Не удалось определить"),
    ],
)
def test_a_refusal_or_junk_says_why_and_changes_nothing(places, answer, says):  # noqa: F811
    state = _visitor()
    _run(PublicCoverageState.locate, state)
    assert _run(PublicCoverageState.located, state, answer) is None
    assert says in state.locate_note and not state.locating
    assert (state.lat, state.lon, state.quality) == ("", "", "")


def test_far_away_coordinates_are_refused_by_the_check(places):  # noqa: F811
    state = _visitor()
    _run(PublicCoverageState.located, state, {"lat": 48.8566, "lon": 2.3522})
    _run(PublicCoverageState.check_point, state)
    assert state.error_field == "lat" and state.quality == ""
