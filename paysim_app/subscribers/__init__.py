"""Contracts as the back office sees them.

Public (`__all__`): contracts (the admin's verbs and lists), contract_desk (the admin's new
contracts, SIMs put on them from stock and moved between them) and the pages' filter values.
"""

from paysim_app.models.subscribers import CONTRACT_STATUSES, DOCUMENT_TYPES  # the pages' forms

__all__ = ["contracts", "contract_desk", "CONTRACT_STATUSES", "DOCUMENT_TYPES"]
