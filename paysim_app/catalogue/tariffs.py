"""Admin: the tariff plans and the add-on services sold in the cabinet.

Create, edit, archive (no new sales; SIMs on it keep it), unarchive, delete (only what was never
used: otherwise the answer says to archive it). A change of a tariff's monthly fee applies from
the next billing period: it waits in `next_monthly_fee_kop` / `next_fee_period` (the month after
the current Moscow month) and the billing cycle charges and folds it in when that period comes
(billing.cycle.fee_for_period / promote_pending_fees). Every write is audited.

`tariff_rows_select()` and `addon_rows_select()` are the SELECTs of the admin lists (the generic
list machinery in core.listing filters, sorts and pages them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, or_, select, update
from sqlmodel import Session

from paysim_app.core import audit
from paysim_app.core.checks import (
    apply_changes,
    check_code,
    check_int,
    check_text,
    code_taken,
    set_flag,
)
from paysim_app.core.errors import DomainError, NotFound, ValidationError
from paysim_app.core.permissions import Actor, require
from paysim_app.core.unit_of_work import verb
from paysim_app.i18n.formats import moscow_date
from paysim_app.models import (
    ActivationRequest,
    AddonService,
    Sim,
    SimAddon,
    Tariff,
    TariffChangeRequest,
)
from paysim_app.models.base import utcnow
from paysim_app.models.policy import SimPolicy
from paysim_app.models.tariffs import ADDON_KINDS

MAX_FEE_KOP = 100_000_000  # 1 000 000 ₽: far above any plan, far below the INTEGER limit
MAX_DATA_GB = 100_000
MAX_SPEED_MBPS = 100_000
MAX_PERIOD_DAYS = 366
MAX_LIMITED_KBPS = 100_000
DEFAULT_LIMITED_KBPS = 128
MAX_PACK_GB = 10_000
# what each kind of add-on needs besides its price and period
KIND_PARAMS = {
    "data_pack": ("data_gb",),
    "night_unlimited": ("night_from_hour", "night_to_hour"),
    "speed_booster": ("speed_mbps",),
    "static_ip": (),
    "other": (),
}
PARAMS = ("data_gb", "night_from_hour", "night_to_hour", "speed_mbps")


def current_period(now: datetime | None = None) -> str:
    """The Moscow month of `now` as 'YYYY-MM' (the billing period it is in)."""
    return moscow_date(now or utcnow()).strftime("%Y-%m")


def next_period(now: datetime | None = None) -> str:
    year, month = map(int, current_period(now).split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


# --------------------------------------------------------------------------- tariffs
@dataclass(frozen=True)
class TariffView:
    id: int
    code: str
    name: str
    description: str
    monthly_fee_kop: int
    next_monthly_fee_kop: int | None  # a fee change waiting for its period
    next_fee_period: str | None  # 'YYYY-MM'
    data_gb: int | None  # None: unlimited
    speed_mbps: int
    is_public: bool
    is_archived: bool
    sims: int
    limited_speed_kbps: int  # once the allowance is used up
    created_at: datetime

    @property
    def planned_fee_kop(self) -> int:
        """The fee the admin set last: what an edit form shows (prefilling it with the current
        fee would make saving a name change cancel a waiting fee change)."""
        if self.next_monthly_fee_kop is not None:
            return self.next_monthly_fee_kop
        return self.monthly_fee_kop


def _sims_on_tariff():
    return (
        select(func.count(Sim.id))
        .where(Sim.tariff_id == Tariff.id)
        .correlate(Tariff)
        .scalar_subquery()
    )


def tariff_rows_select(actor: Actor | None = None) -> Select:
    """Every tariff with the number of SIMs on it; unfiltered, unsorted (for core.listing)."""
    return select(
        Tariff.id.label("id"),
        Tariff.code.label("code"),
        Tariff.name.label("name"),
        Tariff.monthly_fee_kop.label("monthly_fee_kop"),
        Tariff.next_monthly_fee_kop.label("next_monthly_fee_kop"),
        Tariff.next_fee_period.label("next_fee_period"),
        Tariff.data_gb.label("data_gb"),
        Tariff.speed_mbps.label("speed_mbps"),
        Tariff.limited_speed_kbps.label("limited_speed_kbps"),
        Tariff.is_public.label("is_public"),
        Tariff.is_archived.label("is_archived"),
        Tariff.created_at.label("created_at"),
        _sims_on_tariff().label("sims"),
    )


def _tariff_view(session: Session, tariff: Tariff) -> TariffView:
    sims = session.execute(
        select(func.count(Sim.id)).where(Sim.tariff_id == tariff.id)
    ).scalar_one()
    return TariffView(
        id=tariff.id,
        code=tariff.code,
        name=tariff.name,
        description=tariff.description,
        monthly_fee_kop=tariff.monthly_fee_kop,
        next_monthly_fee_kop=tariff.next_monthly_fee_kop,
        next_fee_period=tariff.next_fee_period,
        data_gb=tariff.data_gb,
        speed_mbps=tariff.speed_mbps,
        is_public=tariff.is_public,
        is_archived=tariff.is_archived,
        sims=sims,
        limited_speed_kbps=tariff.limited_speed_kbps,
        created_at=tariff.created_at,
    )


def _load_tariff(session: Session, tariff_id: object) -> Tariff:
    tariff = session.get(Tariff, tariff_id) if isinstance(tariff_id, int) else None
    if tariff is None:
        raise NotFound()
    return tariff


def _tariff_fields(
    name: object,
    description: object,
    monthly_fee_kop: object,
    data_gb: object,
    speed_mbps: object,
    is_public: object,
    limited_speed_kbps: object = DEFAULT_LIMITED_KBPS,
) -> dict:
    fields = {
        "name": check_text(name, "name", 120, required=True),
        "description": check_text(description, "description", 500),
        "monthly_fee_kop": check_int(
            monthly_fee_kop, "monthly_fee_kop", 0, MAX_FEE_KOP, "admin_catalogue.error.fee"
        ),
        "data_gb": None
        if data_gb is None
        else check_int(data_gb, "data_gb", 1, MAX_DATA_GB, "admin_catalogue.error.data_gb"),
        "speed_mbps": check_int(
            speed_mbps, "speed_mbps", 1, MAX_SPEED_MBPS, "admin_catalogue.error.speed"
        ),
        "is_public": bool(is_public),
        "limited_speed_kbps": check_int(
            limited_speed_kbps,
            "limited_speed_kbps",
            1,
            MAX_LIMITED_KBPS,
            "admin_catalogue.error.limited_speed",
        ),
    }
    if fields["limited_speed_kbps"] >= fields["speed_mbps"] * 1000:
        raise ValidationError(
            "admin_catalogue.error.limited_above_speed", field="limited_speed_kbps"
        )
    return fields


@verb
def get_tariff(session: Session, actor: Actor, tariff_id: int) -> TariffView:
    require(actor, "tariffs.view")
    return _tariff_view(session, _load_tariff(session, tariff_id))


@verb
def create_tariff(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    monthly_fee_kop: int,
    speed_mbps: int,
    data_gb: int | None = None,
    description: str = "",
    is_public: bool = True,
    limited_speed_kbps: int = DEFAULT_LIMITED_KBPS,
) -> TariffView:
    """A new tariff (on sale at once when public). data_gb None means unlimited."""
    require(actor, "tariffs.edit")
    code = check_code(code)
    fields = _tariff_fields(
        name, description, monthly_fee_kop, data_gb, speed_mbps, is_public, limited_speed_kbps
    )
    if code_taken(session, Tariff, code):
        raise ValidationError("admin_catalogue.error.code_taken", field="code")
    tariff = Tariff(code=code, **fields)
    session.add(tariff)
    session.flush()
    audit.record(
        session, actor, "tariff.create", "tariff", tariff.id, None, {"code": code, **fields}
    )
    return _tariff_view(session, tariff)


@verb
def update_tariff(
    session: Session,
    actor: Actor,
    tariff_id: int,
    *,
    name: str,
    monthly_fee_kop: int,
    speed_mbps: int,
    data_gb: int | None = None,
    description: str = "",
    is_public: bool = True,
    limited_speed_kbps: int = DEFAULT_LIMITED_KBPS,
) -> TariffView:
    """Name, description, quota, speed (and the reduced speed) and visibility change at once. A new monthly fee waits
    for the next period (the current one is billed at the old fee); setting the fee back to the
    current one cancels a waiting change. The code never changes (CSV files refer to it)."""
    require(actor, "tariffs.edit")
    tariff = _load_tariff(session, tariff_id)
    fields = _tariff_fields(
        name, description, monthly_fee_kop, data_gb, speed_mbps, is_public, limited_speed_kbps
    )
    fee = fields.pop("monthly_fee_kop")
    now_period = current_period()
    wanted = dict(fields)
    wanted["monthly_fee_kop"] = tariff.monthly_fee_kop
    if tariff.next_fee_period is not None and tariff.next_fee_period <= now_period:
        # a waiting fee whose period has begun is the fee now (billing folds it in the same way)
        wanted["monthly_fee_kop"] = tariff.next_monthly_fee_kop
    if fee == wanted["monthly_fee_kop"]:
        wanted["next_monthly_fee_kop"] = wanted["next_fee_period"] = None
    else:
        wanted["next_monthly_fee_kop"], wanted["next_fee_period"] = fee, next_period()
    network = (tariff.data_gb, tariff.speed_mbps, tariff.limited_speed_kbps)
    apply_changes(session, actor, tariff, wanted, "tariff.update", "tariff")
    if network != (tariff.data_gb, tariff.speed_mbps, tariff.limited_speed_kbps):
        # the SIMs on it get another speed or allowance: the billing cycle's hourly sweep
        # refreshes their network policy (sims.policy), not this request
        session.execute(
            update(SimPolicy)
            .where(SimPolicy.sim_id.in_(select(Sim.id).where(Sim.tariff_id == tariff.id)))
            .values(valid_until=utcnow())
            .execution_options(synchronize_session=False)
        )
    return _tariff_view(session, tariff)


@verb
def set_tariff_archived(
    session: Session, actor: Actor, tariff_id: int, archived: bool
) -> TariffView:
    """Archive (no new sales or changes to it; SIMs on it keep it) or bring back to sale."""
    require(actor, "tariffs.edit")
    tariff = _load_tariff(session, tariff_id)
    actions = ("tariff.archive", "tariff.unarchive")
    set_flag(session, actor, tariff, "is_archived", archived, actions, "tariff")
    return _tariff_view(session, tariff)


@verb
def archive_tariff(session: Session, actor: Actor, tariff_id: int) -> TariffView:
    return set_tariff_archived(session, actor, tariff_id, True)


@verb
def unarchive_tariff(session: Session, actor: Actor, tariff_id: int) -> TariffView:
    return set_tariff_archived(session, actor, tariff_id, False)


@verb
def delete_tariff(session: Session, actor: Actor, tariff_id: int) -> None:
    """Only a tariff no SIM, activation request or tariff-change request ever named (a SIM's
    fees in the ledger were charged while it was on a tariff, so a SIM on it keeps it too)."""
    require(actor, "tariffs.edit")
    tariff = _load_tariff(session, tariff_id)
    sims = session.execute(
        select(func.count(Sim.id)).where(Sim.tariff_id == tariff.id)
    ).scalar_one()
    requests = (
        session.execute(
            select(func.count(ActivationRequest.id)).where(ActivationRequest.tariff_id == tariff.id)
        ).scalar_one()
        + session.execute(
            select(func.count(TariffChangeRequest.id)).where(
                or_(
                    TariffChangeRequest.from_tariff_id == tariff.id,
                    TariffChangeRequest.to_tariff_id == tariff.id,
                )
            )
        ).scalar_one()
    )
    if sims or requests:
        raise DomainError("admin_catalogue.error.tariff_in_use", sims=sims, requests=requests)
    before = {
        "code": tariff.code,
        "name": tariff.name,
        "monthly_fee_kop": tariff.monthly_fee_kop,
        "is_archived": tariff.is_archived,
    }
    session.delete(tariff)
    session.flush()
    audit.record(session, actor, "tariff.delete", "tariff", tariff_id, before, None)


# --------------------------------------------------------------------------- add-on services
@dataclass(frozen=True)
class AddonView:
    id: int
    code: str
    name: str
    description: str
    price_kop: int
    period_days: int
    is_archived: bool
    active: int  # SIMs on which it is on now
    bought: int  # purchases and renewals ever
    created_at: datetime
    kind: str = "other"  # one of ADDON_KINDS
    data_gb: int | None = None  # data_pack
    night_from_hour: int | None = None  # night_unlimited, Moscow hours [from, to)
    night_to_hour: int | None = None
    speed_mbps: int | None = None  # speed_booster


def addon_rows_select(actor: Actor | None = None) -> Select:
    """Every add-on with how many SIMs have it on now; unfiltered, unsorted."""
    active = (
        select(func.count(SimAddon.id))
        .where(SimAddon.addon_id == AddonService.id, SimAddon.expires_at > utcnow())
        .correlate(AddonService)
        .scalar_subquery()
    )
    return select(
        AddonService.id.label("id"),
        AddonService.code.label("code"),
        AddonService.name.label("name"),
        AddonService.price_kop.label("price_kop"),
        AddonService.period_days.label("period_days"),
        AddonService.kind.label("kind"),
        AddonService.is_archived.label("is_archived"),
        AddonService.created_at.label("created_at"),
        active.label("active"),
    )


def _load_addon(session: Session, addon_id: object) -> AddonService:
    addon = session.get(AddonService, addon_id) if isinstance(addon_id, int) else None
    if addon is None:
        raise NotFound()
    return addon


def _addon_view(session: Session, addon: AddonService) -> AddonView:
    bought, active = session.execute(
        select(
            func.count(SimAddon.id),
            func.coalesce(func.sum(case((SimAddon.expires_at > utcnow(), 1), else_=0)), 0),
        ).where(SimAddon.addon_id == addon.id)
    ).one()
    return AddonView(
        id=addon.id,
        code=addon.code,
        name=addon.name,
        description=addon.description,
        price_kop=addon.price_kop,
        period_days=addon.period_days,
        is_archived=addon.is_archived,
        active=int(active),
        bought=bought,
        created_at=addon.created_at,
        kind=addon.kind,
        data_gb=addon.data_gb,
        night_from_hour=addon.night_from_hour,
        night_to_hour=addon.night_to_hour,
        speed_mbps=addon.speed_mbps,
    )


def _kind_fields(kind: object, params: dict) -> dict:
    """The kind and exactly the parameters it needs (the others None), each checked."""
    if kind not in ADDON_KINDS:
        raise ValidationError("admin_catalogue.error.kind", field="kind")
    out: dict = {"kind": kind, **dict.fromkeys(PARAMS)}
    needed = KIND_PARAMS[kind]
    if "data_gb" in needed:
        out["data_gb"] = check_int(
            params.get("data_gb"), "data_gb", 1, MAX_PACK_GB, "admin_catalogue.error.pack_gb"
        )
    if "night_from_hour" in needed:
        for name in ("night_from_hour", "night_to_hour"):
            out[name] = check_int(params.get(name), name, 0, 23, "admin_catalogue.error.hour")
        if out["night_from_hour"] == out["night_to_hour"]:
            raise ValidationError("admin_catalogue.error.night_empty", field="night_to_hour")
    if "speed_mbps" in needed:
        out["speed_mbps"] = check_int(
            params.get("speed_mbps"), "speed_mbps", 1, MAX_SPEED_MBPS, "admin_catalogue.error.speed"
        )
    return out


def _addon_fields(name: object, description: object, price_kop: object, period_days: object):
    return {
        "name": check_text(name, "name", 120, required=True),
        "description": check_text(description, "description", 500),
        "price_kop": check_int(price_kop, "price_kop", 0, MAX_FEE_KOP, "admin_catalogue.error.fee"),
        "period_days": check_int(
            period_days, "period_days", 1, MAX_PERIOD_DAYS, "admin_catalogue.error.period_days"
        ),
    }


@verb
def get_addon(session: Session, actor: Actor, addon_id: int) -> AddonView:
    require(actor, "tariffs.view")
    return _addon_view(session, _load_addon(session, addon_id))


@verb
def create_addon(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    price_kop: int,
    period_days: int = 30,
    description: str = "",
    kind: str = "other",
    data_gb: int | None = None,
    night_from_hour: int | None = None,
    night_to_hour: int | None = None,
    speed_mbps: int | None = None,
) -> AddonView:
    """A new add-on of a kind with the parameters the kind needs (data_pack: data_gb;
    night_unlimited: night_from_hour and night_to_hour, Moscow hours, [from, to) may cross
    midnight; speed_booster: speed_mbps; static_ip and other: none); the others are ignored."""
    require(actor, "tariffs.edit")
    code = check_code(code)
    fields = _addon_fields(name, description, price_kop, period_days)
    fields.update(
        _kind_fields(
            kind,
            {
                "data_gb": data_gb,
                "night_from_hour": night_from_hour,
                "night_to_hour": night_to_hour,
                "speed_mbps": speed_mbps,
            },
        )
    )
    if code_taken(session, AddonService, code):
        raise ValidationError("admin_catalogue.error.code_taken", field="code")
    addon = AddonService(code=code, **fields)
    session.add(addon)
    session.flush()
    audit.record(session, actor, "addon.create", "addon", addon.id, None, {"code": code, **fields})
    return _addon_view(session, addon)


@verb
def update_addon(
    session: Session,
    actor: Actor,
    addon_id: int,
    *,
    name: str,
    price_kop: int,
    period_days: int = 30,
    description: str = "",
    kind: str | None = None,
    data_gb: int | None = None,
    night_from_hour: int | None = None,
    night_to_hour: int | None = None,
    speed_mbps: int | None = None,
) -> AddonView:
    """Everything changes at once: a new price applies to the next purchase or renewal (what
    was paid for runs its course). The kind (None: unchanged) changes only while the add-on was
    never bought (a static IP's addresses, a pack's gigabytes are bought by kind); its
    parameters may change (the next allowance computed uses them)."""
    require(actor, "tariffs.edit")
    addon = _load_addon(session, addon_id)
    wanted = _addon_fields(name, description, price_kop, period_days)
    kind = addon.kind if kind is None else kind
    given = {
        "data_gb": data_gb,
        "night_from_hour": night_from_hour,
        "night_to_hour": night_to_hour,
        "speed_mbps": speed_mbps,
    }
    # a parameter left out keeps its value
    wanted.update(
        _kind_fields(kind, {k: getattr(addon, k) if v is None else v for k, v in given.items()})
    )
    if kind != addon.kind:
        bought = session.execute(
            select(func.count(SimAddon.id)).where(SimAddon.addon_id == addon.id)
        ).scalar_one()
        if bought:
            raise ValidationError("admin_catalogue.error.kind_in_use", field="kind")
    apply_changes(session, actor, addon, wanted, "addon.update", "addon")
    return _addon_view(session, addon)


@verb
def set_addon_archived(session: Session, actor: Actor, addon_id: int, archived: bool) -> AddonView:
    """Archive (no longer sold or renewed: catalogue.addons lets it lapse) or bring it back."""
    require(actor, "tariffs.edit")
    addon = _load_addon(session, addon_id)
    actions = ("addon.archive", "addon.unarchive")
    set_flag(session, actor, addon, "is_archived", archived, actions, "addon")
    return _addon_view(session, addon)


@verb
def archive_addon(session: Session, actor: Actor, addon_id: int) -> AddonView:
    return set_addon_archived(session, actor, addon_id, True)


@verb
def unarchive_addon(session: Session, actor: Actor, addon_id: int) -> AddonView:
    return set_addon_archived(session, actor, addon_id, False)


@verb
def delete_addon(session: Session, actor: Actor, addon_id: int) -> None:
    """Only an add-on never bought (a purchase is a SIM's history and a ledger entry)."""
    require(actor, "tariffs.edit")
    addon = _load_addon(session, addon_id)
    bought = session.execute(
        select(func.count(SimAddon.id)).where(SimAddon.addon_id == addon.id)
    ).scalar_one()
    if bought:
        raise DomainError("admin_catalogue.error.addon_in_use", count=bought)
    before = {"code": addon.code, "name": addon.name, "price_kop": addon.price_kop}
    session.delete(addon)
    session.flush()
    audit.record(session, actor, "addon.delete", "addon", addon_id, before, None)
