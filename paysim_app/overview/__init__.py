"""Reads across contexts: each role's first page, the admin's search, the CSV export of any list,
the back-office lists that span contexts (subscribers and tickets; admins, audit and quality).

Public (`__all__`): every module, each read by the pages (and list_export by the download route).
"""

__all__ = [
    "dashboards",
    "list_export",
    "people_lists",
    "ref_lookup",
    "search",
    "staff_lists",
]
