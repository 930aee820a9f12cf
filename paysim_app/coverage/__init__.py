"""Where the network reaches: the coverage check a visitor runs, the contacts left where it does
not reach yet, and the back office's coverage data (settlements, base stations, imports).

Public (`__all__`): the verbs and values below. The rule of the check (which quality, which
tariffs) is in coverage.places; what a lead keeps (152-FZ) in coverage.leads; the file format of
the import in coverage.importing.
"""

from paysim_app.coverage.admin import (
    ACTIVE,
    SETTLEMENT_LIST,
    STATION_LIST,
    SettlementView,
    StationView,
    create_station,
    get_settlement,
    get_station,
    update_settlement,
    update_station,
)
from paysim_app.coverage.importing import (
    FILE_KINDS,
    MAX_BYTES,
    ROW_KINDS,
    CoverageImportReport,
    ImportLine,
    confirm_import,
    preview_import,
)
from paysim_app.coverage.leads import DEMAND_LIST, MAX_NAME, MAX_PLACE, LeadReceipt, leave_contact
from paysim_app.coverage.places import (
    FAIR_MAX_MBPS,
    MAX_PREFIX,
    CoverageAnswer,
    Offer,
    Region,
    SettlementHit,
    check_by_point,
    check_by_settlement,
    find_settlements,
    list_regions,
)
from paysim_app.models.coverage import QUALITIES, SETTLEMENT_KINDS

__all__ = [
    "ACTIVE",
    "DEMAND_LIST",
    "FAIR_MAX_MBPS",
    "FILE_KINDS",
    "MAX_BYTES",
    "MAX_NAME",
    "MAX_PLACE",
    "MAX_PREFIX",
    "QUALITIES",
    "ROW_KINDS",
    "SETTLEMENT_KINDS",
    "SETTLEMENT_LIST",
    "STATION_LIST",
    "CoverageAnswer",
    "CoverageImportReport",
    "ImportLine",
    "LeadReceipt",
    "Offer",
    "Region",
    "SettlementHit",
    "SettlementView",
    "StationView",
    "check_by_point",
    "check_by_settlement",
    "confirm_import",
    "create_station",
    "find_settlements",
    "get_settlement",
    "get_station",
    "leave_contact",
    "list_regions",
    "preview_import",
    "update_settlement",
    "update_station",
]
