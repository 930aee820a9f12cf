"""The subscriber's payment history as .xlsx: the CSV's lines, typed (Moscow times, roubles),
only the subscriber's own SIMs, audited with the format."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from paysim_app.billing import statement
from paysim_app.core import spreadsheet
from paysim_app.core.errors import PermissionDenied
from paysim_app.models import AuditLog
from tests.billing.test_payments_refunds import paid  # noqa: F401 - the fixture


def test_the_xlsx_has_the_csvs_lines_typed(session, paid):  # noqa: F811
    sub = paid["sub"]
    csv = statement.statement_csv(session, sub, statement.StatementFilter(), "ru")
    data = statement.statement_xlsx(session, sub, statement.StatementFilter(), "ru")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "История платежей" and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == csv.lstrip("\ufeff").splitlines()[0].split(";")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(csv.strip().splitlines()) - 1 == 2  # the test setup and the top-up
    when, sim, _operation, amount, *_rest, balance = rows[0]  # newest first: the top-up
    assert isinstance(when.value, datetime) and when.number_format == spreadsheet.TIME_FORMAT
    assert sim.value.startswith("+7 ")
    assert (amount.value, amount.number_format) == (500.0, spreadsheet.MONEY_FORMAT)
    assert balance.value == 510.0 and balance.data_type == "n"
    session.commit()
    formats = [
        json.loads(r.after)["format"]
        for r in session.exec(select(AuditLog).where(AuditLog.action == "list.export")).all()
    ]
    assert formats == ["csv", "xlsx"]


def test_another_subscribers_sim_is_refused(session, factory, paid):  # noqa: F811
    other = factory.subscriber()
    with pytest.raises(PermissionDenied):
        statement.statement_xlsx(
            session, other, statement.StatementFilter(sim_id=paid["sim_id"]), "en"
        )
