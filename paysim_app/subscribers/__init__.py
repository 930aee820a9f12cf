"""Contracts as the back office sees them."""

from paysim_app.models.subscribers import CONTRACT_STATUSES  # the pages' filters

__all__ = ["CONTRACT_STATUSES"]
