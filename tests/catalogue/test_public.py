"""The public catalogue (catalogue.public): the tariffs on sale and the add-ons still sold, for a
visitor who has not signed in."""

from __future__ import annotations

from paysim_app.catalogue import public
from paysim_app.models import AddonService


def test_lists_active_public_tariffs_by_fee_and_hides_archived_and_hidden(session, factory):
    dear = factory.tariff("Безлимит", fee_kop=150000, data_gb=None, speed_mbps=100)
    cheap = factory.tariff("Дом 50", fee_kop=50000, data_gb=50, speed_mbps=50)
    factory.tariff("Старый", fee_kop=30000, is_archived=True)
    factory.tariff("Служебный", fee_kop=10000, is_public=False)

    listing = public.public_catalogue(session)

    assert [t.id for t in listing.tariffs] == [cheap.id, dear.id]
    home = listing.tariffs[0]
    assert (home.name, home.monthly_fee_kop, home.data_gb, home.speed_mbps) == (
        "Дом 50",
        50000,
        50,
        50,
    )
    assert home.limited_speed_kbps == 128
    assert listing.tariffs[1].data_gb is None  # unlimited


def test_lists_addons_still_sold_with_what_they_do(session, factory):
    session.add_all(
        [
            AddonService(code="gb10", name="+10 ГБ", price_kop=20000, kind="data_pack", data_gb=10),
            AddonService(
                code="night",
                name="Ночь",
                price_kop=15000,
                kind="night_unlimited",
                night_from_hour=1,
                night_to_hour=7,
            ),
            AddonService(code="old", name="Старая", price_kop=100, is_archived=True),
        ]
    )
    session.commit()

    addons = public.public_catalogue(session).addons

    assert [(a.kind, a.name) for a in addons] == [
        ("data_pack", "+10 ГБ"),
        ("night_unlimited", "Ночь"),
    ]
    assert addons[0].data_gb == 10 and addons[0].period_days == 30
    assert (addons[1].night_from_hour, addons[1].night_to_hour) == (1, 7)


def test_an_empty_catalogue_is_empty_not_an_error(session):
    listing = public.public_catalogue(session)
    assert listing.tariffs == [] and listing.addons == []


def test_at_most_a_page_of_tariffs(session, factory, monkeypatch):
    monkeypatch.setattr(public, "MAX_ROWS", 2)
    for fee in (100, 200, 300):
        factory.tariff(fee_kop=fee)
    assert [t.monthly_fee_kop for t in public.public_catalogue(session).tariffs] == [100, 200]
