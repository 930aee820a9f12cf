"""The subscriber's data usage as a list: one row per SIM per Moscow day, from `usage_day` (the
table the dashboard's charts read), over the one list machinery (core.listing): filters, the
advanced search, sorting, pages, the list in the address and the CSV / Excel export.

Only the signed-in subscriber's own SIMs: the SELECT is scoped by the actor's subscriber id, so
a SIM filter, a number or an advanced condition can only narrow it (another contract's SIM id
finds nothing). Sizes are bytes in the rows; the page shows them in MB / GB, the export and the
total filter speak whole megabytes (decimal, as the meters count).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String, cast, literal, or_, select

from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import (
    ExportColumn,
    FilterDef,
    ListSpec,
    SearchField,
    contains,
    digits,
    id_filter,
    phone_part,
)
from paysim_app.core.permissions import Actor, require_role
from paysim_app.models import Sim
from paysim_app.models.usage import UsageDay

MB = 10**6

_DAY = UsageDay.__table__.c
DAY = _DAY.day
SIM_ID = _DAY.sim_id
DOWN = _DAY.bytes_down
UP = _DAY.bytes_up
TOTAL = _DAY.bytes_down + _DAY.bytes_up


def _mb(column):
    """Whole megabytes, rounded half up (integers: the same in SQLite and PostgreSQL)."""
    return (column + MB // 2) // MB


TOTAL_MB = _mb(TOTAL)
# unique per row: a SIM has one row per day (the primary key (sim_id, day))
KEY = cast(SIM_ID, String) + literal("-") + cast(DAY, String)


def _own_days(actor: Actor):
    """The rows of the subscriber's own SIMs only (whatever filter or condition follows)."""
    owner = require_role(actor, "subscriber").subscriber_id
    return (
        select(
            KEY.label("id"),
            DAY.label("day"),
            SIM_ID.label("sim_id"),
            Sim.msisdn.label("msisdn"),
            Sim.label.label("sim_label"),
            DOWN.label("bytes_down"),
            UP.label("bytes_up"),
            TOTAL.label("bytes_total"),
            _mb(DOWN).label("down_mb"),
            _mb(UP).label("up_mb"),
            TOTAL_MB.label("total_mb"),
        )
        .select_from(UsageDay.__table__)
        .join(Sim, Sim.id == SIM_ID)
        .where(Sim.subscriber_id == owner)
    )


def _search_days(stmt, text: str):
    """Any part of the SIM's number (a phone's +7 / 8 ignored) or of the name given to it."""
    found = [contains(Sim.label, text)]
    if digits(text):
        found.append(Sim.msisdn.like(f"%{phone_part(text)}%"))
    return stmt.where(or_(*found))


def _check_ranges(values: Mapping[str, Any]) -> None:
    """A period or a size range the wrong way round is refused, not shown as empty."""
    if "date_from" in values and "date_to" in values and values["date_from"] > values["date_to"]:
        raise ValidationError("usage_list.error.dates", field="date_to")
    low, high = values.get("total_min"), values.get("total_max")
    if low is not None and high is not None and low > high:
        raise ValidationError("usage_list.error.sizes", field="total_max")


USAGE_LIST = ListSpec(
    name="usage",
    permission="subscriber",
    columns=_own_days,
    sorts={"day": DAY, "total": TOTAL},
    default_sort="day",
    key=KEY,
    filters=(
        FilterDef("sim", id_filter(SIM_ID), "int"),
        FilterDef("date_from", lambda s, v: s.where(DAY >= v), "date"),
        FilterDef("date_to", lambda s, v: s.where(DAY <= v), "date"),
        # whole megabytes as the page shows them, both inclusive
        FilterDef("total_min", lambda s, v: s.where(TOTAL_MB >= v), "int"),
        FilterDef("total_max", lambda s, v: s.where(TOTAL_MB <= v), "int"),
    ),
    search=_search_days,
    authorize=lambda actor: require_role(actor, "subscriber"),
    validate=_check_ranges,
    export=(
        ExportColumn("day", "usage_list.col.day"),
        ExportColumn("msisdn", "usage_list.col.sim"),
        ExportColumn("down_mb", "usage_list.col.down_mb"),
        ExportColumn("up_mb", "usage_list.col.up_mb"),
        ExportColumn("total_mb", "usage_list.col.total_mb"),
    ),
    fields=(
        SearchField("day", DAY, "date", "usage_list.col.day"),
        SearchField("msisdn", Sim.msisdn, "text", "usage_list.col.sim"),
        SearchField("down_mb", _mb(DOWN), "number", "usage_list.col.down_mb"),
        SearchField("up_mb", _mb(UP), "number", "usage_list.col.up_mb"),
        SearchField("total_mb", TOTAL_MB, "number", "usage_list.col.total_mb"),
    ),
)

__all__ = ["MB", "USAGE_LIST"]
