"""Dealers: their accounts and users, their own cabinet, their statistics.

Public (`__all__`): every module, each the verbs of pages: directory (the admin's partners and
their users), partner_lists, cabinet (the dealer's own cabinet), performance (statistics),
statement (the monthly commission statement, .xlsx), orders (handing out a SIM a customer
ordered for pick-up), takings (each partner's payments and commission by hour, which the
statistics sum; the scheduler folds it).
"""

__all__ = ["cabinet", "directory", "orders", "partner_lists", "performance", "statement", "takings"]
