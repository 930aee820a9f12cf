"""A partner's monthly commission statement and its .xlsx: the month's accruals and reversals
with their payments, totals equal to the statistics page's figure for that month (Moscow month
boundaries), typed cells, formula-looking names kept as text; a partner sees its own only."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from paysim_app.core import spreadsheet
from paysim_app.core.errors import PermissionDenied, ValidationError
from paysim_app.models import Subscriber
from paysim_app.partners import performance, statement
from tests.partners.test_performance import World, world  # noqa: F401 - the fixture


def _month_profit(session, actor, partner_id: int, first: date, last: date) -> int:
    return performance.partner_stats(session, actor, partner_id, first, last).profit_kop


def test_the_months_rows_and_totals_are_the_statistics_figures(session, world: World):  # noqa: F811
    pid = world.a.partner.id
    april = statement.commission_statement(session, world.admin, pid, "2026-04")
    # 1 April 01:00 in Moscow (31 March in UTC), 5 April, and the March payment's reversal
    assert [(x.kind, x.amount_kop) for x in april.lines] == [
        ("accrual", 1000),
        ("accrual", 10000),
        ("reversal", -5000),
    ]
    assert (april.accrued_kop, april.reversed_kop, april.total_kop) == (11000, -5000, 6000)
    assert april.total_kop == _month_profit(
        session, world.admin, pid, date(2026, 4, 1), date(2026, 4, 30)
    )
    first = april.lines[0]
    assert (first.payment_kop, first.rate_bp) == (20000, 500) and first.msisdn.startswith("+7")
    march = statement.commission_statement(session, world.admin, pid, "2026-03")
    assert (
        march.total_kop
        == 5000
        == _month_profit(session, world.admin, pid, date(2026, 3, 1), date(2026, 3, 31))
    )
    assert statement.commission_statement(session, world.admin, pid, "2025-01").lines == []


def test_the_xlsx_has_the_same_figures_typed(session, world: World):  # noqa: F811
    pid = world.a.partner.id
    # the April payments' subscriber has a name that looks like a formula
    contract = statement.commission_statement(session, world.admin, pid, "2026-04").lines[0]
    sub = session.exec(
        select(Subscriber).where(Subscriber.contract_no == contract.contract_no)
    ).one()
    sub.full_name = '=HYPERLINK("http://x","y")'
    session.commit()
    name, data = statement.statement_xlsx(session, world.a.actor, pid, "2026-04", "ru")
    assert name.endswith("-2026-04.xlsx") and name.startswith("paysim-commission-")
    book = load_workbook(io.BytesIO(data))
    summary, lines = book.worksheets
    assert (summary.title, lines.title) == ("Итоги", "Начисления")
    values = {summary.cell(r, 1).value: summary.cell(r, 2) for r in range(2, summary.max_row + 1)}
    assert values["Партнёр"].value == "Альфа"
    total = values["Комиссия за месяц, ₽"]
    assert total.value == 60.0 and total.number_format == spreadsheet.MONEY_FORMAT
    assert values["Начислено, ₽"].value == 110.0 and values["Сторнировано, ₽"].value == -50.0
    assert [c.value for c in lines[1]][:3] == ["Дата и время", "Операция", "Платёж №"]
    assert all(c.font.b for c in lines[1]) and lines.freeze_panes == "A2"
    rows = list(lines.iter_rows(min_row=2))
    assert len(rows) == 3
    when, kind, payment, *_rest, amount, rate, commission = rows[0]
    assert isinstance(when.value, datetime) and when.number_format == spreadsheet.TIME_FORMAT
    assert (when.value.month, when.value.day, when.value.hour) == (4, 1, 1)  # Moscow time
    assert kind.value == "Начисление" and isinstance(payment.value, int)
    assert (amount.value, amount.number_format) == (200.0, spreadsheet.MONEY_FORMAT)
    assert (rate.value, rate.number_format) == (0.05, "0.00%")
    assert (commission.value, commission.number_format) == (10.0, spreadsheet.MONEY_FORMAT)
    assert sum(r[8].value for r in rows) == pytest.approx(60.0)
    names = [r[5] for r in rows if str(r[5].value).startswith("=HYPERLINK")]
    assert len(names) == 2  # the two April payments (the reversal is of a March one)
    for cell in names:
        assert cell.data_type == "s" and cell.quotePrefix


def test_english_workbook(session, world: World):  # noqa: F811
    _name, data = statement.statement_xlsx(
        session, world.admin, world.a.partner.id, "2026-03", "en"
    )
    summary = load_workbook(io.BytesIO(data)).worksheets[0]
    assert summary.title == "Summary" and summary["A1"].value == "Item"


def test_a_partner_gets_its_own_statement_only(session, factory, world: World):  # noqa: F811
    own = statement.commission_statement(session, world.a.actor, world.a.partner.id, "2026-04")
    assert own.partner_name == "Альфа"
    with pytest.raises(PermissionDenied):
        statement.commission_statement(session, world.a.actor, world.b.partner.id, "2026-03")
    with pytest.raises(PermissionDenied):
        statement.statement_xlsx(session, factory.subscriber(), world.a.partner.id, "2026-03")
    with pytest.raises(PermissionDenied):
        statement.statement_xlsx(session, factory.support(), world.a.partner.id, "2026-03")


@pytest.mark.parametrize("month", ["2026-13", "2026-4", "april", "", None, "1999-01", 202604])
def test_a_bad_month_is_refused(session, world: World, month):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        statement.commission_statement(session, world.admin, world.a.partner.id, month)
    assert refused.value.code == "partner_statement.error.month"


def test_the_stats_page_offers_the_periods_months_and_downloads_one(db_url, world: World):  # noqa: F811
    """The partner's statistics page: the months of its period to choose from, newest first;
    the chosen one downloads as .xlsx; a forged month is refused on the page."""
    import paysim_app.paysim_app  # noqa: F401 - the app's states
    from paysim_app.ui.partner.stats import PartnerOwnStatsState
    from tests.ui.test_money_states import _run
    from tests.ui.test_state_security import _leaf, _signed_in

    state = _leaf(PartnerOwnStatsState)
    state.auth_token = _signed_in(world.a.login)
    _run(PartnerOwnStatsState.load, state)
    _run(PartnerOwnStatsState.set_date, state, "date_from", "2026-03-01")
    _run(PartnerOwnStatsState.set_date, state, "date_to", "2026-04-30")
    _run(PartnerOwnStatsState.show, state, {})
    assert [m["value"] for m in state.statement_months] == ["2026-04", "2026-03"]
    event = _run(PartnerOwnStatsState.download_statement, state, {"month": "2026-04"})
    assert "download" in str(event) and "paysim-commission-" in str(event)
    assert state.statement_error == ""
    _run(PartnerOwnStatsState.download_statement, state, {"month": "2026-99"})
    assert state.statement_error != ""
