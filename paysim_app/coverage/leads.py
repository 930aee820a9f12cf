"""'No coverage yet': a visitor leaves a contact so that the operator counts demand by place and
can tell them when the network comes; the admin's report of that demand by settlement.

What is kept (152-FZ: only what the purpose needs, with the visitor's consent): the phone number
or the e-mail address, an optional name, the place (a settlement of the list, or the place as
typed, with the point when it was checked by coordinates) and the time. The visitor's address
is not stored: it only keys the limit on abuse (`coverage_lead.ip`, counters that lapse). The same
contact for the same place again is not a second lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, case, cast, func, literal, select
from sqlmodel import Session

from paysim_app.core import rate_limits
from paysim_app.core.errors import ValidationError
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, contains
from paysim_app.core.logins import parse_login
from paysim_app.core.unit_of_work import verb
from paysim_app.coverage.places import _settlement, coordinate
from paysim_app.models import CoverageRegion, DemandLead, Settlement

MAX_NAME = 80
MAX_PLACE = 200


@dataclass(frozen=True)
class LeadReceipt:
    id: int
    place: str
    repeated: bool  # the same contact had already asked for this place


def _text(raw: object, field: str, max_len: int) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError("error.invalid", field=field)
    text = " ".join(raw.split())
    if len(text) > max_len:
        raise ValidationError("coverage.error.too_long", field=field, max=max_len)
    return text


@verb
def leave_contact(
    session: Session,
    *,
    contact: object,
    settlement_id: object = None,
    place: object = "",
    lat: object = None,
    lon: object = None,
    name: object = "",
    consent: object = False,
    ip: str = "",
) -> LeadReceipt:
    """Count a visitor's wish for coverage at a place. `contact` is a phone number (+7) or an
    e-mail address; the place is a settlement of the list or typed text (with the point, if the
    visitor checked coordinates). Public; limited per address and per contact."""
    if consent is not True:
        raise ValidationError("coverage.error.consent", field="consent")
    kind, value = parse_login(contact if isinstance(contact, str) else "", field="contact")
    who = _text(name, "name", MAX_NAME)
    typed = _text(place, "place", MAX_PLACE)
    settlement = None
    if settlement_id not in (None, "", 0):
        settlement = _settlement(session, settlement_id)
        typed = ""
    la = lo = None
    if lat not in (None, "") or lon not in (None, ""):
        la = coordinate(lat, "lat", -90.0, 90.0)
        lo = coordinate(lon, "lon", -180.0, 180.0)
    if settlement is None and not typed:
        if la is None:
            raise ValidationError("coverage.error.place", field="place")
        typed = f"{la:.4f}, {lo:.4f}"
    rate_limits.hit(session, "coverage_lead.ip", ip)
    rate_limits.hit(session, "coverage_lead.contact", value)
    column = DemandLead.phone if kind == "phone" else DemandLead.email
    same = select(DemandLead.id).where(column == value)
    same = same.where(
        DemandLead.settlement_id == settlement.id
        if settlement
        else (DemandLead.settlement_id.is_(None) & (DemandLead.place == typed))
    )
    known = session.execute(same.limit(1)).scalar()
    shown = settlement.name if settlement else typed
    if known is not None:
        return LeadReceipt(known, shown, True)
    lead = DemandLead(
        settlement_id=settlement.id if settlement else None,
        place=typed,
        lat=la,
        lon=lo,
        name=who,
        phone=value if kind == "phone" else None,
        email=value if kind == "email" else None,
    )
    session.add(lead)
    session.flush()
    return LeadReceipt(lead.id, shown, False)


# ------------------------------------------------------------------------- the demand report
# one row per place: a settlement of the list, or a place as visitors typed it
_KEY = case(
    (
        DemandLead.settlement_id.is_not(None),
        literal("s") + cast(DemandLead.settlement_id, String),
    ),
    else_=literal("p:") + DemandLead.place,
)
_DEMAND = (
    select(
        _KEY.label("key"),
        DemandLead.settlement_id.label("settlement_id"),
        func.max(DemandLead.place).label("place"),
        func.count(DemandLead.id).label("leads"),
        func.max(DemandLead.created_at).label("last_at"),
        func.min(DemandLead.created_at).label("first_at"),
    )
    .group_by(_KEY, DemandLead.settlement_id)
    .subquery("demand")
)
DEMAND = _DEMAND.c
_NAME = func.coalesce(Settlement.name, DEMAND.place)


def demand_rows_select(actor=None):
    """Per place: the number of leads, the first and the newest (for core.listing)."""
    return (
        select(
            DEMAND.key.label("key"),
            DEMAND.settlement_id.label("settlement_id"),
            _NAME.label("name"),
            Settlement.kind.label("kind"),
            Settlement.quality.label("quality"),
            CoverageRegion.name.label("region"),
            DEMAND.leads.label("leads"),
            DEMAND.first_at.label("first_at"),
            DEMAND.last_at.label("last_at"),
        )
        .select_from(_DEMAND)
        .outerjoin(Settlement, Settlement.id == DEMAND.settlement_id)
        .outerjoin(CoverageRegion, CoverageRegion.id == Settlement.region_id)
    )


def _demand_region(stmt, value: int):
    return stmt.where(Settlement.region_id == value)


DEMAND_LIST = ListSpec(
    name="coverage_demand",
    permission="coverage.view",
    columns=demand_rows_select,
    sorts={"last_at": DEMAND.last_at, "leads": DEMAND.leads, "name": _NAME},
    default_sort="last_at",
    key=DEMAND.key,
    filters=(FilterDef("region", _demand_region, "int"),),
    search=lambda stmt, text: stmt.where(contains(_NAME, text)),
    export=(
        ExportColumn("name", "coverage_admin.col.settlement"),
        ExportColumn("region", "coverage_admin.col.region"),
        ExportColumn("quality", "coverage_admin.col.quality", "word", "coverage.quality."),
        ExportColumn("leads", "coverage_admin.col.leads"),
        ExportColumn("first_at", "coverage_admin.col.first_at", "time"),
        ExportColumn("last_at", "coverage_admin.col.last_at", "time"),
    ),
)
