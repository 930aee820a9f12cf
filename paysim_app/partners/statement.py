"""A partner's monthly commission statement: every commission row of one Moscow month (an
accrual per succeeded payment of its subscribers, a reversal per refund), with the payment,
the SIM and the contract it came from, and the month's totals, which are the figures the
statistics page shows for that month (partners.performance: the same rows, the same
Moscow month boundaries).

`statement_xlsx` gives it as an Excel workbook, written with pandas (openpyxl engine): a
summary sheet and the lines, typed (roubles with two decimals, percent, Moscow date-times),
the header bold and frozen. A text that looks like a formula stays text (core.spreadsheet).

An admin with partners.view may take any partner's statement; a partner's user its own only.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core import spreadsheet
from paysim_app.core.errors import NotFound, ValidationError
from paysim_app.core.permissions import Actor
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.models import Commission, Partner, Payment, Sim, Subscriber
from paysim_app.partners.performance import _bounds, _may_view

MAX_LINES = 200_000  # a month of one dealer; past it the statement is refused, not cut
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class StatementLine:
    created_at: datetime
    kind: str  # accrual | reversal
    payment_id: int
    msisdn: str
    contract_no: str
    subscriber_name: str
    payment_kop: int  # what the payment brought in
    rate_bp: int
    amount_kop: int  # the commission (negative for a reversal)


@dataclass(frozen=True)
class CommissionStatement:
    partner_id: int
    partner_code: str
    partner_name: str
    month: str  # 'YYYY-MM'
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def accrued_kop(self) -> int:
        return sum(x.amount_kop for x in self.lines if x.kind == "accrual")

    @property
    def reversed_kop(self) -> int:
        return sum(x.amount_kop for x in self.lines if x.kind != "accrual")

    @property
    def total_kop(self) -> int:
        return sum(x.amount_kop for x in self.lines)


def _month(month: object) -> tuple[date, date]:
    match = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationError("partner_statement.error.month", field="month")
    year, number = int(match.group(1)), int(match.group(2))
    following = date(year + number // 12, number % 12 + 1, 1)
    return date(year, number, 1), date.fromordinal(following.toordinal() - 1)


@verb
def commission_statement(
    session: Session, actor: Actor, partner_id: int, month: str
) -> CommissionStatement:
    """The commission rows of one partner and one Moscow month ('YYYY-MM'), oldest first."""
    _may_view(actor, partner_id)
    first, last = _month(month)
    start, end = _bounds(first, last)
    partner = session.get(Partner, partner_id) if isinstance(partner_id, int) else None
    if partner is None:
        raise NotFound()
    rows = session.execute(
        select(
            Commission.created_at,
            Commission.kind,
            Commission.payment_id,
            Sim.msisdn,
            Subscriber.contract_no,
            Subscriber.full_name,
            Payment.amount_kop,
            Commission.rate_bp,
            Commission.amount_kop,
        )
        .join(Payment, Payment.id == Commission.payment_id)
        .join(Sim, Sim.id == Payment.sim_id)
        .outerjoin(Subscriber, Subscriber.id == Payment.subscriber_id)
        .where(
            Commission.partner_id == partner.id,
            Commission.created_at >= start,
            Commission.created_at < end,
        )
        .order_by(Commission.created_at, Commission.id)
        .limit(MAX_LINES + 1)
    ).all()
    if len(rows) > MAX_LINES:
        raise ValidationError("partner_statement.error.too_many", field="month", n=MAX_LINES)
    lines = [
        StatementLine(
            created_at=r[0],
            kind=r[1],
            payment_id=int(r[2]),
            msisdn=r[3] or "",
            contract_no=r[4] or "",
            subscriber_name=r[5] or "",
            payment_kop=int(r[6]),
            rate_bp=int(r[7]),
            amount_kop=int(r[8]),
        )
        for r in rows
    ]
    return CommissionStatement(partner.id, partner.code, partner.name, month, lines)


# ------------------------------------------------------------------------------------ the .xlsx
def _text(value: str) -> str:
    return spreadsheet.clean_text(value)


def _dress(sheet, formats: dict[int, str], widths: dict[int, int]) -> None:
    """What pandas leaves to the engine: number formats, widths, the frozen header, and text
    that looks like a formula kept as text (pandas hands it to openpyxl as a formula)."""
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if cell.row == 1:
                cell.font = bold
                continue
            value = cell.value
            if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"
                cell.quotePrefix = True
            elif cell.column in formats and isinstance(value, int | float | datetime):
                cell.number_format = formats[cell.column]


@verb
def statement_xlsx(
    session: Session, actor: Actor, partner_id: int, month: str, locale: str = "ru"
) -> tuple[str, bytes]:
    """(file name, bytes) of the statement as an Excel workbook."""
    import pandas as pd  # here, not at the top: it adds 0.15 s to every start of the app

    st = commission_statement(session, actor, partner_id, month)
    loc = "en" if locale == "en" else "ru"
    money = spreadsheet.MONEY_FORMAT

    def h(key: str) -> str:
        return t(f"partner_statement.col.{key}", loc)

    lines = pd.DataFrame(
        {
            h("time"): pd.Series(
                [spreadsheet.moscow_naive(x.created_at) for x in st.lines], dtype="datetime64[us]"
            ),
            h("kind"): [t(f"partner_statement.kind.{x.kind}", loc) for x in st.lines],
            h("payment"): pd.Series([x.payment_id for x in st.lines], dtype="int64"),
            h("msisdn"): [_text(x.msisdn) for x in st.lines],
            h("contract"): [_text(x.contract_no) for x in st.lines],
            h("subscriber"): [_text(x.subscriber_name) for x in st.lines],
            h("payment_amount"): pd.Series([x.payment_kop / 100 for x in st.lines], dtype=float),
            h("rate"): pd.Series([x.rate_bp / 10000 for x in st.lines], dtype=float),
            h("commission"): pd.Series([x.amount_kop / 100 for x in st.lines], dtype=float),
        }
    )
    summary = pd.DataFrame(
        {
            h("item"): [
                h("partner"),
                h("code"),
                h("month"),
                h("lines"),
                h("accrued"),
                h("reversed"),
                h("total"),
            ],
            h("value"): [
                _text(st.partner_name),
                _text(st.partner_code),
                st.month,
                len(st.lines),
                st.accrued_kop / 100,
                st.reversed_kop / 100,
                st.total_kop / 100,
            ],
        }
    )
    out = io.BytesIO()
    summary_name = t("partner_statement.sheet.summary", loc)[:31]
    lines_name = t("partner_statement.sheet.lines", loc)[:31]
    with pd.ExcelWriter(out, engine="openpyxl", datetime_format=spreadsheet.TIME_FORMAT) as xl:
        summary.to_excel(xl, sheet_name=summary_name, index=False)
        lines.to_excel(xl, sheet_name=lines_name, index=False)
        sheet = xl.sheets[summary_name]
        _dress(sheet, {}, {1: 28, 2: 40})
        for row in range(6, 9):  # the amounts
            sheet.cell(row=row, column=2).number_format = money
        _dress(
            xl.sheets[lines_name],
            {1: spreadsheet.TIME_FORMAT, 7: money, 8: "0.00%", 9: money},
            {1: 17, 2: 14, 3: 10, 4: 15, 5: 14, 6: 30, 7: 14, 8: 10, 9: 14},
        )
    name = f"paysim-commission-{st.partner_code}-{st.month}.xlsx"
    return re.sub(r"[^\w.-]", "_", name), out.getvalue()
