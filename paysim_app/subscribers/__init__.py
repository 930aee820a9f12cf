"""Contracts as the back office sees them.

Public (`__all__`): contracts (the admin's verbs and lists), contract_desk (the admin's new
contracts, SIMs put on them from stock and moved between them), privacy (a subscriber's data
archive and the closing of their account, 152-FZ) and the pages' filter values.
"""

from paysim_app.models.subscribers import CONTRACT_STATUSES, DOCUMENT_TYPES  # the pages' forms

__all__ = ["contracts", "contract_desk", "privacy", "CONTRACT_STATUSES", "DOCUMENT_TYPES"]
