"""Contracts as the back office sees them.

Public (`__all__`): contracts (the admin's verbs and lists) and the pages' filter values.
"""

from paysim_app.models.subscribers import CONTRACT_STATUSES  # the pages' filters

__all__ = ["contracts", "CONTRACT_STATUSES"]
