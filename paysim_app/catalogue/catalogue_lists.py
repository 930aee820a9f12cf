"""The two back-office lists of the Tariffs section: the tariff plans and the add-on services
sold in the cabinet. Declarations over core.listing; the SELECTs come from
tariffs.tariff_rows_select and tariffs.addon_rows_select, the permission check
(tariffs.view) from the specs. The writes (create, edit, archive, delete) are catalogue.tariffs'."""

from __future__ import annotations

from sqlalchemy import literal_column, or_

from paysim_app.catalogue.tariffs import addon_rows_select, tariff_rows_select
from paysim_app.core.listing import ExportColumn, FilterDef, ListSpec, SearchField, contains
from paysim_app.models import AddonService, Tariff

STATUSES = ("active", "archived")  # the status filter (its "all" is the list's no-filter value)
PUBLIC = ("yes", "no")  # a tariff is offered in the cabinet's catalogue or only assigned


def _status(column):
    def apply(stmt, value: str):
        return stmt.where(column == (value == "archived"))

    return apply


def _public(stmt, value: str):
    return stmt.where(Tariff.is_public == (value == "yes"))


def _search(model):
    def apply(stmt, text: str):
        """Any part of the code or the name, in any letter case."""
        return stmt.where(or_(contains(model.code, text), contains(model.name, text)))

    return apply


TARIFF_LIST = ListSpec(
    name="tariffs",
    permission="tariffs.view",
    columns=lambda actor: tariff_rows_select(actor),
    sorts={
        "name": Tariff.name,
        "fee": Tariff.monthly_fee_kop,
        # a labelled subquery of the SELECT: ordered by its output name
        "sims": literal_column("sims"),
        "created_at": Tariff.created_at,
    },
    default_sort="created_at",
    key=Tariff.id,
    filters=(
        FilterDef("status", _status(Tariff.is_archived), "choice", STATUSES),
        FilterDef("public", _public, "choice", PUBLIC),
    ),
    search=_search(Tariff),
    export=(
        ExportColumn("code", "admin_tariffs.col.code"),
        ExportColumn("name", "admin_tariffs.col.name"),
        ExportColumn("monthly_fee_kop", "admin_tariffs.col.fee", "money"),
        ExportColumn("next_monthly_fee_kop", "admin_tariffs.col.next_fee", "money"),
        ExportColumn("next_fee_period", "admin_tariffs.col.next_period"),
        ExportColumn("data_gb", "admin_tariffs.col.data_gb"),
        ExportColumn("speed_mbps", "admin_tariffs.col.speed_mbps"),
        ExportColumn("is_public", "admin_tariffs.col.public", "word", "admin_tariffs.yes."),
        ExportColumn("is_archived", "admin_tariffs.col.status", "word", "admin_tariffs.archived."),
        ExportColumn("sims", "admin_tariffs.col.sims"),
        ExportColumn("created_at", "admin_tariffs.col.created", "time"),
    ),
    fields=(
        SearchField("code", Tariff.code, "text", "admin_tariffs.col.code"),
        SearchField("name", Tariff.name, "text", "admin_tariffs.col.name"),
        SearchField("fee", Tariff.monthly_fee_kop, "money", "admin_tariffs.col.fee"),
        SearchField("data_gb", Tariff.data_gb, "number", "admin_tariffs.col.data_gb"),
        SearchField("speed_mbps", Tariff.speed_mbps, "number", "admin_tariffs.col.speed_mbps"),
        SearchField("public", Tariff.is_public, "bool", "admin_tariffs.col.public"),
        SearchField("archived", Tariff.is_archived, "bool", "admin_tariffs.col.status"),
        SearchField("created_at", Tariff.created_at, "date", "admin_tariffs.col.created"),
    ),
)


ADDON_LIST = ListSpec(
    name="addons",
    permission="tariffs.view",
    columns=lambda actor: addon_rows_select(actor),
    sorts={
        "name": AddonService.name,
        "price": AddonService.price_kop,
        "active": literal_column("active"),
        "created_at": AddonService.created_at,
    },
    default_sort="created_at",
    key=AddonService.id,
    filters=(FilterDef("status", _status(AddonService.is_archived), "choice", STATUSES),),
    search=_search(AddonService),
    export=(
        ExportColumn("code", "admin_tariffs.col.code"),
        ExportColumn("name", "admin_tariffs.col.name"),
        ExportColumn("price_kop", "admin_tariffs.col.price", "money"),
        ExportColumn("period_days", "admin_tariffs.col.period_days"),
        ExportColumn("is_archived", "admin_tariffs.col.status", "word", "admin_tariffs.archived."),
        ExportColumn("active", "admin_tariffs.col.active"),
        ExportColumn("created_at", "admin_tariffs.col.created", "time"),
    ),
    fields=(
        SearchField("code", AddonService.code, "text", "admin_tariffs.col.code"),
        SearchField("name", AddonService.name, "text", "admin_tariffs.col.name"),
        SearchField("price", AddonService.price_kop, "money", "admin_tariffs.col.price"),
        SearchField(
            "period_days", AddonService.period_days, "number", "admin_tariffs.col.period_days"
        ),
        SearchField("archived", AddonService.is_archived, "bool", "admin_tariffs.col.status"),
        SearchField("created_at", AddonService.created_at, "date", "admin_tariffs.col.created"),
    ),
)
