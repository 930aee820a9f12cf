"""What a visitor sees without signing in: the tariffs on sale and the add-on services.

`public_catalogue()` lists the ACTIVE tariffs (public and not archived: the ones a new SIM can
be ordered on) by monthly fee, and the add-ons that are still sold, by kind and price. No actor:
everything here is the operator's public offer. At most `MAX_ROWS` of each (a page's state
holds no more).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from paysim_app.core.unit_of_work import verb
from paysim_app.models import AddonService, Tariff
from paysim_app.models.tariffs import ADDON_KINDS

MAX_ROWS = 100


@dataclass(frozen=True)
class PublicTariff:
    id: int
    name: str
    description: str
    monthly_fee_kop: int
    data_gb: int | None  # None: unlimited
    speed_mbps: int
    limited_speed_kbps: int  # the speed once the period's allowance is used up
    # a fee change announced for a coming period ('YYYY-MM'), or None
    next_monthly_fee_kop: int | None
    next_fee_period: str | None


@dataclass(frozen=True)
class PublicAddon:
    id: int
    name: str
    description: str
    kind: str  # one of models.tariffs.ADDON_KINDS
    price_kop: int
    period_days: int
    data_gb: int | None  # data_pack
    night_from_hour: int | None  # night_unlimited, Moscow time, [from, to)
    night_to_hour: int | None
    speed_mbps: int | None  # speed_booster


@dataclass(frozen=True)
class PublicCatalogue:
    tariffs: list[PublicTariff]
    addons: list[PublicAddon]


def on_sale_tariffs():
    """The SELECT of the tariffs a new SIM can be put on (public, not archived)."""
    return select(Tariff).where(Tariff.is_public, ~Tariff.is_archived)


@verb
def public_catalogue(session: Session) -> PublicCatalogue:
    tariffs = session.execute(
        on_sale_tariffs().order_by(Tariff.monthly_fee_kop, Tariff.id).limit(MAX_ROWS)
    ).scalars()
    kind_order = {kind: n for n, kind in enumerate(ADDON_KINDS)}
    addons = sorted(
        session.execute(
            select(AddonService)
            .where(~AddonService.is_archived)
            .order_by(AddonService.price_kop, AddonService.id)
            .limit(MAX_ROWS)
        ).scalars(),
        key=lambda a: (kind_order.get(a.kind, len(ADDON_KINDS)), a.price_kop, a.id),
    )
    return PublicCatalogue(
        tariffs=[
            PublicTariff(
                id=t.id,
                name=t.name,
                description=t.description,
                monthly_fee_kop=t.monthly_fee_kop,
                data_gb=t.data_gb,
                speed_mbps=t.speed_mbps,
                limited_speed_kbps=t.limited_speed_kbps,
                next_monthly_fee_kop=t.next_monthly_fee_kop,
                next_fee_period=t.next_fee_period,
            )
            for t in tariffs
        ],
        addons=[
            PublicAddon(
                id=a.id,
                name=a.name,
                description=a.description,
                kind=a.kind,
                price_kop=a.price_kop,
                period_days=a.period_days,
                data_gb=a.data_gb,
                night_from_hour=a.night_from_hour,
                night_to_hour=a.night_to_hour,
                speed_mbps=a.speed_mbps,
            )
            for a in addons
        ],
    )
