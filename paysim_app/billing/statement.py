"""The payment history of a contract or a SIM, line by line with the running balance.

One list merges two sources: ledger entries (every change of a balance: top-ups, monthly fees,
refunds, corrections, add-ons — each with the balance after it) and payments that moved no
money (declined or still pending, with the decline reason). Filtering, search, sorting and
paging happen in SQL; a page holds at most 100 rows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from itertools import islice
from types import SimpleNamespace

from sqlalchemy import String, case, cast, func, literal, literal_column, or_, select, union_all
from sqlmodel import Session

from paysim_app.core import export, spreadsheet
from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import (
    FilterDef,
    ListQuery,
    ListSpec,
    SearchField,
    contains,
    date_range,
    digits,
    export_rows,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor, owned_sim, require_role
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n import t
from paysim_app.i18n.formats import money, moscow_day_range, moscow_time, phone
from paysim_app.models import LedgerEntry, Payment, Sim

METHODS = ("card", "autopay", "partner", "correction", "fee", "addon", "refund")
STATUSES = (
    "succeeded",
    "failed",
    "pending",
    "partly_refunded",
    "refunded",
    "expired",
    # an autopay charge waiting for the subscriber's 3-D Secure (billing.confirmations)
    "requires_action",
    # its card holder's bank disputes it (billing.disputes)
    "disputed",
    "dispute_won",
    "dispute_lost",
)
MAX_PAGE = 100
MAX_EXPORT = 50_000


@dataclass(frozen=True)
class StatementFilter:
    sim_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    method: str = ""
    amount_min_kop: int | None = None
    amount_max_kop: int | None = None
    search: str = ""


@dataclass(frozen=True)
class StatementRow:
    key: str  # L<ledger id> or P<payment id>
    created_at: datetime
    sim_id: int
    msisdn: str
    kind: str  # topup | monthly_fee | refund | adjustment | addon | payment
    method: str  # one of METHODS
    status: str  # one of STATUSES
    amount_kop: int  # signed: what it did to the balance (declined payments: the amount tried)
    balance_after_kop: int | None
    decline_code: str | None
    card_label: str
    comment: str
    fee_period: str | None
    payment_id: int | None
    payment_amount_kop: int | None = None  # the line's payment: what came in
    refunded_kop: int = 0  # and what of it has been given back


def _lines(sims=None):
    """Both sources as one selectable with the same columns; `sims` (a subquery of SIM ids)
    narrows each source inside the union, where its sim_id index serves it."""
    method_of_entry = case(
        (LedgerEntry.kind == "monthly_fee", literal("fee")),
        (LedgerEntry.kind == "addon", literal("addon")),
        (LedgerEntry.kind == "refund", literal("refund")),
        (LedgerEntry.kind == "adjustment", literal("correction")),
        else_=func.coalesce(Payment.method, literal("correction")),
    )
    status_of_entry = case(
        (Payment.dispute == "open", literal("disputed")),
        (Payment.dispute == "won", literal("dispute_won")),
        (Payment.dispute == "lost", literal("dispute_lost")),
        (Payment.status == "refunded", literal("refunded")),
        (Payment.refunded_kop > 0, literal("partly_refunded")),
        else_=literal("succeeded"),
    )
    entries = (
        select(
            (literal("L") + cast(LedgerEntry.id, String)).label("key"),
            LedgerEntry.id.label("sort_id"),
            LedgerEntry.created_at.label("created_at"),
            LedgerEntry.sim_id.label("sim_id"),
            LedgerEntry.kind.label("kind"),
            method_of_entry.label("method"),
            status_of_entry.label("status"),
            LedgerEntry.amount_kop.label("amount_kop"),
            LedgerEntry.balance_after_kop.label("balance_after_kop"),
            literal(None, String).label("decline_code"),
            func.coalesce(Payment.card_brand, literal("")).label("card_brand"),
            func.coalesce(Payment.card_last4, literal("")).label("card_last4"),
            LedgerEntry.comment.label("comment"),
            LedgerEntry.fee_period.label("fee_period"),
            LedgerEntry.payment_id.label("payment_id"),
            Payment.amount_kop.label("payment_amount_kop"),
            func.coalesce(Payment.refunded_kop, literal(0)).label("refunded_kop"),
        )
        .select_from(LedgerEntry)
        .join(Payment, Payment.id == LedgerEntry.payment_id, isouter=True)
    )
    if sims is not None:
        entries = entries.where(LedgerEntry.sim_id.in_(sims))
    unsettled = select(
        (literal("P") + cast(Payment.id, String)).label("key"),
        Payment.id.label("sort_id"),
        Payment.created_at.label("created_at"),
        Payment.sim_id.label("sim_id"),
        literal("payment").label("kind"),
        Payment.method.label("method"),
        Payment.status.label("status"),
        Payment.amount_kop.label("amount_kop"),
        literal(None).label("balance_after_kop"),
        Payment.decline_code.label("decline_code"),
        Payment.card_brand.label("card_brand"),
        Payment.card_last4.label("card_last4"),
        literal("").label("comment"),
        literal(None, String).label("fee_period"),
        Payment.id.label("payment_id"),
        Payment.amount_kop.label("payment_amount_kop"),
        Payment.refunded_kop.label("refunded_kop"),
    ).where(Payment.status.in_(("failed", "pending", "expired", "requires_action")))
    if sims is not None:
        unsettled = unsettled.where(Payment.sim_id.in_(sims))
    return union_all(entries, unsettled).subquery("line")


# -- the cabinet's list: the same lines as a ListSpec ------------------------------------------
class _Line:
    """The columns of the union `line` by name. The list's SELECT builds the union for each
    actor with the owner's SIMs inside both sources (PostgreSQL does not push a condition on
    the union's sim_id into them: it would read the whole ledger for every page); filters,
    sorts and conditions name its columns as line.<name>, typed as in the union."""

    def __init__(self) -> None:
        for col in _lines().c:
            setattr(self, col.name, literal_column(f"line.{col.name}", col.type))


_LINE = _Line()


def _own_lines(actor: Actor):
    """The subscriber's own lines: those of its contract's SIMs (a SIM filter or an advanced
    condition can only narrow them; another contract's SIM id finds nothing)."""
    owner = require_role(actor, "subscriber").subscriber_id
    line = _lines(select(Sim.id).where(Sim.subscriber_id == owner).scalar_subquery())
    return (
        select(line, line.c.key.label("id"), Sim.msisdn.label("msisdn"))
        .select_from(line)
        .join(Sim, Sim.id == line.c.sim_id)
    )


def _search_lines(stmt, text: str):
    """A comment or a fee's period (any part), the card's last four digits or any part of the
    number (a phone's +7 / 8 ignored)."""
    d = digits(text)
    found = [contains(_LINE.comment, text), contains(_LINE.fee_period, text)]
    if d:
        found += [_LINE.card_last4 == d[-4:], Sim.msisdn.like(f"%{phone_part(text)}%")]
    return stmt.where(or_(*found))


def _check_ranges(values) -> None:
    """A period or an amount range the wrong way round is refused, not shown as empty."""
    if "date_from" in values and "date_to" in values and values["date_from"] > values["date_to"]:
        raise ValidationError("statement.error.dates", field="date_to")
    low, high = values.get("amount_min"), values.get("amount_max")
    if low is not None and high is not None and low > high:
        raise ValidationError("statement.error.amounts", field="amount_max")


STATEMENT_LIST = ListSpec(
    name="statement",
    permission="subscriber",
    columns=_own_lines,
    sorts={"created_at": _LINE.created_at, "amount": _LINE.amount_kop},
    default_sort="created_at",
    key=_LINE.key,
    filters=(
        FilterDef("sim", id_filter(_LINE.sim_id), "int"),
        *date_range(_LINE.created_at, "date_from", "date_to"),
        FilterDef("status", lambda s, v: s.where(_LINE.status == v), "choice", STATUSES),
        FilterDef("method", lambda s, v: s.where(_LINE.method == v), "choice", METHODS),
        # a line's size, whichever way it moved the balance
        FilterDef("amount_min", lambda s, v: s.where(func.abs(_LINE.amount_kop) >= v), "amount"),
        FilterDef("amount_max", lambda s, v: s.where(func.abs(_LINE.amount_kop) <= v), "amount"),
    ),
    search=_search_lines,
    authorize=lambda actor: require_role(actor, "subscriber"),
    validate=_check_ranges,
    fields=(
        SearchField("created_at", _LINE.created_at, "date", "statement.col.date"),
        SearchField("msisdn", Sim.msisdn, "text", "statement.col.sim"),
        SearchField(
            "method", _LINE.method, "choice", "statement.method", METHODS, "statement.method."
        ),
        SearchField("comment", _LINE.comment, "text", "own_lists.statement.comment"),
        SearchField("card_last4", _LINE.card_last4, "text", "own_lists.statement.card"),
        SearchField("fee_period", _LINE.fee_period, "text", "own_lists.statement.period"),
        SearchField("amount", _LINE.amount_kop, "money", "statement.col.amount"),
        SearchField(
            "status",
            _LINE.status,
            "choice",
            "statement.col.status",
            STATUSES,
            "statement.status.",
        ),
        SearchField("decline_code", _LINE.decline_code, "text", "statement.col.reason"),
        SearchField("balance", _LINE.balance_after_kop, "money", "statement.col.balance"),
    ),
)


def row_of(values) -> StatementRow:
    """A line of STATEMENT_LIST (a row mapping of fetch_page or export_rows) as a StatementRow."""
    return _row(SimpleNamespace(**values))


def _query(session: Session, sim_ids: list[int], f: StatementFilter):
    line = _lines()
    q = (
        select(line, Sim.msisdn)
        .join(Sim, Sim.id == line.c.sim_id)
        .where(line.c.sim_id.in_(sim_ids))
    )
    if f.date_from:
        q = q.where(line.c.created_at >= moscow_day_range(f.date_from)[0])
    if f.date_to:
        q = q.where(line.c.created_at < moscow_day_range(f.date_to)[1])
    if f.status:
        q = q.where(line.c.status == f.status)
    if f.method:
        q = q.where(line.c.method == f.method)
    if f.amount_min_kop is not None:
        q = q.where(func.abs(line.c.amount_kop) >= f.amount_min_kop)
    if f.amount_max_kop is not None:
        q = q.where(func.abs(line.c.amount_kop) <= f.amount_max_kop)
    text = f.search.strip()
    if text:
        digits = re.sub(r"\D", "", text)
        like = f"%{text.lower()}%"
        conditions = [func.lower(line.c.comment).like(like), line.c.fee_period.like(f"%{text}%")]
        if digits:
            conditions += [
                line.c.card_last4 == digits[-4:],
                Sim.msisdn.like(f"%{digits[-10:] if len(digits) > 10 else digits}%"),
            ]
        q = q.where(or_(*conditions))
    return q, line


def _check(f: StatementFilter) -> None:
    if f.status and f.status not in STATUSES:
        raise ValidationError("error.invalid", field="status")
    if f.method and f.method not in METHODS:
        raise ValidationError("error.invalid", field="method")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationError("statement.error.dates", field="date_to")
    if (
        f.amount_min_kop is not None
        and f.amount_max_kop is not None
        and f.amount_min_kop > f.amount_max_kop
    ):
        raise ValidationError("statement.error.amounts", field="amount_max")
    if len(f.search) > 100:
        raise ValidationError("error.invalid", field="search")


def _scope(session: Session, actor: Actor, f: StatementFilter) -> list[int]:
    """The SIMs whose lines the actor may read: one SIM, or the subscriber's whole contract."""
    if f.sim_id is not None:
        return [owned_sim(session, actor, f.sim_id, admin_permission="payments.view").id]
    require_role(actor, "subscriber")
    if actor.subscriber_id is None:
        return []
    return list(
        session.execute(select(Sim.id).where(Sim.subscriber_id == actor.subscriber_id)).scalars()
    )


def _row(r) -> StatementRow:
    return StatementRow(
        key=r.key,
        created_at=r.created_at,
        sim_id=r.sim_id,
        msisdn=r.msisdn,
        kind=r.kind,
        method=r.method,
        status=r.status,
        amount_kop=r.amount_kop,
        balance_after_kop=r.balance_after_kop,
        decline_code=r.decline_code,
        card_label=f"{r.card_brand.capitalize()} •••• {r.card_last4}".strip()
        if r.card_last4
        else "",
        comment=r.comment or "",
        fee_period=r.fee_period,
        payment_id=r.payment_id,
        payment_amount_kop=r.payment_amount_kop,
        refunded_kop=r.refunded_kop or 0,
    )


@verb
def statement(
    session: Session, actor: Actor, f: StatementFilter, page: int = 1, page_size: int = 20
) -> tuple[list[StatementRow], int]:
    """One page of lines, newest first, and how many lines match in all."""
    _check(f)
    page_size = max(1, min(int(page_size), MAX_PAGE))
    page = max(1, int(page))
    sim_ids = _scope(session, actor, f)
    if not sim_ids:
        return [], 0
    q, line = _query(session, sim_ids, f)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(
        q.order_by(line.c.created_at.desc(), line.c.sort_id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return [_row(r) for r in rows], total


def describe(row: StatementRow, locale: str) -> str:
    """'Top-up by card visa •••• 4242', 'Monthly fee for 2026-11', ...; the lines of a payment
    given back in part say how much: '… · refunded 150,00 ₽ of 500,00 ₽'."""
    if row.kind == "monthly_fee":
        return t("statement.kind.monthly_fee", locale, period=row.fee_period or "")
    if row.kind in ("refund", "adjustment", "addon"):
        text = t(f"statement.kind.{row.kind}", locale)
        text = f"{text}: {row.comment}" if row.comment else text
    else:
        text = f"{t(f'statement.method.{row.method}', locale)} {row.card_label}".strip()
    if row.status == "partly_refunded" and row.payment_amount_kop:
        text += " · " + refunded_of(row.refunded_kop, row.payment_amount_kop, locale)
    return text


def refunded_of(refunded_kop: int, amount_kop: int, locale: str) -> str:
    """'refunded 150,00 ₽ of 500,00 ₽'."""
    return t(
        "statement.refunded_of",
        locale,
        refunded=money(refunded_kop, locale),
        amount=money(amount_kop, locale),
    )


_EXPORT_COLUMNS = ("date", "sim", "operation", "amount", "status", "reason", "balance")


def _export_lines(
    session: Session, actor: Actor, f: StatementFilter | ListQuery, file_format: str
) -> list[StatementRow]:
    """The lines of an export (newest first, MAX_EXPORT at most), audited with the format. A
    ListQuery is the cabinet list's (STATEMENT_LIST: its filters, search, conditions, order)."""
    if isinstance(f, ListQuery):
        rows = [
            row_of(r) for r in islice(export_rows(session, actor, STATEMENT_LIST, f), MAX_EXPORT)
        ]
        export.audit_export(
            session,
            actor,
            "statement",
            filters={
                **dict(f.filters or {}),
                **{f"{c.field}.{c.op}": c.value or "1" for c in f.conditions},
            },
            search=f.search.strip() if isinstance(f.search, str) else "",
            sort=f.sort or STATEMENT_LIST.default_sort,
            descending=f.descending,
            rows=len(rows),
            file_format=file_format,
        )
        return rows
    _check(f)
    sim_ids = _scope(session, actor, f)
    rows = []
    if sim_ids:
        q, line = _query(session, sim_ids, f)
        rows = session.execute(
            q.order_by(line.c.created_at.desc(), line.c.sort_id.desc()).limit(MAX_EXPORT)
        ).all()
    export.audit_export(
        session,
        actor,
        "statement",
        filters={k: v for k, v in asdict(f).items() if k != "search"},
        search=f.search.strip(),
        sort="created_at",
        rows=len(rows),
        file_format=file_format,
    )
    return [_row(r) for r in rows]


@verb
def statement_xlsx(
    session: Session, actor: Actor, f: StatementFilter | ListQuery, locale: str
) -> bytes:
    """The same lines as statement_csv as an .xlsx workbook: times as Moscow date-times,
    amounts and balances as roubles (core.spreadsheet)."""
    kinds = {"date": "time", "amount": "money", "balance": "money"}
    columns = [
        spreadsheet.Column(t(f"statement.col.{c}", locale), kinds.get(c, "text"))
        for c in _EXPORT_COLUMNS
    ]
    writer = spreadsheet.SheetWriter(t("statement.title", locale), columns)
    for r in _export_lines(session, actor, f, "xlsx"):
        writer.add(
            [
                r.created_at,
                phone(r.msisdn),
                describe(r, locale),
                r.amount_kop,
                t(f"statement.status.{r.status}", locale),
                t(f"decline.{r.decline_code}", locale) if r.decline_code else "",
                r.balance_after_kop,
            ]
        )
    with writer.save() as fh:
        return fh.read()


@verb
def statement_csv(
    session: Session, actor: Actor, f: StatementFilter | ListQuery, locale: str
) -> str:
    header = [t(f"statement.col.{c}", locale) for c in _EXPORT_COLUMNS]
    out = []
    for r in _export_lines(session, actor, f, "csv"):
        out.append(
            [
                moscow_time(r.created_at),
                phone(r.msisdn),
                describe(r, locale),
                export.amount(r.amount_kop, locale),
                t(f"statement.status.{r.status}", locale),
                t(f"decline.{r.decline_code}", locale) if r.decline_code else "",
                export.amount(r.balance_after_kop, locale),
            ]
        )
    return export.to_csv(header, out, locale)


__all__ = [
    "STATEMENT_LIST",
    "StatementFilter",
    "StatementRow",
    "describe",
    "refunded_of",
    "row_of",
    "statement",
    "statement_csv",
    "statement_xlsx",
]
